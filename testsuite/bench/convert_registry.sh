# shellcheck shell=bash
# convert_registry.sh - the conversion benchmark's docker-registry (sourced):
# on a free loopback port, or with BENCH_REGISTRY_RATE (e.g. 1gbit, root)
# in a network namespace of its own behind a veth pair whose both ends are
# limited to that rate (tc tbf): a registry across a network.  Sets
# registry_host; registry_stop undoes everything it made (by pid and name).

registry_host=
registry_pid=
registry_ns=
registry_veth=

registry_config() {   # DIR ADDR
	mkdir -p "$1/storage"
	cat >"$1/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $1/storage
http:
  addr: $2
EOF
}

# A /30 of 10.213.x.0/24 no interface uses yet.
registry_subnet() {
	local x
	for x in $(seq 1 250); do
		ip -4 addr show | grep -q "inet 10\.213\.$x\." || { echo "$x"; return; }
	done
	return 1
}

registry_netns() {   # DIR RATE
	local dir=$1 rate=$2 x
	[ "$(id -u)" = 0 ] || { echo "gateway_convert: BENCH_REGISTRY_RATE needs root" >&2; exit 1; }
	x=$(registry_subnet) || { echo "gateway_convert: no free 10.213.x.0/30" >&2; exit 1; }
	registry_ns=berth-bench-reg$$
	registry_veth=bbreg$$
	ip netns add "$registry_ns"
	ip link add "$registry_veth" type veth peer name "${registry_veth}n"
	ip link set "${registry_veth}n" netns "$registry_ns"
	ip addr add "10.213.$x.1/30" dev "$registry_veth"
	ip link set "$registry_veth" up
	ip -n "$registry_ns" addr add "10.213.$x.2/30" dev "${registry_veth}n"
	ip -n "$registry_ns" link set "${registry_veth}n" up
	ip -n "$registry_ns" link set lo up
	tc qdisc add dev "$registry_veth" root tbf rate "$rate" burst 1mb latency 50ms
	tc -n "$registry_ns" qdisc add dev "${registry_veth}n" root tbf rate "$rate" burst 1mb latency 50ms
	registry_host=10.213.$x.2:5000
	registry_config "$dir" "$registry_host"
	ip netns exec "$registry_ns" /usr/bin/docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
	registry_pid=$!
}

registry_start() {   # WORK
	local dir=$1/registry
	rm -rf "$dir"
	mkdir -p "$dir"
	if [ -n "${BENCH_REGISTRY_RATE:-}" ]; then
		registry_netns "$dir" "$BENCH_REGISTRY_RATE"
	else
		registry_host=127.0.0.1:$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		registry_config "$dir" "$registry_host"
		/usr/bin/docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
		registry_pid=$!
	fi
	for _ in $(seq 100); do
		curl -sf --noproxy '*' "http://$registry_host/v2/" >/dev/null && return
		sleep 0.1
	done
	echo "gateway_convert: the registry did not start: $(tail -n 5 "$dir/registry.log")" >&2
	exit 1
}

registry_stop() {
	if [ -n "$registry_pid" ]; then
		kill "$registry_pid" 2>/dev/null || true
		wait "$registry_pid" 2>/dev/null || true
		registry_pid=
	fi
	if [ -n "$registry_veth" ]; then
		ip link del "$registry_veth" 2>/dev/null || true
		registry_veth=
	fi
	if [ -n "$registry_ns" ]; then
		ip netns del "$registry_ns" 2>/dev/null || true
		registry_ns=
	fi
	rm -rf "${work:?}/registry"
}
