#!/bin/sh
# e2e test handler for group chat routes: records its environment in
# $DUMP_DIR/ID.env (ID: the message's id) and answers by the arguments
# (XMPP_MUC_ARGS, or the message's body for a private message):
#   fail...  Status 403 with a text body
#   xml...   an XML payload for the <message>
#   else     "heard NICK: ARGS" as text
id=$(printf '%s' "${XMPP_STANZA_ID:-noid}" | tr -cd 'A-Za-z0-9_.-')
dir=${DUMP_DIR:?DUMP_DIR not set}
cat "/proc/$$/environ" > "$dir/$id.env.tmp"
mv "$dir/$id.env.tmp" "$dir/$id.env"
cat > /dev/null
case "$XMPP_MUC_ARGS" in
fail*) printf 'Status: 403 Forbidden\nContent-Type: text/plain\n\nnot for you\n' ;;
xml*) printf "Content-Type: application/xml\n\n<x xmlns='urn:e2e:muc'>payload</x>\n" ;;
*) printf 'Content-Type: text/plain\n\nheard %s: %s\n' "$XMPP_MUC_NICK" "$XMPP_MUC_ARGS" ;;
esac
