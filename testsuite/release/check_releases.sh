#!/bin/bash
# check_releases.sh - the Slurm header matrix: berth's plugins built with
# --enable-werror against every release in RELEASES_DIR (default
# ../shared/slurm-releases beside the source tree), and for each:
#   - every symbol the release's loader lists in syms[] (reference/
#     job_container_plugin.c, job_container.c or namespace.c; job_submit.c)
#     is exported, and nothing else beyond plugin_name/type/version, init
#     and fini; the SPANK plugin exports only plugin_* and slurm_spank_*;
#   - plugin_type names the plugin type that release loads;
#   - the leading members of stepd_step_rec_t that berth mirrors
#     (plugins/slurm_compat.h) are unchanged in reference/slurmstepd_job.h.
# Prints one table row per release; exit 1 if any check fails.
#
# usage: check_releases.sh [RELEASES_DIR [VERSION...]]
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
releases=${1:-$srcdir/../shared/slurm-releases}
shift || true
[ -d "$releases" ] || { echo "check_releases: no release headers at $releases; skipped"; exit 77; }
mapfile -t versions < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else
	find -H "$releases" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V; fi)
work=$(mktemp -d /tmp/berth-releases.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0

# The quoted names of a loader's syms[] array.
loader_syms() {
	awk '/syms\[\] = \{/ { on = 1; next } on && /\};/ { exit } on' "$1" |
		grep -o '"[a-z_]*"' | tr -d '"'
}

exported() { nm -D --defined-only "$1" | awk '{ print $3 }' | sort -u; }
# (sort reads all of nm's output: no SIGPIPE there)

# plugin wanted-syms-file: all wanted exported, nothing else beyond allowed
check_exports() {
	local so=$1 wanted=$2 allowed=$3 missing extra
	missing=$(comm -23 <(sort -u "$wanted") <(exported "$so"))
	extra=$(comm -13 <(sort -u "$wanted" "$allowed") <(exported "$so"))
	[ -z "$missing" ] || { echo "FAIL: $so misses" $missing; return 1; }
	[ -z "$extra" ] || { echo "FAIL: $so also exports" $extra; return 1; }
}

# The members berth mirrors, as the release declares them (whitespace and
# comments dropped).
stepd_prefix() {
	awk '/^typedef struct \{/ { n = 0; buf = ""; next }
	     { sub(/\/\*.*$/, ""); gsub(/[ \t]+/, " "); sub(/^ /, ""); sub(/ $/, "") }
	     /^char \*alias_list;/ { on = 1 }
	     on && $0 != "" { buf = buf $0 "\n"; if (++n == 6) { printf "%s", buf; exit } }' "$1"
}
expected_prefix=$'char *alias_list;\nstep_container_t *container;\nslurmstepd_state_t state;\npthread_cond_t state_cond;\npthread_mutex_t state_mutex;\nslurm_step_id_t step_id;'

# The integration suite's libslurm tools (testsuite/integration/tools) and
# the gateway's libslurm calls (gateway/gw_slurm.c) build against each
# release too: the tools broke on 24.11 and 26.05 before.
tools_build() { # RELEASE-DIR OUT-DIR
	local t
	for t in adopt raw_submit; do
		gcc -std=gnu11 -Wall -Wextra -Werror -isystem "$1/include" -fsyntax-only \
			"$srcdir/testsuite/integration/tools/$t.c" >>"$2/tools.out" 2>&1 || return 1
	done
	# the gateway's releaser of waiting jobs (libslurm's client API)
	gcc -std=gnu11 -Wall -Wextra -Werror -isystem "$1/include" -I"$srcdir/common" -DHAVE_LIBSLURM \
		-fsyntax-only "$srcdir/gateway/gw_slurm.c" >>"$2/tools.out" 2>&1 || return 1
}

printf '%-10s %-6s %-22s %-8s %-8s %-6s %s\n' release build node-plugin exports stepd tools seconds
for v in "${versions[@]}"; do
	ref=$releases/$v/reference
	b=$work/$v
	mkdir -p "$b"
	t0=$SECONDS
	build=ok exports=ok stepd=n/a tools=ok
	# one cache for the checks that do not depend on the release (the
	# Slurm version itself is computed anew each time)
	if ! (cd "$b" && "$srcdir/configure" --quiet --cache-file="$work/config.cache" \
		--with-slurm="$releases/$v" --enable-werror \
		--without-check --without-libarchive --without-libsquashfs --without-sqlite3 \
		--without-libmicrohttpd --without-lua >"$b/configure.out" 2>&1 &&
		make -j2 plugins/berth.la plugins/job_submit_berth.la plugins/job_container_berth.la \
			plugins/namespace_berth.la >"$b/make.out" 2>&1); then
		build=FAIL
		{ tail -20 "$b/configure.out" "$b/make.out" 2>/dev/null || true; } | sed 's/^/    /'
	fi
	if [ -f "$ref/namespace.c" ]; then
		node=namespace_berth type=namespace/berth loader=$ref/namespace.c
	elif [ -f "$ref/job_container.c" ]; then
		node=job_container_berth type=job_container/berth loader=$ref/job_container.c
	else
		node=job_container_berth type=job_container/berth loader=$ref/job_container_plugin.c
	fi
	if [ $build = ok ]; then
		libs=$b/plugins/.libs
		printf '%s\n' plugin_name plugin_type plugin_version init fini >"$b/allowed"
		loader_syms "$loader" >"$b/node.syms"
		loader_syms "$ref/job_submit.c" >"$b/submit.syms"
		[ -s "$b/node.syms" ] && [ -s "$b/submit.syms" ] || { echo "FAIL: no syms[] read for $v"; exports=FAIL; }
		check_exports "$libs/$node.so" "$b/node.syms" "$b/allowed" || exports=FAIL
		check_exports "$libs/job_submit_berth.so" "$b/submit.syms" "$b/allowed" || exports=FAIL
		# (no grep -q after a pipe: pipefail would see the writer's SIGPIPE)
		extra=$(exported "$libs/berth.so" | grep -vE '^(plugin_(name|type|version)|spank_plugin_version|slurm_spank_[a-z_]+)$' || true)
		[ -z "$extra" ] || { echo "FAIL: berth.so also exports" $extra; exports=FAIL; }
		[ "$(strings -a "$libs/$node.so" | grep -cx "$type")" -gt 0 ] ||
			{ echo "FAIL: $node.so is not $type"; exports=FAIL; }
	else
		exports=-
	fi
	if grep -q 'stepd_step_rec_t \*' "$loader"; then
		if [ "$(stepd_prefix "$ref/slurmstepd_job.h")" = "$expected_prefix" ]; then
			stepd=same
		else
			stepd=CHANGED
			echo "FAIL: $v: the leading members of stepd_step_rec_t changed; update plugins/slurm_compat.h:"
			stepd_prefix "$ref/slurmstepd_job.h" | sed 's/^/    /'
		fi
	fi
	tools_build "$releases/$v" "$b" || { tools=FAIL; sed 's/^/    /' "$b/tools.out"; }
	printf '%-10s %-6s %-22s %-8s %-8s %-6s %d\n' "$v" "$build" "$node.so" "$exports" "$stepd" "$tools" \
		$((SECONDS - t0))
	[ $build = ok ] && [ $exports = ok ] && [ $stepd != CHANGED ] && [ $tools = ok ] || failed=1
done
exit $failed
