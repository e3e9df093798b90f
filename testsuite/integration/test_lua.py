"""berth's Lua module (lua/, `berth.parse`, `berth.resolve`) used from
Slurm's real job_submit/lua plugin with a site job_submit.lua
(tools/job_submit.lua).  For this module only the controller runs
JobSubmitPlugins=lua (switched with scontrol reconfigure and switched back
afterwards), so the Lua script alone decides: a READY image is pinned into
AdminComment, an unknown one is refused with the module's message."""
import os
import re
import time

import pytest

from conftest import BUILDDIR, BUSYBOX, LAB, REGISTRY, USER, wait_for_log
from gateway_util import pull_ready, write_atomic

# built for the Lua of Slurm's job_submit/lua (5.1 on Debian 12): lua/slurm.mk
LUA_MODULE_DIR = os.path.join(BUILDDIR, "lua/slurm/.libs")
SCRIPT = os.path.join(os.path.dirname(__file__), "tools/job_submit.lua")


@pytest.fixture(scope="module")
def lua_controller(cluster):
    if not os.path.exists(os.path.join(LUA_MODULE_DIR, "berth.so")):
        pytest.skip(f"the Lua module is not built ({LUA_MODULE_DIR}/berth.so)")
    conf = cluster.slurm_conf
    with open(SCRIPT) as f:
        script = f.read().replace("@LUA_CPATH@", LUA_MODULE_DIR)
    write_atomic(os.path.join(LAB, "etc/job_submit.lua"), script)
    with open(conf) as f:
        original = f.read()
    write_atomic(conf, re.sub(r"^JobSubmitPlugins=.*$", "JobSubmitPlugins=lua", original, flags=re.M))
    mark = cluster.log_mark()
    try:
        reconfigure(cluster, "lua")
        log = cluster.log_since(mark)
        assert "cannot create job_submit context" not in log, log[-2000:]
        yield cluster
    finally:
        write_atomic(conf, original)
        reconfigure(cluster, "berth")


def reconfigure(cluster, plugin, timeout=30):
    """scontrol reconfigure, then wait until the controller runs with
    JobSubmitPlugins=plugin (22.05 re-reads slurm.conf in place; from 23.11
    slurmctld restarts itself, and answers again once it has)."""
    r = cluster.run("root", ["scontrol", "reconfigure"])
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + timeout
    while True:
        out = cluster.run("root", ["scontrol", "show", "config"]).stdout
        m = re.search(r"^JobSubmitPlugins\s*=\s*(\S+)", out, re.M)
        if m and m.group(1) == plugin:
            return
        assert time.monotonic() < deadline, f"JobSubmitPlugins is not {plugin} after {timeout}s: {m and m.group(0)}"
        time.sleep(0.2)


def test_lua_pins_a_ready_image(lua_controller):
    cluster = lua_controller
    digest = pull_ready(USER, BUSYBOX)
    mark = cluster.log_mark()
    job = cluster.sbatch(USER, ["--hold", f"--image={BUSYBOX}", "--wrap", "true"])
    cluster.run("root", ["scancel", str(job)])
    assert cluster.job(job).get("AdminComment") == f"image={BUSYBOX}@{digest}"
    wait_for_log(cluster, mark, re.escape(f"job_submit.lua: uid 2001: {BUSYBOX} pinned to {digest}"))


def test_lua_refuses_an_unknown_image(lua_controller):
    cluster = lua_controller
    image = f"docker:{REGISTRY}/no-such-image:latest"
    before = cluster.job_ids()
    r = cluster.run(USER, ["sbatch", f"--image={image}", "--wrap", "true"])
    assert r.returncode != 0
    lines = [line for line in r.stderr.splitlines() if "lua: " in line]
    assert lines == [f'sbatch: error: lua: image "{image}" is not known to the image gateway '
                     f"(or not visible to you); run `berth pull {image}` and resubmit when "
                     "`berth images` shows it READY"], r.stderr
    assert cluster.job_ids() == before
