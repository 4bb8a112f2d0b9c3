#!/bin/sh
# e2e test handler for time limits and shutdown: starts a background
# grandchild (sleep 60), writes its pid to $PID_DIR/ID.grandchild and its
# own pid to $PID_DIR/ID.pid, then sleeps $SLEEP seconds (default 30).
# STUBBORN=1: ignore SIGTERM (the script and its children), so only SIGKILL
# ends them.
[ "$STUBBORN" = 1 ] && trap '' TERM
id=$(printf '%s' "${XMPP_STANZA_ID:-noid}" | tr -cd 'A-Za-z0-9_.-')
cat > /dev/null
sleep 60 &
echo $! > "$PID_DIR/$id.grandchild.tmp"
echo $$ > "$PID_DIR/$id.pid.tmp"
mv "$PID_DIR/$id.grandchild.tmp" "$PID_DIR/$id.grandchild"
mv "$PID_DIR/$id.pid.tmp" "$PID_DIR/$id.pid"
sleep "${SLEEP:-30}"
printf 'Content-Type: text/plain\n\nwoke up\n'
