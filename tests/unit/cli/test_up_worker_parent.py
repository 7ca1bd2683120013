"""A worker of `up --workers N` asks Linux for SIGTERM when `up` ends; one whose `up` ended before it asked (it
already has another parent, so no signal would come) stops at once. Each case runs in a process of its own: the
setting outlives the call."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="prctl is Linux's")

ASK_SIGNAL = """
import ctypes, os
from promptwatch.cli.up import die_with_parent
die_with_parent({parent})
asked = ctypes.c_int()
ctypes.CDLL(None).prctl(2, ctypes.byref(asked), 0, 0, 0)  # PR_GET_PDEATHSIG
print("signal", asked.value)
"""


def run(parent: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", ASK_SIGNAL.format(parent=parent)], capture_output=True, text=True, timeout=60
    )


def test_a_worker_is_sent_sigterm_when_its_parent_ends():
    result = run("os.getppid()")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["signal", str(int(signal.SIGTERM))]


def test_a_worker_whose_parent_ended_before_it_asked_stops_at_once():
    result = run("os.getppid() + 1")  # the pid `up` had: another process is the parent now
    assert result.returncode == 1, result.stdout + result.stderr
    assert "signal" not in result.stdout
    assert "ended while this worker started; stopping" in result.stderr
