#!/usr/bin/env python3
"""The Python SDK's GET throughput against plain requests.Session, same run.

Starts a tenantkv-server of its own on 127.0.0.1 port 0 (or uses --url with
--token, a loopback server only), makes a tenant whose quota does not
throttle, stores one value, then alternates rounds of the two clients:

    sdk        tenantkv.Client.get(key)              one Client per thread
    raw        requests.Session.get(url, headers)    one Session per thread
    raw-noenv  the same with Session.trust_env = False, as the SDK's own
               session (it reads the environment once, not per call)

Each round runs --threads threads for --duration seconds or --max-requests
GETs in all, whichever comes first; each thread checks every answer (200,
the value's length). The order of the modes rotates between rounds so that
none always runs on a warmer server. Prints GETs per second of each
round, the medians and the ratios sdk/raw and sdk/raw-noenv (1.0 = no
overhead; the second is the SDK's own cost above the transport), and the
client threads' CPU time per GET: on a busy machine the wall-clock rate
is mostly scheduling delay, while the CPU time is the client's own cost.

    sdk-overhead-python.py [--server-bin build/bin/tenantkv-server]
        [--url http://127.0.0.1:PORT --token TOKEN]
        [--threads 1] [--duration 0.5] [--rounds 21] [--max-requests 200000]
        [--value-bytes 100] [--offline] [--json]

--offline runs no server: every session gets a transport adapter that
answers each GET at once with a canned 200 (the value, an ETag, the
RateLimit headers), so only the client's own CPU is measured, free of the
server and of the machine's scheduling; the SDK then uses a session made
like raw-noenv's, so sdk/raw-noenv is the SDK's own overhead alone.

Many short rounds (the default) resist a machine whose load changes
during the run better than a few long ones. One client thread is the
default: on a small, busy machine (2 cores shared with the server and
others) two or more threads gave medians that differed by several times
between modes from one run to the next. Needs Debian's python3 with python3-requests; run it under
nice on a shared machine.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlsplit

import requests
import requests.adapters
import requests.structures

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tools" / "sdk" / "python" / "src"))
sys.dont_write_bytecode = True

from tenantkv import NO_RETRY, Client  # noqa: E402

KEY = "bench/value"
UNTHROTTLED = {  # far above what one Python process sends; within the absolute bounds
    "requests_per_sec": 10_000_000,
    "burst_requests": 100_000_000,
    "read_bytes_per_sec": 1 << 40,
    "burst_read_bytes": 1 << 40,
    "max_concurrent": 10_000,
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server-bin", default=str(ROOT / "build" / "bin" / "tenantkv-server"))
    p.add_argument("--url", help="an already running server (loopback only); needs --token")
    p.add_argument("--token", help="with --url: the operator token")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--duration", type=float, default=0.5, help="seconds per round")
    p.add_argument("--rounds", type=int, default=21, help="rounds of each client")
    p.add_argument("--max-requests", type=int, default=200_000, help="GETs per round at most")
    p.add_argument("--value-bytes", type=int, default=100)
    p.add_argument("--offline", action="store_true", help="no server: canned answers, client CPU only")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    if a.threads < 1 or a.rounds < 1 or a.duration <= 0 or a.max_requests < 1:
        p.error("--threads, --rounds, --max-requests must be >= 1 and --duration > 0")
    if a.duration > 600:
        p.error("--duration is at most 600 seconds")
    if a.url:
        host = urlsplit(a.url).hostname or ""
        try:
            loop = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loop = False
        if not loop:
            p.error("--url must be a loopback address (127.0.0.0/8 or ::1)")
        if not a.token:
            p.error("--url needs --token (the operator token)")
    return a


def start_server(binary: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    data = workdir / "data"
    env = {k: v for k, v in os.environ.items() if k != "TENANTKV_OPERATOR_TOKEN"}
    with open(workdir / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [binary, "--data-dir", str(data), "--listen", "127.0.0.1:0", "--spare-column-families", "4",
             "--log-level", "warn", "--no-access-log"],
            stdout=subprocess.PIPE, stderr=log, env=env)
    assert proc.stdout is not None
    text = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if select.select([proc.stdout], [], [], 1.0)[0]:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            text += chunk
            m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", text)
            if m:
                token = (data / "operator.token").read_text().strip()
                return proc, f"http://127.0.0.1:{int(m.group(1))}", token
    stop(proc)
    sys.exit(f"server did not start: {text!r}\n{(workdir / 'server.log').read_text(errors='replace')}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def setup(url: str, op_token: str, value: bytes) -> str:
    """A tenant that is never throttled, its write key, the value stored."""
    op = {"Authorization": f"Bearer {op_token}", "Content-Type": "application/json"}
    tid = f"sdk-bench-{os.getpid()}-{int(time.time())}"
    for method, path, body in (("POST", "/admin/v1/tenants", {"id": tid, "plan": "premium"}),
                               ("PUT", f"/admin/v1/tenants/{tid}/quota", UNTHROTTLED)):
        r = requests.request(method, url + path, headers=op, data=json.dumps(body), timeout=30)
        r.raise_for_status()
    r = requests.post(f"{url}/admin/v1/tenants/{tid}/apikeys", headers=op, data='{"role":"write"}', timeout=30)
    r.raise_for_status()
    token = str(r.json()["token"])
    with Client(url, token) as kv:
        kv.put(KEY, value)
    return token


class CannedAdapter(requests.adapters.BaseAdapter):
    """Answers every request at once with a 200 like tenantkv-server's GET."""

    def __init__(self, value: bytes) -> None:
        super().__init__()
        self.value = value

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        r = requests.Response()
        r.status_code = 200
        r.reason = "OK"
        r.headers = requests.structures.CaseInsensitiveDict({
            "Content-Type": "application/octet-stream", "Content-Length": str(len(self.value)),
            "ETag": '"9a7e23ca0591a63246377bb3"', "X-Request-Id": "33d8e00c000000000002",
            "Cache-Control": "no-store", "RateLimit-Limit": "1000", "RateLimit-Remaining": "999",
            "RateLimit-Reset": "1", "RateLimit-Policy": "1000;w=2"})
        r._content = self.value
        r.url = request.url or ""
        r.request = request
        return r

    def close(self) -> None:
        pass


def run_round(make_get: Callable[[], Callable[[], int]], threads: int, duration: float, max_requests: int,
              size: int) -> tuple[float, float]:
    """GETs per second of one round of ``threads`` threads, and the client
    CPU time per GET in microseconds (the threads' own CPU time)."""
    counts = [0] * threads
    cpu = [0.0] * threads
    budget = threading.Semaphore(max_requests)
    start = threading.Barrier(threads + 1)
    errors: list[str] = []
    stop_at = [0.0]

    def worker(i: int) -> None:
        get = make_get()  # the client is made before the clock starts
        start.wait()
        n = 0
        cpu0 = time.thread_time()
        try:
            while time.monotonic() < stop_at[0] and budget.acquire(blocking=False):
                if get() != size:
                    raise RuntimeError("wrong value length")
                n += 1
        except Exception as e:  # reported after the round; the count stops here
            errors.append(repr(e))
        counts[i] = n
        cpu[i] = time.thread_time() - cpu0

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    stop_at[0] = time.monotonic() + duration
    start.wait()
    began = time.monotonic()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - began
    if errors:
        sys.exit(f"a GET failed: {errors[0]}")
    total = sum(counts)
    return total / elapsed, (1e6 * sum(cpu) / total if total else 0.0)


def main() -> None:
    a = parse_args()
    # A SIGTERM (e.g. from timeout(1)) still stops the server and removes
    # its directory, through the finally below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    value = os.urandom(a.value_bytes)
    workdir: Optional[Path] = None
    proc = None
    try:
        if a.offline:
            url, token = "http://127.0.0.1:9", "tkv_0123456789abcdef_" + "0" * 64
        elif a.url:
            url, op_token = a.url.rstrip("/"), a.token
        else:
            workdir = Path(tempfile.mkdtemp(prefix="tkv-sdk-bench-"))
            proc, url, op_token = start_server(a.server_bin, workdir)
        if not a.offline:
            token = setup(url, op_token, value)
        sessions: list[requests.Session] = []
        clients: list[Client] = []
        lock = threading.Lock()

        def sdk_get() -> Callable[[], int]:
            if a.offline:
                s = requests.Session()
                s.trust_env = False
                s.mount("http://", CannedAdapter(value))
                c = Client(url, token, retry=NO_RETRY, session=s)
            else:
                c = Client(url, token, retry=NO_RETRY)
            with lock:
                clients.append(c)
            return lambda: len(c.get(KEY).value)

        def raw_get(trust_env: bool = True) -> Callable[[], int]:
            s = requests.Session()
            s.trust_env = trust_env
            if a.offline:
                s.mount("http://", CannedAdapter(value))
            with lock:
                sessions.append(s)
            target = f"{url}/v1/kv/{KEY.replace('/', '%2F')}"
            auth = {"Authorization": f"Bearer {token}"}

            def get() -> int:
                r = s.get(target, headers=auth, timeout=(5, 30))
                if r.status_code != 200:
                    raise RuntimeError(f"status {r.status_code}")
                return len(r.content)
            return get

        modes: dict[str, Callable[[], Callable[[], int]]] = {
            "sdk": sdk_get, "raw": raw_get, "raw-noenv": lambda: raw_get(False)}
        names = list(modes)
        results: dict[str, list[float]] = {m: [] for m in names}
        cpu_us: dict[str, list[float]] = {m: [] for m in names}
        for rnd in range(a.rounds):
            order = names[rnd % 3:] + names[:rnd % 3]
            for m in order:
                rate, us = run_round(modes[m], a.threads, a.duration, a.max_requests, len(value))
                results[m].append(rate)
                cpu_us[m].append(us)
                if not a.json:
                    print(f"round {rnd + 1} {m}: {rate:,.0f} GET/s, client CPU {us:,.0f} us/GET", flush=True)
        for c in clients:
            c.close()
        for s in sessions:
            s.close()
        rate = {m: statistics.median(results[m]) for m in names}
        us = {m: statistics.median(cpu_us[m]) for m in names}
        report = {"threads": a.threads, "duration_s": a.duration, "rounds": a.rounds, "value_bytes": a.value_bytes,
                  "get_per_s": results, "cpu_us_per_get": cpu_us, "median_get_per_s": rate,
                  "median_cpu_us_per_get": us,
                  "ratio_sdk_raw": rate["sdk"] / rate["raw"], "ratio_sdk_raw_noenv": rate["sdk"] / rate["raw-noenv"],
                  "cpu_ratio_sdk_raw": us["sdk"] / us["raw"], "cpu_ratio_sdk_raw_noenv": us["sdk"] / us["raw-noenv"]}
        if a.json:
            print(json.dumps(report))
        else:
            for m in names:
                print(f"median {m}: {rate[m]:,.0f} GET/s, client CPU {us[m]:,.0f} us/GET")
            print(f"GET/s ratio sdk/raw {report['ratio_sdk_raw']:.3f}, sdk/raw-noenv "
                  f"{report['ratio_sdk_raw_noenv']:.3f}; client CPU ratio sdk/raw {report['cpu_ratio_sdk_raw']:.3f}, "
                  f"sdk/raw-noenv {report['cpu_ratio_sdk_raw_noenv']:.3f}")
    finally:
        if proc is not None:
            stop(proc)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
