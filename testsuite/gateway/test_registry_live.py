"""The registry client (gateway/registry*.c, through registry_tool) against
real docker-registry instances, and against scripted servers for what a real
registry does not do (lying blobs, cut transfers, redirects, 5xx, proxies)."""
import hashlib
import json
import os
import time

import pytest

from conftest import USERS, run_tool, sha256_file
from servers import FakeServer, Registry

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_TGZ = "application/vnd.oci.image.layer.v1.tar+gzip"
GOOD = "alice=wonderland"


def creds(host, user="alice", password=USERS["alice"]):
    return f"{host}={user}:{password}"


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ===================================================== real registry, anonymous
def test_manifest_by_tag(plain_registry, layout):
    r = run_tool("manifest", f"{plain_registry.host}/simple:v1", insecure=[plain_registry.host]).json
    local = layout.manifest("simple")
    assert r["digest"] == layout.descriptor("simple")["digest"]
    assert r["media_type"] == OCI_MANIFEST
    assert r["index_digest"] == "" and r["platform"] == ""
    assert r["config"] == {"mediaType": OCI_CONFIG, "digest": local["config"]["digest"],
                           "size": local["config"]["size"], "compression": 0}
    assert [(l["digest"], l["size"], l["mediaType"], l["compression"]) for l in r["layers"]] == \
        [(l["digest"], l["size"], OCI_TGZ, 1) for l in local["layers"]]
    assert len(r["layers"]) == 3


def test_manifest_by_digest(plain_registry, layout):
    digest = layout.descriptor("simple")["digest"]
    r = run_tool("manifest", f"{plain_registry.host}/simple@{digest}", insecure=[plain_registry.host]).json
    assert r["digest"] == digest
    assert r["raw_len"] == layout.descriptor("simple")["size"]


def test_docker_schema2(plain_registry):
    r = run_tool("manifest", f"{plain_registry.host}/docker:v1", insecure=[plain_registry.host]).json
    assert r["media_type"] == DOCKER_MANIFEST
    assert r["config"]["mediaType"] == "application/vnd.docker.container.image.v1+json"
    assert {l["mediaType"] for l in r["layers"]} == {"application/vnd.docker.image.rootfs.diff.tar.gzip"}
    by_digest = run_tool("manifest", f"{plain_registry.host}/docker@{r['digest']}",
                         insecure=[plain_registry.host]).json
    assert by_digest == r


@pytest.mark.parametrize("platform,image,chosen", [
    (None, "amd64", "linux/amd64"),
    ("linux/amd64", "amd64", "linux/amd64"),
    ("linux/arm64", "arm64", "linux/arm64/v8"),
    ("linux/arm64/v8", "arm64", "linux/arm64/v8"),
])
def test_multiarch_index(plain_registry, layout, platform, image, chosen):
    for ref in (f"{plain_registry.host}/multi:latest", f"{plain_registry.host}/multi@{layout.index_digest}"):
        r = run_tool("manifest", ref, insecure=[plain_registry.host], platform=platform).json
        assert r["digest"] == layout.descriptor(image)["digest"]
        assert r["index_digest"] == layout.index_digest
        assert r["platform"] == chosen
        assert r["layers"][0]["digest"] == layout.manifest(image)["layers"][0]["digest"]


def test_multiarch_missing_platform(plain_registry):
    h = plain_registry.host
    r = run_tool("manifest", f"{h}/multi:latest", insecure=[h], platform="linux/s390x")
    assert r.rc == 1
    assert r.error == (f'registry {h}: repository "multi": manifest "latest": no manifest for platform '
                       '"linux/s390x" (available: linux/amd64, linux/arm64/v8)')
    assert r.errno == "ENOENT"


def test_pull_blobs_verified(plain_registry, layout, tmp_path):
    h = plain_registry.host
    r = run_tool("pull", f"{h}/simple:v1", str(tmp_path), "3", insecure=[h]).json
    for layer in r["layers"]:
        path = tmp_path / layer["digest"].split(":")[1]
        assert sha256_file(path) == layer["digest"]
        assert path.read_bytes() == layout.read_blob(layer["digest"])


def test_config_blob(plain_registry, layout):
    h = plain_registry.host
    config = layout.manifest("simple")["config"]
    r = run_tool("config", f"{h}/simple:v1", config["digest"], str(config["size"]), insecure=[h])
    assert r.rc == 0, r.stderr
    assert r.stdout.encode() == layout.read_blob(config["digest"])
    assert json.loads(r.stdout)["architecture"] == "amd64"


def test_blob_size_mismatch(plain_registry, layout, tmp_path):
    h = plain_registry.host
    layer = layout.manifest("simple")["layers"][1]
    d, size = layer["digest"], layer["size"]
    r = run_tool("blob", f"{h}/simple:v1", d, str(size + 1), str(tmp_path / "b"), insecure=[h])
    assert r.error == f'registry {h}: repository "simple": blob {d}: size mismatch (got {size} bytes, expected {size + 1})'
    assert r.errno == "EBADMSG"
    r = run_tool("blob", f"{h}/simple:v1", d, str(size - 1), str(tmp_path / "b"), insecure=[h])
    assert r.error == f'registry {h}: repository "simple": blob {d}: size mismatch (more than the expected {size - 1} bytes)'


def test_not_found(plain_registry, tmp_path):
    h = plain_registry.host
    r = run_tool("manifest", f"{h}/simple:nope", insecure=[h])
    assert r.error == f'registry {h}: repository "simple": manifest "nope" not found (404)'
    assert r.errno == "ENOENT"
    r = run_tool("manifest", f"{h}/no/such/repo:v1", insecure=[h])
    assert r.error == f'registry {h}: repository "no/such/repo": manifest "v1" not found (404)'
    d = digest_of(b"never pushed")
    r = run_tool("blob", f"{h}/simple:v1", d, "12", str(tmp_path / "b"), insecure=[h])
    assert r.error == f'registry {h}: repository "simple": blob {d} not found (404)'


def test_https_unless_insecure(plain_registry):
    h = plain_registry.host
    r = run_tool("manifest", f"{h}/simple:v1", allow=[h], retries=0)
    assert r.rc == 1
    # a TLS failure is no HTTP answer: the one message (the detail is logged)
    assert r.error == f'registry {h}: repository "simple": manifest "v1": registry unreachable (details in the gateway\'s log)'
    assert r.errno == "EHOSTUNREACH"


def test_registry_stopped(work):
    reg = Registry(work, "stopped").start()
    h = reg.host
    try:
        r = run_tool("manifest", f"{h}/x:v1", insecure=[h])
        assert r.error == f'registry {h}: repository "x": manifest "v1" not found (404)'
    finally:
        reg.stop()
    t0 = time.monotonic()
    r = run_tool("manifest", f"{h}/x:v1", insecure=[h], retries=2, backoff_ms=100)
    assert r.error == f'registry {h}: repository "x": manifest "v1": registry unreachable (details in the gateway\'s log)'
    assert r.errno == "EHOSTUNREACH"
    assert 0.3 <= time.monotonic() - t0 < 10   # 100 + 200 ms of backoff


# ========================================================= real registry, Basic
def test_basic_auth_good(basic_registry, tmp_path):
    h = basic_registry.host
    r = run_tool("pull", f"{h}/private:v1", str(tmp_path), "2", insecure=[h], creds=[creds(h)]).json
    assert len(r["layers"]) == 3


def test_basic_auth_bad(basic_registry):
    h = basic_registry.host
    r = run_tool("manifest", f"{h}/private:v1", insecure=[h], creds=[creds(h, password="wrong")])
    assert r.error == f'registry {h}: repository "private": manifest "v1": unauthorized (401) as user "alice"'
    assert r.errno == "EACCES"
    r = run_tool("manifest", f"{h}/private:v1", insecure=[h])
    assert r.error == f'registry {h}: repository "private": manifest "v1": unauthorized (401) without credentials'


# ========================================================= real registry, token
def test_token_auth_good_and_cached(token_registry, tmp_path):
    h, tokens = token_registry.host, token_registry.tokens
    before = len(tokens.issued)
    # the token server is on plain http: its host must be listed as insecure too
    r = run_tool("pull", f"{h}/private:v1", str(tmp_path), "3", insecure=[h, tokens.host],
                 creds=[creds(h)]).json
    assert len(r["layers"]) == 3
    # manifest, config and three layers in parallel: one token
    assert tokens.issued[before:] == [("alice", ["repository:private:pull"])]


def test_token_anonymous(token_registry, tmp_path):
    h, tokens = token_registry.host, token_registry.tokens
    r = run_tool("pull", f"{h}/public/simple:v1", str(tmp_path), "2", insecure=[h, tokens.host]).json
    assert len(r["layers"]) == 3
    r = run_tool("manifest", f"{h}/private:v1", insecure=[h, tokens.host])
    assert r.error == f'registry {h}: repository "private": manifest "v1": unauthorized (401) without credentials'


def test_token_bad_credentials(token_registry):
    h, tokens = token_registry.host, token_registry.tokens
    r = run_tool("manifest", f"{h}/private:v1", insecure=[h, tokens.host], creds=[creds(h, password="nope")])
    assert r.error == (f'registry {h}: repository "private": manifest "v1": token server '
                       f'"http://{tokens.host}/token": unauthorized (401) as user "alice"')
    assert r.errno == "EACCES"


def test_token_realm_must_be_https(token_registry):
    h, tokens = token_registry.host, token_registry.tokens
    r = run_tool("manifest", f"{h}/private:v1", insecure=[h], creds=[creds(h)])
    assert r.error == (f'registry {h}: repository "private": manifest "v1": token realm '
                       f'"http://{tokens.host}/token": must be https unless its host is an insecure registry')


# ============================================================ scripted servers
BLOB = bytes(range(256)) * 4            # 1024 bytes
BLOB_DIGEST = digest_of(BLOB)


def manifest_body(layer_type=OCI_TGZ):
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": {"mediaType": OCI_CONFIG, "digest": BLOB_DIGEST, "size": len(BLOB)},
                       "layers": [{"mediaType": layer_type, "digest": BLOB_DIGEST, "size": len(BLOB)}]})


def routes(table):
    def handle(h):
        path = h.path.split("?")[0]
        fn = table.get(path)
        if fn is None:
            return h.registry_error(404, "NAME_UNKNOWN", "not here")
        fn(h)
    return handle


def test_blob_digest_mismatch(tmp_path):
    evil = BLOB[:-1] + b"X"
    with FakeServer(routes({f"/v2/x/blobs/{BLOB_DIGEST}": lambda h: h.reply(200, evil)})) as s:
        r = run_tool("blob", f"{s.host}/x:v1", BLOB_DIGEST, str(len(BLOB)), str(tmp_path / "b"), insecure=[s.host])
    assert r.error == (f'registry {s.host}: repository "x": blob {BLOB_DIGEST}: digest mismatch '
                       f'(got {digest_of(evil)})')
    assert r.errno == "EBADMSG"


def cut_short(h):
    h.send_response(200)
    h.send_header("Content-Length", str(len(BLOB)))
    h.end_headers()
    h.wfile.write(BLOB[:500])
    h.wfile.flush()


def test_blob_truncated_is_retried_then_fails(tmp_path):
    with FakeServer(routes({f"/v2/x/blobs/{BLOB_DIGEST}": cut_short})) as s:
        r = run_tool("blob", f"{s.host}/x:v1", BLOB_DIGEST, str(len(BLOB)), str(tmp_path / "b"),
                     insecure=[s.host], retries=1)
        assert len(s.log) == 2
    assert r.error == (f'registry {s.host}: repository "x": blob {BLOB_DIGEST}: connection closed after '
                       f'500 bytes of the expected 1024 (2 attempts)')
    # a retry starts the file again rather than appending
    assert (tmp_path / "b").stat().st_size == 500


def test_blob_short_without_length(tmp_path):
    table = {f"/v2/x/blobs/{BLOB_DIGEST}": lambda h: h.reply(200, BLOB[:500], content_length=False)}
    with FakeServer(routes(table)) as s:
        r = run_tool("blob", f"{s.host}/x:v1", BLOB_DIGEST, str(len(BLOB)), str(tmp_path / "b"), insecure=[s.host])
    assert r.error == (f'registry {s.host}: repository "x": blob {BLOB_DIGEST}: size mismatch '
                       f'(got 500 bytes, expected 1024)')


def test_manifest_digest_mismatch():
    body = manifest_body()
    wanted = digest_of(b"another manifest")
    table = {f"/v2/x/manifests/{wanted}": lambda h: h.reply(200, body, {"Content-Type": OCI_MANIFEST,
                                                                        "Docker-Content-Digest": wanted})}
    with FakeServer(routes(table)) as s:
        r = run_tool("manifest", f"{s.host}/x@{wanted}", insecure=[s.host])
    assert r.error == (f'registry {s.host}: repository "x": manifest {wanted}: digest mismatch '
                       f'(got {digest_of(body.encode())})')


def test_manifest_digest_is_computed_not_taken_from_header():
    body = manifest_body()
    lie = digest_of(b"lie")
    table = {"/v2/x/manifests/v1": lambda h: h.reply(200, body, {"Content-Type": OCI_MANIFEST,
                                                                 "Docker-Content-Digest": lie})}
    with FakeServer(routes(table)) as s:
        r = run_tool("manifest", f"{s.host}/x:v1", insecure=[s.host]).json
    assert r["digest"] == digest_of(body.encode())


@pytest.mark.parametrize("content_type,body,message", [
    ("application/vnd.docker.distribution.manifest.v1+prettyjws", '{"schemaVersion":1}',
     "schema1 manifests are not supported (push the image again with a current client)"),
    (OCI_MANIFEST, manifest_body("application/vnd.example.weird"),
     'layer 1: unsupported media type "application/vnd.example.weird"'),
    ("text/html", "<html>", "not valid JSON (unexpected character)"),
])
def test_bad_manifests(content_type, body, message):
    table = {"/v2/x/manifests/v1": lambda h: h.reply(200, body, {"Content-Type": content_type})}
    with FakeServer(routes(table)) as s:
        r = run_tool("manifest", f"{s.host}/x:v1", insecure=[s.host])
    assert r.error == f'registry {s.host}: repository "x": manifest "v1": {message}'


def test_manifest_too_big():
    big = b" " * (4 << 20) + b"{}"
    with FakeServer(routes({"/v2/x/manifests/v1": lambda h: h.reply(200, big)})) as s:
        r = run_tool("manifest", f"{s.host}/x:v1", insecure=[s.host])
    assert r.error == f'registry {s.host}: repository "x": manifest "v1": larger than 4194304 bytes'
    assert r.errno == "EFBIG"


def test_server_errors_are_retried():
    answers = [503, 502, 200]

    def flaky(h):
        status = answers.pop(0)
        if status == 200:
            return h.reply(200, manifest_body(), {"Content-Type": OCI_MANIFEST})
        h.registry_error(status, "UNAVAILABLE", "try later")

    with FakeServer(routes({"/v2/x/manifests/v1": flaky})) as s:
        r = run_tool("manifest", f"{s.host}/x:v1", insecure=[s.host], retries=3)
        assert r.rc == 0, r.stderr
        assert len(s.log) == 3


def test_server_error_after_retries():
    with FakeServer(routes({"/v2/x/manifests/v1": lambda h: h.registry_error(500, "UNKNOWN", "boom")})) as s:
        r = run_tool("manifest", f"{s.host}/x:v1", insecure=[s.host], retries=2)
        assert len(s.log) == 3
    assert r.error == f'registry {s.host}: repository "x": manifest "v1": server error (500, 3 attempts): boom'
    assert r.errno == "EAGAIN"


@pytest.mark.parametrize("status,message", [
    (404, 'manifest "v1" not found (404)'),
    (403, 'manifest "v1": denied (403): requested access to the resource is denied'),
    (400, 'manifest "v1": unexpected HTTP status 400: requested access to the resource is denied'),
])
def test_client_errors_are_not_retried(status, message):
    table = {"/v2/x/manifests/v1": lambda h: h.registry_error(status, "DENIED",
                                                              "requested access to the resource is denied")}
    with FakeServer(routes(table)) as s:
        r = run_tool("manifest", f"{s.host}/x:v1", insecure=[s.host], retries=3)
        assert len(s.log) == 1
    assert r.error == f'registry {s.host}: repository "x": {message}'


def test_429_honours_retry_after():
    answers = [429, 200]

    def limited(h):
        if answers.pop(0) == 429:
            return h.registry_error(429, "TOOMANYREQUESTS", "slow down", {"Retry-After": "1"})
        h.reply(200, manifest_body(), {"Content-Type": OCI_MANIFEST})

    with FakeServer(routes({"/v2/x/manifests/v1": limited})) as s:
        t0 = time.monotonic()
        r = run_tool("manifest", f"{s.host}/x:v1", insecure=[s.host], retries=2, backoff_ms=10)
        assert r.rc == 0, r.stderr
        assert time.monotonic() - t0 >= 0.95


def bearer_registry(token="tok-1", extra=None):
    """A registry wanting "Bearer <token>" from its own /token endpoint."""
    table = dict(extra or {})

    def handle(h):
        path = h.path.split("?")[0]
        if path == "/token":
            return h.reply_json(200, {"token": token, "expires_in": 120})
        if path.startswith("/v2/") and h.headers.get("Authorization") != f"Bearer {token}":
            realm = f"http://{h.server.server_address[0]}:{h.server.server_address[1]}/token"
            return h.registry_error(401, "UNAUTHORIZED", "authentication required", {
                "WWW-Authenticate": f'Bearer realm="{realm}",service="fake",scope="repository:x:pull"'})
        if path in table:
            return table[path](h)
        h.registry_error(404, "NAME_UNKNOWN", "not here")
    return handle


def test_redirect_to_other_host_drops_authorization(tmp_path):
    with FakeServer(routes({"/storage/blob": lambda h: h.reply(200, BLOB)}), host="127.0.0.2") as storage:
        redirect = {f"/v2/x/blobs/{BLOB_DIGEST}":
                    lambda h: h.reply(307, b"", {"Location": f"http://{storage.host}/storage/blob?sig=s3cr3t"})}
        with FakeServer(bearer_registry(extra=redirect)) as s:
            r = run_tool("blob", f"{s.host}/x:v1", BLOB_DIGEST, str(len(BLOB)), str(tmp_path / "b"),
                         redirect_allow=[storage.host], insecure=[s.host])
            assert r.rc == 0, r.stderr
            blob_requests = [e for e in s.log if e["path"].startswith("/v2/x/blobs/")]
            assert [e["headers"].get("Authorization") for e in blob_requests] == [None, "Bearer tok-1"]
        assert len(storage.log) == 1
        assert "Authorization" not in storage.log[0]["headers"]
        assert storage.log[0]["path"] == "/storage/blob?sig=s3cr3t"
    assert (tmp_path / "b").read_bytes() == BLOB


def test_redirect_refused_unless_allowed(tmp_path):
    """registry_redirect_allow: a redirect to a host that is not listed is
    not followed; under "*" a listed-nowhere host must be public (it is on
    loopback here)."""
    with FakeServer(routes({"/storage/blob": lambda h: h.reply(200, BLOB)}), host="127.0.0.2") as storage:
        redirect = {f"/v2/x/blobs/{BLOB_DIGEST}":
                    lambda h: h.reply(307, b"", {"Location": f"http://{storage.host}/storage/blob"})}
        with FakeServer(routes(redirect)) as s:
            what = f'registry {s.host}: repository "x": blob {BLOB_DIGEST}'
            r = run_tool("blob", f"{s.host}/x:v1", BLOB_DIGEST, str(len(BLOB)), str(tmp_path / "b"),
                         allow=[s.host], insecure=[s.host])
            assert r.error == f'{what}: redirect: host "{storage.host}" is not allowed (registry_redirect_allow)'
            assert r.errno == "EACCES"
            r = run_tool("blob", f"{s.host}/x:v1", BLOB_DIGEST, str(len(BLOB)), str(tmp_path / "b"),
                         insecure=[s.host])
            assert r.error == (f"{what}: refusing a non-public address (the host is not listed in "
                               f"registry_allow)")
            assert r.errno == "EACCES"
        assert storage.log == []


def test_redirect_on_same_origin_keeps_authorization(tmp_path):
    table = {
        f"/v2/x/blobs/{BLOB_DIGEST}": lambda h: h.reply(302, b"", {"Location": "/v2/x/moved"}),
        "/v2/x/moved": lambda h: h.reply(200, BLOB),
    }
    with FakeServer(bearer_registry(extra=table)) as s:
        r = run_tool("blob", f"{s.host}/x:v1", BLOB_DIGEST, str(len(BLOB)), str(tmp_path / "b"), insecure=[s.host])
        assert r.rc == 0, r.stderr
        moved = [e for e in s.log if e["path"] == "/v2/x/moved"]
        assert [e["headers"].get("Authorization") for e in moved] == ["Bearer tok-1"]


def test_redirect_loop():
    table = {"/v2/x/manifests/v1": lambda h: h.reply(302, b"", {"Location": "/v2/x/manifests/v1"})}
    with FakeServer(routes(table)) as s:
        r = run_tool("manifest", f"{s.host}/x:v1", insecure=[s.host])
    assert r.error == f'registry {s.host}: repository "x": manifest "v1": more than 10 redirects'
    assert r.errno == "EPROTO"


def test_bad_challenge():
    def handle(h):
        h.registry_error(401, "UNAUTHORIZED", "no", {"WWW-Authenticate": 'Bearer realm="http://x/token'})
    with FakeServer(handle) as s:
        r = run_tool("manifest", f"{s.host}/x:v1", insecure=[s.host])
    assert r.error == f'registry {s.host}: repository "x": manifest "v1": WWW-Authenticate: unterminated quoted string'


def test_refused_fresh_token_is_not_retried_forever():
    # the token endpoint hands out a token the registry never accepts
    def handle(h):
        if h.path.startswith("/token"):
            return h.reply_json(200, {"token": "useless"})
        realm = f"http://{h.server.server_address[0]}:{h.server.server_address[1]}/token"
        h.registry_error(401, "UNAUTHORIZED", "no", {"WWW-Authenticate": f'Bearer realm="{realm}"'})
    with FakeServer(handle) as s:
        r = run_tool("manifest", f"{s.host}/x:v1", insecure=[s.host])
        assert [e["path"].split("?")[0] for e in s.log] == ["/v2/x/manifests/v1", "/token", "/v2/x/manifests/v1"]
    assert r.error == f'registry {s.host}: repository "x": manifest "v1": unauthorized (401) without credentials'


def test_proxy_from_environment():
    def proxy(h):
        h.registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown")
    with FakeServer(proxy) as p:
        r = run_tool("manifest", "registry.invalid:5000/x:v1", insecure=["registry.invalid:5000"],
                     env={"http_proxy": f"http://{p.host}"})
        assert [e["path"] for e in p.log] == ["http://registry.invalid:5000/v2/x/manifests/v1"]
    assert r.error == 'registry registry.invalid:5000: repository "x": manifest "v1" not found (404)'
