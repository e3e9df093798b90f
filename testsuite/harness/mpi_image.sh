# shellcheck shell=bash
# mpi_image.sh - the MPI test image (sourced by cluster.sh after lib.sh):
# Debian 12 with Open MPI 4.1 and MPICH 4.0 as Debian ships them, and
# /usr/local/bin/hello.{openmpi,mpich} and bench.{openmpi,mpich}
# (testsuite/integration/tools/mpi_hello.c, mpi_bench.c: the MPI benchmark,
# testsuite/bench/mpi.sh) compiled in it, the compilers removed again.  Made with
# mmdebstrap from the Debian mirror apt already uses, flattened straight
# into the image directory like `cluster.sh sqfs` (no registry, no
# gateway); its digest is the squashfs's sha256.  Built on first use (about
# 30 s) and kept until this file, mpi_hello.c or mmdebstrap change.

MPI_SUITE=bookworm
MPI_PACKAGES=openmpi-bin,mpich
MPI_BUILD_PACKAGES=gcc,libc6-dev,libopenmpi-dev,libmpich-dev

# The Debian mirror of this system's apt sources (not the security one).
debian_mirror() {
	apt-get indextargets --format '$(URI)' 'Identifier: Packages' 2>/dev/null |
		grep -v -- '-security/' | sed -n 's|/dists/.*||p' | head -n1
}

mpi_image_stamp() {
	{
		echo "$MPI_SUITE $MPI_PACKAGES $MPI_BUILD_PACKAGES"
		# contents only (sha256sum FILE prints the path too): every checkout
		# (worktree, CI clone) shares the cache
		cat "$HARNESS/mpi_image.sh" "$HARNESS/../integration/tools/mpi_hello.c" \
			"$HARNESS/../integration/tools/mpi_bench.c" | sha256sum
		mmdebstrap --version
	} | sha256sum | cut -c1-64
}

# Prints the image's digest (sha256:...), building it if needed.  Without
# mmdebstrap (a release chroot) it prints the image release.sh built from the
# host into this lab (mpi_image_for_chroot), or exits 77 when there is none.
mpi_image() {
	local stamp mirror work digest t0
	if ! command -v mmdebstrap >/dev/null; then
		digest=$(sed -n 2p "$LAB/oci/mpi.stamp" 2>/dev/null || true)
		if [ -n "$digest" ] && [ -s "$LAB/images/$digest.sqfs" ] && [ -s "$LAB/images/$digest.json" ]; then
			echo "$digest"
			return 0
		fi
		echo "mpi-image: needs mmdebstrap, which this system does not have, and no image was built for it from the host (release.sh does)" >&2
		exit 77
	fi
	stamp=$(mpi_image_stamp)
	if [ "$(cat "$LAB/oci/mpi.stamp" 2>/dev/null | head -n1)" = "$stamp" ]; then
		digest=$(sed -n 2p "$LAB/oci/mpi.stamp")
		if [ -s "$LAB/images/$digest.sqfs" ] && [ -s "$LAB/images/$digest.json" ]; then
			echo "$digest"
			return 0
		fi
	fi
	# the same image in another lab (release.sh: the host's, for a chroot's)
	local from=${BERTH_MPI_IMAGE_FROM:-}
	if [ -n "$from" ] && [ "$(head -n1 "$from/oci/mpi.stamp" 2>/dev/null)" = "$stamp" ]; then
		digest=$(sed -n 2p "$from/oci/mpi.stamp")
		if [ -s "$from/images/$digest.sqfs" ] && [ -s "$from/images/$digest.json" ]; then
			cp "$from/images/$digest.json" "$from/images/$digest.sqfs" "$LAB/images/"
			cp "$from/oci/mpi.stamp" "$LAB/oci/mpi.stamp"
			echo "$digest"
			return 0
		fi
	fi
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || die "mpi-image: no Debian mirror in apt's sources"
	t0=$(now_us)
	work=$(mktemp -d "$LAB/oci/mpi.XXXXXX")
	cp "$HARNESS/../integration/tools/mpi_hello.c" "$work/hello.c"
	cp "$HARNESS/../integration/tools/mpi_bench.c" "$work/bench.c"
	# shellcheck disable=SC2016 # $1 is mmdebstrap's, in its hooks
	mmdebstrap --quiet --variant=minbase --include="$MPI_PACKAGES,$MPI_BUILD_PACKAGES" \
		--customize-hook="cp '$work/hello.c' '$work/bench.c' \"\$1/tmp/\"" \
		--customize-hook='chroot "$1" mpicc.openmpi -O2 -o /usr/local/bin/hello.openmpi /tmp/hello.c' \
		--customize-hook='chroot "$1" mpicc.mpich -O2 -o /usr/local/bin/hello.mpich /tmp/hello.c' \
		--customize-hook='chroot "$1" mpicc.openmpi -O2 -o /usr/local/bin/bench.openmpi /tmp/bench.c' \
		--customize-hook='chroot "$1" mpicc.mpich -O2 -o /usr/local/bin/bench.mpich /tmp/bench.c' \
		--customize-hook="chroot \"\$1\" apt-get purge -y -qq --autoremove ${MPI_BUILD_PACKAGES//,/ } >/dev/null" \
		--customize-hook='rm -rf "$1/tmp/hello.c" "$1/tmp/bench.c" "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
		"$MPI_SUITE" "$work/rootfs" "$mirror" >"$work/log" 2>&1 ||
		{ tail -n 20 "$work/log" >&2; rm -rf --one-file-system "$work"; die "mpi-image: mmdebstrap failed"; }
	mksquashfs "$work/rootfs" "$work/img.sqfs" -noappend -quiet -no-progress -comp zstd >/dev/null
	digest=sha256:$(sha256sum "$work/img.sqfs" | cut -c1-64)
	jq -n --arg d "$digest" '{schema: 1, digest: $d,
		env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		entrypoint: [], cmd: ["/bin/bash"], workdir: null,
		labels: {"org.opencontainers.image.title": "berth MPI test image"}}' >"$work/img.json"
	chmod 0644 "$work/img.sqfs" "$work/img.json"
	mv -f "$work/img.json" "$LAB/images/$digest.json"
	mv -f "$work/img.sqfs" "$LAB/images/$digest.sqfs"
	printf '%s\n%s\n' "$stamp" "$digest" >"$LAB/oci/mpi.stamp"
	rm -rf --one-file-system "$work"
	say "mpi-image: built $digest in $(since "$t0") s" >&2
	echo "$digest"
}
