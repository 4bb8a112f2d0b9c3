#!/bin/sh
# build.sh - configures and builds xmpp-cgi in the source tree (idempotent).
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --quiet
make -s -j2
