#!/usr/bin/env python3
"""Moves of a tenant between the nodes of a cluster under steady writers
(issue 19's "moves between nodes"): the write pause of each move, the
total time of each move, the writers' latency during the moves against
before them, and whether every acknowledged write reads back through
every node.

    node-move.py [--nodes n1=http://127.0.0.1:P1,n2=...,n3=...
                  --operator-token-file F]
        [--bin build/bin] [--values 100000] [--writers 2] [--writer-keys 2000]
        [--moves 10] [--via NODE] [--baseline-seconds 5] [--move-timeout 300]
        [--tenant node-mover] [--move-grace 5] [--work DIR] [-- node flags...]

Without --nodes it starts its own cluster on 127.0.0.1, as cluster.sh
does: an etcd and three nodes (n1, n2, n3) from --bin, one operator token,
`--cluster-move-grace --move-grace` (the given-away copy is deleted after
it), plus the node flags after `--`. Every process started here is
stopped by its PID at the end.

Steps:
  1. A tenant is created on the first node, its quotas lifted out of the
     way (admission still runs), and --values values of 100 bytes loaded
     in batches of 1,000 (two at a time) through that node.
  2. --writers writers (tier-move.py's Writer: each PUTs its own
     --writer-keys keys with a new value each time, open loop, one
     keep-alive connection) send through one fixed node, --via (the
     third node by default): every node forwards to the owner, so this is
     what a client sees. They run alone for --baseline-seconds (the
     baseline latency of the same run).
  3. --moves moves round the nodes in order (n1 -> n2 -> n3 -> n1 ...),
     one after the other: POST /admin/v1/tenants/{id}/move, then the
     tenant read every 50 ms until `node` names the target and
     node_move.state is `done` (a `failed` move, or one not done in
     --move-timeout seconds, fails the run). The total time of a move is
     from its accepted POST to that. A POST refused with 503, or with
     409 move_in_progress for --retry-409 seconds (the new owner shows
     the previous move `done` a moment before it takes another), is sent
     again every 50 ms; each move's refusals and wait are reported. A write refused with
     503 tenant_moving (or tenant_unavailable: the owner changing under a
     forwarded request) is sent again at once; its *pause* is the time
     from the first refused send to the answer of the write that then
     succeeds. Each pause counts for the move during which it began.
  4. The writers stop (a refused write is first acknowledged), and every
     acknowledged write (each key's last acknowledged value) and every
     loaded value is read back through each node: listed with their
     values, and the writers' keys also one GET each. Any mismatch or
     missing key fails the run (exit 1).
A markdown table and a summary go to stdout, progress to stderr. Python 3
standard library only; loopback only.
"""
import argparse
import base64
import bisect
import concurrent.futures
import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from scale import Client, Server, log, pct  # noqa: E402


def _tier_move():
    spec = importlib.util.spec_from_file_location("tier_move", os.path.join(HERE, "tier-move.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


Writer = _tier_move().Writer

UNLIMITED = {"requests_per_sec": 1000000, "burst_requests": 1000000, "max_concurrent": 1024,
             "read_bytes_per_sec": 10000000000, "burst_read_bytes": 10000000000,
             "write_bytes_per_sec": 10000000000, "burst_write_bytes": 10000000000}
# A forwarded request whose owner changed under it may get
# tenant_unavailable ("its owner is changing") instead of tenant_moving;
# both are sent again, and counted apart.
RETRY_CODES = ("tenant_moving", "tenant_unavailable")


class Node:
    """A node reached at its URL (127.0.0.1 only); quacks like a scale.Server
    for scale.Client."""

    def __init__(self, name, url, proc=None):
        u = urllib.parse.urlsplit(url)
        if u.scheme != "http" or u.hostname != "127.0.0.1" or not u.port:
            raise SystemExit(f"--nodes: {name}={url}: only http://127.0.0.1:PORT")
        self.name, self.url, self.port, self.proc = name, url, u.port, proc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnCluster:
    """etcd and three nodes on 127.0.0.1, as cluster.sh starts them."""

    def __init__(self, bin_dir, work, flags, grace):
        self.bin_dir, self.work, self.flags, self.grace = bin_dir, work, flags, grace
        self.etcd = None
        self.servers = []

    def start(self):
        cport, pport = free_port(), free_port()
        with open(os.path.join(self.work, "etcd.log"), "w") as out:
            self.etcd = subprocess.Popen(
                ["etcd", "--name", "bench", "--data-dir", os.path.join(self.work, "etcd"),
                 "--listen-client-urls", f"http://127.0.0.1:{cport}",
                 "--advertise-client-urls", f"http://127.0.0.1:{cport}",
                 "--listen-peer-urls", f"http://127.0.0.1:{pport}",
                 "--initial-advertise-peer-urls", f"http://127.0.0.1:{pport}",
                 "--initial-cluster", f"bench=http://127.0.0.1:{pport}"], stdout=out, stderr=out)
        t0 = time.monotonic()
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", cport, timeout=2)
                c.request("GET", "/health")
                if b"true" in c.getresponse().read():
                    break
            except OSError:
                pass
            if self.etcd.poll() is not None or time.monotonic() - t0 > 20:
                raise SystemExit(f"etcd did not start; see {self.work}/etcd.log")
            time.sleep(0.2)
        self.token_file = os.path.join(self.work, "operator.token")
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        nodes = []
        for name in ("n1", "n2", "n3"):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            s = Server(self.bin_dir, os.path.join(self.work, name),
                       ["--cluster-etcd", f"http://127.0.0.1:{cport}", "--node-id", name, "--advertise-url", url,
                        "--operator-token-file", self.token_file, "--cluster-move-grace", str(self.grace)]
                       + self.flags, listen=f"127.0.0.1:{port}", log_level="info")
            self.servers.append(s)
            s.start(timeout=120)
            nodes.append(Node(name, url, s.proc))
        log(f"own cluster: etcd on {cport}, " + ", ".join(f"{n.name} {n.url}" for n in nodes))
        return nodes

    def stop(self):
        for s in self.servers:
            s.stop()
        if self.etcd and self.etcd.poll() is None:
            self.etcd.terminate()
            try:
                self.etcd.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.etcd.kill()
                self.etcd.wait()


def checked(client, method, path, token, body=None, want=(200,)):
    st, payload = client.call(method, path, token, body)
    if st not in want:
        raise RuntimeError(f"{method} {path}: {st} {payload[:300]!r}")
    return json.loads(payload) if payload else None


def load(client, token, values):
    def batch(start):
        ops = [{"op": "put", "key": f"base{j}", "value_b64": base64.b64encode(base_value(j)).decode()}
               for j in range(start, min(values, start + 1000))]
        checked(client, "POST", "/v1/batch", token, {"ops": ops})
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(batch, range(0, values, 1000)))


def base_value(j):
    return f"b{j}:".encode().ljust(100, b"v")


def move(clients, op, tenant, src, dst, timeout, retry_409):
    """One move: (seconds from the accepted POST to `done` seen, keys copied,
    error or None, [(status, code) of each refused POST], seconds from the
    first POST to the accepted one)."""
    t_first = time.monotonic()
    refusals = []
    while True:
        # A refusal with 503 (e.g. too_many_moves), or with 409
        # move_in_progress for --retry-409 seconds (the node still ending
        # the previous move after showing it done), is asked again.
        t0 = time.monotonic()
        st, body = clients[src].call("POST", f"/admin/v1/tenants/{tenant}/move", op, {"node": dst})
        if st == 202:
            break
        code = json.loads(body).get("code", "") if body.startswith(b"{") else ""
        refusals.append((st, code))
        waited = time.monotonic() - t_first
        if not ((st == 503 and waited < timeout) or (st == 409 and code == "move_in_progress" and waited < retry_409)):
            return waited, 0, f"POST move: {st} {body[:300]!r}", refusals, waited
        time.sleep(0.05)
    waited = t0 - t_first
    last = None
    while time.monotonic() - t0 < timeout:
        st, body = clients[dst].call("GET", f"/admin/v1/tenants/{tenant}", op)
        if st == 200:
            t = json.loads(body)
            m = t.get("node_move") or {}
            last = (t.get("node"), m)
            if t.get("node") == dst and m.get("state") == "done":
                return time.monotonic() - t0, m.get("copied_keys", 0), None, refusals, waited
            if m.get("state") == "failed":
                return time.monotonic() - t0, m.get("copied_keys", 0), f"failed: {json.dumps(m)}", refusals, waited
        time.sleep(0.05)
    return time.monotonic() - t0, 0, f"not done in {timeout} s (last seen: node {last})", refusals, waited


def verify(client, token, expected, writer_keys):
    """Reads every expected key back through one node: (keys checked, bad, extra)."""
    seen, after = {}, None
    while True:
        path = "/v1/kv?limit=1000&values=true" + (f"&start_after={urllib.parse.quote(after)}" if after else "")
        page = checked(client, "GET", path, token)
        for it in page["items"]:
            seen[it["key"]] = base64.b64decode(it.get("value_b64", ""))
        after = page.get("next")
        if not after:
            break
    bad = [k for k, v in expected.items() if seen.get(k) != v]
    for k in writer_keys:
        st, body = client.call("GET", "/v1/kv/" + k, token)
        if st != 200 or body != expected[k]:
            bad.append(k + " (GET)")
    return len(expected), bad, len(set(seen) - set(expected))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", help="n1=http://127.0.0.1:P1,n2=...: an existing cluster (else one is started)")
    p.add_argument("--operator-token-file", help="the cluster's operator token (with --nodes)")
    p.add_argument("--bin", default=os.path.join(HERE, "..", "..", "..", "build", "bin"))
    p.add_argument("--values", type=int, default=100000, help="values of 100 bytes the tenant holds")
    p.add_argument("--writers", type=int, default=2)
    p.add_argument("--writer-keys", type=int, default=2000, help="keys each writer cycles through")
    p.add_argument("--moves", type=int, default=10)
    p.add_argument("--via", help="the node the writers send through (default: the third node)")
    p.add_argument("--baseline-seconds", type=float, default=5)
    p.add_argument("--move-timeout", type=float, default=300, help="seconds a move may take")
    p.add_argument("--retry-409", type=float, default=10,
                   help="seconds a move's POST refused with 409 move_in_progress is sent again (0: fail at once)")
    p.add_argument("--tenant", default="node-mover")
    p.add_argument("--move-grace", type=int, default=5, help="--cluster-move-grace of the nodes started here")
    p.add_argument("--work", help="directory for the own cluster's data (default: a new one, removed unless the run fails)")
    p.add_argument("flags", nargs="*", help="node flags, after -- (own cluster only)")
    a = p.parse_args()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(130))
    cluster, work, failed = None, None, True
    try:
        if a.nodes:
            if not a.operator_token_file:
                raise SystemExit("--nodes needs --operator-token-file")
            nodes = [Node(*item.split("=", 1)) for item in a.nodes.split(",")]
            token_file = a.operator_token_file
        else:
            work = a.work or tempfile.mkdtemp(prefix="tkv-nodemove.")
            os.makedirs(work, exist_ok=True)
            cluster = OwnCluster(os.path.abspath(a.bin), work, a.flags, a.move_grace)
            nodes = cluster.start()
            token_file = cluster.token_file
        if len(nodes) < 2:
            raise SystemExit("--nodes: at least two nodes")
        with open(token_file) as f:
            op = f.read().strip()
        failed = run(a, nodes, op)
    finally:
        if cluster:
            cluster.stop()
            if failed and work:
                log(f"the run failed: the nodes' logs are kept in {work} (n1.err, n2.err, n3.err)")
            elif not a.work:
                shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


def run(a, nodes, op):
    """The measurement; prints the report. Returns True if the run failed."""
    names = [n.name for n in nodes]
    via = a.via or names[min(2, len(names) - 1)]
    if via not in names:
        raise SystemExit(f"--via {via}: not among --nodes")
    clients = {n.name: Client(n) for n in nodes}
    first = names[0]
    c1 = clients[first]
    checked(c1, "POST", "/admin/v1/tenants", op, {"id": a.tenant, "node": first}, want=(201,))
    checked(c1, "PUT", f"/admin/v1/tenants/{a.tenant}/quota", op, UNLIMITED)
    token = checked(c1, "POST", f"/admin/v1/tenants/{a.tenant}/apikeys", op, {"role": "write"}, want=(201,))["token"]
    t0 = time.monotonic()
    load(c1, token, a.values)
    load_s = time.monotonic() - t0
    log(f"{a.values} values loaded through {first} in {load_s:.1f} s")

    port = next(n.port for n in nodes if n.name == via)
    writers = [Writer(port, token, i, a.writer_keys, retry_codes=RETRY_CODES, finish_refused=True, ack_times=True)
               for i in range(a.writers)]
    for w in writers:
        w.start()
    time.sleep(a.baseline_seconds)
    for w in writers:
        w.phase = "moving"
    rows, error = [], None
    here_now = first
    for i in range(a.moves):
        dst = names[(names.index(here_now) + 1) % len(names)]
        start = time.monotonic()
        refused_before = sum(w.refused for w in writers)
        secs, copied, err, post_refusals, waited = move(clients, op, a.tenant, here_now, dst, a.move_timeout,
                                                        a.retry_409)
        rows.append({"from": here_now, "to": dst, "start": start, "secs": secs, "copied": copied,
                     "refused_before": refused_before, "post_refusals": post_refusals, "waited": waited})
        if post_refusals:
            log(f"move {i + 1}: its POST was refused {len(post_refusals)} times "
                f"({', '.join(sorted(set(f'{st} {c}' for st, c in post_refusals)))}) for {waited * 1000:.0f} ms")
        if err:
            error = f"move {i + 1} ({here_now} -> {dst}): {err}"
            log(error)
            break
        log(f"move {i + 1}: {here_now} -> {dst} in {secs:.2f} s ({copied} keys copied)")
        here_now = dst
    time.sleep(0.5)  # the last move's refused writes get their answers
    end = time.monotonic()
    for w in writers:
        w.stop.set()
    for w in writers:
        w.join(timeout=60)
    werr = [f"writer {w.index}: {w.error or 'did not stop in 60 s'}" for w in writers if w.error or w.is_alive()]
    refused_after = sum(w.refused for w in writers)

    # Per move: the longest pause begun in it, refused sends, and the
    # longest gap between two acknowledged writes of a writer begun in it
    # (from the answer of one to the answer of the next).
    bounds = [r["start"] for r in rows] + [end]
    for k, r in enumerate(rows):
        lo, hi = bounds[k], bounds[k + 1]
        r["pause"] = max([(e - s) * 1000 for w in writers for s, e in w.pause_log if lo <= s < hi], default=0.0)
        r["refused"] = (rows[k + 1]["refused_before"] if k + 1 < len(rows) else refused_after) - r["refused_before"]
        gap = 0.0
        for w in writers:
            ts = w.ack_times
            j = bisect.bisect_left(ts, lo)
            while j + 1 < len(ts) and ts[j] < hi:
                gap = max(gap, ts[j + 1] - ts[j])
                j += 1
        r["gap"] = gap * 1000

    # The read-back, through each node.
    expected = {f"base{j}": base_value(j) for j in range(a.values)}
    wkeys = []
    for w in writers:
        for key, val in w.acked.items():
            expected[key] = val.encode()
            wkeys.append(key)
    checks = {}
    for n in names:
        checks[n] = verify(clients[n], token, expected, wkeys)
        log(f"read back through {n}: {checks[n][0]} keys, {len(checks[n][1])} wrong or missing")

    done = [r for r in rows if not (error and r is rows[-1])]
    pauses = [r["pause"] for r in done]
    base = [x for w in writers for x in w.latency["baseline"]]
    moving = [x for w in writers for x in w.latency["moving"]]
    by_code = {}
    for w in writers:
        for code, count in w.refused_by.items():
            by_code[code] = by_code.get(code, 0) + count
    over = sum(1 for x in pauses if x > 1000)
    lines = [f"### node-move.py: a tenant of {a.values:,} values moved {a.moves} times round "
             f"{' -> '.join(names)}, {a.writers} writers through {via}, {os.cpu_count()} cores", "",
             "| move | from → to | total s | keys copied | longest write pause ms | refused writes | "
             "longest gap between acknowledged writes ms | POST refused (waited ms) |",
             "|---|---|---|---|---|---|---|---|"]
    for k, r in enumerate(rows):
        status = " (**failed**)" if error and r is rows[-1] else ""
        posts = (f"{len(r['post_refusals'])}× {'/'.join(sorted(set(c or str(st) for st, c in r['post_refusals'])))} "
                 f"({r['waited'] * 1000:.0f})" if r["post_refusals"] else "0")
        lines.append(f"| {k + 1}{status} | {r['from']} → {r['to']} | {r['secs']:.2f} | {r['copied']} | "
                     f"{r['pause']:.0f} | {r['refused']} | {r['gap']:.0f} | {posts} |")
    held = [r for r in rows if r["post_refusals"]]
    ratio = (lambda q: pct(moving, q) / pct(base, q) if base and moving else float("nan"))
    lines += ["", "| | figure |", "|---|---|",
              f"| moves done | {len(done)} of {a.moves} |",
              f"| write pause per move, median / max (target ≤ 1,000 ms each) | {pct(pauses, 50):.0f} / "
              f"{max(pauses, default=float('nan')):.0f} ms; moves over 1 s: {over} |",
              f"| total move time, median / max / sum of the moves done | {pct([r['secs'] for r in done], 50):.2f} / "
              f"{max([r['secs'] for r in done], default=float('nan')):.2f} / {sum(r['secs'] for r in done):.2f} s |",
              f"| moves whose POST was refused first (sent again every 50 ms), longest wait | {len(held)}, "
              f"{max([r['waited'] * 1000 for r in held], default=0):.0f} ms |",
              f"| refused sends (each sent again at once) | {refused_after}"
              + (" (" + ", ".join(f"{c}: {n}" for c, n in sorted(by_code.items())) + ")" if by_code else "") + " |",
              f"| write latency p50 / p99 before the moves | {pct(base, 50):.2f} / {pct(base, 99):.2f} ms "
              f"({len(base)} writes in {a.baseline_seconds:g} s) |",
              f"| write latency p50 / p99 during the moves | {pct(moving, 50):.2f} / {pct(moving, 99):.2f} ms "
              f"({len(moving)} writes in {end - bounds[0]:.0f} s) |",
              f"| during / before, p50 and p99 | {ratio(50):.2f} and {ratio(99):.2f} |",
              f"| loading the values through {first} | {load_s:.1f} s |"]
    for n in names:
        count, bad, extra = checks[n]
        lines.append(f"| read back through {n} | {count:,} keys ({a.values:,} loaded, {len(wkeys):,} writers' "
                     f"last acknowledged values), wrong or missing: {len(bad)}"
                     + (f" (e.g. {', '.join(bad[:5])})" if bad else "") + (f"; {extra} unexpected keys" if extra else "")
                     + " |")
    problems = ([error] if error else []) + werr + [f"through {n}: {len(c[1])} keys wrong or missing"
                                                    for n, c in checks.items() if c[1]]
    if problems:
        lines += ["", "**The run failed:** " + "; ".join(problems)]
    print("\n".join(lines), flush=True)
    return bool(problems)


if __name__ == "__main__":
    main()
