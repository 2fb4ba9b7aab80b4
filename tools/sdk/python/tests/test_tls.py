"""TLS options against a server speaking HTTPS with a PKI made here: a
custom CA (verify=path) and a client certificate (cert=(crt, key)) for the
admin routes."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import start_server, stop
from tenantkv import NO_RETRY, Client, PermissionDeniedError, TransportError


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d: Path) -> None:
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=sdk test CA",
            cwd=d)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                      ("client", "extendedKeyUsage=clientAuth\n")):
        openssl("req", "-new", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN=sdk {name}",
                cwd=d)
        (d / f"{name}.ext").write_text(ext)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=d)


@pytest.fixture(scope="module")
def pki():
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command is needed to make the test PKI")
    d = Path(tempfile.mkdtemp(prefix="tenantkv-sdk-pki-"))
    make_pki(d)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_server(pki):
    s = start_server(
        ["--log-level", "warn", "--tls-cert", str(pki / "server.crt"), "--tls-key", str(pki / "server.key"),
         "--tls-client-ca", str(pki / "ca.crt"), "--admin-require-client-cert"],
        ca=str(pki / "ca.crt"),
        client_cert=(str(pki / "client.crt"), str(pki / "client.key")),
    )
    assert s.url.startswith("https://")
    yield s
    stop(s.proc)
    shutil.rmtree(s.workdir, ignore_errors=True)


def test_custom_ca_and_client_certificate(tls_server, pki):
    t = tls_server.new_tenant()
    admin_token = t.token("admin")
    with Client(tls_server.url, admin_token, verify=str(pki / "ca.crt")) as kv:
        assert kv.put("k", b"over tls").created
        assert kv.get("k").value == b"over tls"
        # Admin routes need the client certificate here.
        with pytest.raises(PermissionDeniedError) as e:
            kv.get_quota(tenant=t.id)
        assert e.value.code == "client_cert_required"
    with Client(tls_server.url, admin_token, verify=str(pki / "ca.crt"),
                cert=(str(pki / "client.crt"), str(pki / "client.key"))) as kv:
        assert kv.get_quota(tenant=t.id)["version"] == 1
        assert kv.create_api_key("read", tenant=t.id)["role"] == "read"


def test_ca_bundle_from_the_environment(monkeypatch, tls_server, pki):
    t = tls_server.new_tenant()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki / "ca.crt"))
    with Client(tls_server.url, t.token("write")) as kv:
        assert kv.put("k", b"v").created


def test_server_not_trusted_without_its_ca(tls_server):
    with Client(tls_server.url, "tkv_x", verify=True, retry=NO_RETRY) as kv:
        with pytest.raises(TransportError) as e:
            kv.get("k")
        assert "certificate" in str(e.value).lower()
    # Refused certificates are not retried, whatever the policy.
    with Client(tls_server.url, "tkv_x") as kv:
        with pytest.raises(TransportError) as e:
            kv.get("k")
        assert e.value.attempts == 1
