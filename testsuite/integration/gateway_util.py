"""Helpers for tests that talk to the lab's berth-gatewayd and registry
directly (as a user with a fresh munge credential, as the HTTP API says)."""
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

from conftest import LAB, REGISTRY


def gateway_url():
    with open(os.path.join(LAB, "etc/berth.conf")) as f:
        for line in f:
            key, _, value = line.partition("=")
            if key.strip() == "gateway_url":
                return value.strip()
    raise AssertionError("no gateway_url in berth.conf")


def munge_cred(user, payload=None):
    argv = ["munge"] + (["-s", payload] if payload else ["-n"])
    if user != "root":
        argv = ["runuser", "-u", user, "--"] + argv
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def gw(user, method, path, body=None, payload=None, timeout=30):
    """(status, json) of one request to the gateway as user."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(gateway_url() + path, data=data, method=method,
                                 headers={"authentication": munge_cred(user, payload),
                                          "Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def pull_ready(user, ref, login=None, timeout=90):
    """Pull ref as user (with registry credentials: a private image) and
    wait until it is READY; returns the digest."""
    payload = json.dumps(login) if login else None
    status, rec = gw(user, "POST", "/api/v1/pull", {"ref": ref}, payload=payload)
    assert status in (200, 202), (status, rec)
    deadline = time.monotonic() + timeout
    quoted = urllib.request.quote(ref, safe="")
    while rec.get("status") != "READY":
        assert rec.get("status") != "FAILURE", rec
        assert time.monotonic() < deadline, f"{ref} not READY after {timeout}s: {rec}"
        time.sleep(0.1)
        status, rec = gw(user, "GET", f"/api/v1/status?ref={quoted}")
        assert status == 200, (status, rec)
    return rec["digest"]


def push(image, repo_tag):
    """Copy one of the harness's test images (oci:$LAB/oci/layout:IMAGE) to the
    registry as REPO:TAG (the registry must be running); returns its digest."""
    policy = [] if os.path.exists("/etc/containers/policy.json") else ["--insecure-policy"]
    subprocess.run(["skopeo"] + policy + ["copy", "-q", "--preserve-digests", "--dest-tls-verify=false",
                                          f"oci:{LAB}/oci/layout:{image}", f"docker://{REGISTRY}/{repo_tag}"],
                   check=True, capture_output=True, timeout=120)
    r = subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                        f"docker://{REGISTRY}/{repo_tag}"], check=True, capture_output=True, text=True)
    return r.stdout.strip()


def gateway_pid():
    with open(os.path.join(LAB, "run/gateway.bgpid")) as f:
        return int(f.read().split()[0])


def write_atomic(path, text):
    """Replace a config file in one rename: slurmd re-reads slurm.conf when
    a reconfigure reaches it, and must never see it half written."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)


# ---- images made for one test (a busybox base plus a layer of random data) --
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"


def _oci_blob(digest):
    algo, hexa = digest.split(":")
    return os.path.join(LAB, "oci/layout/blobs", algo, hexa)


def _registry(method, path, data=None, headers=None, length=None):
    req = urllib.request.Request(f"http://{REGISTRY}{path}", data=data, method=method,
                                 headers=dict(headers or {}))
    if length is not None:
        req.add_header("Content-Length", str(length))
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=300) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def _upload_blob(repo, digest, path=None, data=None):
    status, _, _ = _registry("HEAD", f"/v2/{repo}/blobs/{digest}")
    if status == 200:
        return
    status, headers, body = _registry("POST", f"/v2/{repo}/blobs/uploads/")
    assert status == 202, (status, body)
    location = headers["Location"]
    if not location.startswith("http"):
        location = f"http://{REGISTRY}{location}"
    sep = "&" if "?" in location else "?"
    path_q = location.split(REGISTRY, 1)[1] + f"{sep}digest={digest}"
    if path is not None:
        with open(path, "rb") as f:
            status, _, body = _registry("PUT", path_q, data=f, length=os.path.getsize(path),
                                        headers={"Content-Type": "application/octet-stream"})
    else:
        status, _, body = _registry("PUT", path_q, data=data, length=len(data),
                                    headers={"Content-Type": "application/octet-stream"})
    assert status == 201, (status, body)


_BIG_IMAGES = []   # (repo:tag, layer digest) of push_big's images


def forget_big_images():
    """Free what push_big's images hold: each is expired at the gateway (its
    squashfs goes) and its random layer removed from the registry.  A 1 GiB
    test image is otherwise kept until the lab is removed, three times
    (registry, the gateway's layer cache, the image directory)."""
    for repo_tag in {ref for ref, _ in _BIG_IMAGES}:   # the gateway's records are by tag
        gw("root", "POST", "/api/v1/expire", {"ref": f"docker:{REGISTRY}/{repo_tag}"})
    while _BIG_IMAGES:
        drop_registry_blob(_BIG_IMAGES.pop()[1])


def push_big(repo_tag, size_mb, marker="berth-wait-test"):
    """Push busybox plus one uncompressed layer of size_mb MiB of random
    data (/big/data) and /big/marker (marker) as REPO:TAG; returns
    (manifest digest, layer digest).  Random: every call is a new image."""
    import hashlib
    import tarfile
    import tempfile
    repo, tag = repo_tag.rsplit(":", 1)
    with open(os.path.join(LAB, "oci/layout/index.json")) as f:
        index = json.load(f)
    base = next(m for m in index["manifests"]
                if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "busybox")
    with open(_oci_blob(base["digest"])) as f:
        manifest = json.load(f)
    with open(_oci_blob(manifest["config"]["digest"])) as f:
        config = json.load(f)
    with tempfile.TemporaryDirectory(dir=LAB) as work:
        data = os.path.join(work, "data")
        with open(data, "wb") as f:
            for _ in range(size_mb):
                f.write(os.urandom(1 << 20))
        with open(os.path.join(work, "marker"), "w") as f:
            f.write(marker + "\n")
        layer = os.path.join(work, "layer.tar")
        with tarfile.open(layer, "w", format=tarfile.PAX_FORMAT) as tar:
            for name, src in (("big", None), ("big/marker", "marker"), ("big/data", "data")):
                info = tarfile.TarInfo(name)
                info.mtime = 1704067200
                if src is None:
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                else:
                    info.size, info.mode = os.path.getsize(os.path.join(work, src)), 0o644
                    with open(os.path.join(work, src), "rb") as f:
                        tar.addfile(info, f)
        h = hashlib.sha256()
        with open(layer, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                h.update(chunk)
        layer_digest = "sha256:" + h.hexdigest()
        for blob in manifest["layers"]:
            _upload_blob(repo, blob["digest"], path=_oci_blob(blob["digest"]))
        _upload_blob(repo, layer_digest, path=layer)
        layer_size = os.path.getsize(layer)
    config["rootfs"]["diff_ids"].append(layer_digest)
    config.setdefault("history", []).append({"created": "2024-01-01T00:00:00Z",
                                             "created_by": "berth testsuite: big layer"})
    config_bytes = json.dumps(config).encode()
    config_digest = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    _upload_blob(repo, config_digest, data=config_bytes)
    new = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                      "digest": config_digest, "size": len(config_bytes)},
           "layers": list(manifest["layers"]) + [{"mediaType": OCI_LAYER, "digest": layer_digest,
                                                  "size": layer_size}]}
    body = json.dumps(new).encode()
    status, _, reply = _registry("PUT", f"/v2/{repo}/manifests/{tag}", data=body, length=len(body),
                                 headers={"Content-Type": new["mediaType"]})
    assert status == 201, (status, reply)
    _BIG_IMAGES.append((repo_tag, layer_digest))
    return "sha256:" + hashlib.sha256(body).hexdigest(), layer_digest


def registry_blob_path(digest):
    algo, hexa = digest.split(":")
    return os.path.join(LAB, "registry/docker/registry/v2/blobs", algo, hexa[:2], hexa, "data")


def corrupt_registry_blob(digest):
    """Change bytes in the middle of a blob the registry stores (it serves
    blobs as they are on disk): a pull of it fails its digest check."""
    path = registry_blob_path(digest)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(size // 2)
        f.write(os.urandom(64))


def drop_registry_blob(digest):
    try:
        os.unlink(registry_blob_path(digest))
    except FileNotFoundError:
        pass


def health():
    url = gateway_url() + "/api/v1/health"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as r:
        return json.load(r)


def push_rootfs(tar_path, repo_tag):
    """Push a root filesystem tar as a one-layer image REPO:TAG (uncompressed
    layer); returns the manifest digest."""
    import hashlib
    repo, tag = repo_tag.rsplit(":", 1)
    h = hashlib.sha256()
    with open(tar_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    layer_digest = "sha256:" + h.hexdigest()
    _upload_blob(repo, layer_digest, path=tar_path)
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
              "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
              "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "berth bench"}]}
    config_bytes = json.dumps(config).encode()
    config_digest = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    _upload_blob(repo, config_digest, data=config_bytes)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": config_digest, "size": len(config_bytes)},
                "layers": [{"mediaType": OCI_LAYER, "digest": layer_digest,
                            "size": os.path.getsize(tar_path)}]}
    body = json.dumps(manifest).encode()
    status, _, reply = _registry("PUT", f"/v2/{repo}/manifests/{tag}", data=body, length=len(body),
                                 headers={"Content-Type": manifest["mediaType"]})
    assert status == 201, (status, reply)
    return "sha256:" + hashlib.sha256(body).hexdigest()


if __name__ == "__main__":
    # testsuite/bench: python3 gateway_util.py push-rootfs TAR REPO:TAG
    import sys
    if len(sys.argv) == 4 and sys.argv[1] == "push-rootfs":
        print(push_rootfs(sys.argv[2], sys.argv[3]))
    else:
        sys.exit("usage: gateway_util.py push-rootfs TAR REPO:TAG")
