"""auto_pull = yes (berth.conf on the controller): a tag the gateway does not
know is pulled on the user's behalf and the job is still refused, with the
'pulling, resubmit' message; once the image is READY the same submission is
accepted.  The controller reads berth.conf when job_submit/berth loads, so
the fixture reloads the plugin (JobSubmitPlugins off and on again through
scontrol reconfigure) and puts everything back afterwards."""
import os
import re
import time

import pytest

from conftest import LAB, REGISTRY, USER
from gateway_util import gw, pull_ready, push, write_atomic


def reload_job_submit(cluster, text):
    conf = cluster.slurm_conf
    write_atomic(conf, re.sub(r"^JobSubmitPlugins=.*$", "#JobSubmitPlugins off", text, flags=re.M))
    assert cluster.run("root", ["scontrol", "reconfigure"]).returncode == 0
    write_atomic(conf, text)
    assert cluster.run("root", ["scontrol", "reconfigure"]).returncode == 0


@pytest.fixture(scope="module")
def auto_pull(cluster):
    berth_conf = os.path.join(LAB, "etc/berth.conf")
    with open(berth_conf) as f:
        original = f.read()
    with open(cluster.slurm_conf) as f:
        slurm_conf = f.read()
    # slurmd and sbatch read berth.conf too: replaced in one rename
    write_atomic(berth_conf, original + "auto_pull = yes\n")
    try:
        reload_job_submit(cluster, slurm_conf)
        yield cluster
    finally:
        write_atomic(berth_conf, original)
        reload_job_submit(cluster, slurm_conf)


def test_unknown_tag_is_pulled_and_refused_until_ready(auto_pull):
    cluster = auto_pull
    image = f"docker:{REGISTRY}/autopull:latest"
    push("busybox", "autopull:latest")
    status, _ = gw(USER, "POST", "/api/v1/lookup", {"ref": image})
    assert status == 404, "the gateway must not know the image before the test"
    before = cluster.job_ids()
    r = cluster.run(USER, ["sbatch", f"--image={image}", "--wrap", "true"])
    assert r.returncode != 0
    lines = [line for line in r.stderr.splitlines() if "error: berth: " in line]
    assert lines == [f"sbatch: error: berth: image {image}: pulling, resubmit when "
                     "`berth images` shows READY"], r.stderr
    assert cluster.job_ids() == before
    # the controller started the pull: it becomes READY without anyone else pulling
    deadline = time.monotonic() + 60
    while True:
        status, rec = gw(USER, "POST", "/api/v1/lookup", {"ref": image})
        if status == 200 and rec["status"] == "READY":
            break
        assert time.monotonic() < deadline, (status, rec)
        time.sleep(0.2)
    job = cluster.sbatch(USER, ["--hold", f"--image={image}", "--wrap", "true"])
    cluster.run("root", ["scancel", str(job)])
    assert cluster.job(job).get("AdminComment") == f"image={image}@{rec['digest']}"


def test_tag_missing_from_registry_is_refused_as_unknown(auto_pull):
    image = f"docker:{REGISTRY}/autopull:no-such-tag"
    r = auto_pull.run(USER, ["sbatch", f"--image={image}", "--wrap", "true"])
    assert r.returncode != 0
    lines = [line for line in r.stderr.splitlines() if "error: berth: " in line]
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f'sbatch: error: berth: image "{image}" is not known to the image gateway')
    assert "(auto_pull failed: " in lines[0], lines[0]


def test_ready_image_needs_no_pull(auto_pull):
    image = f"docker:{REGISTRY}/multilayer:latest"
    digest = pull_ready(USER, image)
    job = auto_pull.sbatch(USER, ["--hold", f"--image={image}", "--wrap", "true"])
    auto_pull.run("root", ["scancel", str(job)])
    assert auto_pull.job(job).get("AdminComment") == f"image={image}@{digest}"
