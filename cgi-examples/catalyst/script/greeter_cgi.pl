#!/usr/bin/perl
# The Greeter Catalyst application as a CGI script (Catalyst::Script::CGI, that is
# Plack::Handler::CGI): one process per stanza. xmpp-cgi.conf:
#   [route "greeter"]
#   cgi = /usr/local/lib/xmpp-cgi/examples/catalyst/script/greeter_cgi.pl
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../lib";
use Catalyst::ScriptRunner;
Catalyst::ScriptRunner->run('Greeter', 'CGI');
