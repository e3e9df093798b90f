"""Per-step overrides: `srun --image=other` or an extra `srun --volume`
inside an allocation runs that step in a private container, removed at step
end; the job's container and its other steps are not affected."""
import glob
import os
import re
import subprocess
import time

import pytest

from conftest import CLUSTER_SH, LAB, REGISTRY, USER
from test_teardown import lab_loops, nsfs_mounts, wait_clean

STATE = os.path.join(LAB, "berth-state")


@pytest.fixture(scope="session")
def multilayer_digest(cluster):
    r = subprocess.run([CLUSTER_SH, "sqfs", "multilayer"], env=cluster.env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    digest = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), digest
    return digest


def run_job(cluster, workdir, args, script, timeout=90):
    job = cluster.sbatch(USER, args + ["-o", f"{workdir}/out", "--wrap", script])
    state = cluster.wait(job, timeout=timeout)
    with open(f"{workdir}/out") as f:
        return job, state, f.read()


def wait_for_output(path, text, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and text in open(path).read():
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in {path}: {open(path).read() if os.path.exists(path) else '(none)'}")


def test_step_image_gets_private_container_removed_at_step_end(cluster, workdir, busybox_digest,
                                                                multilayer_digest):
    nsfs_before = nsfs_mounts()
    go = f"{workdir}/go"
    script = ("srun grep ^ID= /etc/os-release; "
              f"srun --image=id:{multilayer_digest} sh -c 'grep ^ID= /etc/os-release; cat /data/keep.txt; "
              "echo T=$BERTH_TEST_IMAGE'; "
              "echo STEP_DONE; "
              f"while [ ! -e {go} ]; do sleep 0.1; done; "
              "srun grep ^ID= /etc/os-release")
    job = cluster.sbatch(USER, [f"--image=id:{busybox_digest}", "-o", f"{workdir}/out", "--wrap", script])
    wait_for_output(f"{workdir}/out", "STEP_DONE")
    # between the steps: the job's container is there, the step's is gone
    job_dirs = glob.glob(os.path.join(STATE, "n*", str(job)))
    assert len(job_dirs) == 1, job_dirs
    assert os.path.ismount(os.path.join(job_dirs[0], "ns")), "the job's namespace was unpinned"
    assert not glob.glob(os.path.join(job_dirs[0], "step.*")), os.listdir(job_dirs[0])
    assert not [m for m in nsfs_mounts() if "/step." in m]
    assert not [loop for loop in lab_loops() if multilayer_digest in loop], lab_loops()
    subprocess.run(["runuser", "-u", USER, "--", "touch", go], check=True)
    assert cluster.wait(job, timeout=60) == "COMPLETED"
    out = open(f"{workdir}/out").read()
    lines = [line for line in out.splitlines() if line.startswith(("ID=", "T=", "keep"))]
    assert lines == ["ID=berth-busybox", "ID=berth-multilayer", "keep (layer 1)", "T=multilayer",
                     "ID=berth-busybox"], out
    assert wait_clean(nsfs_before) == {}


def test_step_volume_is_private_to_the_step(cluster, workdir, busybox_digest):
    nsfs_before = nsfs_mounts()
    data = os.path.join(workdir, "data")
    subprocess.run(["runuser", "-u", USER, "--", "mkdir", "-p", data], check=True)
    with open(os.path.join(data, "f"), "w") as f:
        f.write("from-volume\n")
    _, state, out = run_job(cluster, workdir, ["-N2", f"--image=id:{busybox_digest}"],
                            f"srun -N2 --volume={data}:/extra:ro cat /extra/f; "
                            "srun -N1 sh -c 'ls /extra 2>&1; echo rc=$?'; "
                            "srun -N1 grep ^ID= /etc/os-release")
    assert state == "COMPLETED", out
    assert out.count("from-volume") == 2, out
    assert "rc=1" in out and "No such file or directory" in out, out
    assert "ID=berth-busybox" in out, out
    assert wait_clean(nsfs_before) == {}


def test_step_image_in_a_job_without_image(cluster, workdir, busybox_digest):
    nsfs_before = nsfs_mounts()
    _, state, out = run_job(cluster, workdir, ["-N2"],
                            f"srun -N2 --image=id:{busybox_digest} grep ^ID= /etc/os-release; "
                            "srun -N1 grep ^ID= /etc/os-release")
    assert state == "COMPLETED", out
    assert out.count("ID=berth-busybox") == 2, out
    assert "ID=debian" in out, out
    assert wait_clean(nsfs_before) == {}


@pytest.mark.parametrize("option,reason", [
    # srun pins a step's image itself (spank_resolve.c): refused in srun, the job goes on
    (f"--image=docker:{REGISTRY}/nosuch:latest", "is not known to the image gateway"),
    ("--image=id:sha256:" + "0" * 64, "is neither in the image directory nor known to the image gateway"),
    ("--volume=/root:/data", 'volume source "/root": Permission denied'),
    ("--volume={workdir}:/proc/x", '"/proc/x"'),
])
def test_bad_step_override_fails_the_step_only(cluster, workdir, busybox_digest, option, reason):
    nsfs_before = nsfs_mounts()
    _, state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}"],
                            f"srun {option.format(workdir=workdir)} echo SHOULD-NOT-RUN; echo rc=$?; "
                            "srun grep ^ID= /etc/os-release")
    assert state == "COMPLETED", out
    assert reason in out, out
    assert "SHOULD-NOT-RUN" not in out, out
    assert re.search(r"rc=[1-9]", out), out
    assert "ID=berth-busybox" in out, out     # the job's container still works
    assert wait_clean(nsfs_before) == {}


HET_REFUSED = "the components of a heterogeneous step (':') were given different berth options"


@pytest.mark.parametrize("components", [
    "--image=id:{a} true : -N1 -n1 --image=id:{b} true",     # an image each: Slurm would run both in b
    "--image=id:{a} true : -N1 -n1 true",                      # the first only: Slurm would run both in a
    "--image=id:{a} true : -N1 -n1 --image=id:{a} --volume=/tmp:/mnt true",   # a volume for one
])
def test_heterogeneous_step_with_different_options_is_refused(cluster, workdir, busybox_digest,
                                                              multilayer_digest, components):
    line = components.format(a=busybox_digest, b=multilayer_digest)
    _, state, out = run_job(cluster, workdir, ["-N2"], f"srun -N1 -n1 {line}; echo rc=$?")
    assert HET_REFUSED in out and "rc=1" in out, out


def test_heterogeneous_step_with_the_same_options_runs(cluster, workdir, busybox_digest, multilayer_digest):
    """The same options on every component, or those the job gave them all."""
    show = "sh -c 'echo $BERTH_TEST_IMAGE'"
    _, state, out = run_job(cluster, workdir, ["-N2"],
                         f"srun -N1 -n1 --image=id:{multilayer_digest} {show} : "
                         f"-N1 -n1 --image=id:{multilayer_digest} {show}")
    assert state == "COMPLETED" and out.split() == ["multilayer"] * 2, out
    _, state, out = run_job(cluster, workdir, ["-N2", f"--image=id:{busybox_digest}"],
                         f"srun -N1 -n1 {show} : -N1 -n1 {show}")
    assert state == "COMPLETED" and out.split() == ["busybox"] * 2, out
