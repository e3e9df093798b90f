"""A layer set converted once (gateway/gw_layerset.c): images whose layers
are the same and whose configs differ share one squashfs; the modes of
public and private images stay right (common/image_access.h); the layers
of a pull are flattened while they download (gateway/gw_layers.c)."""
import filecmp
import json
import os
import subprocess
import threading
import time

import pytest

from conftest import USERS, skopeo_push
from test_service_live import SIMPLE, TOOL, Gateway, ImageLayout, final, image_modes, objs, scripted, tar_layer

pytestmark = pytest.mark.skipif(not TOOL or not os.access(TOOL, os.X_OK),
                                reason="BERTH_SERVICE_TOOL (service_tool) not built")

TAGS = ("base", "user", "other")


@pytest.fixture(scope="session")
def sets(work):
    """base and user: the same three layers, configs that differ (Env);
    other: another top layer."""
    lay = ImageLayout(os.path.join(work, "layerset-oci"))
    layers = [tar_layer(l) for l in SIMPLE]
    lay.add("base", layers)
    lay.add("user", layers, env=("PATH=/usr/bin:/bin", "USER_IMAGE=1"))
    lay.add("other", layers[:2] + [tar_layer([("data/three.txt", "file", b"three\n")])])
    assert lay.images["base"]["digest"] != lay.images["user"]["digest"]
    return lay


@pytest.fixture(scope="session")
def set_registry(plain_registry, sets):
    for tag in TAGS:
        skopeo_push(sets, tag, f"{plain_registry.host}/set/{tag}:v1")
    return plain_registry


@pytest.fixture(scope="session")
def set_private_registry(basic_registry, sets):
    for tag in TAGS:
        skopeo_push(sets, tag, f"{basic_registry.host}/set/{tag}:v1", creds=f"alice:{USERS['alice']}")
    return basic_registry


def sqfs(g, digest):
    return os.path.join(g.image_dir, digest + ".sqfs")


def meta(g, digest):
    with open(os.path.join(g.image_dir, digest + ".json")) as f:
        return json.load(f)


def test_same_layers_converted_once(tmp_path, set_registry, sets):
    g = Gateway(tmp_path, insecure=[set_registry.host])
    base, user = (sets.images[t]["digest"] for t in ("base", "user"))
    rec, counters = final(g.run("pull", f"{set_registry.host}/set/base:v1", "--wait", 60))
    assert rec["status"] == "READY" and counters["conversions"] == 1
    t0 = time.monotonic()
    rec2, counters2 = final(g.run("pull", f"{set_registry.host}/set/user:v1", "--wait", 60))
    assert rec2["status"] == "READY" and rec2["digest"] == user
    assert counters2["conversions"] == 0 and counters2["layerset_links"] == 1
    assert counters2["layer_cache_hits"] == 3            # its own layers, verified before
    assert time.monotonic() - t0 < 30
    # one file, two names; each image keeps its own metadata
    assert os.stat(sqfs(g, base)).st_ino == os.stat(sqfs(g, user)).st_ino
    assert image_modes(g, user) == {"access": 0o644, "json": 0o644, "sqfs": 0o644}
    assert "USER_IMAGE=1" in meta(g, user)["env"] and "USER_IMAGE=1" not in meta(g, base)["env"]
    assert rec2["size"] == rec["size"]
    # another layer set converts
    _, counters3 = final(g.run("pull", f"{set_registry.host}/set/other:v1", "--wait", 60))
    assert counters3["conversions"] == 1 and counters3["layerset_links"] == 0
    # the first name expired, the second keeps the file
    objs(g.run("expire", f"{set_registry.host}/set/base:v1", admin=True))
    assert not os.path.exists(sqfs(g, base)) and os.path.getsize(sqfs(g, user)) == rec["size"]
    assert objs(g.run("lookup", f"{set_registry.host}/set/user:v1"))[0]["status"] == "READY"


def test_same_layers_at_once_converted_once(tmp_path, set_registry):
    g = Gateway(tmp_path, insecure=[set_registry.host])
    res = g.run("pull-many", 60, 0, f"{set_registry.host}/set/base:v1", f"{set_registry.host}/set/user:v1")
    out = objs(res)
    assert [r["status"] for r in out if "ref" in r][-2:] == ["READY", "READY"]
    counters = out[-1]["counters"]
    assert counters["conversions"] == 1 and counters["layerset_links"] == 1


def test_other_settings_convert_again(tmp_path, set_registry):
    """The key holds the compression settings: a squashfs made with others
    is not reused."""
    g = Gateway(tmp_path, insecure=[set_registry.host])
    final(g.run("pull", f"{set_registry.host}/set/base:v1", "--wait", 60))
    g3 = Gateway(tmp_path, insecure=[set_registry.host], compression_level="3")
    _, counters = final(g3.run("pull", f"{set_registry.host}/set/user:v1", "--wait", 60))
    assert counters["conversions"] == 1 and counters["layerset_links"] == 0


def test_private_then_public_copied_apart(tmp_path, set_private_registry, sets):
    """A private image's file is linked (both 0600) until the second image
    turns public: then it gets a copy of its own, the private one stays
    0600."""
    reg = set_private_registry
    g = Gateway(tmp_path, insecure=[reg.host])
    login = ("--login", f"alice:{USERS['alice']}")
    base, user = (sets.images[t]["digest"] for t in ("base", "user"))
    final(g.run("pull", f"{reg.host}/set/base:v1", *login, "--wait", 60, uid=1000))
    rec, counters = final(g.run("pull", f"{reg.host}/set/user:v1", *login, "--wait", 60, uid=1000))
    assert rec["status"] == "READY" and rec["private"] is True
    assert counters["conversions"] == 0 and counters["layerset_links"] == 1
    assert os.stat(sqfs(g, base)).st_ino == os.stat(sqfs(g, user)).st_ino
    assert image_modes(g, user) == image_modes(g, base) == {"access": 0o600, "json": 0o600, "sqfs": 0o600}
    # the user image pulled with site credentials: public
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({reg.host: {"username": "alice", "password": USERS["alice"]}}))
    g2 = Gateway(tmp_path, insecure=[reg.host], credentials_file=str(creds))
    pub, _ = final(g2.run("pull", f"{reg.host}/set/user:v1", "--wait", 60, uid=1001))
    assert pub["private"] is False and pub["digest"] == user
    assert image_modes(g2, user) == {"access": 0o644, "json": 0o644, "sqfs": 0o644}
    assert image_modes(g2, base) == {"access": 0o600, "json": 0o600, "sqfs": 0o600}
    assert os.stat(sqfs(g, base)).st_ino != os.stat(sqfs(g, user)).st_ino
    assert os.stat(sqfs(g, base)).st_nlink == 1
    assert filecmp.cmp(sqfs(g, base), sqfs(g, user), shallow=False)


def test_public_then_private_is_a_copy(tmp_path, set_private_registry, sets):
    """A private pull never gets a name for a public image's inode: a copy,
    0600 from the start."""
    reg = set_private_registry
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({reg.host: {"username": "alice", "password": USERS["alice"]}}))
    g = Gateway(tmp_path, insecure=[reg.host], credentials_file=str(creds))
    base, user = (sets.images[t]["digest"] for t in ("base", "user"))
    pub, _ = final(g.run("pull", f"{reg.host}/set/base:v1", "--wait", 60))
    assert pub["private"] is False
    rec, counters = final(g.run("pull", f"{reg.host}/set/user:v1", "--login", f"alice:{USERS['alice']}",
                                "--wait", 60, uid=1000))
    assert rec["private"] is True
    assert counters["conversions"] == 0 and counters["layerset_copies"] == 1
    assert image_modes(g, base) == {"access": 0o644, "json": 0o644, "sqfs": 0o644}
    assert image_modes(g, user) == {"access": 0o600, "json": 0o600, "sqfs": 0o600}
    assert os.stat(sqfs(g, base)).st_ino != os.stat(sqfs(g, user)).st_ino
    assert filecmp.cmp(sqfs(g, base), sqfs(g, user), shallow=False)


class CutOnce:
    """blob_fn: the first request for blob `digest` gets half of it, then,
    once the flattener is reading it, the connection closes (the client
    retries and starts the file over); everything else is served whole."""

    def __init__(self, digest):
        self.digest = digest
        self.lock = threading.Lock()
        self.cut = False

    def __call__(self, h, data):
        with self.lock:
            first = not self.cut and h.path.endswith(self.digest)
            self.cut = self.cut or first
        if not first:
            return h.reply(200, data)
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data[:len(data) // 2])
        h.wfile.flush()
        time.sleep(0.5)


def test_download_started_over_under_the_flattener(tmp_path, sets):
    """The top layer's download is retried after the flattener read part
    of it: the image is converted again from the verified files, and right."""
    img = sets.images["base"]
    top = sets.put(img["blobs"][-1])["digest"]
    with scripted(sets, "base", blob_fn=CutOnce(top)) as s:
        g = Gateway(tmp_path, insecure=[s.host])
        rec, counters = final(g.run("pull", f"{s.host}/x:v1", "--wait", 60))
    assert rec["status"] == "READY", rec
    assert counters["conversions"] == 2
    out = tmp_path / "tree"
    subprocess.run(["unsquashfs", "-no-xattrs", "-d", str(out), sqfs(g, img["digest"])], check=True,
                   capture_output=True)
    assert (out / "data" / "two.txt").read_bytes() == SIMPLE[2][0][2]
