"""srun --entrypoint: the image's Entrypoint runs with the step's command as
its arguments (Docker's `docker run IMAGE CMD...`); --entrypoint=image runs
Entrypoint + Cmd (`docker run IMAGE`).  Without the option the command runs
as it is.  Arguments keep their bytes: spaces, quotes, empty strings."""
import os

import pytest

from conftest import USER, derive_image

# prints each argument in brackets, $0 included: what the exec really got
ENTRYPOINT = ["/bin/sh", "-c", "printf 'entry'; printf '[%s]' \"$0\" \"$@\"; echo", "e p"]
CMD = ["default", "it's a \"cmd\"", ""]


def variant(name):
    def mark(root):
        with open(os.path.join(root, "etc/berth-variant"), "w") as f:
            f.write(name + "\n")
    return mark


@pytest.fixture(scope="session")
def entry_image(cluster, busybox_digest):
    return derive_image(busybox_digest, variant("entrypoint"), entrypoint=ENTRYPOINT, cmd=CMD)


@pytest.fixture(scope="session")
def cmd_only_image(cluster, busybox_digest):
    return derive_image(busybox_digest, variant("cmd-only"), entrypoint=[], cmd=["echo", "cmd only"])


@pytest.fixture(scope="session")
def wrapper_image(cluster, busybox_digest):
    """An Entrypoint that execs its arguments, as most real ones end."""
    return derive_image(busybox_digest, variant("wrapper"), entrypoint=["/bin/sh", "-c", 'exec "$@"', "wrap"],
                        cmd=[])


def run_job(cluster, workdir, image, script, nodes=1):
    job = cluster.sbatch(USER, [f"-N{nodes}", f"--image=id:{image}", "-o", f"{workdir}/out", "--wrap", script])
    state = cluster.wait(job, timeout=60)
    with open(f"{workdir}/out") as f:
        return state, f.read()


def test_entrypoint_gets_the_command(cluster, workdir, entry_image):
    state, out = run_job(cluster, workdir, entry_image,
                         "srun --entrypoint echo 'a b' '' \"q'uote\"; srun --entrypoint=args id -un")
    assert state == "COMPLETED", out
    lines = out.splitlines()
    assert lines[0] == "entry[e p][echo][a b][][q'uote]", out
    assert lines[1] == f"entry[e p][id][-un]", out


def test_entrypoint_image_runs_entrypoint_and_cmd(cluster, workdir, entry_image):
    state, out = run_job(cluster, workdir, entry_image, "srun --entrypoint=image true", nodes=2)
    assert state == "COMPLETED", out
    assert out.splitlines() == ['entry[e p][default][it\'s a "cmd"][]'] * 2, out


def test_without_the_option_the_command_runs(cluster, workdir, entry_image):
    state, out = run_job(cluster, workdir, entry_image, "srun echo plain; srun env")
    assert state == "COMPLETED", out
    assert out.splitlines()[0] == "plain", out
    assert "BERTH_ENTRYPOINT" not in out, out


def test_environment_is_clean_and_exit_code_kept(cluster, workdir, wrapper_image):
    state, out = run_job(cluster, workdir, wrapper_image,
                         "srun --entrypoint env | grep -c -e BERTH_ENTRYPOINT -e ^BERTH_TEST_IMAGE=; "
                         "srun --entrypoint sh -c 'exit 7'; echo rc=$?")
    # the image's own variable is there, berth's two are not
    assert out.splitlines()[0] == "1", out
    assert "rc=7" in out, out
    assert state == "COMPLETED", out


def test_no_entrypoint_image(cluster, workdir, cmd_only_image):
    """No Entrypoint: --entrypoint changes nothing; =image runs Cmd."""
    state, out = run_job(cluster, workdir, cmd_only_image,
                         "srun --entrypoint echo as-is; srun --entrypoint=image true")
    assert state == "COMPLETED", out
    assert out.splitlines() == ["as-is", "cmd only"], out


def test_bad_value_refused(cluster, workdir, entry_image):
    r = cluster.run(USER, ["srun", f"--image=id:{entry_image}", "--entrypoint=bogus", "true"], cwd=workdir)
    assert r.returncode != 0
    assert 'berth: --entrypoint: expected no value, "args" or "image", got "bogus"' in r.stderr, r.stderr


def test_program_is_read_only(cluster, workdir, entry_image):
    state, out = run_job(cluster, workdir, entry_image,
                         "srun sh -c 'ls -l /.berth/entrypoint; echo x >> /.berth/entrypoint || echo refused'")
    assert "refused" in out, out


def test_step_image_has_it_too(cluster, workdir, busybox_digest, entry_image):
    """A step's own container (srun --image inside a job) is built the same way."""
    state, out = run_job(cluster, workdir, busybox_digest,
                         f"srun --image=id:{entry_image} --entrypoint echo step")
    assert state == "COMPLETED", out
    assert out.splitlines() == ["entry[e p][echo][step]"], out
