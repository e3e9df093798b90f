"""Fixtures for berth's integration tests: a real 3-node Slurm cluster
(testsuite/harness/cluster.sh), jobs submitted as ordinary users."""
import os
import re
import subprocess
import time

import pytest

SRCDIR = os.environ.get("BERTH_SRCDIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
BUILDDIR = os.environ.get("BERTH_BUILDDIR", SRCDIR)
LAB = os.environ.get("BERTH_LAB", "/var/tmp/berth-check")
CLUSTER_SH = os.path.join(SRCDIR, "testsuite/harness/cluster.sh")
REGISTRY = "127.0.0.1:15000"
BUSYBOX = f"docker:{REGISTRY}/busybox:latest"
USER = "alice"
OTHER_USER = "bob"


def _slurm_release():
    """(major, minor) of the Slurm under test, from `slurmd -V` (which,
    unlike the clients, needs no slurm.conf)."""
    out = subprocess.run(["slurmd", "-V"], capture_output=True, text=True).stdout
    m = re.search(r"(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


SLURM_RELEASE = _slurm_release()


class Cluster:
    def __init__(self, env):
        self.env = env
        self.slurm_conf = os.path.join(LAB, "etc/slurm.conf")
        self._config = None

    def run(self, user, argv, timeout=60, cwd=None, extra_env=None):
        """Run argv as user (login-less, SLURM_CONF set), cwd = home."""
        home = f"/home/{user}" if user != "root" else "/root"
        env = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", f"HOME={home}",
               f"USER={user}", f"SLURM_CONF={self.slurm_conf}"]
        env += [f"{k}={v}" for k, v in (extra_env or {}).items()]
        cmd = (["runuser", "-u", user, "--"] if user != "root" else []) + env + list(argv)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=cwd or home)

    def config(self, key):
        if self._config is None:
            out = self.run("root", ["scontrol", "show", "config"]).stdout
            self._config = dict(re.findall(r"^(\S+)\s+=\s+(.*)$", out, re.M))
        return self._config[key]

    def sbatch(self, user, args, **kw):
        """Submit; return the job id (fails the test if sbatch fails)."""
        r = self.run(user, ["sbatch", "--parsable"] + list(args), **kw)
        assert r.returncode == 0, f"sbatch failed: {r.stderr}"
        return int(r.stdout.strip().split(";")[0])

    def job(self, job_id):
        out = self.run("root", ["scontrol", "show", "job", "-o", str(job_id)]).stdout
        return dict(re.findall(r"(\w+)=(\S*)", out))

    def wait(self, job_id, timeout=60, states=("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT",
                                                "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL")):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.job(job_id).get("JobState")
            if state in states:
                return state
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} not finished after {timeout}s: {self.job(job_id)}")

    def job_ids(self):
        out = self.run("root", ["squeue", "-h", "-t", "all", "-o", "%i"]).stdout
        return {int(x) for x in out.split()}

    def log(self, which="slurmctld", node=None):
        path = self.config("SlurmctldLogFile" if which == "slurmctld" else "SlurmdLogFile")
        if node:
            path = path.replace("%n", node)
        with open(path, errors="replace") as f:
            return f.read()

    def log_mark(self, which="slurmctld", node=None):
        """Length of a log now; log_since(mark) returns what came after."""
        return (which, node, len(self.log(which, node)))

    def log_since(self, mark):
        which, node, offset = mark
        return self.log(which, node)[offset:]


def wait_for_log(cluster, mark, pattern, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = cluster.log_since(mark)
        m = re.search(pattern, text)
        if m:
            return m
        time.sleep(0.05)
    raise AssertionError(f"{pattern!r} not in log after {timeout}s:\n{cluster.log_since(mark)[-3000:]}")


@pytest.fixture(scope="session")
def cluster():
    env = dict(os.environ, BERTH_LAB=LAB, BERTH_BUILDDIR=BUILDDIR)
    t0 = time.monotonic()
    r = subprocess.run([CLUSTER_SH, "start"], env=env, capture_output=True, text=True, timeout=600)
    print(r.stdout[-4000:], r.stderr[-4000:])
    if r.returncode != 0:
        subprocess.run([CLUSTER_SH, "stop"], env=env, timeout=300)
        pytest.fail(f"cluster did not start:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    print(f"cluster started in {time.monotonic() - t0:.1f}s")
    yield Cluster(env)
    r = subprocess.run([CLUSTER_SH, "stop"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"cluster stop left state behind:\n{r.stdout}\n{r.stderr}"


@pytest.fixture(scope="session")
def busybox_digest(cluster):
    """Digest of the harness's busybox image, flattened into the image dir
    (until the gateway publishes images, the harness does)."""
    r = subprocess.run([CLUSTER_SH, "sqfs", "busybox"], env=cluster.env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    digest = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), digest
    return digest


@pytest.fixture(scope="session")
def busybox_pinned(busybox_digest):
    """The busybox image as a docker reference pinned to its digest."""
    return f"docker:{REGISTRY}/busybox@{busybox_digest}"


@pytest.fixture
def workdir(cluster, tmp_path_factory):
    """A fresh directory owned by the test user, for job output."""
    path = f"/home/{USER}/berth-test-{os.getpid()}-{time.monotonic_ns()}"
    subprocess.run(["runuser", "-u", USER, "--", "mkdir", "-p", path], check=True)
    yield path
    subprocess.run(["rm", "-rf", "--one-file-system", path], check=True)


def derive_image(base_digest, change_root, **meta_changes):
    """A copy of image base_digest in the image directory: its tree unpacked,
    change_root(root) applied, packed again, its metadata with meta_changes.
    Returns the new image's digest."""
    import hashlib
    import json
    import shutil
    import tempfile
    images = os.path.join(LAB, "images")
    work = tempfile.mkdtemp(dir=LAB)
    try:
        root = os.path.join(work, "root")
        subprocess.run(["unsquashfs", "-q", "-d", root, os.path.join(images, f"{base_digest}.sqfs")],
                       check=True, capture_output=True)
        change_root(root)
        sqfs = os.path.join(work, "img.sqfs")
        subprocess.run(["mksquashfs", root, sqfs, "-noappend", "-quiet", "-no-progress"],
                       check=True, capture_output=True)
        with open(sqfs, "rb") as f:
            digest = "sha256:" + hashlib.sha256(f.read()).hexdigest()
        os.chmod(sqfs, 0o644)
        os.rename(sqfs, os.path.join(images, f"{digest}.sqfs"))
        with open(os.path.join(images, f"{base_digest}.json")) as f:
            meta = json.load(f)
        meta.update(meta_changes, digest=digest)
        with open(os.path.join(images, f"{digest}.json"), "w") as f:
            json.dump(meta, f)
        os.chmod(os.path.join(images, f"{digest}.json"), 0o644)
        return digest
    finally:
        shutil.rmtree(work)


@pytest.fixture(scope="session")
def hostile_digest(cluster, busybox_digest):
    """An image made to attack the node: a setuid-root program and a
    symlink /evil -> /etc (image content is untrusted)."""
    import shutil
    probe = os.path.join(BUILDDIR, "testsuite/unit/test_container_tree_probe")
    assert os.path.exists(probe), "build the unit tests first (make check builds them)"

    def plant(root):
        shutil.copy(probe, os.path.join(root, "bin/suid-probe"))
        os.chown(os.path.join(root, "bin/suid-probe"), 0, 0)
        os.chmod(os.path.join(root, "bin/suid-probe"), 0o4755)
        os.symlink("/etc", os.path.join(root, "evil"))
    return derive_image(busybox_digest, plant)
