"""The three plugins load cleanly in a real 3-node cluster and an --image
job runs on all nodes."""
import re

import pytest

from conftest import BUSYBOX, USER

# An error line from one of berth's plugins (not merely a path with "berth" in it).
PLUGIN_ERROR = re.compile(r".*error: .*(berth: |job_submit/berth|job_container/berth|namespace/berth|berth\.so).*")
# job_container/berth up to Slurm 25.05, namespace/berth from 25.11
NODE_PLUGIN = r"(job_container|namespace)/berth"
# the first line a job's slurmstepd writes: the start-up part of slurmd's log ends there
FIRST_STEP_LINE = re.compile(r"\[\d+\.(extern|batch|\d+)\]")


def test_three_node_job_with_image(cluster, workdir, busybox_pinned):
    job = cluster.sbatch(USER, ["-N3", f"--image={busybox_pinned}", "-o", f"{workdir}/out",
                                "--wrap", "srun hostname"])
    assert cluster.wait(job) == "COMPLETED"
    with open(f"{workdir}/out") as f:
        hosts = sorted(f.read().split())
    assert len(hosts) == 3 and len(set(hosts)) == 3, hosts
    assert cluster.job(job)["NodeList"] == "n[1-3]"


def test_job_runs_as_the_user(cluster, workdir, busybox_pinned):
    job = cluster.sbatch(USER, [f"--image={busybox_pinned}", "-o", f"{workdir}/out", "--wrap", "srun id -un"])
    assert cluster.wait(job) == "COMPLETED"
    with open(f"{workdir}/out") as f:
        assert f.read().strip() == USER


def test_job_submit_plugin_loaded(cluster):
    log = cluster.log("slurmctld").split("berth: job_submit: ")[0]
    assert "berth: job_submit/berth loaded" in log
    assert "berth: config: image_dir=" in log
    assert not PLUGIN_ERROR.findall(log)


@pytest.mark.parametrize("node", ["n1", "n2", "n3"])
def test_job_container_plugin_loaded(cluster, node):
    # the start-up part of the log: later tests make jobs fail on purpose
    log = FIRST_STEP_LINE.split(cluster.log("slurmd", node), maxsplit=1)[0]
    assert re.search(f"berth: {NODE_PLUGIN} loaded", log), log[-2000:]
    assert re.search(f"berth: {NODE_PLUGIN}: restore dir=", log), log[-2000:]
    assert not PLUGIN_ERROR.findall(log)
