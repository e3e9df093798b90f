"""join_external for pam_slurm_adopt: a process adopted through the job's
extern step (tools/adopt.c does what pam_slurm_adopt does for an ssh login,
through the real slurmstepd API: stepd_add_extern_pid, then
REQUEST_GET_NS_FD -> container_p_join_external, then setns) lands in the
job's mount namespace and cgroup.  pam_slurm_adopt itself is not packaged
on this machine and would need sshd in the node namespaces; the tool runs
the same libslurm calls."""
import os
import subprocess
import time

import pytest

from conftest import LAB, USER

ADOPT_C = os.path.join(os.path.dirname(__file__), "tools/adopt.c")


@pytest.fixture(scope="module")
def adopt(cluster):
    exe = os.path.join(LAB, "adopt")
    subprocess.run(["gcc", "-O1", "-o", exe, ADOPT_C, "-lslurm"], check=True)
    yield exe
    os.unlink(exe)


def wait_for_file(path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and open(path).read().strip():
            return open(path).read().strip()
        time.sleep(0.1)
    raise AssertionError(f"{path} not written after {timeout}s")


def adopt_into(cluster, adopt, job, command):
    node = cluster.job(job)["NodeList"]
    spool = os.path.join(LAB, "spool", node)
    return cluster.run("root", [adopt, spool, node, str(job)] + command)


def test_adopted_process_lands_in_the_jobs_namespace(cluster, workdir, busybox_digest, adopt):
    task_ns = os.path.join(workdir, "task-ns")
    job = cluster.sbatch(USER, [f"--image=id:{busybox_digest}", "-o", f"{workdir}/out", "--wrap",
                                "srun sh -c 'echo job-private > /tmp/marker; "
                                f"readlink /proc/self/ns/mnt > {task_ns}; sleep 60'"])
    try:
        ns = wait_for_file(task_ns)
        r = adopt_into(cluster, adopt, job, ["sh", "-c", "readlink /proc/self/ns/mnt; cat /tmp/marker; "
                                             "cat /proc/self/cgroup"])
        assert r.returncode == 0, r.stderr
        assert "ns_fd=" in r.stderr and "ns_fd=0" not in r.stderr, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0] == ns, (lines, ns)              # the tasks' mount namespace
        assert lines[1] == "job-private", lines          # the job's private /tmp
        assert f"/job_{job}/step_extern" in r.stdout, r.stdout  # adopted into the job's cgroup
        # a second adoption gets the same namespace (the fd is kept, not re-opened)
        r2 = adopt_into(cluster, adopt, job, ["readlink", "/proc/self/ns/mnt"])
        assert r2.returncode == 0 and r2.stdout.strip() == ns, r2.stderr
    finally:
        cluster.run("root", ["scancel", str(job)])
        cluster.wait(job)


def test_job_without_image_has_no_namespace_to_join(cluster, workdir, adopt):
    started = os.path.join(workdir, "started")
    job = cluster.sbatch(USER, ["-o", f"{workdir}/out", "--wrap", f"srun sh -c 'echo x > {started}; sleep 60'"])
    try:
        wait_for_file(started)
        r = adopt_into(cluster, adopt, job, ["readlink", "/proc/self/ns/mnt"])
        assert r.returncode == 0, r.stderr
        assert "ns_fd=0" in r.stderr, r.stderr
        assert r.stdout.strip() == os.readlink("/proc/self/ns/mnt")   # stays in the host's
    finally:
        cluster.run("root", ["scancel", str(job)])
        cluster.wait(job)


def test_adopting_into_a_job_that_does_not_run_here_fails(cluster, adopt):
    r = cluster.run("root", [adopt, os.path.join(LAB, "spool", "n1"), "n1", "999999", "true"])
    assert r.returncode == 1, r.stdout
    assert "cannot connect to the extern step of job 999999" in r.stderr, r.stderr
