package Greeter::Controller::Root;
# Routes, under any route name: the bridge's PATH_INFO is /ROUTE/..., so the first
# path segment is captured and the actions sit below it.
#   /ROUTE/greet/NAME  text/plain greeting, naming the path Catalyst routed on
#   /ROUTE/xml         an application/xml document (an XMPP payload)
#   /ROUTE/fail        dies: a 500
#   anything else      Catalyst's 404
use strict;
use warnings;
use parent 'Catalyst::Controller';

__PACKAGE__->config(namespace => '');

sub base :Chained('/') :PathPart('') :CaptureArgs(1) {
    my ($self, $c, $route) = @_;
    $c->stash(route => $route);
}

sub greet :Chained('base') :PathPart('greet') :Args(1) {
    my ($self, $c, $name) = @_;
    my $user = $c->req->remote_user // 'nobody';
    $c->res->content_type('text/plain; charset=utf-8');
    $c->res->body(sprintf "Hello, %s! (from %s, path /%s, method %s)\n",
                  $name, $user, $c->req->path, $c->req->method);
}

sub xml :Chained('base') :PathPart('xml') :Args(0) {
    my ($self, $c) = @_;
    $c->res->content_type('application/xml');
    $c->res->body(sprintf "<greeting xmlns='urn:xmpp-cgi:catalyst' path='/%s'>hello</greeting>",
                  $c->req->path);
}

sub fail :Chained('base') :PathPart('fail') :Args(0) {
    die "this action fails on purpose\n";
}

sub default :Path {
    my ($self, $c) = @_;
    $c->res->status(404);
    $c->res->content_type('text/plain');
    $c->res->body('no such page: /' . $c->req->path);
}

sub end :Private {
    my ($self, $c) = @_;
    if (@{ $c->error }) {
        $c->log->error($_) for @{ $c->error };
        $c->clear_errors;
        $c->res->status(500);
        $c->res->content_type('text/plain');
        $c->res->body('the greeter failed');
    }
}

1;
