#!/bin/bash
# cluster.sh - berth's test cluster on one machine: munge, slurmctld, three
# slurmd (n1 n2 n3, each in its own network + UTS namespace), a local OCI
# registry with test images and berth-gatewayd (gateway.sh).  Needs root
# (except env).
#
#   cluster.sh start            start everything; refuses if already running
#   cluster.sh stop             stop what start started; non-zero if anything was left
#   cluster.sh status           what is running
#   cluster.sh env              eval "$(cluster.sh env)" sets SLURM_CONF, BERTH_LAB, BERTH_REGISTRY, BERTH_GATEWAY
#   cluster.sh run-as USER CMD  run CMD as USER (cwd = home, SLURM_CONF set)
#   cluster.sh sqfs IMAGE       flatten a test image into $BERTH_LAB/images/<digest>.sqfs, print the digest
#   cluster.sh mpi-image        the MPI test image (mpi_image.sh) in $BERTH_LAB/images, print its digest
#   cluster.sh mpi-site         the site-MPI test (mpi_site.sh): a Debian 13 MPICH image (digest
#                               printed) and the site's MPI in $BERTH_LAB/site-mpi/{debian12,trixie}/lib
#   cluster.sh restart-slurmd NODE  stop NODE's slurmd (jobs keep running) and start it again
#   cluster.sh restart-slurmctld    stop slurmctld and start it again on its saved state
#   cluster.sh restart-gateway      stop berth-gatewayd and start it again on its state
#   cluster.sh stop-registry        stop the registry (a registry gone mid-pull)
#   cluster.sh start-registry       start it again on its storage
#
# Environment: BERTH_LAB (default /var/tmp/berth-lab), BERTH_BUILDDIR (build
# tree; default the source tree), BERTH_LAB_PLUGINS=0 (run without the berth
# plugins), BERTH_LAB_NETNS=0 (no namespaces: slurmd -N, ports 17001-17003),
# BERTH_LAB_KEEP_ON_FAIL=1 (a failed start leaves everything running),
# BERTH_LAB_ACCOUNTING=0 (no mariadb/slurmdbd, see accounting.sh),
# BERTH_LAB_DEBS=DIR (run the Debian packages in DIR, not the build: lib.sh).
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=nodes.sh
. "$HARNESS/nodes.sh"
# shellcheck source=images.sh
. "$HARNESS/images.sh"
# shellcheck source=mpi_image.sh
. "$HARNESS/mpi_image.sh"
# shellcheck source=mpi_site.sh
. "$HARNESS/mpi_site.sh"
# shellcheck source=gateway.sh
. "$HARNESS/gateway.sh"
# shellcheck source=accounting.sh
. "$HARNESS/accounting.sh"

DAEMONS=(slurmd-n1 slurmd-n2 slurmd-n3 slurmctld "${ACCOUNTING_DAEMONS[@]}" registry gateway)

usage() {
	sed -n '2,27s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

running_daemons() {
	local name pid
	for name in "${DAEMONS[@]}"; do
		pid=$(recorded_pid "$name") && printf '%s(%s) ' "$name" "$pid"
	done
	return 0
}

# ---- start ------------------------------------------------------------------
preflight() {
	local running p
	running=$(running_daemons)
	[ -z "$running" ] || die "already running in $LAB: $running(run 'cluster.sh stop' first)"
	owns_shared || die "the harness's network namespaces and cgroups belong to the lab $(shared_owner) (stop it first: BERTH_LAB=$(shared_owner) cluster.sh stop)"
	for p in "$CTLD_PORT" "${REGISTRY##*:}" $(accounting_ports); do
		port_busy "$p" && die "port $p is in use by another process (another lab?): $(ss -Hltnp "sport = :$p" | head -n1)"
	done
	if [ "$NETNS" = 0 ]; then
		for p in $(seq "$SLURMD_PORT" $((SLURMD_PORT + 2))); do
			port_busy "$p" && die "port $p is in use by another process"
		done
	fi
	check_plugins
	[ -d /sys/fs/cgroup/freezer ] || die "no cgroup v1 freezer hierarchy at /sys/fs/cgroup/freezer (proctrack/cgroup needs cgroup v1)"
	return 0
}

start_failed() {
	local rc=$?
	trap - EXIT
	[ $rc = 0 ] && return 0
	if [ "${BERTH_LAB_KEEP_ON_FAIL:-0}" = 1 ]; then
		warn "start failed; everything left running (BERTH_LAB_KEEP_ON_FAIL=1): 'cluster.sh stop' cleans up"
	else
		warn "start failed; stopping what was started (logs stay in $LAB/log)"
		(cmd_stop_unlocked >&2) || true
	fi
	exit $rc
}

cmd_start() {
	local t0
	need_root start
	take_lock
	t0=$(now_us)
	preflight
	trap start_failed EXIT
	echo "$LAB" >"$OWNER"
	ensure_user alice 2001
	ensure_user bob 2002
	init_lab
	stage_build
	start_munge
	write_configs
	start_accounting
	if [ "$NETNS" = 1 ]; then
		KILL=0 netns_down || die "could not remove the old network namespaces"
		netns_up || die "could not create network namespaces (try BERTH_LAB_NETNS=0)"
		say "netns: $BRIDGE $SUBNET.1/24, berth-n1..3 = $SUBNET.11..13"
	fi
	start_slurm
	wait_idle 20
	start_registry
	start_gateway
	ensure_images
	push_images
	trap - EXIT
	say "started in $(since "$t0") s: $(running_daemons)"
	say "use it: eval \"\$($0 env)\"; $0 run-as alice sbatch ..."
}

# ---- stop -------------------------------------------------------------------
cmd_stop_unlocked() {
	local rc=0 mode='' t0
	t0=$(now_us)
	[ -f "$RUN/mode" ] && mode=$(<"$RUN/mode")
	drain_jobs
	stop_recorded slurmd-n1 slurmd-n2 slurmd-n3
	stop_recorded slurmctld registry gateway
	stop_accounting
	if owns_shared; then
		sweep_cgroups || rc=1
		KILL=1 netns_down || rc=1
	else
		warn "not sweeping the shared namespaces and cgroups: they belong to the running lab $(shared_owner)"
	fi
	sweep_lab || rc=1
	stop_recorded munged
	local left
	left=$(running_daemons)
	if [ -n "$left" ]; then
		warn "still running: $left"
		rc=1
	fi
	if owns_shared && [ $rc = 0 ]; then
		rm -f "$OWNER"
	fi
	if [ $rc = 0 ]; then
		say "stopped${mode:+ ($mode)} in $(since "$t0") s: nothing left"
	else
		warn "stop found leftovers (reported above)"
	fi
	return $rc
}

cmd_stop() {
	need_root stop
	take_lock
	cmd_stop_unlocked
}

# ---- status, env, run-as, sqfs ----------------------------------------------
cmd_status() {
	local name pid up=0
	echo "lab: $LAB ($(cat "$RUN/mode" 2>/dev/null || echo 'never started'))"
	for name in "${DAEMONS[@]}" munged; do
		if pid=$(recorded_pid "$name"); then
			echo "  $name: running (pid $pid)"
			up=1
		elif [ "$name" = munged ]; then
			if munge_works; then echo "  munged: running (not started by us)"; else echo "  munged: not running"; fi
		else
			echo "  $name: not running"
		fi
	done
	for name in "${NODES[@]}"; do
		[ -e "/run/netns/berth-$name" ] && echo "  netns berth-$name: present"
	done
	if recorded_pid slurmctld >/dev/null; then sinfo -N -o '%N %T %c %m' || true; fi
	if recorded_pid registry >/dev/null; then echo "registry: $(curl -sf "http://$REGISTRY/v2/_catalog" || echo 'not answering')"; fi
	[ $up = 1 ]
}

cmd_env() {
	printf 'export SLURM_CONF=%q; export BERTH_LAB=%q; export BERTH_REGISTRY=%q; export BERTH_GATEWAY=%q\n' \
		"$SLURM_CONF" "$LAB" "$REGISTRY" "http://$(gateway_addr)"
}

cmd_run_as() {
	[ $# -ge 2 ] || die "usage: cluster.sh run-as USER CMD..."
	local user=$1 home
	shift
	home=$(getent passwd "$user" | cut -d: -f6) || die "no such user: $user"
	cd "$home" || die "cannot enter $home"
	exec runuser -u "$user" -- env -i "PATH=$CLIENT_PATH" LANG=C.UTF-8 "TERM=${TERM:-dumb}" \
		"HOME=$home" "USER=$user" "LOGNAME=$user" \
		"SLURM_CONF=$SLURM_CONF" "BERTH_LAB=$LAB" "BERTH_REGISTRY=$REGISTRY" "$@"
}

cmd_sqfs() {
	[ $# = 1 ] || die "usage: cluster.sh sqfs IMAGE (${IMAGES[*]})"
	need_root sqfs
	[ -d "$LAB/images" ] || install -d -m 0755 "$LAB" "$LAB/images" "$LAB/oci"
	make_sqfs "$1"
}

cmd_mpi_image() {
	need_root mpi-image
	[ -d "$LAB/images" ] || install -d -m 0755 "$LAB" "$LAB/images" "$LAB/oci"
	mpi_image
}

cmd_mpi_site() {
	need_root mpi-site
	[ -d "$LAB/images" ] || install -d -m 0755 "$LAB" "$LAB/images" "$LAB/oci"
	mpi_site
}

cmd_restart_slurmd() {
	if [ $# != 1 ] || [[ " ${NODES[*]} " != *" $1 "* ]]; then
		die "usage: cluster.sh restart-slurmd NODE (${NODES[*]})"
	fi
	need_root restart-slurmd
	take_lock
	restart_slurmd "$1" 30
}

cmd_restart_slurmctld() {
	need_root restart-slurmctld
	take_lock
	restart_slurmctld 30
}

cmd_restart_gateway() {
	need_root restart-gateway
	take_lock
	restart_gateway
}

cmd_stop_registry() {
	need_root stop-registry
	take_lock
	recorded_pid registry >/dev/null || die "the registry is not running"
	stop_recorded registry
	! recorded_pid registry >/dev/null || die "the registry did not stop"
}

cmd_start_registry() {
	need_root start-registry
	take_lock
	! recorded_pid registry >/dev/null || die "the registry is running already"
	start_registry
}

main() {
	[ $# -ge 1 ] || usage
	local cmd=$1
	shift
	check_settings
	accounting_check_settings
	case $cmd in
	start) cmd_start ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	env) cmd_env ;;
	run-as) cmd_run_as "$@" ;;
	sqfs) cmd_sqfs "$@" ;;
	mpi-image) cmd_mpi_image ;;
	mpi-site) cmd_mpi_site ;;
	restart-slurmd) cmd_restart_slurmd "$@" ;;
	restart-slurmctld) cmd_restart_slurmctld ;;
	restart-gateway) cmd_restart_gateway ;;
	stop-registry) cmd_stop_registry ;;
	start-registry) cmd_start_registry ;;
	-h | --help | help) usage ;;
	*) die "unknown command '$cmd' (see cluster.sh --help)" ;;
	esac
}

main "$@"
