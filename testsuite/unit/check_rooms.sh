#!/bin/bash
# check_rooms.sh - the rooms hold in the binaries (doc/HACKING.md, "Rooms"):
#   - nothing slurmctld loads (job_submit_berth.so, the Lua modules) defines,
#     exports or needs a symbol of node/ (libberth_node.a), or links libcap;
#   - berth-gatewayd contains nothing of client/ or node/.
# Run by `make check` from the build directory.  A binary that was not built
# (configure left it out) is skipped with its reason.
set -euo pipefail

node_lib=node/.libs/libberth_node.a
client_lib=client/.libs/libberth_client.a
failed=0
checked=0

# The external symbols a room's library defines.
room_symbols() {
	nm --defined-only --extern-only "$1" | awk 'NF == 3 { print $3 }' | sort -u
}

# Every symbol name a binary mentions: defined (local or global) or needed.
binary_symbols() {
	{ nm "$1" 2>/dev/null || true; nm -D "$1" 2>/dev/null || true; } |
		awk '{ print $NF }' | sort -u
}

# binary room_name room_symbol_file: no symbol of the room in the binary.
check_without() {
	local bin=$1 room=$2 symbols=$3 found
	found=$(comm -12 <(binary_symbols "$bin") "$symbols" | head -5)
	if [ -n "$found" ]; then
		echo "FAIL: $bin contains $room/ code:" $found
		failed=1
	fi
}

check_no_libcap() {
	if readelf -d "$1" | grep -q 'NEEDED.*libcap'; then
		echo "FAIL: $1 links libcap"
		failed=1
	fi
}

for lib in "$node_lib" "$client_lib"; do
	if [ ! -f "$lib" ]; then
		echo "check_rooms: $lib not built; skipped"
		exit 77
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
room_symbols "$node_lib" >"$tmp/node"
room_symbols "$client_lib" >"$tmp/client"
# the check itself must see something to compare with
[ -s "$tmp/node" ] && [ -s "$tmp/client" ] || { echo "FAIL: no room symbols read"; exit 1; }

for bin in plugins/.libs/job_submit_berth.so lua/slurm/.libs/berth.so lua/.libs/berth.so; do
	if [ ! -f "$bin" ]; then
		echo "check_rooms: $bin not built; skipped"
		continue
	fi
	check_without "$bin" node "$tmp/node"
	check_no_libcap "$bin"
	checked=$((checked + 1))
done
for bin in gateway/.libs/berth-gatewayd gateway/berth-gatewayd; do
	[ -f "$bin" ] || continue
	# a libtool wrapper script is not the binary
	head -c 4 "$bin" | grep -q ELF || continue
	check_without "$bin" client "$tmp/client"
	check_without "$bin" node "$tmp/node"
	checked=$((checked + 1))
	break
done
# and the positive side: the SPANK plugin does carry both rooms
if [ -f plugins/.libs/berth.so ]; then
	[ -n "$(comm -12 <(binary_symbols plugins/.libs/berth.so) "$tmp/node")" ] ||
		{ echo "FAIL: berth.so has no node/ symbol: the check reads nothing"; failed=1; }
fi
echo "check_rooms: $checked binaries checked"
exit $failed
