#!/bin/bash
# Benchmark (prints figures; not a timed test): submission with and without
# job_submit_berth.so in the same run.  JOBS `sbatch --hold --image=TAG`
# per phase, one after another as alice, in rounds (without+with,
# with+without, ...) so that drift and order hit both phases alike; the
# controller's JobSubmitPlugins is switched by `scontrol reconfigure` between
# rounds (and checked: a job of the "with" phase has the pin in its
# AdminComment, one of the "without" phase has none).  The SPANK plugin runs
# in sbatch in both phases: the difference is the pinning in slurmctld.
# The image is READY in the gateway; the cache is warm (lookup_cache_ttl
# of the harness: a tag is looked up again every few seconds).
#
# Prints jobs/s of each phase, their ratio (with / without; target >= 0.95)
# and p50/p99 of one sbatch's wall time in each phase and their difference
# (the added latency; target p50 <= 5 ms), and the time spent inside
# job_submit/berth per job (from its "pinned ... in N us" log lines), which
# does not depend on the noise of a shared machine.
#
#   BERTH_BUILDDIR=$PWD testsuite/bench/submit_rate.sh [JOBS [ROUNDS]]
# Starts the harness cluster if it is not running and stops it afterwards
# if it started it.  Needs root (wrap it in flock /run/berth-integration.lock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster_lib.sh
. "$here/cluster_lib.sh"
jobs=${1:-500}
rounds=${2:-10}
per_round=$((jobs / rounds))
[ $((per_round * rounds)) = "$jobs" ] || { echo "JOBS must be a multiple of ROUNDS" >&2; exit 2; }

bench_cluster_up
work=$(mktemp -d)
conf_backup=
cleanup() {
	if [ -n "$conf_backup" ]; then
		cp "$conf_backup" "$SLURM_CONF.tmp" && mv -f "$SLURM_CONF.tmp" "$SLURM_CONF"
		scontrol reconfigure >/dev/null 2>&1
	fi
	scancel -u alice >/dev/null 2>&1 || true
	rm -rf "$work"
	bench_cluster_down
}
trap cleanup EXIT
image="docker:$BERTH_REGISTRY/busybox:latest"

# ---- the image, READY in the gateway ------------------------------------------
gateway() { # PATH [JSON] as alice
	local cred
	cred=$(runuser -u alice -- munge -n)
	curl -sf --noproxy '*' -H "authentication: $cred" -H 'Content-Type: application/json' \
		${2:+-d "$2"} "$BERTH_GATEWAY$1"
}
gateway /api/v1/pull "{\"ref\":\"$image\"}" >/dev/null
for ((i = 0; i < 600; i++)); do
	gateway /api/v1/lookup "{\"ref\":\"$image\"}" | grep -q '"status":"READY"' && break
	sleep 0.1
done
gateway /api/v1/lookup "{\"ref\":\"$image\"}" | grep -q '"status":"READY"' || { echo "$image not READY" >&2; exit 1; }

# ---- switching the plugin -------------------------------------------------------
conf_backup=$work/slurm.conf.orig
cp "$SLURM_CONF" "$conf_backup"
set_plugin() { # on|off (slurm.conf replaced in one rename: slurmd may be re-reading it)
	if [ "$1" = on ]; then
		cp "$conf_backup" "$SLURM_CONF.tmp"
	else
		sed 's/^JobSubmitPlugins=.*/# JobSubmitPlugins off (submit_rate.sh)/' "$conf_backup" >"$SLURM_CONF.tmp"
	fi
	chmod 0644 "$SLURM_CONF.tmp"
	mv -f "$SLURM_CONF.tmp" "$SLURM_CONF"
	scontrol reconfigure >/dev/null
	local id comment
	id=$("$cluster" run-as alice sbatch --parsable --hold --image="$image" -o /dev/null --wrap true)
	comment=$(scontrol show job "$id" | grep -o 'AdminComment=[^ ]*' || true)
	scancel "$id"
	case $1:$comment in
	on:AdminComment=image=*@sha256:*) ;;
	off:) ;;
	*) echo "plugin $1: unexpected '$comment' for job $id" >&2; exit 1 ;;
	esac
}

drain() {
	scancel -u alice >/dev/null 2>&1 || true
	for ((i = 0; i < 300; i++)); do
		[ -z "$(squeue -h -u alice -o %i 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	echo "jobs left in the queue" >&2
	exit 1
}

# N sequential submissions as alice; one line per sbatch: microseconds.
submit_round() { # N OUTFILE
	# shellcheck disable=SC2016 # expanded by the inner bash
	runuser -u alice -- env -i PATH=/usr/bin:/bin SLURM_CONF="$SLURM_CONF" IMAGE="$image" N="$1" \
		bash -c 'cd /tmp
			for ((i = 0; i < N; i++)); do
				t0=${EPOCHREALTIME/./}
				sbatch --hold --image="$IMAGE" -o /dev/null --wrap true >/dev/null || exit 1
				t1=${EPOCHREALTIME/./}
				echo $((t1 - t0))
			done' >>"$2"
}

: >"$work/off"
: >"$work/on"
ctld_log=$BERTH_LAB/log/slurmctld.log
log_offset=$(stat -c %s "$ctld_log")
declare -A total_us=([off]=0 [on]=0)
for ((r = 0; r < rounds; r++)); do
	order="off on"
	[ $((r % 2)) = 1 ] && order="on off"
	for phase in $order; do
		set_plugin "$phase"
		drain
		# one untimed submission warms the cache (and the client's page cache)
		"$cluster" run-as alice sbatch --hold --image="$image" -o /dev/null --wrap true >/dev/null
		t0=$(date +%s%N)
		submit_round "$per_round" "$work/$phase"
		t1=$(date +%s%N)
		total_us[$phase]=$((total_us[$phase] + (t1 - t0) / 1000))
	done
done
drain

pct() { # FILE P -> value (us) at percentile P (nearest rank)
	sort -n "$1" | awk -v p="$2" '{a[NR]=$1} END {i=int((p/100)*NR+0.999999); if (i<1) i=1; print a[i]}'
}
ms() { awk -v u="$1" 'BEGIN {printf "%.2f", u/1000}'; }

for phase in off on; do
	n=$(wc -l <"$work/$phase")
	printf '%-22s %4d jobs in %7.2f s = %7.1f jobs/s; sbatch p50 %s ms, p99 %s ms\n' \
		"$([ $phase = on ] && echo 'with job_submit/berth' || echo 'without')" "$n" \
		"$(awk -v u="${total_us[$phase]}" 'BEGIN {print u/1e6}')" \
		"$(awk -v n="$n" -v u="${total_us[$phase]}" 'BEGIN {print n/(u/1e6)}')" \
		"$(ms "$(pct "$work/$phase" 50)")" "$(ms "$(pct "$work/$phase" 99)")"
done
awk -v a="${total_us[off]}" -v b="${total_us[on]}" \
	'BEGIN {printf "throughput ratio (with/without): %.3f (target >= 0.95)\n", a/b}'
printf 'added latency of one sbatch: p50 %s ms (target <= 5), p99 %s ms\n' \
	"$(ms $(($(pct "$work/on" 50) - $(pct "$work/off" 50))))" \
	"$(ms $(($(pct "$work/on" 99) - $(pct "$work/off" 99))))"
tail -c +$((log_offset + 1)) "$ctld_log" | grep -o 'pinned to sha256:[0-9a-f]* .*in [0-9]* us' |
	awk '{print $NF == "us" ? $(NF-1) : $NF}' >"$work/inside"
tail -c +$((log_offset + 1)) "$ctld_log" | grep 'pinned to sha256:' | grep -vc '(cached)' >"$work/misses" || true
printf 'inside job_submit/berth: %d jobs, p50 %s us, p99 %s us, max %s us; %s gateway lookups (cache misses)\n' \
	"$(wc -l <"$work/inside")" "$(pct "$work/inside" 50)" "$(pct "$work/inside" 99)" \
	"$(sort -n "$work/inside" | tail -1)" "$(cat "$work/misses")"
