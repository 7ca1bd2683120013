"""Fixtures the integration tests share."""

from __future__ import annotations

import pytest

from promptwatch.sdk import _safe, pipeline, prompt_labels
from promptwatch.sdk.templates import registry


@pytest.fixture
def sdk_to(tmp_path, monkeypatch):
    """Point the SDK at a server; the guard re-raises what it swallowed so SDK bugs fail the test."""
    monkeypatch.setattr(_safe, "STRICT", True)
    _safe.CAUGHT.clear()
    prompt_labels.forget_labels()

    def configure(server, key: str) -> None:
        pipeline.configure(api_key=key, host_url=server.base_url, spool_dir=tmp_path / "spool", flush_interval=0.02)

    yield configure
    pipeline.shutdown(2.0)
    pipeline.configure(enabled=False)
    registry.clear()
    prompt_labels.forget_labels()
    assert not _safe.CAUGHT, _safe.CAUGHT
