"""Every test here runs with the SDK isolated from the host's settings and its guard made strict
(`strict_guard` is autouse)."""

from tests.support.capture_sink import sdk, sink, strict_guard

__all__ = ["sdk", "sink", "strict_guard"]
