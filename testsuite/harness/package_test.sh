#!/bin/bash
# package_test.sh - run by packages.sh as root inside a fresh Debian chroot
# that has the packages' dependencies, with the .debs beside it in
# /tmp/berth-pkgtest: installs them with apt-get, checks that the programs
# run and every file is where it belongs, that srun loads the SPANK plugin
# and Lua the modules, then that `apt-get remove` keeps the configuration
# and `apt-get purge` leaves nothing but what Debian policy keeps.
set -euo pipefail
cd /tmp/berth-pkgtest

checks=0
trap 'printf "package test: FAIL: line %s: a command failed\n" "$LINENO" >&2' ERR
fail() {
	printf 'package test: FAIL: %s\n' "$*" >&2
	exit 1
}
ok() {
	checks=$((checks + 1))
	printf 'package test: ok: %s\n' "$*"
}
owner() { # PATH PACKAGE: the file is there, and is PACKAGE's
	local got
	[ -e "$1" ] || fail "$1: missing"
	got=$(dpkg -S "$1" 2>/dev/null | cut -d: -f1) || true
	[ "$got" = "$2" ] || fail "$1: owned by '${got:-no package}', not $2"
}
# Every path of the root filesystem but the scratch and the virtual ones.
snapshot() {
	find / -xdev \( -path /tmp -o -path /proc -o -path /dev -o -path /run -o -path /sys \) -prune -o -print |
		LC_ALL=C sort
}
# What dpkg, apt and the user database keep by design after a purge.
policy_kept() {
	grep -Ev -e '^/var/lib/(dpkg|apt)(/|$)' -e '^/var/(cache|log)(/|$)' \
		-e '^/etc/(passwd|group|shadow|gshadow|subuid|subgid)-?$' \
		-e '^/var/lib/systemd(/deb-systemd-helper-(enabled|masked))?$' || true
}

ma=
for d in /usr/lib/*/slurm-wlm; do [ -d "$d" ] && ma=${d#/usr/lib/} && ma=${ma%/slurm-wlm}; done
[ -n "$ma" ] || fail "no Slurm plugin directory /usr/lib/*/slurm-wlm in the chroot"
plugindir=/usr/lib/$ma/slurm-wlm
slurm_version=$(dpkg-query -W -f='${Version}' slurm-wlm-basic-plugins)
debs=(./berth-slurm-plugins_*.deb ./berth-gatewayd_*.deb ./berth_*.deb)
{ [ ${#debs[@]} = 3 ] && [ -f "${debs[0]}" ] && [ -f "${debs[1]}" ] && [ -f "${debs[2]}" ]; } ||
	fail "the three .debs are not in $PWD"
# no daemon of the packages starts in here (there is no init anyway)
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d
snapshot >before.list

# ---- install ------------------------------------------------------------------
apt-get install -y -q --no-install-recommends "${debs[@]}" >apt-install.log 2>&1 ||
	{ cat apt-install.log >&2; fail "apt-get install of the .debs"; }
ok "apt-get install ${debs[*]#./} (Slurm $slurm_version)"

# the programs run
v=$(berth --version) || fail "berth --version"
[[ $v == "berth "[0-9]* ]] || fail "berth --version printed '$v'"
ok "berth --version: $v"
berth-gatewayd --help >gw-help.txt || fail "berth-gatewayd --help"
grep -q '^usage: berth-gatewayd' gw-help.txt || fail "berth-gatewayd --help: no usage line"
ok "berth-gatewayd --help"

# every file where it belongs, owned by its package
node=job_container_berth
[ -e "$plugindir/namespace_berth.so" ] && node=namespace_berth
for f in berth.so job_submit_berth.so "$node.so"; do owner "$plugindir/$f" berth-slurm-plugins; done
for f in "/usr/lib/$ma/lua/5.4/berth.so" "/usr/lib/$ma/lua/5.1/berth.so" \
	/usr/share/man/man5/berth.conf.5.gz /usr/share/doc/berth-slurm-plugins/examples/berth.conf.example; do
	owner "$f" berth-slurm-plugins
done
unit=/lib/systemd/system/berth-gatewayd.service
[ -e "$unit" ] || unit=/usr/lib/systemd/system/berth-gatewayd.service
for f in /usr/sbin/berth-gatewayd /etc/berth/berth-gateway.conf "$unit" \
	/usr/share/man/man8/berth-gatewayd.8.gz /usr/share/man/man5/berth-gateway.conf.5.gz; do
	owner "$f" berth-gatewayd
done
for f in /usr/bin/berth /usr/share/man/man1/berth.1.gz; do owner "$f" berth; done
ok "files: plugins in $plugindir ($node), Lua 5.4 + 5.1 modules, programs, unit, man pages"
[ -z "$(find / -xdev -name '*.la' -path '*berth*' 2>/dev/null)" ] || fail "libtool archives installed"
dpkg-query -W -f='${Conffiles}\n' berth-gatewayd | grep -q '^ /etc/berth/berth-gateway.conf ' ||
	fail "/etc/berth/berth-gateway.conf is not a conffile"
ok "/etc/berth/berth-gateway.conf is a conffile"

# the exact Slurm release
dep=$(dpkg-query -W -f='${Depends}' berth-slurm-plugins)
up=$(sed -E 's/^([0-9]+:)?([0-9]+\.[0-9]+\.[0-9]+).*/\2/' <<<"$slurm_version")
[[ $dep == *"slurm-wlm-basic-plugins (>= $up)"* && $dep == *"slurm-wlm-basic-plugins (<< "* ]] ||
	fail "berth-slurm-plugins does not pin Slurm $up: Depends: $dep"
ok "berth-slurm-plugins depends on Slurm $up exactly: $dep"

# the gateway's user, directories and configuration
pw=$(getent passwd berth) || fail "no user berth"
IFS=: read -r _ _ uid _ _ home shell <<<"$pw"
{ [ "$uid" -lt 1000 ] && [ "$home" = /var/lib/berth ] && [ "$shell" = /usr/sbin/nologin ]; } ||
	fail "user berth is not a system user with home /var/lib/berth, no shell: $pw"
[ "$(stat -c '%U %a' /var/lib/berth/gateway)" = "berth 700" ] || fail "/var/lib/berth/gateway: $(stat -c '%U %a' /var/lib/berth/gateway)"
[ "$(stat -c '%U %a' /var/lib/berth/images)" = "berth 755" ] || fail "/var/lib/berth/images: $(stat -c '%U %a' /var/lib/berth/images)"
out=$(runuser -u berth -- berth-gatewayd --check-config -c /etc/berth/berth-gateway.conf 2>&1) ||
	fail "berth-gatewayd --check-config as berth: $out"
ok "user berth (uid $uid), /var/lib/berth/{gateway,images}; --check-config: $out"
[ ! -e /etc/systemd/system/multi-user.target.wants/berth-gatewayd.service ] ||
	fail "berth-gatewayd.service is enabled on install"
ok "berth-gatewayd.service installed disabled"

# srun loads the SPANK plugin (the Slurm the package depends on) and shows
# its options; the configuration it needs is this test's, removed after.
made=()
for f in /etc/slurm /etc/slurm/plugstack.conf.d; do
	[ -d "$f" ] || { install -d -m 0755 "$f"; made=("$f" "${made[@]}"); }
done
if [ ! -f /etc/slurm/plugstack.conf ]; then
	echo 'include /etc/slurm/plugstack.conf.d/*.conf' >/etc/slurm/plugstack.conf
	made=(/etc/slurm/plugstack.conf "${made[@]}")
fi
[ ! -e /etc/slurm/slurm.conf ] || fail "/etc/slurm/slurm.conf exists before the test"
printf '%s\n' ClusterName=pkgtest SlurmctldHost=localhost 'NodeName=localhost CPUs=1 State=UNKNOWN' \
	'PartitionName=debug Nodes=localhost Default=YES' >/etc/slurm/slurm.conf
echo "required $plugindir/berth.so" >/etc/slurm/plugstack.conf.d/berth-pkgtest.conf
made=(/etc/slurm/slurm.conf /etc/slurm/plugstack.conf.d/berth-pkgtest.conf "${made[@]}")
srun --help >srun-help.txt 2>&1 || { cat srun-help.txt >&2; fail "srun --help with berth.so in plugstack.conf"; }
grep -q -- '--image=' srun-help.txt || { cat srun-help.txt >&2; fail "srun --help shows no --image (berth.so not loaded)"; }
ok "srun --help with berth.so: $(grep -c -e '--image' -e '--volume' -e '--module' -e '--entrypoint' srun-help.txt) lines of berth options"
for f in "${made[@]}"; do
	if [ -d "$f" ]; then rmdir "$f"; else rm -f "$f"; fi
done

# the Lua modules load in their interpreters (their libraries resolve)
for l in 5.4 5.1; do
	out=$("lua$l" -e 'local b = require("berth"); print(b.parse("busybox").canonical)' 2>&1) ||
		fail "lua$l: require(\"berth\"): $out"
	[ "$out" = docker:docker.io/library/busybox:latest ] || fail "lua$l: berth.parse: $out"
done
ok "Lua 5.4 and 5.1: require(\"berth\"), berth.parse"

# ---- remove, purge ------------------------------------------------------------
apt-get remove -y -q berth berth-gatewayd berth-slurm-plugins >apt-remove.log 2>&1 ||
	{ cat apt-remove.log >&2; fail "apt-get remove"; }
{ [ ! -e /usr/bin/berth ] && [ ! -e /usr/sbin/berth-gatewayd ] && [ ! -e "$plugindir/berth.so" ]; } ||
	fail "apt-get remove left the programs or plugins"
[ -f /etc/berth/berth-gateway.conf ] || fail "apt-get remove removed the configuration"
ok "apt-get remove: programs gone, /etc/berth/berth-gateway.conf kept"
# apt-get purge of what remove left (the gateway's conffile), then once more
# from installed (install again, purge at once): each time the filesystem
# must be as before the first install, but for what policy keeps.
purged_clean() { # WHAT
	local left gone p st
	snapshot >after.list
	left=$(LC_ALL=C comm -13 before.list after.list | policy_kept)
	gone=$(LC_ALL=C comm -23 before.list after.list | policy_kept)
	[ -z "$left" ] || fail "$1 left: $(echo "$left" | paste -sd' ')"
	[ -z "$gone" ] || fail "install + $1 removed what was there before: $(echo "$gone" | paste -sd' ')"
	getent passwd berth >/dev/null || fail "$1 removed the system user berth (Debian keeps system users)"
	for p in berth berth-gatewayd berth-slurm-plugins; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || true
		case $st in '' | *not-installed) ;; *) fail "dpkg: $p is '$st' after $1" ;; esac
	done
	ok "$1: nothing left but dpkg/apt state and the system user berth (policy: kept)"
}
rc=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' berth berth-gatewayd berth-slurm-plugins 2>/dev/null |
	awk '$1 == "rc" { print $2 }') || true # (dpkg-query: 1 for the packages it forgot)
[ "$rc" = berth-gatewayd ] || fail "after remove, packages with configuration left: '$rc' (want berth-gatewayd)"
apt-get purge -y -q berth-gatewayd >apt-purge.log 2>&1 || { cat apt-purge.log >&2; fail "apt-get purge"; }
purged_clean "apt-get remove, then apt-get purge"

apt-get install -y -q --no-install-recommends "${debs[@]}" >apt-install.log 2>&1 ||
	{ cat apt-install.log >&2; fail "apt-get install again (the user berth exists)"; }
[ "$(stat -c %U /var/lib/berth/gateway)" = berth ] || fail "installed again: /var/lib/berth/gateway is not berth's"
ok "installed again over the kept user berth"
apt-get purge -y -q berth berth-gatewayd berth-slurm-plugins >apt-purge.log 2>&1 ||
	{ cat apt-purge.log >&2; fail "apt-get purge"; }
purged_clean "apt-get purge"

[ "$checks" -ge 14 ] || fail "only $checks checks ran"
echo "package test: all $checks checks passed"
