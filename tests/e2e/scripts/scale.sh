#!/bin/sh
# e2e handler for tests/e2e/test_scale.py: appends "STANZA_ID BRIDGE_PID
# CONTROL_SOCKET" to $RUN_LOG (one line per run, so that a request run twice
# shows; the socket names the instance, BRIDGE_PID is the parent the shell
# saw), sleeps $SLEEP seconds (default 0.1) and answers
# <done by='BRIDGE_PID'/>, which tells which instance process ran it.
cat > /dev/null
printf '%s %s %s\n' "$XMPP_STANZA_ID" "$PPID" "$XMPP_CGI_SOCKET" >> "$RUN_LOG"
sleep "${SLEEP:-0.1}"
printf 'Content-Type: application/xml\n\n<done xmlns="urn:e2e:scale" by="%s"/>\n' "$PPID"
