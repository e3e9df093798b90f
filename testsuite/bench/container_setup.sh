#!/bin/bash
# Benchmark (prints figures; not a timed test): per-node container setup at
# allocation for a small and a large image (median over N jobs, from the
# job_container plugin's "container ready ... in X ms" log line), and
# `srun -N3 -n6 true` inside the container against the same without --image.
#
#   BERTH_BUILDDIR=$PWD testsuite/bench/container_setup.sh [JOBS]
# Starts the harness cluster if it is not running and stops it afterwards
# if it started it.  Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster_lib.sh
. "$here/cluster_lib.sh"
jobs=${1:-20}

bench_cluster_up
trap bench_cluster_down EXIT

small=$("$cluster" sqfs busybox 2>/dev/null | tail -1)

# A large image: the small one plus ~1 GB of incompressible data in 2000 files.
large_dir=$BERTH_LAB/bench-large
if [ ! -f "$BERTH_LAB/bench-large.digest" ]; then
	rm -rf "$large_dir" && mkdir -p "$large_dir"
	unsquashfs -q -f -d "$large_dir/root" "$BERTH_LAB/images/$small.sqfs" >/dev/null
	mkdir -p "$large_dir/root/data"
	for i in $(seq 2000); do head -c 512K /dev/urandom >"$large_dir/root/data/f$i"; done
	mksquashfs "$large_dir/root" "$large_dir/img.sqfs" -noappend -quiet -no-progress -comp zstd >/dev/null
	large="sha256:$(sha256sum "$large_dir/img.sqfs" | cut -c1-64)"
	mv "$large_dir/img.sqfs" "$BERTH_LAB/images/$large.sqfs"
	jq --arg d "$large" '.digest = $d' "$BERTH_LAB/images/$small.json" >"$BERTH_LAB/images/$large.json"
	chmod 0644 "$BERTH_LAB/images/$large".*
	echo "$large" >"$BERTH_LAB/bench-large.digest"
	rm -rf "$large_dir"
fi
large=$(cat "$BERTH_LAB/bench-large.digest")


setup_ms() { # DIGEST -> per-node setup times (ms) of JOBS 3-node jobs (a digest is run by no other phase before)
	local digest=$1 ids=()
	for _ in $(seq "$jobs"); do
		ids+=("$(as_alice sbatch --parsable -N3 -o /dev/null --image="id:$digest" --wrap 'srun true')")
	done
	for id in "${ids[@]}"; do
		while as_alice squeue -h -j "$id" 2>/dev/null | grep -q .; do sleep 0.1; done
	done
	cat "$BERTH_LAB"/log/slurmd-n*.log | grep -o "container ready (id:$digest) in [0-9.]* ms" | awk '{print $(NF-1)}'
}

# Until the three nodes are idle again (the previous job's epilog done):
# otherwise a srun can land while they are still completing and waits for
# the next scheduling pass (~1 s), which measures the race, not the job.
nodes_idle() {
	local i
	for i in $(seq 100); do
		[ "$(sinfo -h -t idle -o %D 2>/dev/null)" = 3 ] && return 0
		sleep 0.05
	done
}

srun_once() { # ARGS... -> wall seconds of one `srun -N3 -n6 ARGS true` (its own allocation: prolog and container build included)
	local t0 t1
	nodes_idle
	t0=$(date +%s.%N)
	as_alice srun -N3 -n6 "$@" true >/dev/null
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

echo "berth container setup benchmark ($jobs jobs x 3 nodes per image)"
small_size=$(du -h "$BERTH_LAB/images/$small.sqfs" | cut -f1)
large_size=$(du -h "$BERTH_LAB/images/$large.sqfs" | cut -f1)
printf '%-28s %10s %14s %8s\n' image size "median setup" samples
s=$(setup_ms "$small"); printf '%-28s %10s %11s ms %8s\n' "small (busybox)" "$small_size" "$(median <<<"$s")" "$(wc -l <<<"$s")"
l=$(setup_ms "$large"); printf '%-28s %10s %11s ms %8s\n' "large (busybox + 1 GB)" "$large_size" "$(median <<<"$l")" "$(wc -l <<<"$l")"

# Interleaved pairs, so that load drifting over the run (this machine is
# shared) weighs on both sides alike.
srun_once >/dev/null
srun_once --image="id:$small" >/dev/null
pairs=${SRUN_PAIRS:-15}
for _ in $(seq "$pairs"); do
	echo "plain $(srun_once)"
	echo "image $(srun_once --image="id:$small")"
done >"$BERTH_LAB/srun-times"
plain=$(awk '$1 == "plain" {print $2}' "$BERTH_LAB/srun-times" | median)
inimage=$(awk '$1 == "image" {print $2}' "$BERTH_LAB/srun-times" | median)
printf 'srun -N3 -n6 true: without --image %.3f s, with --image %.3f s, ratio %.2f (medians of %d interleaved pairs)\n' \
	"$plain" "$inimage" "$(echo "$inimage / $plain" | bc -l)" "$pairs"
