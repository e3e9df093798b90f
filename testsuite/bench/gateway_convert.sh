#!/bin/bash
# Benchmark (prints figures; not a timed test): converting images with the
# gateway against the usual tool chain, side by side in one run, from a
# local docker-registry, cold (fresh gateway state, no layer cache).
#
#   BERTH_BUILDDIR=$PWD testsuite/bench/gateway_convert.sh [IMAGE ...]
#
# Images: ompi (default) and mpich are real Debian 12 images built here
# from Debian packages (debian_images.sh: mmdebstrap + umoci, two layers;
# ompi is Open MPI + numpy, ~690 MB in ~22000 files); small, medium, large
# and ref are synthetic trees (ref: 5 layers, 2.2 GB in 75000 files).  Images
# are kept in $BENCH_DIR (default /var/tmp/berth-bench-convert) for the next
# run.
#
# Rows, for each compressor of BENCH_COMPRESSION (default "default zstd:3
# zstd:15 lz4 gzip"; "default" is a gateway configured with neither
# compressor nor level, what a site gets: zstd level 1):
#   berth   the gateway core (service_tool pull: download, verify, flatten
#           and compress while downloading, publish);
#   chain   skopeo copy + umoci unpack + mksquashfs at the same compressor,
#           level and block size (parts in the last column);
#   same-layers  (default only) the image's -user twin (ompi-user: the same
#           layers, another config) pulled next by the same gateway;
#   berth pull   (default only, root: BENCH_PULL=0 skips) the real daemon
#           and helper: `berth pull` of the image, cold, then of its twin.
# Columns: wall seconds, CPU seconds (user+sys; the machine is shared, so
# compare CPU too), the image in MB, read: seconds to read every file of the
# loop-mounted squashfs with a cold page cache (root only; it drops the
# whole machine's page cache; BENCH_READ=0 skips), dl: when berth had the
# last layer (with the overlap, wall is about max(dl, conversion)).
# BENCH_TOOL=PATH times another build's service_tool (e.g. an older one).
# BENCH_REGISTRY_RATE=1gbit serves the registry from a network namespace
# behind a link of that rate (tc tbf; root), like a registry across a
# network, where flattening while downloading pays most.
# Needs: docker-registry, skopeo, umoci, mksquashfs, /usr/bin/time, and for
# the real images root and mmdebstrap.
set -euo pipefail
: "${BERTH_BUILDDIR:?set BERTH_BUILDDIR to the build tree}"
here=$(cd "$(dirname "$0")" && pwd)
tool=${BENCH_TOOL:-$BERTH_BUILDDIR/testsuite/gateway/service_tool}
work=${BENCH_DIR:-/var/tmp/berth-bench-convert}
read -r -a runs <<<"${BENCH_COMPRESSION:-default zstd:3 zstd:15 lz4 gzip}"
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(ompi)
root=0
[ "$(id -u)" = 0 ] && root=1
do_read=${BENCH_READ:-$root}
do_pull=${BENCH_PULL:-$root}
# shellcheck source=testsuite/bench/debian_images.sh
. "$here/debian_images.sh"
# shellcheck source=testsuite/bench/convert_registry.sh
. "$here/convert_registry.sh"
registry_host=

[ -n "${BENCH_TOOL:-}" ] || make -s -C "$BERTH_BUILDDIR" testsuite/gateway/service_tool >/dev/null
for t in /usr/bin/docker-registry skopeo umoci /usr/bin/time "$tool"; do
	command -v "$t" >/dev/null || { echo "gateway_convert: missing $t" >&2; exit 1; }
done
have_mksquashfs=1
command -v mksquashfs >/dev/null || have_mksquashfs=0
mkdir -p "$work"
mnt=
cleanup() {
	if [ -n "$mnt" ] && mountpoint -q "$mnt"; then umount "$mnt"; fi
	registry_stop
	rm -rf "$work/run"
}
trap cleanup EXIT

# --------------------------------------------------------------- images
# make_layer DIR MB FILES RANDOM_PCT: MB MiB in FILES files of varied sizes
# (log-normal, like a real root file system; equal sizes would send
# mksquashfs's duplicate check quadratic) in 64 directories, RANDOM_PCT% of
# the bytes random (incompressible), the rest text.
make_layer() {
	/usr/bin/python3 - "$@" <<'PY'
import os, random, sys
d, mb, files, pct = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(f"{d}-{mb}-{files}")
sizes = [rng.lognormvariate(0, 1.5) for _ in range(files)]
scale = (mb << 20) / sum(sizes)
text = "".join(f"{n} lorem ipsum {n * 7919 % 100003} dolor\n" for n in range(200000)).encode()
for i, size in enumerate(sizes):
    size = max(1, int(size * scale))
    sub = os.path.join(d, "bin" if i % 100 < pct else "share", f"d{i % 64:02d}")
    os.makedirs(sub, exist_ok=True)
    if i % 100 < pct:
        data = os.urandom(size)
    else:
        start = rng.randrange(len(text) // 2)
        data = (text[start:] * (size // (len(text) - start) + 1))[:size]
    with open(os.path.join(sub, f"f{i:06d}"), "wb") as f:
        f.write(data)
PY
	ln -s ../share "$1/bin/share-link"
}

declare -A spec=([small]="2 10 250 50" [medium]="3 70 1500 50" [large]="4 280 5500 50"
		[ref]="5 440 15000 30")

# synthetic_image NAME: LAYERS layers of MB MiB in FILES files each
synthetic_image() {
	local name=$1 layers mb files pct i
	read -r layers mb files pct <<<"${spec[$name]}"
	[ -f "$work/$name.pushed" ] && return
	[ -d "$work/oci" ] || umoci init --layout "$work/oci"
	umoci new --image "$work/oci:$name"
	for i in $(seq "$layers"); do
		rm -rf "$work/layer" && mkdir -p "$work/layer/l$i"
		make_layer "$work/layer/l$i" "$mb" "$files" "$pct"
		tar -C "$work/layer" -cf "$work/layer.tar" .
		umoci raw add-layer --image "$work/oci:$name" "$work/layer.tar"
	done
	rm -rf "$work/layer" "$work/layer.tar"
	touch "$work/$name.pushed"
}

# prepare NAME: the image (and a real image's -user twin) in the registry
prepare() {
	local name=$1 t
	if [ -n "${spec[$name]:-}" ]; then
		synthetic_image "$name"
		twin=
	else
		[ "$root" = 1 ] || { echo "gateway_convert: real images need root (mmdebstrap)" >&2; exit 1; }
		debian_image "$name" >&2
		debian_image "$name-user" 2>/dev/null && twin=$name-user || twin=
	fi
	for t in "$name" $twin; do
		skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$work/oci:$t" \
			"docker://$registry_host/bench/$t:v1" >/dev/null
	done
}

# ---------------------------------------------------------------- timing
# time_fields FILE -> "wall_s cpu_s" from /usr/bin/time -v output
time_fields() {
	awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); w=0; for(i=1;i<=n;i++) w=w*60+a[i]}
		/User time/ {u=$2} /System time/ {s=$2}
		END {printf "%.2f %.2f\n", w, u+s}' "$1"
}

# read_time SQFS: seconds to read every file, cold page cache ("-" if not measured)
read_time() {
	local t0 t1
	if [ "$do_read" != 1 ]; then echo -; return; fi
	mnt=$work/run/mnt
	mkdir -p "$mnt"
	mount -t squashfs -o loop,ro "$1" "$mnt"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	t0=$(date +%s.%N)
	tar -C "$mnt" -cf - . | cat >/dev/null
	t1=$(date +%s.%N)
	umount "$mnt"
	mnt=
	echo "$t1 - $t0" | bc | awk '{printf "%.2f", $1}'
}

# berth_pull CONF REF: service_tool pull, timed; sets b_wall b_cpu b_dl
berth_pull() {
	local conf=$1 ref=$2 t0 line pid
	t0=$(date +%s.%N)
	b_dl=-
	/usr/bin/time -v -o "$work/run/time.txt" "$tool" "$conf" pull "$ref" --wait 3600 >"$work/run/pull.json" &
	pid=$!
	# the phase turns to "convert" when the last layer is in
	while read -r line; do
		if [ "$b_dl" = - ] && [[ $line == *'"phase":"convert"'* ]]; then
			b_dl=$(echo "$(date +%s.%N) - $t0" | bc | awk '{printf "%.2f", $1}')
		fi
	done < <(tail -s 0.05 -n +1 -f --pid="$pid" "$work/run/pull.json" 2>/dev/null)
	wait "$pid" || true
	grep -q '"status":"READY"' "$work/run/pull.json" || { cat "$work/run/pull.json" >&2; exit 1; }
	read -r b_wall b_cpu <<<"$(time_fields "$work/run/time.txt")"
}

row() {   # image method comp wall cpu mb read dl parts
	printf '%-9s %-12s %-8s %7s %7s %6s %6s %6s  %s\n' "$@"
}

gateway_conf() {   # DIR COMP LEVEL ("" = not set)
	cat <<EOF
image_dir = $1/images
state_dir = $1/state
insecure_registries = $registry_host
registry_allow = $registry_host
EOF
	[ -z "$2" ] || echo "compressor = $2"
	[ -z "$3" ] || echo "compression_level = $3"
}

# One compressor run on $name: berth, then the chain.
run_one() {
	local run=$1 comp level tag label sq_opts=() mb c parts wall cpu w u
	if [ "$run" = default ]; then
		comp='' level='' tag=zstd:1 label='zstd:1*'
	else
		comp=${run%%:*} level=${run#*:}
		[ "$level" != "$run" ] || level=
		tag=$comp${level:+:$level} label=$tag
	fi
	rm -rf "$work/run" && mkdir -p "$work/run"
	gateway_conf "$work/run" "$comp" "$level" >"$work/run/gateway.conf"
	berth_pull "$work/run/gateway.conf" "$registry_host/bench/$name:v1"
	mb=$(du -m "$work/run/images/"*.sqfs | cut -f1)
	row "$name" "berth" "$label" "$b_wall" "$b_cpu" "$mb" "$(read_time "$work/run/images/"*.sqfs)" \
		"$b_dl" ""
	if [ "$run" = default ] && [ -n "$twin" ]; then
		berth_pull "$work/run/gateway.conf" "$registry_host/bench/$twin:v1"
		row "$name" "same-layers" "$label" "$b_wall" "$b_cpu" "-" "-" "$b_dl" "($twin: other config)"
	fi
	rm -rf "$work/run/images" "$work/run/state"

	if [ "$have_mksquashfs" = 0 ]; then
		row "$name" "chain" "$tag" - - - - - "skipped: no mksquashfs"
		return
	fi
	comp=${tag%%:*} level=${tag#*:}
	[ "$level" != "$tag" ] || level=
	sq_opts=(-comp "$comp")
	[ -z "$level" ] || sq_opts+=(-Xcompression-level "$level")
	/usr/bin/time -v -o "$work/run/t1.txt" skopeo --insecure-policy copy -q --src-tls-verify=false \
		"docker://$registry_host/bench/$name:v1" "oci:$work/run/oci:x" >/dev/null
	if [ "$root" = 1 ]; then
		/usr/bin/time -v -o "$work/run/t2.txt" umoci unpack --image "$work/run/oci:x" "$work/run/bundle" >/dev/null
	else
		/usr/bin/time -v -o "$work/run/t2.txt" umoci unpack --rootless --image "$work/run/oci:x" \
			"$work/run/bundle" >/dev/null
	fi
	/usr/bin/time -v -o "$work/run/t3.txt" mksquashfs "$work/run/bundle/rootfs" "$work/run/chain.sqfs" \
		-noappend -quiet -no-progress "${sq_opts[@]}" -b 128K >/dev/null
	wall=0 cpu=0 parts=
	for c in 1 2 3; do
		read -r w u <<<"$(time_fields "$work/run/t$c.txt")"
		wall=$(echo "$wall + $w" | bc) cpu=$(echo "$cpu + $u" | bc)
		parts+="${parts:+ + }$w"
	done
	mb=$(du -m "$work/run/chain.sqfs" | cut -f1)
	row "$name" "chain" "$tag" "$wall" "$cpu" "$mb" "$(read_time "$work/run/chain.sqfs")" - \
		"skopeo + umoci + mksquashfs = $parts"
	rm -rf --one-file-system "$work/run"
}

# `berth pull` through the real daemon and helper, default settings.
run_daemon_pull() {
	local refs=("docker:$registry_host/bench/$name:v1")
	[ -z "$twin" ] || refs+=("docker:$registry_host/bench/$twin:v1")
	/usr/bin/python3 "$here/gateway_convert_env.py" "$BERTH_BUILDDIR" "$registry_host" "${refs[@]}" |
		while read -r ref wall cpu mb; do
			row "$name" "berth pull" "zstd:1*" "$wall" "$cpu" "$mb" - - "daemon + helper, ${ref##*/}"
		done
}

registry_start "$work"
echo "gateway_convert: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), registry $registry_host" \
	"${BENCH_REGISTRY_RATE:+at $BENCH_REGISTRY_RATE}"
row image method comp wall_s cpu_s MB read_s dl_s ""
for name in "${images[@]}"; do
	prepare "$name"
	for run in "${runs[@]}"; do
		run_one "$run"
	done
	if [ "$do_pull" = 1 ]; then
		run_daemon_pull
	fi
done
echo "* gateway defaults (no compressor or level set); 128K blocks everywhere; cpu_s = user + sys of all"
echo "processes timed (berth: the whole core; the registry's own CPU not counted on either side)"
