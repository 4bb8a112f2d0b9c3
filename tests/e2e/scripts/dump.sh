#!/bin/sh
# e2e test handler: records what the bridge hands a handler, then answers
# "ok" as text/plain.  Into $DUMP_DIR it writes, named after the stanza id:
#   ID.env    the environment exactly as received (/proc/$$/environ, NUL-separated)
#   ID.stdin  the bytes read on stdin
#   ID.fds    `ls -l /proc/self/fd` of a child (open descriptors)
#   ID.status /proc/self/status of a child (signal mask and dispositions)
id=$(printf '%s' "${XMPP_STANZA_ID:-noid}" | tr -cd 'A-Za-z0-9_.-')
dir=${DUMP_DIR:?DUMP_DIR not set}
cat "/proc/$$/environ" > "$dir/$id.env.tmp"
ls -l /proc/self/fd > "$dir/$id.fds.tmp" 2>&1
cat /proc/self/status > "$dir/$id.status.tmp"
cat > "$dir/$id.stdin.tmp"
for f in env fds status stdin; do mv "$dir/$id.$f.tmp" "$dir/$id.$f"; done
printf 'Content-Type: text/plain\n\nok\n'
