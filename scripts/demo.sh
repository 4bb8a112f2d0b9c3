#!/bin/sh
# scripts/demo.sh - the README's first command: installs what is missing
# (scripts/install-deps.sh, needs root then), builds the tree
# (scripts/build.sh), then runs the demo: a throwaway Prosody on 127.0.0.1,
# the bridge with the example handlers of cgi-examples/, and a few real
# stanzas from a slixmpp client, each request and reply printed; then
# everything is shut down.  The work is done by tests/e2e/demo.py.
#
# Options are passed on to demo.py (--hold keeps the setup running until
# Ctrl-C).  XMPP_CGI_BIN overrides the binary (default: bridge/xmpp-cgi, built
# here; with XMPP_CGI_BIN set nothing is built).

set -e
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/install-deps.sh"
if [ -z "${XMPP_CGI_BIN:-}" ]; then
	sh "$top/scripts/build.sh"
fi
XMPP_CGI_BIN=${XMPP_CGI_BIN:-$top/bridge/xmpp-cgi}
export XMPP_CGI_BIN

if [ ! -x "$XMPP_CGI_BIN" ]; then
	echo "demo: $XMPP_CGI_BIN is not built; run: sh scripts/build.sh" >&2
	exit 1
fi
for tool in prosody prosodyctl openssl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "demo: $tool not found (apt install prosody openssl)" >&2
		exit 1
	fi
done
# Debian's python3 has slixmpp; another python3 earlier on PATH may not.
if ! /usr/bin/python3 -c 'import slixmpp' 2>/dev/null; then
	echo "demo: python3-slixmpp not found (apt install python3-slixmpp)" >&2
	exit 1
fi

exec /usr/bin/python3 "$top/tests/e2e/demo.py" "$@"
