"""The per-job sshd (plugstack enable_sshd=1, as the harness configures):
ssh between the nodes of an exclusive --image or --ccm job, as the user,
inside the container; only the job's key logs in; the sshd and what it
started live in the job's cgroups and die with the job; shared jobs get no
sshd and are told why."""
import glob
import itertools
import os
import re
import subprocess
import time

from conftest import LAB, OTHER_USER, SLURM_RELEASE, USER
from test_teardown import ENDED, host_nsfs, wait_clean

STATE = os.path.join(LAB, "berth-state")
NODE_ADDR = {"n1": "10.77.0.11", "n2": "10.77.0.12", "n3": "10.77.0.13"}
BUNDLE = "/.berth/ssh/"   # the sshd runs as ".../ld.so ... /.berth/ssh/bin/sshd" (then retitles itself)


def berth_ssh_pids():
    """The job sshds and their per-connection children."""
    return sorted(set(pids_with(BUNDLE) + pids_with(f"sshd: {USER}")))


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def wait_state(cluster, job, states, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = cluster.job(job).get("JobState")
        if state in states:
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job} not in {states} after {timeout}s: {cluster.job(job)}")


def wait_file(path, pattern, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path) and re.search(pattern, read(path)):
            return read(path)
        time.sleep(0.1)
    raise AssertionError(f"{path}: no {pattern!r} after {timeout}s: "
                         f"{read(path) if os.path.exists(path) else '(missing)'}")


def sshd_pid(node, job):
    text = read(os.path.join(STATE, node, str(job), "sshd.pid"))
    return int(text.split()[0])


def pids_with(needle):
    found = []
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            if needle in read(cmdline).replace("\0", " "):
                found.append(int(cmdline.split("/")[2]))
        except OSError:
            pass
    return found


def memory_cgroup(pid):
    for line in read(f"/proc/{pid}/cgroup").splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return path
    return ""


def job_cgroups(job):
    return glob.glob(f"/sys/fs/cgroup/*/slurm_n*/uid_*/job_{job}")


def user_key(user):
    """The user's berth key (what sbatch makes at submission), made here if
    missing."""
    key = f"/home/{user}/.ssh/berth_id_ed25519"
    if not os.path.exists(key):
        subprocess.run(["runuser", "-u", user, "--", "sh", "-c",
                        f"mkdir -p -m 700 ~/.ssh && ssh-keygen -q -t ed25519 -N '' -f {key}"],
                       check=True)
    return key


def ssh_from_host(user, key, login, node, command):
    return subprocess.run(
        ["runuser", "-u", user, "--", "ssh", "-p", "1204", "-i", key, "-o", "IdentitiesOnly=yes",
         "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5",
         # as the job's own ssh_config: the node's sshd may still be starting
         "-o", "ConnectionAttempts=20", f"{login}@{NODE_ADDR[node]}", command],
        capture_output=True, text=True, timeout=60)


def test_ssh_between_nodes_inside_the_image(cluster, workdir, busybox_pinned):
    script = ("srun -N1 -n1 -w n1 sh -c 'ssh n2 hostname; ssh n3 cat /etc/os-release; "
              "ssh n2 id -un; cat /var/hostsfile; command -v ssh'")
    job = cluster.sbatch(USER, ["--exclusive", "-N3", f"--image={busybox_pinned}", "-o", f"{workdir}/out",
                                "--wrap", script])
    assert cluster.wait(job) == "COMPLETED", read(f"{workdir}/out")
    out = read(f"{workdir}/out")
    lines = out.splitlines()
    assert lines[0] == "n2", out
    assert "ID=berth-busybox" in out, out             # n3's answer comes from inside the image
    assert USER in lines, out
    for node in ("n1", "n2", "n3"):
        assert f"{node} slots=" in out, out
    assert "/usr/bin/ssh" in lines, out
    # the key was made at submission, 0600, in the user's home
    key = f"/home/{USER}/.ssh/berth_id_ed25519"
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert os.stat(key).st_uid == int(subprocess.check_output(["id", "-u", USER]))


def test_mpi_launchers_need_no_options(cluster, workdir, busybox_pinned):
    """An exclusive job's tasks find what mpirun (Open MPI 4/5) and mpiexec
    (MPICH, Intel MPI) need to launch over ssh on the job's nodes: the
    launchers' variables, a hostfile in each syntax, the node names in
    /etc/hosts; a value the job sets itself wins."""
    script = ("export HYDRA_LAUNCHER=mine\n"
              "srun -N1 -n1 -w n1 sh -c 'env | grep -E \"^(OMPI|PRTE|HYDRA|I_MPI)_\" | sort; "
              "cat /var/hostsfile /var/hostsfile.mpich; grep -E \" n[123]$\" /etc/hosts'")
    job = cluster.sbatch(USER, ["--exclusive", "-N3", "-n6", f"--image={busybox_pinned}",
                                "-o", f"{workdir}/out", "--wrap", script])
    assert cluster.wait(job) == "COMPLETED", read(f"{workdir}/out")
    out = read(f"{workdir}/out").splitlines()
    for line in ("OMPI_MCA_plm=rsh", "OMPI_MCA_ras=^slurm", "OMPI_MCA_orte_default_hostfile=/var/hostsfile",
                 "PRTE_MCA_plm=ssh", "PRTE_MCA_prte_default_hostfile=/var/hostsfile",
                 "HYDRA_HOST_FILE=/var/hostsfile.mpich", "I_MPI_HYDRA_BOOTSTRAP=ssh",
                 "HYDRA_BOOTSTRAP=ssh",                      # over Slurm's own "slurm" (23.11+)
                 "HYDRA_LAUNCHER=mine",                      # the job's own value is kept
                 "n1 slots=2", "n3 slots=2", "n1:2", "n2:2", "n3:2"):
        assert line in out, (line, out)
    # Slurm's --external-launcher would be passed to ssh
    assert not [line for line in out if "EXTRA_ARGS=" in line], out
    for node, addr in NODE_ADDR.items():
        assert f"{addr} {node}" in out, out


def test_only_the_jobs_key_logs_in(cluster, workdir, busybox_pinned):
    job = cluster.sbatch(USER, ["--exclusive", "-N2", "-w", "n1,n2", f"--image={busybox_pinned}",
                                "-o", f"{workdir}/out", "--wrap", "echo up; sleep 60"])
    try:
        wait_state(cluster, job, ("RUNNING",))
        wait_file(f"{workdir}/out", "up")
        own = ssh_from_host(USER, f"/home/{USER}/.ssh/berth_id_ed25519", USER, "n2", "cat /etc/os-release")
        assert own.returncode == 0 and "ID=berth-busybox" in own.stdout, own   # the control
        bob_key = user_key(OTHER_USER)
        for login in (USER, OTHER_USER, "root"):
            r = ssh_from_host(OTHER_USER, bob_key, login, "n2", "id")
            assert r.returncode != 0 and "Permission denied" in r.stderr, (login, r)
        log = read(os.path.join(STATE, "n2", str(job), "sshd.log"))
        assert "Accepted publickey for alice" in log, log
        assert "Accepted publickey for bob" not in log, log
    finally:
        cluster.run("root", ["scancel", str(job)])
        cluster.wait(job)


def run_with_ssh_sleep(cluster, workdir, busybox_pinned, cancel):
    """A job whose task starts `sleep 777` on n2 through ssh; checks the
    cgroups while it runs, then that nothing is left once it ended."""
    nsfs = host_nsfs()
    script = ("srun -N1 -n1 -w n1 ssh n2 'sleep 777 >/dev/null 2>&1 </dev/null &'; "
              "echo started; sleep " + ("120" if cancel else "3"))
    job = cluster.sbatch(USER, ["--exclusive", "-N2", "-w", "n1,n2", f"--image={busybox_pinned}",
                                "-o", f"{workdir}/out", "--wrap", script])
    wait_file(f"{workdir}/out", "started")
    sshd = sshd_pid("n2", job)
    assert BUNDLE in read(f"/proc/{sshd}/cmdline").replace("\0", " ")
    assert os.stat(f"/proc/{sshd}").st_uid == int(subprocess.check_output(["id", "-u", USER]))
    assert re.search(rf"/job_{job}/step_extern$", memory_cgroup(sshd)), memory_cgroup(sshd)
    sleeps = pids_with("sleep 777")
    assert sleeps, "the sleep started through ssh is not running"
    for pid in sleeps:
        assert re.search(rf"/job_{job}/step_extern$", memory_cgroup(pid)), memory_cgroup(pid)
    if cancel:
        cluster.run("root", ["scancel", str(job)])
    assert cluster.wait(job) in ENDED
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (pids_with("sleep 777") or berth_ssh_pids() or job_cgroups(job)):
        time.sleep(0.1)
    assert not pids_with("sleep 777"), "a process started through ssh outlived the job"
    assert not berth_ssh_pids(), f"an sshd outlived the job: {berth_ssh_pids()}"
    assert not job_cgroups(job), job_cgroups(job)
    assert wait_clean(nsfs) == {}
    findmnt = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True).stdout
    assert LAB not in findmnt, findmnt


def test_sshd_and_its_sessions_end_with_the_job(cluster, workdir, busybox_pinned):
    run_with_ssh_sleep(cluster, workdir, busybox_pinned, cancel=False)


def test_sshd_and_its_sessions_end_on_scancel(cluster, workdir, busybox_pinned):
    run_with_ssh_sleep(cluster, workdir, busybox_pinned, cancel=True)


def test_shared_allocation_gets_no_sshd_and_says_why(cluster, workdir, busybox_pinned):
    job = cluster.sbatch(USER, ["-N1", "-w", "n3", f"--image={busybox_pinned}", "-o", f"{workdir}/out",
                                "--wrap", "srun sh -c 'ssh n3 true; echo rc=$?'"])
    assert cluster.wait(job) == "COMPLETED", read(f"{workdir}/out")
    out = read(f"{workdir}/out")
    assert "berth: no sshd: the allocation is shared with other jobs" in out, out
    assert "--exclusive" in out and "rc=255" in out, out
    log = cluster.log("slurmd", "n3")
    assert f"job {job}: sshd" not in log and f"job {job}: no sshd: the allocation is shared" in log


def test_prolog_decides_without_slurmctld_where_slurmd_tells(cluster, workdir, busybox_pinned):
    """From Slurm 23.02 slurmd gives the prolog the job's sharing, nodes and
    task count (from the job's credential), and the node addresses are in
    slurm.conf (read by berth where the prolog process has no node table of
    Slurm's, 24.11+): a shared job, and exclusive ones with or without a task
    count, get their sshd decision and host list with no slurmctld lookup
    (24.11.5's slurmctld at times took 5 s to accept one, and every --image
    job's start waited for it).  22.05 tells the prolog none of it: there
    berth asks slurmctld, with the same result."""
    marks = {node: cluster.log_mark("slurmd", node) for node in NODE_ADDR}
    show = "srun -N1 -n1 -w n1 cat /var/hostsfile /var/hostsfile.mpich"
    # -n5: 5 tasks on 3 nodes; without a task count one a node, as slurmctld
    # says (NumTasks is then the node count) and srun starts
    counts = {"ntasks": (["-n5"], (2, 2, 1)), "ntasks-per-node": (["--ntasks-per-node=2"], (2, 2, 2)),
              "no-count": ([], (1, 1, 1)), "cpus-per-task": (["-c2"], (1, 1, 1))}
    exclusive = {name: cluster.sbatch(USER, ["--exclusive", "-N3", *opts, f"--image={busybox_pinned}",
                                             "-o", f"{workdir}/{name}", "--wrap", show])
                 for name, (opts, _) in counts.items()}
    shared = cluster.sbatch(USER, ["-N1", "-w", "n3", f"--image={busybox_pinned}", "-o", f"{workdir}/shared",
                                   "--wrap", "true"])
    for name, job in exclusive.items():
        assert cluster.wait(job) == "COMPLETED", read(f"{workdir}/{name}")
    assert cluster.wait(shared) == "COMPLETED", read(f"{workdir}/shared")
    for name, (_, slots) in counts.items():
        out = read(f"{workdir}/{name}").splitlines()
        for node, n in zip(("n1", "n2", "n3"), slots):
            for line in (f"{node} slots={n}", f"{node}:{n}"):
                assert line in out, (name, line, out)
    logs = {node: cluster.log_since(mark) for node, mark in marks.items()}
    assert f"job {shared}: no sshd: the allocation is shared" in logs["n3"], logs["n3"][-3000:]
    jobs = "|".join(str(job) for job in [*exclusive.values(), shared])
    asked = sorted(node for node, text in logs.items()
                   if re.search(rf"job_prolog: job ({jobs}): "
                                r"(slurmctld lookups|node addresses from slurmctld) in", text))
    if SLURM_RELEASE >= (23, 2):
        assert asked == [], {node: logs[node][-3000:] for node in asked}
        for (node, text), job in itertools.product(logs.items(), exclusive.values()):
            assert f"job_prolog: job {job}: nodes and tasks from slurmd's environment" in text, \
                (node, job, text[-3000:])
    else:
        assert asked == ["n1", "n2", "n3"], asked


def test_ccm_batch_script_runs_in_the_host_system_with_ssh(cluster, workdir):
    script = "cat /etc/os-release; cat /var/hostsfile; ssh n2 hostname; ssh n3 cat /etc/os-release"
    job = cluster.sbatch(USER, ["--ccm", "--exclusive", "-N3", "-o", f"{workdir}/out", "--wrap", script])
    assert cluster.wait(job) == "COMPLETED", read(f"{workdir}/out")
    out = read(f"{workdir}/out")
    host = read("/etc/os-release")
    pretty = re.search(r"^PRETTY_NAME=.*$", host, re.M).group(0)
    assert out.count(pretty) == 2, out                  # n1's script and n3 over ssh
    assert "n1 slots=" in out and "n2\n" in out, out      # /var/hostsfile exists only in the container


def test_ccm_with_image_is_refused(cluster, busybox_pinned):
    r = cluster.run(USER, ["sbatch", "--ccm", f"--image={busybox_pinned}", "--wrap", "true"])
    assert r.returncode != 0
    assert "--ccm and --image cannot be used together" in r.stderr, r.stderr


def test_salloc_ccm_steps_land_in_the_container(cluster):
    r = cluster.run(USER, ["salloc", "--ccm", "--exclusive", "-N2", "-w", "n1,n2", "srun", "-N2", "sh", "-c",
                           "test -e /var/hostsfile && echo in-ccm-$(hostname)"], timeout=120)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split()) == ["in-ccm-n1", "in-ccm-n2"], (r.stdout, r.stderr)
