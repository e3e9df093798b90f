"""The client side against the real berth-gatewayd: the `berth` helper
(pull, images, lookup, login/logout, expire, import; exit codes and
messages) run as ordinary users, and the Lua module's berth.resolve.  A
private munged, real docker-registry instances (conftest.py), the daemon
as an unprivileged user (gatewayd.py).  Needs root; skips otherwise."""
import os
import pty
import pwd
import re
import select
import signal
import shutil
import stat
import subprocess
import tarfile
import time

import pytest

from conftest import Layout, daemon_user_or_skip, skopeo_push
from gatewayd import Gatewayd, free_port, TEST_USERS, skip_reason, user_copy
from servers import Registry

TOOL = os.environ.get("BERTH_REGISTRY_TOOL", "")
BUILDDIR = os.path.dirname(os.path.dirname(os.path.dirname(TOOL))) if TOOL else ""
GATEWAYD = os.path.join(BUILDDIR, "gateway", "berth-gatewayd")
BERTH = os.path.join(BUILDDIR, "helper", "berth")
LUA_MODULE_DIR = os.path.join(BUILDDIR, "lua", ".libs")
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


if skip_reason(GATEWAYD, BERTH):
    pytest.skip(skip_reason(GATEWAYD, BERTH), allow_module_level=True)
BERTH = user_copy(BERTH)   # run as alice and bob


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def dying_port():
    """The port of a registry a test stops in the middle of a pull."""
    return free_port()


@pytest.fixture(scope="module")
def gw(gwdir, munged, plain_registry, basic_registry, dying_port):
    daemon = Gatewayd(GATEWAYD, os.path.join(gwdir, "gw"), daemon_user_or_skip(), munged, {
        "trusted_proxy_uids": "root",
        "insecure_registries": f"{plain_registry.host},{basic_registry.host},127.0.0.1:{dying_port}",
        "registry_allow": f"{plain_registry.host},{basic_registry.host},127.0.0.1:{dying_port}",
        "workers": "2", "http_threads": "4", "retries": "0",
        "proxy_socket": os.path.join(gwdir, "gw", "state", "gateway.sock")})
    daemon.socket = os.path.join(daemon.state_dir, "gateway.sock")
    os.makedirs(daemon.dir, exist_ok=True)
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def homes(gwdir, gw):
    """A fresh HOME per user (logins are kept there); "conf" is a berth.conf
    with the daemon's image dir (gateway_url is not used: BERTH_GATEWAY)."""
    paths = {"conf": os.path.join(gwdir, "berth.conf")}
    with open(paths["conf"], "w") as f:
        f.write(f"image_dir = {gw.image_dir}\ngateway_url = http://127.0.0.1:1\n")
    os.chmod(paths["conf"], 0o644)
    for name in list(TEST_USERS) + ["root"]:
        pw = pwd.getpwnam(name)
        home = os.path.join(gwdir, "home", name)
        os.makedirs(home)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        os.chmod(home, 0o700)
        paths[name] = home
    return paths


@pytest.fixture(scope="module")
def images(layout, plain_registry):
    """Images only these tests pull (fresh layers: nothing cached)."""
    def unique(tag, n, size=50000):
        layout.add_image(tag, [{f"data/{tag}-{i}.bin": os.urandom(size + i)} for i in range(n)])
        skopeo_push(layout, tag, f"{plain_registry.host}/{tag}:v1")
        return {"ref": f"docker:{plain_registry.host}/{tag}:v1", "digest": layout.descriptor(tag)["digest"]}
    return {"simple": {"ref": f"docker:{plain_registry.host}/simple:v1",
                       "digest": layout.descriptor("simple")["digest"]},
            "expire": unique("clexpire", 1), "big": unique("clbig", 3, 16 << 20),
            "tty": unique("cltty", 2, 8 << 20), "intr": unique("clintr", 2, 16 << 20)}


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return f"Run(rc={self.rc}, out={self.out!r}, err={self.err!r})"


def env_for(gw, munged, homes, user, extra=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": homes[user], "LANG": "C.UTF-8",
           "BERTH_GATEWAY": f"http://127.0.0.1:{gw.port}", "BERTH_MUNGE_SOCKET": munged.socket,
           "BERTH_CONF": homes["conf"],
           # the gateway must not be reached through a proxy
           "http_proxy": "http://127.0.0.1:1", "HTTP_PROXY": "http://127.0.0.1:1"}
    env.update(extra or {})
    return env


def berth(gw, munged, homes, *args, user="alice", stdin=None, env=None, timeout=120):
    pw = pwd.getpwnam(user)
    # a new session: no controlling terminal to prompt on
    proc = subprocess.run([BERTH] + list(args), input=stdin, capture_output=True, text=True,
                          timeout=timeout, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[],
                          env=env_for(gw, munged, homes, user, env), cwd="/", start_new_session=True)
    return Run(proc)


@pytest.fixture
def run(gw, munged, homes):
    def runner(*args, **kw):
        return berth(gw, munged, homes, *args, **kw)
    return runner


# ------------------------------------------------------------------ tests
def test_usage_errors(run):
    for args, msg in ((["pull"], "berth: pull: expected one IMAGE (see berth --help)\n"),
                      (["frob"], 'berth: unknown command "frob" (see berth --help)\n'),
                      (["images", "x"], "berth: images: takes no arguments (see berth --help)\n"),
                      (["pull", "--bogus", "x"], 'berth: pull: bad option "--bogus" (see berth --help)\n'),
                      (["login", "a", "b"], "berth: login: expected at most one REGISTRY (see berth --help)\n"),
                      (["expire"], "berth: expire: expected one IMAGE or --unused (see berth --help)\n")):
        r = run(*args)
        assert (r.rc, r.err) == (2, msg), r


def test_pull_follows_to_ready(run, images):
    img = images["simple"]
    r = run("pull", img["ref"])
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert re.fullmatch(re.escape(img["ref"]) + r": READY " + img["digest"] + r" \([0-9.]+ (B|KiB|MiB)\)",
                        lines[-1]), r
    # not a terminal: plain status lines, no escape sequences
    assert "\033" not in r.out and "\r" not in r.out
    again = run("pull", img["ref"])
    assert (again.rc, again.out.splitlines()[-1]) == (0, lines[-1]), again


def test_lookup(run, images):
    img = images["simple"]
    run("pull", img["ref"])
    r = run("lookup", img["ref"])
    assert (r.rc, r.out, r.err) == (0, img["digest"] + "\n", ""), r
    short = img["ref"].replace("docker:", "")
    assert run("lookup", short).out == img["digest"] + "\n"
    r = run("lookup", "id:" + img["digest"])
    assert (r.rc, r.out) == (0, img["digest"] + "\n"), r


def test_lookup_unknown(run, plain_registry):
    ref = f"{plain_registry.host}/never-pulled:v1"
    r = run("lookup", ref)
    assert r.rc == 3, r
    assert r.err == (f'berth: image "{ref}" is not known to the image gateway (or not visible to you); '
                     f"run `berth pull {ref}` and resubmit when `berth images` shows it READY\n")


def test_lookup_bad_ref(run):
    r = run("lookup", "Busybox")
    assert (r.rc, r.err) == (1, 'berth: repository "Busybox": must be lowercase\n'), r


def test_no_wait_then_lookup_not_ready(run, images):
    img = images["big"]
    r = run("pull", "--no-wait", img["ref"])
    assert r.rc == 0, r
    assert re.fullmatch(re.escape(img["ref"]) + r": (INIT|PENDING|PULLING|CONVERTING)\n", r.out), r
    status = r.out.split(": ")[1].strip()
    r = run("lookup", img["ref"])
    assert r.rc == 4, r
    assert re.fullmatch(rf'berth: image "{re.escape(img["ref"])}" is (PENDING|PULLING|CONVERTING); '
                        rf"run `berth pull {re.escape(img['ref'])}` to follow it and resubmit when "
                        r"`berth images` shows it READY\n", r.err), (status, r)
    # following it again ends READY
    r = run("pull", img["ref"])
    assert r.rc == 0, r
    assert r.out.splitlines()[-1].startswith(f"{img['ref']}: READY {img['digest']}")


def test_pull_progress_bar_on_a_terminal(gw, munged, homes, images):
    img = images["tty"]
    pw = pwd.getpwnam("alice")
    master, slave = pty.openpty()
    proc = subprocess.Popen([BERTH, "pull", img["ref"]], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[],
                            env=env_for(gw, munged, homes, "alice"))
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=30) == 0, proc.stderr.read()
    text = out.decode(errors="replace")
    # the bar redraws in place: [####----] PHASE, layers, bytes, percentage
    assert re.search(r"\r\[[#-]{24}\] (PENDING|PULLING|CONVERTING)", text), text
    assert re.search(r"\d+/\d+ layers, [0-9.]+ (B|KiB|MiB)/[0-9.]+ (B|KiB|MiB), \d+%", text) or \
        "PENDING" in text, text
    # the bar is erased before the final line
    assert f"\r\033[K{img['ref']}: READY {img['digest']} (" in text, text


def test_interrupt_stops_following_not_the_pull(gw, munged, homes, images, run):
    img = images["intr"]
    pw = pwd.getpwnam("alice")
    proc = subprocess.Popen([BERTH, "pull", img["ref"]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[],
                            env=env_for(gw, munged, homes, "alice"), start_new_session=True)
    first = proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert first.startswith(f"{img['ref']}: "), (first, out, err)
    assert (proc.returncode, err) == (130, f"berth: stopped following {img['ref']}; the pull goes on "
                                           "(see `berth images`)\n"), (first, out, err)
    r = run("pull", img["ref"])
    assert r.rc == 0 and f": READY {img['digest']} " in r.out, r


def test_pull_unknown_tag_and_dead_registry(run, plain_registry, dying_port):
    ref = f"docker:{plain_registry.host}/simple:no-such-tag"
    r = run("pull", ref)
    assert (r.rc, r.err) == (3, f'berth: image "{ref}" not found\n'), r
    # allowed (registry_allow) but nothing listens there yet
    r = run("pull", f"docker:127.0.0.1:{dying_port}/x:1")
    assert (r.rc, r.err) == (1, f'berth: image gateway: registry 127.0.0.1:{dying_port}: repository "x": '
                                f'manifest "1": registry unreachable (details in the gateway\'s log)\n'), r
    # not in registry_allow: refused without contacting it
    port = free_port()
    r = run("pull", f"docker:127.0.0.1:{port}/x:1")
    assert (r.rc, r.err) == (6, f'berth: image gateway: registry 127.0.0.1:{port}: repository "x": '
                                f'not an allowed registry (registry_allow)\n'), r


def test_pull_that_fails_while_followed(gw, munged, homes, gwdir, layout, run, dying_port):
    """The registry goes away during the download: the waiting pull ends
    with the gateway's reason (exit 4), and lookup says the same."""
    reg = Registry(gwdir, "dying")
    reg.port, reg.host = dying_port, f"127.0.0.1:{dying_port}"
    reg.start()
    try:
        layout.add_image("cldying", [{f"data/d{i}.bin": os.urandom((48 << 20) + i)} for i in range(2)])
        skopeo_push(layout, "cldying", f"{reg.host}/cldying:v1")
        ref = f"docker:{reg.host}/cldying:v1"
        pw = pwd.getpwnam("alice")
        proc = subprocess.Popen([BERTH, "pull", ref], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, user=pw.pw_uid, group=pw.pw_gid, extra_groups=[],
                                env=env_for(gw, munged, homes, "alice"), start_new_session=True)
        first = proc.stdout.readline()
    finally:
        reg.stop()
    out, err = proc.communicate(timeout=120)
    assert first.startswith(f"{ref}: "), (first, out, err)
    assert proc.returncode == 4, (first, out, err)
    assert err.startswith(f"berth: {ref} failed: "), err
    r = run("lookup", ref)
    assert r.rc == 4 and r.err.startswith(f'berth: image "{ref}" failed to pull: '), r


def test_gateway_unreachable(run):
    port = free_port()
    r = run("--gateway", f"http://127.0.0.1:{port}", "images")
    assert (r.rc, r.err) == (5, f"berth: image gateway http://127.0.0.1:{port} unreachable: Connection refused\n"), r
    r = run("--gateway", f"http://127.0.0.1:{port}", "lookup", "busybox")
    assert r.rc == 5, r


def test_gateway_url_from_config(run, gw, homes, images):
    conf = os.path.join(homes["alice"], "berth.conf")
    with open(conf, "w") as f:
        f.write(f"gateway_url = http://127.0.0.1:{gw.port}\n")
    os.chmod(conf, 0o644)
    run("pull", images["simple"]["ref"])
    r = run("--config", conf, "lookup", images["simple"]["ref"], env={"BERTH_GATEWAY": ""})
    assert (r.rc, r.out) == (0, images["simple"]["digest"] + "\n"), r
    r = run("--config", "/nonexistent/berth.conf", "images", env={"BERTH_GATEWAY": ""})
    assert (r.rc, r.err) == (1, "berth: /nonexistent/berth.conf: No such file or directory\n"), r
    # --gateway wins over the environment
    r = run("--gateway", f"http://127.0.0.1:{gw.port}", "images", env={"BERTH_GATEWAY": "http://127.0.0.1:1"})
    assert r.rc == 0, r


def table(out):
    lines = out.splitlines()
    head = lines[0]
    cols = ["REF", "DIGEST", "STATUS", "SIZE", "PRIVATE", "LAST USED"]
    starts = [head.index(c) for c in cols]
    assert starts == sorted(starts), head
    rows = []
    for line in lines[1:]:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [len(line)])]
        rows.append(dict(zip(cols, cells)))
    return rows


def test_images_table(run, images):
    img = images["simple"]
    run("pull", img["ref"])
    r = run("images")
    assert r.rc == 0, r
    rows = {row["REF"]: row for row in table(r.out)}
    row = rows[img["ref"]]
    assert row["DIGEST"] == img["digest"][7:19]
    assert row["STATUS"] == "READY"
    assert re.fullmatch(r"[0-9.]+ (B|KiB|MiB)", row["SIZE"]), row
    assert row["PRIVATE"] == "no"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row["LAST USED"]), row


def test_login_private_pull_and_logout(run, homes, basic_registry):
    host = basic_registry.host
    ref = f"docker:{host}/private:v1"
    # without a login the registry refuses
    r = run("pull", ref)
    assert r.rc != 0 and r.err.startswith("berth: "), r
    r = run("login", "--username", "alice", "--password-stdin", host, stdin="wonderland\n")
    assert r.rc == 0, r
    path = os.path.join(homes["alice"], ".config", "berth", "auth.json")
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == 2001
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
    assert not [n for n in os.listdir(os.path.dirname(path)) if n != "auth.json"]  # no temp file left
    r = run("pull", ref)
    assert r.rc == 0, r
    assert ": READY sha256:" in r.out.splitlines()[-1]
    rows = {row["REF"]: row for row in table(run("images").out)}
    assert rows[ref]["PRIVATE"] == "yes"
    # bob may not see it
    r = run("lookup", ref, user="bob")
    assert r.rc == 3, r
    assert ref not in run("images", user="bob").out
    # shared with bob on a second pull
    r = run("pull", "--user", "bob", ref)
    assert r.rc == 0, r
    r = run("lookup", ref, user="bob")
    assert r.rc == 0 and DIGEST_RE.match(r.out.strip()), r
    # logout; again: nothing to do
    r = run("logout", host)
    assert (r.rc, r.out) == (0, f"login for {host} removed\n"), r
    r = run("logout", host)
    assert (r.rc, r.err) == (0, f"berth: not logged in to {host}\n"), r


def test_login_wrong_password_and_unsafe_file(run, homes, basic_registry):
    host = basic_registry.host
    r = run("login", "--username", "bob", "--password-stdin", host, user="bob", stdin="wrong\n")
    assert r.rc == 0, r
    r = run("pull", f"docker:{host}/private:v1", user="bob")
    assert r.rc != 0, r
    assert r.err.startswith("berth: image gateway: ") or "not found" in r.err, r
    path = os.path.join(homes["bob"], ".config", "berth", "auth.json")
    os.chmod(path, 0o644)
    r = run("pull", f"docker:{host}/private:v1", user="bob")
    assert r.rc == 6, r
    assert r.err == f"berth: {path}: readable by others; `chmod 600` it (and change the passwords)\n"
    os.chmod(path, 0o600)
    r = run("login", "--password-stdin", "--username", "bob", host, user="bob", stdin="")
    assert (r.rc, r.err) == (1, "berth: login: no password on stdin (or longer than 4095 bytes)\n"), r
    for args in (["--username", "bob"], ["--password-stdin"]):
        r = run("login", *args, host, user="bob", stdin="x\n")
        assert (r.rc, r.err) == (1, "berth: login: no terminal to ask on (use --username and --password-stdin)\n"), r


def test_user_without_login_gets_warning(run, images, plain_registry):
    r = run("pull", "--user", "bob", images["simple"]["ref"])
    assert r.rc == 0, r
    assert r.err == (f"berth: no login stored for {plain_registry.host}: the image will be public, "
                     "--user/--group do not apply\n"), r


def test_expire(run, images):
    img = images["expire"]
    assert run("pull", img["ref"]).rc == 0
    r = run("expire", img["ref"])
    assert r.rc == 6, r
    assert r.err.startswith("berth: image gateway: "), r
    r = run("expire", img["ref"], user="root")
    assert (r.rc, r.out) == (0, f"expired {img['ref']}\n"), r
    r = run("lookup", img["ref"])
    assert r.rc == 4, r
    assert r.err == (f'berth: image "{img["ref"]}" has expired; run `berth pull {img["ref"]}` '
                     "and resubmit when `berth images` shows it READY\n")
    r = run("expire", "docker:localhost/never:1", user="root")
    assert r.rc == 3, r


def test_import(run, gwdir):
    lay = Layout(os.path.join(gwdir, "import-oci"))
    lay.add_image("latest", [{"etc/imported": os.urandom(2000)}])
    archive = os.path.join(gwdir, "import.tar")
    with tarfile.open(archive, "w") as tar:
        for name in sorted(os.listdir(lay.path)):
            tar.add(os.path.join(lay.path, name), arcname=name)
    os.chmod(archive, 0o644)
    ref = "docker:localhost/clientimport:1"
    r = run("import", archive, ref)
    assert r.rc == 6, r
    assert r.err == "berth: image gateway: uid 2001 may not import images (not in import_uids)\n", r
    r = run("import", archive, ref, user="root")
    assert r.rc == 0, r
    assert r.out.splitlines()[-1].startswith(f"{ref}: READY sha256:"), r
    r = run("lookup", ref)
    assert r.rc == 0 and DIGEST_RE.match(r.out.strip()), r
    r = run("import", "/nonexistent.tar", ref, user="root")
    assert (r.rc, r.err) == (1, "berth: import: /nonexistent.tar: No such file or directory\n"), r
    r = run("import", archive, "docker:example.org/x:1", user="root")
    assert r.rc == 1 and r.err.startswith("berth: image gateway: ref: "), r


# ------------------------------------------------------------------ Lua
def sanitizer_preload(module):
    """The sanitizer runtimes when berth.so was built with them (the
    interpreter is not instrumented: they must be loaded first)."""
    with open(module, "rb") as f:
        if b"__asan_init" not in f.read():
            return ""
    cc = os.environ.get("CC", "gcc")
    return " ".join(subprocess.run([cc, f"-print-file-name={lib}"], capture_output=True, text=True,
                                   check=True).stdout.strip() for lib in ("libasan.so", "libubsan.so"))


def lua(gw, munged, gwdir, script, user="root", gateway=None, socket=None):
    conf = os.path.join(gwdir, "lua-berth.conf")
    with open(conf, "w") as f:
        f.write(f"gateway_url = {gateway or f'http://127.0.0.1:{gw.port}'}\n"
                f"image_dir = {gw.image_dir}\nlookup_timeout = 5s\n")
        if socket:
            f.write(f"gateway_socket = {socket}\n")
    os.chmod(conf, 0o644)
    pw = pwd.getpwnam(user)
    module_dir = os.path.dirname(user_copy(os.path.join(LUA_MODULE_DIR, "berth.so")))   # run as user
    proc = subprocess.run(["lua5.4", "-e", f'berth = require("berth"); berth.config("{conf}")\n' + script],
                          capture_output=True, text=True, timeout=60, user=pw.pw_uid, group=pw.pw_gid,
                          env={"PATH": "/usr/bin:/bin", "LUA_CPATH": os.path.join(module_dir, "?.so"),
                               "BERTH_MUNGE_SOCKET": munged.socket,
                               "LD_PRELOAD": sanitizer_preload(os.path.join(LUA_MODULE_DIR, "berth.so"))})
    return Run(proc)


@pytest.mark.skipif(not shutil.which("lua5.4"), reason="lua5.4 not installed")
def test_lua_resolve(run, gw, munged, gwdir, images, plain_registry):
    img = images["simple"]
    assert run("pull", img["ref"]).rc == 0
    # root (a trusted proxy) asks on behalf of alice
    r = lua(gw, munged, gwdir, f'print(berth.resolve("{img["ref"]}", 2001))')
    assert (r.rc, r.out) == (0, img["digest"] + "\n"), r
    # alice asks as herself (no proxy header)
    r = lua(gw, munged, gwdir, f'print(berth.resolve("{img["ref"]}", 2001))', user="alice")
    assert (r.rc, r.out) == (0, img["digest"] + "\n"), r
    unknown = f"docker:{plain_registry.host}/nothing:v1"
    r = lua(gw, munged, gwdir, f'print(berth.resolve("{unknown}", 2002))')
    assert r.out == (f'nil\timage "{unknown}" is not known to the image gateway (or not visible to you); '
                     f"run `berth pull {unknown}` and resubmit when `berth images` shows it READY\n"), r
    # alice is no trusted proxy: asking for bob is refused
    r = lua(gw, munged, gwdir, f'print(berth.resolve("{img["ref"]}", 2002))', user="alice")
    assert r.out.startswith("nil\timage gateway: "), r
    # gateway_socket: the trusted proxy's requests take the gateway's
    # proxy_socket (gateway_url is dead here); munge still decides
    r = lua(gw, munged, gwdir, f'print(berth.resolve("{img["ref"]}", 2001))', gateway="http://127.0.0.1:1",
            socket=gw.socket)
    assert (r.rc, r.out) == (0, img["digest"] + "\n"), r
    r = lua(gw, munged, gwdir, f'print(berth.resolve("{img["ref"]}", 2002))', gateway="http://127.0.0.1:1",
            socket=os.path.join(gwdir, "no.sock"))
    assert r.out.startswith(f"nil\timage gateway {gwdir}/no.sock unreachable: "), r
    # a digest published in the image dir needs no gateway at all
    r = lua(gw, munged, gwdir, f'print(berth.resolve("id:{img["digest"]}", 2002))', gateway="http://127.0.0.1:1")
    assert (r.rc, r.out) == (0, img["digest"] + "\n"), r
