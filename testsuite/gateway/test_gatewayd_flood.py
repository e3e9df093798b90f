"""berth-gatewayd under a flood of idle, half-sent connections (the
hostile-user finding: ~1,000 of them used to stop every --image
submission).  One client opens FLOOD connections, sends part of a request
line on each and never finishes; then:
  - lookups over the trusted proxy's UNIX socket (proxy_socket, its own
    threads) answer as fast as before the flood;
  - /health answers on the TCP listener for another address;
  - the per-address limit closes the flood's connections beyond it at once,
    header_timeout closes the rest, and then the flooding address is
    served again.
Loopback only (127.0.0.1 floods, 127.0.0.2 is the other client).  Needs
root, like the other daemon tests; prints the figures."""
import os
import resource
import select
import socket
import time

import pytest

from conftest import daemon_user_or_skip
from gatewayd import Gatewayd, skip_reason

API = "/api/v1"
TOOL = os.environ.get("BERTH_REGISTRY_TOOL", "")
BUILDDIR = os.path.dirname(os.path.dirname(os.path.dirname(TOOL))) if TOOL else ""
GATEWAYD = os.environ.get("BERTH_GATEWAYD") or os.path.join(BUILDDIR, "gateway", "berth-gatewayd")
FLOOD = 1500
PER_IP = 32
HEADER_TIMEOUT_S = 3
SAMPLES = 100
OTHER = "127.0.0.2"

if skip_reason(GATEWAYD):
    pytest.skip(skip_reason(GATEWAYD), allow_module_level=True)


@pytest.fixture(scope="module")
def fd_limit():
    """Room for the flood's sockets in this process (and the daemon's)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = FLOOD + 1024
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            pytest.skip(f"open file hard limit {hard} is below {want}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture(scope="module")
def gw(gwdir, munged, plain_registry, fd_limit):
    workdir = os.path.join(gwdir, "gw")
    daemon = Gatewayd(GATEWAYD, workdir, daemon_user_or_skip(), munged, {
        "trusted_proxy_uids": "root",
        "insecure_registries": plain_registry.host, "registry_allow": plain_registry.host,
        "workers": "1", "http_threads": "2", "retries": "0",
        "header_timeout": f"{HEADER_TIMEOUT_S}s", "per_ip_connection_limit": str(PER_IP),
        "proxy_socket": os.path.join(workdir, "state", "gateway.sock"), "proxy_socket_mode": "0600"})
    daemon.socket = os.path.join(daemon.state_dir, "gateway.sock")
    daemon.start()
    yield daemon
    daemon.stop()


def lookup_times(gw, creds, ref):
    """Seconds per lookup over the proxy socket (credentials made before)."""
    times = []
    for cred in creds:
        t0 = time.monotonic()
        r = gw.request("POST", API + "/lookup", {"ref": ref}, cred=cred,
                       headers={"x-berth-on-behalf-of": "2001"}, unix=gw.socket, timeout=10)
        times.append(time.monotonic() - t0)
        assert r.status == 200 and r.json["status"] == "READY", r
    return times


def p(times, q):
    s = sorted(times)
    return s[min(len(s) - 1, int(q * len(s)))]


def flood(port):
    """FLOOD connections from 127.0.0.1, each with half a request line."""
    socks, failed = [], 0
    for _ in range(FLOOD):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"POST /api/v1/lookup HTTP/1.1\r\nHost: gw")   # never finished
            socks.append(s)
        except OSError:
            failed += 1
            s.close()
    return socks, failed


def closed_by_server(socks):
    """How many of socks the gateway has closed (EOF or reset)."""
    poller = select.poll()
    for s in socks:
        poller.register(s, select.POLLIN | select.POLLHUP | select.POLLERR)
    by_fd = {s.fileno(): s for s in socks}
    closed = 0
    for fd, _ in poller.poll(0):
        try:
            closed += by_fd[fd].recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
    return closed


def test_flood_does_not_stop_lookups(gw, munged, plain_registry):
    ref = f"docker:{plain_registry.host}/simple:v1"
    r = gw.request("POST", API + "/pull", {"ref": ref}, cred=munged.cred("root"))
    assert r.status in (200, 202), r
    deadline = time.monotonic() + 60
    while gw.request("POST", API + "/lookup", {"ref": ref}, cred=munged.cred("root")).json["status"] != "READY":
        assert time.monotonic() < deadline, "pull not READY in 60 s"
        time.sleep(0.2)
    creds = [munged.cred("root") for _ in range(2 * SAMPLES)]
    before = lookup_times(gw, creds[:SAMPLES], ref)

    socks, failed = flood(gw.port)
    try:
        time.sleep(0.5)
        refused = closed_by_server(socks) + failed
        during = lookup_times(gw, creds[SAMPLES:], ref)
        health = gw.request("GET", API + "/health", source=OTHER, timeout=5)
        time.sleep(HEADER_TIMEOUT_S + 2)
        timed_out = closed_by_server(socks) + failed - refused
        after = gw.request("GET", API + "/health", timeout=5)
    finally:
        for s in socks:
            s.close()
    print(f"\nflood: {FLOOD} connections opened from 127.0.0.1, {refused} refused at once "
          f"(per-address limit {PER_IP}), {timed_out} closed by header_timeout "
          f"({HEADER_TIMEOUT_S} s), {FLOOD - refused - timed_out} left\n"
          f"lookups over proxy_socket ({SAMPLES} each): before p50 {p(before, .5) * 1000:.1f} ms "
          f"p99 {p(before, .99) * 1000:.1f} ms; during p50 {p(during, .5) * 1000:.1f} ms "
          f"p99 {p(during, .99) * 1000:.1f} ms; /health from {OTHER}: {health.status}")
    assert refused >= FLOOD - PER_IP
    assert health.status == 200 and health.json["status"] == "ok"
    assert p(during, .99) <= max(2 * p(before, .99), p(before, .99) + 0.05)
    assert refused + timed_out == FLOOD
    assert after.status == 200
