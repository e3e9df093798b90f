"""berth-gatewayd's metrics (berth-gatewayd(8), METRICS): the real daemon
with metrics_listen on its own loopback port, a private munged and a real
docker-registry (conftest.py).  Each test scrapes GET /metrics before and
after what it does and checks that the counters moved by exactly what it
did; every scrape is checked against the text format 0.0.4 (our own parser,
plus the Prometheus client's parser and promtool when installed).  Needs
root, like the other daemon tests."""
import concurrent.futures
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse

import pytest

from conftest import daemon_user_or_skip, skopeo_push
from gatewayd import Gatewayd, free_port, skip_reason

API = "/api/v1"
TOOL = os.environ.get("BERTH_REGISTRY_TOOL", "")
BUILDDIR = os.path.dirname(os.path.dirname(os.path.dirname(TOOL))) if TOOL else ""
GATEWAYD = os.environ.get("BERTH_GATEWAYD") or os.path.join(BUILDDIR, "gateway", "berth-gatewayd")
PER_IP = 32
HEADER_TIMEOUT_S = 3
FLOOD = 600
METRICS_PER_IP = 4         # gw_metrics.h: GW_METRICS_PER_IP
OTHER = "127.0.0.2"

if skip_reason(GATEWAYD):
    pytest.skip(skip_reason(GATEWAYD), allow_module_level=True)


# ------------------------------------------------------------ the format
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def unescape(value):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def parse(text):
    """{(name, ((label, value), ...)): float}, checking what berth promises:
    HELP then TYPE once per family, its samples right after, counters
    named *_total, cumulative histogram buckets ending with +Inf = _count."""
    assert text.endswith("\n")
    samples, families, family, kind, buckets = {}, set(), None, None, []
    for line in text.splitlines():
        if line.startswith("# HELP "):
            family, kind = line.split(" ")[2], None
            assert family not in families, f"family {family} twice"
            families.add(family)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name == family and kind in ("counter", "gauge", "histogram"), line
            assert kind != "counter" or name.endswith("_total"), line
            buckets = []
            continue
        m = SAMPLE.match(line)
        assert m and kind, f"bad line {line!r}"
        name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
        pairs = tuple((k, unescape(v)) for k, v in LABEL.findall(labels))
        assert ",".join(f'{k}="{v}"' for k, v in LABEL.findall(labels)) == labels.rstrip(","), line
        if kind == "histogram":
            assert name in (family + "_bucket", family + "_sum", family + "_count"), line
            if name.endswith("_bucket"):
                assert not buckets or value >= buckets[-1], line
                buckets.append(value)
            if name.endswith("_count"):
                assert dict(pairs) == {} and value == buckets[-1], line
        else:
            assert name == family, line
        key = (name, pairs)
        assert key not in samples, f"sample twice: {line}"
        samples[key] = value
    return samples


def validate_with_tools(text):
    """The Prometheus client's parser (python3-prometheus-client) and
    promtool (Debian's prometheus package), where installed."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        pass
    else:
        names = [f.name for f in text_string_to_metric_families(text)]
        assert "berth_gateway_pulls" in names and "berth_gateway_lookup_duration_seconds" in names
    promtool = shutil.which("promtool")
    if promtool:
        proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr


class Scrape:
    def __init__(self, gw, source=None):
        r = gw.metrics_request("GET", "/metrics", source=source)
        assert r.status == 200, r
        assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        self.text = r.body
        self.samples = parse(r.body)
        validate_with_tools(r.body)

    def __call__(self, name, **labels):
        return self.samples[(name, tuple(sorted(labels.items())))]


def moved(before, after, name, **labels):
    return after(name, **labels) - before(name, **labels)


# -------------------------------------------------------------- fixtures
class MetricsGatewayd(Gatewayd):
    def __init__(self, *args, **kwargs):
        self.metrics_port = free_port()
        kwargs["settings"]["metrics_listen"] = f"127.0.0.1:{self.metrics_port}"
        super().__init__(*args, **kwargs)

    def metrics_request(self, method, path, timeout=10, source=None):
        saved = self.port
        self.port = self.metrics_port
        try:
            return self.request(method, path, timeout=timeout, source=source)
        finally:
            self.port = saved


@pytest.fixture(scope="module")
def gw(gwdir, munged, plain_registry):
    daemon = MetricsGatewayd(GATEWAYD, os.path.join(gwdir, "gw"), daemon_user_or_skip(), munged, settings={
        "trusted_proxy_uids": "root",
        "insecure_registries": plain_registry.host, "registry_allow": plain_registry.host,
        "workers": "2", "http_threads": "2", "retries": "0",
        "header_timeout": f"{HEADER_TIMEOUT_S}s", "per_ip_connection_limit": str(PER_IP)})
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def push(layout, plain_registry):
    """An image of fresh layers (nothing cached) -> its ref, digest, layers."""
    def make(tag, n, size=50000):
        layout.add_image(tag, [{f"data/{tag}-{i}.bin": os.urandom(size + i)} for i in range(n)])
        skopeo_push(layout, tag, f"{plain_registry.host}/{tag}:v1")
        manifest = layout.manifest(tag)
        return {"ref": f"docker:{plain_registry.host}/{tag}:v1", "digest": layout.descriptor(tag)["digest"],
                "layers": len(manifest["layers"]),
                "layer_bytes": sum(l["size"] for l in manifest["layers"])}
    return make


def call(gw, munged, method, endpoint, body=None, user="root", cred=True):
    return gw.request(method, API + endpoint, body=body, cred=munged.cred(user) if cred else None)


def wait_ready(gw, munged, ref, timeout=60):
    quoted = urllib.parse.quote(ref, safe="")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = call(gw, munged, "GET", f"/status?ref={quoted}")
        if r.json["status"] in ("READY", "FAILURE"):
            return r.json
        time.sleep(0.1)
    raise AssertionError(f"{ref} not READY after {timeout} s")


def wait_idle(gw, timeout=30):
    """No pull waiting or running (a pull's counters are final after that)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = Scrape(gw)
        if s("berth_gateway_queue_depth", state="waiting") == s("berth_gateway_queue_depth", state="running") == 0:
            return s
        time.sleep(0.1)
    raise AssertionError("pulls still queued or running")


# ------------------------------------------------------------------ tests
def test_metrics_port_serves_only_metrics(gw):
    assert gw.metrics_request("GET", "/api/v1/health").status == 404
    r = gw.metrics_request("POST", "/metrics")
    assert (r.status, r.headers.get("Allow")) == (405, "GET, HEAD")
    head = gw.metrics_request("HEAD", "/metrics")
    assert head.status == 200 and head.body == ""
    s = Scrape(gw)
    assert s("berth_gateway_build_info", version=s.text.split('version="')[1].split('"')[0]) == 1
    assert abs(s("process_start_time_seconds") - time.time()) < 3600
    assert s("berth_gateway_workers") == 2
    # the metrics port's own replies are not counted as the API's
    assert moved(s, Scrape(gw), "berth_gateway_http_responses_total", code="404") == 0


def test_pull_and_lookup_move_the_counters(gw, munged, push):
    img = push("metricspull", 3)
    before = wait_idle(gw)
    r = call(gw, munged, "POST", "/pull", {"ref": img["ref"]})
    assert r.status == 202, r
    rec = wait_ready(gw, munged, img["ref"])
    assert rec["status"] == "READY", rec
    for _ in range(2):
        assert call(gw, munged, "POST", "/lookup", {"ref": img["ref"]}).json["status"] == "READY"
    unknown = call(gw, munged, "POST", "/lookup", {"ref": img["ref"].replace(":v1", ":nope")})
    assert unknown.status == 404, unknown
    again = call(gw, munged, "POST", "/pull", {"ref": img["ref"]})
    assert again.status == 200, again
    after = wait_idle(gw)
    d = lambda name, **labels: moved(before, after, name, **labels)  # noqa: E731
    assert d("berth_gateway_pull_requests_total") == 2
    assert d("berth_gateway_pulls_total", result="ready") == 1
    assert d("berth_gateway_pulls_total", result="failed") == 0
    assert d("berth_gateway_pull_duration_seconds_count") == 1
    assert d("berth_gateway_conversions_total") == 1
    assert d("berth_gateway_conversion_duration_seconds_count") == 1
    assert d("berth_gateway_conversion_duration_seconds_sum") > 0
    assert d("berth_gateway_squashfs_bytes_total") == rec["size"] > 0
    assert d("berth_gateway_layer_cache_misses_total") == img["layers"]
    assert d("berth_gateway_layer_cache_hits_total") == 0
    assert d("berth_gateway_layer_download_bytes_total") == img["layer_bytes"]
    assert d("berth_gateway_manifest_fetches_total") == 2
    assert d("berth_gateway_lookups_total", result="ready") == 2
    assert d("berth_gateway_lookups_total", result="not_found") == 1
    assert d("berth_gateway_lookup_duration_seconds_count") == 3
    assert d("berth_gateway_http_responses_total", code="404") == 1
    assert d("berth_gateway_errors_total", kind="not_found") == 1
    assert sum(d("berth_gateway_errors_total", kind=k) for k in
               ("bad_request", "auth", "denied", "registry", "bad_image", "storage", "unavailable",
                "internal", "connection_limit")) == 0


def test_single_flight_joins(gw, munged, push):
    """Pulls of one digest while it is being pulled join it; the second of
    two images with the same layers finds them in the cache."""
    img = push("metricsjoin", 3, size=8 << 20)
    before = wait_idle(gw)
    creds = [munged.cred("root") for _ in range(4)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda c: gw.request("POST", API + "/pull", {"ref": img["ref"]}, cred=c), creds))
    assert all(r.status in (200, 202) for r in replies), replies
    assert wait_ready(gw, munged, img["ref"])["status"] == "READY"
    after = wait_idle(gw)
    accepted = sum(r.status == 202 for r in replies)
    print(f"\nsingle-flight: {accepted} of 4 pulls accepted while in progress, "
          f"{moved(before, after, 'berth_gateway_singleflight_joins_total', what='pull'):.0f} joins")
    assert moved(before, after, "berth_gateway_singleflight_joins_total", what="pull") == accepted - 1
    assert moved(before, after, "berth_gateway_pulls_total", result="ready") == 1
    assert moved(before, after, "berth_gateway_layer_cache_misses_total") == img["layers"]


def test_refused_requests_are_counted(gw, munged):
    before = Scrape(gw)
    assert gw.request("POST", API + "/lookup", {"ref": "docker:x/y:1"}).status == 401
    assert gw.request("POST", API + "/lookup", {"ref": "docker:x/y:1"}, cred="MUNGE:bm90IGEgY3JlZGVudGlhbA==:").status == 401
    assert call(gw, munged, "POST", "/lookup", {"nope": 1}).status == 400
    assert call(gw, munged, "POST", "/pull", {"ref": f"docker:127.0.0.1:{free_port()}/x:1"}).status == 403
    assert call(gw, munged, "GET", "/nothing").status == 404
    assert gw.request("GET", API + "/lookup").status == 405
    after = Scrape(gw)
    d = lambda name, **labels: moved(before, after, name, **labels)  # noqa: E731
    assert d("berth_gateway_errors_total", kind="auth") == 2
    assert d("berth_gateway_errors_total", kind="bad_request") == 2
    assert d("berth_gateway_errors_total", kind="denied") == 1
    assert d("berth_gateway_errors_total", kind="not_found") == 1
    assert d("berth_gateway_http_responses_total", code="401") == 2
    assert d("berth_gateway_http_responses_total", code="400") == 1
    assert d("berth_gateway_http_responses_total", code="403") == 1
    assert d("berth_gateway_http_responses_total", code="405") == 1
    # refused lookups: counted and timed like the others
    assert d("berth_gateway_lookups_total", result="refused") == 4
    assert d("berth_gateway_lookup_duration_seconds_count") == 4
    assert d("berth_gateway_pull_requests_total") == 1   # reached the core, refused there


def flood(port, n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"POST /api/v1/lookup HTTP/1.1\r\nHost: gw")   # never finished
            socks.append(s)
        except OSError:
            s.close()
    return socks


def test_metrics_answer_while_the_api_is_flooded(gw):
    """Its own listener: a flood of the API port (half-sent requests) does
    not reach it, and the refusals are counted."""
    before = Scrape(gw)
    socks = flood(gw.port, FLOOD)
    try:
        time.sleep(0.5)
        times = []
        for _ in range(10):
            t0 = time.monotonic()
            during = Scrape(gw)
            times.append(time.monotonic() - t0)
    finally:
        for s in socks:
            s.close()
    print(f"\nmetrics during an API flood of {len(socks)} connections: max {max(times) * 1000:.1f} ms")
    assert max(times) < 1.0
    refused = moved(before, during, "berth_gateway_connections_refused_total", listener="api")
    assert refused >= len(socks) - PER_IP
    assert moved(before, during, "berth_gateway_errors_total", kind="connection_limit") == refused
    assert moved(before, during, "berth_gateway_connections_refused_total", listener="metrics") == 0


def test_flooding_the_metrics_port_spares_the_api(gw, munged):
    """One address gets METRICS_PER_IP connections on the metrics port, the
    rest are closed at once: the API answers as before, another address
    still scrapes, and after the flood the flooding address does too."""
    before = Scrape(gw)
    socks = flood(gw.metrics_port, 200)
    try:
        time.sleep(0.5)
        t0 = time.monotonic()
        assert call(gw, munged, "GET", "/list").status == 200
        assert gw.request("GET", API + "/health").status == 200
        api_s = time.monotonic() - t0
        during = Scrape(gw, source=OTHER)
    finally:
        for s in socks:
            s.close()
    assert api_s < 2.0
    refused = moved(before, during, "berth_gateway_connections_refused_total", listener="metrics")
    assert refused >= 200 - METRICS_PER_IP - (200 - len(socks))
    assert moved(before, during, "berth_gateway_errors_total", kind="connection_limit") == 0
    deadline = time.monotonic() + 10
    while True:
        try:
            Scrape(gw)
            break
        except OSError:
            assert time.monotonic() < deadline, "metrics port not answering after the flood"
            time.sleep(0.2)


def test_check_config_names_metrics_listen(gw, tmp_path):
    proc = subprocess.run([GATEWAYD, "--check-config", "-c", gw.config], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert f", metrics_listen 127.0.0.1:{gw.metrics_port})" in proc.stdout
    bad = tmp_path / "bad.conf"
    bad.write_text("metrics_listen = localhost:9464\n")
    proc = subprocess.run([GATEWAYD, "--check-config", "-c", str(bad)], capture_output=True, text=True,
                          timeout=30)
    assert (proc.returncode, proc.stderr) == (1, 'berth-gatewayd: metrics_listen: expected IPV4:PORT, '
                                                 '[IPV6]:PORT or *:PORT, got "localhost:9464"\n')
