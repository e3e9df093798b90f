# shellcheck shell=bash
# lib.sh - helpers of cluster.sh (sourced, not run): settings, messages,
# process records, users, munge, lab directory and configs.  nodes.sh has the
# network namespaces, the Slurm daemons and the leftover checks of `stop`;
# images.sh the registry and the test images.
#
# Every process the harness starts is recorded in $LAB/run/<name>.bgpid as
# "PID STARTTIME"; it is signalled only while /proc/PID still has that start
# time, so a recycled PID is never hit.  Nothing is ever killed by name.

# ---- settings ---------------------------------------------------------------
HARNESS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=${BERTH_LAB:-/var/tmp/berth-lab}
BUILDDIR=${BERTH_BUILDDIR:-$(cd "$HARNESS/../.." && pwd)}
PLUGINS=${BERTH_LAB_PLUGINS:-1}
NETNS=${BERTH_LAB_NETNS:-1}
NODES=(n1 n2 n3)
CTLD_PORT=16817
SLURMD_PORT=17001              # netns mode: every node; port mode: 17001..17003
REGISTRY=127.0.0.1:15000
SUBNET=10.77.0                 # bridge .1, nodes .11 .12 .13; nothing is routed
SLURM_PLUGINDIR=/usr/lib/x86_64-linux-gnu/slurm-wlm
SLURM_CONF=$LAB/etc/slurm.conf
# What the lab runs - berth.so in users' sbatch/srun, the other plugins, the
# gateway as its own user, the helper - is installed here at start with
# `make install DESTDIR=` (stage_build): the installed layout is what is
# tested, and a build tree under a directory only root can enter (/root)
# works too.
STAGE=$LAB/build
# BERTH_LAB_DEBS=DIR: the lab runs the Debian packages in DIR instead
# (berth-slurm-plugins, berth-gatewayd, berth: packages.sh deb), unpacked with
# dpkg-deb -x into the same $STAGE/root: the packaged files at their paths.
DEBS=${BERTH_LAB_DEBS:-}
GATEWAY_BIN=$STAGE/berth-gatewayd
RUN=$LAB/run
CLIENT_PATH=/usr/sbin:/usr/bin:/sbin:/bin
export SLURM_CONF

# ---- messages ---------------------------------------------------------------
say() { printf 'cluster: %s\n' "$*"; }
warn() { printf 'cluster: warning: %s\n' "$*" >&2; }
die() {
	printf 'cluster: error: %s\n' "$*" >&2
	exit 1
}

now_us() { echo "${EPOCHREALTIME/./}"; }
# seconds since a now_us value, "1.23"
since() {
	local d=$(($(now_us) - $1))
	printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000))
}

# Last lines of a log, indented, on stderr.
log_tail() {
	local f
	for f in "$@"; do
		[ -s "$f" ] || continue
		printf '  --- tail of %s ---\n' "$f" >&2
		tail -n "${TAIL_LINES:-25}" "$f" | sed 's/^/  /' >&2
	done
}

check_settings() {
	case $LAB in
	/tmp | /tmp/*) die "BERTH_LAB=$LAB: must not be under /tmp (job containers replace /tmp)" ;;
	/*/*) ;;
	*) die "BERTH_LAB=$LAB: must be an absolute path below a top-level directory" ;;
	esac
	case $BUILDDIR in /*) ;; *) die "BERTH_BUILDDIR=$BUILDDIR: must be an absolute path" ;; esac
	case $PLUGINS in 0 | 1) ;; *) die "BERTH_LAB_PLUGINS must be 0 or 1" ;; esac
	case $NETNS in 0 | 1) ;; *) die "BERTH_LAB_NETNS must be 0 or 1" ;; esac
}

need_root() { [ "$(id -u)" = 0 ] || die "'$1' needs root"; }

# One start/stop at a time (the cluster's ports and names are global to the host).
take_lock() {
	exec 9>/run/berth-harness.lock
	flock -n 9 || die "another 'cluster.sh start/stop' is running"
}

# The network namespaces, the bridge and the slurm_n* cgroups are shared by
# every lab on the machine: OWNER names the lab that made them, so that
# `stop` of another lab never sweeps a running cluster's nodes.
OWNER=/run/berth-harness.owner
shared_owner() { [ -f "$OWNER" ] && cat "$OWNER" || true; }
owns_shared() { local o; o=$(shared_owner); [ -z "$o" ] || [ "$o" = "$LAB" ]; }

# ---- process records --------------------------------------------------------
proc_starttime() { # PID -> start time in clock ticks (field 22 of stat), "" if gone or a zombie
	local stat rest f
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	rest=${stat##*) }
	read -r -a f <<<"$rest"
	[ "${f[0]}" = Z ] || echo "${f[19]}"
}

record_pid() { # NAME PID
	local st
	st=$(proc_starttime "$2")
	[ -n "$st" ] || return 1
	echo "$2 $st" >"$RUN/$1.bgpid"
}

# Prints the PID of a recorded process if it is still that process.
recorded_pid() { # NAME
	local pid st
	[ -f "$RUN/$1.bgpid" ] || return 1
	read -r pid st <"$RUN/$1.bgpid" || return 1
	[ -n "$pid" ] && [ "$(proc_starttime "$pid")" = "$st" ] || return 1
	echo "$pid"
}

# Start a daemon in its own session; fd 9 (the lock) is not inherited.
# setsid does not fork here (a background job is no group leader), so $! is
# the daemon itself, whatever it execs into.
spawn() { # NAME LOGFILE CMD...
	local name=$1 log=$2
	shift 2
	setsid "$@" >"$log" 2>&1 </dev/null 9>&- &
	record_pid "$name" $! || die "$name exited at once: $(tail -n 3 "$log" | tr '\n' ' ')"
}

# Environment of the daemons: minimal and reproducible, plus BERTH_* and
# sanitizer knobs for developers.
daemon_env() {
	local v
	printf '%s\n' env -i "PATH=$CLIENT_PATH" LANG=C.UTF-8 "SLURM_CONF=$SLURM_CONF"
	for v in $(compgen -e); do
		case $v in BERTH_* | ASAN_OPTIONS | UBSAN_OPTIONS | LSAN_OPTIONS) printf '%s\n' "$v=${!v}" ;; esac
	done
}

# SIGTERM the recorded processes, SIGKILL whatever is left after 5 s.
stop_recorded() { # NAME...
	local name pid i alive=() names=()
	for name in "$@"; do
		if pid=$(recorded_pid "$name"); then
			kill -TERM "$pid" 2>/dev/null || true
			alive+=("$pid") names+=("$name")
		fi
	done
	for ((i = 0; i < 50; i++)); do
		pid=
		for name in "${names[@]}"; do recorded_pid "$name" >/dev/null && pid=1; done
		[ -z "$pid" ] && break
		sleep 0.1
	done
	for name in "${names[@]}"; do
		if pid=$(recorded_pid "$name"); then
			warn "$name (pid $pid) ignored SIGTERM for 5 s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	for name in "$@"; do
		for ((i = 0; i < 20; i++)); do
			recorded_pid "$name" >/dev/null || break
			sleep 0.1
		done
		recorded_pid "$name" >/dev/null || rm -f "$RUN/$name.bgpid"
	done
	if [ ${#alive[@]} -gt 0 ]; then say "stopped ${names[*]}"; fi
}

# ---- users ------------------------------------------------------------------
ensure_user() { # NAME UID
	local cur
	if cur=$(id -u "$1" 2>/dev/null); then
		[ "$cur" = "$2" ] || warn "user $1 exists with uid $cur (expected $2)"
		return 0
	fi
	getent passwd "$2" >/dev/null && die "uid $2 is taken by $(getent passwd "$2" | cut -d: -f1); cannot create $1"
	if getent group "$2" >/dev/null; then
		useradd -m -u "$2" -U -s /bin/bash "$1"
	else
		groupadd -g "$2" "$1"
		useradd -m -u "$2" -g "$2" -s /bin/bash "$1"
	fi
	say "created user $1 (uid $2)"
}

# ---- munge ------------------------------------------------------------------
munge_works() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
	local i pid
	if munge_works; then
		if pid=$(recorded_pid munged); then say "munged: ours, running (pid $pid)"; else say "munged: already running (not ours, left alone)"; fi
		return 0
	fi
	rm -f "$RUN/munged.bgpid"
	if [ ! -s /etc/munge/munge.key ]; then
		install -d -o munge -g munge -m 0700 /etc/munge
		runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key 9>&-
		chmod 0600 /etc/munge/munge.key
		say "munged: created /etc/munge/munge.key"
	fi
	install -d -o munge -g munge -m 0755 /run/munge
	install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
	rm -f /run/munge/munged.pid
	runuser -u munge -- /usr/sbin/munged 9>&- || die "munged did not start (see /var/log/munge/munged.log)"
	for ((i = 0; i < 50; i++)); do
		[ -s /run/munge/munged.pid ] && munge_works && break
		sleep 0.1
	done
	munge_works || die "munged is not answering (see /var/log/munge/munged.log)"
	record_pid munged "$(cat /run/munge/munged.pid)" || die "munged: no live pid in /run/munge/munged.pid"
	say "munged: started (pid $(recorded_pid munged))"
}

# ---- lab directory and configs ----------------------------------------------
# Replace @KEY@ by VALUE (values may span lines).
render() { # TEMPLATE OUT KEY=VALUE...
	local text kv
	text=$(<"$HARNESS/templates/$1")
	shift
	local out=$1
	shift
	for kv in "$@"; do text=${text//@${kv%%=*}@/${kv#*=}}; done
	[[ $text != *@[A-Z_]*@* ]] || die "templates: unreplaced placeholder in $out"
	printf '%s\n' "$text" >"$out.tmp"
	chmod 0644 "$out.tmp"
	mv -f "$out.tmp" "$out"
}

# Fresh state for a new cluster (configs, logs of the previous run kept in log/prev).
init_lab() {
	local n d
	umask 022
	install -d -m 0755 "$LAB" "$LAB"/{etc,log,log/prev,run,state,spool,tmpfs,images,registry,oci}
	install -d -m 0700 "$LAB/berth-state"
	# nothing may be mounted in the lab when we wipe parts of it
	if [ -n "$(lab_mounts)" ]; then
		die "mounts under $LAB are left from an earlier run (run 'cluster.sh stop' first): $(lab_mounts | tr '\n' ' ')"
	fi
	find "$LAB/log" -maxdepth 1 -type f -name '*.log' -exec mv -f -t "$LAB/log/prev" {} +
	find "$LAB/state" "$LAB/spool" "$LAB/tmpfs" "$LAB/berth-state" -mindepth 1 -maxdepth 1 \
		-exec rm -rf --one-file-system {} +
	# TmpFS (slurm.conf): each node's own, as on a cluster (the PMIx client
	# directories of one step would collide in a shared /tmp), and not
	# under /tmp, which berth's containers replace with the job's own
	for n in "${NODES[@]}"; do install -d -m 0755 "$LAB/spool/$n"; install -d -m 1777 "$LAB/tmpfs/$n"; done
	for d in "$RUN"/*.bgpid; do
		[ -e "$d" ] || continue
		case ${d##*/} in munged.bgpid) ;; *) rm -f "$d" ;; esac
	done
}

# The slurm.conf line of the node plugin built for this Slurm, as configure
# chose it: NamespaceType=namespace/berth from 25.11, JobContainerType=
# job_container/berth before.
node_plugin_line() {
	local line
	if [ -n "$DEBS" ]; then
		line=$(dpkg-deb -c "$(lab_deb berth-slurm-plugins)")
		if [[ $line == */namespace_berth.so* ]]; then
			echo NamespaceType=namespace/berth
		else
			echo JobContainerType=job_container/berth
		fi
		return 0
	fi
	line=$(sed -n 's/^slurm_container_conf = //p' "$BUILDDIR/Makefile" 2>/dev/null)
	echo "${line:-JobContainerType=job_container/berth}"
}

# BERTH_LAB_DEBS: the one PACKAGE_*_ARCH.deb in it
lab_deb() { # PACKAGE
	local f=("$DEBS/$1_"*"_$(dpkg --print-architecture).deb")
	{ [ ${#f[@]} = 1 ] && [ -f "${f[0]}" ]; } || die "BERTH_LAB_DEBS=$DEBS: not one $1_*.deb there (${f[*]})"
	echo "${f[0]}"
}

check_plugins() {
	local n node list
	[ "$PLUGINS" = 1 ] || return 0
	node=job_container_berth
	[ "$(node_plugin_line)" = "NamespaceType=namespace/berth" ] && node=namespace_berth
	if [ -n "$DEBS" ]; then
		lab_deb berth-gatewayd >/dev/null
		lab_deb berth >/dev/null
		list=$(dpkg-deb -c "$(lab_deb berth-slurm-plugins)")
		for n in berth job_submit_berth "$node"; do
			[[ $list == *"$SLURM_PLUGINDIR/$n.so"* ]] || die "$(lab_deb berth-slurm-plugins): no $SLURM_PLUGINDIR/$n.so"
		done
		return 0
	fi
	for n in berth job_submit_berth "$node"; do
		[ -f "$BUILDDIR/plugins/.libs/$n.so" ] ||
			die "$BUILDDIR/plugins/.libs/$n.so not built (run make, or set BERTH_LAB_PLUGINS=0)"
	done
}

# make in the build tree, with its generated Makefile (not the source tree's
# GNUmakefile) and none of a calling make's flags or variables.
build_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$BUILDDIR" -f Makefile "$@"
}

# A directory variable of the build's Makefile, expanded (bindir, ...).
build_dir_var() {
	printf 'berth-print-var:\n\t@echo $(%s)\n' "$1" | build_make -s -f - berth-print-var
}

# The lab runs what `make install` installs (DESTDIR=$STAGE/root), not the
# build tree: the plugins Slurm loads, the gateway, the helper.  $STAGE/plugins,
# $STAGE/berth-gatewayd and $STAGE/berth point into that tree.  A build that
# could not install (release.sh smoke of a release that does not build) runs
# without berth's plugins, with copies of what did build.
stage_build() {
	local f root=$STAGE/root
	rm -rf --one-file-system "$STAGE"
	install -d -m 0755 "$STAGE"
	if [ -n "$DEBS" ]; then
		for f in berth-slurm-plugins berth-gatewayd berth; do dpkg-deb -x "$(lab_deb "$f")" "$root"; done
		ln -s "root$SLURM_PLUGINDIR" "$STAGE/plugins"
		ln -s root/usr/sbin/berth-gatewayd "$STAGE/berth-gatewayd"
		ln -s root/usr/bin/berth "$STAGE/berth"
		return 0
	fi
	if build_make install DESTDIR="$root" >"$LAB/log/install.log" 2>&1; then
		ln -s "root$(build_dir_var slurmplugindir)" "$STAGE/plugins"
		ln -s "root$(build_dir_var sbindir)/berth-gatewayd" "$STAGE/berth-gatewayd"
		ln -s "root$(build_dir_var bindir)/berth" "$STAGE/berth"
		return 0
	fi
	if [ "$PLUGINS" = 1 ]; then
		log_tail "$LAB/log/install.log"
		die "make install DESTDIR=$root failed in $BUILDDIR"
	fi
	warn "make install failed (log: $LAB/log/install.log): copies of what was built"
	install -d -m 0755 "$STAGE/plugins"
	for f in gateway/berth-gatewayd helper/berth; do
		[ ! -x "$BUILDDIR/$f" ] || install -m 0755 "$BUILDDIR/$f" "$STAGE/${f#*/}"
	done
}

write_configs() {
	local host plugindir plugin_lines='' nodes='' i
	host=$(hostname -s)
	plugindir=$SLURM_PLUGINDIR
	if [ "$PLUGINS" = 1 ]; then
		check_plugins
		plugindir=$SLURM_PLUGINDIR:$STAGE/plugins
		plugin_lines="JobSubmitPlugins=berth"$'\n'"$(node_plugin_line)"
		# per-job sshd (exclusive jobs only) and --ccm (needs the sshd)
		printf 'required %s enable_ccm=1 enable_sshd=1\n' "$STAGE/plugins/berth.so" >"$LAB/etc/plugstack.conf"
	else
		plugin_lines='# BERTH_LAB_PLUGINS=0: berth plugins not loaded'
		: >"$LAB/etc/plugstack.conf"
	fi
	chmod 0644 "$LAB/etc/plugstack.conf"
	# two fake GPUs per node (write_fake_gpus): GRES only for jobs that ask
	local common="CPUs=2 Sockets=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=2000 Gres=gpu:2 State=UNKNOWN"
	if [ "$NETNS" = 1 ]; then
		host="$host($SUBNET.1)"
		for i in "${!NODES[@]}"; do
			nodes+="NodeName=${NODES[i]} NodeAddr=$SUBNET.1$((i + 1)) Port=$SLURMD_PORT $common"$'\n'
		done
		nodes=${nodes%$'\n'}
	else
		nodes="NodeName=n[1-3] NodeHostname=$(hostname -s) NodeAddr=127.0.0.1 Port=[$SLURMD_PORT-$((SLURMD_PORT + 2))] $common"
	fi
	render slurm.conf.in "$LAB/etc/slurm.conf" "LAB=$LAB" "CTLD_HOST=$host" "CTLD_PORT=$CTLD_PORT" \
		"PLUGINDIR=$plugindir" "PLUGIN_LINES=$plugin_lines" "NODE_LINES=$nodes"
	render cgroup.conf.in "$LAB/etc/cgroup.conf"
	write_fake_gpus
	render berth.conf.in "$LAB/etc/berth.conf" "LAB=$LAB" "GATEWAY=$(gateway_addr)"
	# the site's --module definitions (berth.conf modules_dir): two demo modules
	install -d -m 0755 "$LAB/modules"
	printf 'description = %s (demo)\n' "MPI from the host" >"$LAB/modules/mpich.conf"
	printf 'description = %s (demo)\n' "GPU libraries from the host" >"$LAB/modules/gpu.conf"
	render registry.yml.in "$LAB/etc/registry.yml" "LAB=$LAB" "REGISTRY=$REGISTRY"
	echo "netns=$NETNS plugins=$PLUGINS builddir=$BUILDDIR debs=$DEBS" >"$RUN/mode"
}

# GPUs without a GPU: GRES "gpu" backed by character devices made here
# with /dev/null's numbers under other names (harmless; ConstrainDevices is
# off, so Slurm's cgroup denies nothing), a CDI spec of the fake kind
# berthlab.test/gpu that maps them, adds a fake driver library directory,
# env, and a createContainer hook that records its stdin (the OCI state)
# in $LAB/cdi-hooks/<job.step>.json.
write_fake_gpus() {
	local i
	install -d -m 0755 "$LAB/dev" "$LAB/cdi" "$LAB/fake-driver/lib" "$LAB/cdi-hooks"
	for i in 0 1; do
		rm -f "$LAB/dev/fakegpu$i"
		mknod -m 0666 "$LAB/dev/fakegpu$i" c 1 3
	done
	printf 'fake driver library\n' >"$LAB/fake-driver/lib/libfakegpu.so.1"
	printf 'Name=gpu File=%s/dev/fakegpu0\nName=gpu File=%s/dev/fakegpu1\n' "$LAB" "$LAB" >"$LAB/etc/gres.conf"
	cat >"$LAB/cdi-hook.sh" <<-'HOOK'
		#!/bin/sh
		# CDI createContainer hook of the harness: keep the OCI state
		state=$(cat)
		id=$(printf '%s' "$state" | sed -n 's/.*"id":"\([0-9.]*\)".*/\1/p')
		printf '%s\n' "$state" >"$HOOK_DIR/${id:-unknown}.json"
	HOOK
	chmod 0755 "$LAB/cdi-hook.sh"
	render fake-gpu.yaml.in "$LAB/cdi/fake-gpu.yaml" "LAB=$LAB"
	chmod 0644 "$LAB/cdi/fake-gpu.yaml" "$LAB/etc/gres.conf"
}

port_busy() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }
