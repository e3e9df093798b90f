#!/bin/bash
# release.sh - berth built and tested on another Slurm release: in a chroot of
# the Debian suite that ships it (chroot.sh), with that suite's compiler and
# libslurm-dev, the same harness and the same tests.  `make check
# SLURM_RELEASE=24.11` and `make demo SLURM_RELEASE=...` come here
# (GNUmakefile).  Needs root, except `suite` and `list`.
#
#   release.sh suite RELEASE      the Debian suite of RELEASE, "host" for the host's own
#   release.sh list               the releases this harness knows
#   release.sh build RELEASE      chroot up to date, sources copied into it, configure + make
#   release.sh check RELEASE      build, then `make check`: unit tests + integration suite
#   release.sh integration RELEASE [PYTEST ARGS]  build, then only the integration suite
#   release.sh bench RELEASE SCRIPT [ARGS]  build, then testsuite/bench/SCRIPT in the chroot
#                                 (its own lab, the lock held): the same figures on that Slurm
#   release.sh smoke RELEASE      build (what compiles), start the cluster of that Slurm
#                                 without berth's plugins, a plain sbatch and srun, stop
#   release.sh demo RELEASE       build, then the demo in a session that stays up
#   release.sh demo-stop RELEASE  stop the demo's cluster and its session
#   release.sh shell RELEASE      a root shell in the chroot (the demo's session if up)
#
# Sources: the files git knows in this tree (tracked and untracked, not
# ignored), as they are in the work tree, copied to /build/src in the chroot;
# the build is out of tree in /build/obj (configure --with-slurm=/usr
# --enable-werror $BERTH_CONFIGURE_FLAGS), kept between runs.  The host's tree
# and build are never touched.  The cluster in the chroot uses the same ports,
# bridge and cgroups as the host's: every cluster start holds
# /run/berth-integration.lock (integration/run.sh takes it; smoke and demo here).
# BERTH_RELEASE_CHROOT=1: the host's release too in a chroot of its suite
# (tests the chroot harness itself against the suite the host runs).
set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HARNESS/../.." && pwd)
CHROOT_SH=$HARNESS/chroot.sh
BASE=${BERTH_CHROOT_DIR:-/var/tmp/berth-chroot}
LOCK=/run/berth-integration.lock
# in the chroot
CSRC=/build/src
COBJ=/build/obj

# ---- the release map: the one place that says which suite has which Slurm ----
RELEASES=(22.05 24.11 26.05)
release_suite_map() { # RELEASE -> suite
	case $1 in
	22.05) echo bookworm ;; # Debian 12: the host
	24.11) echo trixie ;;   # Debian 13
	26.05) echo sid ;;      # unstable, 2026-12
	*) return 1 ;;
	esac
}

say() { printf 'release: %s\n' "$*"; }
die() {
	printf 'release: error: %s\n' "$*" >&2
	exit 1
}
usage() {
	sed -n '2,19s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
need_root() { [ "$(id -u)" = 0 ] || die "'$1' needs root"; }

host_release() {
	# shellcheck disable=SC2016 # a dpkg-query format
	dpkg-query -W -f='${Version}' libslurm-dev 2>/dev/null | sed -E 's/^([0-9]+\.[0-9]+).*/\1/'
}

host_codename() { sed -n 's/^VERSION_CODENAME=//p' /etc/os-release; }

# "host" if RELEASE is the host's (its Slurm, or its suite's), else the suite.
release_suite() { # RELEASE
	local suite
	suite=$(release_suite_map "$1") || {
		echo "release: error: no Debian suite known for Slurm '$1' (known: ${RELEASES[*]})" >&2
		return 1
	}
	if [ "${BERTH_RELEASE_CHROOT:-0}" != 1 ] &&
		{ [ "$1" = "$(host_release)" ] || [ "$suite" = "$(host_codename)" ]; }; then
		echo host
	else
		echo "$suite"
	fi
}

cmd_list() {
	local r
	for r in "${RELEASES[@]}"; do
		printf '%s\t%s\t%s\n' "$r" "$(release_suite_map "$r")" "$(release_suite "$r" | sed 's/^host$/(the host)/;t;s/.*/(chroot)/')"
	done
}

# ---- on the host ------------------------------------------------------------
SUITE=
ROOT=
setup() { # RELEASE CMD
	local rel=$1 have
	need_root "$2"
	SUITE=$(release_suite "$rel") || exit 1
	[ "$SUITE" != host ] || die "Slurm $rel is the host's: run 'make $2' without SLURM_RELEASE"
	ROOT=$BASE/$SUITE/root
	timed "chroot $SUITE" "$CHROOT_SH" create "$SUITE"
	# shellcheck disable=SC2016 # a dpkg-query format
	have=$(chroot "$ROOT" dpkg-query -W -f='${Version}' libslurm-dev | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
	[ "$have" = "$rel" ] ||
		die "Debian $SUITE now has Slurm $have, not $rel: update release_suite_map in $0"
}

# The MPI test image is Debian 12's MPI whatever the Slurm release, made with
# mmdebstrap, which the chroots lack: build it on the host straight into the
# lab the chroot's suite uses (kept there while its stamp holds), or copy the
# host's suite's image when it is the same.  The same for the site-MPI test.
mpi_image_for_chroot() {
	command -v mmdebstrap >/dev/null || return 0
	timed "MPI test image (host, for the $SUITE lab)" \
		env BERTH_LAB="$ROOT/var/tmp/berth-check" BERTH_MPI_IMAGE_FROM=/var/tmp/berth-check \
		"$HARNESS/cluster.sh" mpi-image
	# the site-MPI test's image and site libraries likewise (mpi_site.sh)
	timed "site-MPI test (host, for the $SUITE lab)" \
		env BERTH_LAB="$ROOT/var/tmp/berth-check" BERTH_MPI_IMAGE_FROM=/var/tmp/berth-check \
		"$HARNESS/cluster.sh" mpi-site
}

timed() { # WHAT CMD...
	local what=$1 t0=$SECONDS rc=0
	shift
	"$@" || rc=$?
	say "$what: $((SECONDS - t0)) s$([ $rc = 0 ] || echo " (failed, exit $rc)")"
	return $rc
}

# The files git knows, as they are in the work tree, into $ROOT/build/src:
# unchanged files keep their mtime (make rebuilds only what changed), files
# gone since the last copy are removed, generated files (configure, ...) stay.
sync_sources() {
	local dst=$ROOT$CSRC list
	git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1 || die "$SRCDIR is not a git work tree: release.sh copies the files git knows"
	install -d -m 0755 "$dst"
	list=$(mktemp)
	(cd "$SRCDIR" && git ls-files -z -co --exclude-standard) |
		while IFS= read -r -d '' f; do [ -e "$SRCDIR/$f" ] && printf '%s\n' "$f"; done | LC_ALL=C sort >"$list"
	(cd "$SRCDIR" && tar --verbatim-files-from -T "$list" -cf -) | tar -C "$dst" -xf -
	if [ -f "$ROOT/build/src.files" ]; then
		LC_ALL=C comm -23 "$ROOT/build/src.files" "$list" | while IFS= read -r f; do rm -f "$dst/$f"; done
	fi
	mv -f "$list" "$ROOT/build/src.files"
	chmod 0644 "$ROOT/build/src.files"
}

in_chroot() { # CMD... (the copied release.sh's internal commands)
	"$CHROOT_SH" run "$SUITE" "$@"
}

build() { # MODE (strict: make must succeed; lenient: what compiles)
	timed "copy sources" sync_sources
	timed "build in $SUITE" in_chroot "$CSRC/testsuite/harness/release.sh" __build "$1"
}

# Take the integration lock on fd 8 (waits for a running integration suite).
take_lock() {
	exec 8>>"$LOCK"
	if ! flock -n 8; then
		say "waiting for $LOCK (another integration run or demo holds it)"
		flock 8
	fi
}

cmd_build() {
	[ $# = 1 ] || usage
	setup "$1" build
	build strict
}

cmd_check() {
	[ $# = 1 ] || usage
	local t0=$SECONDS
	setup "$1" check
	build strict
	mpi_image_for_chroot
	# before the session starts: it notes the host's lab then (a running one
	# makes cluster.sh in the chroot refuse); run.sh sees the lock passed down
	take_lock
	timed "make check in $SUITE" in_chroot "$CSRC/testsuite/harness/release.sh" __check
	say "Slurm $1 ($SUITE): check passed in $((SECONDS - t0)) s"
}

cmd_integration() {
	[ $# -ge 1 ] || usage
	local rel=$1
	shift
	setup "$rel" integration
	build strict
	mpi_image_for_chroot
	take_lock
	timed "integration suite in $SUITE" in_chroot env "BERTH_BUILDDIR=$COBJ" "BERTH_SRCDIR=$CSRC" \
		"$CSRC/testsuite/integration/run.sh" "$@"
}

cmd_bench() {
	[ $# -ge 2 ] || usage
	local rel=$1 script=$2
	shift 2
	[ -x "$SRCDIR/testsuite/bench/$script" ] || die "no benchmark testsuite/bench/$script"
	setup "$rel" bench
	build strict
	take_lock
	timed "bench $script in $SUITE" in_chroot env "BERTH_BUILDDIR=$COBJ" "BERTH_SRCDIR=$CSRC" \
		${SRUN_PAIRS:+"SRUN_PAIRS=$SRUN_PAIRS"} "$CSRC/testsuite/bench/$script" "$@"
}

cmd_smoke() {
	[ $# = 1 ] || usage
	setup "$1" smoke
	build lenient || true
	take_lock
	timed "smoke in $SUITE" in_chroot "$CSRC/testsuite/harness/release.sh" __smoke
}

cmd_demo() {
	[ $# = 1 ] || usage
	setup "$1" demo
	build strict
	take_lock
	# the session inherits fd 8: the lock is held until demo-stop
	"$CHROOT_SH" start "$SUITE"
	in_chroot env "BERTH_BUILDDIR=$COBJ" "$CSRC/testsuite/harness/demo.sh" || {
		say "the demo failed; its cluster is still up: make demo-stop SLURM_RELEASE=$1 stops it"
		exit 1
	}
	say "the cluster runs in the chroot: 'testsuite/harness/release.sh shell $1' enters it; make demo-stop SLURM_RELEASE=$1 stops it"
}

cmd_demo_stop() {
	[ $# = 1 ] || usage
	local rc=0
	need_root demo-stop
	SUITE=$(release_suite "$1") || exit 1
	[ "$SUITE" != host ] || die "Slurm $1 is the host's: run 'make demo-stop' without SLURM_RELEASE"
	if "$CHROOT_SH" status "$SUITE" | grep -q 'session: running'; then
		in_chroot env "BERTH_BUILDDIR=$COBJ" "$CSRC/testsuite/harness/cluster.sh" stop || rc=1
	fi
	"$CHROOT_SH" stop "$SUITE" || rc=1
	return $rc
}

cmd_shell() {
	[ $# = 1 ] || usage
	need_root shell
	SUITE=$(release_suite "$1") || exit 1
	[ "$SUITE" != host ] || die "Slurm $1 is the host's"
	in_chroot env "BERTH_BUILDDIR=$COBJ" "BERTH_SRCDIR=$CSRC" "PS1=[$SUITE] \\w# " bash --norc -i
}

# ---- in the chroot ----------------------------------------------------------
in_chroot_only() { [ -d "$COBJ" ] || [ "$SRCDIR" = "$CSRC" ] || die "internal command outside the chroot"; }

# configure once per set of flags; automake's rules re-run autoconf/automake
# and config.status when their inputs change.
chroot_build() { # strict|lenient
	local flags
	in_chroot_only
	flags="--with-slurm=/usr --enable-werror ${BERTH_CONFIGURE_FLAGS:-}"
	cd "$CSRC"
	# autogen (automake --add-missing) again when the build system changed:
	# automake's own rebuild rules do not add new auxiliary files (a new test
	# driver, say)
	local inputs
	inputs=$(find . -maxdepth 3 \( -name configure.ac -o -name Makefile.am -o -name '*.mk' \) \
		-print0 | sort -z | xargs -0 cat | md5sum)
	if [ ! -x configure ] || [ "$(cat .berth-autogen 2>/dev/null)" != "$inputs" ]; then
		./autogen.sh >/dev/null
		echo "$inputs" >.berth-autogen
	fi
	install -d "$COBJ"
	cd "$COBJ"
	# shellcheck disable=SC2016 # a dpkg-query format
	say "$(sed -n 's/^PRETTY_NAME="\(.*\)"/\1/p' /etc/os-release), $(gcc --version | head -n1), Slurm $(
		dpkg-query -W -f='${Version}' libslurm-dev)"
	if [ ! -f Makefile ] || [ "$(cat .berth-configure 2>/dev/null)" != "$flags" ]; then
		# shellcheck disable=SC2086 # the flags are words
		"$CSRC/configure" --quiet $flags
		echo "$flags" >.berth-configure
	fi
	if [ "$1" = lenient ]; then
		make -j2 -k --no-print-directory >build.log 2>&1 || {
			grep -E 'error:|Error [0-9]' build.log | head -n 20 >&2
			say "the build failed in part (log $COBJ/build.log); what compiled is used"
			return 1
		}
	else
		make -j2 --no-print-directory
	fi
}

# The unit tests two at a time, then the integration suite alone: `make -j2
# check` would run both at once (check-TESTS and check-local), and on two
# cores unit tests then hit their timeouts.
chroot_check() {
	in_chroot_only
	cd "$COBJ"
	BERTH_SKIP_INTEGRATION=1 make -j2 --no-print-directory check || {
		grep -hE ':[EF]:' testsuite/unit/*.log >&2 || true
		exit 1
	}
	make --no-print-directory check-local
}

# The cluster of this Slurm without berth's plugins: a plain batch job on 3
# nodes (srun inside), and an srun from outside.  The plugins are used as
# soon as they build.
chroot_smoke() {
	in_chroot_only
	local cl=$CSRC/testsuite/harness/cluster.sh rc=0 job state n out
	export BERTH_BUILDDIR=$COBJ BERTH_LAB=${BERTH_LAB:-/var/tmp/berth-smoke}
	export BERTH_LAB_PLUGINS=0
	# the node plugin is job_container_berth.so, namespace_berth.so from 25.11
	if [ -f "$COBJ/plugins/.libs/berth.so" ] && [ -f "$COBJ/plugins/.libs/job_submit_berth.so" ] &&
		{ [ -f "$COBJ/plugins/.libs/job_container_berth.so" ] || [ -f "$COBJ/plugins/.libs/namespace_berth.so" ]; }; then
		BERTH_LAB_PLUGINS=1
	fi
	say "cluster: Slurm $(slurmctld -V | cut -d' ' -f2), berth plugins $([ $BERTH_LAB_PLUGINS = 1 ] && echo on || echo 'off (not built)')"
	"$cl" start
	eval "$("$cl" env)"
	"$cl" run-as alice sinfo -N -o '%N %T %c %m' || rc=1
	job=$("$cl" run-as alice sbatch --parsable -N3 -o 'smoke-%j.out' --wrap 'srun -l hostname; srun -N3 -l id -un') || rc=1
	if [ -n "${job:-}" ]; then
		for ((n = 0; n < 600; n++)); do
			state=$("$cl" run-as alice scontrol show job -o "$job" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
			case $state in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL) break ;; esac
			sleep 0.1
		done
		say "sbatch job $job: $state"
		sed 's/^/  /' "/home/alice/smoke-$job.out" || true
		[ "$state" = COMPLETED ] || rc=1
	fi
	# shellcheck disable=SC2016 # expanded by the task's shell
	out=$("$cl" run-as alice srun -N3 -l sh -c 'echo $SLURMD_NODENAME $(hostname)') || rc=1
	printf '  srun -N3:\n'; printf '%s\n' "$out" | sed 's/^/  /'
	[ "$(printf '%s\n' "$out" | sort | tr '\n' ' ')" = "0: n1 n1 1: n2 n2 2: n3 n3 " ] || rc=1
	"$cl" stop || rc=1
	if [ $rc = 0 ]; then say "smoke: passed"; else say "smoke: FAILED"; fi
	return $rc
}

main() {
	[ $# -ge 1 ] || usage
	local cmd=$1
	shift
	case $cmd in
	suite)
		[ $# = 1 ] || usage
		release_suite "$1"
		;;
	list) cmd_list ;;
	build) cmd_build "$@" ;;
	check) cmd_check "$@" ;;
	integration) cmd_integration "$@" ;;
	bench) cmd_bench "$@" ;;
	smoke) cmd_smoke "$@" ;;
	demo) cmd_demo "$@" ;;
	demo-stop) cmd_demo_stop "$@" ;;
	shell) cmd_shell "$@" ;;
	__build) chroot_build "$@" ;;
	__check) chroot_check ;;
	__smoke) chroot_smoke ;;
	-h | --help | help) usage ;;
	*) die "unknown command '$cmd' (suite list build check integration bench smoke demo demo-stop shell)" ;;
	esac
}

main "$@"
