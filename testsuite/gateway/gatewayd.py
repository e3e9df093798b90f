"""Helpers of the berth-gatewayd live tests (stdlib only, needs root).

- Munged: a private munged (own key, socket, pid, log and seed files in a
  directory of the test), stopped by pid; credentials as any user.
- Gatewayd: the real berth-gatewayd on a free loopback port, run as an
  unprivileged user, stopped by pid; a small HTTP client for its API.
"""
import http.client
import json
import os
import pwd
import signal
import socket
import subprocess
import tempfile
import time

MUNGED = "/usr/sbin/munged"


_USER_COPIES = None


def user_copy(binary):
    """A copy of a build's program that any user may run (the build tree may
    sit under a directory only root can enter, such as /root), kept until the
    test process exits."""
    global _USER_COPIES
    if _USER_COPIES is None:
        import atexit
        import shutil
        _USER_COPIES = tempfile.mkdtemp(prefix="berth-test-bin.")
        os.chmod(_USER_COPIES, 0o755)
        atexit.register(shutil.rmtree, _USER_COPIES, True)
    import shutil
    copy = os.path.join(_USER_COPIES, os.path.basename(binary))
    if not os.path.exists(copy):
        shutil.copy2(binary, copy)
        os.chmod(copy, 0o755)
    return copy


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def user_ids(name):
    pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def wait_gone(pid, timeout):
    """True when pid is gone (reaped by us or not our child) within timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return True
        except ChildProcessError:
            if not os.path.exists(f"/proc/{pid}"):
                return True
        time.sleep(0.02)
    return False


class Munged:
    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "munge")
        os.makedirs(self.dir, mode=0o755, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "munge.socket")
        self.key = os.path.join(self.dir, "munge.key")
        self.pidfile = os.path.join(self.dir, "munged.pid")
        self.log = os.path.join(self.dir, "munged.log")
        self.pid = None

    def start(self):
        fd = os.open(self.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, os.urandom(1024))
        os.close(fd)
        subprocess.run([MUNGED, f"--socket={self.socket}", f"--key-file={self.key}",
                        f"--pid-file={self.pidfile}", f"--log-file={self.log}",
                        f"--seed-file={os.path.join(self.dir, 'munged.seed')}"],
                       check=True, timeout=30, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.path.exists(self.socket) and os.path.exists(self.pidfile) and os.path.getsize(self.pidfile):
                with open(self.pidfile) as f:
                    self.pid = int(f.read().strip())
                return self
            time.sleep(0.05)
        raise RuntimeError(f"munged did not start: {open(self.log).read()[-2000:]}")

    def stop(self):
        if self.pid and os.path.exists(f"/proc/{self.pid}"):
            os.kill(self.pid, signal.SIGTERM)
            if not wait_gone(self.pid, 10):
                os.kill(self.pid, signal.SIGKILL)
        self.pid = None

    def cred(self, user="root", payload=None, ttl=None):
        """A credential made by `user`; payload bytes or None (munge -n)."""
        uid, gid = user_ids(user)
        cmd = ["munge", "-S", self.socket]
        if ttl is not None:
            cmd += ["-t", str(ttl)]
        if payload is None:
            cmd.append("-n")
        proc = subprocess.run(cmd, input=payload or b"", capture_output=True, timeout=30,
                              user=uid, group=gid, extra_groups=[], env={"PATH": "/usr/bin:/bin"})
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.decode().strip()


class Reply:
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers

    @property
    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"Reply({self.status}, {self.body!r})"


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a UNIX socket (the gateway's proxy_socket)."""

    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class Gatewayd:
    """berth-gatewayd -f -c <dir>/berth-gateway.conf, as `user`."""

    def __init__(self, binary, workdir, user, munged, settings, host="127.0.0.1"):
        self.binary = binary
        self.host = host
        self.dir = workdir
        self.user = user
        self.uid, self.gid = user_ids(user)
        self.port = free_port(host)
        self.image_dir = os.path.join(workdir, "images")
        self.state_dir = os.path.join(workdir, "state")
        self.config = os.path.join(workdir, "berth-gateway.conf")
        self.log_path = os.path.join(workdir, "gatewayd.log")
        self.proc = None
        for path, mode in ((self.image_dir, 0o755), (self.state_dir, 0o700)):
            os.makedirs(path, exist_ok=True)
            os.chown(path, self.uid, self.gid)
            os.chmod(path, mode)
        conf = {"listen": f"{host}:{self.port}", "munge_socket": munged.socket,
                "image_dir": self.image_dir, "state_dir": self.state_dir, "log_level": "verbose"}
        conf.update(settings)
        with open(self.config, "w") as f:
            for key, value in conf.items():
                f.write(f"{key} = {value}\n")
        os.chmod(self.config, 0o644)

    def start(self, timeout=15):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([user_copy(self.binary), "-f", "-c", self.config], stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL, user=self.uid, group=self.gid,
                                     extra_groups=[], env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"berth-gatewayd exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if self.request("GET", "/api/v1/health", timeout=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"berth-gatewayd not answering: {self.log_tail()}")

    def stop(self):
        """SIGTERM; returns the seconds it took to exit (SIGKILL after 10 s)."""
        if not self.proc or self.proc.poll() is not None:
            return 0.0
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return time.monotonic() - t0

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def request(self, method, path, body=None, cred=None, headers=None, timeout=60, source=None,
                unix=None):
        """source: local address to connect from; unix: a UNIX socket to ask
        instead (the proxy_socket)."""
        if unix:
            conn = UnixHTTPConnection(unix, timeout)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout,
                                              source_address=(source, 0) if source else None)
        try:
            hdrs = dict(headers or {})
            if cred is not None:
                hdrs["authentication"] = cred
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return Reply(resp.status, resp.read().decode(), dict(resp.getheaders()))
        finally:
            conn.close()

    def raw_request(self, head):
        """Send raw request bytes (headers only), return the status line and body."""
        with socket.create_connection((self.host, self.port), timeout=30) as s:
            s.sendall(head)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                if b"\r\n\r\n" in data:
                    head_part, _, rest = data.partition(b"\r\n\r\n")
                    length = [l for l in head_part.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                    if length and len(rest) >= int(length[0].split(b":")[1]):
                        break
            status = int(data.split(b" ", 2)[1])
            return status, data.partition(b"\r\n\r\n")[2].decode()


# ---------------------------------------------------------- shared fixtures
def ensure_user(name, uid):
    """The test user name with exactly uid (created if missing)."""
    try:
        pw = pwd.getpwnam(name)
        assert pw.pw_uid == uid, f"user {name} exists with uid {pw.pw_uid}, expected {uid}"
    except KeyError:
        subprocess.run(["useradd", "-m", "-u", str(uid), "-U", "-s", "/bin/bash", name], check=True)


def daemon_user():
    """An unprivileged user to run berth-gatewayd as, or None."""
    for name in ("berthgw", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    return None


def shared_test_dir(prefix, users):
    """A 0755 directory under /var/tmp (not pytest's 0700 basetemp: the
    daemon's user must get in), after making sure the test users exist."""
    for name, uid in users.items():
        ensure_user(name, uid)
    path = tempfile.mkdtemp(prefix=prefix, dir="/var/tmp")
    os.chmod(path, 0o755)
    return path


TEST_USERS = {"alice": 2001, "bob": 2002}   # as the cluster harness makes them


def skip_reason(*programs):
    """Why the daemon tests cannot run here (None: they can)."""
    if os.geteuid() != 0:
        return "needs root (private munged, users, daemon as another user)"
    for path in ("/usr/sbin/munged", "/usr/bin/munge") + programs:
        if not os.access(path, os.X_OK):
            return f"{path} not built or not installed"
    return None
