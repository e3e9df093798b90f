"""Fixtures of the registry client tests: an OCI layout with test images,
real docker-registry instances (anonymous, htpasswd Basic, token auth) with
the images pushed by skopeo, and a runner for registry_tool."""
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile

import pytest

from servers import Registry, TokenServer

TOOL = os.environ.get("BERTH_REGISTRY_TOOL", "")
USERS = {"alice": "wonderland"}
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        lines = proc.stderr.splitlines()
        self.error = next((l[len("error: "):] for l in lines if l.startswith("error: ")), None)
        self.errno = next((l[len("errno: "):] for l in lines if l.startswith("errno: ")), None)

    @property
    def json(self):
        assert self.rc == 0, self.stderr
        return json.loads(self.stdout)


def run_tool(*args, insecure=(), creds=(), platform=None, retries=1, backoff_ms=50, env=None, timeout=120,
             allow=(), redirect_allow=()):
    """allow: registry_allow (default: the insecure hosts and "*")."""
    cmd = [TOOL, "--retries", str(retries), "--backoff-ms", str(backoff_ms)]
    for h in insecure:
        cmd += ["--insecure", h]
    for h in allow:
        cmd += ["--allow", h]
    for h in redirect_allow:
        cmd += ["--redirect-allow", h]
    for c in creds:
        cmd += ["--creds", c]
    if platform:
        cmd += ["--platform", platform]
    full_env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    full_env.update(env or {})
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, env=full_env, timeout=timeout)
    return Result(proc)


# ------------------------------------------------------------- OCI layout
class Layout:
    """An OCI layout built with umoci: small images with gzip layers."""

    def __init__(self, path):
        self.path = path
        subprocess.run(["umoci", "init", "--layout", path], check=True)

    def index(self):
        with open(os.path.join(self.path, "index.json")) as f:
            return json.load(f)

    def blob(self, digest):
        return os.path.join(self.path, "blobs", "sha256", digest.split(":", 1)[1])

    def read_blob(self, digest):
        with open(self.blob(digest), "rb") as f:
            return f.read()

    def descriptor(self, tag):
        for m in self.index()["manifests"]:
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
                return m
        raise KeyError(tag)

    def manifest(self, tag):
        return json.loads(self.read_blob(self.descriptor(tag)["digest"]))

    def add_image(self, tag, layers, arch="amd64"):
        """layers: list of {path: content} dicts, base first."""
        subprocess.run(["umoci", "new", "--image", f"{self.path}:{tag}"], check=True)
        for i, files in enumerate(layers):
            tar_path = os.path.join(os.path.dirname(self.path), f"{tag}-{i}.tar")
            with tarfile.open(tar_path, "w") as tar:
                for name, content in sorted(files.items()):
                    info = tarfile.TarInfo(name)
                    info.size = len(content)
                    info.mtime = 1704067200
                    info.mode = 0o644
                    tar.addfile(info, io.BytesIO(content))
            subprocess.run(["umoci", "raw", "add-layer", "--image", f"{self.path}:{tag}", tar_path], check=True)
            os.unlink(tar_path)
        subprocess.run(["umoci", "config", "--image", f"{self.path}:{tag}", "--architecture", arch,
                        "--os", "linux", "--config.cmd", "/bin/sh"], check=True)

    def add_index(self, tag, entries):
        """entries: [(image tag, platform dict)] -> an OCI index tagged `tag`."""
        manifests = []
        for image, platform in entries:
            d = self.descriptor(image)
            manifests.append({"mediaType": OCI_MANIFEST, "digest": d["digest"], "size": d["size"],
                              "platform": platform})
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}).encode()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        with open(self.blob(digest), "wb") as f:
            f.write(body)
        index = self.index()
        index["manifests"].append({"mediaType": OCI_INDEX, "digest": digest, "size": len(body),
                                   "annotations": {"org.opencontainers.image.ref.name": tag}})
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump(index, f)
        return digest


def skopeo_push(layout, tag, dest, creds=None, all_images=False, fmt=None):
    cmd = ["skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false"]
    if all_images:
        cmd.append("--all")
    if fmt:
        cmd += ["--format", fmt]
    if creds:
        cmd += ["--dest-creds", creds]
    subprocess.run(cmd + [f"oci:{layout.path}:{tag}", f"docker://{dest}"], check=True,
                   capture_output=True, timeout=120)


# --------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def work(tmp_path_factory):
    return str(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="session")
def layout(work):
    lay = Layout(os.path.join(work, "oci"))
    lay.add_image("simple", [{"etc/os-release": b"ID=berth-simple\n"},
                             {"data/one.txt": b"one\n" * 1000},
                             {"data/two.txt": os.urandom(200000)}])
    lay.add_image("amd64", [{"etc/arch": b"amd64\n"}], arch="amd64")
    lay.add_image("arm64", [{"etc/arch": b"arm64\n"}], arch="arm64")
    lay.index_digest = lay.add_index("multi", [
        ("amd64", {"architecture": "amd64", "os": "linux"}),
        ("arm64", {"architecture": "arm64", "os": "linux", "variant": "v8"}),
    ])
    return lay


@pytest.fixture(scope="session")
def plain_registry(work, layout):
    reg = Registry(work, "plain").start()
    try:
        skopeo_push(layout, "simple", f"{reg.host}/simple:v1")
        skopeo_push(layout, "multi", f"{reg.host}/multi:latest", all_images=True)
        skopeo_push(layout, "simple", f"{reg.host}/docker:v1", fmt="v2s2")
        yield reg
    finally:
        reg.stop()


def make_htpasswd(path, users):
    with open(path, "w") as f:
        for user, password in users.items():
            if shutil.which("htpasswd"):
                line = subprocess.run(["htpasswd", "-nbB", user, password], check=True, capture_output=True,
                                      text=True).stdout.strip()
            else:
                import crypt  # Python < 3.13; bcrypt ($2b$) as docker-registry wants
                line = f"{user}:{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))}"
            f.write(line + "\n")


@pytest.fixture(scope="session")
def basic_registry(work, layout):
    htpasswd = os.path.join(work, "htpasswd")
    make_htpasswd(htpasswd, USERS)
    reg = Registry(work, "basic", auth={"htpasswd": {"realm": "berth-test", "path": htpasswd}}).start()
    try:
        skopeo_push(layout, "simple", f"{reg.host}/private:v1", creds="alice:wonderland")
        yield reg
    finally:
        reg.stop()


@pytest.fixture(scope="session")
def token_registry(work, layout):
    tokens = TokenServer(work, USERS)
    with tokens:
        reg = Registry(work, "token", auth=tokens.registry_auth()).start()
        try:
            skopeo_push(layout, "simple", f"{reg.host}/private:v1", creds="alice:wonderland")
            skopeo_push(layout, "simple", f"{reg.host}/public/simple:v1", creds="alice:wonderland")
            reg.tokens = tokens
            yield reg
        finally:
            reg.stop()


# ------------------------------------------- daemon tests (root, private munged)
@pytest.fixture(scope="module")
def gwdir(request):
    """A directory the daemon's user can enter, one per test module."""
    from gatewayd import TEST_USERS, shared_test_dir
    path = shared_test_dir(f"berth-{request.module.__name__}.", TEST_USERS)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def munged(gwdir):
    from gatewayd import Munged
    m = Munged(gwdir).start()
    yield m
    m.stop()


def daemon_user_or_skip():
    from gatewayd import daemon_user
    return daemon_user() or pytest.skip("no unprivileged user to run berth-gatewayd as")
