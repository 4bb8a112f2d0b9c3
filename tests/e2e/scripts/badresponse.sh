#!/bin/sh
# e2e test handler: writes a malformed CGI response chosen by $MODE:
#   nocolon    a header line without a colon
#   eof        headers, then end of output before the blank line
#   noheaders  no Content-Type, Status nor Location
#   status700  Status outside 100-599
#   badxml     application/xml body that is not well-formed
#   killed     a header, then the script kills itself with SIGKILL
#   bighdr     a header block over 64 KiB (one 70000-byte header line)
cat > /dev/null
case "$MODE" in
nocolon)   printf 'Status 200 OK\nContent-Type: text/plain\n\nhello\n' ;;
eof)       printf 'Content-Type: text/plain\n' ;;
noheaders) printf 'X-Foo: bar\n\nhello\n' ;;
status700) printf 'Status: 700 Odd\nContent-Type: text/plain\n\nhello\n' ;;
badxml)    printf 'Content-Type: application/xml\n\n<a><b></a>\n' ;;
killed)    printf 'Content-Type: text/plain\n'; kill -KILL $$ ;;
bighdr)    printf 'Content-Type: text/plain\nX-Big: '
           head -c 70000 /dev/zero | tr '\0' a
           printf '\n\nhello\n' ;;
*)         echo "unknown MODE $MODE" >&2; exit 2 ;;
esac
