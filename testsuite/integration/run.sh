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

export BERTH_LAB=${BERTH_LAB:-/var/tmp/berth-check}
cd "$BERTH_SRCDIR/testsuite/integration"
# -p no:cacheprovider: leave nothing behind in the source tree
exec /usr/bin/python3 -m pytest -p no:cacheprovider -ra -v "$@" .
