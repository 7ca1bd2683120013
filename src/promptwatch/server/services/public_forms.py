"""Rate limits shared by every worker through the database: the public forms (sign-up, waitlist, password
reset) and failed log-ins. Buckets are keyed hashes of subject (purpose and client address or e-mail) and
window: no address is stored."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..errors import RateLimited
from ..store import mail as mail_store
from .clock import utc_now
from .runtime import Runtime, instance_secret


@dataclass(frozen=True)
class Hits:
    """What one `hit` counted: each subject's hits in its window so far, and the buckets that counted them."""

    counts: tuple[int, ...]
    buckets: tuple[str, ...]


class RateLimiter:
    """Counters of fixed windows of `window_seconds` (aligned to the epoch, so an hour's window starts on the
    hour), one per subject."""

    def __init__(self, runtime: Runtime, window_seconds: int, clock: Callable[[], datetime] = utc_now) -> None:
        self._rt = runtime
        self._window = window_seconds
        self._clock = clock
        self._key = hashlib.sha256(b"promptwatch-rate:" + instance_secret(runtime.settings)).digest()

    def hit(self, *subjects: str) -> Hits:
        """Count one hit for each subject in this window."""
        now, buckets, window_ends_at = self._buckets(subjects)
        with self._rt.engine.begin() as conn:
            counts = [mail_store.hit_rate_limit(conn, bucket, window_ends_at, now) for bucket in buckets]
        return Hits(tuple(counts), tuple(buckets))

    def take_back(self, hits: Hits) -> None:
        """Uncount `hits` in the very buckets that counted them, so that a window begun meanwhile keeps its own
        hits (the ended window's bucket, once cleared, has nothing left to uncount)."""
        with self._rt.engine.begin() as conn:
            for bucket in hits.buckets:
                mail_store.take_back_rate_limit_hit(conn, bucket)

    def seconds_left(self) -> int:
        """Whole seconds until this window ends (a `Retry-After`)."""
        return math.ceil(self._window - self._clock().timestamp() % self._window)

    def _buckets(self, subjects: tuple[str, ...]) -> tuple[datetime, list[str], datetime]:
        now = self._clock()
        start = datetime.fromtimestamp(now.timestamp() // self._window * self._window, timezone.utc)
        buckets = [
            hmac.new(self._key, f"{subject}|{start.isoformat()}".encode(), hashlib.sha256).hexdigest()
            for subject in subjects
        ]
        return now, buckets, start + timedelta(seconds=self._window)


class PublicFormLimiter(RateLimiter):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime, 3600)

    def check(self, purpose: str, client: str) -> None:
        [hits] = self.hit(f"{purpose}|{client}").counts
        if hits > self._rt.settings.public_form_rate_per_hour:
            raise RateLimited("too many requests from this address; try again later", retry_after=self.seconds_left())


def client_network(client: str) -> str:
    """The network a client address stands for: an IPv6 address's /64 (one host's usual allotment, whose
    addresses it can change at will); an IPv4 address (also IPv4-mapped IPv6) as it is; anything else as is."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
