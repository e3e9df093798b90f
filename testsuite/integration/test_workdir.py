"""A task's working directory in the container: the job's cwd if it exists
there, else the image's WorkingDir, else "/" (Slurm's own chdir after
task_init_privileged, with its /tmp fallback, must not win).  /var/spool
exists on the nodes but not in the test images."""
import os

import pytest

from conftest import USER, derive_image


def derived_image(base_digest, name, workdir, make_dirs=()):
    """A copy of the busybox image with extra directories and its metadata's
    WorkingDir set; returns its digest."""
    def add_dirs(root):
        for d in make_dirs:
            os.makedirs(os.path.join(root, d.lstrip("/")), mode=0o755)
        with open(os.path.join(root, "etc/berth-variant"), "w") as f:
            f.write(name + "\n")
    return derive_image(base_digest, add_dirs, workdir=workdir)


@pytest.fixture(scope="session")
def workdir_image(cluster, busybox_digest):
    """WorkingDir /srv/app, which exists in the image."""
    return derived_image(busybox_digest, "workdir", "/srv/app", ["srv/app"])


@pytest.fixture(scope="session")
def missing_workdir_image(cluster, busybox_digest):
    """WorkingDir /nowhere, which the image does not have."""
    return derived_image(busybox_digest, "missing-workdir", "/nowhere")


def run_job(cluster, workdir, args, script):
    job = cluster.sbatch(USER, args + ["-o", f"{workdir}/out", "--wrap", script])
    state = cluster.wait(job, timeout=60)
    with open(f"{workdir}/out") as f:
        return state, f.read()


def test_job_cwd_kept_when_it_exists_in_the_container(cluster, workdir, workdir_image):
    # the test's workdir is under /home, which site_fs binds at the same path
    state, out = run_job(cluster, workdir, [f"--image=id:{workdir_image}"],
                         f"srun --chdir={workdir} sh -c 'echo cwd=$(pwd) pwd=$PWD'; "
                         "srun sh -c 'echo cwd=$(pwd)'")
    assert state == "COMPLETED", out
    assert f"cwd={workdir} pwd={workdir}" in out, out
    assert f"cwd=/home/{USER}\n" in out, out           # sbatch's cwd, the job's default


def test_image_workdir_when_job_cwd_is_not_in_the_container(cluster, workdir, workdir_image):
    state, out = run_job(cluster, workdir, [f"--image=id:{workdir_image}"],
                         "srun --chdir=/var/spool sh -c 'echo cwd=$(pwd) pwd=$PWD'")
    assert state == "COMPLETED", out
    assert "cwd=/srv/app pwd=/srv/app" in out, out      # not Slurm's /tmp fallback


def test_root_when_neither_exists(cluster, workdir, missing_workdir_image):
    state, out = run_job(cluster, workdir, [f"--image=id:{missing_workdir_image}"],
                         "srun --chdir=/var/spool sh -c 'echo cwd=$(pwd) pwd=$PWD'")
    assert state == "COMPLETED", out
    assert "cwd=/ pwd=/" in out, out


def test_step_image_uses_its_own_workdir(cluster, workdir, busybox_digest, workdir_image):
    state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}"],
                         f"srun --image=id:{workdir_image} --chdir=/var/spool pwd; "
                         "srun --chdir=/var/spool pwd")
    assert state == "COMPLETED", out
    lines = [line for line in out.splitlines() if line.startswith("/")]
    assert lines == ["/srv/app", "/"], out


def test_batch_script_inside_the_container_as_documented(cluster, workdir, busybox_digest):
    """berth.conf(5): a script in the home directory started as a one-task step."""
    inner = os.path.join(workdir, "inner.sh")
    with open(inner, "w") as f:
        f.write("grep ^ID= /etc/os-release\necho inner-cwd=$(pwd)\n")
    os.chmod(inner, 0o755)
    job = cluster.sbatch(USER, [f"--image=id:{busybox_digest}", "-o", f"{workdir}/out", f"--chdir={workdir}",
                                "--wrap", f'grep ^ID= /etc/os-release; exec srun -N1 -n1 sh "{inner}"'])
    assert cluster.wait(job, timeout=60) == "COMPLETED"
    out = open(f"{workdir}/out").read()
    assert out.split() == ["ID=debian", "ID=berth-busybox", f"inner-cwd={workdir}"], out
