#!/bin/sh
# e2e test handler: answers text/plain with a body of $SIZE bytes ('a').
cat > /dev/null
printf 'Content-Type: text/plain\n\n'
head -c "${SIZE:-5000}" /dev/zero | tr '\0' a
