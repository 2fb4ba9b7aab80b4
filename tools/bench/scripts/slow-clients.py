#!/usr/bin/env python3
"""Slow clients for the slow-client benchmark (slow-clients.sh).

From one source address, keeps --trickle connections that send a request
head one byte every --interval seconds (a head that never ends: a header
value of 'a's) and --idle connections that send nothing, for --duration
seconds, then prints what the server did with them. A connection the server
closes (or answers) is opened again at its next turn, so the pressure stays
the same all through the run (--no-reconnect: it stays closed).

    slow-clients.py --target 127.0.0.1:PORT [--source 127.0.0.1]
        [--trickle 1000] [--idle 1000] [--interval 2] [--duration 30]
        [--ready-file F] [--json]

SIGINT or SIGTERM ends the run early; the report is still printed.
--ready-file F is written once the first round of connections is settled
(connected or failed), so that a script can start its measured load then.
Loopback only: a --target or --source outside 127.0.0.0/8 or ::1 is
refused before a socket is opened. Python 3 standard library only.
"""
import argparse
import errno
import heapq
import ipaddress
import json
import os
import resource
import selectors
import signal
import socket
import statistics
import sys
import time

HEAD = b"GET /v1/kv/k0 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
MAX_CONNECTING = 256  # connects in flight at once, so the listen backlog is not flooded
TICK = 0.02  # seconds


def loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", required=True, help="HOST:PORT of the server (loopback)")
    p.add_argument("--source", default="127.0.0.1", help="source address of every connection (loopback)")
    p.add_argument("--trickle", type=int, default=1000)
    p.add_argument("--idle", type=int, default=1000)
    p.add_argument("--interval", type=float, default=2.0, help="seconds between a connection's bytes")
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--no-reconnect", action="store_true")
    p.add_argument("--ready-file")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    host, _, port = a.target.rpartition(":")
    host = host.strip("[]")
    if not loopback(host) or not loopback(a.source):
        p.error("--target and --source must be loopback addresses (127.0.0.0/8 or ::1)")
    if not port.isdigit() or not 0 < int(port) < 65536:
        p.error("--target must be HOST:PORT")
    if not (0 <= a.trickle <= 20000 and 0 <= a.idle <= 20000 and a.trickle + a.idle > 0):
        p.error("--trickle and --idle must be 0..20000, not both 0")
    if not (0.01 <= a.interval <= 60 and 0 < a.duration <= 3600):
        p.error("--interval must be 0.01..60 s, --duration 0..3600 s")
    a.host, a.port = host, int(port)
    return a


class Conn:
    __slots__ = ("kind", "index", "sock", "state", "opened", "sent", "gen")

    def __init__(self, kind, index):
        self.kind = kind
        self.index = index
        self.sock = None
        self.state = "closed"  # closed -> connecting -> open -> closed
        self.opened = 0.0
        self.sent = 0
        self.gen = 0  # bumped when the socket changes: older timer entries are stale


class Trickler:
    def __init__(self, a):
        self.a = a
        self.sel = selectors.DefaultSelector()
        self.family = socket.AF_INET6 if ":" in a.host else socket.AF_INET
        self.conns = [Conn("trickle", i) for i in range(a.trickle)] + [Conn("idle", i) for i in range(a.idle)]
        self.timers = []  # heap of (due, seq, gen, conn): a byte to send or a reconnect
        self.seq = 0
        self.connecting = 0
        self.stats = {"connects": 0, "connect_failures": 0, "closed_by_server": 0, "answered": 0,
                      "bytes_sent": 0}
        self.answers = {}  # status line -> count
        self.lifetimes = {"trickle": [], "idle": []}  # seconds from connect to the server's close
        self.failure_kinds = {}

    def at(self, due, c):
        self.seq += 1
        heapq.heappush(self.timers, (due, self.seq, c.gen, c))

    def start_connect(self, c, now):
        c.gen += 1
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((self.a.source, 0))
            err = s.connect_ex((self.a.host, self.a.port))
        except OSError as e:
            err = e.errno
        if err not in (0, errno.EINPROGRESS):
            s.close()
            self.fail(c, err, now)
            return
        c.sock, c.state = s, "connecting"
        self.connecting += 1
        self.sel.register(s, selectors.EVENT_WRITE, c)

    def closed(self, c, now):
        c.state = "closed"
        c.gen += 1
        if not self.a.no_reconnect:
            self.at(now + self.a.interval, c)  # opened again at its next turn

    def fail(self, c, err, now):
        self.stats["connect_failures"] += 1
        name = errno.errorcode.get(err, str(err))
        self.failure_kinds[name] = self.failure_kinds.get(name, 0) + 1
        self.closed(c, now)

    def connected(self, c, now):
        self.connecting -= 1
        err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            self.sel.unregister(c.sock)
            c.sock.close()
            c.sock = None
            self.fail(c, err, now)
            return
        self.stats["connects"] += 1
        c.state, c.opened, c.sent = "open", now, 0
        self.sel.modify(c.sock, selectors.EVENT_READ, c)
        # The trickling connections' bytes spread evenly over the interval.
        if c.kind == "trickle":
            self.at(now + self.a.interval * c.index / max(1, self.a.trickle), c)

    def drop(self, c, now):
        self.lifetimes[c.kind].append(now - c.opened)
        self.sel.unregister(c.sock)
        c.sock.close()
        c.sock = None
        self.closed(c, now)

    def readable(self, c, now):
        try:
            data = c.sock.recv(4096)
        except OSError:
            data = b""
        if data:
            line = data.split(b"\r\n", 1)[0].decode("latin-1")[:40]
            self.answers[line] = self.answers.get(line, 0) + 1
            self.stats["answered"] += 1
        else:
            self.stats["closed_by_server"] += 1
        self.drop(c, now)

    def send_byte(self, c, due, now):
        b = HEAD[c.sent:c.sent + 1] if c.sent < len(HEAD) else b"a"
        try:
            if c.sock.send(b) == 1:
                c.sent += 1
                self.stats["bytes_sent"] += 1
        except OSError:
            self.stats["closed_by_server"] += 1
            self.drop(c, now)
            return
        self.at(due + self.a.interval, c)

    def run(self):
        a = self.a
        start = time.monotonic()
        end = start + a.duration
        pending = list(reversed(self.conns))  # the first round, MAX_CONNECTING at a time
        self.ready_at = None
        stop = []
        for sig in (signal.SIGINT, signal.SIGTERM):  # stop early, still report
            signal.signal(sig, lambda *_: stop.append(True))
        while not stop:
            now = time.monotonic()
            if now >= end:
                break
            while pending and self.connecting < MAX_CONNECTING:
                self.start_connect(pending.pop(), now)
            if self.ready_at is None and not pending and self.connecting == 0:
                self.ready_at = now - start
                if a.ready_file:  # whole or not at all, for the script polling for it
                    with open(a.ready_file + ".tmp", "w") as f:
                        f.write(json.dumps(self.snapshot()) + "\n")
                    os.replace(a.ready_file + ".tmp", a.ready_file)
            while self.timers and self.timers[0][0] <= now:
                due, _, gen, c = heapq.heappop(self.timers)
                if gen != c.gen:
                    continue
                if c.state == "open":
                    self.send_byte(c, due, now)
                elif c.state == "closed":
                    if self.connecting < MAX_CONNECTING:
                        self.start_connect(c, now)
                    else:
                        self.at(now + TICK, c)
            next_due = self.timers[0][0] if self.timers else end
            # Woken at most every TICK: a byte every 2 s needs no finer timing,
            # and the generator must not take the server's CPU.
            timeout = min(max(next_due - time.monotonic(), TICK), end - time.monotonic(), 0.5)
            for key, _ in self.sel.select(timeout=max(0.0, timeout)):
                c = key.data
                t = time.monotonic()
                if c.state == "connecting":
                    self.connected(c, t)
                elif c.state == "open":
                    self.readable(c, t)
        result = self.snapshot()
        result["ready_after_s"] = None if self.ready_at is None else round(self.ready_at, 3)
        result["ran_s"] = round(time.monotonic() - start, 1)
        for c in self.conns:
            if c.sock is not None:
                c.sock.close()
        return result

    def snapshot(self):
        open_now = {"trickle": 0, "idle": 0}
        for c in self.conns:
            if c.state == "open":
                open_now[c.kind] += 1
        out = {"trickle": self.a.trickle, "idle": self.a.idle, "open": open_now}
        out.update(self.stats)
        out["connect_failure_kinds"] = dict(self.failure_kinds)
        out["answers"] = dict(self.answers)
        for kind, xs in self.lifetimes.items():
            out[kind + "_closed_after_s"] = (
                {"n": len(xs), "min": round(min(xs), 2), "median": round(statistics.median(xs), 2),
                 "max": round(max(xs), 2)} if xs else {"n": 0})
        return out


def main():
    a = parse_args()
    need = a.trickle + a.idle + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            sys.exit(f"slow-clients: needs {need} open files, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    r = Trickler(a).run()
    if a.json:
        print(json.dumps(r))
    else:
        print(f"slow clients: {a.trickle} trickling + {a.idle} idle from {a.source} for {r['ran_s']:g} s "
              f"(in place after {r['ready_after_s']} s): "
              f"open at the end {r['open']['trickle']} + {r['open']['idle']}, connects {r['connects']}, "
              f"connect failures {r['connect_failures']} {r['connect_failure_kinds'] or ''}, "
              f"closed by the server {r['closed_by_server']}, answered {r['answered']} {r['answers'] or ''}, "
              f"trickle closed after {r['trickle_closed_after_s']}, idle closed after {r['idle_closed_after_s']}")


if __name__ == "__main__":
    main()
