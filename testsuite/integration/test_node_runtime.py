"""The node side: job_prolog's per-job spec, the job's mount namespace built
in the extern step, and teardown."""
import os
import shutil
import subprocess

from conftest import LAB, USER


def state_dirs():
    root = os.path.join(LAB, "berth-state")
    return sorted(os.path.join(dp, d) for dp, dn, _ in os.walk(root) for d in dn
                  if d.isdigit())


def lab_mounts():
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(LAB + "/")]


def test_job_gets_private_tmp_on_every_node(cluster, workdir, busybox_digest):
    job = cluster.sbatch(USER, ["-N3", f"--image=id:{busybox_digest}", "-o", f"{workdir}/out", "--wrap",
                                "srun -l sh -c 'touch /tmp/from-$SLURM_PROCID; ls /tmp; grep \" /tmp \" /proc/self/mountinfo'"])
    assert cluster.wait(job) == "COMPLETED"
    with open(f"{workdir}/out") as f:
        out = f.read()
    for rank, node in enumerate(["n1", "n2", "n3"]):
        assert f"{rank}: from-{rank}" in out
        assert f"berth-state/{node}/{job}/tmp /tmp " in out, out
        others = {f"from-{r}" for r in range(3)} - {f"from-{rank}"}
        assert not any(f"{rank}: {o}" in out for o in others), out
    assert not os.path.exists("/tmp/from-0")


def test_job_leaves_no_state_and_no_mounts(cluster, workdir, busybox_digest):
    job = cluster.sbatch(USER, ["-N3", f"--image=id:{busybox_digest}", "-o", f"{workdir}/out",
                                "--wrap", "srun true"])
    assert cluster.wait(job) == "COMPLETED"
    assert not [d for d in state_dirs() if d.endswith(f"/{job}")]
    assert lab_mounts() == []
    r = subprocess.run(["losetup", "-a"], capture_output=True, text=True)
    assert LAB not in r.stdout


def test_job_without_image_keeps_host_tmp(cluster, workdir):
    job = cluster.sbatch(USER, ["-o", f"{workdir}/out", "--wrap", "findmnt -n -o TARGET /tmp || echo host-tmp"])
    assert cluster.wait(job) == "COMPLETED"
    with open(f"{workdir}/out") as f:
        assert f.read().strip() in ("host-tmp", "/"), "a job without --image must not get a berth namespace"


def test_unpinned_image_fails_the_job_not_the_node(cluster, workdir):
    # job_submit pins docker: and id: references; a local: one reaches the node unpinned
    image = "local:/srv/berth-test.sqfs"
    job = cluster.sbatch(USER, [f"--image={image}", "-o", f"{workdir}/out", "--wrap", "srun true"])
    assert cluster.wait(job) == "FAILED"
    with open(f"{workdir}/out") as f:
        out = f.read()
    assert f'berth: image "{image}" is not pinned to a digest' in out, out
    states = cluster.run("root", ["sinfo", "-h", "-N", "-o", "%N %T"]).stdout
    assert "drain" not in states, states


def test_image_missing_from_image_dir_fails_with_reason(cluster, workdir, busybox_digest):
    # job_submit admits a digest found in the image dir; it vanishes before the job starts
    missing = "sha256:" + "ab" * 32
    images = os.path.join(LAB, "images")
    for ext in ("sqfs", "json"):
        shutil.copy(os.path.join(images, f"{busybox_digest}.{ext}"), os.path.join(images, f"{missing}.{ext}"))
    try:
        job = cluster.sbatch(USER, ["--hold", f"--image=id:{missing}", "-o", f"{workdir}/out", "--wrap", "srun true"])
    finally:
        for ext in ("sqfs", "json"):
            os.unlink(os.path.join(images, f"{missing}.{ext}"))
    assert cluster.run("root", ["scontrol", "release", str(job)]).returncode == 0
    assert cluster.wait(job) == "FAILED"
    with open(f"{workdir}/out") as f:
        out = f.read()
    assert f"berth: image {missing} is not in the image directory {LAB}/images" in out, out
    states = cluster.run("root", ["sinfo", "-h", "-N", "-o", "%N %T"]).stdout
    assert "drain" not in states, states
