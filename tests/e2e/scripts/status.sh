#!/bin/sh
# e2e test handler: answers with a status chosen by the route's `env =` or
# by the stanza's data-* attributes (the attribute wins):
#   STATUS / data-status     Status header value, e.g. "404 Not Found"
#                            ("none": no Status header)
#   BODY / data-body         body text (default: none)
#   LOCATION / data-location Location header (default: none)
#   CTYPE / data-ctype       Content-Type (default text/plain; "none": omit)
#   CRLF / data-crlf         1: end header lines with CRLF; mixed: the
#                            Status line with CRLF, the others with LF
#   NPH / data-nph           1: first line "HTTP/1.1 STATUS" instead of a
#                            Status header (non-parsed-header style)
#   STDERR / data-stderr     a line written to stderr
cat > /dev/null
status=${XMPP_STANZA_DATA_STATUS:-${STATUS:-200}}
body=${XMPP_STANZA_DATA_BODY:-${BODY:-}}
location=${XMPP_STANZA_DATA_LOCATION:-${LOCATION:-}}
ctype=${XMPP_STANZA_DATA_CTYPE:-${CTYPE:-text/plain}}
crlf=${XMPP_STANZA_DATA_CRLF:-${CRLF:-0}}
err=${XMPP_STANZA_DATA_STDERR:-${STDERR:-}}
nph=${XMPP_STANZA_DATA_NPH:-${NPH:-0}}
eol='\n'
first='\n'
[ "$crlf" = 1 ] && eol='\r\n'
[ "$crlf" = 1 ] || [ "$crlf" = mixed ] && first='\r\n'
[ -n "$err" ] && printf '%s\n' "$err" >&2
if [ "$nph" = 1 ]; then
	printf "HTTP/1.1 %s$first" "$status"
elif [ "$status" != none ]; then
	printf "Status: %s$first" "$status"
fi
[ -n "$location" ] && printf "Location: %s$eol" "$location"
[ "$ctype" != none ] && printf "Content-Type: %s$eol" "$ctype"
printf "$eol"
printf '%s' "$body"
