#!/bin/sh
# fresh-check.sh - runs the README's two commands the way a newcomer meets them.
# It builds a fresh Debian bookworm (debootstrap, minbase + sudo + git) in a
# scratch directory, clones the current commit into it as an ordinary user who
# may use sudo, and runs `sudo sh scripts/demo.sh`, then `sudo sh
# scripts/test.sh`. It passes when the demo showed real replies and the tests
# ended with "N passed, 0 failed".
#
# Usage: sudo sh scripts/fresh-check.sh          (slow: 15-40 minutes)
# Needs root, debootstrap, git and util-linux's unshare on the host. Packages come
# from the Debian mirror named in the host's /etc/apt/sources.list*.
# Environment:
#   FRESH_MIRROR   the mirror for debootstrap (default: the host's bookworm entry)
#   FRESH_TIMEOUT  limit for the whole check, seconds (default 3600)
#   FRESH_KEEP=1   keep the scratch directory (chroot and logs) afterwards
#   FRESH_DIR      where to make the scratch directory (default /var/tmp)
#
# The chroot runs in its own mount and PID namespaces (unshare): its proc, devpts
# and shm mounts are unmounted by a trap, and vanish with the namespace in any
# case; when the time runs out every process in it is killed. A policy-rc.d
# keeps package scripts from starting services (Prosody, php-fpm) in the chroot.
# Only commits are checked: uncommitted changes are not in the clone.
set -eu

suite=bookworm
user=newcomer

log() { echo "fresh-check: $*"; }
die() {
	echo "fresh-check: $*" >&2
	exit 1
}

# The mirror lines of the host: "URI SUITE" for every enabled Debian entry, from
# one-line (.list) and deb822 (.sources) files.
host_mirrors() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			print $i, $(i + 1) }' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'function flush() { if (deb && enabled) for (u in uris) for (s in suites)
				print uris[u], suites[s]
			deb = 0; enabled = 1; split("", uris); split("", suites) }
		BEGIN { enabled = 1 }
		/^[ \t]*$/ { flush(); next }
		/^#/ { next }
		tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
		tolower($1) == "enabled:" { enabled = ($2 != "no") }
		tolower($1) == "uris:" { for (i = 2; i <= NF; i++) uris[i] = $i }
		tolower($1) == "suites:" { for (i = 2; i <= NF; i++) suites[i] = $i }
		END { flush() }' "$f"
	done
}

# ---- inside: PID 1 of fresh mount and PID namespaces ----------------------------
inside() {
	work=$1
	root=$work/root
	mounted=""
	umount_all() {
		for m in $mounted; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done
		mounted=""
	}
	trap 'umount_all' EXIT
	trap 'umount_all; exit 143' TERM INT HUP

	log "debootstrap $suite (minbase, sudo, git) from $FRESH_MIRROR"
	debootstrap --variant=minbase --include=sudo,git "$suite" "$root" "$FRESH_MIRROR" \
		>"$work/debootstrap.log" 2>&1 || {
		tail -n 20 "$work/debootstrap.log" >&2
		die "debootstrap failed (log: $work/debootstrap.log)"
	}

	# The machine as a fresh install leaves it: apt sources, name resolution, a
	# user with sudo. No service may start inside the chroot.
	grep -E " $suite(-updates|-security)?\$" "$work/mirrors" |
		awk '{ print "deb", $1, $2, "main" }' >"$root/etc/apt/sources.list"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	printf '127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
		"$(hostname)" >"$root/etc/hosts"
	printf '#!/bin/sh\n# fresh-check: no service starts in this chroot.\nexit 101\n' \
		>"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	chroot "$root" useradd -m -s /bin/bash "$user"
	echo "$user ALL=(ALL) NOPASSWD: ALL" >"$root/etc/sudoers.d/$user"
	chmod 440 "$root/etc/sudoers.d/$user"

	mkdir -p "$root/proc" "$root/sys" "$root/dev/pts" "$root/dev/shm"
	mount -t proc proc "$root/proc" && mounted="$root/proc $mounted"
	mount -t sysfs -o ro sysfs "$root/sys" && mounted="$root/sys $mounted"
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts" &&
		mounted="$root/dev/pts $mounted"
	mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm" && mounted="$root/dev/shm $mounted"
	[ -c "$root/dev/null" ] || die "debootstrap made no $root/dev/null"

	cp "$work/src.bundle" "$root/tmp/xmpp-cgi.bundle"
	chmod 644 "$root/tmp/xmpp-cgi.bundle"
	# In the background, so that a TERM (the time limit) runs the trap at once.
	as_user() {
		chroot "$root" /usr/sbin/runuser -l "$user" -c "LANG=C.UTF-8; export LANG; $1" &
		wait $!
	}
	as_user 'git -c advice.detachedHead=false clone -q /tmp/xmpp-cgi.bundle xmpp-cgi' || die "git clone failed"
	log "cloned $(as_user 'git -C xmpp-cgi log --oneline -1')"

	status=0
	log "running: sudo sh scripts/demo.sh (log: $work/demo.log)"
	if as_user 'cd xmpp-cgi && sudo sh scripts/demo.sh' >"$work/demo.log" 2>&1; then
		:
	else
		log "demo.sh exited with status $?"
		status=1
	fi
	replies=$(grep -c '^  alice receives:' "$work/demo.log" || true)
	if [ "$replies" -ge 1 ] &&
		grep -q 'route echo: iq demo-1 from alice@localhost: status 200' "$work/demo.log"; then
		log "demo: $replies replies received, the echo route answered"
	else
		tail -n 30 "$work/demo.log" >&2
		log "demo: no real exchange in $work/demo.log"
		status=1
	fi
	check_no_services "after the demo" || status=1

	log "running: sudo sh scripts/test.sh (log: $work/test.log)"
	as_user 'cd xmpp-cgi && sudo sh scripts/test.sh' >"$work/test.log" 2>&1 || true
	last=$(tail -n 1 "$work/test.log")
	case $last in
	[0-9]*" passed, 0 failed")
		[ "${last%% *}" -gt 0 ] || status=1
		log "tests: $last"
		;;
	*)
		tail -n 30 "$work/test.log" >&2
		log "tests: did not end with 'N passed, 0 failed': $last"
		status=1
		;;
	esac
	check_no_services "after the tests" || status=1
	umount_all
	exit $status
}

# Every process in the chroot's PID namespace but PID 1 (this shell) is a
# leftover: a service a package started, or something a command forgot to stop.
check_no_services() {
	left=""
	for d in "$root"/proc/[0-9]*; do
		pid=${d##*/}
		[ "$pid" = 1 ] && continue
		cmd=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
		[ -n "$cmd" ] || continue
		left="$left
  $pid $cmd"
	done
	if [ -n "$left" ]; then
		log "processes still running $1:$left"
		return 1
	fi
	log "no process left running $1"
}

if [ "${1:-}" = "--inside" ]; then
	inside "$2"
fi

# ---- outside: prepare, run the inside with a time limit, clean up ---------------
# In a function, so that the shell has read all of it before it starts: editing the
# script during a run cannot change what the run does (the inside runs a copy).
outside() {
	[ "$(id -u)" = 0 ] || die "run as root: sudo sh scripts/fresh-check.sh"
	for tool in debootstrap git unshare timeout chroot findmnt; do
		command -v "$tool" >/dev/null 2>&1 ||
			die "$tool not found (apt install debootstrap git util-linux coreutils)"
	done
	top=$(cd "$(dirname "$0")/.." && pwd)
	limit=${FRESH_TIMEOUT:-3600}
	[ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] ||
		log "note: uncommitted changes are not checked (the clone is of HEAD)"

	mkdir -p "${FRESH_DIR:-/var/tmp}"
	work=$(mktemp -d "${FRESH_DIR:-/var/tmp}/xmpp-cgi-fresh.XXXXXX")
	# shellcheck disable=SC2317 # run by the EXIT trap
	cleanup() {
		# Mounts live in the child's namespace and die with it; make sure before
		# removing anything that nothing is mounted below the scratch directory.
		if findmnt -rn -o TARGET | grep -q "^$work/"; then
			log "still mounted below $work; not removing it"
		elif [ "${FRESH_KEEP:-0}" = 1 ]; then
			log "kept $work"
		else
			rm -rf --one-file-system "$work"
		fi
	}
	trap cleanup EXIT
	trap 'exit 143' TERM INT HUP

	if [ -n "${FRESH_MIRROR:-}" ]; then
		echo "$FRESH_MIRROR $suite" >"$work/mirrors"
	else
		host_mirrors | sort -u >"$work/mirrors"
		FRESH_MIRROR=$(awk -v s="$suite" '$2 == s { print $1; exit }' "$work/mirrors")
		[ -n "$FRESH_MIRROR" ] || die "no '$suite' entry in /etc/apt/sources.list*; set FRESH_MIRROR"
	fi
	export FRESH_MIRROR
	cp "$top/scripts/fresh-check.sh" "$work/fresh-check.sh"
	git -C "$top" bundle create "$work/src.bundle" HEAD 2>/dev/null || die "git bundle failed"

	log "scratch directory $work, time limit ${limit}s"
	set +e
	timeout --kill-after=60 "$limit" \
		unshare --mount --pid --fork --kill-child=TERM --propagation private \
		sh "$work/fresh-check.sh" --inside "$work"
	rc=$?
	set -e
	case $rc in
	0) log "PASS: both README commands work on a fresh $suite" ;;
	124 | 137) log "FAIL: time limit of ${limit}s reached (logs in $work)" ;;
	*) log "FAIL (status $rc; logs in $work)" ;;
	esac
	[ $rc = 0 ] || FRESH_KEEP=1
	exit $rc
}

outside "$@"
