#!/bin/sh
# e2e test handler whose process outlives its answer, chosen by $MODE. Pids go to
# $PID_DIR/ID.pid (the script) and $PID_DIR/ID.bg (a background child), written
# before the answer so that a test holding the answer can read them.
#   closed      answers, closes stdout (exec >&-) and sleeps 30 s: past the deadline
#   unread      the same without reading stdin, which stays unwritten in part
#   background  leaves `sleep 100 &` holding stdout, answers and exits
#   incomplete  the same, but prints only a header line (no blank line)
#   malformed   the same, but prints a header line without a colon
#   status      answers, closes stdout, waits for $PID_DIR/ID.go, exits with status 3
#   signal      the same, then kills itself with SIGUSR1
id=$(printf '%s' "${XMPP_STANZA_ID:-noid}" | tr -cd 'A-Za-z0-9_.-')
[ "$MODE" = unread ] || cat >/dev/null
put() { echo "$2" >"$PID_DIR/$id.$1.tmp" && mv "$PID_DIR/$id.$1.tmp" "$PID_DIR/$id.$1"; }
put pid $$
wait_go() {
	n=0
	while [ ! -e "$PID_DIR/$id.go" ] && [ $n -lt 400 ]; do
		sleep 0.05
		n=$((n + 1))
	done
}
case "$MODE" in
closed | unread)
	printf 'Content-Type: text/plain\n\nanswered, still working\n'
	exec >&-
	sleep 30 &
	put bg $!
	wait
	;;
background)
	sleep 100 &
	put bg $!
	printf 'Content-Type: text/plain\n\nanswered, child left behind\n'
	;;
incomplete)
	sleep 100 &
	put bg $!
	printf 'Content-Type: text/plain\n'
	;;
malformed)
	sleep 100 &
	put bg $!
	printf 'Status 200\n\nhello\n'
	;;
status)
	printf 'Content-Type: text/plain\n\nanswered, exiting 3 later\n'
	exec >&-
	wait_go
	exit 3
	;;
signal)
	printf 'Content-Type: text/plain\n\nanswered, killed later\n'
	exec >&-
	wait_go
	kill -USR1 $$
	;;
*)
	echo "unknown MODE $MODE" >&2
	exit 2
	;;
esac
