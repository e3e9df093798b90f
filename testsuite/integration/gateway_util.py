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
