#!/bin/bash
# chroot.sh - Debian chroots of other releases, so the harness and the tests
# run on another Slurm (release.sh maps a Slurm release to its suite).  Needs
# root.  The host's apt sources and dpkg state are never touched: mmdebstrap
# uses its own apt state and the Debian mirror the host's apt already uses.
#
#   chroot.sh create SUITE       make $BERTH_CHROOT_DIR/SUITE/root with mmdebstrap,
#                                or reuse it if made from the same suite and package list
#   chroot.sh run SUITE CMD...   run CMD as root inside a session of the chroot; with
#                                no session started, a private one that ends with CMD
#   chroot.sh start SUITE        start a session that outlives the commands (make demo)
#   chroot.sh stop SUITE         end it: whatever still runs in it is killed
#   chroot.sh status [SUITE]     chroots and sessions
#   chroot.sh destroy SUITE      remove the chroot
#   chroot.sh packages SUITE     the packages a chroot of SUITE gets
#   chroot.sh mirror             the Debian mirror chroots are made from (packages.sh)
#
# A session is a mount + pid namespace whose root is the chroot (pivot_root);
# it has /proc (its own), /sys (rbind, the cgroup v1 hierarchies with it),
# /dev (rbind: loop devices, /dev/pts), a fresh tmpfs on /run (so /run/netns,
# /run/munge are the chroot's own), /tmp emptied, and the source tree read-only
# at its host path.  The host's /run/berth-integration.lock and
# /run/berth-harness.lock are bound into /run, so a cluster in the chroot and
# one on the host exclude each other (the network namespaces' bridge, the
# ports and the slurm_n* cgroups are the host's).  When the holder dies every
# process of the session dies and its mounts go with its mount namespace;
# `stop` then removes a bridge or empty slurm_n* cgroup the session created.
#
# The mirror may be a snapshot older than a week: sid's Release file would then
# be "expired" (Valid-Until); it is still signature-checked, so the date check
# is off (Acquire::Check-Valid-Until).
#
# Environment: BERTH_CHROOT_DIR (default /var/tmp/berth-chroot),
# BERTH_CHROOT_MIRROR (default: the host's Debian mirror from its apt sources),
# BERTH_CHROOT_REFRESH=1 (make the chroot again even if it is up to date).
set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HARNESS/../.." && pwd)
BASE=${BERTH_CHROOT_DIR:-/var/tmp/berth-chroot}
SUITES=(trixie sid) # what the release map (release.sh) uses; others work too
# Not on the host list (install-deps.sh --list) because Debian 12 has them as
# required packages already: minbase's set of later suites may not.
CHROOT_EXTRA=(passwd mount mawk procps hostname findutils)
CHROOT_FORMAT=1 # bump when the mmdebstrap options change: every chroot is made again
CHROOT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { printf 'chroot: %s\n' "$*"; }
die() {
	printf 'chroot: error: %s\n' "$*" >&2
	exit 1
}
usage() {
	sed -n '2,18s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
need_root() { [ "$(id -u)" = 0 ] || die "'$1' needs root"; }

check_suite() {
	[[ $1 =~ ^[a-z][a-z0-9-]*$ ]] || die "bad suite name '$1'"
}

proc_starttime() { # PID -> start time (field 22 of stat), "" if gone or a zombie
	local stat rest f
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	rest=${stat##*) }
	read -r -a f <<<"$rest"
	[ "${f[0]}" = Z ] || echo "${f[19]}"
}

# ---- the chroot -------------------------------------------------------------
# The Debian mirror of the host's own suite (deb822 .sources, then one-line lists).
host_mirror() {
	local codename f uri
	codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk -v cn="$codename" '
			function flush() { if (uri != "" && deb && suite && !done) { print uri; done = 1; exit } uri = ""; deb = 0; suite = 0 }
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
			/^URIs:/ { if ($2 !~ /security/) uri = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == cn) suite = 1 }
			END { flush() }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk -v cn="$codename" '$1 == "deb" {
			i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++; if ($i ~ /^\[|\]$/) i++
			if ($(i + 1) == cn && $i !~ /security/) { print $i; exit } }' "$f")
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	return 1
}

mirror() {
	if [ -n "${BERTH_CHROOT_MIRROR:-}" ]; then
		echo "$BERTH_CHROOT_MIRROR"
	else
		host_mirror || die "no Debian mirror for this release in /etc/apt/sources.list*; set BERTH_CHROOT_MIRROR"
	fi
}

# The host's list, with a suite's names where they differ (none so far: every
# name exists in trixie and sid; add a case here when one is renamed).
suite_packages() { # SUITE
	local p
	{
		"$HARNESS/install-deps.sh" --list
		printf '%s\n' "${CHROOT_EXTRA[@]}"
	} | while read -r p; do
		case $1:$p in
		*) echo "$p" ;;
		esac
	done | LC_ALL=C sort -u
}

# What a chroot is made from: the cache key.
chroot_key() { # SUITE
	{
		echo "suite $1 format $CHROOT_FORMAT"
		echo "mirror $(mirror)"
		echo "mmdebstrap $(mmdebstrap --version 2>/dev/null)"
		suite_packages "$1"
	} | sha256sum | cut -c1-16
}

# A chroot is complete once its key is written (after mmdebstrap succeeded).
made() { [ -f "$1/key" ] && [ -x "$1/root/bin/bash" ]; }

chroot_mounts() { # DIR -> mounts under it in this mount namespace
	findmnt -rn -o TARGET | awk -v d="$1" 'index($1, d "/") == 1 || $1 == d'
}

cmd_create() {
	[ $# = 1 ] || usage
	need_root create
	local suite=$1 dir key t0 pkgs hook
	check_suite "$suite"
	dir=$BASE/$suite
	command -v mmdebstrap >/dev/null || "$HARNESS/install-deps.sh"
	key=$(chroot_key "$suite")
	if [ "${BERTH_CHROOT_REFRESH:-0}" != 1 ] && [ -f "$dir/key" ] && [ "$(cat "$dir/key")" = "$key" ] &&
		made "$dir"; then
		say "$suite: up to date ($dir/root, made $(date -r "$dir/key" '+%F %T'))"
		return 0
	fi
	session_pid "$suite" >/dev/null && die "$suite: a session is running (chroot.sh stop $suite first)"
	[ -z "$(chroot_mounts "$dir")" ] || die "$suite: mounts under $dir: $(chroot_mounts "$dir" | tr '\n' ' ')"
	install -d -m 0755 "$BASE" "$dir"
	rm -rf --one-file-system "$dir/root.new"
	pkgs=$(suite_packages "$suite" | paste -sd,)
	# shellcheck disable=SC2016 # $1 is the hook's argument (the new root)
	hook='cp /etc/hosts "$1/etc/hosts"'
	say "$suite: making $dir/root from $(mirror) ($(suite_packages "$suite" | wc -l) packages; log in $dir/create.log)"
	t0=$SECONDS
	if ! mmdebstrap --mode=root --format=directory --variant=minbase \
		--aptopt='APT::Install-Recommends "false"' --include="$pkgs" \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--customize-hook="$hook" \
		"$suite" "$dir/root.new" "$(mirror)" >"$dir/create.log" 2>&1; then
		tail -n 30 "$dir/create.log" >&2
		rm -rf --one-file-system "$dir/root.new"
		die "$suite: mmdebstrap failed (log: $dir/create.log)"
	fi
	rm -f "$dir/key"
	rm -rf --one-file-system "$dir/root"
	mv "$dir/root.new" "$dir/root"
	echo "$key" >"$dir/key"
	say "$suite: made in $((SECONDS - t0)) s ($(du -sh --one-file-system "$dir/root" | cut -f1)): $(slurm_version_in "$dir/root")"
}

slurm_version_in() { # ROOT
	local v
	# shellcheck disable=SC2016 # a dpkg-query format
	v=$(chroot "$1" dpkg-query -W -f='${Version}' slurmctld 2>/dev/null) || v=none
	echo "Slurm $v"
}

cmd_destroy() {
	[ $# = 1 ] || usage
	need_root destroy
	check_suite "$1"
	session_pid "$1" >/dev/null && die "$1: a session is running (chroot.sh stop $1 first)"
	[ -z "$(chroot_mounts "$BASE/$1")" ] || die "$1: mounts under $BASE/$1"
	rm -rf --one-file-system "${BASE:?}/$1"
	say "$1: removed"
}

cmd_packages() {
	[ $# = 1 ] || usage
	suite_packages "$1"
}

# ---- sessions ---------------------------------------------------------------
session_file() { echo "/run/berth-chroot.$1.session"; }

session_pid() { # SUITE -> pid of the live holder
	local f pid st
	f=$(session_file "$1")
	[ -f "$f" ] || return 1
	read -r pid st <"$f" || return 1
	[ -n "$pid" ] && [ "$(proc_starttime "$pid")" = "$st" ] || return 1
	echo "$pid"
}

# Shared things of the host a session may create: noted before, compared after.
shared_state() {
	ip -o link show br-berth 2>/dev/null | cut -d: -f2 | tr -d ' '
	find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d -name 'slurm_n*' 2>/dev/null
}

# pid 1 of the session, in the new mount + pid namespace: mounts, then
# pivot_root into the chroot.  Not chroot(2): whatever enters a mount
# namespace (setns, nsenter -m: slurmstepd joining a job's container) lands
# at the namespace's root, which must be the chroot's, not the host's.
holder() { # ROOT SRCDIR
	local root=$1 src=$2 f
	# the new root must be a mount point (pivot_root; and `ip -n`'s
	# mount --make-rslave / refuses a plain directory)
	mount --bind "$root" "$root"
	mount --rbind /dev "$root/dev"
	mount --rbind /sys "$root/sys"
	mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
	mount -t tmpfs -o nosuid,nodev,mode=0755 run "$root/run"
	for f in berth-integration.lock berth-harness.lock; do
		: >"$root/run/$f"
		mount --bind "/run/$f" "$root/run/$f"
	done
	# a host lab's network namespaces and cgroups: cluster.sh in here sees them
	if [ -f /run/berth-harness.owner ]; then
		cp /run/berth-harness.owner "$root/run/"
		cp /run/berth-harness.owner "$root/run/berth-chroot.host-owner"
	fi
	mkdir -p "$root$src"
	mount --bind "$src" "$root$src"
	mount -o remount,bind,ro "$root$src"
	cd "$root"
	mkdir -p .berth-old-root
	pivot_root . .berth-old-root
	# bash as pid 1 reaps the orphans (slurmstepd, daemons' children)
	exec /bin/bash -c 'umount -l /.berth-old-root && rmdir /.berth-old-root && cd / &&
		: >/run/berth-chroot.ready && while :; do sleep 3600 & wait $!; done'
}

# Start a session; prints the holder's pid.  The holder inherits the open
# files but stdio (a lock on fd 8 stays held as long as the session lives).
session_start() { # SUITE
	local suite=$1 root=$BASE/$1/root up i pid='' st f
	made "$BASE/$suite" || die "$suite: no chroot at $root (chroot.sh create $suite)"
	session_pid "$suite" >/dev/null && die "$suite: a session is already running"
	[ -z "$(chroot_mounts "$root")" ] || die "$suite: mounts under $root in the host's namespace: $(chroot_mounts "$root" | tr '\n' ' ')"
	for f in berth-integration.lock berth-harness.lock; do [ -e "/run/$f" ] || : >>"/run/$f"; done
	shared_state >"$BASE/$suite/shared-before"
	# /tmp is the chroot's own directory, part of its root as on the host
	# (a job without --image must see no mount there), emptied per session
	find "$root/tmp" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} +
	setsid unshare --mount --pid --fork --propagation private -- \
		"$HARNESS/chroot.sh" __holder "$root" "$SRCDIR" </dev/null >"$BASE/$suite/session.log" 2>&1 &
	up=$!
	for ((i = 0; i < 100; i++)); do
		[ -n "$pid" ] || pid=$(awk '{print $1}' "/proc/$up/task/$up/children" 2>/dev/null)
		if [ -n "$pid" ] && [ -e "/proc/$pid/root/run/berth-chroot.ready" ]; then
			st=$(proc_starttime "$pid")
			[ -n "$st" ] && echo "$pid $st" >"$(session_file "$suite")" && echo "$pid" && return 0
		fi
		[ -e "/proc/$up" ] || break
		sleep 0.05
	done
	cat "$BASE/$suite/session.log" >&2
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	die "$suite: the session did not start"
}

# A lab the session's cluster.sh left running (its /run/berth-harness.owner):
# stopped through the harness, as the host's would be.  Prints its directory.
session_lab() { # PID
	local owner=/proc/$1/root/run/berth-harness.owner host=/proc/$1/root/run/berth-chroot.host-owner
	[ -f "$owner" ] || return 1
	# copied in from the host at start: the host's lab, not ours
	[ -f /run/berth-harness.owner ] && return 1
	[ -f "$host" ] && [ "$(cat "$host")" = "$(cat "$owner")" ] && return 1
	cat "$owner"
}

# Stop a lab left in the session, kill the holder (the kernel kills the rest
# of the pid namespace; its mounts and network namespaces go with it), then
# remove the bridge and empty slurm_n* cgroups that lab made on the host.
# Nothing shared is swept when the lab was not the session's.
session_stop() { # SUITE
	local suite=$1 pid i n rc=0 d lab='' before=$BASE/$1/shared-before
	if pid=$(session_pid "$suite"); then
		if lab=$(session_lab "$pid"); then
			say "$suite: the session's lab $lab is still up: cluster.sh stop"
			BERTH_LAB=$lab enter "$pid" "$SRCDIR/testsuite/harness/cluster.sh" stop || rc=1
		fi
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 200; i++)); do
			[ -n "$(proc_starttime "$pid")" ] || break
			sleep 0.05
		done
		[ -z "$(proc_starttime "$pid")" ] || { say "$suite: holder $pid did not die" >&2; rc=1; }
	fi
	rm -f "$(session_file "$suite")"
	if [ -n "$lab" ] && [ -f "$before" ] && [ ! -f /run/berth-harness.owner ]; then
		for ((i = 0; i < 50; i++)); do
			n=$(ip -o link show 2>/dev/null | grep -c ': vb-n[0-9]*@' || true)
			[ "$n" = 0 ] && break
			sleep 0.1
		done
		while read -r d; do
			grep -qxF "$d" "$before" && continue
			case $d in
			br-berth) ip link del br-berth && say "$suite: removed the bridge br-berth the session left" ;;
			/sys/fs/cgroup/*)
				find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
				if [ -d "$d" ]; then
					say "$suite: cgroup $d left (not empty)" >&2
					rc=1
				else
					say "$suite: removed the cgroup $d the session left"
				fi
				;;
			esac
		done < <(shared_state)
	fi
	rm -f "$before"
	return $rc
}

# The environment of a command in the chroot: clean, plus BERTH_* and the
# sanitizers' and CI's variables.
session_env() {
	local v
	printf '%s\n' "PATH=$CHROOT_PATH" HOME=/root LANG=C.UTF-8 "TERM=${TERM:-dumb}"
	for v in $(compgen -e); do
		case $v in BERTH_* | CI | ASAN_OPTIONS | UBSAN_OPTIONS | LSAN_OPTIONS) printf '%s\n' "$v=${!v}" ;; esac
	done
}

enter() { # PID CMD...
	local pid=$1 env=()
	shift
	mapfile -t env < <(session_env)
	nsenter --target "$pid" --mount --pid --root --wd -- /usr/bin/env -i "${env[@]}" "$@"
}

cmd_run() {
	[ $# -ge 2 ] || usage
	need_root run
	local suite=$1 pid rc=0
	shift
	check_suite "$suite"
	if pid=$(session_pid "$suite"); then
		enter "$pid" "$@"
		return
	fi
	pid=$(session_start "$suite")
	trap 'session_stop "$suite" || true' EXIT
	trap 'exit 130' INT TERM
	# in the background, so that INT/TERM end the session at once (bash runs
	# traps only between commands); stdin stays ours
	enter "$pid" "$@" <&0 &
	wait $! || rc=$?
	trap - EXIT
	session_stop "$suite" || { [ $rc != 0 ] || rc=1; }
	return $rc
}

cmd_start() {
	[ $# = 1 ] || usage
	need_root start
	check_suite "$1"
	local pid
	pid=$(session_start "$1")
	say "$1: session started (holder pid $pid); 'chroot.sh run $1 CMD' runs in it, 'chroot.sh stop $1' ends it"
}

cmd_stop() {
	[ $# = 1 ] || usage
	need_root stop
	check_suite "$1"
	if ! session_pid "$1" >/dev/null; then
		say "$1: no session running"
		rm -f "$(session_file "$1")"
		return 0
	fi
	session_stop "$1"
	say "$1: session stopped"
}

cmd_status() {
	local s dir pid
	for s in ${1:-"${SUITES[@]}"}; do
		dir=$BASE/$s
		if made "$dir"; then
			echo "$s: $dir/root, $(slurm_version_in "$dir/root"), key $(cat "$dir/key" 2>/dev/null || echo none)$(
				[ "$(cat "$dir/key" 2>/dev/null)" = "$(chroot_key "$s")" ] || echo ' (out of date)')"
		else
			echo "$s: not made"
		fi
		if pid=$(session_pid "$s"); then echo "  session: running (holder pid $pid)"; fi
	done
}

main() {
	[ $# -ge 1 ] || usage
	local cmd=$1
	shift
	case $cmd in
	create) cmd_create "$@" ;;
	run) cmd_run "$@" ;;
	start) cmd_start "$@" ;;
	stop) cmd_stop "$@" ;;
	status) cmd_status "$@" ;;
	destroy) cmd_destroy "$@" ;;
	packages) cmd_packages "$@" ;;
	mirror) mirror ;;
	__holder) holder "$@" ;;
	__key) chroot_key "$1" ;;
	-h | --help | help) usage ;;
	*) die "unknown command '$cmd' (create run start stop status destroy packages mirror)" ;;
	esac
}

main "$@"
