#!/usr/bin/perl
# The Greeter Catalyst application as a FastCGI server (Catalyst::Script::FastCGI:
# Plack::Handler::FCGI with FCGI::ProcManager), as behind nginx or lighttpd:
#   greeter_fastcgi.pl --listen /run/greeter/fcgi.sock --nproc 2
# and in xmpp-cgi.conf:
#   [route "greeter"]
#   fastcgi = unix:/run/greeter/fcgi.sock
use strict;
use warnings;
use FindBin;
use lib "$FindBin::RealBin/../lib";
use Catalyst::ScriptRunner;
Catalyst::ScriptRunner->run('Greeter', 'FastCGI');
