#!/bin/bash
# shellcheck disable=SC2016 # awk programs in single quotes
# Benchmark (prints figures): container_setup.sh on every Slurm release the
# harness knows - the host's (22.05) and, through testsuite/harness/release.sh,
# 24.11 and 26.05 in their chroots - one after the other in one run, then a
# table side by side.  Default settings (the harness's slurm.conf and
# berth.conf, zstd squashfs from the gateway), same machine, same images.
#
#   testsuite/bench/releases.sh [JOBS]     (root; BERTH_BUILDDIR: the host's build)
# SRUN_PAIRS (default 15) is passed on to container_setup.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${BERTH_BUILDDIR:?set BERTH_BUILDDIR to the build tree of the host}"
jobs=${1:-20}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

releases=()
for rel in $("$top/testsuite/harness/release.sh" list | cut -f1); do
	if [ "$("$top/testsuite/harness/release.sh" suite "$rel")" = host ]; then
		echo "== Slurm $rel (host)"
		flock /run/berth-integration.lock "$here/container_setup.sh" "$jobs" | tee "$out/$rel"
	else
		echo "== Slurm $rel (chroot)"
		"$top/testsuite/harness/release.sh" bench "$rel" container_setup.sh "$jobs" | tee "$out/$rel"
	fi
	releases+=("$rel")
done

field() { # FILE AWK-PROGRAM
	awk "$2" "$1" | head -n1
}
echo
printf '%-8s %18s %18s %12s %12s %7s\n' Slurm "setup small (ms)" "setup large (ms)" "srun plain" "srun image" ratio
for rel in "${releases[@]}"; do
	f=$out/$rel
	printf '%-8s %18s %18s %10s s %10s s %7s\n' "$rel" \
		"$(field "$f" '/^small/ {print $(NF-2)}')" "$(field "$f" '/^large/ {print $(NF-2)}')" \
		"$(field "$f" '/^srun/ {gsub(",", ""); print $7}')" \
		"$(field "$f" '/^srun/ {gsub(",", ""); print $11}')" \
		"$(field "$f" '/^srun/ {gsub(",", ""); print $14}')"
done
