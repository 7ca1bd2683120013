"""The egress guard (P1): no connection leaves 127.0.0.0/8 or ::1 while tests run, in the test process and
in the server processes the tests start. Standard library only: it is also loaded by `sitecustomize` in
those subprocesses (see egress_site/), where a blocked attempt is appended to the file named by
PROMPTWATCH_TEST_EGRESS_LOG so the test process can fail the test that caused it.

A blocked `connect` raises `EgressBlocked` (an OSError, so client code sees a failed connection) and is
recorded; `tests/conftest.py` fails the test at teardown. A test may allow more hosts or networks with
PROMPTWATCH_TEST_EGRESS_ALLOW (comma-separated), or expect a block with `expect_blocked()`.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
from contextlib import contextmanager

LOG_ENV = "PROMPTWATCH_TEST_EGRESS_LOG"
ALLOW_ENV = "PROMPTWATCH_TEST_EGRESS_ALLOW"
_LOCAL_NETS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
_LOCAL_NAMES = ("localhost",)

violations: list[str] = []
_lock = threading.Lock()
_installed = {}


class EgressBlocked(ConnectionRefusedError):
    """An outbound connection outside the loopback network, refused by the test suite's guard."""


def _allowed_extra() -> list:
    out = []
    for item in filter(None, (part.strip() for part in os.environ.get(ALLOW_ENV, "").split(","))):
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            out.append(item.lower())
    return out


def is_allowed(family: int, address) -> bool:
    if family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return True  # Unix sockets, netlink ...: not the network
    host = str(address[0]).split("%", 1)[0]
    extra = _allowed_extra()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        name = host.lower().rstrip(".")
        return name in _LOCAL_NAMES or name.endswith(".localhost") or name in extra
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_unspecified:
        return True  # 0.0.0.0 / :: reach this host
    return any(ip in net for net in _LOCAL_NETS) or any(not isinstance(e, str) and ip in e for e in extra)


def _record(description: str) -> None:
    with _lock:
        violations.append(description)
    path = os.environ.get(LOG_ENV)
    if path and _installed.get("subprocess"):
        with open(path, "a", encoding="utf-8") as log:
            log.write(f"pid {os.getpid()}: {description}\n")


def install(subprocess: bool = False) -> None:
    """Patch socket.socket.connect and connect_ex (once per process)."""
    if _installed:
        return
    _installed["subprocess"] = subprocess
    original_connect, original_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(sock, address) -> None:
        if not is_allowed(sock.family, address):
            description = f"outbound connection to {address!r} blocked by the test egress guard"
            _record(description)
            raise EgressBlocked(description)

    def connect(self, address):
        check(self, address)
        return original_connect(self, address)

    def connect_ex(self, address):
        check(self, address)
        return original_connect_ex(self, address)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    _installed["originals"] = (original_connect, original_connect_ex)


def take_violations(log_path: str | None = None, offset: int = 0) -> tuple[list[str], int]:
    """Violations recorded in this process since the last call, plus new lines of a subprocess log."""
    with _lock:
        found = list(violations)
        violations.clear()
    if log_path and os.path.exists(log_path):
        with open(log_path, encoding="utf-8") as log:
            log.seek(offset)
            found += [line.rstrip("\n") for line in log.readlines()]
            offset = log.tell()
    return found, offset


@contextmanager
def expect_blocked():
    """For a test that proves the guard: yields the list of violations made inside the block."""
    with _lock:
        before = len(violations)
    caught: list[str] = []
    try:
        yield caught
    finally:
        with _lock:
            caught.extend(violations[before:])
            del violations[before:]
