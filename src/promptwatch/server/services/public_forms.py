"""Rate limits of the public forms (sign-up, waitlist, password reset), shared by every worker through the
database. Buckets are keyed hashes of purpose, client address and hour: no address is stored."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from ..errors import RateLimited
from ..store import mail as mail_store
from .clock import utc_now
from .runtime import Runtime, instance_secret


class PublicFormLimiter:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._key = hashlib.sha256(b"promptwatch-rate:" + instance_secret(runtime.settings)).digest()

    def check(self, purpose: str, client: str) -> None:
        now = utc_now()
        window_start = now.replace(minute=0, second=0, microsecond=0)
        bucket = hmac.new(self._key, f"{purpose}|{client}|{window_start.isoformat()}".encode(), hashlib.sha256)
        with self._rt.engine.begin() as conn:
            hits = mail_store.hit_rate_limit(conn, bucket.hexdigest(), window_start + timedelta(hours=1), now)
        if hits > self._rt.settings.public_form_rate_per_hour:
            raise RateLimited("too many requests from this address; try again later")
