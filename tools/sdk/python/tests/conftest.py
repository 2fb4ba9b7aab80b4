"""A real tenantkv-server for the SDK's tests.

The session starts ``$TENANTKV_SERVER_BIN`` on 127.0.0.1 port 0 in a
temp dir, learns its port from the "listening on http://127.0.0.1:PORT"
line on its stdout and its operator token from <data-dir>/operator.token,
and stops it (SIGTERM, then SIGKILL) by its PID at the end.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from tenantkv import Client  # noqa: E402


def server_binary() -> str:
    binary = os.environ.get("TENANTKV_SERVER_BIN", "")
    if not binary:
        pytest.fail("TENANTKV_SERVER_BIN must name the tenantkv-server binary (ctest sets it)")
    if not os.access(binary, os.X_OK):
        pytest.fail(f"TENANTKV_SERVER_BIN={binary} is not an executable")
    return binary


@dataclass
class Server:
    url: str
    operator_token: str
    proc: subprocess.Popen[bytes]
    workdir: Path
    ca: Optional[str] = None
    client_cert: Optional[tuple[str, str]] = None
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def op(self, method: str, path: str, body: Any = None) -> requests.Response:
        """An operator call; the tests' own setup, not the SDK under test."""
        headers = {"Authorization": f"Bearer {self.operator_token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT"):
            data = b""
        r = requests.request(method, self.url + path, headers=headers, data=data, timeout=30,
                             verify=self.ca or True, cert=self.client_cert)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r

    def new_tenant(self, plan: str = "standard", quota: Optional[dict[str, int]] = None) -> "Tenant":
        tid = f"sdk-{os.getpid() % 10000}-{next(self._ids)}"
        self.op("POST", "/admin/v1/tenants", {"id": tid, "plan": plan})
        if quota:
            self.op("PUT", f"/admin/v1/tenants/{tid}/quota", quota)
        return Tenant(self, tid)

    def log(self) -> str:
        return (self.workdir / "server.log").read_text(errors="replace")


@dataclass
class Tenant:
    server: Server
    id: str

    def token(self, role: str = "write") -> str:
        r = self.server.op("POST", f"/admin/v1/tenants/{self.id}/apikeys", {"role": role})
        return str(r.json()["token"])

    def client(self, role: str = "write", **kwargs: Any) -> Client:
        kwargs.setdefault("verify", self.server.ca or True)
        return Client(self.server.url, self.token(role), **kwargs)


def start_server(extra_args: list[str], ca: Optional[str] = None,
                 client_cert: Optional[tuple[str, str]] = None) -> Server:
    workdir = Path(tempfile.mkdtemp(prefix="tenantkv-sdk-py-"))
    data = workdir / "data"
    args = [server_binary(), "--data-dir", str(data), "--listen", "127.0.0.1:0",
            "--spare-column-families", "4", *extra_args]
    env = {k: v for k, v in os.environ.items() if k != "TENANTKV_OPERATOR_TOKEN"}
    log = open(workdir / "server.log", "wb")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, env=env)
    log.close()
    assert proc.stdout is not None
    text = b""
    deadline = time.monotonic() + 60
    match = None
    while match is None and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1.0)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        text += chunk
        match = re.search(rb"listening on (https?)://127\.0\.0\.1:(\d+)", text)
    if match is None:
        stop(proc)
        pytest.fail(f"server did not start: {text!r} {(workdir / 'server.log').read_text(errors='replace')}")
    scheme, port = match.group(1).decode(), int(match.group(2))
    token = (data / "operator.token").read_text().strip()
    return Server(f"{scheme}://127.0.0.1:{port}", token, proc, workdir, ca, client_cert)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    s = start_server(["--log-level", "warn"])
    yield s
    stop(s.proc)
    shutil.rmtree(s.workdir, ignore_errors=True)


@pytest.fixture
def tenant(server: Server) -> Tenant:
    return server.new_tenant()


@pytest.fixture
def kv(tenant: Tenant) -> Iterator[Client]:
    with tenant.client("write") as c:
        yield c
