"""A private image is private on every path, not only at the gateway's API:
its published files are unreadable to other users, and naming its digest
(id:, @sha256:, a raw libslurm submission) does not get around the ACL; the
image_dir shortcut is only for public images."""
import os
import subprocess

import pytest

from conftest import LAB, OTHER_USER, REGISTRY, USER
from gateway_util import pull_ready
from test_pinning import refused, unknown_message
from test_submit import raw_submit  # noqa: F401  (fixture)

IMAGE_DIR = os.path.join(LAB, "images")
REPO = "berth-sec-private:v1"


@pytest.fixture(scope="module")
def private_digest(cluster):
    """multilayer, pushed as Docker v2s2 (so its digest is this test's own),
    pulled by alice with registry credentials: private to alice."""
    policy = [] if os.path.exists("/etc/containers/policy.json") else ["--insecure-policy"]
    subprocess.run(["skopeo"] + policy + ["copy", "-q", "--format", "v2s2", "--dest-tls-verify=false",
                                          f"oci:{LAB}/oci/layout:multilayer", f"docker://{REGISTRY}/{REPO}"],
                   check=True, capture_output=True, timeout=120)
    digest = pull_ready(USER, f"docker:{REGISTRY}/{REPO}", login={"username": "alice", "password": "secret"})
    yield digest
    # the lab's image_dir outlives the cluster: leave no files of this
    # test's image for the next run (the gateway fails the record at start)
    for ext in ("sqfs", "json", "access"):
        path = os.path.join(IMAGE_DIR, f"{digest}.{ext}")
        if os.path.exists(path):
            os.unlink(path)


def test_files_unreadable_to_others(cluster, private_digest):
    for ext in ("sqfs", "json", "access"):
        path = os.path.join(IMAGE_DIR, f"{private_digest}.{ext}")
        assert os.stat(path).st_mode & 0o077 == 0, f"{path} is readable by others"
        r = cluster.run(OTHER_USER, ["cat", path])
        assert r.returncode != 0 and "Permission denied" in r.stderr, (path, r.stderr)
    r = cluster.run(OTHER_USER, ["unsquashfs", "-l", os.path.join(IMAGE_DIR, f"{private_digest}.sqfs")])
    assert r.returncode != 0, r.stdout[-300:]


def test_names_not_listable(cluster, private_digest):
    """Existence does not leak through the directory either: image_dir can
    be traversed (nodes and login hosts open files by name) but not listed
    by others.  The harness makes it 0755, as older gateways did: the
    gateway takes o+r away at start."""
    mode = os.stat(IMAGE_DIR).st_mode
    assert not mode & 0o004 and mode & 0o001, oct(mode)
    r = cluster.run(OTHER_USER, ["ls", IMAGE_DIR])
    assert r.returncode != 0 and "Permission denied" in r.stderr, r.stdout[-300:]
    assert private_digest not in r.stdout


UNKNOWN = "sha256:" + "0" * 64   # a digest no one has


@pytest.mark.parametrize("form", ["id:{d}", f"docker:{REGISTRY}/berth-sec-private@{{d}}"])
def test_digest_does_not_bypass_the_acl(cluster, private_digest, form):
    """Refused exactly as a digest that exists nowhere: existence is not
    confirmed either."""
    image = form.format(d=private_digest)
    _, line = refused(cluster, OTHER_USER, ["sbatch", f"--image={image}", "--wrap", "true"])
    _, unknown = refused(cluster, OTHER_USER, ["sbatch", f"--image={form.format(d=UNKNOWN)}",
                                               "--wrap", "true"])
    assert line == unknown.replace(UNKNOWN, private_digest), (line, unknown)
    if form.startswith("id:"):
        assert line == (f'sbatch: error: berth: image "{image}" is neither in the image directory '
                        "nor known to the image gateway"), line
    else:
        assert line == f"sbatch: error: {unknown_message(image)}", line


def test_raw_submission_by_digest_refused(cluster, raw_submit, private_digest):  # noqa: F811
    """job_submit (slurmctld) applies the ACL to what a client never checked."""
    image = f"id:{private_digest}"
    r = cluster.run(OTHER_USER, [raw_submit, f"_SLURM_SPANK_OPTION_berth_image={image}"])
    assert r.returncode != 0, f"raw submission was accepted: {r.stdout}"
    assert (f'berth: image "{image}" is neither in the image directory nor known to the image gateway'
            in r.stderr), r.stderr


def test_owner_still_runs_it(cluster, workdir, private_digest):
    job = cluster.sbatch(USER, [f"--image=id:{private_digest}", "-o", f"{workdir}/out",
                                "--wrap", "srun true"])
    assert cluster.wait(job) == "COMPLETED", open(f"{workdir}/out").read()
