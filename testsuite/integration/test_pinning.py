"""Pinning at submission (job_submit_berth.so, the SPANK plugin in srun):
--image is resolved to a digest through the real gateway, every place the
option travels is rewritten, AdminComment records it (also in sacct), a tag
that moves later does not move the job, and every refusal is one line."""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import BUSYBOX, OTHER_USER, REGISTRY, USER
from gateway_util import gateway_pid, gateway_url, gw, pull_ready, push

MULTILAYER = f"docker:{REGISTRY}/multilayer:latest"
OPTION = "_SLURM_SPANK_OPTION_berth_image"
LOOKUP_TIMEOUT_S = 2.0     # berth.conf default
CACHE_TTL_S = 2.0          # harness berth.conf lookup_cache_ttl


def unknown_message(image):
    return (f'berth: image "{image}" is not known to the image gateway (or not visible to you); '
            f"run `berth pull {image}` and resubmit when `berth images` shows it READY")


@pytest.fixture(scope="module")
def busybox_ready(cluster):
    return pull_ready(USER, BUSYBOX)


@pytest.fixture(scope="module")
def multilayer_ready(cluster):
    return pull_ready(USER, MULTILAYER)


def admin_comment(cluster, job):
    return cluster.job(job).get("AdminComment")


def berth_lines(stderr):
    return [line for line in stderr.splitlines() if "error: berth: " in line]


def refused(cluster, user, argv, timeout=30):
    """Run a command that must be refused: (elapsed s, the berth line)."""
    before = cluster.job_ids()
    t0 = time.monotonic()
    r = cluster.run(user, argv, timeout=timeout)
    elapsed = time.monotonic() - t0
    assert r.returncode != 0, f"{argv} was accepted: {r.stdout} {r.stderr}"
    lines = berth_lines(r.stderr)
    assert len(lines) == 1, f"expected one berth line: {r.stderr}"
    assert cluster.job_ids() == before, "a refused command created a job"
    return elapsed, lines[0]


def test_good_image_is_pinned_in_env_and_admin_comment(cluster, workdir, busybox_ready):
    # the batch script runs on the host, the step in the image
    job = cluster.sbatch(USER, [f"--image={BUSYBOX}", "-o", f"{workdir}/out", "--wrap", "env; srun env"])
    assert admin_comment(cluster, job) == f"image={BUSYBOX}@{busybox_ready}"
    assert cluster.wait(job) == "COMPLETED"
    with open(f"{workdir}/out") as f:
        env = f.read()
    # the batch step's copy for nested sruns, and the request as written
    assert f"SLURM_SPANK_{OPTION}=id:{busybox_ready}\n" in env, env
    assert f"BERTH_IMAGE_REQUEST={BUSYBOX}\n" in env, env
    assert "BERTH_TEST_IMAGE=busybox" in env, "the task did not run in the image"
    assert BUSYBOX + "\n" not in env.replace(f"BERTH_IMAGE_REQUEST={BUSYBOX}\n", "")
    # accounting keeps it after the job
    deadline = time.monotonic() + 20
    while True:
        r = cluster.run(USER, ["sacct", "-n", "-P", "-X", "-j", str(job), "-o", "AdminComment"])
        if r.stdout.strip() == f"image={BUSYBOX}@{busybox_ready}":
            break
        assert time.monotonic() < deadline, f"sacct: {r.stdout!r} {r.stderr!r}"
        time.sleep(0.2)


def test_users_cannot_edit_admin_comment(cluster, busybox_ready):
    job = cluster.sbatch(USER, ["--hold", f"--image={BUSYBOX}", "--wrap", "true"])
    try:
        r = cluster.run(USER, ["scontrol", "update", f"JobId={job}", "AdminComment=image=forged"])
        assert r.returncode != 0
        assert "Access/permission denied" in r.stderr, r.stderr
        assert admin_comment(cluster, job) == f"image={BUSYBOX}@{busybox_ready}"
        # the same update by an admin works, so the refusal above is the rule, not a typo
        r = cluster.run("root", ["scontrol", "update", f"JobId={job}", "AdminComment=by-admin"])
        assert r.returncode == 0, r.stderr
        assert admin_comment(cluster, job) == "by-admin"
    finally:
        cluster.run("root", ["scancel", str(job)])


def test_moved_tag_does_not_move_a_pending_job(cluster, workdir):
    image = f"docker:{REGISTRY}/moving:latest"
    push("busybox", "moving:latest")
    old = pull_ready(USER, image)
    job = cluster.sbatch(USER, ["--hold", f"--image={image}", "-o", f"{workdir}/out", "--wrap", "env; srun env"])
    try:
        assert admin_comment(cluster, job) == f"image={image}@{old}"
        push("multilayer", "moving:latest")
        new = pull_ready(USER, image)
        assert new != old
        time.sleep(CACHE_TTL_S + 0.2)
        # a new job gets the new digest (so the tag really moved) ...
        job2 = cluster.sbatch(USER, ["--hold", f"--image={image}", "--wrap", "true"])
        cluster.run("root", ["scancel", str(job2)])
        assert admin_comment(cluster, job2) == f"image={image}@{new}"
        # ... the pending one still runs the old one
        assert cluster.run("root", ["scontrol", "release", str(job)]).returncode == 0
        assert cluster.wait(job) == "COMPLETED"
    finally:
        cluster.run("root", ["scancel", str(job)])
    with open(f"{workdir}/out") as f:
        env = f.read()
    assert f"SLURM_SPANK_{OPTION}=id:{old}\n" in env, env
    assert "BERTH_TEST_IMAGE=busybox" in env, env


@pytest.mark.parametrize("command", ["sbatch", "salloc", "srun"])
def test_unknown_image_refused(cluster, command):
    image = f"docker:{REGISTRY}/no-such-image:latest"
    argv = {"sbatch": ["sbatch", f"--image={image}", "--wrap", "true"],
            "salloc": ["salloc", "-N1", f"--image={image}", "true"],
            "srun": ["srun", "-N1", f"--image={image}", "true"]}[command]
    _, line = refused(cluster, USER, argv)
    assert line == f"{command}: error: {unknown_message(image)}"


def test_bad_syntax_refused(cluster):
    _, line = refused(cluster, USER, ["sbatch", "--image=docker:Bad/Name:1", "--wrap", "true"])
    assert line == 'sbatch: error: berth: --image: repository "Bad/Name": must be lowercase', line


def test_private_image_refused_like_unknown(cluster):
    image = f"docker:{REGISTRY}/private:latest"
    push("busybox", "private:latest")
    # registry credentials make the pull private to bob (the lab registry ignores them)
    digest = pull_ready(OTHER_USER, image, login={"username": "bob", "password": "secret"})
    job = cluster.sbatch(OTHER_USER, ["--hold", f"--image={image}", "--wrap", "true"])
    cluster.run("root", ["scancel", str(job)])
    assert admin_comment(cluster, job) == f"image={image}@{digest}"
    _, line = refused(cluster, USER, ["sbatch", f"--image={image}", "--wrap", "true"])
    assert line == f"sbatch: error: {unknown_message(image)}"


def test_image_not_ready_refused_with_status(cluster):
    image = f"docker:{REGISTRY}/expiring:latest"
    push("busybox", "expiring:latest")
    pull_ready(USER, image)
    status, body = gw("root", "POST", "/api/v1/expire", {"ref": image})
    assert status == 200, body
    _, line = refused(cluster, USER, ["sbatch", f"--image={image}", "--wrap", "true"])
    assert line.startswith(f'sbatch: error: berth: image "{image}" ')
    assert "expired" in line and f"berth pull {image}" in line, line


def test_gateway_not_answering(cluster, busybox_ready):
    """A stopped gateway: sbatch fails within lookup_timeout + 1 s; a digest
    in the image dir is still accepted, and so is srun inside salloc (the
    job's own pin comes from its AdminComment)."""
    image = f"docker:{REGISTRY}/busybox:never-looked-up"
    pinned = f"docker:{REGISTRY}/busybox@{busybox_ready}"
    before = cluster.job_ids()
    alloc = subprocess.Popen(["runuser", "-u", USER, "--", "env", f"SLURM_CONF={cluster.slurm_conf}",
                              "salloc", "-N1", f"--image={BUSYBOX}", "sh", "-c",
                              "read go; srun -N1 sh -c 'echo step-ok $BERTH_IMAGE_REQUEST'"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, cwd=f"/home/{USER}")
    # the allocation (and its pin) must exist before the gateway stops: under
    # load (24.11.5's controller stalls) salloc can take seconds
    deadline = time.monotonic() + 60
    while not any(cluster.job(j).get("JobState") == "RUNNING" for j in cluster.job_ids() - before):
        assert alloc.poll() is None, alloc.communicate()
        assert time.monotonic() < deadline, "salloc got no allocation"
        time.sleep(0.1)
    time.sleep(CACHE_TTL_S + 0.2)  # let the cache forget the tags
    pid = gateway_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        elapsed, line = refused(cluster, USER, ["sbatch", f"--image={image}", "--wrap", "true"])
        assert line == f"sbatch: error: berth: image gateway {gateway_url()} did not answer within 2000 ms", line
        assert LOOKUP_TIMEOUT_S - 0.2 < elapsed < LOOKUP_TIMEOUT_S + 1, elapsed
        job = cluster.sbatch(USER, ["--hold", f"--image={pinned}", "--wrap", "true"])
        cluster.run("root", ["scancel", str(job)])
        assert admin_comment(cluster, job) == f"image={pinned}@{busybox_ready}"
        out, err = alloc.communicate("go\n", timeout=60)
        assert alloc.returncode == 0, err
        assert f"step-ok {BUSYBOX}" in out, (out, err)
    finally:
        os.kill(pid, signal.SIGCONT)
        if alloc.poll() is None:
            alloc.kill()
            alloc.wait()


def test_salloc_and_srun_allocations_are_pinned(cluster, busybox_ready, multilayer_ready):
    r = cluster.run(USER, ["salloc", "-N1", f"--image={BUSYBOX}", "sh", "-c",
                           "scontrol show job $SLURM_JOB_ID; srun env"], timeout=60)
    assert r.returncode == 0, r.stderr
    # (a space follows up to 25.11; the line ends there from 26.05)
    assert re.search(re.escape(f"AdminComment=image={BUSYBOX}@{busybox_ready}") + r"\s", r.stdout), r.stdout
    assert "BERTH_TEST_IMAGE=busybox" in r.stdout
    r = cluster.run(USER, ["srun", "-N1", f"--image={MULTILAYER}", "env"], timeout=60)
    assert r.returncode == 0, r.stderr
    assert "BERTH_TEST_IMAGE=multilayer" in r.stdout, r.stdout
    m = re.search(r"SLURM_JOB_ID=(\d+)", r.stdout)
    assert admin_comment(cluster, int(m.group(1))) == f"image={MULTILAYER}@{multilayer_ready}"


def test_srun_image_inside_allocation(cluster, workdir, busybox_ready, multilayer_ready):
    script = (f"srun --image={MULTILAYER} env | grep BERTH_IMAGE_REQUEST; "
              f"srun --image=docker:{REGISTRY}/no-such-image:latest true; echo unknown-rc=$?; "
              f"srun --image=docker:Bad true; echo bad-rc=$?")
    job = cluster.sbatch(USER, [f"--image={BUSYBOX}", "-o", f"{workdir}/out", "--wrap", script])
    assert cluster.wait(job) == "COMPLETED"
    with open(f"{workdir}/out") as f:
        out = f.read()
    assert f"BERTH_IMAGE_REQUEST={MULTILAYER}\n" in out, out
    assert f"srun: error: {unknown_message(f'docker:{REGISTRY}/no-such-image:latest')}\n" in out, out
    assert "unknown-rc=1" in out and "bad-rc=0" not in out, out
    assert 'berth: --image: repository "Bad": must be lowercase' in out, out
