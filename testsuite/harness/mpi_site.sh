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

# Prints the trixie image's digest, building it and the site prefixes if needed.
mpi_site() {
	local stamp work digest bookworm t0
	command -v mmdebstrap >/dev/null || die "mpi-site: needs mmdebstrap (install-deps.sh installs it on the host)"
	stamp=$(mpi_site_stamp)
	if [ "$(head -n1 "$LAB/oci/mpi-site.stamp" 2>/dev/null)" = "$stamp" ]; then
		digest=$(sed -n 2p "$LAB/oci/mpi-site.stamp")
		if [ -s "$LAB/images/$digest.sqfs" ] && [ -s "$LAB/site-mpi/debian12/lib/libmpich.so.12" ] &&
			[ -s "$LAB/site-mpi/trixie/lib/libmpich.so.12" ]; then
			echo "$digest"
			return 0
		fi
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
