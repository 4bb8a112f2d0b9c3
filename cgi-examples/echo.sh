#!/bin/sh
# echo.sh - xmpp-cgi example handler: send the request stanza back.
#
# Answers with an application/xml payload
#
#   <echo xmlns='urn:xmpp-cgi:echo'> ...the stanza as received... </echo>
#
# so an iq get/set is answered with an iq result carrying the original stanza.
# The XML declaration xmpp-cgi puts on the first line of stdin is dropped
# (an XML declaration may not appear inside an element).
#
# Reads exactly CONTENT_LENGTH bytes when that is a number (dd with a
# one-byte input block size is the portable way to get an exact count from a
# pipe, since short reads are counted as blocks otherwise), else all of stdin.
# POSIX sh, no bash-isms.

printf 'Content-Type: application/xml\n\n'
printf "<echo xmlns='urn:xmpp-cgi:echo'>"

case ${CONTENT_LENGTH-} in
'' | *[!0-9]*)
	cat
	;;
*)
	dd ibs=1 count="$CONTENT_LENGTH" 2>/dev/null
	;;
esac | sed -e '1{' \
	-e '/^<?xml[^>]*?>[[:space:]]*$/d' \
	-e 's/^<?xml[^>]*?>//' \
	-e '}'

printf '</echo>\n'
