# shellcheck shell=bash
# images.sh - the local OCI registry and the test images (sourced by cluster.sh
# after lib.sh).  Images are built without Docker: layer tars are written with
# GNU tar from staging directories and appended verbatim with
# `umoci raw add-layer`, so the multilayer image carries exactly the whiteouts
# we want.  Fixed timestamps and owners make the builds reproducible: the same
# inputs give the same manifest digest.  A build is cached in $LAB/oci until
# this file, /bin/busybox or umoci change.

OCI=$LAB/oci/layout
IMAGES=(busybox multilayer)
EPOCH=1704067200 # 2024-01-01T00:00:00Z
EPOCH_ISO=2024-01-01T00:00:00Z
OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
APPLETS_NEEDED=(sh ls cat id echo env hostname sleep true false)

# ---- registry ---------------------------------------------------------------
start_registry() {
	local i t0
	t0=$(now_us)
	spawn registry "$LAB/log/registry.log" env -i "PATH=$CLIENT_PATH" \
		/usr/bin/docker-registry serve "$LAB/etc/registry.yml"
	for ((i = 0; i < 200; i++)); do
		curl -sf -o /dev/null "http://$REGISTRY/v2/" && break
		recorded_pid registry >/dev/null || {
			log_tail "$LAB/log/registry.log"
			die "registry died during start-up"
		}
		sleep 0.05
	done
	curl -sf -o /dev/null "http://$REGISTRY/v2/" || {
		log_tail "$LAB/log/registry.log"
		die "registry: http://$REGISTRY/v2/ not answering after 10 s"
	}
	say "registry: http://$REGISTRY up after $(since "$t0") s (pid $(recorded_pid registry))"
}

# ---- OCI layout helpers -----------------------------------------------------
manifest_digest() { # TAG -> sha256:... of the tag in the layout, "" if absent
	[ -f "$OCI/index.json" ] || return 0
	jq -r --arg t "$1" '(.manifests // [])[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
		"$OCI/index.json"
}

blob() { echo "$OCI/blobs/${1%%:*}/${1#*:}"; }

image_stamp() { # NAME -> hash of everything the build depends on
	{
		echo "$1"
		sha256sum "$HARNESS/images.sh" /bin/busybox
		umoci --version
		tar --version | head -n1
	} | sha256sum | cut -c1-64
}

# A layer tar from a staging dir: sorted entries, no "./" prefix, root-owned,
# fixed mtime; hard links within the dir stay hard links.
mklayer() { # STAGE OUT
	(cd "$1" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort) |
		tar --no-recursion --numeric-owner --owner=0 --group=0 --mtime="@$EPOCH" \
			-C "$1" -cf "$2" -T -
}

add_layer() { # TAG STAGE DESCRIPTION
	mklayer "$2" "$2.tar"
	umoci raw add-layer --image "$OCI:$1" --history.created "$EPOCH_ISO" \
		--history.created_by "berth harness: $3" "$2.tar"
	rm -f "$2.tar"
}

configure_image() { # TAG BERTH_TEST_IMAGE
	umoci config --image "$OCI:$1" --created "$EPOCH_ISO" --author "berth testsuite" \
		--history.created "$EPOCH_ISO" --history.created_by "berth harness: config" \
		--config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin --config.env "BERTH_TEST_IMAGE=$2" \
		--config.workingdir / --config.cmd /bin/sh
}

# ---- image contents ---------------------------------------------------------
stage_busybox() { # DIR OS_ID PRETTY_NAME
	local d=$1 p a
	install -d -m 0755 "$d"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,home,run,var}
	install -d -m 0700 "$d/root"
	install -d -m 1777 "$d/tmp" "$d/var/tmp"
	install -m 0755 /bin/busybox "$d/bin/busybox"
	while read -r p; do
		[ "$p" = bin/busybox ] || ln -sfn /bin/busybox "$d/$p"
	done < <(/bin/busybox --list-full)
	for a in "${APPLETS_NEEDED[@]}"; do
		[ -L "$d/bin/$a" ] || [ -L "$d/usr/bin/$a" ] || die "images: busybox has no applet $a"
	done
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$d/etc/passwd"
	printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$d/etc/group"
	printf '%s\n' "NAME=\"berth\"" "ID=$2" "PRETTY_NAME=\"$3\"" 'VERSION_ID="1"' >"$d/etc/os-release"
	chmod 0644 "$d"/etc/{passwd,group,os-release}
}

build_busybox() { # WORKDIR
	stage_busybox "$1/l1" berth-busybox "berth test busybox"
	umoci new --image "$OCI:busybox"
	add_layer busybox "$1/l1" "busybox-static rootfs"
	configure_image busybox busybox
}

# multilayer: what each layer does, and what the flattened image must show.
#   layer 1  busybox rootfs + /data/{keep,removed}.txt, /data/dir-removed/f,
#            /opaque/{old1.txt,sub/old2.txt}
#   layer 2  whiteouts: data/.wh.removed.txt, data/.wh.dir-removed;
#            opaque dir replaced wholesale: opaque/.wh..wh..opq + opaque/new.txt;
#            adds /data/layer2.txt
#   layer 3  /links/target.txt + hard link /links/hardlink.txt,
#            /links/abs-link -> /data/keep.txt, /links/rel-link -> ../data/keep.txt,
#            /links/dir-link -> ../opaque; replaces /etc/os-release (ID=berth-multilayer)
build_multilayer() { # WORKDIR
	local l1=$1/l1 l2=$1/l2 l3=$1/l3
	stage_busybox "$l1" berth-busybox "berth test busybox"
	install -d -m 0755 "$l1/data/dir-removed" "$l1/opaque/sub"
	echo "keep (layer 1)" >"$l1/data/keep.txt"
	echo "removed by layer 2" >"$l1/data/removed.txt"
	echo "directory removed by layer 2" >"$l1/data/dir-removed/f"
	echo "old1 (layer 1)" >"$l1/opaque/old1.txt"
	echo "old2 (layer 1)" >"$l1/opaque/sub/old2.txt"

	install -d -m 0755 "$l2/data" "$l2/opaque"
	: >"$l2/data/.wh.removed.txt"
	: >"$l2/data/.wh.dir-removed"
	: >"$l2/opaque/.wh..wh..opq"
	echo "new (layer 2)" >"$l2/opaque/new.txt"
	echo "layer 2" >"$l2/data/layer2.txt"

	install -d -m 0755 "$l3/links" "$l3/etc"
	echo "hard link target (layer 3)" >"$l3/links/target.txt"
	ln "$l3/links/target.txt" "$l3/links/hardlink.txt"
	ln -s /data/keep.txt "$l3/links/abs-link"
	ln -s ../data/keep.txt "$l3/links/rel-link"
	ln -s ../opaque "$l3/links/dir-link"
	printf '%s\n' 'NAME="berth"' 'ID=berth-multilayer' 'PRETTY_NAME="berth test multilayer"' 'VERSION_ID="1"' \
		>"$l3/etc/os-release"
	chmod -R u=rwX,go=rX "$l1/data" "$l1/opaque" "$l2" "$l3"

	umoci new --image "$OCI:multilayer"
	add_layer multilayer "$l1" "base: busybox + files"
	add_layer multilayer "$l2" "whiteouts and an opaque directory"
	add_layer multilayer "$l3" "hard link and symlinks"
	configure_image multilayer multilayer
	verify_multilayer "$1"
}

# The whiteouts must really be in the layer tars, and umoci must apply them.
verify_multilayer() { # WORKDIR
	local m layers r=$1/check/rootfs
	m=$(blob "$(manifest_digest multilayer)")
	mapfile -t layers < <(jq -r '.layers[].digest' "$m")
	[ ${#layers[@]} -ge 3 ] || die "images: multilayer has ${#layers[@]} layers"
	local l2 l3
	l2=$(tar -tzf "$(blob "${layers[1]}")")
	l3=$(tar -tvzf "$(blob "${layers[2]}")")
	grep -qx 'data/.wh.removed.txt' <<<"$l2" || die "images: no whiteout data/.wh.removed.txt in layer 2"
	grep -qx 'data/.wh.dir-removed' <<<"$l2" || die "images: no whiteout data/.wh.dir-removed in layer 2"
	grep -qx 'opaque/.wh..wh..opq' <<<"$l2" || die "images: no opaque whiteout in layer 2"
	grep -Eq '^h.* links/(target|hardlink)\.txt link to links/(hardlink|target)\.txt$' <<<"$l3" || die "images: no hard link in layer 3"
	grep -q '^l.* links/abs-link -> /data/keep.txt$' <<<"$l3" || die "images: no absolute symlink in layer 3"
	grep -q '^l.* links/rel-link -> ../data/keep.txt$' <<<"$l3" || die "images: no relative symlink in layer 3"
	umoci unpack --image "$OCI:multilayer" "$1/check" >/dev/null
	if [ -e "$r/data/removed.txt" ] || [ -e "$r/data/dir-removed" ]; then die "images: whiteout not applied"; fi
	[ "$(ls -A "$r/opaque")" = new.txt ] || die "images: opaque whiteout not applied: $(ls -A "$r/opaque")"
	[ "$(stat -c %i "$r/links/target.txt")" = "$(stat -c %i "$r/links/hardlink.txt")" ] || die "images: hard link lost"
	[ "$(cat "$r/links/rel-link")" = "keep (layer 1)" ] || die "images: relative symlink broken"
	grep -qx 'ID=berth-multilayer' "$r/etc/os-release" || die "images: os-release not replaced"
}

# ---- build, push ------------------------------------------------------------
# Build the images whose inputs changed; prints what it did and how long it took.
ensure_images() {
	local name stamp t0 work built=() cached=()
	t0=$(now_us)
	[ -f "$OCI/index.json" ] || umoci init --layout "$OCI"
	for name in "${IMAGES[@]}"; do
		stamp=$(image_stamp "$name")
		if [ -n "$(manifest_digest "$name")" ] && [ "$(cat "$LAB/oci/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
			cached+=("$name")
			continue
		fi
		[ -z "$(manifest_digest "$name")" ] || umoci rm --image "$OCI:$name"
		rm -f "$LAB/oci/$name.stamp"
		work=$(mktemp -d "$LAB/oci/build.XXXXXX")
		"build_$name" "$work"
		rm -rf --one-file-system "$work"
		echo "$stamp" >"$LAB/oci/$name.stamp"
		built+=("$name")
	done
	[ ${#built[@]} -eq 0 ] || umoci gc --layout "$OCI"
	say "images: built [${built[*]}] cached [${cached[*]}] in $(since "$t0") s"
}

registry_digest() { # NAME -> digest of NAME:latest in the registry, "" if absent
	curl -sfI -H "Accept: $OCI_MANIFEST" "http://$REGISTRY/v2/$1/manifests/latest" 2>/dev/null |
		tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'
}

push_images() {
	local name digest t0 pushed=() policy=()
	t0=$(now_us)
	[ -f /etc/containers/policy.json ] || policy=(--insecure-policy)
	for name in "${IMAGES[@]}"; do
		digest=$(manifest_digest "$name")
		[ "$(registry_digest "$name")" = "$digest" ] && continue
		skopeo "${policy[@]}" copy -q --preserve-digests --dest-tls-verify=false \
			"oci:$OCI:$name" "docker://$REGISTRY/$name:latest" 9>&-
		[ "$(registry_digest "$name")" = "$digest" ] ||
			die "images: $REGISTRY/$name:latest has digest '$(registry_digest "$name")', expected $digest"
		pushed+=("$name")
	done
	say "images: pushed [${pushed[*]}] in $(since "$t0") s; registry has: $(curl -sf "http://$REGISTRY/v2/_catalog" | jq -c .repositories)"
	for name in "${IMAGES[@]}"; do say "  $REGISTRY/$name:latest@$(manifest_digest "$name")"; done
}

# ---- sqfs -------------------------------------------------------------------
# Accepts busybox, busybox:latest, 127.0.0.1:15000/busybox:latest, docker:...
image_name() {
	local ref=${1#docker:}
	ref=${ref#"$REGISTRY"/}
	ref=${ref%:latest}
	local n
	for n in "${IMAGES[@]}"; do [ "$ref" = "$n" ] && echo "$n" && return 0; done
	die "unknown test image '$1' (known: ${IMAGES[*]})"
}

# Flatten an image into $LAB/images/<manifest digest>.sqfs; prints the digest.
make_sqfs() { # IMAGE
	local name digest out work
	name=$(image_name "$1")
	ensure_images >&2
	digest=$(manifest_digest "$name")
	out=$LAB/images/$digest.sqfs
	if [ ! -s "$LAB/images/$digest.json" ]; then
		# berth's image metadata (common/image_meta.h), from the OCI config
		skopeo inspect --config "oci:$OCI:$name" | jq --arg d "$digest" '{schema: 1, digest: $d,
			env: (.config.Env // []), entrypoint: (.config.Entrypoint // []),
			cmd: (.config.Cmd // []), workdir: (.config.WorkingDir // null),
			labels: (.config.Labels // {})}' >"$LAB/images/$digest.json.tmp"
		chmod 0644 "$LAB/images/$digest.json.tmp"
		mv -f "$LAB/images/$digest.json.tmp" "$LAB/images/$digest.json"
	fi
	# zstd, as berth-gatewayd publishes by default (gw_config.h compressor);
	# an older gzip flattening is redone
	if [ ! -s "$out" ] || ! unsquashfs -s "$out" 2>/dev/null | grep -q '^Compression zstd'; then
		work=$(mktemp -d "$LAB/oci/sqfs.XXXXXX")
		umoci unpack --image "$OCI:$name" "$work/bundle" >/dev/null
		mksquashfs "$work/bundle/rootfs" "$work/img.sqfs" -noappend -quiet -no-progress -comp zstd >/dev/null
		chmod 0644 "$work/img.sqfs"
		mv -f "$work/img.sqfs" "$out"
		rm -rf --one-file-system "$work"
		say "sqfs: wrote $out" >&2
	else
		say "sqfs: $out exists" >&2
	fi
	echo "$digest"
}
