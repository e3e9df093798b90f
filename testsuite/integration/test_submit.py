"""job_submit_berth.so in slurmctld: sees each job's --image and --volume,
re-validates them (the client is not trusted), rejects bad ones."""
import os
import re
import subprocess

import pytest

from conftest import LAB, REGISTRY, USER, wait_for_log

RAW_SUBMIT_C = os.path.join(os.path.dirname(__file__), "tools/raw_submit.c")


def test_job_submit_sees_image(cluster, workdir, busybox_digest):
    mark = cluster.log_mark()
    image = f"{REGISTRY}/busybox@{busybox_digest}"
    job = cluster.sbatch(USER, [f"--image={image}", "-o", f"{workdir}/out", "--wrap", "true"])
    m = wait_for_log(cluster, mark, r"berth: job_submit: uid (\d+) requests image '([^']*)' \(([^)]*)\)")
    assert m.group(1) == "2001"
    assert m.group(2) == image
    assert m.group(3) == f"docker:{image}"
    cluster.wait(job)


def test_every_volume_reaches_the_job(cluster, workdir, busybox_pinned):
    """--volume is repeatable: every occurrence reaches slurmctld and the batch step."""
    mark = cluster.log_mark()
    job = cluster.sbatch(USER, [f"--image={busybox_pinned}", f"--volume={workdir}:/data",
                                "--volume=/var/tmp:/scratch:ro", "--volume=/srv:/srv;/opt:/site-opt",
                                "-o", f"{workdir}/out", "--wrap", "env"])
    wait_for_log(cluster, mark, r"requests image '[^']*' \([^)]*\), 4 volume\(s\)")
    assert cluster.wait(job) == "COMPLETED"
    with open(f"{workdir}/out") as f:
        env = f.read()
    assert f"_SLURM_SPANK_OPTION_berth_volume={workdir}:/data;/var/tmp:/scratch:ro;/srv:/srv;/opt:/site-opt" in env


@pytest.fixture(scope="module")
def raw_submit(cluster):
    """A client that submits through libslurm without the SPANK plugin,
    as a user bypassing client-side checks would (built into the lab, which
    the test user can read)."""
    exe = os.path.join(LAB, "raw_submit")
    subprocess.run(["gcc", "-O1", "-o", exe, RAW_SUBMIT_C, "-lslurm"], check=True)
    os.chmod(exe, 0o755)
    yield exe
    os.unlink(exe)


@pytest.mark.parametrize("entry,reason", [
    ("_SLURM_SPANK_OPTION_berth_image=Ubuntu", 'berth: --image: repository "Ubuntu": must be lowercase'),
    ("_SLURM_SPANK_OPTION_berth_volume=/a/../etc:/x", "berth: --volume: "),
    ("_SLURM_SPANK_OPTION_berth_volume=/tmp:/data", "berth: --volume needs --image (or --ccm)"),
])
def test_controller_rejects_what_client_checks_missed(cluster, raw_submit, entry, reason):
    before = cluster.job_ids()
    mark = cluster.log_mark()
    r = cluster.run(USER, [raw_submit, entry])
    assert r.returncode != 0, f"raw submission was accepted: {r.stdout}"
    assert reason in r.stderr, r.stderr
    wait_for_log(cluster, mark, re.escape("berth: job_submit: rejected job from uid 2001: ")
                 + re.escape(reason.replace("berth: ", "")))
    assert cluster.job_ids() == before


def test_slurm_oci_container_with_image_is_refused(cluster, raw_submit, busybox_digest, workdir):
    """Slurm's --container and berth's --image would both claim the tasks: the
    client refuses, and so does the controller for a client that skips the check."""
    reason = "cannot be combined with --container (Slurm's own OCI containers)"
    r = cluster.run(USER, ["sbatch", f"--container={workdir}", f"--image=id:{busybox_digest}",
                           "--wrap", "true"])
    assert r.returncode != 0 and reason in r.stderr, r
    before = cluster.job_ids()
    mark = cluster.log_mark()
    r = cluster.run(USER, [raw_submit, f"_SLURM_SPANK_OPTION_berth_image=id:{busybox_digest}"],
                    extra_env={"RAW_SUBMIT_CONTAINER": workdir})
    assert r.returncode != 0 and reason in r.stderr, f"raw submission: {r}"
    wait_for_log(cluster, mark, re.escape("berth: job_submit: rejected job from uid 2001: ") + ".*"
                 + re.escape(reason))
    assert cluster.job_ids() == before


@pytest.mark.parametrize("components", [
    ["-N1", "--image=id:{digest}", ":", "-N1", "--image=id:{digest}"],   # an image per component
    ["-N1", "--image=id:{digest}", ":", "-N1"],                         # on the first one only
])
def test_heterogeneous_job_with_image_is_refused(cluster, workdir, busybox_digest, components):
    """Slurm hands SPANK options to every component alike: berth cannot give
    each its own image, so it refuses rather than mix them up."""
    script = os.path.join(workdir, "het.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nsrun true\n")
    before = cluster.job_ids()
    r = cluster.run(USER, ["sbatch", "-o", f"{workdir}/out"]
                    + [c.format(digest=busybox_digest) for c in components] + [script])
    assert r.returncode != 0, f"accepted: {r.stdout}"
    assert "not supported in heterogeneous jobs or steps" in r.stderr, r.stderr
    assert cluster.job_ids() == before


def test_controller_accepts_good_raw_submission(cluster, raw_submit, busybox_digest):
    r = cluster.run(USER, [raw_submit, f"_SLURM_SPANK_OPTION_berth_image=id:{busybox_digest}"])
    assert r.returncode == 0, r.stderr
    job = int(r.stdout.split()[-1])
    assert cluster.wait(job) == "COMPLETED"
