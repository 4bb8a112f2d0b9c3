#!/usr/bin/perl
# fcgi_procmanager.pl - a FastCGI application as Perl frameworks run one behind
# a web server: the FCGI module (libfcgi underneath) with FCGI::ProcManager
# forking N workers that accept on one unix socket.  Each worker serves one
# connection at a time and keeps it while the client keeps it (FCGI_KEEP_CONN),
# as Catalyst's and Plack's FastCGI scripts do.  For test_fcgi_shared.py.
#
#   fcgi_procmanager.pl SOCKET WORKERS
#
# Answers every request with text/plain lines NAME=VALUE: PATH_INFO, ROUTE_TAG
# (a route's param), the worker's pid and the number of STDIN bytes read.
# Prints "listening SOCKET" once the socket is open.  SIGTERM: the manager
# stops its workers and exits.
use strict;
use warnings;
use FCGI;
use FCGI::ProcManager;

my ($path, $workers) = @ARGV;
die "usage: $0 SOCKET WORKERS\n" unless $path && $workers && $workers =~ /^\d+$/;
unlink $path;
my $sock = FCGI::OpenSocket($path, 16) or die "$path: $!\n";
$| = 1;
print "listening $path\n";
my %env;
my $req = FCGI::Request(\*STDIN, \*STDOUT, \*STDERR, \%env, $sock);
my $pm = FCGI::ProcManager->new({n_processes => $workers});
$pm->pm_manage();
while ($req->Accept() >= 0) {
	$pm->pm_pre_dispatch();
	my $len = $env{CONTENT_LENGTH} || 0;
	my $body = '';
	read(STDIN, $body, $len) if $len;
	print "Content-Type: text/plain\r\n\r\n";
	printf "PATH_INFO=%s\nROUTE_TAG=%s\nWORKER=%d\nSTDIN_BYTES=%d\n",
	    $env{PATH_INFO} // '', $env{ROUTE_TAG} // '', $$, length $body;
	$pm->pm_post_dispatch();
}
