"""Site rules from berth.conf (env_keep, env_set, env_drop after the image's
Env; SLURM_*, PMI* always kept) and --module NAME (admin-defined module
files: extra mounts and environment), with every refusal."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import LAB, USER, wait_for_log
from test_submit import raw_submit  # noqa: F401  (fixture)

BERTH_CONF = os.path.join(LAB, "etc/berth.conf")
MODULES = os.path.join(LAB, "modules")


@pytest.fixture
def berth_conf_extra(cluster):
    """Append lines to berth.conf for one test (SPANK reads it in every
    srun, sbatch and slurmstepd), then restore it."""
    with open(BERTH_CONF) as f:
        original = f.read()

    def extend(text):
        with open(BERTH_CONF, "w") as f:
            f.write(original + text)
    yield extend
    with open(BERTH_CONF, "w") as f:
        f.write(original)


@pytest.fixture
def modules(cluster, workdir):
    """hostdata: a host directory at /opt/hostdata plus an env setting."""
    data = os.path.join(workdir, "hostdata")
    subprocess.run(["runuser", "-u", USER, "--", "mkdir", "-p", data], check=True)
    with open(os.path.join(data, "f"), "w") as f:
        f.write("module-data\n")
    os.makedirs(MODULES, exist_ok=True)
    with open(os.path.join(MODULES, "hostdata.conf"), "w") as f:
        f.write(f"description = test data\nmounts = {data}:/opt/hostdata:ro\n"
                "env = HOSTDATA=/opt/hostdata;BERTH_TEST_IMAGE=by-module\n")
    with open(os.path.join(MODULES, "broken.conf"), "w") as f:
        f.write("mounts = not-absolute:/x\n")
    yield data
    shutil.rmtree(MODULES)


def run_job(cluster, workdir, args, script, extra_env=None):
    job = cluster.sbatch(USER, args + ["-o", f"{workdir}/out", "--wrap", script], extra_env=extra_env)
    state = cluster.wait(job, timeout=60)
    with open(f"{workdir}/out") as f:
        return state, f.read()


ENV_SCRIPT = ("srun sh -c 'echo T=$BERTH_TEST_IMAGE; echo K=${BERTH_KEEP_ME-unset}; "
              "echo D=${BERTH_DROP_ME-unset}; echo S=$BERTH_SITE; echo J=$SLURM_JOB_ID; echo P=$PATH'")


def test_env_rules_after_image_env(cluster, workdir, busybox_digest, berth_conf_extra):
    berth_conf_extra("env_keep = BERTH_TEST_IMAGE, BERTH_KEEP_*\nenv_drop = BERTH_DROP*\n"
                     "env_set = BERTH_SITE=lab\n")
    state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}"], ENV_SCRIPT,
                         extra_env={"BERTH_TEST_IMAGE": "from-job", "BERTH_KEEP_ME": "kept",
                                    "BERTH_DROP_ME": "secret"})
    assert state == "COMPLETED", out
    assert "T=from-job\n" in out, out          # kept: the job's value beats the image's Env
    assert "K=kept\n" in out, out
    assert "D=unset\n" in out, out             # dropped
    assert "S=lab\n" in out, out               # set
    assert re.search(r"J=\d+\n", out), out     # SLURM_* always kept
    assert "P=/usr/sbin:/usr/bin:/sbin:/bin\n" in out, out


def test_without_env_rules_the_image_env_wins(cluster, workdir, busybox_digest):
    state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}"], ENV_SCRIPT,
                         extra_env={"BERTH_TEST_IMAGE": "from-job", "BERTH_DROP_ME": "secret"})
    assert state == "COMPLETED", out
    assert "T=busybox\n" in out and "D=secret\n" in out and "S=\n" in out, out


@pytest.mark.parametrize("line,reason", [
    ("env_drop = SLURM_*", 'env_drop: "SLURM_*" would change SLURM_*, SLURMD_* or PMI* variables'),
    ("env_drop = PM*", 'env_drop: "PM*" would change'),
    ("env_set = PMIX_RANK=3", 'env_set: "PMIX_RANK" would change'),
    ("env_keep = 9LIVES", 'env_keep: env rule "KEEP=9LIVES": invalid variable name'),
])
def test_env_rules_that_touch_slurm_variables_are_refused(cluster, workdir, busybox_digest, berth_conf_extra,
                                                          line, reason):
    berth_conf_extra(line + "\n")
    r = cluster.run(USER, ["sbatch", f"--image=id:{busybox_digest}", "-o", f"{workdir}/out", "--wrap", "true"])
    assert r.returncode != 0, r.stdout
    assert reason in r.stderr, r.stderr


def test_module_mounts_and_env(cluster, workdir, busybox_digest, modules):
    state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}", "--module=hostdata"],
                         "srun sh -c 'cat /opt/hostdata/f; echo H=$HOSTDATA T=$BERTH_TEST_IMAGE; "
                         "touch /opt/hostdata/g 2>&1; echo rc=$?'")
    assert state == "COMPLETED", out
    assert "module-data\n" in out, out
    assert "H=/opt/hostdata T=by-module\n" in out, out
    assert "rc=1" in out and "Read-only file system" in out, out


def test_module_none_is_no_module(cluster, workdir, busybox_digest, modules):
    state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}", "--module=none"],
                         "srun sh -c 'ls /opt/hostdata 2>&1; echo H=${HOSTDATA-unset}'")
    assert state == "COMPLETED", out
    assert "No such file or directory" in out and "H=unset" in out, out


@pytest.mark.parametrize("value,reason", [
    ("nosuch", 'berth: --module: unknown module "nosuch" (this site offers: '),
    ("hostdata,nosuch", 'unknown module "nosuch"'),
    ("broken", "--module broken: "),
    ("../etc/passwd", 'module name "../etc/passwd": invalid character at position 1'),
])
def test_bad_module_is_refused_at_submission(cluster, workdir, busybox_digest, modules, value, reason):
    before = cluster.job_ids()
    for cmd in (["sbatch", "-o", f"{workdir}/out", "--wrap", "true"], ["srun", "true"]):
        r = cluster.run(USER, [cmd[0], f"--image=id:{busybox_digest}", f"--module={value}"] + cmd[1:])
        assert r.returncode != 0, r.stdout
        assert reason in r.stderr, r.stderr
    assert cluster.job_ids() == before


def test_controller_rejects_unknown_module(cluster, busybox_digest, modules, raw_submit):  # noqa: F811
    before = cluster.job_ids()
    mark = cluster.log_mark()
    r = cluster.run(USER, [raw_submit, f"_SLURM_SPANK_OPTION_berth_image=id:{busybox_digest}",
                           "_SLURM_SPANK_OPTION_berth_module=nosuch"])
    assert r.returncode != 0, f"raw submission was accepted: {r.stdout}"
    assert 'unknown module "nosuch"' in r.stderr, r.stderr
    wait_for_log(cluster, mark, re.escape("berth: job_submit: rejected job from uid 2001: ")
                 + r'--module: unknown module "nosuch"')
    assert cluster.job_ids() == before
