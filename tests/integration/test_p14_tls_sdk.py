"""P14 with the real SDK: `promptwatch up --tls-self-signed`, the SDK sends an @observe call over HTTPS to
https://127.0.0.1:PORT and it reads back over the API. The SDK has no setting of its own for a CA bundle: it
verifies with `ssl.create_default_context()`, so the certificate is trusted through OpenSSL's `SSL_CERT_FILE`.
Without that trust the SDK sends nothing (it spools) — verification is on.

That the SDK refuses plain http:// to a host that is not loopback is tests/unit/sdk/test_config.py
(test_p14_plain_http_to_a_remote_host_is_refused, test_p14_refusing_sdk_sends_nothing)."""

from __future__ import annotations

import ssl
import time

import httpx
import pytest

import promptwatch
from promptwatch import PromptWatch, observe
from promptwatch.sdk import _safe, pipeline
from tests.integration.test_p14_tls import start_tls, wait_tls
from tests.support.payloads import uid


@pytest.fixture
def tls_server(fresh_server):
    server = fresh_server()
    process = start_tls(server, "--tls-self-signed")
    port = server.base_url.rsplit(":", 1)[1]
    cert = server.data_dir / "tls" / "cert.pem"
    try:
        wait_tls(f"https://127.0.0.1:{port}/api/v1/health", cert, process)
        yield f"https://127.0.0.1:{port}", cert, server.first.api_key
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def strict_sdk(monkeypatch):
    """The SDK's guard re-raises what it swallowed, so SDK bugs fail the test."""
    monkeypatch.setattr(_safe, "STRICT", True)
    _safe.CAUGHT.clear()
    yield
    pipeline.shutdown(2.0)
    pipeline.configure(enabled=False)
    assert not _safe.CAUGHT, _safe.CAUGHT


@observe(name="tls-step")
def answer(question: str) -> str:
    return f"answered over TLS: {question}"


def record(session_id: str) -> None:
    with PromptWatch(session_id=session_id, tracking_project="p14-tls"):
        assert answer("is it encrypted?") == "answered over TLS: is it encrypted?"


def test_p14_sdk_sends_over_tls_to_the_self_signed_server(tls_server, strict_sdk, tmp_path, monkeypatch):
    base_url, cert, key = tls_server
    trusted = ssl.create_default_context(cafile=str(cert))
    api = httpx.Client(base_url=base_url, verify=trusted, headers={"Authorization": f"Bearer {key}"})

    # not trusted: the SDK verifies the certificate and keeps the events in its spool
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    sdk = pipeline.configure(api_key=key, host_url=base_url, spool_dir=tmp_path / "untrusted", flush_interval=0.02)
    untrusted = uid("tls-untrusted-")
    record(untrusted)
    promptwatch.flush(3)
    held = sdk.stats()
    assert held["sent"] == 0 and held["spooled_files"] + held["queued"] >= 1, held
    pipeline.shutdown(2.0)

    # trusted through OpenSSL's SSL_CERT_FILE (read when the SDK makes its TLS context)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    sdk = pipeline.configure(api_key=key, host_url=base_url, spool_dir=tmp_path / "trusted", flush_interval=0.02)
    session_id = uid("tls-")
    record(session_id)
    assert promptwatch.flush(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        response = api.get(f"/api/v1/sessions/{session_id}")
        if response.status_code == 200 and response.json()["activities"]:
            break
        time.sleep(0.1)
    assert response.status_code == 200, response.text
    assert response.headers["strict-transport-security"].startswith("max-age=")
    stored = response.json()
    assert stored["tracking_project"] == "p14-tls"
    step = next(a for a in stored["activities"] if (a.get("name") or "").endswith("tls-step"))
    assert "is it encrypted?" in str(step)
    assert sdk.stats()["sent"] >= 1
    assert api.get(f"/api/v1/sessions/{untrusted}").status_code == 404
    api.close()
