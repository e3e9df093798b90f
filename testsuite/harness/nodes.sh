# shellcheck shell=bash
# nodes.sh - the three Slurm nodes (sourced by cluster.sh after lib.sh):
# network namespaces, slurmctld/slurmd start and wait, job draining, and the
# leftover sweeps of `stop` (stray slurmstepd in our cgroups, mounts and loop
# devices that reference the lab).

BRIDGE=br-berth # in the root netns, $SUBNET.1; veth vb-<node> to each node's eth0

# ---- network namespaces -----------------------------------------------------
netns_pids() { ip netns pids "$1" 2>/dev/null | tr '\n' ' '; }

# Remove our bridge and namespaces (refuses namespaces that still hold processes
# unless KILL=1, then those processes are reported and killed: they were
# started by our slurmd).  Returns 1 if something could not be removed.
netns_down() {
	local n pids rc=0
	for n in "${NODES[@]}"; do
		[ -e "/run/netns/berth-$n" ] || continue
		pids=$(netns_pids "berth-$n")
		if [ -n "$pids" ]; then
			[ "${KILL:-0}" = 1 ] || die "network namespace berth-$n is in use by pids $pids"
			report_pids "in netns berth-$n" "$pids"
			# shellcheck disable=SC2086 # word splitting of the pid list is wanted
			kill -KILL $pids 2>/dev/null || true
			rc=1
		fi
		ip link del "vb-$n" 2>/dev/null || true
		ip netns del "berth-$n" || rc=1
	done
	if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE" || rc=1; fi
	# `ip netns add` made /run/netns a shared bind mount; undo it if we did that
	if [ -f "$RUN/netns-mount-ours" ] && mountpoint -q /run/netns &&
		[ -z "$(ls -A /run/netns 2>/dev/null)" ]; then
		umount /run/netns && rm -f "$RUN/netns-mount-ours"
	fi
	return $rc
}

netns_up() {
	local i n
	mountpoint -q /run/netns 2>/dev/null || : >"$RUN/netns-mount-ours"
	ip link add "$BRIDGE" type bridge
	ip addr add "$SUBNET.1/24" dev "$BRIDGE"
	ip link set "$BRIDGE" up
	for i in "${!NODES[@]}"; do
		n=${NODES[i]}
		ip netns add "berth-$n"
		ip link add "vb-$n" type veth peer name eth0 netns "berth-$n"
		ip link set "vb-$n" master "$BRIDGE" up
		ip -n "berth-$n" addr add "$SUBNET.1$((i + 1))/24" dev eth0
		ip -n "berth-$n" link set eth0 up
		ip -n "berth-$n" link set lo up
	done
}

# ---- Slurm ------------------------------------------------------------------
start_slurm() {
	local n
	start_slurmctld
	for n in "${NODES[@]}"; do start_slurmd "$n"; done
}

start_slurmctld() {
	local env=()
	mapfile -t env < <(daemon_env)
	spawn slurmctld "$LAB/log/slurmctld.out" "${env[@]}" slurmctld -D -i -f "$SLURM_CONF"
}

# Stop slurmctld and start it again on its saved state; wait until it answers.
restart_slurmctld() { # TIMEOUT_S
	local i t0
	t0=$(now_us)
	recorded_pid slurmctld >/dev/null || die "slurmctld is not running"
	stop_recorded slurmctld
	! recorded_pid slurmctld >/dev/null || die "slurmctld did not stop"
	start_slurmctld
	for ((i = 0; i < $1 * 20; i++)); do
		recorded_pid slurmctld >/dev/null || die "slurmctld died on restart"
		if scontrol ping 2>/dev/null | grep -q 'is UP'; then
			say "slurmctld restarted in $(since "$t0") s (pid $(recorded_pid slurmctld))"
			return 0
		fi
		sleep 0.05
	done
	die "slurmctld not answering $1 s after its restart"
}

start_slurmd() { # NODE
	local n=$1 env=()
	mapfile -t env < <(daemon_env)
	if [ "$NETNS" = 1 ]; then
		# own net + UTS namespace: hostname = node name, same port on every node.
		# Not `ip netns exec` (it remounts /sys, hiding the cgroups) and no
		# own mount namespace (kernel 6.18 refuses the nsfs pin from one, see
		# node/job_namespace.c).
		# shellcheck disable=SC2016 # $1 $2 are expanded by that sh
		spawn "slurmd-$n" "$LAB/log/slurmd-$n.out" nsenter "--net=/run/netns/berth-$n" unshare --uts \
			"${env[@]}" sh -c 'hostname "$1" && exec slurmd -D -f "$2"' sh "$n" "$SLURM_CONF"
	else
		spawn "slurmd-$n" "$LAB/log/slurmd-$n.out" "${env[@]}" slurmd -D -N "$n" -f "$SLURM_CONF"
	fi
}

# Stop one node's slurmd (its job steps keep running: slurmstepd is not
# slurmd's child) and start it again as start does; wait until it has
# started and the controller sees the node responding.
restart_slurmd() { # NODE TIMEOUT_S
	local n=$1 log="$LAB/log/slurmd-$1.log" size i state t0
	t0=$(now_us)
	recorded_pid "slurmd-$n" >/dev/null || die "slurmd-$n is not running"
	size=$(stat -c %s "$log" 2>/dev/null || echo 0)
	stop_recorded "slurmd-$n"
	! recorded_pid "slurmd-$n" >/dev/null || die "slurmd-$n did not stop"
	start_slurmd "$n"
	for ((i = 0; i < $2 * 20; i++)); do
		recorded_pid "slurmd-$n" >/dev/null || die "slurmd-$n died on restart: $(tail -c +$((size + 1)) "$log" | tail -n 5 | tr '\n' ' ')"
		if tail -c +$((size + 1)) "$log" 2>/dev/null | grep -q 'slurmd started on'; then
			state=$(sinfo -h -n "$n" -N -o '%T' 2>/dev/null) || state=
			case $state in '' | *'*' | down* | drain* | fail* | unknown*) ;; *)
				say "slurmd-$n restarted in $(since "$t0") s (pid $(recorded_pid "slurmd-$n"), $state)"
				return 0 ;;
			esac
		fi
		sleep 0.05
	done
	die "slurmd-$n not responsive $2 s after restart (state '${state:-}')"
}

slurm_logs() {
	local n
	printf '%s\n' "$LAB/log/slurmctld.out" "$LAB/log/slurmctld.log"
	for n in "${NODES[@]}"; do printf '%s\n' "$LAB/log/slurmd-$n.out" "$LAB/log/slurmd-$n.log"; done
}

wait_idle() { # TIMEOUT_S
	local t0 i name idle logs
	t0=$(now_us)
	for ((i = 0; i < $1 * 20; i++)); do
		idle=$(sinfo -h -N -o '%N %T' 2>/dev/null | grep -c ' idle$' || true)
		if [ "$idle" = "${#NODES[@]}" ]; then
			say "slurm: ${#NODES[@]} nodes idle after $(since "$t0") s"
			return 0
		fi
		for name in slurmctld "${NODES[@]/#/slurmd-}"; do
			recorded_pid "$name" >/dev/null && continue
			mapfile -t logs < <(slurm_logs)
			TAIL_LINES=15 log_tail "${logs[@]}"
			die "$name died during start-up (logs above, all in $LAB/log)"
		done
		sleep 0.05
	done
	sinfo -N >&2 || true
	mapfile -t logs < <(slurm_logs)
	TAIL_LINES=15 log_tail "${logs[@]}"
	die "slurm: nodes not idle after $1 s (logs above, all in $LAB/log)"
}

# Cancel all jobs and wait until squeue is empty.
drain_jobs() {
	local jobs i
	recorded_pid slurmctld >/dev/null || return 0
	jobs=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ') || return 0
	[ -n "${jobs// /}" ] || return 0
	say "cancelling jobs $jobs"
	# shellcheck disable=SC2086 # a list of job ids
	scancel $jobs 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do
		[ -z "$(squeue -h -o %A 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	warn "jobs still in squeue after 15 s: $(squeue -h -o '%A %T' 2>/dev/null | tr '\n' ' ')"
}

report_pids() { # WHERE "PID..."
	local p
	for p in $2; do
		warn "leftover pid $p $1: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120)"
	done
}

# slurmstepd outlives slurmd (it is reparented to PID 1): find leftovers
# through our nodes' cgroups (slurm_<node> in every v1 hierarchy), kill them,
# remove the empty cgroup dirs.  Returns 1 if anything was left.
sweep_cgroups() {
	local n d pids i rc=0
	for n in "${NODES[@]}"; do
		local dirs=()
		for d in /sys/fs/cgroup/*/slurm_"$n"; do [ -d "$d" ] && dirs+=("$d"); done
		[ ${#dirs[@]} -gt 0 ] || continue
		pids=$(find "${dirs[@]}" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un | tr '\n' ' ')
		if [ -n "${pids// /}" ]; then
			rc=1
			report_pids "in cgroup slurm_$n" "$pids"
			find /sys/fs/cgroup/freezer/slurm_"$n" -name freezer.state 2>/dev/null | sort -r |
				while read -r d; do echo THAWED >"$d" 2>/dev/null || true; done
			# shellcheck disable=SC2086 # a list of pids
			kill -KILL $pids 2>/dev/null || true
		fi
		for ((i = 0; i < 50; i++)); do
			find "${dirs[@]}" -depth -type d -exec rmdir {} + 2>/dev/null || true
			local left=0
			for d in "${dirs[@]}"; do [ -d "$d" ] && left=1; done
			[ $left = 0 ] && break
			sleep 0.1
		done
		for d in "${dirs[@]}"; do
			if [ -d "$d" ]; then
				warn "cgroup $d could not be removed"
				rc=1
			fi
		done
	done
	return $rc
}

# ---- leftovers under the lab ------------------------------------------------
lab_mounts() { # targets of mounts in (or from) the lab, deepest first
	findmnt -rn -o TARGET,SOURCE 2>/dev/null | awk -v lab="$LAB" '
		index($1, lab "/") == 1 || $1 == lab || index($2, lab "/") == 1 || index($2, "[" lab "/") > 0 { print $1 }' |
		sort -ru
}

lab_loops() {
	losetup -n -l -O NAME,BACK-FILE 2>/dev/null | awk -v lab="$LAB" 'index($2, lab "/") == 1 { print $1 }'
}

# Report and remove mounts and loop devices that reference the lab.
sweep_lab() {
	local m l i rc=0
	while read -r m; do
		[ -n "$m" ] || continue
		warn "leftover mount $(printf '%b' "$m") ($(findmnt -rn -o FSTYPE,SOURCE --target "$(printf '%b' "$m")" | head -n1))"
		umount -l "$(printf '%b' "$m")" || true
		rc=1
	done < <(lab_mounts)
	# autoclear loops go away by themselves once unmounted
	for ((i = 0; i < 20; i++)); do
		[ -z "$(lab_loops)" ] && break
		sleep 0.1
	done
	while read -r l; do
		[ -n "$l" ] || continue
		warn "leftover loop device $l ($(losetup -n -O BACK-FILE "$l" 2>/dev/null))"
		losetup -d "$l" || true
		rc=1
	done < <(lab_loops)
	return $rc
}
