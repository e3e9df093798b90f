#!/bin/bash
# packages.sh - the release tarball and the Debian packages, built and
# checked: CI's "packages" phase (.ci/run), `make check-packages`.  Needs root
# (the chroot of the install test).  The host's apt sources and dpkg state
# are never touched, nor this tree (it works on a copy).
#
#   packages.sh            dist, deb, install and demo, in order; prints what each took
#   packages.sh dist       `make distcheck` on a copy of the files git knows: the
#                          tarball configured, built and unit-tested out of tree
#                          (never the integration suite); every tracked file in it
#   packages.sh deb        the Debian packages built from that tarball
#                          (dpkg-buildpackage -us -uc -b, DEB_BUILD_OPTIONS=nocheck),
#                          lintian (fails on errors), rpmspec -P of rpm/berth.spec
#   packages.sh rpm        the RPMs built from the same tarball with Debian's rpm
#                          (rpmbuild -tb --nodeps --without check, the systemd
#                          scriptlet macros empty: Debian has no
#                          systemd-rpm-macros); checks what each RPM holds
#                          and that the plugins require the exact Slurm release
#   packages.sh install    the .debs installed in a fresh chroot of the host's
#                          Debian release (package_test.sh in it: the programs
#                          run, files where they belong, srun loads berth.so,
#                          remove keeps the configuration, purge leaves only
#                          what Debian policy keeps)
#   packages.sh demo       the harness's demo (make demo: a 3-node cluster, jobs with
#                          --image) run on the packaged files: the .debs unpacked at
#                          their paths (BERTH_LAB_DEBS), not the build; own lab, stopped
#
# The chroot: a base made with mmdebstrap (minbase + the packages' dependencies,
# from the Debian mirror the host's apt uses, chroot.sh mirror), cached under
# $BERTH_CHROOT_DIR/<suite>-pkg and made again when the dependencies, the mirror
# or mmdebstrap change (BERTH_CHROOT_REFRESH=1: always); each test runs in a
# throwaway overlay over it, in a private mount namespace that takes its mounts
# with it.
#
# Environment: BERTH_PKG_DIR (default /var/tmp/berth-pkg): the copy, the
# builds, the tarball (dist/), the .debs (deb/) and logs; BERTH_CHROOT_DIR
# (default /var/tmp/berth-chroot).
set -euo pipefail

HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$HARNESS/../.." && pwd)
OUT=${BERTH_PKG_DIR:-/var/tmp/berth-pkg}
BASE=${BERTH_CHROOT_DIR:-/var/tmp/berth-chroot}
JOBS=$(nproc)
PKG_FORMAT=1 # bump when the base's mmdebstrap options change
OUR_PACKAGES=(berth-slurm-plugins berth-gatewayd berth)
# in the base besides the packages' dependencies: srun (the SPANK plugin
# loaded by the Slurm it was built for) and the Lua interpreters (the modules)
TEST_PACKAGES=(slurm-client lua5.4 lua5.1)

say() { printf 'packages: %s\n' "$*"; }
die() {
	printf 'packages: error: %s\n' "$*" >&2
	exit 1
}
usage() {
	sed -n '2,21s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

timed() { # WHAT CMD...
	local what=$1 t0=$SECONDS rc=0
	shift
	"$@" || rc=$?
	say "$what: $((SECONDS - t0)) s$([ $rc = 0 ] || echo " (failed, exit $rc)")"
	return $rc
}

log_fail() { # LOG MESSAGE
	tail -n 60 "$1" >&2
	die "$2 (log: $1)"
}

version() { sed -n 's/^AC_INIT(\[berth\], \[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac"; }

# ---- dist -------------------------------------------------------------------
# The files git knows, as they are in the work tree (committed or not).
copy_sources() { # DST
	install -d -m 0755 "$1"
	(cd "$SRCDIR" && git ls-files -z -co --exclude-standard) |
		(cd "$SRCDIR" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
		(cd "$SRCDIR" && tar --null --verbatim-files-from -T - -cf -) | tar -C "$1" -xf -
}

cmd_dist() {
	local v tarball missing log=$OUT/distcheck.log
	git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1 || die "$SRCDIR is not a git work tree"
	v=$(version)
	[ -n "$v" ] || die "no version in configure.ac"
	rm -rf --one-file-system "$OUT/src" "$OUT/obj" "$OUT/dist"
	install -d -m 0755 "$OUT" "$OUT/obj" "$OUT/dist"
	copy_sources "$OUT/src"
	(cd "$OUT/src" && ./autogen.sh) >"$OUT/autogen.log" 2>&1 || log_fail "$OUT/autogen.log" "autogen.sh failed"
	# the same flags as distcheck's own build (Makefile.am)
	# shellcheck disable=SC2016 # configure's ${libdir}, expanded by make
	(cd "$OUT/obj" && ../src/configure --quiet --disable-integration --disable-fuzzing \
		--with-slurm-plugindir='${libdir}/slurm') >"$OUT/configure.log" 2>&1 ||
		log_fail "$OUT/configure.log" "configure failed"
	say "make distcheck (berth $v, log $log)"
	# The unit tests; not the registry client's live tests against real
	# registries (80 s, pytest: CI's make check runs them; that their files
	# are in the tarball is checked below)
	BERTH_SKIP_REGISTRY_TESTS=1 make -C "$OUT/obj" -j"$JOBS" distcheck >"$log" 2>&1 ||
		log_fail "$log" "make distcheck failed"
	tarball=$OUT/obj/berth-$v.tar.gz
	{ [ -f "$tarball" ] && grep -q "berth-$v archives ready for distribution" "$log"; } ||
		log_fail "$log" "make distcheck made no berth-$v.tar.gz"
	# it really ran the unit tests (a distcheck with no tests passes as well)
	grep -Eq '^# PASS: +[1-9]' "$log" || log_fail "$log" "make distcheck ran no test"
	! grep -Eq '^# (FAIL|XPASS|ERROR): +[1-9]' "$log" || log_fail "$log" "failed tests in make distcheck"
	say "distcheck: $(grep -E '^# (TOTAL|PASS|SKIP):' "$log" | tr -s ' ' | paste -sd' ')"
	# every tracked file is in the tarball (.gitignore aside): EXTRA_DIST lacks nothing
	missing=$(LC_ALL=C comm -23 \
		<(git -C "$SRCDIR" ls-files -co --exclude-standard | grep -vx -e .gitignore | LC_ALL=C sort) \
		<(tar -tzf "$tarball" | sed "s|^berth-$v/||" | LC_ALL=C sort))
	[ -z "$missing" ] || die "tracked files missing from $tarball (add them to EXTRA_DIST): $(echo "$missing" | paste -sd' ')"
	mv "$tarball" "$OUT/dist/"
	rm -rf --one-file-system "$OUT/src" "$OUT/obj"
	say "dist: $OUT/dist/berth-$v.tar.gz ($(tar -tzf "$OUT/dist/berth-$v.tar.gz" | wc -l) entries)"
}

# ---- deb --------------------------------------------------------------------
cmd_deb() {
	local v tarball arch changes n p log=$OUT/deb/build.log lint=$OUT/deb/lintian.log rc=0
	v=$(version)
	tarball=$OUT/dist/berth-$v.tar.gz
	[ -f "$tarball" ] || die "no $tarball (packages.sh dist first)"
	arch=$(dpkg --print-architecture)
	rm -rf --one-file-system "$OUT/deb"
	install -d -m 0755 "$OUT/deb"
	tar -C "$OUT/deb" -xzf "$tarball"
	# the source package too, for lintian's source checks (before the build)
	(cd "$OUT/deb/berth-$v" && dpkg-source -b .) >"$OUT/deb/source.log" 2>&1 ||
		log_fail "$OUT/deb/source.log" "dpkg-source -b failed"
	say "dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=nocheck, log $log)"
	(cd "$OUT/deb/berth-$v" && DEB_BUILD_OPTIONS="nocheck parallel=$JOBS" dpkg-buildpackage -us -uc -b) \
		>"$log" 2>&1 || log_fail "$log" "dpkg-buildpackage failed"
	changes=$OUT/deb/berth_${v}_$arch.changes
	[ -f "$changes" ] || log_fail "$log" "no $changes"
	n=0
	for p in "${OUR_PACKAGES[@]}"; do
		[ -f "$OUT/deb/${p}_${v}_$arch.deb" ] || die "no ${p}_${v}_$arch.deb"
		say "  $(dpkg-deb -f "$OUT/deb/${p}_${v}_$arch.deb" Package Version Depends | paste -sd' ')"
		n=$((n + 1))
	done
	rm -rf --one-file-system "$OUT/deb/berth-$v"
	# lintian: errors fail; warnings and the rest are shown
	lintian --fail-on error --display-info "$changes" "$OUT/deb/berth_$v.dsc" 2>&1 |
		grep -v '^running with root privileges is not recommended!$' >"$lint" || rc=${PIPESTATUS[0]}
	cat "$lint"
	[ "$rc" = 0 ] || die "lintian: errors (exit $rc)"
	say "lintian: $(grep -c '^[EWI]: ' "$lint" || true) tags ($(grep -c '^E: ' "$lint" || true) errors, $(grep -c '^W: ' "$lint" || true) warnings)"
	# the RPM spec parses, with the release's version
	command -v rpmspec >/dev/null || die "rpmspec not found (install-deps.sh installs rpm)"
	p=$(rpmspec -P "$SRCDIR/rpm/berth.spec" 2>&1) || { echo "$p" >&2; die "rpmspec -P rpm/berth.spec failed"; }
	grep -Eq "^Version: +$v\$" <<<"$p" || die "rpm/berth.spec: not at version $v"
	grep -Eq '^Requires: +slurm(\(x86-64\))? = [0-9]+\.[0-9]+\.[0-9]+$' <<<"$p" ||
		die "rpm/berth.spec: berth-slurm-plugins does not require an exact Slurm release: $(grep '^Requires: *slurm' <<<"$p")"
	say "deb: $n packages in $OUT/deb; rpmspec -P rpm/berth.spec: ok"
}

# ---- rpm --------------------------------------------------------------------
# What rpmbuild on Debian can show: the spec builds from the release tarball,
# installs where RHEL-family sites expect (%{_libdir}/slurm, %{_unitdir}) and
# the plugins' package requires the Slurm it was built against.  Not checked
# here: the BuildRequires (--nodeps: Debian's packages are not RPMs), the
# systemd scriptlets (macros defined empty), an install on RHEL/Fedora.
rpm_has() { # RPM PATH...: each PATH is in RPM's file list
	local rpm=$1 files f
	shift
	files=$(rpm -qpl "$rpm" 2>/dev/null)
	for f in "$@"; do
		grep -qx -- "$f" <<<"$files" || die "$(basename "$rpm") lacks $f"
	done
}

cmd_rpm() {
	local v tarball top=$OUT/rpm log=$OUT/rpm/build.log libdir slurm req rpms arch
	v=$(version)
	tarball=$OUT/dist/berth-$v.tar.gz
	[ -f "$tarball" ] || die "no $tarball (packages.sh dist first)"
	command -v rpmbuild >/dev/null || die "rpmbuild not found (install-deps.sh installs rpm)"
	rm -rf --one-file-system "$top"
	install -d -m 0755 "$top"
	say "rpmbuild -tb --nodeps --without check (log $log)"
	rpmbuild -tb --nodeps --without check --define "_topdir $top" --define "_smp_mflags -j$JOBS" \
		--define 'systemd_post() %{nil}' --define 'systemd_preun() %{nil}' \
		--define 'systemd_postun_with_restart() %{nil}' --define 'systemd_postun() %{nil}' \
		"$tarball" >"$log" 2>&1 || log_fail "$log" "rpmbuild -tb failed"
	arch=$(rpm --eval '%{_arch}')
	rpms=$top/RPMS/$arch
	libdir=$(rpm --eval '%{_libdir}')
	# the Slurm built against, as the spec reads it (0x160508: 22.05.8)
	slurm=$(sed -n 's/^#define SLURM_VERSION_NUMBER //p' /usr/include/slurm/slurm_version.h)
	[ -n "$slurm" ] || die "no SLURM_VERSION_NUMBER in /usr/include/slurm/slurm_version.h"
	slurm=$(printf '%d.%02d.%d' $((slurm >> 16)) $(((slurm >> 8) & 255)) $((slurm & 255)))
	rpm_has "$rpms/berth-$v-1.$arch.rpm" /usr/bin/berth /usr/share/man/man1/berth.1
	rpm_has "$rpms/berth-gatewayd-$v-1.$arch.rpm" /usr/sbin/berth-gatewayd \
		/etc/berth/berth-gateway.conf /usr/lib/systemd/system/berth-gatewayd.service \
		/var/lib/berth/gateway /var/lib/berth/images
	rpm_has "$rpms/berth-slurm-plugins-$v-1.$arch.rpm" "$libdir/slurm/berth.so" \
		"$libdir/slurm/job_submit_berth.so" "$libdir/slurm/job_container_berth.so" \
		"$libdir/lua/5.4/berth.so" /usr/share/man/man5/berth.conf.5
	req=$(rpm -qp --requires "$rpms/berth-slurm-plugins-$v-1.$arch.rpm" 2>/dev/null |
		grep -E '^slurm(\(|[[:space:]])' || true)
	grep -Eq "^slurm(\([^)]*\))? = $slurm\$" <<<"$req" ||
		die "berth-slurm-plugins requires \"$req\", not slurm = $slurm exactly"
	say "rpm: 3 RPMs in $rpms (files where RHEL-family sites expect them; berth-slurm-plugins: $req)"
}

# ---- install ----------------------------------------------------------------
debs() { # the .debs to install (not the -dbgsym)
	local v arch p
	v=$(version)
	arch=$(dpkg --print-architecture)
	for p in "${OUR_PACKAGES[@]}"; do
		[ -f "$OUT/deb/${p}_${v}_$arch.deb" ] || die "no $OUT/deb/${p}_${v}_$arch.deb (packages.sh deb first)"
		echo "$OUT/deb/${p}_${v}_$arch.deb"
	done
}

# What the base chroot gets: the packages' dependencies (first alternative,
# without versions) but themselves, and the test's own.
base_packages() {
	local d
	{
		for d in $(debs); do dpkg-deb -f "$d" Depends; dpkg-deb -f "$d" Pre-Depends; done | tr ',' '\n' |
			sed -e 's/|.*//' -e 's/(.*//' -e 's/\[.*//' -e 's/:any//' -e 's/[[:space:]]//g'
		printf '%s\n' "${TEST_PACKAGES[@]}"
	} | grep -v '^$' | grep -vxF -f <(printf '%s\n' "${OUR_PACKAGES[@]}") | LC_ALL=C sort -u
}

base_key() { # SUITE MIRROR
	{
		echo "suite $1 format $PKG_FORMAT"
		echo "mirror $2"
		echo "mmdebstrap $(mmdebstrap --version 2>/dev/null)"
		base_packages
	} | sha256sum | cut -c1-16
}

make_base() { # SUITE MIRROR DIR
	local suite=$1 mirror=$2 dir=$3 key
	key=$(base_key "$suite" "$mirror")
	if [ "${BERTH_CHROOT_REFRESH:-0}" != 1 ] && [ -f "$dir/key" ] && [ "$(cat "$dir/key")" = "$key" ] &&
		[ -x "$dir/root/bin/bash" ]; then
		say "base chroot $suite: up to date ($dir/root, made $(date -r "$dir/key" '+%F %T'))"
		return 0
	fi
	command -v mmdebstrap >/dev/null || die "mmdebstrap not found (install-deps.sh installs it)"
	install -d -m 0755 "$dir"
	rm -rf --one-file-system "$dir/root.new"
	say "base chroot $suite: making $dir/root from $mirror ($(base_packages | wc -l) packages; log $dir/create.log)"
	mmdebstrap --mode=root --format=directory --variant=minbase \
		--aptopt='APT::Install-Recommends "false"' \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--include="$(base_packages | paste -sd,)" \
		"$suite" "$dir/root.new" "$mirror" >"$dir/create.log" 2>&1 ||
		{ rm -rf --one-file-system "$dir/root.new"; log_fail "$dir/create.log" "mmdebstrap failed"; }
	rm -f "$dir/key"
	rm -rf --one-file-system "$dir/root"
	mv "$dir/root.new" "$dir/root"
	echo "$key" >"$dir/key"
}

# In a private mount namespace: the overlay, /proc, /dev; then the test.
overlay_run() { # ROOT RUN
	local root=$1 run=$2 m=$2/merged
	mount -t overlay berth-pkg -o "lowerdir=$root,upperdir=$run/upper,workdir=$run/work" "$m"
	mount -t proc -o nosuid,nodev,noexec proc "$m/proc"
	mount --rbind /dev "$m/dev"
	mount -t tmpfs -o nosuid,nodev,mode=0755 run "$m/run"
	chroot "$m" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive /bin/bash /tmp/berth-pkgtest/package_test.sh
}

cmd_install() {
	[ "$(id -u)" = 0 ] || die "'install' needs root (the chroot)"
	local suite mirror dir run d rc=0
	suite=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
	mirror=$("$HARNESS/chroot.sh" mirror)
	dir=$BASE/$suite-pkg
	debs >/dev/null
	timed "base chroot" make_base "$suite" "$mirror" "$dir"
	run=$(mktemp -d "$dir/run.XXXXXX")
	install -d -m 0755 "$run/upper" "$run/work" "$run/merged"
	install -d -m 1777 "$run/upper/tmp"
	install -d -m 0755 "$run/upper/tmp/berth-pkgtest"
	for d in $(debs); do install -m 0644 "$d" "$run/upper/tmp/berth-pkgtest/"; done
	install -m 0755 "$HARNESS/package_test.sh" "$run/upper/tmp/berth-pkgtest/"
	unshare --mount --propagation private --fork -- "$0" __overlay "$dir/root" "$run" || rc=$?
	rm -rf --one-file-system "$run"
	[ $rc = 0 ] || die "the install test failed in a $suite chroot (exit $rc)"
}

# ---- demo -------------------------------------------------------------------
# The harness's demo (3-node cluster, gateway, registry; jobs with --image)
# with the packaged files instead of a build: the .debs unpacked at their
# paths (BERTH_LAB_DEBS, lib.sh), in a lab of its own, stopped after.
cmd_demo() {
	[ "$(id -u)" = 0 ] || die "'demo' needs root (the cluster)"
	local lab=$OUT/lab log=$OUT/demo.log rc=0 j
	debs >/dev/null
	# one cluster at a time on this machine (integration/run.sh takes it too)
	exec 8>>/run/berth-integration.lock
	flock -n 8 || { say "waiting for /run/berth-integration.lock"; flock 8; }
	rm -rf --one-file-system "$lab"
	BERTH_LAB=$lab BERTH_LAB_DEBS=$OUT/deb BERTH_BUILDDIR=$SRCDIR "$HARNESS/demo.sh" >"$log" 2>&1 || rc=$?
	BERTH_LAB=$lab BERTH_LAB_DEBS=$OUT/deb BERTH_BUILDDIR=$SRCDIR "$HARNESS/cluster.sh" stop >>"$log" 2>&1 ||
		{ [ $rc != 0 ] || rc=1; }
	exec 8>&-
	# the jobs' output files the demo left in alice's home
	while read -r j; do
		rm -f "/home/alice/berth-demo-$j.out" "/home/alice/berth-demo-ssh-$j.out"
	done < <(sed -n 's/^job \([0-9]*\): [A-Z_]*$/\1/p' "$log")
	[ $rc = 0 ] || log_fail "$log" "the demo with the packages failed (exit $rc)"
	[ "$(grep -c '^job [0-9]*: COMPLETED$' "$log")" = 2 ] || log_fail "$log" "the demo's two jobs did not complete"
	grep -q '^AdminComment=image=docker:.*@sha256:' "$log" || log_fail "$log" "the demo's job was not pinned"
	grep -q "debs=$OUT/deb" "$log" || log_fail "$log" "the demo did not run the packages"
	rm -rf --one-file-system "$lab"
	say "demo with the packages: 2 jobs COMPLETED (a 3-node --image job pinned to its digest, an ssh job), the refusals; log $log"
}

cmd_all() {
	local t0=$SECONDS
	timed "dist (make distcheck)" cmd_dist
	timed "deb (dpkg-buildpackage, lintian, rpmspec)" cmd_deb
	timed "rpm (rpmbuild -tb on Debian's rpm)" cmd_rpm
	timed "install test (chroot)" cmd_install
	timed "demo with the packages (3-node cluster)" cmd_demo
	say "all passed in $((SECONDS - t0)) s"
}

main() {
	case ${1:-all} in
	all) cmd_all ;;
	dist) cmd_dist ;;
	deb) cmd_deb ;;
	rpm) cmd_rpm ;;
	install) cmd_install ;;
	demo) cmd_demo ;;
	__overlay) overlay_run "$2" "$3" ;;
	-h | --help | help) usage ;;
	*) die "unknown command '$1' (dist deb rpm install demo)" ;;
	esac
}

main "$@"
