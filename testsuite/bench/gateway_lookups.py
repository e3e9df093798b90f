#!/usr/bin/python3
"""Benchmark (prints figures; not a timed test): berth-gatewayd lookups per
second, the path job_submit takes at every submission (munge credential
decoded, record read from SQLite, last_lookup updated).

    BERTH_BUILDDIR=$PWD testsuite/bench/gateway_lookups.py [SECONDS] [CLIENTS]

Starts a private munged, a docker-registry with one small image and the
daemon (as nobody), pulls the image, then CLIENTS threads (each with a
keep-alive connection and credentials made in-process with libmunge) look
it up for SECONDS.  Prints lookups/s and latency percentiles.  Needs root.
"""
import ctypes
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "gateway"))

from conftest import Layout, skopeo_push  # noqa: E402
from gatewayd import Gatewayd, Munged  # noqa: E402
from servers import Registry  # noqa: E402


class Credentials:
    """munge_encode() through libmunge: fast enough to not be the bottleneck."""

    def __init__(self, socket_path):
        self.lib = ctypes.CDLL("libmunge.so.2")
        self.lib.munge_ctx_create.restype = ctypes.c_void_p
        self.lib.munge_ctx_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p]
        self.lib.munge_encode.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p,
                                          ctypes.c_void_p, ctypes.c_int]
        self.libc = ctypes.CDLL("libc.so.6")
        self.libc.free.argtypes = [ctypes.c_void_p]
        self.ctx = self.lib.munge_ctx_create()
        self.lib.munge_ctx_set(self.ctx, 8, socket_path.encode())   # MUNGE_OPT_SOCKET

    def make(self):
        cred = ctypes.c_void_p()
        rc = self.lib.munge_encode(ctypes.byref(cred), self.ctx, None, 0)
        assert rc == 0, f"munge_encode: {rc}"
        text = ctypes.string_at(cred).decode()
        self.libc.free(cred)
        return text


def client(port, socket_path, ref, stop, latencies, errors):
    creds = Credentials(socket_path)   # a munge context per thread
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"ref": ref})
    while not stop.is_set():
        t0 = time.perf_counter()
        conn.request("POST", "/api/v1/lookup", body=body, headers={"authentication": creds.make()})
        resp = conn.getresponse()
        resp.read()
        latencies.append(time.perf_counter() - t0)
        if resp.status != 200:
            errors.append(resp.status)
    conn.close()


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 10
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    builddir = os.environ.get("BERTH_BUILDDIR") or os.path.join(HERE, "..", "..")
    binary = os.path.join(builddir, "gateway", "berth-gatewayd")
    if os.geteuid() != 0:
        sys.exit("needs root")
    work = tempfile.mkdtemp(prefix="berth-bench-gw.", dir="/var/tmp")
    os.chmod(work, 0o755)
    munged = registry = gw = None
    try:
        munged = Munged(work).start()
        layout = Layout(os.path.join(work, "oci"))
        layout.add_image("small", [{"etc/bench": b"bench\n"}])
        registry = Registry(work, "registry").start()
        skopeo_push(layout, "small", f"{registry.host}/small:v1")
        gw = Gatewayd(binary, os.path.join(work, "gw"), "nobody", munged,
                      {"insecure_registries": registry.host, "http_threads": "4", "log_level": "info"})
        gw.start()
        ref = f"docker:{registry.host}/small:v1"
        creds = Credentials(munged.socket)
        gw.request("POST", "/api/v1/pull", {"ref": ref}, cred=creds.make())
        for _ in range(600):
            r = gw.request("POST", "/api/v1/lookup", {"ref": ref}, cred=creds.make())
            if r.status == 200 and r.json["status"] == "READY":
                break
            time.sleep(0.1)
        else:
            sys.exit(f"image not READY: {r}")
        stop = threading.Event()
        latencies, errors = [], []
        threads = [threading.Thread(target=client, args=(gw.port, munged.socket, ref, stop, latencies, errors))
                   for _ in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0
        latencies.sort()
        n = len(latencies)
        print(f"gateway lookups: {n} in {elapsed:.1f} s = {n / elapsed:.0f} lookups/s "
              f"({clients} clients, {os.cpu_count()} CPUs), errors: {len(errors)}")
        print(f"latency ms: p50 {latencies[n // 2] * 1000:.2f}  p90 {latencies[n * 9 // 10] * 1000:.2f}  "
              f"p99 {latencies[n * 99 // 100] * 1000:.2f}  max {latencies[-1] * 1000:.2f}")
    finally:
        if gw:
            gw.stop()
        if registry:
            registry.stop()
        if munged:
            munged.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
