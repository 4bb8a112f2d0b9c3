#!/bin/sh
# e2e test handler: answers with the request stanza (XML declaration
# removed) wrapped in <echo xmlns='urn:xmpp-cgi:echo'>.
printf 'Content-Type: application/xml\n\n'
printf "<echo xmlns='urn:xmpp-cgi:echo'>"
sed '1s/^<?xml[^>]*?>//'
printf '</echo>\n'
