#!/bin/bash
# Run the integration suite (pytest) against a real cluster started by the
# harness.  Called by `make check` (check-local) with BERTH_BUILDDIR and
# BERTH_SRCDIR set.  Needs root: it starts munged, slurmctld, three slurmd
# and a registry, and submits jobs as the ordinary users alice and bob.
set -euo pipefail
: "${BERTH_BUILDDIR:?}" "${BERTH_SRCDIR:?}"

if [ -n "${BERTH_SKIP_INTEGRATION:-}" ]; then
	echo "integration: skipped (BERTH_SKIP_INTEGRATION is set)"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "integration: needs root (it runs a Slurm cluster); set BERTH_SKIP_INTEGRATION=1 to skip" >&2
	exit 1
fi

# One cluster at a time on this machine (its ports, bridge and cgroups are
# global; a chroot of another release shares them): hold the lock for the whole
# suite, unless a caller (`flock /run/berth-integration.lock make check`,
# release.sh) already holds it and passed it down to us as an open file.
lock=/run/berth-integration.lock
lock_inherited() {
	local fd want
	want=$(stat -L -c '%d:%i' "$lock" 2>/dev/null) || return 1
	for fd in "/proc/$$/fd"/*; do
		[ "$(stat -L -c '%d:%i' "$fd" 2>/dev/null)" = "$want" ] && return 0
	done
	return 1
}
if ! lock_inherited; then
	exec 7>>"$lock"
	if ! flock -n 7; then
		echo "integration: waiting for $lock (another integration run holds it)"
		flock 7
	fi
fi

export BERTH_LAB=${BERTH_LAB:-/var/tmp/berth-check}
cd "$BERTH_SRCDIR/testsuite/integration"
# -p no:cacheprovider: leave nothing behind in the source tree
exec /usr/bin/python3 -m pytest -p no:cacheprovider -ra -v "$@" .
