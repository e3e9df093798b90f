#!/bin/bash
# Benchmark (prints figures; not a timed test): what the per-job sshd adds
# to job start.
#   - per node, from the job_container plugin's log: "sshd prepared in X ms"
#     (bundle check, host key, configs) + "listening ... after Y ms" (start
#     until the sshd accepts connections); median of X+Y over the jobs' nodes;
#   - end to end: `srun --exclusive -N3 --image true` (an sshd on each node)
#     against `srun -N3 --image true` (shared: no sshd), median wall time.
#
#   BERTH_BUILDDIR=$PWD testsuite/bench/sshd_start.sh [JOBS]   (default 10)
# Starts the harness cluster if it is not running and stops it afterwards
# if it started it.  Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster_lib.sh
. "$here/cluster_lib.sh"
jobs=${1:-10}

bench_cluster_up
trap bench_cluster_down EXIT
image=id:$("$cluster" sqfs busybox 2>/dev/null | tail -1)


# An exclusive job waits for the previous job's nodes to be idle, a shared
# one does not: start every job on idle nodes, so only the start is timed.
wait_idle() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(sinfo -h -N -o %T | sort -u)" = idle ] && return 0
		sleep 0.05
	done
}

wall_s() { # ARGS... -> wall seconds of each of JOBS `srun -N3 ARGS true`, one per line
	local t0 t1
	for _ in $(seq "$jobs"); do
		wait_idle
		t0=$(date +%s.%N)
		as_alice srun -N3 "$@" --image="$image" true 2>/dev/null >/dev/null
		t1=$(date +%s.%N)
		echo "$t1 - $t0" | bc
	done
}

logs=("$BERTH_LAB"/log/slurmd-n*.log)
declare -A offset
for f in "${logs[@]}"; do offset[$f]=$(stat -c %s "$f"); done

with=$(wall_s --exclusive)
without=$(wall_s)

# per node (one log per node) and job: prepared X + listening Y
node_ms=$(for f in "${logs[@]}"; do
	tail -c +$((offset[$f] + 1)) "$f" | awk '
		match($0, /job [0-9]+: sshd prepared in [0-9.]+/) {
			split(substr($0, RSTART, RLENGTH), w, " "); p[w[2]] = w[6] }
		match($0, /job [0-9]+: sshd \(pid [0-9]+\) listening on port [0-9]+ after [0-9.]+/) {
			split(substr($0, RSTART, RLENGTH), w, " "); if (w[2] in p) print p[w[2]] + w[11] }'
done)
listen_ms=$(for f in "${logs[@]}"; do tail -c +$((offset[$f] + 1)) "$f"; done |
	grep -o 'listening on port [0-9]* after [0-9.]* ms' | awk '{print $(NF-1)}')
prep_ms=$(for f in "${logs[@]}"; do tail -c +$((offset[$f] + 1)) "$f"; done |
	grep -o 'sshd prepared in [0-9.]* ms' | awk '{print $(NF-1)}')

echo "berth per-job sshd: start cost ($jobs jobs x 3 nodes)"
printf '  node: sshd prepared (key, configs)   median %6s ms  (%s samples)\n' "$(median <<<"$prep_ms")" "$(wc -l <<<"$prep_ms")"
printf '  node: sshd start until listening     median %6s ms  (%s samples)\n' "$(median <<<"$listen_ms")" "$(wc -l <<<"$listen_ms")"
printf '  node: sum                            median %6s ms\n' "$(median <<<"$node_ms")"
w=$(median <<<"$with")
wo=$(median <<<"$without")
printf '  srun -N3 --image true: exclusive (sshd) %.3f s, shared (no sshd) %.3f s, difference %+.3f s (medians of %s)\n' \
	"$w" "$wo" "$(echo "$w - $wo" | bc -l)" "$jobs"
