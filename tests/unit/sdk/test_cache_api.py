"""The cache API and the label fetch on the caller's path: no key means no network; a server that does not
answer the cache (the capture sink knows only ingest) is a miss, never an exception."""

from __future__ import annotations

import time

import pytest

import promptwatch
from promptwatch import PromptWatch, PromptWatchError
from promptwatch.sdk import prompt_labels
from promptwatch.sdk.prompt_labels import LabelledTemplate


def test_without_a_key_the_cache_is_a_miss_and_sends_nothing(sink):
    assert promptwatch.cache.lookup("q") is None
    assert promptwatch.cache.store("q", "a") is False
    assert promptwatch.cache.clear("x.y") is None
    assert sink.requests == 0


def test_a_failing_server_is_a_miss(sdk):
    started = time.monotonic()
    assert promptwatch.cache.lookup("q", namespace="a.b") is None
    assert promptwatch.cache.store("q", "a", namespace="a.b") is False
    assert promptwatch.cache.clear("a.b") is None
    assert time.monotonic() - started < 2 and sdk.requests == 2  # the two POSTs (the sink has no DELETE)


def test_the_namespace_is_the_published_clients():
    assert promptwatch.cache.namespace_for() == "default.default"
    assert promptwatch.cache.namespace_for("faq", tracking_project="bot") == "bot.faq"
    with PromptWatch(tracking_project="support"):
        assert promptwatch.cache.namespace_for("faq") == "support.faq"


def test_a_label_never_fetched_raises_or_gives_the_default(sdk):
    prompt_labels.forget_labels()
    with pytest.raises(PromptWatchError, match="could not be fetched"):
        promptwatch.get_prompt_template("greeter")
    assert promptwatch.get_prompt_template("greeter", default="Hi {name}") == "Hi {name}"


@pytest.mark.parametrize(
    ("version", "given"), [("1.0.3", "1.0"), ("v7-rev2", "v7"), ("v7", "v7"), ("2024-05", "2024-05")]
)
def test_the_given_version_of_a_fetched_version(version, given):
    assert LabelledTemplate("n", "production", version, "t", None, None, "t").given_version == given
