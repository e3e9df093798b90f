#!/bin/bash
# run_long.sh SECONDS [TARGET...] - run the libFuzzer targets of
# testsuite/fuzz/ one after the other (nice -n 19), each for SECONDS, and
# print per target: executions, executions/s, coverage (edges), features,
# corpus growth, peak RSS and findings (crash/leak/timeout/oom artifacts).
# Exit status 1 if any target found something.
#
# TARGET is a name without "fuzz_" (image_ref, flatten, ...); default all
# that are built.  The targets are taken from $BERTH_BUILDDIR/testsuite/fuzz
# (default: the current directory's testsuite/fuzz, else this script's
# directory).  Seeds come from the source tree (corpus/<name>, read only),
# and for elf from the host (host_elf_seeds below);
# what the run adds, its logs and artifacts go to $BERTH_FUZZ_OUT (default a
# new directory under ${TMPDIR:-/tmp}), which is kept and printed: pass an
# artifact to the target to reproduce (./fuzz_<name> crash-...).
#
# BERTH_FUZZ_TAP=1: TAP output instead of the table (make check; exit 0,
# the "not ok" lines say what was found).
# BERTH_FUZZ_KEEP=0: remove the output directory when nothing was found.
set -uo pipefail

usage() { echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
secs=$1; shift
[[ $secs =~ ^[1-9][0-9]*$ ]] || usage

srcdir=$(cd "$(dirname "$0")" && pwd)
if [ -n "${BERTH_BUILDDIR:-}" ]; then
	bindir=$BERTH_BUILDDIR/testsuite/fuzz
elif ls testsuite/fuzz/fuzz_* >/dev/null 2>&1; then
	bindir=$PWD/testsuite/fuzz
else
	bindir=$srcdir
fi
tap=${BERTH_FUZZ_TAP:-0}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$bindir"/fuzz_*; do
		if [ ! -x "$f" ] || [ ! -f "$f" ]; then continue; fi
		case "$f" in *.c|*.h|*.o|*.sh) continue ;; esac
		targets+=("$(basename "$f" | sed 's/^fuzz_//')")
	done
fi
if [ ${#targets[@]} -eq 0 ]; then
	[ "$tap" = 1 ] && { echo "1..0 # SKIP no fuzz targets built in $bindir"; exit 0; }
	echo "run_long.sh: no fuzz targets in $bindir (configure --enable-fuzzing, make check)" >&2
	exit 2
fi

# ELF seeds are made at run time, never kept in the source: a binary in
# the source tarball has no source (Debian's lintian refuses the package,
# source-is-missing).  A bare 7-byte ELF header and the host's own small
# shared objects (glibc's stubs, each a few KiB with versioned symbols).
host_elf_seeds() {
	local dir=$1 lib path
	mkdir -p "$dir"
	printf '\177ELF\002\001\001' >"$dir/header-only"
	for lib in libdl.so.2 libutil.so.1 libanl.so.1; do
		path=$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) |
			awk -v l="$lib" '$1 == l { print $NF; exit }')
		[ -n "$path" ] && [ -r "$path" ] && cp -L "$path" "$dir/$lib"
	done
	return 0
}

out=${BERTH_FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/berth-fuzz-run.XXXXXX")}
mkdir -p "$out"
found=0
n=0
[ "$tap" = 1 ] && echo "1..${#targets[@]}"
[ "$tap" = 1 ] || printf '%-14s %6s %10s %8s %6s %7s %9s %7s  %s\n' \
	target secs execs exec/s cov ft corpus+ rss_mb findings
for t in "${targets[@]}"; do
	n=$((n + 1))
	bin=$bindir/fuzz_$t
	work=$out/$t
	mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
	args=(-max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$work/artifacts/"
	      -rss_limit_mb=2048 -timeout=60)
	[ -f "$srcdir/fuzz_$t.dict" ] && args+=(-dict="$srcdir/fuzz_$t.dict")
	seeds=()
	[ -d "$srcdir/corpus/$t" ] && seeds=("$srcdir/corpus/$t")
	if [ "$t" = elf ]; then
		host_elf_seeds "$work/seeds-host"
		seeds+=("$work/seeds-host")
	fi
	if [ ! -x "$bin" ]; then
		if [ "$tap" = 1 ]; then echo "not ok $n - $t: $bin not built"; else echo "$t: $bin not built"; fi
		found=1
		continue
	fi
	start=$(date +%s)
	# the target's scratch files go under its own TMPDIR (removed below)
	(cd "$work" && TMPDIR=$work/tmp nice -n 19 "$bin" "${args[@]}" "$work/corpus" "${seeds[@]}") \
		>"$work/log" 2>&1
	rc=$?
	took=$(( $(date +%s) - start ))
	stat() { sed -n "s/^stat::$1: *//p" "$work/log" | tail -1; }
	execs=$(stat number_of_executed_units); rate=$(stat average_exec_per_sec)
	added=$(stat new_units_added); rss=$(stat peak_rss_mb)
	cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$work/log" | tail -1 | cut -d' ' -f2)
	artifacts=$(find "$work/artifacts" -type f | wc -l)
	what="none"
	if [ "$rc" -ne 0 ] || [ "$artifacts" -ne 0 ]; then
		found=1
		what="rc=$rc, $artifacts artifact(s) in $work/artifacts, log $work/log"
	fi
	rm -rf "$work/tmp"
	if [ "$tap" = 1 ]; then
		if [ "$what" = none ]; then
			echo "ok $n - $t: ${execs:-?} execs in ${took}s, cov ${cov:-?}, no findings"
		else
			echo "not ok $n - $t: $what"
			grep -m1 -A3 'ERROR\|FUZZ FINDING\|SUMMARY' "$work/log" | sed 's/^/# /'
		fi
	else
		printf '%-14s %6s %10s %8s %6s %7s %9s %7s  %s\n' "$t" "$took" "${execs:-?}" "${rate:-?}" \
			"${cov:-?}" "${ft:-?}" "${added:-?}" "${rss:-?}" "$what"
	fi
done
if [ "$found" = 0 ] && [ "${BERTH_FUZZ_KEEP:-1}" = 0 ]; then
	rm -rf "$out"
else
	[ "$tap" = 1 ] && echo "# output: $out" || echo "output: $out"
fi
# TAP: the "not ok" lines carry the result
[ "$tap" = 1 ] && exit 0
exit $found
