#!/bin/bash
# Benchmark (prints figures; not a timed test): pulling and converting an
# image with the gateway core (service_tool pull: download + flatten into
# one squashfs) against the usual tool chain (skopeo copy to an OCI layout,
# umoci unpack, mksquashfs), both zstd at the same level and block size,
# from a local docker-registry.  Cold caches on both sides (fresh state).
#
#   BERTH_BUILDDIR=$PWD testsuite/bench/gateway_convert.sh [small|medium|large ...]
# Default: small medium.  large is ~1.1 GB in ~22000 files (a few minutes,
# several GB of space in $BENCH_DIR, default /var/tmp/berth-bench-convert).
# BENCH_ZSTD_LEVEL (default 15, mksquashfs's default) sets the level.
# Needs: docker-registry, skopeo, umoci, mksquashfs, /usr/bin/time; root for
# umoci unpack (otherwise --rootless is used).
set -euo pipefail
: "${BERTH_BUILDDIR:?set BERTH_BUILDDIR to the build tree}"
tool=$BERTH_BUILDDIR/testsuite/gateway/service_tool
work=${BENCH_DIR:-/var/tmp/berth-bench-convert}
level=${BENCH_ZSTD_LEVEL:-15}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(small medium)

for t in /usr/bin/docker-registry skopeo umoci mksquashfs /usr/bin/time "$tool"; do
	command -v "$t" >/dev/null || { echo "gateway_convert: missing $t" >&2; exit 1; }
done
mkdir -p "$work"
reg_pid=
cleanup() {
	if [ -n "$reg_pid" ]; then
		kill "$reg_pid" 2>/dev/null || true
		wait "$reg_pid" 2>/dev/null || true
	fi
	rm -rf "$work/run" "$work/registry"
}
trap cleanup EXIT

# ------------------------------------------------------------- registry
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
host=127.0.0.1:$port
mkdir -p "$work/registry/storage"
cat >"$work/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry/storage
http:
  addr: $host
EOF
/usr/bin/docker-registry serve "$work/registry/config.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -sf "http://$host/v2/" >/dev/null && break; sleep 0.1; done

# --------------------------------------------------------------- images
# make_layer DIR MB FILES: half random (incompressible), half text, in FILES files.
make_layer() {
	local dir=$1 mb=$2 files=$3 half
	half=$(( (mb << 20) / 2 ))
	mkdir -p "$dir/bin" "$dir/share"
	head -c "$half" /dev/urandom | split -a 5 -b $(( half / (files / 2) + 1 )) - "$dir/bin/r"
	(seq 1 100000000 || true) | head -c "$half" | split -a 5 -b $(( half / (files / 2) + 1 )) - "$dir/share/t"
	ln -s ../share "$dir/bin/share-link"
}

# make_image NAME LAYERS MB_PER_LAYER FILES_PER_LAYER
make_image() {
	local name=$1 layers=$2 mb=$3 files=$4 layout=$work/oci i
	if [ -f "$work/$name.pushed" ]; then return; fi
	[ -d "$layout" ] || umoci init --layout "$layout"
	umoci new --image "$layout:$name"
	for i in $(seq "$layers"); do
		rm -rf "$work/layer" && mkdir -p "$work/layer/l$i"
		make_layer "$work/layer/l$i" "$mb" "$files"
		tar -C "$work/layer" -cf "$work/layer.tar" .
		umoci raw add-layer --image "$layout:$name" "$work/layer.tar"
	done
	rm -rf "$work/layer" "$work/layer.tar"
	touch "$work/$name.pushed.pending"
	mv "$work/$name.pushed.pending" "$work/$name.pushed"
}

declare -A spec=([small]="2 10 250" [medium]="3 70 1500" [large]="4 280 5500")

printf '%-7s %9s %7s | %9s %9s | %8s %8s %8s %9s | %6s | %9s %9s\n' image MB files \
	berth_s rss_MB skopeo_s umoci_s mksq_s chain_s ratio berth_MB chain_MB
for size in "${sizes[@]}"; do
	[ -n "${spec[$size]:-}" ] || { echo "unknown size $size" >&2; exit 2; }
	read -r layers mb files <<<"${spec[$size]}"
	make_image "$size" "$layers" "$mb" "$files"
	skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$work/oci:$size" \
		"docker://$host/bench/$size:v1" >/dev/null
	ref=$host/bench/$size:v1

	# berth: a fresh gateway state each time (no layer cache)
	rm -rf "$work/run" && mkdir -p "$work/run"
	cat >"$work/run/gateway.conf" <<EOF
image_dir = $work/run/images
state_dir = $work/run/state
insecure_registries = $host
compressor = zstd
compression_level = $level
block_size = 128K
workers = 1
EOF
	/usr/bin/time -v -o "$work/run/time.txt" "$tool" "$work/run/gateway.conf" pull "$ref" --wait 3600 \
		>"$work/run/pull.json"
	grep -q '"status":"READY"' "$work/run/pull.json" || { cat "$work/run/pull.json"; exit 1; }
	berth_s=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/run/time.txt")
	rss_mb=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/run/time.txt")
	berth_mb=$(du -m "$work/run/images/"*.sqfs | cut -f1)

	# the tool chain
	t0=$(date +%s.%N)
	skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$ref" "oci:$work/run/oci:x" >/dev/null
	t1=$(date +%s.%N)
	if [ "$(id -u)" = 0 ]; then
		umoci unpack --image "$work/run/oci:x" "$work/run/bundle" >/dev/null
	else
		umoci unpack --rootless --image "$work/run/oci:x" "$work/run/bundle" >/dev/null
	fi
	t2=$(date +%s.%N)
	mksquashfs "$work/run/bundle/rootfs" "$work/run/chain.sqfs" -noappend -quiet -no-progress \
		-comp zstd -Xcompression-level "$level" -b 128K >/dev/null
	t3=$(date +%s.%N)
	chain_mb=$(du -m "$work/run/chain.sqfs" | cut -f1)
	awk -v n="$size" -v mb="$((layers * mb))" -v f="$((layers * files))" -v b="$berth_s" -v r="$rss_mb" \
	    -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" -v bm="$berth_mb" -v cm="$chain_mb" 'BEGIN {
		printf "%-7s %9d %7d | %9.2f %9d | %8.2f %8.2f %8.2f %9.2f | %6.2f | %9d %9d\n",
			n, mb, f, b, r, t1-t0, t2-t1, t3-t2, t3-t0, (t3-t0)/b, bm, cm }'
	rm -rf "$work/run"
done
echo "ratio = tool chain time / berth time (higher: berth faster); zstd level $level, 128K blocks"
