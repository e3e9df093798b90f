# shellcheck shell=bash
# cluster_lib.sh - sourced by the benchmarks that run on the harness cluster:
# the cluster is started if it is not running (and stopped by
# bench_cluster_down only if it was started here); helpers shared by them.
cluster=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../harness/cluster.sh
export BERTH_LAB=${BERTH_LAB:-/var/tmp/berth-bench}
: "${BERTH_BUILDDIR:?set BERTH_BUILDDIR to the build tree}"
bench_started=0

bench_cluster_up() {
	if ! "$cluster" status >/dev/null 2>&1; then
		"$cluster" start >/dev/null
		bench_started=1
	fi
	eval "$("$cluster" env)"
}

bench_cluster_down() {
	if [ "$bench_started" = 1 ]; then "$cluster" stop >/dev/null; fi
}

as_alice() { "$cluster" run-as alice "$@"; }

# Median of the numbers on stdin, one a line ("n/a" for none).
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "n/a"}'; }
