#!/usr/bin/env python3
"""Online tier moves under load: a tenant moved round the tiers, pooled ->
column_family -> dedicated -> pooled (--moves rounds; --tiers changes the
round), while writers run; how long writes pause in
each switch, what the writers' latency is during the moves against before
them, and whether every acknowledged write is readable afterwards (issue
16's "moves under load").

    tier-move.py [--bin build/bin] [--keys 20000] [--writers 4]
        [--moves 3] [--tiers column_family,dedicated,pooled] [--work DIR]
        [-- server flags...]

Each writer PUTs its own keys (a new value each time) on one keep-alive
connection, open loop as fast as answers come. A write refused with
503 tenant_moving is sent again at once; its *pause* is the time from the
first refused send to the answer of the write that then succeeds. Before
the moves the writers run alone for a few seconds: the baseline latency of
the same run. At the end every key's last acknowledged value is read back.
Loopback only; the server started here is stopped by its PID. Python 3
standard library only.
"""
import argparse
import base64
import http.client
import json
import os
import sys
import tempfile
import shutil
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale import Client, Server, log, pct  # noqa: E402


class Writer(threading.Thread):
    """One open-loop writer (see the module's doc). node-move.py uses it
    too: `retry_codes` are the codes of the 503 answers sent again (each
    counted in refused_by), `finish_refused` makes a stop wait for a
    refused write to be acknowledged first, and `ack_times` records when
    each acknowledged write was answered (monotonic seconds). Every pause
    is also in pause_log as (first refused send, answer), monotonic
    seconds."""

    def __init__(self, port, token, index, keys, retry_codes=("tenant_moving",), finish_refused=False,
                 ack_times=False):
        super().__init__(daemon=True)
        self.port, self.token, self.index, self.keys = port, token, index, keys
        self.retry_codes = [c.encode() for c in retry_codes]
        self.finish_refused = finish_refused
        self.stop = threading.Event()
        self.phase = "baseline"
        self.latency = {"baseline": [], "moving": []}  # ms per acknowledged write
        self.pauses = []  # ms
        self.pause_log = []  # (first refused send, answer of the write then acknowledged)
        self.ack_times = [] if ack_times else None
        self.refused = 0
        self.refused_by = {}  # code -> refused sends
        self.acked = {}  # key -> last acknowledged value
        self.error = None

    def run(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/octet-stream"}
        seq = 0
        refused_since = None
        try:
            while not self.stop.is_set() or (self.finish_refused and refused_since is not None):
                key = f"w{self.index}-{seq % self.keys}"
                value = f"{self.index}:{seq}"
                t0 = time.monotonic()
                c.request("PUT", "/v1/kv/" + key, body=value.encode(), headers=headers)
                r = c.getresponse()
                body = r.read()
                t1 = time.monotonic()
                code = next((rc for rc in self.retry_codes if rc in body), None) if r.status == 503 else None
                if code is not None:
                    self.refused += 1
                    self.refused_by[code.decode()] = self.refused_by.get(code.decode(), 0) + 1
                    if refused_since is None:
                        refused_since = t0
                    continue
                if r.status not in (200, 201, 204):
                    self.error = f"PUT {key}: {r.status} {body[:200]!r}"
                    return
                self.acked[key] = value
                if self.ack_times is not None:
                    self.ack_times.append(t1)
                if refused_since is not None:
                    self.pauses.append((t1 - refused_since) * 1000)
                    self.pause_log.append((refused_since, t1))
                    refused_since = None
                self.latency[self.phase].append((t1 - t0) * 1000)
                seq += 1
        except (OSError, http.client.HTTPException) as e:
            self.error = f"connection: {e}"


def wait_move(client, op, tenant, timeout=600):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        st, body = client.call("GET", f"/admin/v1/tenants/{tenant}", op)
        t = json.loads(body)
        m = t.get("tier_move", {})
        if m.get("state") in ("done", "failed"):
            return t, time.monotonic() - t0
        time.sleep(0.02)
    raise SystemExit("the move did not end in time")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--bin", default=os.path.join(here, "..", "..", "..", "build", "bin"))
    p.add_argument("--keys", type=int, default=20000, help="values of 100 bytes the tenant holds before the moves")
    p.add_argument("--writers", type=int, default=4)
    p.add_argument("--writer-keys", type=int, default=2000, help="keys each writer cycles through")
    p.add_argument("--moves", type=int, default=3, help="rounds from pooled through --tiers")
    p.add_argument("--tiers", default="column_family,dedicated,pooled",
                   help="the tiers of one round, in order, from pooled (the last one pooled)")
    p.add_argument("--baseline-seconds", type=float, default=3)
    p.add_argument("--work")
    p.add_argument("flags", nargs="*")
    a = p.parse_args()
    tiers = a.tiers.split(",")
    if tiers[-1] != "pooled" or any(t not in ("pooled", "column_family", "dedicated") for t in tiers):
        raise SystemExit("--tiers: pooled, column_family or dedicated, comma-separated, ending with pooled")
    work = a.work or tempfile.mkdtemp(prefix="tkv-tiermove.")
    os.makedirs(work, exist_ok=True)
    server = Server(os.path.abspath(a.bin), os.path.join(work, "data"), a.flags)
    writers = []
    try:
        server.start()
        op = server.operator_token()
        client = Client(server)
        st, _ = client.call("POST", "/admin/v1/tenants", op, {"id": "mover", "tier": "pooled"})
        assert st == 201, st
        st, _ = client.call("PUT", "/admin/v1/tenants/mover/quota", op,
                            {"requests_per_sec": 1000000, "burst_requests": 1000000, "max_concurrent": 1024,
                             "write_bytes_per_sec": 10000000000, "burst_write_bytes": 10000000000,
                             "read_bytes_per_sec": 10000000000, "burst_read_bytes": 10000000000})
        assert st == 200, st
        st, body = client.call("POST", "/admin/v1/tenants/mover/apikeys", op, {"role": "write"})
        token = json.loads(body)["token"]
        value = base64.b64encode(b"v" * 100).decode()
        for start in range(0, a.keys, 100):
            ops = [{"op": "put", "key": f"base{j}", "value_b64": value} for j in range(start, min(a.keys, start + 100))]
            st, body = client.call("POST", "/v1/batch", token, {"ops": ops})
            assert st == 200, (st, body[:200])
        log(f"tenant filled: {a.keys} values")
        writers = [Writer(server.port, token, i, a.writer_keys) for i in range(a.writers)]
        for w in writers:
            w.start()
        time.sleep(a.baseline_seconds)
        for w in writers:
            w.phase = "moving"
        durations = []
        for i in range(a.moves):
            for to in tiers:
                st, body = client.call("POST", "/admin/v1/tenants/mover/tier", op, {"tier": to})
                assert st == 202, (st, body[:200])
                t, secs = wait_move(client, op, "mover")
                if t["tier_move"]["state"] != "done" or t["tier"] != to:
                    raise SystemExit(f"move to {to} failed: {t['tier_move']}")
                durations.append((to, secs, t["tier_move"]["copied_keys"]))
                log(f"moved to {to} in {secs:.2f} s ({t['tier_move']['copied_keys']} keys copied)")
        for w in writers:
            w.stop.set()
        for w in writers:
            w.join(timeout=60)
            if w.error:
                raise SystemExit(f"writer {w.index}: {w.error}")
        # Every acknowledged write, read back.
        read_token = token
        lost = 0
        checked = 0
        for w in writers:
            for key, val in w.acked.items():
                st, body = client.call("GET", "/v1/kv/" + key, read_token)
                checked += 1
                if st != 200 or body.decode() != val:
                    lost += 1
        pauses = [x for w in writers for x in w.pauses]
        base = [x for w in writers for x in w.latency["baseline"]]
        moving = [x for w in writers for x in w.latency["moving"]]
        refused = sum(w.refused for w in writers)
        lines = [
            f"### tier-move.py: {a.keys} values, {a.writers} writers, {a.moves} rounds pooled -> " + " -> ".join(tiers),
            "",
            "| | figure |",
            "|---|---|",
            f"| moves (all done) | {len(durations)} |",
            f"| move time, median | {pct([d[1] for d in durations], 50):.2f} s |",
        ] + [
            f"| move time into {t}, median | {pct([d[1] for d in durations if d[0] == t], 50):.2f} s |" for t in tiers
        ] + [
            f"| switches in which a writer was refused | {len(pauses)} pauses over {a.writers} writers |",
            f"| writes refused with 503 tenant_moving (each sent again at once) | {refused} |",
            f"| write pause p50 / p99 / max | {pct(pauses, 50):.1f} / {pct(pauses, 99):.1f} / {max(pauses) if pauses else float('nan'):.1f} ms |",
            f"| write latency p50 / p99, before the moves | {pct(base, 50):.2f} / {pct(base, 99):.2f} ms ({len(base)} writes) |",
            f"| write latency p50 / p99, during the moves | {pct(moving, 50):.2f} / {pct(moving, 99):.2f} ms ({len(moving)} writes) |",
            f"| p99 during / before | {pct(moving, 99) / pct(base, 99):.2f} |",
            f"| acknowledged writes read back | {checked}, of which lost: {lost} |",
        ]
        print("\n".join(lines))
        if lost:
            sys.exit(1)
    finally:
        for w in writers:
            w.stop.set()
        server.stop()
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
