#!/bin/sh
# env.sh - xmpp-cgi example handler: show the handler's environment.
#
# Answers text/plain with the sorted environment the handler was started
# with (the CGI/1.1 variables, XMPP_* and the route's env = entries), which
# is handy to see what xmpp-cgi passes for a given stanza.  The request on
# stdin is read and discarded.  POSIX sh.

cat >/dev/null

printf 'Content-Type: text/plain\n\n'
env | LC_ALL=C sort
