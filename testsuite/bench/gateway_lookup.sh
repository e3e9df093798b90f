#!/bin/bash
# Benchmark (prints figures; not a timed test): lookups per second through
# the client library (client/gateway_client.c, as job_submit uses it: one
# connection and one fresh munge credential per lookup) against the real
# berth-gatewayd, with 1, 2 and 4 client threads (gateway_lookup_bench.c).
#
#   BERTH_BUILDDIR=$PWD testsuite/bench/gateway_lookup.sh [SECONDS]
#       starts a private munged, a docker-registry with one small image and
#       the daemon (as nobody), pulls the image with `berth pull`; needs root
#       (gateway_lookup_env.py)
#   BERTH_BUILDDIR=$PWD BERTH_GATEWAY=http://10.77.0.1:7050 \
#       testsuite/bench/gateway_lookup.sh SECONDS REF
#       a running gateway (e.g. the harness's); REF must be READY for you
# BENCH_THREADS (default "1 2 4") sets the thread counts.  Private daemon only:
# BENCH_LISTEN_ADDR=IP listens on another local address (e.g. this host's
# eth0 address: like the harness's 10.77.0.1, not loopback, so the kernel's
# TIME_WAIT reuse for loopback does not apply), BENCH_MUNGE_SOCKET=PATH uses
# that munged (e.g. the system's), BENCH_GATEWAY_CONF="key=value;..." adds
# daemon settings.
set -euo pipefail
: "${BERTH_BUILDDIR:?set BERTH_BUILDDIR to the build tree}"
here=$(cd "$(dirname "$0")" && pwd)
driver=$BERTH_BUILDDIR/testsuite/bench/gateway_lookup_bench
seconds=${1:-5}
read -r -a threads <<<"${BENCH_THREADS:-1 2 4}"

make -s -C "$BERTH_BUILDDIR" testsuite/bench/gateway_lookup_bench >/dev/null
echo "gateway_lookup: $(nproc) CPUs, ${seconds} s per run, client threads: ${threads[*]}"
if [ -n "${BERTH_GATEWAY:-}" ]; then
	ref=${2:?with BERTH_GATEWAY give SECONDS and a READY REF}
	echo "gateway_lookup: $BERTH_GATEWAY, $ref"
	for n in "${threads[@]}"; do
		"$driver" "$BERTH_GATEWAY" "$ref" "$seconds" "$n"
	done
else
	exec /usr/bin/python3 "$here/gateway_lookup_env.py" "$driver" "$seconds" "${threads[@]}"
fi
