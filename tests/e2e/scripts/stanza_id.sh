#!/bin/sh
# e2e test handler: appends its XMPP_STANZA_ID to the file $ID_LOG (one line per run, so
# test_sm.py can tell whether a handler ran twice for one iq), then answers "ok ID".
printf '%s\n' "$XMPP_STANZA_ID" >>"$ID_LOG"
printf 'Content-Type: text/plain\n\nok %s\n' "$XMPP_STANZA_ID"
