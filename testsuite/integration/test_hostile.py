"""What a hostile user tried, and must not get: no value a job sends can
fail the prolog (Slurm would drain the node); root creates no mount point
on a host filesystem for a user."""
import os
import pytest

from conftest import LAB, USER
from test_submit import raw_submit  # noqa: F401  (fixture)

STATE = os.path.join(LAB, "berth-state")
QUOTED_KEY = 'ssh-ed25519" AAAAC3NzaC1lZDI1NTE5AAAAIFvPq0Tq9yN9Dn8cN6 "x'


def node_states(cluster):
    out = cluster.run("root", ["sinfo", "-h", "-N", "-o", "%N %T"]).stdout
    return dict(line.split() for line in out.splitlines() if line.strip())


def undrain(cluster, states):
    for node, state in states.items():
        if "drain" in state or "down" in state:
            cluster.run("root", ["scontrol", "update", f"nodename={node}", "state=resume"])


@pytest.mark.parametrize("entries,reason", [
    ([f"BERTH_SSH_PUBKEY={QUOTED_KEY}"], 'no sshd: ssh public key: unknown key type "ssh-ed25519""'),
    (['BERTH_SSH_PUBKEY=ssh-rsa\n"', 'BERTH_IMAGE_REQUEST="x\ny=z"'],
     "no sshd: ssh public key has a control character"),
])
def test_hostile_values_do_not_drain(cluster, raw_submit, busybox_digest, entries, reason):  # noqa: F811
    """A raw libslurm submission (no client checks) with a hostile
    BERTH_SSH_PUBKEY: the job runs without sshd, says why, and no node drains
    (before the fix: "Prolog error", node drained)."""
    r = cluster.run(USER, [raw_submit, f"_SLURM_SPANK_OPTION_berth_image=id:{busybox_digest}"] + entries)
    assert r.returncode == 0, r.stderr
    job = int(r.stdout.split()[-1])
    try:
        state = cluster.wait(job)
        states = node_states(cluster)
        assert all("drain" not in s and "down" not in s for s in states.values()), states
        assert state == "COMPLETED", cluster.job(job)
        node = cluster.job(job)["NodeList"]
        assert f"berth: job_prolog: job {job}: {reason}\n" in cluster.log("slurmd", node)
    finally:
        undrain(cluster, node_states(cluster))
