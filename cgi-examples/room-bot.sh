#!/bin/sh
# room-bot.sh - xmpp-cgi example handler for a group chat route (XEP-0045).
#
# With room_trigger = prefix, "!bot time" in the room runs this script with
# XMPP_MUC_ARGS="time"; the text it prints goes back to the room as a groupchat
# message. A status outside 2xx becomes a short error line for the speaker
# (room_errors). Commands:
#
#   time          the bridge host's time, in UTC
#   whoami        the speaker's nick, and real JID when the room shows it
#   echo TEXT     TEXT
#   help          this list
#
# A private message to the route's nick in the room runs it too, without
# XMPP_MUC_ARGS: the body is then read from the stanza on stdin (not done here).
# See xmpp-cgi.conf(5), "Group chat routes", and xmpp-cgi(8), ENVIRONMENT.
# POSIX sh, no bash-isms.

cat > /dev/null # the stanza; the arguments are in the environment

set -- ${XMPP_MUC_ARGS-}
cmd=${1-help}
[ $# -gt 0 ] && shift

text() {
	printf 'Content-Type: text/plain; charset=utf-8\n\n%s\n' "$*"
}

case $cmd in
time) text "$(date -u '+%Y-%m-%d %H:%M UTC')" ;;
whoami)
	if [ -n "${REMOTE_USER-}" ]; then
		text "${XMPP_MUC_NICK-?} is ${REMOTE_USER}"
	else
		text "${XMPP_MUC_NICK-?}; this room does not show me your JID"
	fi
	;;
echo) text "$*" ;;
help) text "commands: time, whoami, echo TEXT, help" ;;
*)
	printf 'Status: 404 Not Found\nContent-Type: text/plain\n\nunknown command: %s (try help)\n' "$cmd"
	;;
esac
