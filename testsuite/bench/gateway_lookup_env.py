#!/usr/bin/python3
"""gateway_lookup.sh's private environment: a private munged, a
docker-registry with one small image, berth-gatewayd (as nobody or
berthgw), the image pulled with `berth pull`; then the driver runs once per
thread count and everything is stopped (by pid).  Needs root.

    gateway_lookup_env.py DRIVER SECONDS THREADS...

BENCH_LISTEN_ADDR=IP makes the daemon listen on that local address
instead of 127.0.0.1 (the harness's gateway listens on the bridge,
10.77.0.1); BENCH_MUNGE_SOCKET=PATH uses that (e.g. the system's) munged instead of a
private one; BENCH_GATEWAY_CONF="key=value;..." adds daemon settings.
"""
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "gateway"))

from conftest import Layout, skopeo_push  # noqa: E402
from gatewayd import Gatewayd, Munged  # noqa: E402
from servers import Registry  # noqa: E402


def daemon_user():
    for name in ("berthgw", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    sys.exit("gateway_lookup: no unprivileged user to run berth-gatewayd as")


def extra_settings():
    text = os.environ.get("BENCH_GATEWAY_CONF", "")
    return dict(kv.split("=", 1) for kv in text.split(";") if "=" in kv)


def main():
    driver, seconds, threads = sys.argv[1], sys.argv[2], sys.argv[3:]
    builddir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(driver))))
    if os.geteuid() != 0:
        sys.exit("gateway_lookup: needs root (private munged, daemon as another user)")
    work = tempfile.mkdtemp(prefix="berth-bench-lookup.", dir="/var/tmp")
    os.chmod(work, 0o755)
    munged = registry = gw = None
    rc = 0
    try:
        if os.environ.get("BENCH_MUNGE_SOCKET"):
            munged = Munged(work)
            munged.socket = os.environ["BENCH_MUNGE_SOCKET"]   # not ours: never stopped
        else:
            munged = Munged(work).start()
        layout = Layout(os.path.join(work, "oci"))
        layout.add_image("bench", [{"etc/os-release": b"ID=bench\n"}])
        registry = Registry(work, "registry").start()
        skopeo_push(layout, "bench", f"{registry.host}/bench:v1")
        gw = Gatewayd(os.path.join(builddir, "gateway", "berth-gatewayd"), os.path.join(work, "gw"),
                      daemon_user(), munged, dict({"insecure_registries": registry.host, "registry_allow": registry.host, "workers": "1",
                                                   "http_threads": "4"}, **extra_settings()),
                      host=os.environ.get("BENCH_LISTEN_ADDR", "127.0.0.1"))
        gw.start()
        url = f"http://{gw.host}:{gw.port}"
        ref = f"docker:{registry.host}/bench:v1"
        subprocess.run([os.path.join(builddir, "helper", "berth"), "--gateway", url, "pull", ref],
                       check=True, stdout=subprocess.DEVNULL,
                       env={"PATH": "/usr/bin:/bin", "HOME": work, "BERTH_MUNGE_SOCKET": munged.socket,
                            "BERTH_CONF": "/dev/null"})
        print(f"gateway_lookup: private berth-gatewayd {url} {extra_settings()}, munged {munged.socket}, {ref}",
              flush=True)
        for n in threads:
            if subprocess.run([driver, url, ref, seconds, n, munged.socket]).returncode != 0:
                rc = 1
    finally:
        if gw:
            gw.stop()
        if registry:
            registry.stop()
        if munged:
            munged.stop()
        shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
