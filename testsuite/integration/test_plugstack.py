"""The SPANK plugin reads its plugstack.conf arguments strictly, and --ccm
exists only when the site enables it."""
import os
import re
import shutil

import pytest

from conftest import LAB, USER


@pytest.fixture
def alt_conf(cluster):
    """A copy of slurm.conf whose PlugStackConfig the test writes (as a user
    with their own SLURM_CONF could for clients)."""
    d = os.path.join(LAB, "alt-conf")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    with open(cluster.slurm_conf) as f:
        text = f.read()
    plugstack = os.path.join(d, "plugstack.conf")
    text = re.sub(r"^PlugStackConfig=.*$", f"PlugStackConfig={plugstack}", text, flags=re.M)
    for name in ("cgroup.conf", "berth.conf"):
        shutil.copy(os.path.join(LAB, "etc", name), d)
    with open(os.path.join(d, "slurm.conf"), "w") as f:
        f.write(text)

    def write(args):
        with open(plugstack, "w") as f:
            f.write(f"required {LAB}/build/plugins/berth.so {args}\n")
        return {"SLURM_CONF": os.path.join(d, "slurm.conf")}
    yield write
    shutil.rmtree(d)


def test_ccm_not_registered_without_enable_ccm(cluster, alt_conf):
    env = alt_conf("")
    r = cluster.run(USER, ["sbatch", "--help"], extra_env=env)
    assert r.returncode == 0
    assert "--image=IMAGE" in r.stdout
    assert "--ccm" not in r.stdout
    r = cluster.run(USER, ["sbatch", "--ccm", "--wrap", "true"], extra_env=env)
    assert r.returncode != 0
    assert "unrecognized option '--ccm'" in r.stderr


def test_ccm_registered_with_enable_ccm(cluster, alt_conf):
    r = cluster.run(USER, ["sbatch", "--help"], extra_env=alt_conf("enable_ccm=1 enable_sshd=1"))
    assert "--ccm" in r.stdout


def test_ccm_needs_the_sshd(cluster, alt_conf):
    r = cluster.run(USER, ["sbatch", "--wrap", "true"], extra_env=alt_conf("enable_ccm=1"))
    assert r.returncode != 0
    assert "berth: plugstack.conf arguments of berth.so: enable_ccm=1 needs enable_sshd=1" in r.stderr, r.stderr


def test_ccm_needs_the_site_setting(cluster, alt_conf):
    env = alt_conf("enable_ccm=1 enable_sshd=1")
    berth_conf = os.path.join(os.path.dirname(env["SLURM_CONF"]), "berth.conf")
    with open(berth_conf) as f:
        text = f.read()
    with open(berth_conf, "w") as f:
        f.write(text.replace("allow_local_root = yes", "allow_local_root = no"))
    r = cluster.run(USER, ["sbatch", "--wrap", "true"], extra_env=env)
    assert r.returncode != 0
    assert "enable_ccm=1 needs allow_local_root = yes in berth.conf" in r.stderr, r.stderr


@pytest.mark.parametrize("args,reason", [
    ("bogus=1", 'plugstack.conf arguments of berth.so: unknown key "bogus"'),
    ("enable_ccm=maybe", "plugstack.conf arguments of berth.so: enable_ccm: "),
    ("enable_ccm", "plugstack.conf arguments of berth.so: "),
    ("ssh_port=0", "plugstack.conf arguments of berth.so: ssh_port: "),
    ("ssh_port=70000", "plugstack.conf arguments of berth.so: ssh_port: "),
])
def test_bad_plugstack_argument_is_an_error(cluster, alt_conf, args, reason):
    r = cluster.run(USER, ["sbatch", "--wrap", "true"], extra_env=alt_conf(args))
    assert r.returncode != 0
    assert f"berth: {reason}" in r.stderr, r.stderr
