"""Every test here runs with the SDK isolated from the host's settings and its guard made strict
(`strict_guard` is autouse); `fake_openai` is a local OpenAI-compatible server."""

from tests.support.capture_sink import sdk, sink, strict_guard
from tests.support.fake_openai import fake_openai

__all__ = ["fake_openai", "sdk", "sink", "strict_guard"]
