"""Settings resolution, API keys, misconfiguration as one warning, and clause P14 (no plain http remote)."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest

from promptwatch import observe
from promptwatch.sdk import pipeline
from promptwatch.sdk.config import DEFAULT_HOST_URL, ENV_VARS, SdkConfig, check_config, resolve_config

KEY = base64.b64encode(b"key-1:secret").decode()
DOCS = Path(__file__).resolve().parents[3] / "docs" / "sdk.md"


def test_argument_beats_environment_beats_default():
    environ = {"PROMPTWATCH_HOST_URL": "https://pw.example.com/", "PROMPTWATCH_BATCH_SIZE": "7",
               "PROMPTWATCH_GZIP": "1"}
    config = resolve_config(environ, batch_size=9)
    assert config.host_url == "https://pw.example.com"
    assert config.batch_size == 9 and config.gzip is True
    assert resolve_config({}).host_url == DEFAULT_HOST_URL == "http://127.0.0.1:8765"


def test_every_setting_has_one_documented_environment_variable():
    fields = set(SdkConfig.__dataclass_fields__)
    assert fields == set(ENV_VARS)
    docs = DOCS.read_text()
    for variable in ENV_VARS.values():
        assert variable.name.startswith("PROMPTWATCH_") and variable.doc
        assert variable.name in docs, f"{variable.name} is not in docs/sdk.md"


def test_malformed_environment_value_names_the_variable():
    with pytest.raises(ValueError, match="PROMPTWATCH_QUEUE_SIZE"):
        resolve_config({"PROMPTWATCH_QUEUE_SIZE": "lots"})


@pytest.mark.parametrize("key", [None, "", "not-base64!", base64.b64encode(b"no-colon").decode(),
                                 base64.b64encode(b"\xff\xfe").decode()])
def test_missing_or_malformed_key_disables(key):
    assert check_config(SdkConfig(api_key=key)) is not None


def test_misconfiguration_is_one_warning_and_a_disabled_sdk(strict_guard, monkeypatch, caplog):
    monkeypatch.setenv("PROMPTWATCH_API_KEY", "garbage")
    pipeline.shutdown()
    pipeline._overrides.clear()

    @observe
    def work():
        return 1

    with caplog.at_level(logging.WARNING, logger="promptwatch"):
        assert [work() for _ in range(3)] == [1, 1, 1]
    assert not pipeline.get_pipeline().enabled
    assert sum("not a PromptWatch API key" in record.message for record in caplog.records) == 1


@pytest.mark.parametrize("url", ["http://pw.example.com", "http://10.0.0.5:8765", "http://[2001:db8::1]"])
def test_p14_plain_http_to_a_remote_host_is_refused(url):
    problem = check_config(SdkConfig(api_key=KEY, host_url=url))
    assert problem is not None and "plain http" in problem


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost", "http://[::1]:9",
                                 "https://pw.example.com"])
def test_p14_loopback_and_https_are_allowed(url):
    assert check_config(SdkConfig(api_key=KEY, host_url=url)) is None


def test_p14_insecure_http_only_when_explicitly_allowed():
    assert check_config(resolve_config({"PROMPTWATCH_ALLOW_INSECURE_HTTP": "1"}, api_key=KEY,
                                       host_url="http://pw.example.com")) is None
    assert check_config(SdkConfig(api_key=KEY, host_url="http://pw.example.com",
                                  allow_insecure_http=True)) is None


def test_p14_refusing_sdk_sends_nothing(strict_guard, sink, caplog):
    with caplog.at_level(logging.WARNING, logger="promptwatch"):
        configured = pipeline.configure(api_key=sink.api_key, host_url=sink.url.replace("127.0.0.1", "10.9.9.9"))
    assert not configured.enabled
    assert sum("plain http" in record.message for record in caplog.records) == 1


def test_unknown_setting_is_a_type_error():
    with pytest.raises(TypeError):
        pipeline.configure(api_kee="x")
