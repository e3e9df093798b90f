"""Test servers for the registry client tests (stdlib only).

- Registry: a real docker-registry process (Debian's /usr/bin/docker-registry)
  on a free loopback port with its own storage directory, stopped by pid.
- TokenServer: a Docker-style token server for the registry's `auth: token`
  mode: checks Basic credentials, issues RS256 JWTs signed with the `openssl`
  CLI, counts requests (to see the client's token cache work).
- FakeServer: a scripted HTTP server for what a real registry will not do:
  lie about a blob, cut a transfer short, redirect to another host, answer
  503/429, act as a proxy.  Every request is recorded with its headers.
"""
import base64
import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

REGISTRY_BIN = "/usr/bin/docker-registry"


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------- registry
class Registry:
    """docker-registry serve CONFIG, on 127.0.0.1:<free port>."""

    def __init__(self, workdir, name, auth=None):
        self.dir = os.path.join(workdir, name)
        os.makedirs(os.path.join(self.dir, "storage"), exist_ok=True)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.auth = auth
        self.proc = None
        self.log_path = os.path.join(self.dir, "registry.log")

    def _config(self):
        lines = [
            "version: 0.1",
            "log:",
            "  level: warn",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.dir}/storage",
            "http:",
            f"  addr: {self.host}",
            "  secret: berth-test-secret",
        ]
        if self.auth:
            lines.append("auth:")
            for kind, params in self.auth.items():
                lines.append(f"  {kind}:")
                lines += [f"    {k}: {v}" for k, v in params.items()]
        path = os.path.join(self.dir, "config.yml")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def start(self):
        config = self._config()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([REGISTRY_BIN, "serve", config], stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL,
                                     env={"PATH": "/usr/bin:/bin", "HOME": self.dir})
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"docker-registry exited: {self.log_tail()}")
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1).close()
                return self
            except urllib.error.HTTPError as e:
                if e.code == 401:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"docker-registry on {self.host} not answering: {self.log_tail()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def log_tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""


# ---------------------------------------------------------- HTTP plumbing
class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.log.append({"path": self.path, "headers": dict(self.headers.items())})
        self.server.handle_request_fn(self)

    def reply(self, status, body=b"", headers=None, content_length=True):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if content_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def reply_json(self, status, obj, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        self.reply(status, json.dumps(obj), h)

    def registry_error(self, status, code, message, headers=None):
        self.reply_json(status, {"errors": [{"code": code, "message": message}]}, headers)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeServer:
    """Serves GETs with fn(handler); records requests in .log."""

    def __init__(self, fn, host="127.0.0.1"):
        self.server = _Server((host, 0), _Handler)
        self.server.log = []
        self.server.handle_request_fn = fn
        self.host = f"{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def log(self):
        return self.server.log

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# ------------------------------------------------------------ token server
def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer(FakeServer):
    """GET /token?service=S&scope=repository:NAME:ACTIONS (Docker token spec).

    users: {name: password}; a user gets every action asked for, anonymous
    callers get pull on repositories starting with "public"."""

    def __init__(self, workdir, users, issuer="berth-test-issuer", service="berth-test-registry"):
        self.users = users
        self.issuer = issuer
        self.service = service
        self.key = os.path.join(workdir, "token.key")
        self.cert = os.path.join(workdir, "token.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.key,
                        "-out", self.cert, "-days", "2", "-subj", "/CN=berth-test-token"],
                       check=True, capture_output=True)
        der = subprocess.run(["openssl", "x509", "-in", self.cert, "-outform", "DER"], check=True,
                             capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        self.issued = []          # (user or "", scopes)
        super().__init__(self._handle)
        self.realm = f"http://{self.host}/token"

    def _user(self, handler):
        auth = handler.headers.get("Authorization", "")
        if not auth:
            return ""
        if not auth.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        return user if self.users.get(user) == password else None

    def _sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key], input=signing_input.encode(),
                             check=True, capture_output=True).stdout
        return f"{signing_input}.{b64url(sig)}"

    def _handle(self, h):
        url = urllib.parse.urlsplit(h.path)
        if url.path != "/token":
            return h.reply(404)
        query = urllib.parse.parse_qs(url.query)
        user = self._user(h)
        if user is None:
            return h.reply_json(401, {"details": "bad credentials"},
                                {"WWW-Authenticate": 'Basic realm="berth-test-token"'})
        access = []
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            wanted = [a for a in actions.split(",") if a]
            granted = wanted if user else [a for a in wanted if a == "pull" and name.startswith("public")]
            access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user, "aud": query.get("service", [""])[0], "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
        token = self._sign(claims)
        self.issued.append((user, query.get("scope", [])))
        h.reply_json(200, {"token": token, "access_token": token, "expires_in": 300})

    def registry_auth(self):
        return {"token": {"realm": self.realm, "service": self.service, "issuer": self.issuer,
                          "rootcertbundle": self.cert}}
