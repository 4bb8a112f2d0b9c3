#!/bin/sh
# e2e test handler: appends one line (the stanza id) to the file $MARKER on
# every run, then answers "marked" as text/plain.  Tests use it to show that
# a stanza never reached a handler: the file stays absent.
cat > /dev/null
printf '%s\n' "${XMPP_STANZA_ID:-noid}" >> "${MARKER:?MARKER not set}"
printf 'Content-Type: text/plain\n\nmarked\n'
