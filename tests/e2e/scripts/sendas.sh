#!/bin/sh
# e2e test handler for the control socket's trust rules.  It keeps its
# XMPP_CGI_TOKEN in $DUMP_DIR/ID.token, sends a chat message "as-ROUTE ID" to
# $TO first as route $AS_ROUTE, then as its own route, with $SEND
# (xmpp-cgi-send), and answers text/plain "other=N own=N": the two exit
# statuses.  Their stderr goes to $DUMP_DIR/ID.other.err and ID.own.err.
id=$(printf '%s' "${XMPP_STANZA_ID:-noid}" | tr -cd 'A-Za-z0-9_.-')
dir=${DUMP_DIR:?DUMP_DIR not set}
cat > /dev/null
printf '%s' "$XMPP_CGI_TOKEN" > "$dir/$id.token"
"$SEND" --from-route "$AS_ROUTE" --to "$TO" -m "as-$AS_ROUTE $id" \
	2> "$dir/$id.other.err"
other=$?
"$SEND" --from-route "$XMPP_ROUTE" --to "$TO" -m "as-$XMPP_ROUTE $id" \
	2> "$dir/$id.own.err"
own=$?
printf 'Content-Type: text/plain\n\nother=%s own=%s\n' "$other" "$own"
