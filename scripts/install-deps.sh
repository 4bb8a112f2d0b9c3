#!/bin/sh
# install-deps.sh - installs what building and testing xmpp-cgi needs on Debian (bookworm).
# Needs root. Skips apt-get entirely when everything is already installed.
set -eu
PKGS="build-essential autoconf automake pkg-config
 libstrophe-dev libxml2-dev libuv1-dev libinih-dev libfcgi-dev libcmocka-dev libicu-dev
 prosody python3 python3-slixmpp perl openssl mandoc procps php-fpm fcgiwrap
 libssl-dev ejabberd
 libcatalyst-perl libplack-perl libfcgi-perl libfcgi-procmanager-perl libcgi-pm-perl
 php-cgi golang-go python3-flask
 libsystemd-dev systemd
 libmicrohttpd-dev prometheus
 clang libclang-rt-14-dev
 profanity tmux"
# libssl-dev: bridge/xmpp/link_error.c names OpenSSL's error codes (libstrophe-dev pulls it in too).
# ejabberd: the e2e suite's second XMPP server; the tests run their own instance on
# loopback (tests/e2e/ejabberd.py) and never use the system's service.
# Catalyst, Plack, FCGI, CGI.pm, php-cgi, Go and Flask: the frameworks that
# tests/e2e/test_frameworks.py runs unmodified behind the bridge.
# libsystemd-dev: sd_notify readiness; systemd: the unit directory and systemd-analyze
# (tests/e2e/test_service.py).
# libmicrohttpd-dev: the [metrics] HTTP endpoint; prometheus: promtool checks its page
# (tests/e2e/test_metrics.py).
# clang, libclang-rt-14-dev: the libFuzzer harnesses in fuzz/ (make fuzz, tests/fuzz-smoke).
# profanity, tmux: a person's terminal client running an ad-hoc command, its screen
# read through tmux (tests/e2e/test_adhoc.py).
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
