"""Tasks of an --image job run inside the image on every node; the batch
script stays on the host."""
import os
import re
import subprocess

import pytest

from conftest import USER


def run_job(cluster, workdir, args, script, timeout=60):
    job = cluster.sbatch(USER, args + ["-o", f"{workdir}/out", "--wrap", script])
    state = cluster.wait(job, timeout=timeout)
    with open(f"{workdir}/out") as f:
        return job, state, f.read()


def test_every_node_runs_in_the_image(cluster, workdir, busybox_digest):
    _, state, out = run_job(cluster, workdir, ["-N3", f"--image=id:{busybox_digest}"],
                            "srun -N3 -l cat /etc/os-release")
    assert state == "COMPLETED", out
    for rank in range(3):
        assert f"{rank}: ID=berth-busybox" in out, out


def test_batch_script_stays_on_the_host(cluster, workdir, busybox_digest):
    _, state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}"],
                            "grep ^ID= /etc/os-release; srun grep ^ID= /etc/os-release")
    assert state == "COMPLETED", out
    lines = out.split()
    assert lines[0] == "ID=debian" and lines[1] == "ID=berth-busybox", out


def test_task_is_the_user_without_privileges(cluster, workdir, busybox_digest):
    _, state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}"],
                            "srun sh -c 'id; grep -E \"^(NoNewPrivs|CapBnd|CapEff):\" /proc/self/status'")
    assert state == "COMPLETED", out
    assert "uid=2001(alice) gid=2001(alice)" in out, out
    assert "NoNewPrivs:\t1" in out
    assert "CapBnd:\t0000000000000000" in out
    assert "CapEff:\t0000000000000000" in out


def test_image_env_and_path(cluster, workdir, busybox_digest):
    _, state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}"],
                            "srun sh -c 'echo T=$BERTH_TEST_IMAGE; echo P=$PATH; echo J=$SLURM_JOB_ID'")
    assert state == "COMPLETED", out
    assert "T=busybox" in out
    assert "P=/usr/sbin:/usr/bin:/sbin:/bin" in out
    assert "J=" in out and "J=\n" not in out


def test_image_is_read_only(cluster, workdir, busybox_digest):
    _, state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}"],
                            "srun sh -c 'touch /bin/new 2>&1; echo rc=$?'")
    assert "rc=1" in out and "Read-only file system" in out, out


def test_volumes_ro_and_rw(cluster, workdir, busybox_digest):
    data = os.path.join(workdir, "data")
    subprocess.run(["runuser", "-u", USER, "--", "mkdir", "-p", data], check=True)
    _, state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}",
                                               f"--volume={data}:/rw", f"--volume={data}:/ro:ro"],
                            "srun sh -c 'echo hi > /rw/f && cat /ro/f; echo x > /ro/g 2>&1; echo rc=$?'")
    assert state == "COMPLETED", out
    assert "hi" in out and "rc=1" in out, out
    assert open(os.path.join(data, "f")).read() == "hi\n"
    assert not os.path.exists(os.path.join(data, "g"))


def test_volume_mount_point_anywhere_in_the_image(cluster, workdir, busybox_digest):
    """--volume=...:/usr/sbin/app/data: /usr/sbin is the image's (read-only),
    app/data does not exist: made in berth's own layer, the image's /usr/sbin
    entries stay beside it, and nothing appears on the host."""
    data = os.path.join(workdir, "data")
    subprocess.run(["runuser", "-u", USER, "--", "mkdir", "-p", data], check=True)
    with open(os.path.join(data, "in"), "w") as f:
        f.write("from-host\n")
    _, state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}",
                                               f"--volume={data}:/usr/sbin/app/data"],
                            "srun sh -c 'cat /usr/sbin/app/data/in; ls /usr/sbin | grep -c . ; "
                            "touch /usr/sbin/new 2>/dev/null || echo image-still-read-only'")
    assert state == "COMPLETED", out
    lines = out.split()
    assert "from-host" in lines and "image-still-read-only" in lines, out
    assert int(lines[1]) > 1, out     # app plus the image's own entries


@pytest.mark.parametrize("volume,reason", [
    ("/root:/data", 'volume source "/root": Permission denied'),
    ("{workdir}:/proc/x", '"/proc/x"'),
    ("{workdir}:/etc", '"/etc"'),
])
def test_hostile_volumes_are_refused(cluster, workdir, busybox_digest, volume, reason):
    _, state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}",
                                               f"--volume={volume.format(workdir=workdir)}"],
                            "srun true")
    assert state == "FAILED", out
    assert reason in out, out


def test_setuid_binary_in_image_gains_nothing(cluster, workdir, hostile_digest):
    _, state, out = run_job(cluster, workdir, [f"--image=id:{hostile_digest}"],
                            "srun sh -c 'ls -l /bin/suid-probe; /bin/suid-probe'")
    assert state == "COMPLETED", out
    assert "-rwsr-xr-x" in out, out           # the bit is there...
    assert "2001 2001" in out, out             # ...and gives nothing (nosuid, no_new_privs)


def test_image_symlink_to_etc_is_refused_as_destination(cluster, workdir, hostile_digest):
    _, state, out = run_job(cluster, workdir, [f"--image=id:{hostile_digest}", f"--volume={workdir}:/evil"],
                            "srun true")
    assert state == "FAILED", out
    assert 'destination "/evil" resolves into forbidden "/etc"' in out, out


def test_pty_step_has_its_terminal_in_the_image(cluster, busybox_digest):
    """srun --pty: the step's terminal (made by slurmstepd on the host) is the
    task's controlling terminal inside the image, found at its name."""
    r = cluster.run(USER, ["script", "-qec",
                           f"srun -N1 --pty --image=id:{busybox_digest} sh -c "
                           "'tty; test -t 0 && echo stdin-is-a-tty; grep ^ID= /etc/os-release'",
                           "/dev/null"], timeout=60)
    out = r.stdout.replace("\r", "")
    assert r.returncode == 0, r
    assert "ID=berth-busybox" in out, out
    assert re.search(r"/dev/pts/\d+$", out, re.M), out     # not "not a tty"
    assert "stdin-is-a-tty" in out, out
