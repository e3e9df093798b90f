#!/bin/bash
# Benchmark (prints figures; not a timed test): pulling and converting an
# image with the gateway core (service_tool pull: download + flatten into
# one squashfs) against the usual tool chain (skopeo copy to an OCI layout,
# umoci unpack, mksquashfs), both with the same compressor, level and block
# size, from a local docker-registry.  Cold caches on both sides (fresh
# state), page cache warm (the registry's blobs were just pushed).
#
#   BERTH_BUILDDIR=$PWD testsuite/bench/gateway_convert.sh [small|medium|large|ref ...]
# Default: small medium.  large is ~1.1 GB in ~22000 files; ref is close to
# the issue's reference image: 5 layers, 2.2 GB in 75000 files (~29 KiB on
# average), about 1 GB of gzip layers (30% of the files random); both take
# minutes and several GB of space in $BENCH_DIR (default
# /var/tmp/berth-bench-convert; images are kept there for the next run).
# BENCH_COMPRESSION (default "zstd:3") lists compressor[:level] runs, e.g.
# "zstd:3 lz4 zstd:15" (lz4 takes no level; mksquashfs gets the same).
# Columns: berth and chain wall seconds, ratio = chain / berth, berth's peak
# RSS and CPU use (100% = one core busy), the chain's CPU use, image sizes.
# Needs: docker-registry, skopeo, umoci, mksquashfs, /usr/bin/time; root for
# umoci unpack (otherwise --rootless is used).
set -euo pipefail
: "${BERTH_BUILDDIR:?set BERTH_BUILDDIR to the build tree}"
tool=$BERTH_BUILDDIR/testsuite/gateway/service_tool
work=${BENCH_DIR:-/var/tmp/berth-bench-convert}
read -r -a runs <<<"${BENCH_COMPRESSION:-zstd:3}"
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

# make_image NAME LAYERS MB_PER_LAYER FILES_PER_LAYER RANDOM_PCT
make_image() {
	local name=$1 layers=$2 mb=$3 files=$4 pct=$5 layout=$work/oci i
	if [ -f "$work/$name.pushed" ]; then return; fi
	[ -d "$layout" ] || umoci init --layout "$layout"
	umoci new --image "$layout:$name"
	for i in $(seq "$layers"); do
		rm -rf "$work/layer" && mkdir -p "$work/layer/l$i"
		make_layer "$work/layer/l$i" "$mb" "$files" "$pct"
		tar -C "$work/layer" -cf "$work/layer.tar" .
		umoci raw add-layer --image "$layout:$name" "$work/layer.tar"
	done
	rm -rf "$work/layer" "$work/layer.tar"
	touch "$work/$name.pushed.pending"
	mv "$work/$name.pushed.pending" "$work/$name.pushed"
}

declare -A spec=([small]="2 10 250 50" [medium]="3 70 1500 50" [large]="4 280 5500 50"
		[ref]="5 440 15000 30")

# time_fields FILE -> "wall_s cpu_s rss_mb" from /usr/bin/time -v output
time_fields() {
	awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); w=0; for(i=1;i<=n;i++) w=w*60+a[i]}
		/User time/ {u=$2} /System time/ {s=$2} /Maximum resident/ {r=$2/1024}
		END {printf "%.2f %.2f %.0f\n", w, u+s, r}' "$1"
}

# run_timed OUT CMD...: /usr/bin/time -v into OUT, stdout dropped
run_timed() {
	local out=$1
	shift
	/usr/bin/time -v -o "$out" "$@" >/dev/null
}

# One run of both sides with $comp/$level on $ref ($size ...), one table line.
run_one() {
	local sq_opts=(-comp "$comp") tag=$comp b c1 c2 c3 berth_mb chain_mb
	[ "$level" = 0 ] || { sq_opts+=(-Xcompression-level "$level"); tag=$comp:$level; }

	# berth: a fresh gateway state each time (no layer cache)
	rm -rf "$work/run" && mkdir -p "$work/run"
	cat >"$work/run/gateway.conf" <<EOF
image_dir = $work/run/images
state_dir = $work/run/state
insecure_registries = $host
registry_allow = $host
compressor = $comp
compression_level = $level
block_size = 128K
workers = 1
EOF
	/usr/bin/time -v -o "$work/run/time.txt" "$tool" "$work/run/gateway.conf" pull "$ref" --wait 3600 \
		>"$work/run/pull.json"
	grep -q '"status":"READY"' "$work/run/pull.json" || { cat "$work/run/pull.json"; exit 1; }
	b=$(time_fields "$work/run/time.txt")
	berth_mb=$(du -m "$work/run/images/"*.sqfs | cut -f1)
	rm -rf "$work/run/images" "$work/run/state"

	# the tool chain
	run_timed "$work/run/t1.txt" skopeo --insecure-policy copy -q --src-tls-verify=false \
		"docker://$ref" "oci:$work/run/oci:x"
	if [ "$(id -u)" = 0 ]; then
		run_timed "$work/run/t2.txt" umoci unpack --image "$work/run/oci:x" "$work/run/bundle"
	else
		run_timed "$work/run/t2.txt" umoci unpack --rootless --image "$work/run/oci:x" "$work/run/bundle"
	fi
	run_timed "$work/run/t3.txt" mksquashfs "$work/run/bundle/rootfs" "$work/run/chain.sqfs" \
		-noappend -quiet -no-progress "${sq_opts[@]}" -b 128K
	c1=$(time_fields "$work/run/t1.txt")
	c2=$(time_fields "$work/run/t2.txt")
	c3=$(time_fields "$work/run/t3.txt")
	chain_mb=$(du -m "$work/run/chain.sqfs" | cut -f1)
	awk -v t="$tag" -v n="$size" -v mb="$((layers * mb))" -v gz="$gz_mb" -v f="$((layers * files))" \
	    -v b="$b" -v c1="$c1" -v c2="$c2" -v c3="$c3" -v bm="$berth_mb" -v cm="$chain_mb" 'BEGIN {
		split(b, B, " "); split(c1, X, " "); split(c2, Y, " "); split(c3, Z, " ")
		chain = X[1] + Y[1] + Z[1]; ccpu = X[2] + Y[2] + Z[2]
		printf "%-6s %-7s %6d %6d %6d | %7.2f %7d %4.0f%% | %7.2f %7.2f %7.2f %7.2f %4.0f%% | %6.2f | %6d %6d\n",
			t, n, mb, gz, f, B[1], B[3], 100 * B[2] / B[1], X[1], Y[1], Z[1], chain,
			100 * ccpu / chain, chain / B[1], bm, cm }'
	rm -rf "$work/run"
}

printf '%-6s %-7s %6s %6s %6s | %7s %7s %5s | %7s %7s %7s %7s %5s | %6s | %6s %6s\n' comp image \
	MB gzMB files berth_s rss_MB cpu% skopeo umoci mksq chain_s cpu% ratio sqMB chMB
for size in "${sizes[@]}"; do
	[ -n "${spec[$size]:-}" ] || { echo "unknown size $size" >&2; exit 2; }
	read -r layers mb files pct <<<"${spec[$size]}"
	make_image "$size" "$layers" "$mb" "$files" "$pct"
	skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$work/oci:$size" \
		"docker://$host/bench/$size:v1" >/dev/null
	ref=$host/bench/$size:v1
	gz_mb=$(skopeo inspect --raw --tls-verify=false "docker://$ref" |
		/usr/bin/python3 -c 'import json,sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]) >> 20)')
	for run in "${runs[@]}"; do
		comp=${run%%:*}
		level=${run#*:}
		[ "$level" != "$run" ] || level=0
		run_one
	done
done
echo "ratio = tool chain time / berth time (higher: berth faster); 128K blocks; cpu% 100 = one core"
