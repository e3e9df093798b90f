"""The gateway core (gateway/gw_*.c, through service_tool, no HTTP) against
real docker-registry instances and scripted servers: pulls, conversion
rules checked in the published squashfs, single-flight, private images,
failure injection, restart with a pull in progress, imports, expiry."""
import gzip
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import tarfile
import threading
import time
import urllib.parse

import pytest

from conftest import USERS, Result, skopeo_push
from servers import FakeServer

TOOL = os.environ.get("BERTH_SERVICE_TOOL", "")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_TGZ = "application/vnd.oci.image.layer.v1.tar+gzip"
MTIME = 1704067200

pytestmark = pytest.mark.skipif(not TOOL or not os.access(TOOL, os.X_OK),
                                reason="BERTH_SERVICE_TOOL (service_tool) not built")


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------ image making
def tar_layer(entries):
    """entries: (name, kind, arg[, mode]); kinds: file (bytes), dir, symlink
    (target), hardlink (target), chr ((major, minor))."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            name, kind, arg = entry[:3]
            info = tarfile.TarInfo(name)
            info.mtime = MTIME
            info.mode = entry[3] if len(entry) > 3 else (0o755 if kind == "dir" else 0o644)
            data = None
            if kind == "file":
                info.size = len(arg)
                data = io.BytesIO(arg)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, arg
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, arg
            elif kind == "chr":
                info.type = tarfile.CHRTYPE
                info.devmajor, info.devminor = arg
            tar.addfile(info, data)
    return buf.getvalue()


class ImageLayout:
    """An OCI image layout written directly (full control over the layers)."""

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"))
        with open(os.path.join(path, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
        self.manifests = []
        self.images = {}
        self._write_index()

    def _write_index(self):
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": self.manifests}, f)

    def put(self, data):
        digest = sha(data)
        with open(os.path.join(self.path, "blobs", "sha256", digest[7:]), "wb") as f:
            f.write(data)
        return {"digest": digest, "size": len(data)}

    def blob(self, digest):
        with open(os.path.join(self.path, "blobs", "sha256", digest[7:]), "rb") as f:
            return f.read()

    def add(self, tag, layers, arch="amd64", env=("PATH=/usr/bin:/bin", "BERTH_TEST=1"), diff_ids=None):
        """diff_ids: the config's rootfs.diff_ids (default: the right ones)."""
        blobs = [gzip.compress(l, mtime=0) for l in layers]
        if diff_ids is None:
            diff_ids = [sha(l) for l in layers]
        config = json.dumps({"architecture": arch, "os": "linux",
                             "config": {"Env": list(env), "Cmd": ["/bin/sh"], "WorkingDir": "/data"},
                             "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
        manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                               "config": dict(mediaType=OCI_CONFIG, **self.put(config)),
                               "layers": [dict(mediaType=OCI_TGZ, **self.put(b)) for b in blobs]}).encode()
        desc = dict(mediaType=OCI_MANIFEST, **self.put(manifest))
        self.manifests.append(dict(desc, annotations={"org.opencontainers.image.ref.name": tag}))
        self._write_index()
        self.images[tag] = {"digest": desc["digest"], "manifest": manifest, "config": config,
                            "blobs": blobs, "layers": layers}
        return desc["digest"]

    def tar(self, dest, extra=()):
        with tarfile.open(dest, "w") as tar:
            for name in sorted(os.listdir(self.path)):
                tar.add(os.path.join(self.path, name), arcname=name)
            for name, data in extra:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))


SPECIAL_BASE = [
    ("etc", "dir", None), ("etc/keep.txt", "file", b"keep\n"), ("etc/gone.txt", "file", b"gone\n"),
    ("opq", "dir", None), ("opq/old.txt", "file", b"old\n"), ("opq/sub", "dir", None),
    ("opq/sub/x.txt", "file", b"x\n"),
    ("bin", "dir", None), ("bin/tool", "file", b"#!/bin/sh\necho tool\n", 0o4755),
    ("dev", "dir", None), ("dev/mydev", "chr", (1, 3)),
    ("data", "dir", None), ("data/a", "file", b"linked content\n"), ("data/b", "hardlink", "data/a"),
    ("lnk", "dir", None), ("lnk/abs", "symlink", "/etc/keep.txt"), ("lnk/rel", "symlink", "../etc/keep.txt"),
]
SPECIAL_TOP = [
    ("etc/.wh.gone.txt", "file", b""), ("etc/added.txt", "file", b"added\n"),
    ("opq/.wh..wh..opq", "file", b""), ("opq/new.txt", "file", b"new\n"),
]
SIMPLE = [[("etc", "dir", None), ("etc/os-release", "file", b"ID=berth-simple\n")],
          [("data", "dir", None), ("data/one.txt", "file", b"one\n" * 1000)],
          [("data/two.txt", "file", os.urandom(300000))]]


@pytest.fixture(scope="session")
def images(work):
    lay = ImageLayout(os.path.join(work, "svc-oci"))
    lay.add("special", [tar_layer(SPECIAL_BASE), tar_layer(SPECIAL_TOP)])
    lay.add("simple", [tar_layer(l) for l in SIMPLE])
    lay.add("evil", [tar_layer([("etc", "dir", None), ("etc/ok", "file", b"ok\n")]),
                     tar_layer([("../escape", "file", b"evil\n")])])
    # rootfs.diff_ids that do not describe the layers: the second one is the
    # digest of the compressed blob, not of the tar; a list one short
    good = [tar_layer(SIMPLE[0]), tar_layer(SIMPLE[1])]
    lay.add("baddiff", good, diff_ids=[sha(good[0]), sha(gzip.compress(good[1], mtime=0))])
    lay.add("shortdiff", good, diff_ids=[sha(good[0])])
    return lay


@pytest.fixture(scope="session")
def registry(plain_registry, images):
    for tag in ("special", "simple", "evil", "baddiff", "shortdiff"):
        skopeo_push(images, tag, f"{plain_registry.host}/svc/{tag}:v1")
    return plain_registry


# ------------------------------------------------------------------ gateway
class Gateway:
    def __init__(self, base, insecure=(), **conf):
        self.base = str(base)
        self.image_dir = os.path.join(self.base, "images")
        self.state_dir = os.path.join(self.base, "state")
        self.conf = os.path.join(self.base, "gateway.conf")
        os.makedirs(self.base, exist_ok=True)
        settings = {"image_dir": self.image_dir, "state_dir": self.state_dir, "workers": "2",
                    "retries": "1", "compressor": "zstd", "connect_timeout": "2s",
                    "request_timeout": "10s", "insecure_registries": ",".join(insecure),
                    # the test registries are on loopback: listed by name
                    "registry_allow": ",".join(list(insecure) + ["*"])}
        settings.update(conf)
        with open(self.conf, "w") as f:
            f.writelines(f"{k} = {v}\n" for k, v in settings.items())

    def cmd(self, *args, uid=None, gid=None, groups=None, admin=False, importer=False):
        cmd = [TOOL, self.conf]
        if uid is not None:
            cmd += ["--uid", str(uid), "--gid", str(gid if gid is not None else uid)]
        if groups:
            cmd += ["--groups", ",".join(map(str, groups))]
        if admin:
            cmd.append("--admin")
        if importer:
            cmd.append("--importer")
        return cmd + [str(a) for a in args]

    def run(self, *args, timeout=180, **caller):
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        proc = subprocess.run(self.cmd(*args, **caller), capture_output=True, text=True, env=env,
                              timeout=timeout)
        return Result(proc)

    def files(self):
        return sorted(os.listdir(self.image_dir))


def objs(res):
    assert res.rc == 0, res.stderr
    return [json.loads(l) for l in res.stdout.splitlines() if l.startswith("{")]


def final(res):
    """(last record, counters) of a pull/import."""
    o = objs(res)
    return [x for x in o if "ref" in x][-1], o[-1]["counters"]


@pytest.fixture
def gw(tmp_path, registry):
    return Gateway(tmp_path, insecure=[registry.host])


def unpack(gw, digest, dest):
    subprocess.run(["unsquashfs", "-no-xattrs", "-d", str(dest), os.path.join(gw.image_dir, digest + ".sqfs")],
                   check=True, capture_output=True)
    return dest


# =================================================================== pulls
def test_pull_special_image(gw, registry, images, tmp_path):
    ref = f"{registry.host}/svc/special:v1"
    rec, counters = final(gw.run("pull", ref, "--wait", 60))
    assert rec["status"] == "READY", rec
    digest = images.images["special"]["digest"]
    assert rec["digest"] == digest and rec["private"] is False
    assert rec["ref"] == f"docker:{ref}"
    assert gw.files() == [digest + ".access", digest + ".json", digest + ".sqfs"]
    assert rec["size"] == os.path.getsize(os.path.join(gw.image_dir, digest + ".sqfs"))
    assert rec["download_size"] == sum(len(b) for b in images.images["special"]["blobs"])
    assert counters["blob_downloads"] == 2 and counters["conversions"] == 1

    root = unpack(gw, digest, tmp_path / "root")
    read = lambda p: (root / p).read_bytes()
    assert read("etc/keep.txt") == b"keep\n" and read("etc/added.txt") == b"added\n"
    assert not (root / "etc/gone.txt").exists() and not (root / "etc/.wh.gone.txt").exists()
    assert sorted(os.listdir(root / "opq")) == ["new.txt"]           # opaque dir hid the lower content
    assert os.stat(root / "bin/tool").st_mode & 0o7777 == 0o755      # setuid stripped
    assert not os.path.lexists(root / "dev/mydev")                   # device skipped
    a, b = os.stat(root / "data/a"), os.stat(root / "data/b")
    assert a.st_ino == b.st_ino and a.st_nlink == 2 and read("data/b") == b"linked content\n"
    assert os.readlink(root / "lnk/abs") == "/etc/keep.txt"
    assert os.readlink(root / "lnk/rel") == "../etc/keep.txt"
    with open(os.path.join(gw.image_dir, digest + ".json")) as f:
        meta = json.load(f)
    assert meta["digest"] == digest and "BERTH_TEST=1" in meta["env"] and meta["workdir"] == "/data"

    # a second pull of a READY digest: no work, accepted false; lookups answer from the database
    again = objs(gw.run("pull", ref))
    assert again[0]["status"] == "READY" and again[0]["accepted"] is False
    assert again[-1]["counters"]["manifest_fetches"] == 1 and again[-1]["counters"]["blob_downloads"] == 0
    look = objs(gw.run("lookup", ref, uid=4242))[0]
    assert look["digest"] == digest and look["status"] == "READY" and look["last_lookup"] > 0
    by_digest = objs(gw.run("lookup", f"id:{digest}", uid=4242))[0]
    assert by_digest["ref"] == f"docker:{ref}"
    listed = objs(gw.run("list"))
    assert [r["ref"] for r in listed] == [f"docker:{ref}"]


def test_lookup_unknown(gw, registry):
    r = gw.run("lookup", f"{registry.host}/svc/nothing:v1")
    assert r.rc == 1 and r.errno == "ENOENT"
    assert r.error == f'image "docker:{registry.host}/svc/nothing:v1" not found'


def test_pull_unknown_tag_is_enoent(gw, registry):
    r = gw.run("pull", f"{registry.host}/svc/simple:nope")
    assert r.rc == 1 and r.errno == "ENOENT", r.stderr
    assert gw.files() == []


def test_pull_bad_reference_types(gw, registry):
    r = gw.run("pull", "id:sha256:" + "a" * 64)
    assert r.rc == 1 and r.errno == "EINVAL"
    r = gw.run("pull", "localhost/never-imported:v1")
    assert r.rc == 1 and r.errno == "ENOENT" and "imported images only" in r.error


def test_tar_entry_escaping_fails(gw, registry, images):
    rec, counters = final(gw.run("pull", f"{registry.host}/svc/evil:v1", "--wait", 60))
    assert rec["status"] == "FAILURE"
    assert rec["message"] == 'layer 2: entry "../escape": path escapes the image root', rec["message"]
    assert gw.files() == []
    assert counters["failures"] == 1 and counters["conversions"] == 0


def test_wrong_diff_ids_fail(gw, registry, images):
    """rootfs.diff_ids must be the sha256 of each uncompressed layer (OCI
    image spec), as many as there are layers; otherwise nothing is READY."""
    bad = sha(gzip.compress(tar_layer(SIMPLE[1]), mtime=0))
    rec, counters = final(gw.run("pull", f"{registry.host}/svc/baddiff:v1", "--wait", 60))
    assert rec["status"] == "FAILURE"
    assert rec["message"] == (f"layer 2: uncompressed digest {sha(tar_layer(SIMPLE[1]))} does not match "
                              f"rootfs.diff_ids[1] {bad}"), rec["message"]
    rec, counters = final(gw.run("pull", f"{registry.host}/svc/shortdiff:v1", "--wait", 60))
    assert rec["status"] == "FAILURE"
    assert rec["message"] == "image config: rootfs.diff_ids has 1 entries for 2 layers", rec["message"]
    assert gw.files() == []
    assert counters["failures"] == 1 and counters["conversions"] == 0   # per run


def test_multiarch_platform_chosen(tmp_path, registry, layout):
    for platform, image, content in (("linux/amd64", "amd64", b"amd64\n"), ("linux/arm64", "arm64", b"arm64\n")):
        g = Gateway(tmp_path / platform.replace("/", "-"), insecure=[registry.host], platform=platform)
        rec, _ = final(g.run("pull", f"{registry.host}/multi:latest", "--wait", 60))
        assert rec["status"] == "READY"
        assert rec["digest"] == layout.descriptor(image)["digest"]
        root = unpack(g, rec["digest"], tmp_path / f"root-{image}")
        assert (root / "etc/arch").read_bytes() == content


def test_parallel_pulls_single_flight(gw, registry, images):
    out = objs(gw.run("parallel-pull", 10, f"{registry.host}/svc/simple:v1", 60))
    rec, counters = out[0], out[-1]["counters"]
    assert rec["status"] == "READY"
    assert counters["pulls"] == 10
    assert counters["blob_downloads"] == len(SIMPLE)      # one download per layer
    assert counters["conversions"] == 1


def test_layer_cache_shared(gw, registry, images, tmp_path):
    final(gw.run("pull", f"{registry.host}/svc/simple:v1", "--wait", 60))
    assert len([n for n in os.listdir(os.path.join(gw.state_dir, "layers")) if n.startswith("sha256:")]) == 3
    # the image is gone from image_dir; a new pull converts again from the cache
    objs(gw.run("expire", f"{registry.host}/svc/simple:v1", admin=True))
    assert gw.files() == []
    rec, counters = final(gw.run("pull", f"{registry.host}/svc/simple:v1", "--wait", 60))
    assert rec["status"] == "READY"
    assert counters["blob_downloads"] == 0 and counters["layer_cache_hits"] == 3


def test_layer_cache_zero_keeps_nothing(tmp_path, registry):
    g = Gateway(tmp_path, insecure=[registry.host], layer_cache_max="0")
    rec, _ = final(g.run("pull", f"{registry.host}/svc/simple:v1", "--wait", 60))
    assert rec["status"] == "READY"
    assert os.listdir(os.path.join(g.state_dir, "layers")) == []


def test_layer_cache_bounded(tmp_path, registry):
    g = Gateway(tmp_path, insecure=[registry.host], layer_cache_max="1K")
    rec, _ = final(g.run("pull", f"{registry.host}/svc/simple:v1", "--wait", 60))
    assert rec["status"] == "READY"
    layers = os.path.join(g.state_dir, "layers")
    cached = [n for n in os.listdir(layers) if not n.startswith(".")]
    assert len(cached) < 3               # least recently used blobs pruned after the job
    assert sum(os.path.getsize(os.path.join(layers, n)) for n in cached) <= 1024


# ========================================================= private images
def test_private_image(tmp_path, basic_registry):
    g = Gateway(tmp_path, insecure=[basic_registry.host])
    ref = f"{basic_registry.host}/private:v1"
    anon = g.run("pull", ref)
    assert anon.rc == 1 and anon.errno == "EPERM", anon.stderr
    bad = g.run("pull", ref, "--login", "alice:wrong", uid=1000)
    assert bad.rc == 1 and bad.errno == "EPERM"
    rec, counters = final(g.run("pull", ref, "--login", f"alice:{USERS['alice']}", "--users", "1001",
                                "--rgroups", "500", "--wait", 60, uid=1000))
    assert rec["status"] == "READY" and rec["private"] is True
    for uid, groups in ((1000, None), (1001, None), (1002, [500])):
        assert objs(g.run("lookup", ref, uid=uid, groups=groups))[0]["digest"] == rec["digest"]
    unknown = g.run("lookup", f"{basic_registry.host}/private:other", uid=1003)
    for r in (g.run("lookup", ref, uid=1003), g.run("status", ref, uid=1003),
              g.run("lookup", f"id:{rec['digest']}", uid=1003)):
        assert r.rc == 1 and r.errno == "ENOENT"
    assert g.run("lookup", ref, uid=1003).error == unknown.error.replace("private:other", "private:v1")
    assert objs(g.run("list", uid=1003)) == []
    assert [r["ref"] for r in objs(g.run("list", uid=1001))] == [f"docker:{ref}"]
    # an admin_uids user sees it (list, status) but cannot pin it for a job:
    # the nodes would refuse the job (only its audience and root run it)
    assert [r["ref"] for r in objs(g.run("list", uid=1003, admin=True))] == [f"docker:{ref}"]
    assert objs(g.run("status", ref, uid=1003, admin=True))[0]["digest"] == rec["digest"]
    for r in (g.run("lookup", ref, uid=1003, admin=True),
              g.run("lookup", f"id:{rec['digest']}", uid=1003, admin=True)):
        assert r.rc == 1 and r.errno == "ENOENT", r.stdout
    assert objs(g.run("lookup", ref, uid=0))[0]["digest"] == rec["digest"]
    # private on disk too: no one but the gateway (and root) reads the files;
    # the audience beside them is what nodes check
    assert image_modes(g, rec["digest"]) == {"access": 0o600, "json": 0o600, "sqfs": 0o600}
    assert access_text(g, rec["digest"]) == 'public = no\nuids = ",1000,1001,"\ngids = ",500,"\n'
    # an image published by an older gateway (0644, no .access) is fixed at start
    os.unlink(os.path.join(g.image_dir, rec["digest"] + ".access"))
    for ext in ("json", "sqfs"):
        os.chmod(os.path.join(g.image_dir, f"{rec['digest']}.{ext}"), 0o644)
    objs(g.run("list", uid=1000))
    assert image_modes(g, rec["digest"]) == {"access": 0o600, "json": 0o600, "sqfs": 0o600}


def image_modes(g, digest):
    return {ext: os.stat(os.path.join(g.image_dir, f"{digest}.{ext}")).st_mode & 0o7777
            for ext in ("access", "json", "sqfs")}


def access_text(g, digest):
    with open(os.path.join(g.image_dir, f"{digest}.access")) as f:
        return f.read()


def test_public_pull_opens_a_private_image(tmp_path, basic_registry):
    """The same digest pulled privately, then with site credentials
    (public): readable by all from then on."""
    g = Gateway(tmp_path, insecure=[basic_registry.host])
    ref = f"{basic_registry.host}/private:v1"
    rec, _ = final(g.run("pull", ref, "--login", f"alice:{USERS['alice']}", "--wait", 60, uid=1000))
    assert image_modes(g, rec["digest"]) == {"access": 0o600, "json": 0o600, "sqfs": 0o600}
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({basic_registry.host: {"username": "alice", "password": USERS["alice"]}}))
    g2 = Gateway(tmp_path, insecure=[basic_registry.host], credentials_file=str(creds))
    pub, _ = final(g2.run("pull", ref, "--wait", 60, uid=1001))
    assert pub["private"] is False and pub["digest"] == rec["digest"]
    assert image_modes(g2, rec["digest"]) == {"access": 0o644, "json": 0o644, "sqfs": 0o644}
    assert access_text(g2, rec["digest"]).startswith("public = yes\n")


def test_admin_image_stays_public(tmp_path, basic_registry):
    """An image the admin put in image_dir by hand (no .access) is not
    taken away from everybody by a private pull of the same digest."""
    ref = f"{basic_registry.host}/private:v1"
    first = Gateway(tmp_path / "a", insecure=[basic_registry.host])
    digest = final(first.run("pull", ref, "--login", f"alice:{USERS['alice']}", "--wait", 60, uid=1000))[0]["digest"]
    g = Gateway(tmp_path / "b", insecure=[basic_registry.host])
    os.makedirs(g.image_dir, exist_ok=True)
    for ext in ("sqfs", "json"):
        path = os.path.join(g.image_dir, f"{digest}.{ext}")
        with open(path, "w") as f:
            f.write("admin's\n")
        os.chmod(path, 0o644)
        os.chown(path, 65534, 65534)   # not the gateway's own: the admin's
    rec, _ = final(g.run("pull", ref, "--login", f"alice:{USERS['alice']}", "--wait", 60, uid=1000))
    assert rec["status"] == "READY" and rec["private"] is True
    assert image_modes(g, digest) == {"access": 0o644, "json": 0o644, "sqfs": 0o644}
    assert access_text(g, digest) == 'public = yes\nuids = ",1000,"\ngids = ""\nsite = yes\n'


def test_private_image_token_auth(tmp_path, token_registry):
    g = Gateway(tmp_path, insecure=[token_registry.host, token_registry.tokens.host])
    ref = f"{token_registry.host}/private:v1"
    assert g.run("pull", ref).errno == "EPERM"
    rec, _ = final(g.run("pull", ref, "--login", f"alice:{USERS['alice']}", "--wait", 60, uid=1000))
    assert rec["status"] == "READY" and rec["private"] is True
    assert g.run("lookup", ref, uid=1001).errno == "ENOENT"
    # an anonymous pull of a public repository of the same registry stays public
    pub, _ = final(g.run("pull", f"{token_registry.host}/public/simple:v1", "--wait", 60, uid=1001))
    assert pub["status"] == "READY" and pub["private"] is False
    assert objs(g.run("lookup", f"{token_registry.host}/public/simple:v1", uid=1002))[0]["status"] == "READY"


def test_site_credentials_keep_images_public(tmp_path, basic_registry):
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({basic_registry.host: {"username": "alice", "password": USERS["alice"]}}))
    g = Gateway(tmp_path, insecure=[basic_registry.host], credentials_file=str(creds))
    rec, _ = final(g.run("pull", f"{basic_registry.host}/private:v1", "--wait", 60, uid=1000))
    assert rec["status"] == "READY" and rec["private"] is False
    assert objs(g.run("lookup", f"{basic_registry.host}/private:v1", uid=1003))[0]["status"] == "READY"


# ====================================================== failure injection
def scripted(images, tag, blob_fn=None, manifest_status=None):
    """A registry serving every image of `images` as repository x (tag
    `tag` is also "v1"); blob_fn(handler, data) answers for layer blobs."""
    configs = {sha(i["config"]) for i in images.images.values()}
    manifests = {t: i["manifest"] for t, i in images.images.items()}
    manifests["v1"] = images.images[tag]["manifest"]
    manifests.update({i["digest"]: i["manifest"] for i in images.images.values()})

    def handle(h):
        path = urllib.parse.urlsplit(h.path).path
        if path == "/v2/":
            return h.reply_json(200, {})
        m = re.fullmatch(r"/v2/x/manifests/([^/]+)", path)
        if m:
            if manifest_status:
                return h.registry_error(manifest_status, "UNKNOWN", "broken")
            if m.group(1) not in manifests:
                return h.registry_error(404, "MANIFEST_UNKNOWN", "no")
            return h.reply(200, manifests[m.group(1)], {"Content-Type": OCI_MANIFEST})
        m = re.fullmatch(r"/v2/x/blobs/(sha256:[0-9a-f]{64})", path)
        if m:
            data = images.blob(m.group(1))
            if blob_fn and m.group(1) not in configs:
                return blob_fn(h, data)
            return h.reply(200, data)
        return h.registry_error(404, "NAME_UNKNOWN", "no")
    return FakeServer(handle)


class Stall:
    """blob_fn that holds every layer download until released."""

    def __init__(self):
        self.release = threading.Event()
        self.asked = threading.Event()
        self.count = 0

    def __call__(self, h, data):
        self.count += 1
        self.asked.set()
        self.release.wait(60)
        h.reply(200, data)


def test_registry_stopped(tmp_path):
    from servers import free_port
    host = f"127.0.0.1:{free_port()}"
    g = Gateway(tmp_path, insecure=[host])
    r = g.run("pull", f"{host}/x:v1")
    assert r.rc == 1 and r.errno == "EHOSTUNREACH", r.stderr
    assert r.error == (f'registry {host}: repository "x": manifest "v1": registry unreachable '
                       f"(details in the gateway's log)")
    assert g.files() == []


def test_registry_allow(tmp_path):
    """registry_allow: a registry not listed is refused without being
    contacted; "*" covers public addresses only, so a loopback registry
    that is not listed by name is refused at connect time."""
    from servers import free_port
    listed, other = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    g = Gateway(tmp_path / "a", insecure=[listed, other], registry_allow=listed)
    r = g.run("pull", f"{other}/x:v1")
    assert (r.errno, r.error) == ("EPERM", f'registry {other}: repository "x": not an allowed registry '
                                           f"(registry_allow)"), r.stderr
    g = Gateway(tmp_path / "b", insecure=[other], registry_allow="*")
    r = g.run("pull", f"{other}/x:v1")
    assert (r.errno, r.error) == ("EPERM", f'registry {other}: repository "x": manifest "v1": refusing a '
                                           f"non-public address (the host is not listed in registry_allow)"), r.stderr
    assert g.files() == []


def test_manifest_500(tmp_path, images):
    with scripted(images, "simple", manifest_status=500) as s:
        g = Gateway(tmp_path, insecure=[s.host])
        r = g.run("pull", f"{s.host}/x:v1")
    assert r.rc == 1 and r.errno == "EPROTO" and "500" in r.error, r.stderr
    assert g.files() == []


def cut(h, data):
    h.send_response(200)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data[:len(data) // 2])
    h.wfile.flush()


@pytest.mark.parametrize("name,blob_fn,message", [
    ("blob 500", lambda h, d: h.registry_error(500, "UNKNOWN", "disk on fire"), "500"),
    ("truncated", cut, "connection closed after"),
    ("mismatch", lambda h, d: h.reply(200, d[:-1] + bytes([d[-1] ^ 1])), "digest mismatch"),
])
def test_blob_failures(tmp_path, images, name, blob_fn, message):
    with scripted(images, "simple", blob_fn=blob_fn) as s:
        g = Gateway(tmp_path, insecure=[s.host])
        rec, counters = final(g.run("pull", f"{s.host}/x:v1", "--wait", 60))
    assert rec["status"] == "FAILURE" and message in rec["message"], rec
    assert "\n" not in rec["message"] and rec["message"].startswith("layer sha256:")
    assert g.files() == []
    assert [n for n in os.listdir(os.path.join(g.state_dir, "layers"))] == []
    assert counters["failures"] == 1


def layer_files(g, prefix=""):
    return sorted(n for n in os.listdir(os.path.join(g.state_dir, "layers")) if n.startswith(prefix))


def test_restart_with_pull_in_progress(tmp_path, images):
    stall = Stall()
    with scripted(images, "simple", blob_fn=stall) as s:
        g = Gateway(tmp_path, insecure=[s.host], workers="1")
        ref = f"{s.host}/x:v1"
        proc = subprocess.Popen(g.cmd("pull", ref, "--wait", 120), stdout=subprocess.PIPE, text=True)
        try:
            assert stall.asked.wait(30), "no blob request"
            while True:                               # progress while the first layer downloads
                rec = json.loads(proc.stdout.readline())
                if rec["status"] == "PULLING":
                    break
            assert rec["progress"]["phase"] == "download"
            assert rec["progress"]["layers_total"] == 3 and rec["progress"]["layers_done"] == 0
            assert rec["progress"]["bytes_total"] == sum(len(b) for b in images.images["simple"]["blobs"])
        finally:
            os.kill(proc.pid, signal.SIGKILL)     # a crash mid-download
            proc.wait()
            proc.stdout.close()
        # nothing published; the conversion (it starts with the first layer's
        # bytes) may leave its temporary file, which the restart removes
        assert [f for f in g.files() if not f.startswith(".tmp.")] == []
        stall.release.set()
        rec = objs(g.run("wait", ref, 60))[0]
        assert rec["status"] == "READY", rec
        assert rec["digest"] == images.images["simple"]["digest"]
        assert g.files() == [rec["digest"] + ".access", rec["digest"] + ".json", rec["digest"] + ".sqfs"]
        assert layer_files(g, ".tmp") == []


def test_restart_fails_interrupted_private_pull(tmp_path, images):
    """A private pull's credentials are not stored: after a crash it fails."""
    stall = Stall()
    with scripted(images, "simple", blob_fn=stall) as s:
        g = Gateway(tmp_path, insecure=[s.host], workers="1")
        ref = f"{s.host}/x:v1"
        proc = subprocess.Popen(g.cmd("pull", ref, "--login", "alice:secret", "--wait", 120, uid=1000),
                                stdout=subprocess.PIPE, text=True)
        try:
            assert stall.asked.wait(30), "no blob request"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        stall.release.set()
        rec = objs(g.run("status", ref, uid=1000))[0]
    assert rec["status"] == "FAILURE" and rec["message"] == "interrupted by a gateway restart"
    assert rec["private"] is True
    assert g.files() == [] and layer_files(g, ".tmp") == []


def test_shutdown_during_download(tmp_path, images):
    stall = Stall()
    with scripted(images, "simple", blob_fn=stall) as s:
        g = Gateway(tmp_path, insecure=[s.host], workers="1")
        ref = f"{s.host}/x:v1"
        threading.Timer(3, stall.release.set).start()
        start = time.monotonic()
        r = g.run("pull", ref, "--wait", 1)          # gives up waiting: gw_service_destroy mid-download
        assert r.rc == 1 and r.errno == "ETIMEDOUT" and "still PULLING" in r.error, r.stderr
        assert time.monotonic() - start < 30
        assert g.files() == [] and layer_files(g, ".tmp") == []
        # the interrupted download was not recorded as a failure: the next start resumes it
        rec = objs(g.run("wait", ref, 60))[0]
        assert rec["status"] == "READY", rec


def test_expire_while_pulling_is_busy(tmp_path, images):
    stall = Stall()
    with scripted(images, "simple", blob_fn=stall) as s:
        g = Gateway(tmp_path, insecure=[s.host], workers="1")
        ref = f"{s.host}/x:v1"
        threading.Timer(2, stall.release.set).start()
        out = objs(g.run("pull-expire", ref, 60, admin=True))
    assert out[1] == {"error": f'image "docker:{ref}" is being pulled; expire it when it is done',
                      "errno": "EBUSY"}
    assert out[2]["status"] == "READY"
    assert objs(g.run("expire", ref, admin=True)) == [{"expired": [f"docker:{ref}"]}]


def test_queue_full(tmp_path, images):
    stall = Stall()
    with scripted(images, "simple", blob_fn=stall) as s:
        g = Gateway(tmp_path, insecure=[s.host], workers="1", queue_max="1")
        proc = subprocess.Popen(g.cmd("pull-many", 60, 500, f"{s.host}/x:simple", f"{s.host}/x:special",
                                      f"{s.host}/x:evil"), stdout=subprocess.PIPE, text=True)
        try:
            lines = [json.loads(proc.stdout.readline()) for _ in range(3)]
            stall.release.set()
            rest = [json.loads(l) for l in proc.stdout.read().splitlines()]
        finally:
            proc.wait()
            proc.stdout.close()
    assert lines[0]["status"] in ("PENDING", "PULLING") and lines[1]["status"] == "PENDING"
    assert lines[2]["errno"] == "EAGAIN" and "queue is full" in lines[2]["error"]
    assert [r["status"] for r in rest[:-1]] == ["READY", "READY"]
    assert not any(n.startswith(images.images["evil"]["digest"]) for n in g.files())


def test_shared_layer_downloaded_once(tmp_path, images):
    """Two images with a common base layer pulled at the same time."""
    lay = ImageLayout(str(tmp_path / "oci"))
    base = tar_layer([("base", "dir", None), ("base/big", "file", os.urandom(2 << 20))])
    lay.add("one", [base, tar_layer([("one", "file", b"1")])])
    lay.add("two", [base, tar_layer([("two", "file", b"2")])])
    stall = Stall()
    with scripted(lay, "one", blob_fn=stall) as s:
        g = Gateway(tmp_path / "gw", insecure=[s.host], workers="2")
        threading.Timer(2, stall.release.set).start()
        out = objs(g.run("pull-many", 60, 0, f"{s.host}/x:one", f"{s.host}/x:two"))
    assert [r["status"] for r in out if "status" in r][-2:] == ["READY", "READY"]
    counters = out[-1]["counters"]
    assert counters["blob_downloads"] == 3 and counters["layer_cache_hits"] == 1
    assert stall.count == 3


def test_restart_fails_private_pull(tmp_path, basic_registry):
    g = Gateway(tmp_path, insecure=[basic_registry.host])
    ref = f"{basic_registry.host}/private:v1"
    rec, _ = final(g.run("pull", ref, "--login", f"alice:{USERS['alice']}", "--wait", 60, uid=1000))
    assert rec["status"] == "READY"
    # a READY image survives restarts; its files missing -> FAILURE at the next start
    assert objs(g.run("lookup", ref, uid=1000))[0]["status"] == "READY"
    os.unlink(os.path.join(g.image_dir, rec["digest"] + ".sqfs"))
    after = objs(g.run("lookup", ref, uid=1000))[0]
    assert after["status"] == "FAILURE" and "missing" in after["message"]


# ================================================================= imports
def docker_save(dest, layers, tags=("localhost/imp:v1",), links=None, diff_ids=None):
    """links: {i: "symlink" | "hardlink"}: layer i (equal to layer 0) is
    stored as a link to layer 0's file, as docker save does for duplicates.
    diff_ids: the config's rootfs.diff_ids (default: the right ones)."""
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"Env": ["PATH=/bin", "IMPORTED=yes"], "Cmd": ["/bin/sh"]},
                         "rootfs": {"type": "layers",
                                    "diff_ids": diff_ids if diff_ids is not None else [sha(l) for l in layers]}
                         }).encode()
    config_name = sha(config)[7:] + ".json"
    links = links or {}
    names = [f"{i}{sha(l)[7:]}/layer.tar" for i, l in enumerate(layers)]
    manifest = json.dumps([{"Config": config_name, "RepoTags": list(tags), "Layers": names}]).encode()
    with tarfile.open(dest, "w") as tar:
        for i, (name, data) in enumerate([(config_name, config), ("manifest.json", manifest)] +
                                         list(zip(names, layers))):
            info = tarfile.TarInfo(name)
            kind = links.get(i - 2)
            if kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, "../" + names[0]
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, names[0]
            else:
                info.size = len(data)
            tar.addfile(info, None if kind else io.BytesIO(data))
    synth = ('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
             f'"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{sha(config)}",'
             f'"size":{len(config)}}},"layers":[' +
             ",".join(f'{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{sha(l)}",'
                      f'"size":{len(l)}}}' for l in layers) + "]}")
    return sha(synth.encode())


def test_import_docker_save(tmp_path):
    g = Gateway(tmp_path)
    layers = [tar_layer(SPECIAL_BASE), tar_layer(SPECIAL_TOP)]
    archive = tmp_path / "save.tar"
    expected = docker_save(archive, layers)
    rec, _ = final(g.run("import", "localhost/imp:v1", archive, "--wait", 60, importer=True))
    assert rec["status"] == "READY", rec
    assert rec["digest"] == expected
    assert not archive.exists()                     # the service took it
    root = unpack(g, expected, tmp_path / "root")
    assert (root / "etc/added.txt").read_bytes() == b"added\n" and not (root / "etc/gone.txt").exists()
    assert os.stat(root / "data/a").st_ino == os.stat(root / "data/b").st_ino
    with open(os.path.join(g.image_dir, expected + ".json")) as f:
        assert "IMPORTED=yes" in json.load(f)["env"]
    # the same image saved again gets the same digest; localhost is never contacted by pull
    docker_save(archive, layers)
    again, _ = final(g.run("import", "localhost/imp:v2", archive, "--wait", 60, importer=True))
    assert again["digest"] == expected
    look = objs(g.run("pull", "localhost/imp:v1"))[0]
    assert look["digest"] == expected and look["accepted"] is False


def test_import_wrong_diff_ids_fail(tmp_path, images):
    """Imports are checked like pulls: docker save and OCI layout."""
    g = Gateway(tmp_path)
    layers = [tar_layer(SPECIAL_BASE), tar_layer(SPECIAL_TOP)]
    wrong = "sha256:" + "0" * 64
    archive = tmp_path / "save.tar"
    docker_save(archive, layers, diff_ids=[wrong, sha(layers[1])])
    rec, _ = final(g.run("import", "localhost/imp:v1", archive, "--wait", 60, importer=True))
    assert rec["status"] == "FAILURE"
    assert rec["message"] == (f"layer 1: uncompressed digest {sha(layers[0])} does not match "
                              f"rootfs.diff_ids[0] {wrong}"), rec["message"]
    docker_save(archive, layers, diff_ids=[sha(layers[0]), sha(layers[1]), wrong])
    rec, _ = final(g.run("import", "localhost/imp:v2", archive, "--wait", 60, importer=True))
    assert rec["message"] == "image config: rootfs.diff_ids has 3 entries for 2 layers", rec["message"]
    oci = tmp_path / "oci.tar"
    images.tar(oci)
    rec, _ = final(g.run("import", "localhost/svc:baddiff", oci, "--wait", 60, importer=True))
    assert rec["status"] == "FAILURE" and "does not match rootfs.diff_ids[1]" in rec["message"], rec
    assert g.files() == []


@pytest.mark.parametrize("kind", ["symlink", "hardlink"])
def test_import_docker_save_linked_layers(tmp_path, kind):
    g = Gateway(tmp_path)
    same = tar_layer([("dup", "file", b"dup\n")])
    layers = [same, tar_layer([("other", "file", b"o\n")]), same]
    archive = tmp_path / "save.tar"
    expected = docker_save(archive, layers, links={2: kind})
    rec, _ = final(g.run("import", "localhost/imp:v1", archive, "--wait", 60, importer=True))
    assert rec["status"] == "READY" and rec["digest"] == expected, rec
    root = unpack(g, expected, tmp_path / "root")
    assert sorted(os.listdir(root)) == ["dup", "other"]


def test_import_docker_save_link_outside_is_ignored(tmp_path):
    g = Gateway(tmp_path)
    layers = [tar_layer([("a", "file", b"a")])] * 2
    archive = tmp_path / "save.tar"
    docker_save(archive, layers, links={1: "symlink"})
    # rewrite the link to point outside the archive: it is not followed
    with tarfile.open(archive) as src, tarfile.open(tmp_path / "evil.tar", "w") as dst:
        for m in src.getmembers():
            if m.issym():
                m.linkname = "../../../../../../etc/passwd"
            dst.addfile(m, src.extractfile(m) if m.isfile() else None)
    rec, _ = final(g.run("import", "localhost/imp:v1", tmp_path / "evil.tar", "--wait", 60, importer=True))
    assert rec["status"] == "FAILURE", rec
    name = f"1{sha(layers[1])[7:]}/layer.tar"
    assert rec["message"] == f'import: manifest.json names "{name[:64]}...", which is not a file in the archive'

    assert g.files() == []


def test_import_same_ref_twice_is_busy(tmp_path, images):
    g = Gateway(tmp_path)
    first, second = tmp_path / "1.tar", tmp_path / "2.tar"
    images.tar(first)
    images.tar(second)
    out = objs(g.run("import", "localhost/svc:simple", first, "--again", second, "--wait", 60, importer=True))
    assert out[1] == {"error": 'image "docker:localhost/svc:simple" is being imported', "errno": "EBUSY"}
    assert out[2]["status"] == "READY"
    assert not first.exists() and not second.exists()       # both archives removed


def test_import_oci_layout(tmp_path, images):
    g = Gateway(tmp_path)
    archive = tmp_path / "layout.tar"
    images.tar(archive)
    rec, _ = final(g.run("import", "localhost/svc:simple", archive, "--wait", 60, importer=True))
    assert rec["status"] == "READY", rec
    assert rec["digest"] == images.images["simple"]["digest"]
    root = unpack(g, rec["digest"], tmp_path / "root")
    assert (root / "etc/os-release").read_bytes() == b"ID=berth-simple\n"


def test_import_rejections(tmp_path, images):
    g = Gateway(tmp_path)
    archive = tmp_path / "a.tar"
    images.tar(archive)
    r = g.run("import", "localhost/x:v1", archive)                       # not an importer
    assert r.rc == 1 and r.errno == "EPERM" and not archive.exists()
    images.tar(archive)
    r = g.run("import", "docker.io/x:v1", archive, importer=True)
    assert r.rc == 1 and r.errno == "EINVAL" and "localhost" in r.error
    images.tar(archive, extra=[("../evil", b"x")])
    r = g.run("import", "localhost/x:v1", archive, importer=True)
    assert r.rc == 1 and r.errno == "EINVAL" and r.error == 'archive entry "../evil": path escapes the archive'
    images.tar(archive, extra=[("/abs", b"x")])
    r = g.run("import", "localhost/x:v1", archive, importer=True)
    assert r.rc == 1 and r.errno == "EINVAL" and "absolute" in r.error
    archive.write_bytes(b"not a tar at all" * 100)
    r = g.run("import", "localhost/x:v1", archive, importer=True)
    assert r.rc == 1 and r.errno == "EINVAL"
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("hello.txt")
        tar.addfile(info, io.BytesIO(b""))
    r = g.run("import", "localhost/x:v1", archive, importer=True)
    assert r.rc == 1 and "neither an OCI image layout" in r.error
    # an index whose blob does not match its name fails the import, nothing published
    images.tar(archive)
    layer = images.images["simple"]["blobs"][0]
    with tarfile.open(archive, "a") as tar:
        info = tarfile.TarInfo("blobs/sha256/" + sha(layer)[7:])
        info.size = len(layer)
        tar.addfile(info, io.BytesIO(layer[:100] + bytes([layer[100] ^ 1]) + layer[101:]))
    rec, _ = final(g.run("import", "localhost/svc:simple", archive, "--wait", 60, importer=True))
    assert rec["status"] == "FAILURE" and "digest mismatch" in rec["message"], rec
    assert g.files() == []


# ================================================================== expiry
def test_expire(gw, registry):
    ref = f"{registry.host}/svc/simple:v1"
    rec, _ = final(gw.run("pull", ref, "--wait", 60))
    r = gw.run("expire", ref)
    assert r.rc == 1 and r.errno == "EPERM"
    assert objs(gw.run("expire", ref, admin=True)) == [{"expired": [f"docker:{ref}"]}]
    assert gw.files() == []
    assert objs(gw.run("lookup", ref))[0]["status"] == "EXPIRED"
    r = gw.run("expire", f"{registry.host}/svc/nothing:v1", admin=True)
    assert r.rc == 1 and r.errno == "ENOENT"
    # a new pull brings it back
    assert final(gw.run("pull", ref, "--wait", 60))[0]["status"] == "READY"


def test_expire_keeps_files_used_by_another_record(gw, registry, images):
    a, b = f"{registry.host}/svc/simple:v1", f"{registry.host}/svc/special:v1"
    final(gw.run("pull", a, "--wait", 60))
    final(gw.run("pull", b, "--wait", 60))
    final(gw.run("pull", f"{registry.host}/svc/simple@{images.images['simple']['digest']}", "--wait", 60))
    objs(gw.run("expire", a, admin=True))
    assert images.images["simple"]["digest"] + ".sqfs" in gw.files()   # the @digest record still uses it


def test_autoexpire(tmp_path, registry):
    g = Gateway(tmp_path, insecure=[registry.host], expire_after="1s")
    ref = f"{registry.host}/svc/simple:v1"
    final(g.run("pull", ref, "--wait", 60))
    assert objs(g.run("autoexpire", admin=True)) == [{"expired": []}]
    time.sleep(2.2)
    assert g.run("autoexpire").errno == "EPERM"
    assert objs(g.run("autoexpire", admin=True)) == [{"expired": [f"docker:{ref}"]}]
    assert g.files() == []


def test_autoexpire_removes_unreferenced_files(tmp_path):
    """An import that replaces its ref leaves the old digest unused."""
    g = Gateway(tmp_path)
    archive = tmp_path / "save.tar"
    first = docker_save(archive, [tar_layer([("v", "file", b"1")])])
    final(g.run("import", "localhost/imp:v1", archive, "--wait", 60, importer=True))
    second = docker_save(archive, [tar_layer([("v", "file", b"2")])])
    final(g.run("import", "localhost/imp:v1", archive, "--wait", 60, importer=True))
    assert g.files() == sorted([first + ".access", first + ".json", first + ".sqfs",
                               second + ".access", second + ".json", second + ".sqfs"])
    assert objs(g.run("autoexpire", admin=True)) == [{"expired": []}]
    assert g.files() == [second + ".access", second + ".json", second + ".sqfs"]


def test_lookup_rate(gw, registry):
    ref = f"{registry.host}/svc/simple:v1"
    final(gw.run("pull", ref, "--wait", 60))
    r = objs(gw.run("bench-lookup", ref, 20000))[0]
    print(f"gw_lookup: {r['per_second']:.0f} lookups/s")
    assert r["per_second"] > 2000
