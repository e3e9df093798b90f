#!/usr/bin/python3
"""gateway_convert.sh's `berth pull` rows: a private munged and the real
berth-gatewayd (as berthgw or nobody) with default conversion settings,
then `berth pull` of each REF in turn, cold (a fresh state directory) but
for what the earlier REFs left; everything stopped by pid.  Needs root.

    gateway_convert_env.py BUILDDIR REGISTRY_HOST REF...

Prints one line per REF: REF WALL_S CPU_S MB, where CPU_S is the daemon's
and the helper's user+sys time during that pull.
"""
import os
import pwd
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "gateway"))

from gatewayd import Gatewayd, Munged  # noqa: E402


def daemon_user():
    for name in ("berthgw", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    sys.exit("gateway_convert: no unprivileged user to run berth-gatewayd as")


def cpu_seconds(pid):
    """user+sys of a running process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pull(builddir, url, munge_socket, home, ref):
    """(wall, helper cpu) of one `berth pull REF` followed to READY."""
    t0 = time.monotonic()
    proc = subprocess.Popen([os.path.join(builddir, "helper", "berth"), "--gateway", url, "pull", ref],
                            stdout=subprocess.DEVNULL,
                            env={"PATH": "/usr/bin:/bin", "HOME": home, "BERTH_MUNGE_SOCKET": munge_socket,
                                 "BERTH_CONF": "/dev/null"})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"gateway_convert: berth pull {ref} failed")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    builddir, host, refs = sys.argv[1], sys.argv[2], sys.argv[3:]
    if os.geteuid() != 0:
        sys.exit("gateway_convert: berth pull rows need root (private munged, daemon as another user)")
    work = tempfile.mkdtemp(prefix="berth-bench-pull.", dir="/var/tmp")
    os.chmod(work, 0o755)
    munged = gw = None
    try:
        munged = Munged(work).start()
        gw = Gatewayd(os.path.join(builddir, "gateway", "berth-gatewayd"), os.path.join(work, "gw"),
                      daemon_user(), munged, {"insecure_registries": host, "registry_allow": host,
                                              "log_level": "info"})
        gw.start()
        url = f"http://{gw.host}:{gw.port}"
        for ref in refs:
            before = cpu_seconds(gw.proc.pid)
            wall, helper_cpu = pull(builddir, url, munged.socket, work, ref)
            cpu = cpu_seconds(gw.proc.pid) - before + helper_cpu
            mb = max((os.path.getsize(os.path.join(gw.image_dir, n)) for n in os.listdir(gw.image_dir)
                      if n.endswith(".sqfs")), default=0) >> 20
            print(f"{ref} {wall:.2f} {cpu:.2f} {mb}", flush=True)
    finally:
        if gw:
            gw.stop()
        if munged:
            munged.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
