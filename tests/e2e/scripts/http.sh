#!/bin/sh
# e2e test handler for XEP-0332 (HTTP over XMPP): answers what it was asked.
# Always sets the response headers `X-Answer: 42` and `Cache-Control: no-store`.
# Request headers steer the answer:
#   X-Status: CODE TEXT   the Status header (default 200 OK)
#   X-Reply-Type: TYPE    answer Content-Type TYPE with stdin, byte for byte,
#                         as the body (XML and binary round trips)
# Otherwise the body is text/plain, one line each:
#   method=$REQUEST_METHOD  path=$PATH_INFO  query=$QUERY_STRING
#   ctype=$CONTENT_TYPE  length=$CONTENT_LENGTH  proto=$SERVER_PROTOCOL
#   every HTTP_X_* variable as NAME=value, sorted
#   stdin=<the bytes read on stdin>
printf 'Status: %s\n' "${HTTP_X_STATUS:-200 OK}"
printf 'X-Answer: 42\n'
printf 'Cache-Control: no-store\n'
if [ -n "$HTTP_X_REPLY_TYPE" ]; then
	printf 'Content-Type: %s\n\n' "$HTTP_X_REPLY_TYPE"
	exec cat
fi
printf 'Content-Type: text/plain; charset=utf-8\n\n'
printf 'method=%s\n' "$REQUEST_METHOD"
printf 'path=%s\n' "$PATH_INFO"
printf 'query=%s\n' "$QUERY_STRING"
printf 'ctype=%s\n' "$CONTENT_TYPE"
printf 'length=%s\n' "$CONTENT_LENGTH"
printf 'proto=%s\n' "$SERVER_PROTOCOL"
env | grep '^HTTP_X_' | LC_ALL=C sort
printf 'stdin='
cat
