#!/bin/bash
# Benchmark (prints figures; not a timed test): MPI inside the image against
# the same MPI on the host, same cluster, same run.  NODES nodes (default 2),
# one rank each: ping-pong latency (8 B) and bandwidth (4 MiB) between the
# first and the last node, allreduce of 8 B and 1 MiB over all ranks
# (testsuite/integration/tools/mpi_bench.c, best of 5 rounds per run).
#   Open MPI 4.1 (Debian 12), srun --mpi=pmix
#   MPICH 4.0 (Debian 12),    srun --mpi=pmi2
# Inside: the harness's MPI image (testsuite/harness/mpi_image.sh), the
# program compiled there.  Host: the same Debian packages installed on this
# machine (installed here with apt-get when missing), the same source
# compiled with the host's mpicc.  Runs alternate host / image, RUNS each
# (default 5); the table gives medians and the ratio image/host (for
# bandwidth host/image: above 1 is always "slower in the image").
#
#   BERTH_BUILDDIR=$PWD testsuite/bench/mpi.sh [RUNS [NODES]]
# MPI ranks poll while they wait: more ranks than the machine has cores
# measure the scheduler's time slices (milliseconds), not MPI, for host and
# image alike.  The harness's nodes share this machine, so NODES should not
# exceed its cores (2 here); 3 works on a machine with 3 cores or more.
# Each rank gets both cores of its node (-c2): the harness's nodes are the
# same machine, and with ConstrainCores every node's first core is physical
# CPU 0, so one-core ranks would all share CPU 0.
# Needs root; takes /run/berth-integration.lock (one cluster at a time).
# Run it on a quiet machine: the harness's 3 nodes share this machine's
# cores, and MPI ranks poll (a busy machine turns microseconds into
# milliseconds, for host and image alike).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-5}
nodes=${2:-2}
if [ "${BERTH_BENCH_LOCKED:-}" != 1 ]; then
	exec env BERTH_BENCH_LOCKED=1 flock /run/berth-integration.lock "$0" "$@"
fi
# shellcheck source=cluster_lib.sh
. "$here/cluster_lib.sh"

host_mpi() {
	local missing=()
	command -v mpicc.openmpi >/dev/null || missing+=(openmpi-bin libopenmpi-dev)
	command -v mpicc.mpich >/dev/null || missing+=(mpich libmpich-dev)
	if [ ${#missing[@]} -gt 0 ]; then
		echo "installing the host's MPI: ${missing[*]}" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	install -d -m 0755 "$BERTH_LAB/mpi-bench"
	mpicc.openmpi -O2 -o "$BERTH_LAB/mpi-bench/bench.openmpi" "$here/../integration/tools/mpi_bench.c"
	mpicc.mpich -O2 -o "$BERTH_LAB/mpi-bench/bench.mpich" "$here/../integration/tools/mpi_bench.c"
}

host_mpi
bench_cluster_up
trap bench_cluster_down EXIT
image=id:$("$cluster" mpi-image | tail -1)
out=$(mktemp -d)
trap 'rm -rf "$out"; bench_cluster_down' EXIT
trap 'exit 130' INT TERM

one() { # KIND(host|image) MPI(openmpi|mpich) -> appends the figures line to $out/KIND.MPI
	local plugin=pmix args=()
	[ "$2" = mpich ] && plugin=pmi2
	if [ "$1" = image ]; then
		args=(--image="$image" "/usr/local/bin/bench.$2")
	else
		args=("$BERTH_LAB/mpi-bench/bench.$2")
	fi
	as_alice srun -N"$nodes" --ntasks-per-node=1 -c2 --mpi="$plugin" -t 5 "${args[@]}" 2>>"$out/errors" |
		grep '^latency_us=' >>"$out/$1.$2" || echo "run failed: $1 $2" >&2
}

for mpi in openmpi mpich; do
	for ((r = 0; r < runs; r++)); do
		one host "$mpi"
		one image "$mpi"
	done
done

figure() { # FILE NAME -> median
	[ -s "$1" ] || { echo n/a; return; }
	tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | median
}

printf '%-22s %-12s %12s %12s %8s\n' "MPI (launcher)" figure host image ratio
for mpi in openmpi mpich; do
	label="Open MPI 4.1 (pmix)"
	[ "$mpi" = mpich ] && label="MPICH 4.0 (pmi2)"
	for f in latency_us bandwidth_MBps allreduce8_us allreduce1M_us; do
		h=$(figure "$out/host.$mpi" "$f")
		i=$(figure "$out/image.$mpi" "$f")
		ratio=$(awk -v h="$h" -v i="$i" -v f="$f" 'BEGIN {
			if (h == "n/a" || i == "n/a" || h == 0 || i == 0) { print "n/a"; exit }
			printf "%.3f", (f ~ /MBps/) ? h / i : i / h }')
		printf '%-22s %-12s %12s %12s %8s\n' "$label" "$f" "$h" "$i" "$ratio"
	done
done
echo "($nodes nodes, one rank each; $runs runs each, alternating; medians; ratio > 1: slower in the image)"
[ -s "$out/errors" ] && { echo "stderr of the runs (last lines):"; tail -n 5 "$out/errors"; } || true
