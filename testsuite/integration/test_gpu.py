"""GPUs through CDI, chosen by Slurm's GRES: the harness's fake GPUs
(lib.sh write_fake_gpus: GRES gpu backed by character devices berth's test
setup makes, a CDI spec of the kind berthlab.test/gpu with a fake driver
library directory, env and a hook that records its stdin)."""
import json
import os
import re
import time

from conftest import LAB, USER


def run_job(cluster, workdir, args, script, timeout=60):
    job = cluster.sbatch(USER, args + ["-o", f"{workdir}/out", "--wrap", script])
    state = cluster.wait(job, timeout=timeout)
    with open(f"{workdir}/out") as f:
        return job, state, f.read()


SHOW = ("ls /dev | grep fakegpu; cat /usr/lib/fake-driver/libfakegpu.so.1; "
        "echo D=$FAKE_GPU_DRIVER C=$CUDA_VISIBLE_DEVICES N=$NVIDIA_VISIBLE_DEVICES; "
        "stat -c T=%t:%T /dev/fakegpu*")


def test_gpu_step_sees_its_device_mount_env_and_hook(cluster, workdir, busybox_digest):
    job, state, out = run_job(cluster, workdir, ["--gres=gpu:1", "--mem=100", f"--image=id:{busybox_digest}"],
                              f"srun sh -c '{SHOW}'")
    assert state == "COMPLETED", out
    devices = re.findall(r"^fakegpu\d$", out, re.M)
    assert len(devices) == 1, out
    assert "fake driver library" in out, out
    assert "D=1.0 C=0 N=" in out, out
    assert "T=1:3" in out, out
    index = devices[0][-1]
    assert f"N={index}" in out, out
    # the hook ran once for step 0 with the step's container root
    with open(f"{LAB}/cdi-hooks/{job}.0.json") as f:
        oci_state = json.load(f)
    assert oci_state["id"] == f"{job}.0"
    assert re.search(rf"/{job}/step\.0/root$", oci_state["root"]), oci_state
    assert oci_state["ociVersion"] and oci_state["pid"] > 0


def test_two_jobs_on_one_node_see_different_gpus(cluster, workdir, busybox_digest):
    jobs = []
    for i in range(2):
        jobs.append(cluster.sbatch(USER, ["-w", "n1", "--gres=gpu:1", "--mem=100", "-o", f"{workdir}/out{i}",
                                          f"--image=id:{busybox_digest}", "--wrap",
                                          "srun sh -c 'ls /dev | grep fakegpu; sleep 4'"]))
    outs = []
    for i, job in enumerate(jobs):
        assert cluster.wait(job, timeout=90) == "COMPLETED"
        with open(f"{workdir}/out{i}") as f:
            outs.append(f.read().split())
    assert len(outs[0]) == 1 and len(outs[1]) == 1, outs
    assert outs[0] != outs[1], outs
    # they overlapped: Slurm gave each its own GPU
    starts = [cluster.job(j).get("StartTime") for j in jobs]
    ends = [cluster.job(j).get("EndTime") for j in jobs]
    assert starts[1] < ends[0] and starts[0] < ends[1], (starts, ends)


def test_two_steps_of_one_job_each_see_theirs(cluster, workdir, busybox_digest):
    script = ("srun --gres=gpu:1 --mem=50 -n1 --exact sh -c 'ls /dev | grep fakegpu; sleep 3' > "
              f"{workdir}/a & srun --gres=gpu:1 --mem=50 -n1 --exact sh -c 'ls /dev | grep fakegpu; sleep 3' > "
              f"{workdir}/b & wait")
    _, state, out = run_job(cluster, workdir, ["--gres=gpu:2", "-n2", "--mem=200",
                                               f"--image=id:{busybox_digest}"], script, timeout=90)
    assert state == "COMPLETED", out
    with open(f"{workdir}/a") as fa, open(f"{workdir}/b") as fb:
        a, b = fa.read().split(), fb.read().split()
    assert len(a) == 1 and len(b) == 1 and a != b, (a, b, out)


def test_step_with_gres_zero_sees_none(cluster, workdir, busybox_digest):
    _, state, out = run_job(cluster, workdir, ["--gres=gpu:1", "--mem=100", f"--image=id:{busybox_digest}"],
                            "srun --gres=gpu:0 sh -c 'echo n=$(ls /dev | grep -c fakegpu); "
                            "ls /usr/lib/fake-driver 2>&1 | head -1'")
    assert state == "COMPLETED", out
    assert "n=0" in out, out
    assert "No such file" in out, out


def test_job_without_gres_sees_none(cluster, workdir, busybox_digest):
    _, state, out = run_job(cluster, workdir, ["--mem=100", f"--image=id:{busybox_digest}"],
                            "srun sh -c 'echo n=$(ls /dev | grep -c fakegpu)'")
    assert state == "COMPLETED", out
    assert "n=0" in out, out


def test_device_option_names_a_cdi_device(cluster, workdir, busybox_digest):
    r = cluster.run(USER, ["srun", "--mem=100", f"--image=id:{busybox_digest}", "--device=berthlab.test/gpu=1",
                           "sh", "-c", "ls /dev | grep fakegpu"], timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["fakegpu1"], r.stdout


def test_device_option_refused_kind(cluster, busybox_digest):
    r = cluster.run(USER, ["srun", "--mem=100", f"--image=id:{busybox_digest}", "--device=other.test/x=1",
                           "true"], timeout=60)
    assert r.returncode != 0
    assert ('--device: CDI device "other.test/x=1": this site lets users name no devices of that kind '
            "(berth.conf cdi_user_kinds)") in r.stderr, r.stderr


def test_device_option_unknown_device_fails_the_step(cluster, busybox_digest):
    r = cluster.run(USER, ["srun", "--mem=100", f"--image=id:{busybox_digest}", "--device=berthlab.test/gpu=7",
                           "true"], timeout=60)
    assert r.returncode != 0
    assert 'CDI device "berthlab.test/gpu=7" not found in any spec' in r.stderr, r.stderr


def test_device_option_needs_image(cluster):
    r = cluster.run(USER, ["srun", "--mem=100", "--device=berthlab.test/gpu=1", "true"], timeout=60)
    assert r.returncode != 0
    assert "--device needs --image" in r.stderr, r.stderr
