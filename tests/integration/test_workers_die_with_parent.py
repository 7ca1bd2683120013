"""`promptwatch up --workers N` killed outright (SIGKILL, the OOM killer) leaves no worker behind holding the port:
on Linux each worker is told to stop when the process that started it ends."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.postgresql,  # SQLite serves from one process
    pytest.mark.skipif(sys.platform != "linux", reason="workers follow their parent on Linux only"),
    pytest.mark.timeout(180),
]


def children(pid: int) -> set[int]:
    """The live processes whose parent is `pid`."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie holds no port


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_workers_end_with_the_killed_up_and_free_the_port(fresh_server):
    server = fresh_server()
    server.up_args = ["--workers", "2"]
    server.start()
    main = server.process.pid
    port = int(server.base_url.rsplit(":", 1)[1])
    deadline = time.monotonic() + 60
    while len(workers := children(main)) < 2:  # healthy once one worker serves: the other may be starting
        assert time.monotonic() < deadline, f"workers of {main}: {workers}"
        time.sleep(0.1)
    time.sleep(1)  # both past their start, serving
    try:
        os.kill(main, signal.SIGKILL)
        server.process.wait(10)
        deadline = time.monotonic() + 10
        while (left := {pid for pid in workers if running(pid)}) or not port_free(port):
            assert time.monotonic() < deadline, f"after SIGKILL of {main}: {left} still run, or the port is held"
            time.sleep(0.1)
    finally:
        for pid in workers:  # what a failure leaves behind
            if running(pid):
                os.kill(pid, signal.SIGKILL)
