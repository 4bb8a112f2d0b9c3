#!/bin/sh
# e2e test handler for concurrency: appends "ID start TIME" to
# $LOG_DIR/times, sleeps $SLEEP seconds (default 2), appends "ID end TIME",
# answers text/plain.  TIME is `date +%s.%N`.
id=$(printf '%s' "${XMPP_STANZA_ID:-noid}" | tr -cd 'A-Za-z0-9_.-')
cat > /dev/null
echo "$id start $(date +%s.%N)" >> "$LOG_DIR/times"
sleep "${SLEEP:-2}"
echo "$id end $(date +%s.%N)" >> "$LOG_DIR/times"
printf 'Content-Type: text/plain\n\ndone %s\n' "$id"
