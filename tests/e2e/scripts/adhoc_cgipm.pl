#!/usr/bin/perl
# An ad-hoc command stage through CGI.pm (tests/e2e/test_adhoc.py): param() reads the
# submitted form's fields, a repeated field as a list.
use strict;
use warnings;
use CGI;

my $q = CGI->new;
print $q->header(-type => 'text/plain', -charset => 'utf-8');
printf "cgipm name=%s colors=%s action=%s\n", scalar($q->param('name')) // '',
    join(',', $q->multi_param('colors')), $ENV{XMPP_ADHOC_ACTION};
