# shellcheck shell=bash
# mpi_site.sh - the site-MPI test (a module with mpi = mpich; sourced by
# cluster.sh after mpi_image.sh):
#
#  - an image of a newer Debian (trixie: a newer glibc and MPICH than the
#    nodes' Debian 12) with /usr/local/bin/hello.mpich built against its own
#    MPICH (testsuite/integration/tools/mpi_hello.c), the compilers removed;
#  - the site's MPI, as a site installs it on the nodes: Debian 12's MPICH
#    4.0.2 libraries with the libraries they need, but not glibc or the
#    compiler runtimes (the image's newer ones serve), in
#    $LAB/site-mpi/debian12/lib, taken from the MPI test image
#    (mpi_image.sh, Debian 12 like the nodes);
#  - trixie's MPICH likewise in $LAB/site-mpi/trixie/lib: a site MPI built
#    for a newer glibc than Debian 12's (the refusal case).
#
# Made with mmdebstrap from the Debian mirror apt already uses; built on
# first use and kept until this file, mpi_image.sh, mpi_hello.c or
# mmdebstrap change.  Only the harness (root) writes these directories,
# never a job.

MPI_SITE_SUITE=trixie
MPI_SITE_PACKAGES=mpich
MPI_SITE_BUILD_PACKAGES=gcc,libc6-dev,libmpich-dev
# left out of a site prefix: glibc (the image's must serve) and the
# compiler runtimes (backward compatible: the image's, newer, serve)
MPI_SITE_SKIP='^(libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|libresolv\.so|libutil\.so|ld-linux|libstdc\+\+\.so|libgcc_s\.so|libgfortran\.so|libquadmath\.so|libgomp\.so)'

mpi_site_stamp() {
	{
		echo "$MPI_SITE_SUITE $MPI_SITE_PACKAGES $MPI_SITE_BUILD_PACKAGES $MPI_SITE_SKIP"
		# contents only: every checkout (worktree, CI clone) shares the cache
		cat "$HARNESS/mpi_site.sh" "$HARNESS/mpi_image.sh" "$HARNESS/../integration/tools/mpi_hello.c" |
			sha256sum
		mmdebstrap --version
	} | sha256sum | cut -c1-64
}

# copy_mpich ROOT DEST: ROOT's MPICH libraries (Debian's names) and what
# they load, resolved by ROOT's own loader, into DEST (files, not links).
copy_mpich() {
	local root=$1 dest=$2 lib dir=/usr/lib/x86_64-linux-gnu name path
	install -d -m 0755 "$dest"
	for lib in libmpich.so.12 libmpichcxx.so.12 libmpichfort.so.12; do
		[ -e "$root$dir/$lib" ] || continue
		cp -L "$root$dir/$lib" "$dest/$lib"
		chroot "$root" ldd "$dir/$lib" | while read -r name _ path _; do
			case $path in /*) ;; *) continue ;; esac
			[[ $name =~ $MPI_SITE_SKIP ]] && continue
			[ -e "$dest/$name" ] || cp -L "$root$path" "$dest/$name"
		done
	done
	chmod 0644 "$dest"/*
	[ -s "$dest/libmpich.so.12" ] || die "mpi-site: no libmpich.so.12 in $root"
}

# Builds the trixie image into $LAB/images and $work/trixie-lib; prints its digest.
mpi_site_build_image() {
	local work=$1 mirror digest
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || die "mpi-site: no Debian mirror in apt's sources"
	cp "$HARNESS/../integration/tools/mpi_hello.c" "$work/hello.c"
	# shellcheck disable=SC2016 # $1 is mmdebstrap's, in its hooks
	mmdebstrap --quiet --variant=minbase --include="$MPI_SITE_PACKAGES,$MPI_SITE_BUILD_PACKAGES" \
		--customize-hook="cp '$work/hello.c' \"\$1/tmp/\"" \
		--customize-hook='chroot "$1" mpicc.mpich -O2 -o /usr/local/bin/hello.mpich /tmp/hello.c' \
		--customize-hook="chroot \"\$1\" apt-get purge -y -qq --autoremove ${MPI_SITE_BUILD_PACKAGES//,/ } >/dev/null" \
		--customize-hook='rm -rf "$1/tmp/hello.c" "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
		"$MPI_SITE_SUITE" "$work/rootfs" "$mirror" >"$work/log" 2>&1 ||
		{ tail -n 20 "$work/log" >&2; rm -rf --one-file-system "$work"; die "mpi-site: mmdebstrap $MPI_SITE_SUITE failed"; }
	copy_mpich "$work/rootfs" "$work/trixie-lib"
	mksquashfs "$work/rootfs" "$work/img.sqfs" -noappend -quiet -no-progress -comp zstd >/dev/null
	digest=sha256:$(sha256sum "$work/img.sqfs" | cut -c1-64)
	jq -n --arg d "$digest" '{schema: 1, digest: $d,
		env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
		entrypoint: [], cmd: ["/bin/bash"], workdir: null,
		labels: {"org.opencontainers.image.title": "berth site-MPI test image (Debian 13)"}}' >"$work/img.json"
	chmod 0644 "$work/img.sqfs" "$work/img.json"
	mv -f "$work/img.json" "$LAB/images/$digest.json"
	mv -f "$work/img.sqfs" "$LAB/images/$digest.sqfs"
	echo "$digest"
}

# Whether LAB (default $LAB) holds a complete build whose stamp is $2
# (any stamp if empty); prints its digest.
mpi_site_built() {
	local lab=$1 want=${2:-} digest
	[ -z "$want" ] || [ "$(head -n1 "$lab/oci/mpi-site.stamp" 2>/dev/null)" = "$want" ] || return 1
	digest=$(sed -n 2p "$lab/oci/mpi-site.stamp" 2>/dev/null) || return 1
	[ -n "$digest" ] && [ -s "$lab/images/$digest.sqfs" ] && [ -s "$lab/images/$digest.json" ] &&
		[ -s "$lab/site-mpi/debian12/lib/libmpich.so.12" ] && [ -s "$lab/site-mpi/trixie/lib/libmpich.so.12" ] ||
		return 1
	echo "$digest"
}

# Prints the trixie image's digest, building it and the site prefixes if
# needed.  Without mmdebstrap (a release chroot) it prints what release.sh
# put into this lab from the host's, or exits 77 when there is none.
mpi_site() {
	local stamp work digest bookworm t0 from=${BERTH_MPI_IMAGE_FROM:-}
	if ! command -v mmdebstrap >/dev/null; then
		mpi_site_built "$LAB" && return 0
		echo "mpi-site: needs mmdebstrap, which this system does not have, and nothing was built for it from the host (release.sh does)" >&2
		exit 77
	fi
	stamp=$(mpi_site_stamp)
	mpi_site_built "$LAB" "$stamp" && return 0
	# the same build in another lab (release.sh: the host's, for a chroot's)
	if [ -n "$from" ] && digest=$(mpi_site_built "$from" "$stamp"); then
		mpi_image >/dev/null
		cp "$from/images/$digest.json" "$from/images/$digest.sqfs" "$LAB/images/"
		rm -rf --one-file-system "$LAB/site-mpi"
		cp -a "$from/site-mpi" "$LAB/site-mpi"
		cp "$from/oci/mpi-site.stamp" "$LAB/oci/mpi-site.stamp"
		echo "$digest"
		return 0
	fi
	bookworm=$(mpi_image)
	t0=$(now_us)
	work=$(mktemp -d "$LAB/oci/mpi-site.XXXXXX")
	# (set -e: a failure stops here; $work is left in $LAB/oci, like mpi_image's)
	digest=$(mpi_site_build_image "$work")
	unsquashfs -q -d "$work/bookworm" "$LAB/images/$bookworm.sqfs" >/dev/null
	copy_mpich "$work/bookworm" "$work/debian12-lib"
	rm -rf --one-file-system "$LAB/site-mpi"
	install -d -m 0755 "$LAB/site-mpi" "$LAB/site-mpi/debian12" "$LAB/site-mpi/trixie"
	mv "$work/debian12-lib" "$LAB/site-mpi/debian12/lib"
	mv "$work/trixie-lib" "$LAB/site-mpi/trixie/lib"
	printf '%s\n%s\n' "$stamp" "$digest" >"$LAB/oci/mpi-site.stamp"
	rm -rf --one-file-system "$work"
	say "mpi-site: built $digest and $LAB/site-mpi in $(since "$t0") s" >&2
	echo "$digest"
}
