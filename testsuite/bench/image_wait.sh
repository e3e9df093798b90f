#!/bin/bash
# Benchmark (prints figures; not a timed test): time from the first command
# to the first task running, for an image the gateway does not have, on the
# 3-node harness, side by side in one run:
#   pull-then-submit  `berth pull IMAGE` (follows the pull until READY,
#                     polling every 0.5 s) then `sbatch --image=IMAGE`
#                     (auto_pull = no: what users do today);
#   submit-now        `sbatch --image=IMAGE` at once (auto_pull = wait): the
#                     job waits held and berth-gatewayd releases it.
# Also the delay from READY (the later mtime of <digest>.sqfs/.json) to the
# first task (target for submit-now: <= 2 s).  The image is a real Debian
# root filesystem (mmdebstrap, minbase + BENCH_PACKAGES, about 1 GiB,
# cached in the lab) pushed as one uncompressed layer; every phase pushes
# its own variant (one file differs), so each pull downloads and converts
# everything anew, at the gateway's default settings.
#
#   BERTH_BUILDDIR=$PWD testsuite/bench/image_wait.sh [ROUNDS]
# Starts the harness cluster if it is not running (and stops it then).
# Needs root (wrap it in flock /run/berth-integration.lock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster_lib.sh
. "$here/cluster_lib.sh"
rounds=${1:-1}
packages=${BENCH_PACKAGES:-build-essential,gfortran,libopenmpi-dev,python3-scipy,libopenblas-dev,cmake,git}
util=$here/../integration/gateway_util.py

bench_cluster_up
work=$(mktemp -d "$BERTH_LAB/bench-wait.XXXXXX")
# job output: alice's, fresh (job ids start again with every lab)
out_dir=$(mktemp -d /home/alice/berth-bench-wait.XXXXXX)
chown alice: "$out_dir"
berth_conf=$BERTH_LAB/etc/berth.conf
conf_backup=$work/berth.conf.orig
cp "$berth_conf" "$conf_backup"
cleanup() {
	cp "$conf_backup" "$berth_conf.tmp" && mv -f "$berth_conf.tmp" "$berth_conf"
	reload_job_submit
	scancel -u alice >/dev/null 2>&1 || true
	rm -rf --one-file-system "$work" "$out_dir"
	bench_cluster_down
}
trap cleanup EXIT

# job_submit/berth reads berth.conf when it loads: off and on again
reload_job_submit() {
	sed 's/^JobSubmitPlugins=/#&/' "$SLURM_CONF" >"$SLURM_CONF.tmp" && mv -f "$SLURM_CONF.tmp" "$SLURM_CONF"
	scontrol reconfigure
	sed 's/^#\(JobSubmitPlugins=\)/\1/' "$SLURM_CONF" >"$SLURM_CONF.tmp" && mv -f "$SLURM_CONF.tmp" "$SLURM_CONF"
	scontrol reconfigure
}
set_auto_pull() { # no|wait
	{ grep -v '^auto_pull' "$conf_backup"; echo "auto_pull = $1"; } >"$berth_conf.tmp"
	chmod 0644 "$berth_conf.tmp"
	mv -f "$berth_conf.tmp" "$berth_conf"
	reload_job_submit
}

# ---- the root filesystem, once ------------------------------------------------
rootfs_tar() {
	local cache=$BERTH_LAB/oci/bench-rootfs stamp mirror
	stamp=$(echo "bookworm $packages $(mmdebstrap --version)" | sha256sum | cut -c1-64)
	if [ "$(cat "$cache.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -s "$cache.tar" ]; then
		mirror=$(apt-get indextargets --format '$(URI)' 'Identifier: Packages' 2>/dev/null |
			grep -v -- '-security/' | sed -n 's|/dists/.*||p' | head -n1)
		echo "building the image (mmdebstrap minbase + $packages) ..." >&2
		# shellcheck disable=SC2016 # $1 is mmdebstrap's
		mmdebstrap --quiet --variant=minbase --include="$packages" \
			--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
			bookworm "$cache.tar" "$mirror" >"$work/mmdebstrap.log" 2>&1 ||
			{ tail -n 20 "$work/mmdebstrap.log" >&2; exit 1; }
		echo "$stamp" >"$cache.stamp"
	fi
	echo "$cache.tar"
}
base=$(rootfs_tar)

# A variant of the image under a new tag: one file added to the tar.
push_variant() { # TAG -> digest
	local t=$work/variant.tar
	cp "$base" "$t"
	mkdir -p "$work/id/etc"
	head -c 32 /dev/urandom | base64 >"$work/id/etc/berth-bench-id"
	tar --append -f "$t" -C "$work/id" --owner=0 --group=0 etc/berth-bench-id
	(cd "$here/../integration" && /usr/bin/python3 "$util" push-rootfs "$t" "benchwait:$1")
	rm -f "$t"
}

now() { date +%s.%N; }
ready_time() { # DIGEST -> seconds (mtime of the later published file)
	stat -c %.9Y "$BERTH_LAB/images/$1.sqfs" "$BERTH_LAB/images/$1.json" | sort -n | tail -n1
}
# first task's start, as the task itself saw it
task_start() { # JOBID
	local out=$out_dir/$1.out i
	for ((i = 0; i < 6000; i++)); do
		[ -s "$out" ] && { head -n1 "$out"; return 0; }
		sleep 0.1
	done
	echo "job $1 wrote nothing" >&2
	return 1
}
wait_done() { # JOBID
	local i
	for ((i = 0; i < 6000; i++)); do
		squeue -h -j "$1" 2>/dev/null | grep -q . || return 0
		sleep 0.1
	done
}

phase() { # NAME -> "total ready_delay size"
	local name=$1 tag image digest t0 t1 job ready
	tag="$name-$RANDOM$RANDOM"
	image="docker:$BERTH_REGISTRY/benchwait:$tag"
	digest=$(push_variant "$tag")
	if [ "$name" = pull-then-submit ]; then
		set_auto_pull no
		t0=$(now)
		as_alice "$BERTH_LAB/build/berth" pull "$image" >/dev/null
		job=$(as_alice sbatch --parsable "--output=$out_dir/%j.out" "--image=$image" --wrap 'srun -n1 date +%s.%N')
	else
		set_auto_pull wait
		t0=$(now)
		job=$(as_alice sbatch --parsable "--output=$out_dir/%j.out" "--image=$image" --wrap 'srun -n1 date +%s.%N' 2>/dev/null)
	fi
	t1=$(task_start "$job")
	wait_done "$job"
	ready=$(ready_time "$digest")
	echo "$(echo "$t1 - $t0" | bc) $(echo "$t1 - $ready" | bc) $(stat -c %s "$BERTH_LAB/images/$digest.sqfs")"
}

printf 'image: %s MiB rootfs tar (%s)\n' "$(($(stat -c %s "$base") >> 20))" "$packages"
printf '%-18s %5s %14s %16s %10s\n' phase round 'sbatch->task s' 'READY->task s' 'sqfs MiB'
for ((r = 1; r <= rounds; r++)); do
	for p in pull-then-submit submit-now; do
		read -r total delay size < <(phase "$p")
		printf '%-18s %5d %14.2f %16.2f %10d\n' "$p" "$r" "$total" "$delay" $((size >> 20))
	done
done
