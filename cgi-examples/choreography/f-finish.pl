#!/usr/bin/perl
# f-finish.pl - route f of the choreography (see README.md), in Perl (core
# modules only).
#
# f receives e's request
#
#   <iq type='set' id='xc-...'>   (the bridge's own id; e sees X.step)
#     <step xmlns='urn:xmpp-cgi:choreography' op='X' origin='A/resource'/>
#   </iq>
#
# and finishes the operation: it tells A, at the origin's full JID, with a
# request of its own, sent and not waited for (--iq FILE without --wait, so
# the id A sees is X.done; A's answer comes back to f's address, where the
# bridge drops it):
#
#   <iq type='set' id='X.done'><done xmlns='urn:xmpp-cgi:choreography' op='X'/></iq>
#
# Then it answers e's iq (a result):
#
#   <step-done xmlns='urn:xmpp-cgi:choreography' op='X'/>
#
# A step without op/origin gets bad-request; when A cannot be told (the
# control socket refuses), e gets service-unavailable.
#
# Environment: from the bridge XMPP_ROUTE and XMPP_CGI_SOCKET; from the route's
# env = lines optionally CHOREO_SEND (the tool; default xmpp-cgi-send on PATH).
use strict;
use warnings;
use File::Temp qw(tempfile);

my $NS = 'urn:xmpp-cgi:choreography';

sub answer_error {
	my ($status, $text) = @_;
	print "Status: $status\nContent-Type: text/plain\n\n$text\n";
	exit 0;
}

sub xml_escape {
	my ($s) = @_;
	$s =~ s/&/&amp;/g;
	$s =~ s/</&lt;/g;
	$s =~ s/>/&gt;/g;
	$s =~ s/'/&apos;/g;
	$s =~ s/"/&quot;/g;
	return $s;
}

sub xml_unescape {
	my ($s) = @_;
	$s =~ s/&#x([0-9A-Fa-f]+);/chr(hex($1))/ge;
	$s =~ s/&#([0-9]+);/chr($1)/ge;
	$s =~ s/&lt;/</g;
	$s =~ s/&gt;/>/g;
	$s =~ s/&apos;/'/g;
	$s =~ s/&quot;/"/g;
	$s =~ s/&amp;/&/g;
	return $s;
}

# The attributes of the first <step> element, or undef. The bridge hands a
# well-formed document; a regular expression is enough for one empty element.
sub step_attributes {
	my ($xml) = @_;
	return undef unless $xml =~ /<(?:[\w.-]+:)?step\b((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/;
	my $attrs = $1;
	my %a;
	while ($attrs =~ /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g) {
		$a{$1} = xml_unescape(defined $2 ? $2 : $3);
	}
	return \%a;
}

binmode STDIN;
my $stanza = do { local $/; <STDIN> };
$stanza = '' unless defined $stanza;
my $step = step_attributes($stanza);
answer_error('400 Bad Request', "f takes an iq set with <step xmlns='$NS' op='X' origin='JID'/>")
  unless ($ENV{XMPP_STANZA} || '') eq 'iq' && ($ENV{XMPP_STANZA_TYPE} || '') eq 'set' && $step
  && grep { /^xmlns(?::|$)/ && $step->{$_} eq $NS } keys %$step;
my ($op, $origin) = ($step->{op} || '', $step->{origin} || '');
answer_error('400 Bad Request', 'the step needs op (A-Z a-z 0-9 . _ -) and origin')
  unless $op =~ /^[A-Za-z0-9._-]{1,64}$/ && $origin ne '' && $origin !~ /[\s<>'"&]/;

# Tell A: an iq set to the origin, written to a file for --iq FILE.
my ($fh, $file) = tempfile('choreography-XXXXXX', TMPDIR => 1, UNLINK => 1);
printf $fh "<iq type='set' id='%s'><done xmlns='%s' op='%s'/></iq>", xml_escape("$op.done"), $NS,
  xml_escape($op);
close $fh;
my $send = $ENV{CHOREO_SEND} || 'xmpp-cgi-send';
my @cmd = ($send, '--from-route', $ENV{XMPP_ROUTE} || 'f', '--to', $origin, '--iq', $file);
my $rc = -1;
if (open(my $out, '-|', @cmd)) {    # stdout is the CGI response: keep the tool's apart
	local $/;
	<$out>;
	close $out;
	$rc = $? >> 8;
}
answer_error('503 Service Unavailable', "f could not tell $origin (xmpp-cgi-send exit status $rc)")
  if $rc != 0;
print STDERR "f: op $op: told A ($origin) with $op.done\n";

print "Content-Type: application/xml\n\n";
printf "<step-done xmlns='%s' op='%s'/>\n", $NS, xml_escape($op);
