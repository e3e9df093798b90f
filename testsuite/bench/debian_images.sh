# shellcheck shell=bash
# debian_images.sh - real images for the conversion benchmarks (sourced):
# Debian 12 made with mmdebstrap from the Debian mirror apt already uses,
# packed into an OCI layout with umoci the way image builders layer them:
# one minbase layer shared by all of them, one layer of packages on top.
#
#   ompi       minbase + Open MPI (runtime and -dev), python3-numpy, pip and
#              python3-dev: ~690 MB in ~22000 files, like the issue's image
#   ompi-user  the same layers, another config (User 1000): what a second
#              image of the same layer set looks like
#   mpich      minbase + MPICH (runtime and -dev), python3-numpy
#
# debian_image NAME builds NAME (and the shared base) into $work/oci unless
# its stamp says it is there already; $work is the caller's.  Needs root
# (mmdebstrap into a directory, umoci unpack), mmdebstrap and umoci.

DEBIAN_SUITE=bookworm
# shellcheck disable=SC2054 # mmdebstrap's --include takes commas
declare -A DEBIAN_PACKAGES=(
	[ompi]=openmpi-bin,libopenmpi-dev,python3-numpy,python3-pip,python3-dev
	[mpich]=mpich,libmpich-dev,python3-numpy
)

debian_mirror() {
	# shellcheck disable=SC2016 # $(URI) is apt's
	apt-get indextargets --format '$(URI)' 'Identifier: Packages' 2>/dev/null |
		grep -v -- '-security/' | sed -n 's|/dists/.*||p' | head -n1
}

debian_stamp() {
	{
		echo "$DEBIAN_SUITE $1 ${DEBIAN_PACKAGES[$1]:-}"
		mmdebstrap --version
		umoci --version
	} | sha256sum | cut -c1-64
}

# debian_rootfs DIR PACKAGES: a minbase tree (plus PACKAGES) in DIR, which
# must not exist or be empty; apt's lists and caches removed.
debian_rootfs() {
	local dir=$1 packages=$2 mirror log
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || { echo "debian_images: no Debian mirror in apt's sources" >&2; return 1; }
	log=$(mktemp)
	if ! mmdebstrap --quiet --variant=minbase ${packages:+--include="$packages"} \
		"$DEBIAN_SUITE" "$dir" "$mirror" >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
}

# debian_layer FROM_TAG TO_TAG PACKAGES: TO_TAG is FROM_TAG plus one layer
# holding the difference to a fresh minbase + PACKAGES tree (umoci repack
# computes it, whiteouts included).
debian_layer() {
	local from=$1 to=$2 packages=$3 bundle=${work:?}/bundle
	rm -rf --one-file-system "$bundle"
	umoci unpack --image "$work/oci:$from" "$bundle" >/dev/null
	find "$bundle/rootfs" -mindepth 1 -delete
	debian_rootfs "$bundle/rootfs" "$packages" || { rm -rf --one-file-system "$bundle"; return 1; }
	umoci repack --image "$work/oci:$to" "$bundle" >/dev/null
	rm -rf --one-file-system "$bundle"
}

debian_config() {
	umoci config --image "$work/oci:$1" --tag "${2:-$1}" \
		--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--config.cmd /bin/bash "${@:3}" >/dev/null
}

debian_image() {
	local name=$1 base=debian-base stamp
	[ -d "$work/oci" ] || umoci init --layout "$work/oci"
	stamp=$(debian_stamp "$base")
	if [ "$(cat "$work/$base.stamp" 2>/dev/null)" != "$stamp" ]; then
		umoci new --image "$work/oci:empty" >/dev/null
		debian_layer empty "$base" "" || return 1
		echo "$stamp" >"$work/$base.stamp"
	fi
	case $name in
	ompi-user)
		debian_image ompi || return 1
		debian_config ompi ompi-user --config.user 1000
		return
		;;
	ompi | mpich) ;;
	*)
		echo "debian_images: unknown image $name" >&2
		return 2
		;;
	esac
	stamp=$(debian_stamp "$name")$(cat "$work/$base.stamp")
	[ "$(cat "$work/$name.stamp" 2>/dev/null)" = "$stamp" ] && return 0
	debian_layer "$base" "$name" "${DEBIAN_PACKAGES[$name]}" || return 1
	debian_config "$name"
	umoci gc --layout "$work/oci"
	echo "$stamp" >"$work/$name.stamp"
}
