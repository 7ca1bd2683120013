"""P14: the server serves HTTPS itself — `promptwatch up --tls-self-signed` makes an EC P-256 certificate for
localhost and 127.0.0.1 once into <data dir>/tls/ and every reply carries HSTS; plain HTTP gets no HSTS."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.server import EGRESS_PATH, TEST_ENV


def start_tls(server, *flags: str) -> subprocess.Popen:
    port = int(server.base_url.rsplit(":", 1)[1])
    env = {**os.environ, **TEST_ENV, "PROMPTWATCH_DATABASE_URL": server.database_url}
    env["PYTHONPATH"] = os.pathsep.join(EGRESS_PATH)
    log = open(server.data_dir / "tls-server.log", "ab")  # noqa: SIM115 - the process owns it
    command = [sys.executable, "-m", "promptwatch.cli", "up", "--port", str(port), "--data-dir", str(server.data_dir)]
    return subprocess.Popen([*command, *flags], env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_tls(url: str, cert, process: subprocess.Popen) -> httpx.Response:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            return httpx.get(url, verify=ssl.create_default_context(cafile=str(cert)), timeout=1)
        except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, FileNotFoundError):
            time.sleep(0.1)
    raise AssertionError("no TLS server")


def test_p14_self_signed_tls_with_hsts_and_no_cookie(fresh_server):
    server = fresh_server()
    process = start_tls(server, "--tls-self-signed")
    try:
        cert_path = server.data_dir / "tls" / "cert.pem"
        port = server.base_url.rsplit(":", 1)[1]
        health = wait_tls(f"https://127.0.0.1:{port}/api/v1/health", cert_path, process)
        assert health.status_code == 200
        assert health.headers["strict-transport-security"].startswith("max-age=")
        assert "set-cookie" not in health.headers
        context = ssl.create_default_context(cafile=str(cert_path))
        with httpx.Client(base_url=f"https://localhost:{port}", verify=context) as client:
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {server.first.api_key}"})
            assert me.status_code == 200 and me.json()["account"]["id"] == server.first.account_id
        try:
            httpx.get(f"https://127.0.0.1:{port}/api/v1/health", timeout=5)  # the system CAs do not trust it
            raise AssertionError("an untrusted certificate was accepted")
        except httpx.ConnectError:
            pass
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey) and cert.public_key().curve.name == "secp256r1"
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert "localhost" in names.get_values_for_type(x509.DNSName)
        assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    finally:
        process.terminate()
        process.wait(10)
    first = cert_path.read_bytes()
    process = start_tls(server, "--tls-self-signed")  # made once: a restart reuses it
    try:
        wait_tls(f"https://127.0.0.1:{port}/api/v1/health", cert_path, process)
        assert cert_path.read_bytes() == first
    finally:
        process.terminate()
        process.wait(10)


def test_p14_no_hsts_over_plain_http(live_server):
    with live_server.client() as client:
        assert "strict-transport-security" not in client.get("/api/v1/health").headers
