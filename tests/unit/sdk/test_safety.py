"""Never raising, bounded copies, and the time-limited flush on interpreter exit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import promptwatch
from promptwatch import observe, span
from promptwatch.schema.common import nests_deeper
from promptwatch.sdk import _safe, spans
from promptwatch.sdk._scrub import REDACTED, Scrubber
from tests.support.capture_sink import API_KEY

REPO = Path(__file__).resolve().parents[3]


class Unprintable:
    __slots__ = ()

    def __repr__(self):
        raise RuntimeError("no repr")


def test_unserialisable_and_huge_inputs_are_bounded_copies(sdk):
    huge = list(range(1_000_000))

    @observe(name="takes")
    def takes(a, b, c, d):
        return {"lock": threading.Lock(), "gen": (i for i in range(3))}

    takes(huge, "x" * 500_000, Unprintable(), {"nested": [[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]})
    promptwatch.flush(5)
    record = next(iter(sdk.latest_activities().values()))
    assert len(record["inputs"]["a"]) == 201 and record["inputs"]["a"][-1] == "…999800 more items"
    assert len(record["inputs"]["b"]) < 100_100
    assert record["inputs"]["c"] == "<Unprintable: unrepresentable>"
    assert "too deep" in str(record["inputs"]["d"])
    assert set(record["outputs"]) == {"lock", "gen"}


def test_scrubber_redacts_secrets_and_keeps_counts():
    scrubber = Scrubber(max_string_length=5, max_items=4, max_depth=3)
    copied = scrubber.copy({"api_key": "sk-1", "Authorization": "Bearer x", "max_tokens": 5, "text": "abcdefgh",
                            "nan": float("nan")})
    assert copied["api_key"] == REDACTED and copied["Authorization"] == REDACTED
    assert copied["max_tokens"] == 5 and copied["text"] == "abcde…[3 more chars]"
    assert copied["…"] == "1 more items"
    assert scrubber.copy([float("nan"), float("inf"), 1.5]) == ["nan", "inf", 1.5]


def test_bookkeeping_errors_are_swallowed_and_the_function_still_runs_once(sdk, monkeypatch):
    monkeypatch.setattr(_safe, "STRICT", False)
    calls = []

    def broken_end(self, error=None):
        raise RuntimeError("our bug")

    monkeypatch.setattr(spans.Span, "end", broken_end)

    @observe
    def work():
        calls.append(1)
        return "ok"

    assert work() == "ok"
    with span("manual") as s:
        s.set_output("fine")
    assert calls == [1]
    assert spans.current_span.get() is None


def test_strict_guard_makes_our_bugs_loud(strict_guard, monkeypatch):
    with pytest.raises(ZeroDivisionError), _safe.never_raise():
        _ = 1 / 0
    _safe.CAUGHT.clear()


def test_sink_down_never_raises_or_blocks(sdk):
    sdk.stop()

    @observe
    def work(i):
        return i

    start = time.perf_counter()
    assert [work(i) for i in range(1000)] == list(range(1000))
    assert time.perf_counter() - start < 2


def _run_exit_script(host_url: str, spool: Path, timeout: float = 30) -> tuple[float, subprocess.CompletedProcess]:
    script = textwrap.dedent(
        """
        import sys, promptwatch
        promptwatch.configure(api_key=sys.argv[1], host_url=sys.argv[2], spool_dir=sys.argv[3],
                              request_timeout=30)
        @promptwatch.observe(name="at-exit")
        def work(i):
            return i
        for i in range(100):
            work(i)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-c", script, API_KEY, host_url, str(spool)], env=env,
                            timeout=timeout, capture_output=True, text=True)
    return time.monotonic() - start, result


def test_exit_flushes_what_was_recorded(sink, tmp_path):
    _, result = _run_exit_script(sink.url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert len({item["id"] for item in sink.activities}) == 100


def test_exit_never_hangs_on_a_server_that_does_not_answer(tmp_path):
    with socket.socket() as silent:  # accepts connections, never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        elapsed, result = _run_exit_script(f"http://127.0.0.1:{silent.getsockname()[1]}", tmp_path)
    assert result.returncode == 0, result.stderr
    assert elapsed < 2.0 + 3.0  # the 2 s exit budget plus interpreter start-up, never the 30 s timeout


def test_a_copy_is_never_deeper_than_the_server_takes_whatever_max_depth_says():
    deep: list = []
    for _ in range(500):
        deep = [deep]
    inputs = {"question": Scrubber(max_depth=1000).copy({"history": deep})}  # as a chain's inputs hold it
    assert not nests_deeper(inputs)
    assert "too deep" in str(inputs)
