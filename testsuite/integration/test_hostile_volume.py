"""--volume destinations that do not exist: root makes mount points only in
berth's own tmpfs layers, never on a host filesystem mounted into the
container (site_fs /home here, the job's /tmp): such a destination is
refused with a reason, and nothing appears on the host."""
import os
import subprocess

import pytest

from conftest import USER
from test_container import run_job

REASON = 'destination "{dst}" does not exist and lies on a host filesystem: berth does not create it there, create it first'


def as_user(*argv):
    subprocess.run(["runuser", "-u", USER, "--"] + list(argv), check=True)


@pytest.mark.parametrize("dst,on_host", [
    ("/home/bob/berth-sec-x", "/home/bob/berth-sec-x"),          # another user's home
    ("/home/berth-sec-x", "/home/berth-sec-x"),                  # /home itself
    ("{workdir}/to-bob/berth-sec-y", "/home/bob/berth-sec-y"),   # through a symlink of the user's
    ("{workdir}/new/deeper", "{workdir}/new"),                   # even in the user's own home
    ("/tmp/berth-sec-z", None),                                  # the job's /tmp (a host directory)
])
def test_no_mount_point_on_host_fs(cluster, workdir, busybox_digest, dst, on_host):
    dst = dst.format(workdir=workdir)
    on_host = on_host.format(workdir=workdir) if on_host else None
    as_user("ln", "-s", "/home/bob", f"{workdir}/to-bob")
    try:
        _, state, out = run_job(cluster, workdir, [f"--image=id:{busybox_digest}",
                                                   f"--volume={workdir}:{dst}"], "srun true")
        assert not on_host or not os.path.lexists(on_host), f"{on_host} was created on the host"
        assert state == "FAILED", out
        assert REASON.format(dst=dst) in out, out
    finally:
        if on_host and os.path.isdir(on_host) and not os.path.islink(on_host):
            os.rmdir(on_host)


def test_mount_points_in_the_tree_still_work(cluster, workdir, busybox_digest):
    """In the tmpfs root (a new top-level directory) and where the host
    directory exists already (made by the user)."""
    as_user("mkdir", f"{workdir}/existing")
    _, state, out = run_job(cluster, workdir, [
        f"--image=id:{busybox_digest}", f"--volume={workdir}:/berth-new/deep",
        f"--volume=/var/tmp:{workdir}/existing:ro"],
        "srun sh -c 'ls /berth-new/deep/; test -d /berth-new/deep/existing && echo ok-tree'")
    assert state == "COMPLETED", out
    assert "ok-tree" in out, out
    assert not os.path.exists("/berth-new")
