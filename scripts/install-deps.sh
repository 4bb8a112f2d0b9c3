#!/bin/sh
# install-deps.sh - installs what building and testing xmpp-cgi needs on Debian (bookworm).
# Needs root. Skips apt-get entirely when everything is already installed.
set -eu
PKGS="build-essential autoconf automake pkg-config
 libstrophe-dev libxml2-dev libuv1-dev libinih-dev libfcgi-dev libcmocka-dev
 prosody python3 python3-slixmpp perl openssl mandoc procps php-fpm fcgiwrap
 clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: run as root (sudo) to install:$missing" >&2
		exit 1
	fi
	echo "install-deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
