#!/usr/bin/env python3
"""Many tenants on one node: create time by tier, memory per tenant, restart
to ready, and a pooled tenant's throughput beside a column-family tenant's
(and a dedicated one's) with every other tenant present (issue 16's scale
benchmark).

    scale.py [--bin build/bin] [--tenants 100000] [--cf-tenants 1900]
        [--dedicated-tenants 100] [--values 10] [--workers 4]
        [--bench-seconds 5] [--runs 3] [--work DIR] [-- server flags...]

Steps, each printed as it ends and summed up in a markdown report at the
end:
  1. An empty node: started, its RSS read once /readyz answers, stopped.
  2. The node: --tenants tenants created through the admin API by
     --workers concurrent clients, --cf-tenants of them in the
     column_family tier and --dedicated-tenants in the dedicated tier
     (each spread evenly), the rest pooled. Each then gets a
     write key and --values values of 100 bytes in one batch. Each create
     is timed; the p50/p99 per thousand creates and tier are reported.
  3. A restart: SIGTERM, then the time from starting the process until
     /readyz answers 200, and the RSS before any other request. Per
     tenant: (that RSS - the empty node's) / tenants.
  4. GET and PUT throughput of one pooled, one column-family and one
     dedicated tenant, each in turn (tenantkv-bench, closed loop, 16 connections,
     --bench-seconds each), --runs times; medians and the pooled/column
     family ratio.
  5. The size and time of one /metrics scrape and of one tenant-list page.
Loopback only; every process started here is stopped by its PID. Python 3
standard library only.
"""
import argparse
import base64
import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


class Server:
    """A tenantkv-server on 127.0.0.1, port 0 (or the address `listen`
    names: a cluster node advertises its URL, so it must know its port
    before it starts), in its own data directory."""

    def __init__(self, bin_dir, data_dir, flags, listen="127.0.0.1:0", log_level="warn"):
        self.bin_dir, self.data_dir, self.flags = bin_dir, data_dir, flags
        self.listen, self.log_level = listen, log_level
        self.proc = None
        self.port = None

    def start(self, timeout=600):
        out = open(self.data_dir + ".out", "w")
        err = open(self.data_dir + ".err", "w")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [os.path.join(self.bin_dir, "tenantkv-server"), "--data-dir", self.data_dir, "--listen", self.listen,
             "--log-level", self.log_level, "--no-access-log"] + self.flags, stdout=out, stderr=err,
            cwd=os.path.dirname(self.data_dir))
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}; see {self.data_dir}.err")
            with open(self.data_dir + ".out") as f:
                text = f.read()
            at = text.find("http://127.0.0.1:")
            if at >= 0:
                rest = text[at + len("http://127.0.0.1:"):]
                digits = "".join(c for c in rest[:6] if c.isdigit())
                if digits:
                    self.port = int(digits)
                    break
            time.sleep(0.01)
        while time.monotonic() - t0 < timeout:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    c.close()
                    return time.monotonic() - t0
                c.close()
            except OSError:
                pass
            time.sleep(0.01)
        raise SystemExit("server not ready in time")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def operator_token(self):
        with open(os.path.join(self.data_dir, "operator.token")) as f:
            return f.read().strip()


class Client:
    """One keep-alive connection per thread."""

    def __init__(self, server):
        self.server = server
        self.port = server.port
        self.local = threading.local()

    def call(self, method, path, token, body=None):
        for attempt in range(3):
            c = getattr(self.local, "conn", None)
            if c is None:
                c = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                headers = {"Authorization": "Bearer " + token}
                data = None
                if body is not None:
                    data = json.dumps(body).encode()
                    headers["Content-Type"] = "application/json"
                c.request(method, path, body=data, headers=headers)
                r = c.getresponse()
                payload = r.read()
                if r.status == 503 and attempt < 2:
                    time.sleep(0.1)
                    continue
                return r.status, payload
            except (OSError, http.client.HTTPException):
                c.close()
                self.local.conn = None
        code = self.server.proc.poll() if self.server.proc else None
        raise RuntimeError(f"{method} {path}: no answer" +
                           (f" (the server exited with {code})" if code is not None else " (the server runs)"))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--bin", default=os.path.join(here, "..", "..", "..", "build", "bin"))
    p.add_argument("--tenants", type=int, default=100000)
    p.add_argument("--cf-tenants", type=int, default=1900)
    p.add_argument("--dedicated-tenants", type=int, default=100)
    p.add_argument("--values", type=int, default=10)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--bench-seconds", type=int, default=5)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--work", help="directory for the data (default: a new one under /tmp, removed at the end)")
    p.add_argument("flags", nargs="*", help="server flags, after --")
    a = p.parse_args()
    if a.cf_tenants + a.dedicated_tenants >= a.tenants or a.cf_tenants < 1 or a.dedicated_tenants < 0:
        raise SystemExit("need 1 <= --cf-tenants, 0 <= --dedicated-tenants, and both together < --tenants")
    # SIGTERM or SIGINT end the run through the finally below, which stops
    # the servers started here.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(130))
    work = a.work or tempfile.mkdtemp(prefix="tkv-scale.")
    os.makedirs(work, exist_ok=True)
    own_work = a.work is None
    servers = []
    try:
        report = run(a, work, servers)
    finally:
        for s in servers:
            s.stop()
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
    print(report)


def run(a, work, servers):
    flags = a.flags
    # 1. the empty node
    empty = Server(a.bin, os.path.join(work, "empty"), flags)
    servers.append(empty)
    empty_ready = empty.start()
    time.sleep(1)
    empty_rss = rss_kb(empty.proc.pid)
    empty.stop()
    log(f"empty node: ready in {empty_ready:.2f} s, RSS {empty_rss / 1024:.1f} MiB")

    # 2. the tenants
    node = Server(a.bin, os.path.join(work, "node"), flags)
    servers.append(node)
    node.start()
    op = node.operator_token()
    client = Client(node)
    step = a.tenants / a.cf_tenants
    cf_at = {int(i * step) for i in range(a.cf_tenants)}
    # The dedicated ones spread evenly too, each on the first index after
    # its even spot that is not a column-family one.
    dedicated_at = set()
    if a.dedicated_tenants:
        d_step = a.tenants / a.dedicated_tenants
        for i in range(a.dedicated_tenants):
            j = int(i * d_step) + 1
            while j in cf_at or j in dedicated_at:
                j += 1
            dedicated_at.add(j % a.tenants)
    value = base64.b64encode(b"v" * 100).decode()
    tiers = ("pooled", "column_family", "dedicated") if a.dedicated_tenants else ("pooled", "column_family")
    create_ms = {tier: {} for tier in tiers}  # tier -> {thousand: [ms]}
    lock = threading.Lock()
    done = [0]

    def make(i):
        tenant = f"t{i:06d}"
        tier = "column_family" if i in cf_at else "dedicated" if i in dedicated_at else "pooled"
        t0 = time.monotonic()
        st, body = client.call("POST", "/admin/v1/tenants", op, {"id": tenant, "tier": tier})
        ms = (time.monotonic() - t0) * 1000
        if st != 201:
            raise RuntimeError(f"create {tenant}: {st} {body[:200]!r}")
        st, body = client.call("POST", f"/admin/v1/tenants/{tenant}/apikeys", op, {"role": "write"})
        if st != 201:
            raise RuntimeError(f"key of {tenant}: {st} {body[:200]!r}")
        token = json.loads(body)["token"]
        ops = [{"op": "put", "key": f"k{j}", "value_b64": value} for j in range(a.values)]
        st, body = client.call("POST", "/v1/batch", token, {"ops": ops})
        if st != 200:
            raise RuntimeError(f"values of {tenant}: {st} {body[:200]!r}")
        with lock:
            create_ms[tier].setdefault(i // 1000, []).append(ms)
            done[0] += 1
            if done[0] % 10000 == 0:
                log(f"{done[0]} tenants")
        return tenant, tier, token

    t0 = time.monotonic()
    tokens = {}
    with concurrent.futures.ThreadPoolExecutor(a.workers) as pool:
        for tenant, tier, token in pool.map(make, range(a.tenants)):
            if tier not in tokens:
                tokens[tier] = (tenant, token)
    fill_s = time.monotonic() - t0
    loaded_rss = rss_kb(node.proc.pid)
    log(f"{a.tenants} tenants in {fill_s:.0f} s; RSS {loaded_rss / 1024:.1f} MiB")

    # 3. the restart
    node.stop()
    ready_s = node.start()
    time.sleep(1)
    restart_rss = rss_kb(node.proc.pid)
    per_tenant = (restart_rss - empty_rss) * 1024 / a.tenants
    log(f"restart to ready {ready_s:.2f} s; RSS {restart_rss / 1024:.1f} MiB, {per_tenant:.0f} B per tenant")

    # 5 (before the load: it is what an operator sees of an idle node)
    client = Client(node)
    t1 = time.monotonic()
    st, metrics = client.call("GET", "/metrics", op)
    metrics_ms = (time.monotonic() - t1) * 1000
    t1 = time.monotonic()
    st2, page = client.call("GET", "/admin/v1/tenants?limit=1000&tier=pooled", op)
    page_ms = (time.monotonic() - t1) * 1000
    listed = len(json.loads(page)["tenants"]) if st2 == 200 else 0
    series = sum(1 for line in metrics.decode().splitlines() if line and not line.startswith("#"))
    log(f"/metrics: {len(metrics)} bytes, {series} samples, {metrics_ms:.0f} ms; a list page of {listed}: {page_ms:.0f} ms")

    # 4. throughput, pooled against column family, quotas out of the way
    unlimited = {"requests_per_sec": 1000000, "burst_requests": 1000000, "max_concurrent": 1024,
                 "read_bytes_per_sec": 10000000000, "burst_read_bytes": 10000000000,
                 "write_bytes_per_sec": 10000000000, "burst_write_bytes": 10000000000}
    for tier in tiers:
        st, body = client.call("PUT", f"/admin/v1/tenants/{tokens[tier][0]}/quota", op, unlimited)
        if st != 200:
            raise RuntimeError(f"quota of {tokens[tier][0]}: {st} {body[:200]!r}")
    tps = {}
    for run_no in range(a.runs):
        for tier in tiers:
            tenant, _ = tokens[tier]
            key_file = os.path.join(work, f"{tier}.token")
            with open(key_file, "w") as f:
                f.write(tokens[tier][1])
            for mix in ("get", "put"):
                spec = (f"name={tenant},rate=0,conns=16,mix={mix}:100,keys={a.values},value=100,"
                        f"token_file={key_file}")
                out = subprocess.run(
                    [os.path.join(a.bin, "tenantkv-bench"), "--server", f"http://127.0.0.1:{node.port}",
                     "--duration", str(a.bench_seconds), "--warmup", "1", "--quiet", "--tenant", spec],
                    capture_output=True, text=True, timeout=a.bench_seconds + 120)
                achieved = 0.0
                for line in out.stdout.splitlines():
                    cols = line.split()
                    if cols and cols[0] == tenant:
                        achieved = float(cols[3])
                tps.setdefault((tier, mix), []).append(achieved)
                log(f"run {run_no + 1}: {tier} {mix} {achieved:.0f}/s")

    # the report
    pooled_n = a.tenants - a.cf_tenants - a.dedicated_tenants
    lines = [f"### scale.py: {a.tenants} tenants ({pooled_n} pooled, {a.cf_tenants} column_family, "
             f"{a.dedicated_tenants} dedicated), "
             f"{a.values} values each, {a.workers} concurrent creators", ""]
    lines += ["| | figure |", "|---|---|",
              f"| empty node RSS | {empty_rss / 1024:.1f} MiB |",
              f"| creating and filling all tenants | {fill_s:.0f} s ({a.tenants / fill_s:.0f} tenants/s) |",
              f"| RSS with all tenants, after filling | {loaded_rss / 1024:.1f} MiB |",
              f"| restart to ready | {ready_s:.2f} s |",
              f"| RSS after the restart, before any request | {restart_rss / 1024:.1f} MiB |",
              f"| (that - empty) / tenants | {per_tenant:.0f} bytes |",
              f"| one /metrics scrape | {len(metrics) / 1024:.0f} KiB, {series} samples, {metrics_ms:.0f} ms |",
              f"| one tenant-list page (1,000, tier=pooled) | {page_ms:.0f} ms |", ""]
    lines += ["| tier | create p50 ms (all) | create p99 ms (all) | worst thousand's p99 ms | thousands with p99 > 20 ms |",
              "|---|---|---|---|---|"]
    for tier in tiers:
        buckets = create_ms[tier]
        every = [v for b in buckets.values() for v in b]
        p99s = {k: pct(v, 99) for k, v in buckets.items()}
        worst = max(p99s.values()) if p99s else float("nan")
        over = sum(1 for v in p99s.values() if v > 20)
        lines.append(f"| {tier} | {pct(every, 50):.2f} | {pct(every, 99):.2f} | {worst:.2f} | {over} of {len(p99s)} |")
    lines += ["", "| op | pooled req/s (median) | column_family req/s (median) | pooled / column_family |", "|---|---|---|---|"]
    for mix in ("get", "put"):
        pm = statistics.median(tps[("pooled", mix)])
        cm = statistics.median(tps[("column_family", mix)])
        lines.append(f"| {mix} | {pm:.0f} | {cm:.0f} | {pm / cm:.2f} |" if cm else f"| {mix} | {pm:.0f} | {cm:.0f} | - |")
    if "dedicated" in tiers:
        lines += ["", "| op | dedicated req/s (median) | dedicated / column_family |", "|---|---|---|"]
        for mix in ("get", "put"):
            dm = statistics.median(tps[("dedicated", mix)])
            cm = statistics.median(tps[("column_family", mix)])
            lines.append(f"| {mix} | {dm:.0f} | {dm / cm:.2f} |" if cm else f"| {mix} | {dm:.0f} | - |")
    lines += ["", "per thousand creates (tier thousand p50 p99 ms):"]
    for tier in tiers:
        for k in sorted(create_ms[tier]):
            v = create_ms[tier][k]
            lines.append(f"    {tier} {k} {pct(v, 50):.2f} {pct(v, 99):.2f}")
    lines += ["", "runs (tier op req/s):"]
    for (tier, mix), v in sorted(tps.items()):
        lines.append(f"    {tier} {mix} " + " ".join(f"{x:.0f}" for x in v))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
