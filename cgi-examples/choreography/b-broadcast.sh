#!/bin/sh
# b-broadcast.sh - route b of the choreography (see README.md), in POSIX sh.
#
# A sends b an iq set, id X, carrying <start xmlns='urn:xmpp-cgi:choreography'/>.
# b sends ONE message, id X.broadcast,
#
#   <message type='normal' id='X.broadcast'>
#     <body>operation X started by A's full JID</body>
#     <broadcast xmlns='urn:xmpp-cgi:choreography' op='X' origin="A's full JID"/>
#   </message>
#
# to every JID of $CHOREO_BROADCAST (C, D and route e), in one xmpp-cgi-send
# call, and only when that call succeeded answers A's iq (the iq result, id X):
#
#   <accepted xmlns='urn:xmpp-cgi:choreography' op='X' notified='N'/>
#
# If xmpp-cgi-send fails for any recipient, A gets service-unavailable (Status
# 503) instead; recipients that were not refused may have the message already.
#
# Environment: from the bridge XMPP_STANZA, XMPP_STANZA_TYPE, XMPP_STANZA_ID,
# XMPP_STANZA_FROM, XMPP_ROUTE and XMPP_CGI_SOCKET (read by xmpp-cgi-send
# itself); from the route's env = lines CHOREO_BROADCAST (JIDs separated by
# spaces) and optionally CHOREO_SEND (the tool; default xmpp-cgi-send on
# PATH).
set -u
set -f                          # the JID list is split on spaces, never globbed
NS=urn:xmpp-cgi:choreography

answer_error() { # STATUS TEXT
	printf 'Status: %s\nContent-Type: text/plain\n\n%s\n' "$1" "$2"
	exit 0
}

xml_escape() {
	printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' \
		-e "s/'/\\&apos;/g" -e 's/"/\&quot;/g'
}

stanza=$(cat)
[ "${XMPP_STANZA:-}" = iq ] && [ "${XMPP_STANZA_TYPE:-}" = set ] ||
	answer_error '400 Bad Request' "b takes an iq set with <start xmlns='$NS'/>"
case $stanza in
*"<start "*"$NS"*) ;;
*) answer_error '400 Bad Request' "b takes an iq set with <start xmlns='$NS'/>" ;;
esac

# The iq's id names the operation everywhere downstream: keep it plain.
op=${XMPP_STANZA_ID:-}
case $op in
'' | *[!A-Za-z0-9._-]*)
	answer_error '400 Bad Request' 'the iq id must be 1-64 characters from A-Z a-z 0-9 . _ -' ;;
esac
[ ${#op} -le 64 ] ||
	answer_error '400 Bad Request' 'the iq id must be 1-64 characters from A-Z a-z 0-9 . _ -'
origin=$(xml_escape "${XMPP_STANZA_FROM:-}")

set --
n=0
for jid in ${CHOREO_BROADCAST:-}; do
	set -- "$@" --to "$jid"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || answer_error '503 Service Unavailable' 'CHOREO_BROADCAST names nobody'

echo "b: op $op from ${XMPP_STANZA_FROM:-?}: broadcasting to $n recipients" >&2
printf "<message type='normal' id='%s.broadcast'><body>operation %s started by %s</body><broadcast xmlns='%s' op='%s' origin='%s'/></message>" \
	"$op" "$op" "$origin" "$NS" "$op" "$origin" |
	"${CHOREO_SEND:-xmpp-cgi-send}" --from-route "${XMPP_ROUTE:-b}" "$@" --stanza - >&2
rc=$?
[ "$rc" -eq 0 ] ||
	answer_error '503 Service Unavailable' "the broadcast failed (xmpp-cgi-send exit status $rc)"

printf 'Content-Type: application/xml\n\n'
printf "<accepted xmlns='%s' op='%s' notified='%d'/>\n" "$NS" "$op" "$n"
