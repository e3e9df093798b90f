"""The SPANK plugin's options in sbatch/salloc/srun: registered, validated
client-side, rejected at once with a one-line reason, and no job created."""
import time

import pytest

from conftest import BUSYBOX, USER

COMMANDS = {
    "sbatch": ["sbatch", "--wrap", "true"],
    "salloc": ["salloc", "true"],
    "srun": ["srun", "true"],
}


@pytest.mark.parametrize("command", ["sbatch", "salloc", "srun"])
def test_options_in_help(cluster, command):
    r = cluster.run(USER, [command, "--help"])
    assert r.returncode == 0
    for text in ["--image=IMAGE", "--volume=SRC:DST[:ro|rw|rec]", "--module=NAME[,NAME...]", "--ccm"]:
        assert text in r.stdout, f"{text} missing from {command} --help"


# (option arguments, the reason berth must print)
BAD_OPTIONS = [
    (["--image=Ubuntu:22.04"], 'berth: --image: repository "Ubuntu": must be lowercase'),
    (["--image=docker:"], "berth: --image: "),
    (["--image=busybox@sha256:1234"], "berth: --image: digest"),
    (["--image=id:xyz"], "berth: --image: "),
    (["--image=local:relative/path"], "berth: --image: "),
    ([f"--image={BUSYBOX}", "--volume=relative:/data"], 'berth: --volume: '),
    ([f"--image={BUSYBOX}", "--volume=/tmp/../etc:/data"], 'berth: --volume: '),
    ([f"--image={BUSYBOX}", "--volume=/tmp:/data:bogus"], 'berth: --volume: '),
    ([f"--image={BUSYBOX}", "--volume=/tmp:/data", "--volume=/var/tmp:/data"], 'berth: --volume: '),
    ([f"--image={BUSYBOX}", "--volume=/tmp:"], 'berth: --volume: '),
    (["--volume=/tmp:/data"], "berth: --volume needs --image (or --ccm)"),
    ([f"--image={BUSYBOX}", "--module=bad name"], "berth: --module: "),
    (["--ccm", f"--image={BUSYBOX}"], "berth: --ccm and --image cannot be used together"),
]


@pytest.mark.parametrize("command", ["sbatch", "srun", "salloc"])
@pytest.mark.parametrize("args,reason", BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_bad_option_fails_at_once(cluster, command, args, reason):
    before = cluster.job_ids()
    argv = COMMANDS[command]
    t0 = time.monotonic()
    r = cluster.run(USER, argv[:1] + args + argv[1:], timeout=30)
    elapsed = time.monotonic() - t0
    assert r.returncode != 0
    lines = [line for line in r.stderr.splitlines() if "error: berth: " in line]
    assert lines, f"no berth reason in: {r.stderr}"
    assert reason in lines[0], f"expected {reason!r}, got {lines}"
    assert len(lines) == 1, f"the reason must be one line: {lines}"
    assert elapsed < 5, f"{command} took {elapsed:.1f}s to refuse"
    assert cluster.job_ids() == before, "a rejected command created a job"


def test_good_options_pass_client_checks(cluster, workdir, busybox_pinned):
    """The same options, well-formed, are accepted (so the test above can fail)."""
    job = cluster.sbatch(USER, [f"--image={busybox_pinned}", f"--volume={workdir}:/data:ro",
                                "--volume=/var/tmp:/scratch", "--module=mpich,gpu",
                                "-o", f"{workdir}/out", "--wrap", "true"])
    assert cluster.wait(job) == "COMPLETED"
