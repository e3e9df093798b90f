"""berth-gatewayd end to end: the real daemon (as an unprivileged user),
a private munged and real docker-registry instances (conftest.py).
Needs root (munged, users, running the daemon as another user); skips
otherwise.  The contract: doc/gateway-api.md."""
import concurrent.futures
import http.client
import json
import os
import socket
import subprocess
import tarfile
import threading
import time
import urllib.parse

import pytest

from conftest import Layout, daemon_user_or_skip, skopeo_push
from gatewayd import Gatewayd, free_port, skip_reason
from servers import FakeServer

API = "/api/v1"
TOOL = os.environ.get("BERTH_REGISTRY_TOOL", "")
BUILDDIR = os.path.dirname(os.path.dirname(os.path.dirname(TOOL))) if TOOL else ""
GATEWAYD = os.environ.get("BERTH_GATEWAYD") or os.path.join(BUILDDIR, "gateway", "berth-gatewayd")
IMPORT_MAX = 4 * 1024 * 1024


if skip_reason(GATEWAYD):
    pytest.skip(skip_reason(GATEWAYD), allow_module_level=True)


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def images(layout, plain_registry):
    """Images only these tests pull (fresh layers: nothing cached)."""
    def unique(tag, n, size=50000):
        layout.add_image(tag, [{f"data/{tag}-{i}.bin": os.urandom(size + i)} for i in range(n)])
        skopeo_push(layout, tag, f"{plain_registry.host}/{tag}:v1")
        return {"ref": f"docker:{plain_registry.host}/{tag}:v1",
                "digest": layout.descriptor(tag)["digest"],
                "layers": len(layout.manifest(tag)["layers"])}
    return {"simple": {"ref": f"docker:{plain_registry.host}/simple:v1",
                       "digest": layout.descriptor("simple")["digest"]},
            "expire": unique("gwexpire", 1), "parallel": unique("gwparallel", 3),
            "big": unique("gwbig", 3, 24 << 20)}


@pytest.fixture(scope="module")
def gw(gwdir, munged, plain_registry, basic_registry):
    daemon = Gatewayd(GATEWAYD, os.path.join(gwdir, "gw"), daemon_user_or_skip(), munged, {
        "trusted_proxy_uids": "root",
        "insecure_registries": f"{plain_registry.host},{basic_registry.host}",
        "registry_allow": f"{plain_registry.host},{basic_registry.host}",
        "import_max_size": str(IMPORT_MAX),
        "workers": "2", "http_threads": "4", "retries": "0"})
    os.makedirs(daemon.dir, exist_ok=True)
    daemon.start()
    yield daemon
    daemon.stop()


def call(gw, munged, method, endpoint, body=None, user="root", payload=None, headers=None):
    return gw.request(method, API + endpoint, body=body, cred=munged.cred(user, payload), headers=headers)


def lookup(gw, munged, ref, user="root", headers=None):
    return call(gw, munged, "POST", "/lookup", {"ref": ref}, user=user, headers=headers)


def wait_ready(gw, munged, ref, user="root", timeout=60):
    quoted = urllib.parse.quote(ref, safe="")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = call(gw, munged, "GET", f"/status?ref={quoted}", user=user)
        assert r.status == 200, r
        if r.json["status"] in ("READY", "FAILURE"):
            return r.json
        time.sleep(0.2)
    raise AssertionError(f"{ref} not READY after {timeout} s: {r.json}")


def pull_ready(gw, munged, ref, user="root", payload=None, extra=None):
    r = call(gw, munged, "POST", "/pull", dict({"ref": ref}, **(extra or {})), user=user, payload=payload)
    assert r.status in (200, 202), r
    rec = wait_ready(gw, munged, ref, user=user)
    assert rec["status"] == "READY", rec
    return rec


def uploads_left(gw):
    """Import uploads still stored (the HTTP layer names them upload.*)."""
    return [name for _, _, names in os.walk(gw.state_dir) for name in names if name.startswith("upload.")]


def health(gw):
    r = gw.request("GET", API + "/health")
    assert r.status == 200, r
    return r.json


# ------------------------------------------------------- registry_allow
def test_pull_from_registry_not_allowed(gw, munged):
    """The gateway fetches only from registry_allow: any other host:port is
    refused (403) before it is contacted, open port or not."""
    for port in (free_port(), gw.port):
        r = call(gw, munged, "POST", "/pull", {"ref": f"docker:127.0.0.1:{port}/x:1"})
        assert (r.status, r.json) == (403, {"error": f'registry 127.0.0.1:{port}: repository "x": '
                                                     f"not an allowed registry (registry_allow)"}), r


# ------------------------------------------------------------ daemon basics
def test_refuses_root_without_allow_root(gw):
    proc = subprocess.run([GATEWAYD, "-f", "-c", gw.config], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert "refusing to run as root" in proc.stderr


def test_check_config(gw, tmp_path):
    proc = subprocess.run([GATEWAYD, "--check-config", "-c", gw.config], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    bad = tmp_path / "bad.conf"
    bad.write_text("listen = 127.0.0.1:1\nimage_dirr = /x\n")
    proc = subprocess.run([GATEWAYD, "--check-config", "-c", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr == f'berth-gatewayd: {bad}:2: unknown key "image_dirr"\n'
    bad.write_text("listen = localhost:7050\n")
    proc = subprocess.run([GATEWAYD, "--check-config", "-c", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "listen: expected IPV4:PORT" in proc.stderr


def test_replies_close_the_connection(gw, munged, images):
    """The gateway closes after each reply: the TIME_WAIT stays on its side
    (clients doing thousands of lookups a second kept their ports)."""
    r = lookup(gw, munged, images["simple"]["ref"])
    assert r.headers.get("Connection") == "close", r.headers
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while True:                      # EOF from the server without closing ours
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200") and b'"status":"ok"' in data, data


def test_health_without_credential(gw):
    h = health(gw)
    assert h["status"] == "ok"
    assert h["workers"] == 2
    for key in ("lookups", "pulls", "manifest_fetches", "blob_downloads", "layer_cache_hits",
                "conversions", "failures"):
        assert isinstance(h["counters"][key], int), key


# ------------------------------------------------------------ authentication
def test_no_credential(gw):
    r = gw.request("POST", API + "/lookup", {"ref": "busybox"})
    assert (r.status, r.json) == (401, {"error": 'no munge credential (header "authentication")'})


def test_garbage_credential(gw):
    r = gw.request("POST", API + "/lookup", {"ref": "busybox"}, cred="MUNGE:bm90IGEgY3JlZGVudGlhbA==:")
    assert r.status == 401, r
    assert r.json["error"].startswith("munge credential rejected: ")


def test_replayed_credential(gw, munged, images):
    cred = munged.cred("alice")
    first = gw.request("POST", API + "/lookup", {"ref": images["simple"]["ref"]}, cred=cred)
    assert first.status in (200, 404), first
    again = gw.request("POST", API + "/lookup", {"ref": images["simple"]["ref"]}, cred=cred)
    assert (again.status, again.json) == (401, {"error": "munge credential rejected: Replayed credential"})


def test_expired_credential(gw, munged):
    cred = munged.cred("alice", ttl=1)
    time.sleep(2.2)
    r = gw.request("GET", API + "/list", cred=cred)
    assert (r.status, r.json) == (401, {"error": "munge credential rejected: Expired credential"})


def test_on_behalf_from_non_proxy(gw, munged):
    r = call(gw, munged, "GET", "/list", user="alice", headers={"x-berth-on-behalf-of": "2002"})
    assert (r.status, r.json) == (403, {"error": "uid 2001 may not send x-berth-on-behalf-of "
                                                  "(not in trusted_proxy_uids)"})


def test_on_behalf_bad_values(gw, munged):
    r = call(gw, munged, "GET", "/list", headers={"x-berth-on-behalf-of": "alice"})
    assert (r.status, r.json) == (400, {"error": 'x-berth-on-behalf-of: expected a numeric uid, got "alice"'})
    r = call(gw, munged, "GET", "/list", headers={"x-berth-on-behalf-of": "64999"})
    assert (r.status, r.json) == (400, {"error": "x-berth-on-behalf-of: uid 64999: no such user on the gateway host"})


# ------------------------------------------------------------ bad requests
@pytest.mark.parametrize("body,error", [
    ("{", "body is not JSON: unexpected end"),
    ("", "empty body: expected a JSON object"),
    ("[1]", "body is not a JSON object"),
    ('{"ref": "busybox", "tag": 1}', 'unknown field "tag"'),
    ('{"ref": 7}', 'field "ref" must be a string'),
    ('{"ref": "docker:Busybox"}', 'ref: repository "Busybox": must be lowercase'),
    ('{"ref": "local:/x.sqfs"}', "ref: local: images are on the nodes, not in the gateway"),
])
def test_bad_lookup_bodies(gw, munged, body, error):
    r = call(gw, munged, "POST", "/lookup", body)
    assert (r.status, r.json) == (400, {"error": error})


def test_bad_pull_bodies(gw, munged):
    r = call(gw, munged, "POST", "/pull", {"ref": "busybox", "users": ["no-such-user-berth"]})
    assert (r.status, r.json) == (400, {"error": 'users: unknown user "no-such-user-berth"'})
    r = call(gw, munged, "POST", "/pull", {"ref": "id:sha256:" + "a" * 64})
    assert (r.status, r.json) == (400, {"error": "ref: only docker: images can be pulled"})
    r = call(gw, munged, "POST", "/pull", {"ref": "busybox"}, payload=b"alice:wonderland")
    assert (r.status, r.json) == (400, {"error": "registry login: credential payload is not a JSON object"})


def test_unknown_endpoint_and_method(gw, munged):
    r = call(gw, munged, "GET", "/images")
    assert (r.status, r.json) == (404, {"error": "no such endpoint (see doc/gateway-api.md)"})
    r = call(gw, munged, "GET", "/pull")
    assert (r.status, r.json, r.headers["Allow"]) == (405, {"error": "method not allowed: use POST"}, "POST")
    r = gw.request("DELETE", API + "/health")
    assert (r.status, r.headers["Allow"]) == (405, "GET")


def test_oversize_json_body(gw, munged):
    body = json.dumps({"ref": "busybox", "users": ["root"] * 12000})
    assert len(body) > 64 * 1024
    r = call(gw, munged, "POST", "/pull", body)
    assert (r.status, r.json) == (413, {"error": "body larger than 65536 bytes"})


def test_oversize_import_refused_before_upload(gw, munged):
    head = (f"POST {API}/import?ref=docker%3Alocalhost%2Fbig%3A1 HTTP/1.1\r\nHost: x\r\n"
            f"authentication: {munged.cred('root')}\r\nContent-Type: application/x-tar\r\n"
            f"Content-Length: {IMPORT_MAX + 1}\r\n\r\n").encode()
    status, body = gw.raw_request(head)
    assert (status, json.loads(body)) == (413, {"error": f"body larger than {IMPORT_MAX} bytes"})
    assert uploads_left(gw) == []


def test_chunked_bodies_beyond_the_limits(gw, munged):
    def chunked(path, total, chunk=32768):
        head = (f"POST {API}{path} HTTP/1.1\r\nHost: x\r\nauthentication: {munged.cred('root')}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n").encode()
        body = b""
        for _ in range(total // chunk):
            body += b"%x\r\n" % chunk + b" " * chunk + b"\r\n"
        return head + body + b"0\r\n\r\n"

    # JSON: read to the end (up to a bound) and answered
    status, body = gw.raw_request(chunked("/lookup", 128 * 1024))
    assert (status, json.loads(body)) == (413, {"error": "body larger than 65536 bytes"})
    # an upload beyond import_max_size: the connection is closed, nothing kept
    with pytest.raises((ConnectionError, IndexError, ValueError)):
        gw.raw_request(chunked("/import?ref=docker%3Alocalhost%2Fbig%3A1", IMPORT_MAX + 65536))
    time.sleep(0.2)
    assert uploads_left(gw) == []


def test_body_on_get(gw, munged):
    r = call(gw, munged, "GET", "/list", "{}")
    assert (r.status, r.json) == (400, {"error": "/api/v1/list takes no body"})


def test_unknown_image(gw, munged, plain_registry):
    r = lookup(gw, munged, f"docker:{plain_registry.host}/never-pulled:v1")
    assert r.status == 404, r
    assert list(r.json) == ["error"]


# ------------------------------------------------------------ pulls
def test_pull_then_ready_then_lookup(gw, munged, images):
    simple = images["simple"]
    r = call(gw, munged, "POST", "/pull", {"ref": simple["ref"]}, user="alice")
    assert r.status in (200, 202), r
    assert r.json["ref"] == simple["ref"]
    assert r.json["private"] is False
    rec = wait_ready(gw, munged, simple["ref"], user="alice")
    assert rec["status"] == "READY", rec
    assert rec["digest"] == simple["digest"]
    assert "progress" not in rec
    r = lookup(gw, munged, simple["ref"], user="bob")
    assert r.status == 200, r
    assert (r.json["status"], r.json["digest"]) == ("READY", simple["digest"])
    assert r.json["last_lookup"] > 0
    sqfs = os.path.join(gw.image_dir, simple["digest"] + ".sqfs")
    assert os.path.getsize(sqfs) == r.json["size"] > 0
    assert os.path.exists(os.path.join(gw.image_dir, simple["digest"] + ".json"))
    # by digest, too
    by_digest = lookup(gw, munged, "id:" + simple["digest"], user="bob")
    assert (by_digest.status, by_digest.json["digest"]) == (200, simple["digest"])
    # a second pull of a READY digest: 200
    again = call(gw, munged, "POST", "/pull", {"ref": simple["ref"]}, user="bob")
    assert (again.status, again.json["status"]) == (200, "READY")


def test_list_and_status(gw, munged, images):
    pull_ready(gw, munged, images["simple"]["ref"])
    r = call(gw, munged, "GET", "/list", user="bob")
    assert r.status == 200, r
    refs = [rec["ref"] for rec in r.json["images"]]
    assert images["simple"]["ref"] in refs
    assert refs == sorted(refs)
    r = call(gw, munged, "GET", "/status", user="bob")
    assert r.status == 200, r
    assert all(rec["status"] not in ("READY", "FAILURE", "EXPIRED") for rec in r.json["images"])


def test_private_image(gw, munged, basic_registry):
    ref = f"docker:{basic_registry.host}/private:v1"
    before = lookup(gw, munged, ref, user="bob")
    assert before.status == 404, before
    login = json.dumps({"username": "alice", "password": "wonderland"}).encode()
    rec = pull_ready(gw, munged, ref, user="alice", payload=login)
    assert rec["private"] is True
    mine = lookup(gw, munged, ref, user="alice")
    assert (mine.status, mine.json["status"]) == (200, "READY")
    theirs = lookup(gw, munged, ref, user="bob")
    assert (theirs.status, theirs.body) == (404, before.body)
    listed = call(gw, munged, "GET", "/list", user="bob").json["images"]
    assert ref not in [i["ref"] for i in listed]
    # the proxy asking on behalf of each of them gets each one's answer
    assert lookup(gw, munged, ref, headers={"x-berth-on-behalf-of": "2001"}).status == 200
    proxied = lookup(gw, munged, ref, headers={"x-berth-on-behalf-of": "2002"})
    assert (proxied.status, proxied.body) == (404, before.body)


def test_expire(gw, munged, images):
    img = images["expire"]
    pull_ready(gw, munged, img["ref"], user="alice")
    files = [os.path.join(gw.image_dir, img["digest"] + ext) for ext in (".sqfs", ".json")]
    assert all(os.path.exists(f) for f in files)
    r = call(gw, munged, "POST", "/expire", {"ref": img["ref"]}, user="alice")
    assert r.status == 403, r
    assert all(os.path.exists(f) for f in files)
    r = call(gw, munged, "POST", "/autoexpire", {}, user="alice")
    assert r.status == 403, r
    r = call(gw, munged, "POST", "/expire", {"ref": img["ref"]})
    assert (r.status, r.json) == (200, {"expired": [img["ref"]]})
    assert not any(os.path.exists(f) for f in files)
    assert lookup(gw, munged, img["ref"]).json["status"] == "EXPIRED"


def test_parallel_pulls_download_each_layer_once(gw, munged, images):
    img = images["parallel"]
    before = health(gw)["counters"]
    creds = [munged.cred("alice" if i % 2 else "bob") for i in range(10)]

    def pull(cred):
        return gw.request("POST", API + "/pull", {"ref": img["ref"]}, cred=cred)

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(pull, creds))
    assert all(r.status in (200, 202) for r in replies), replies
    rec = wait_ready(gw, munged, img["ref"])
    assert (rec["status"], rec["digest"]) == ("READY", img["digest"])
    after = health(gw)["counters"]
    assert after["blob_downloads"] - before["blob_downloads"] == img["layers"]
    assert after["conversions"] - before["conversions"] == 1


# ------------------------------------------------------------ import
def test_import_needs_importer(gw, munged):
    r = call(gw, munged, "POST", "/import?ref=docker%3Alocalhost%2Fmine%3A1", b"x" * 100, user="alice",
             headers={"Content-Type": "application/x-tar"})
    assert (r.status, r.json) == (403, {"error": "uid 2001 may not import images (not in import_uids)"})


def test_import_bad_ref(gw, munged):
    r = call(gw, munged, "POST", "/import?ref=docker%3Aexample.org%2Fmine%3A1", b"x" * 100)
    assert (r.status, r.json) == (400, {"error": "ref: imported images are named docker:localhost/NAME[:TAG]"})
    r = call(gw, munged, "POST", "/import", b"x" * 100)
    assert (r.status, r.json) == (400, {"error": 'query parameter "ref" missing'})


def test_import_oci_archive(gw, munged, tmp_path):
    lay = Layout(str(tmp_path / "oci"))
    lay.add_image("latest", [{"etc/imported": os.urandom(1000)}])
    archive = tmp_path / "image.tar"
    with tarfile.open(archive, "w") as tar:
        for name in sorted(os.listdir(lay.path)):
            tar.add(os.path.join(lay.path, name), arcname=name)
    ref = "docker:localhost/imported:1"
    r = call(gw, munged, "POST", "/import?ref=" + urllib.parse.quote(ref, safe=""), archive.read_bytes(),
             headers={"Content-Type": "application/x-tar"})
    assert r.status == 202, r
    assert r.json["ref"] == ref
    rec = wait_ready(gw, munged, ref)
    assert rec["status"] == "READY", rec
    assert uploads_left(gw) == []


# ------------------------------------------------------------ re-pull of a moved tag
class StallingProxy:
    """A registry proxy in front of the real test registry that holds the
    blob downloads of `stalled` digests until release is set, then answers
    them from the registry (or with `fail_status`)."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.stalled = set()
        self.release = threading.Event()
        self.asked = threading.Event()
        self.fail_status = None
        self.server = FakeServer(self._handle)

    def _handle(self, h):
        digest = h.path.rsplit("/", 1)[-1]
        if "/blobs/" in h.path and digest in self.stalled:
            self.asked.set()
            self.release.wait(60)
            if self.fail_status:
                return h.registry_error(self.fail_status, "UNKNOWN", "disk on fire")
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        try:
            conn.request("GET", h.path, headers={k: v for k, v in h.headers.items() if k.lower() == "accept"})
            resp = conn.getresponse()
            body = resp.read()
            keep = ("content-type", "docker-content-digest")
            h.reply(resp.status, body, {k: v for k, v in resp.getheaders() if k.lower() in keep})
        finally:
            conn.close()


def push_image(layout, registry, tag, size):
    layout.add_image(tag, [{f"data/{tag}-{i}.bin": os.urandom(size + i)} for i in range(2)])
    skopeo_push(layout, tag, f"{registry.host}/gwrepull:v1")
    return layout.descriptor(tag)["digest"], [l["digest"] for l in layout.manifest(tag)["layers"]]


def image_files(gw, digest):
    return [os.path.join(gw.image_dir, digest + ext) for ext in (".sqfs", ".json")]


def test_repull_of_a_moved_tag_keeps_the_old_digest_until_ready(gwdir, munged, layout, plain_registry):
    proxy = StallingProxy(plain_registry.host)
    with proxy.server:
        daemon = Gatewayd(GATEWAYD, os.path.join(gwdir, "repull"), daemon_user_or_skip(), munged, {
            "insecure_registries": proxy.server.host, "registry_allow": proxy.server.host,
            "workers": "2", "retries": "0"})
        daemon.start()
        try:
            repull_scenario(daemon, munged, layout, plain_registry, proxy)
        finally:
            daemon.stop()


def status_of(gw, munged, ref):
    r = call(gw, munged, "GET", "/status?ref=" + urllib.parse.quote(ref, safe=""))
    assert r.status == 200, r
    return r.json


def wait_not_pending(gw, munged, ref, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rec = status_of(gw, munged, ref)
        if "pending_digest" not in rec and rec["status"] not in ("PENDING", "PULLING", "CONVERTING"):
            return rec
        time.sleep(0.1)
    raise AssertionError(f"{ref} still busy: {rec}")


def repull_scenario(gw, munged, layout, registry, proxy):
    ref = f"docker:{proxy.server.host}/gwrepull:v1"
    a, _ = push_image(layout, registry, "gwrepull-a", 40000)
    assert pull_ready(gw, munged, ref)["digest"] == a
    # the tag moves; its new layers are held by the proxy
    b, b_layers = push_image(layout, registry, "gwrepull-b", 50000)
    proxy.stalled = set(b_layers)
    r = call(gw, munged, "POST", "/pull", {"ref": ref}, user="alice")
    assert r.status == 202, r
    assert (r.json["digest"], r.json["status"], r.json["pending_digest"]) == (a, "READY", b), r
    assert proxy.asked.wait(30), "no blob request for the new digest"
    for _ in range(3):   # job submissions keep getting the old READY digest
        r = lookup(gw, munged, ref, user="bob")
        assert (r.status, r.json["status"], r.json["digest"], r.json["pending_digest"]) == (200, "READY", a, b), r
    rec = status_of(gw, munged, ref)
    assert rec["pending_digest"] == b and rec["progress"]["phase"] == "download", rec
    assert rec["progress"]["layers_total"] == 2, rec
    busy = call(gw, munged, "GET", "/status").json["images"]
    assert [x["pending_digest"] for x in busy if x["ref"] == ref] == [b], busy
    # autoexpire keeps the files of the digest a READY record serves
    assert call(gw, munged, "POST", "/autoexpire", {}).status == 200
    assert all(os.path.exists(f) for f in image_files(gw, a))
    proxy.release.set()
    rec = wait_not_pending(gw, munged, ref)
    assert (rec["status"], rec["digest"], rec["message"]) == ("READY", b, ""), rec
    assert "progress" not in rec
    r = lookup(gw, munged, ref, user="bob")
    assert (r.json["status"], r.json["digest"]) == ("READY", b), r
    # now nothing uses the old digest: autoexpire removes its files
    assert all(os.path.exists(f) for f in image_files(gw, a))
    assert call(gw, munged, "POST", "/autoexpire", {}).status == 200
    assert not any(os.path.exists(f) for f in image_files(gw, a))
    assert all(os.path.exists(f) for f in image_files(gw, b))

    # a re-pull that fails leaves the READY digest in place, with the reason
    c, c_layers = push_image(layout, registry, "gwrepull-c", 30000)
    proxy.release.clear()
    proxy.asked.clear()
    proxy.stalled = set(c_layers)
    proxy.fail_status = 500
    r = call(gw, munged, "POST", "/pull", {"ref": ref})
    assert (r.status, r.json["digest"], r.json["pending_digest"]) == (202, b, c), r
    assert proxy.asked.wait(30)
    proxy.release.set()
    rec = wait_not_pending(gw, munged, ref)
    assert (rec["status"], rec["digest"]) == ("READY", b), rec
    assert rec["message"].startswith("the pull of " + c[:19] + "... failed, still serving the previous digest: "), rec
    assert "500" in rec["message"], rec
    r = lookup(gw, munged, ref, user="bob")
    assert (r.json["status"], r.json["digest"]) == ("READY", b), r
    assert not any(os.path.exists(f) for f in image_files(gw, c))


def autoexpire_daemon(gwdir, munged, plain_registry, name, interval):
    return Gatewayd(GATEWAYD, os.path.join(gwdir, name), daemon_user_or_skip(), munged, {
        "insecure_registries": plain_registry.host, "registry_allow": plain_registry.host, "retries": "0",
        "expire_after": "1s", "autoexpire_interval": interval}).start()


def test_daemon_runs_autoexpire_by_itself(gwdir, munged, images, plain_registry):
    simple = images["simple"]
    daemon = autoexpire_daemon(gwdir, munged, plain_registry, "autoexpire", "300ms")
    try:
        pull_ready(daemon, munged, simple["ref"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:     # /status does not count as a lookup
            rec = status_of(daemon, munged, simple["ref"])
            if rec["status"] == "EXPIRED":
                break
            time.sleep(0.1)
        assert rec["status"] == "EXPIRED", rec
        assert not any(os.path.exists(f) for f in image_files(daemon, simple["digest"]))
    finally:
        took = daemon.stop()
    assert took < 2.0 and daemon.proc.returncode == 0, daemon.log_tail()
    assert f"autoexpire: {simple['ref']} expired" in daemon.log_tail()


def test_autoexpire_interval_zero_is_off(gwdir, munged, images, plain_registry):
    simple = images["simple"]
    daemon = autoexpire_daemon(gwdir, munged, plain_registry, "noexpiry", "0")
    try:
        pull_ready(daemon, munged, simple["ref"])
        time.sleep(2.5)
        assert status_of(daemon, munged, simple["ref"])["status"] == "READY"
        assert all(os.path.exists(f) for f in image_files(daemon, simple["digest"]))
    finally:
        daemon.stop()
    assert "autoexpire:" not in daemon.log_tail()


# ------------------------------------------------------------ restart (last)
def test_sigterm_during_a_pull_then_resumed(gw, munged, images):
    img = images["big"]
    r = call(gw, munged, "POST", "/pull", {"ref": img["ref"]}, user="alice")
    assert (r.status, r.json["status"]) == (202, "PENDING"), r
    time.sleep(0.1)
    quoted = urllib.parse.quote(img["ref"], safe="")
    during = call(gw, munged, "GET", f"/status?ref={quoted}", user="alice").json
    assert during["status"] in ("PENDING", "PULLING", "CONVERTING"), during
    took = gw.stop()
    assert took < 2.0, f"SIGTERM with a pull in progress took {took:.2f} s"
    assert gw.proc.returncode == 0, gw.log_tail()
    gw.start()
    rec = wait_ready(gw, munged, img["ref"], user="alice")
    assert (rec["status"], rec["digest"]) == ("READY", img["digest"]), rec


def test_restart_keeps_ready_images_and_sigterm_is_quick(gw, munged, images):
    simple = images["simple"]
    pull_ready(gw, munged, simple["ref"])
    took = gw.stop()
    assert took < 2.0, f"SIGTERM took {took:.2f} s"
    assert gw.proc.returncode == 0, gw.log_tail()
    assert "stopped" in gw.log_tail()
    gw.start()
    r = lookup(gw, munged, simple["ref"], user="bob")
    assert (r.status, r.json["status"], r.json["digest"]) == (200, "READY", simple["digest"])
