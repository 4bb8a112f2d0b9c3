#!/usr/bin/perl
# time.pl - xmpp-cgi example handler: tell the time, XEP-0202 style.
#
# Answers application/xml with an Entity Time payload in UTC:
#
#   <time xmlns='urn:xmpp:time'><tzo>+00:00</tzo><utc>2026-11-23T12:34:56Z</utc></time>
#
# so an <iq type='get'><time xmlns='urn:xmpp:time'/></iq> sent to this
# route is answered with an iq result carrying it.  The request itself is
# read and ignored.  Perl core modules only.

use strict;
use warnings;
use POSIX qw(strftime);

# Drain the request so xmpp-cgi never writes into a closed pipe.
binmode STDIN;
{
	local $/ = \65536;
	while (defined(my $chunk = <STDIN>)) { }
}

my $utc = strftime('%Y-%m-%dT%H:%M:%SZ', gmtime());

binmode STDOUT;
print "Content-Type: application/xml\n\n";
print "<time xmlns='urn:xmpp:time'><tzo>+00:00</tzo><utc>$utc</utc></time>\n";
exit 0;
