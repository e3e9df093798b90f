#!/bin/bash
# The registry client against real docker-registry instances and scripted
# test servers (pytest, testsuite/gateway/).  A TESTS entry of `make check`:
# exits 77 (skipped) when the tools it needs are not installed.
# Everything runs on loopback as the calling user; no root needed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tool=${BERTH_REGISTRY_TOOL:-$PWD/testsuite/gateway/registry_tool}
service_tool=${BERTH_SERVICE_TOOL:-$PWD/testsuite/gateway/service_tool}

if [ -n "${BERTH_SKIP_REGISTRY_TESTS:-}" ]; then
	echo "registry tests: skipped (BERTH_SKIP_REGISTRY_TESTS is set)"
	exit 77
fi
missing=()
for t in /usr/bin/docker-registry skopeo umoci openssl unsquashfs /usr/bin/python3; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
/usr/bin/python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
[ -x "$tool" ] || missing+=("$tool")
if [ ${#missing[@]} -gt 0 ]; then
	echo "registry tests: skipped, missing: ${missing[*]} (testsuite/harness/install-deps.sh installs them)"
	exit 77
fi

export BERTH_REGISTRY_TOOL=$tool
# test_service_live.py skips itself when service_tool is not built
export BERTH_SERVICE_TOOL=$service_tool
tmp=$(mktemp -d "${TMPDIR:-/tmp}/berth-registry-tests.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$here"
# -p no:cacheprovider: leave nothing behind in the source tree
/usr/bin/python3 -m pytest -p no:cacheprovider -q -ra --basetemp="$tmp/pytest" "$@" .
