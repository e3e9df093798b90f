"""MPI inside the image, the ways users launch it, with real MPI libraries:
the MPI test image is Debian 12 with its Open MPI 4.1 and MPICH 4.0 and a
hello program built against each (testsuite/harness/mpi_image.sh).  Every
rank reports its node, the library and an allreduce over all ranks."""
import os
import re
import subprocess

import pytest

from conftest import CLUSTER_SH, USER

RANK = re.compile(r"^rank (\d+) of (\d+) on (\S+) sum (\d+) lib (.*)$", re.M)


@pytest.fixture(scope="module")
def mpi_digest(cluster):
    r = subprocess.run([CLUSTER_SH, "mpi-image"], env=cluster.env, capture_output=True, text=True,
                       timeout=600)
    if r.returncode == 77:
        pytest.skip(r.stderr.strip().splitlines()[-1])
    assert r.returncode == 0, r.stderr[-3000:]
    digest = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), r.stdout
    return digest


def run_mpi(cluster, workdir, args, script, timeout=180):
    job = cluster.sbatch(USER, args + ["-o", f"{workdir}/out", "--wrap", script])
    state = cluster.wait(job, timeout=timeout)
    with open(f"{workdir}/out", errors="replace") as f:
        out = f.read()
    return state, out


def check_ranks(out, size, library):
    ranks = RANK.findall(out)
    assert sorted(int(r[0]) for r in ranks) == list(range(size)), out
    assert {int(r[1]) for r in ranks} == {size}, out
    assert {r[2] for r in ranks} == {"n1", "n2", "n3"}, out   # every node of the job
    assert {int(r[3]) for r in ranks} == {size}, out          # the allreduce went through all
    assert all(r[4].startswith(library) for r in ranks), out


def test_mpich_with_srun_pmi2(cluster, workdir, mpi_digest):
    state, out = run_mpi(cluster, workdir, ["-N3", "-n6", f"--image=id:{mpi_digest}"],
                         "srun --mpi=pmi2 hello.mpich")
    assert state == "COMPLETED", out
    check_ranks(out, 6, "MPICH Version")


def test_openmpi_mpirun_over_the_jobs_sshd(cluster, workdir, mpi_digest):
    """mpirun in a one-task step, no options: ssh to the job's nodes, slots
    from /var/hostsfile (not from the step, which has one task)."""
    state, out = run_mpi(cluster, workdir, ["--exclusive", "-N3", "-n6", f"--image=id:{mpi_digest}"],
                         "srun -N1 -n1 -w n1 mpirun -np 6 hello.openmpi")
    assert state == "COMPLETED", out
    check_ranks(out, 6, "Open MPI v4.1")


def test_mpich_mpiexec_over_the_jobs_sshd(cluster, workdir, mpi_digest):
    """mpiexec (hydra) in a one-task step, no options: not Slurm's bootstrap
    (no srun in the image), the job's nodes from /var/hostsfile.mpich."""
    state, out = run_mpi(cluster, workdir, ["--exclusive", "-N3", "-n6", f"--image=id:{mpi_digest}"],
                         "srun -N1 -n1 -w n1 mpiexec.mpich -n 6 hello.mpich")
    assert state == "COMPLETED", out
    check_ranks(out, 6, "MPICH Version")


def test_openmpi_with_srun_pmix(cluster, workdir, mpi_digest):
    """srun --mpi=pmix: Slurm's PMIx server directory and its shared-memory
    store (in SlurmdSpoolDir) and the client session directory (in TmpFS,
    here not under /tmp) are at their paths in the container: MPI_Init
    works and PMIx prints no errors."""
    plugins = cluster.run(USER, ["srun", "--mpi=list"])
    if "pmix" not in plugins.stdout + plugins.stderr:
        pytest.skip("this Slurm has no mpi/pmix plugin (Debian sid's 26.05 ships none)")
    state, out = run_mpi(cluster, workdir, ["-N3", "-n6", f"--image=id:{mpi_digest}"],
                         "srun --mpi=pmix hello.openmpi")
    assert state == "COMPLETED", out
    assert "PMIX ERROR" not in out and "PMIx ERROR" not in out, out
    check_ranks(out, 6, "Open MPI v4.1")
