"""`berth check`, the admin's pre-flight check, on the lab's own setup (all
ok, exit 0) and with each misconfiguration an admin can make: one FAIL line
saying what to change, exit 1.  The misconfigured files are copies in a
temporary directory (SLURM_CONF / --config point at them): the running
cluster is never touched."""
import os
import re
import shutil

import pytest

from conftest import LAB

BERTH = os.path.join(LAB, "build/berth")   # the helper the lab staged


@pytest.fixture
def confdir(cluster, tmp_path):
    """Copies of the lab's slurm.conf, berth.conf (beside it: found through
    SLURM_CONF) and plugstack.conf."""
    for name in ("slurm.conf", "berth.conf", "plugstack.conf"):
        shutil.copy(os.path.join(LAB, "etc", name), tmp_path / name)
    return tmp_path


def edit(path, pattern, replacement):
    with open(path) as f:
        text = f.read()
    new = re.sub(pattern, replacement, text, flags=re.M)
    assert new != text, f"{pattern!r} not in {path}"
    with open(path, "w") as f:
        f.write(new)


def check(cluster, slurm_conf, *args):
    return cluster.run("root", ["env", f"SLURM_CONF={slurm_conf}", BERTH, *args, "check"])


def test_lab_passes(cluster):
    r = check(cluster, cluster.slurm_conf)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert not [line for line in lines[:-1] if not line.startswith(("ok ", "warn "))], r.stdout
    for subject in ("berth.conf", "slurm.conf", "plugstack.conf", "image_dir", "munge", "kernel", "gateway"):
        assert f" {subject}: " in r.stdout, (subject, r.stdout)
    assert re.fullmatch(r"\d+ ok, \d+ warnings, 0 failed", lines[-1]), lines[-1]


def failed(r, subject, text):
    assert r.returncode == 1, r.stdout + r.stderr
    fails = [line for line in r.stdout.splitlines() if line.startswith("FAIL ")]
    assert len(fails) == 1, r.stdout
    assert fails[0].startswith(f"FAIL {subject}: ") and text in fails[0], fails[0]
    return fails[0]


@pytest.mark.parametrize("pattern,replacement,expect", [
    (r"^PrologFlags=.*$", "PrologFlags=Alloc", "PrologFlags lacks Contain: add PrologFlags=Contain"),
    (r"^PrologFlags=.*$", "PrologFlags=Contain,RunInJob", "PrologFlags has RunInJob: remove it"),
    (r"^JobSubmitPlugins=.*$", "", "JobSubmitPlugins lacks berth"),
    (r"^(JobContainerType|NamespaceType)=.*$", "", "is not set: set "),
    (r"^PrologFlags=", "SlurmdParameters=contain_spank\nPrologFlags=", "SlurmdParameters has contain_spank"),
])
def test_slurm_conf_misconfigurations(cluster, confdir, pattern, replacement, expect):
    edit(confdir / "slurm.conf", pattern, replacement)
    failed(check(cluster, confdir / "slurm.conf"), "slurm.conf", expect)


def test_plugstack_without_berth(cluster, confdir):
    edit(confdir / "slurm.conf", r"^PlugStackConfig=.*$", f"PlugStackConfig={confdir}/plugstack.conf")
    edit(confdir / "plugstack.conf", r"^(required|optional)\s+\S*berth\.so.*$", "")
    failed(check(cluster, confdir / "slurm.conf"), "plugstack.conf", "has no berth.so line")


def test_berth_conf_that_does_not_parse(cluster, confdir):
    with open(confdir / "berth.conf", "a") as f:
        f.write("image_dri = /srv/images\n")
    line = failed(check(cluster, confdir / "slurm.conf"), "berth.conf", "image_dri")
    assert str(confdir / "berth.conf") in line


def test_image_dir_missing_here(cluster, confdir):
    edit(confdir / "berth.conf", r"^image_dir\s*=.*$", f"image_dir = {confdir}/no-images")
    failed(check(cluster, confdir / "slurm.conf"), "image_dir", "is not a directory here")


def test_munge_not_running(cluster):
    r = cluster.run("root", [BERTH, "check"], extra_env={"BERTH_MUNGE_SOCKET": "/nonexistent/munge.socket"})
    failed(r, "munge", "start munged")


def test_gateway_unreachable_and_roles(cluster):
    r = check(cluster, cluster.slurm_conf, "--gateway=http://127.0.0.1:1")
    failed(r, "gateway", "check gateway_url")
    # compute nodes never talk to the gateway: not checked there; login
    # hosts need no loop devices
    r = cluster.run("root", [BERTH, "--gateway=http://127.0.0.1:1", "check", "--role=node"])
    assert r.returncode == 0 and " gateway: " not in r.stdout and " kernel: " in r.stdout, r.stdout
    r = cluster.run("root", [BERTH, "check", "--role=login"])
    assert r.returncode == 0 and " kernel: " not in r.stdout and " gateway: " in r.stdout, r.stdout
