#!/bin/sh
# e2e test handler: answers at once without reading stdin (the bridge must
# survive a handler that closes its stdin early).
exec 0</dev/null
printf 'Content-Type: text/plain\n\nignored your request\n'
