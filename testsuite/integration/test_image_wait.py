"""auto_pull = wait (berth.conf on the controller; doc/image-wait.md): a job
whose image the gateway does not have READY is admitted at once, pinned to
the digest the gateway's pull resolved, held with a wait marker in its
AdminComment, released by berth-gatewayd (release_waiting_jobs, a Slurm
admin in the lab) when the image is READY, and cancelled with the pull's
message when the pull fails.  Every image here is new: busybox plus a layer
of random data pushed for the test (gateway_util.push_big)."""
import os
import re
import subprocess
import time

import pytest

from conftest import CLUSTER_SH, LAB, REGISTRY, USER
from gateway_util import (corrupt_registry_blob, drop_registry_blob, forget_big_images, gw, health,
                          push_big, write_atomic)
from test_auto_pull import reload_job_submit

WAIT_MARK = "image_wait:"


@pytest.fixture(scope="module")
def waiting(cluster):
    with open(os.path.join(LAB, "etc/berth-gateway.conf")) as f:
        if not re.search(r"^release_waiting_jobs = yes$", f.read(), re.M):
            pytest.skip("the lab's gateway does not release waiting jobs (no accounting: "
                        "BERTH_LAB_ACCOUNTING=0)")
    berth_conf = os.path.join(LAB, "etc/berth.conf")
    with open(berth_conf) as f:
        original = f.read()
    with open(cluster.slurm_conf) as f:
        slurm_conf = f.read()
    write_atomic(berth_conf, original + "auto_pull = wait\n")
    try:
        reload_job_submit(cluster, slurm_conf)
        yield cluster
    finally:
        write_atomic(berth_conf, original)
        reload_job_submit(cluster, slurm_conf)
        forget_big_images()


def submit(cluster, image, workdir, *extra):
    """sbatch --image in workdir (its output goes there); returns (job id,
    sbatch's stderr, seconds it took)."""
    t0 = time.monotonic()
    r = cluster.run(USER, ["sbatch", "--parsable", f"--image={image}", *extra,
                           "--wrap", "srun -n1 cat /big/marker"], cwd=workdir)
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    return int(r.stdout.strip().split(";")[0]), r.stderr, took


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not after {timeout}s"
        time.sleep(0.1)


def pinned_digest(job):
    m = re.search(r"image=\S+@(sha256:[0-9a-f]{64})", job.get("AdminComment", ""))
    return m.group(1) if m else None


def full_comment(cluster, job_id):
    """The whole AdminComment (scontrol -o splits the fields at blanks)."""
    out = cluster.run("root", ["scontrol", "show", "job", str(job_id)]).stdout
    m = re.search(r"AdminComment=(.*)$", out, re.M)
    return m.group(1).strip() if m else ""


def sacct_comment(cluster, job_id, timeout=30):
    def read():
        r = cluster.run("root", ["sacct", "-n", "-X", "-P", "-j", str(job_id), "-o", "State,AdminComment"])
        line = r.stdout.strip()
        return line if line and not line.startswith(("PENDING", "RUNNING")) else None
    return wait_for(read, timeout, f"job {job_id} in sacct")


def output(workdir, job_id):
    with open(f"{workdir}/slurm-{job_id}.out") as f:
        return f.read()


def test_job_waits_for_new_image_and_runs_when_ready(waiting, workdir):
    """The main path, with a 1 GiB image: accepted at once, pending with the
    wait in its AdminComment while the gateway pulls, a second job joins the
    same pull, a new push of the tag changes neither job's digest, both run
    when READY with the digest in AdminComment and sacct."""
    cluster = waiting
    image = f"docker:{REGISTRY}/waitbig:1"
    digest, _ = push_big("waitbig:1", 1024)
    conversions = health()["counters"]["conversions"]
    job, stderr, took = submit(cluster, image, workdir)
    assert took < 10, f"sbatch took {took:.1f}s"
    assert f"berth: image {image} is not READY yet" in stderr, stderr
    info = cluster.job(job)
    assert info["JobState"] == "PENDING", info
    assert pinned_digest(info) == digest
    assert WAIT_MARK in full_comment(cluster, job)
    job2, _, _ = submit(cluster, image, workdir)
    # the gateway makes the holds admin holds and writes the pull's state
    wait_for(lambda: cluster.job(job)["Reason"] == "JobHeldAdmin", 10, "admin hold")
    comment = full_comment(cluster, job)
    assert re.search(rf"image={re.escape(image)}@{digest} image_wait: waiting for the image gateway: "
                     r"(PENDING|PULLING|CONVERTING)", comment), comment
    r = cluster.run(USER, ["squeue", "-h", "-j", str(job), "-O", "reason:20,admin_comment:300"])
    assert "JobHeldAdmin" in r.stdout and "image_wait: waiting for the image gateway" in r.stdout, r.stdout
    # the tag moves while the jobs wait: they keep the digest they were given
    push_big("waitbig:1", 1, marker="moved")
    for j in (job, job2):
        assert cluster.wait(j, timeout=600) == "COMPLETED", cluster.job(j)
        assert full_comment(cluster, j) == f"image={image}@{digest}"
        assert output(workdir, j).strip() == "berth-wait-test"
        assert sacct_comment(cluster, j) == f"COMPLETED|image={image}@{digest}"
    assert health()["counters"]["conversions"] == conversions + 1, "two waiting jobs, one pull"


def check_failed(cluster, job, pinned, workdir, images_before, timeout):
    """The job was cancelled without running, its AdminComment and sacct
    say why, and the image directory has nothing new; returns the comment."""
    assert cluster.wait(job, timeout=timeout) == "CANCELLED", cluster.job(job)
    comment = full_comment(cluster, job)
    assert comment.startswith(f"{pinned} image_failed: "), comment
    state, _, sacct = sacct_comment(cluster, job).partition("|")
    assert state.startswith("CANCELLED") and sacct == comment, (state, sacct)
    assert not os.path.exists(f"{workdir}/slurm-{job}.out")
    left = set(os.listdir(os.path.join(LAB, "images"))) - images_before
    assert not left, left
    return comment


def test_failed_pull_cancels_job_with_message(waiting, workdir):
    """A layer that does not match its digest fails the pull: the job never
    runs, is cancelled, its AdminComment (and sacct) says why, and nothing
    of the image is left in the image directory."""
    cluster = waiting
    image = f"docker:{REGISTRY}/waitbad:1"
    digest, layer = push_big("waitbad:1", 16)
    corrupt_registry_blob(layer)
    before = set(os.listdir(os.path.join(LAB, "images")))
    try:
        job, _, _ = submit(cluster, image, workdir)
        comment = check_failed(cluster, job, f"image={image}@{digest}", workdir, before, 120)
        assert "digest" in comment, comment
    finally:
        drop_registry_blob(layer)


def test_registry_stopped_mid_pull_cancels_job_with_message(waiting, workdir):
    """The registry goes away right after the submission resolved the
    manifest, while the gateway downloads the 1 GiB layer: the pull fails
    after its retries, the job is cancelled with the gateway's message and
    nothing of the image is left in the image directory."""
    cluster = waiting
    image = f"docker:{REGISTRY}/waitgone:1"
    digest, _ = push_big("waitgone:1", 1024)
    before = set(os.listdir(os.path.join(LAB, "images")))
    stopped = False
    try:
        job, _, _ = submit(cluster, image, workdir)
        r = subprocess.run([CLUSTER_SH, "stop-registry"], env=cluster.env, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        stopped = True
        check_failed(cluster, job, f"image={image}@{digest}", workdir, before, 300)
    finally:
        if stopped:
            r = subprocess.run([CLUSTER_SH, "start-registry"], env=cluster.env, capture_output=True,
                               text=True, timeout=60)
            assert r.returncode == 0, r.stderr


def test_unknown_tag_is_refused_with_the_pull_message(waiting):
    image = f"docker:{REGISTRY}/waitnothere:1"
    before = waiting.job_ids()
    r = waiting.run(USER, ["sbatch", f"--image={image}", "--wrap", "true"])
    assert r.returncode != 0
    assert f"berth: image {image}: cannot pull it: " in r.stderr, r.stderr
    assert waiting.job_ids() == before


def test_scancel_of_one_waiting_job_keeps_the_shared_pull(waiting, workdir):
    cluster = waiting
    image = f"docker:{REGISTRY}/waitcancel:1"
    digest, _ = push_big("waitcancel:1", 300)
    job1, _, _ = submit(cluster, image, workdir)
    job2, _, _ = submit(cluster, image, workdir)
    assert cluster.run(USER, ["scancel", str(job1)]).returncode == 0
    assert cluster.wait(job1, timeout=30) == "CANCELLED"
    assert cluster.wait(job2, timeout=600) == "COMPLETED", cluster.job(job2)
    assert pinned_digest(cluster.job(job2)) == digest


def restart(cluster, what):
    r = subprocess.run([CLUSTER_SH, f"restart-{what}"], env=cluster.env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("daemon", ["slurmctld", "gateway"])
def test_restart_during_wait_resumes_it(waiting, daemon, workdir):
    """A restart of slurmctld or of the gateway while a job waits: the job
    keeps waiting (held, marker, digest), then runs once."""
    cluster = waiting
    image = f"docker:{REGISTRY}/waitrestart-{daemon}:1"
    digest, _ = push_big(f"waitrestart-{daemon}:1", 400)
    job, _, _ = submit(cluster, image, workdir)
    restart(cluster, daemon)
    info = cluster.job(job)
    assert info["JobState"] in ("PENDING", "RUNNING", "COMPLETED", "COMPLETING"), info
    assert pinned_digest(info) == digest
    assert cluster.wait(job, timeout=600) == "COMPLETED", cluster.job(job)
    assert full_comment(cluster, job) == f"image={image}@{digest}"
    assert output(workdir, job).strip() == "berth-wait-test"
    assert cluster.job(job).get("Restarts") == "0"


@pytest.mark.parametrize("command", ["salloc", "srun"])
def test_interactive_allocation_waits_for_the_image(waiting, command, workdir):
    """salloc (and srun making its own allocation) print the wait and get
    their allocation when the image is READY."""
    cluster = waiting
    image = f"docker:{REGISTRY}/wait{command}:1"
    push_big(f"wait{command}:1", 100)
    argv = ["salloc", "-N1", f"--image={image}", "srun", "-n1", "cat", "/big/marker"] \
        if command == "salloc" else ["srun", "-N1", "-n1", f"--image={image}", "cat", "/big/marker"]
    r = cluster.run(USER, argv, timeout=600)
    assert r.returncode == 0, r.stderr
    assert f"berth: image {image} is not READY yet" in r.stderr, r.stderr
    assert r.stdout.strip() == "berth-wait-test", r.stdout


def test_hold_asked_by_the_user_stays_after_ready(waiting, workdir):
    """sbatch --hold: when the image is READY the job is held by the user
    again (they release it), not started."""
    cluster = waiting
    image = f"docker:{REGISTRY}/waithold:1"
    digest, _ = push_big("waithold:1", 16)
    job, _, _ = submit(cluster, image, workdir, "--hold")
    assert "image_wait(held):" in full_comment(cluster, job)
    wait_for(lambda: full_comment(cluster, job) == f"image={image}@{digest}", 120, "READY")
    info = cluster.job(job)
    assert info["JobState"] == "PENDING" and info["Reason"] == "JobHeldUser", info
    assert cluster.run(USER, ["scontrol", "release", str(job)]).returncode == 0
    assert cluster.wait(job, timeout=120) == "COMPLETED", cluster.job(job)
