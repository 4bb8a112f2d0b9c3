#!/bin/sh
# e2e test handler: answers with the account it runs as, as plain text:
# "uid=N gid=N groups=N N ..." (test_privdrop.py).
printf 'Content-Type: text/plain\n\n'
printf 'uid=%s gid=%s groups=%s\n' "$(id -u)" "$(id -g)" "$(id -G)"
