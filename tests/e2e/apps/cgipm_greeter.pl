#!/usr/bin/perl
# A CGI.pm script (tests/e2e/test_frameworks.py). Under any route name:
# /ROUTE/greet/NAME (text), /ROUTE/xml (application/xml), /ROUTE/fail (a 500),
# anything else a 404. The stanza is the POST body (CGI.pm's POSTDATA).
use strict;
use warnings;
use CGI;

my $q = CGI->new;
my $path = $q->path_info;
my $body = $q->param('POSTDATA') // '';
my (undef, $route, $action, $arg) = split m{/}, $path, 4;
$action //= '';
if ($action eq 'greet' && defined $arg) {
    print $q->header(-type => 'text/plain', -charset => 'utf-8');
    printf "Hello, %s! (path %s, url %s, %d bytes)\n", $arg, $path, $q->url(-absolute => 1, -path_info => 1), length $body;
} elsif ($action eq 'xml' && !defined $arg) {
    print $q->header(-type => 'application/xml');
    print "<greeting xmlns='urn:xmpp-cgi:cgipm' path='$path'>hello</greeting>";
} elsif ($action eq 'fail' && !defined $arg) {
    print $q->header(-status => '500 Internal Server Error', -type => 'text/plain');
    print "the greeter failed\n";
} else {
    print $q->header(-status => '404 Not Found', -type => 'text/plain');
    print "no such page: $path\n";
}
