#!/bin/bash
# run_lua_tests.sh - lua/test_berth.lua with the interpreter of the Lua
# version berth was built for, against the freshly built lua/.libs/berth.so.
# Exit 77 (skip) when no interpreter is installed (apt-get install lua5.4).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
builddir=${BERTH_BUILDDIR:-$PWD}
so=$builddir/lua/.libs/berth.so
# the interpreter must match the headers the module was built with
ver=$(sed -n 's/^S\["LUA_VERSION"\]="\(.*\)"$/\1/p' "$builddir/config.status" 2>/dev/null || true)
lua=lua${ver:-5.4}
if [ ! -f "$so" ] || ! command -v "$lua" >/dev/null; then
	echo "run_lua_tests: no $lua interpreter or no $so; skipped" >&2
	exit 77
fi
# a sanitizer build (./configure --enable-sanitizers): the interpreter is not
# instrumented, so the runtimes must be loaded first
preload=
syms=$(nm -D "$so" 2>/dev/null || true)   # (not nm | grep -q: pipefail + SIGPIPE)
if [[ $syms == *__asan_init* ]]; then
	cc=${CC:-gcc}
	preload="$($cc -print-file-name=libasan.so) $($cc -print-file-name=libubsan.so)"
fi
scratch=$(mktemp -d /tmp/berth-test-lua.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
unset BERTH_CONF SLURM_CONF
LD_PRELOAD=$preload LUA_CPATH="$builddir/lua/.libs/?.so" LUA_PATH="" "$lua" "$here/test_berth.lua" "$scratch"
