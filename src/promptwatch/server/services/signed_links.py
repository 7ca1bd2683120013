"""Signed tokens for links that work without a log-in (one-click unsubscribe, lead opt-out).

A token is `<base64url JSON [purpose, email]>.<HMAC-SHA256>` keyed with the instance secret; it holds
nothing secret, and nobody without the instance secret can make one for another address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from ..errors import InvalidInput


class LinkSigner:
    def __init__(self, secret: bytes) -> None:
        self._key = hashlib.sha256(b"promptwatch-links:" + secret).digest()

    def sign(self, purpose: str, email: str) -> str:
        payload = base64.urlsafe_b64encode(json.dumps([purpose, email.lower()]).encode()).decode().rstrip("=")
        return f"{payload}.{self._mac(payload)}"

    def verify(self, token: str, purposes: tuple[str, ...]) -> tuple[str, str]:
        """(purpose, email) of a genuine token, else InvalidInput."""
        payload, _, mac = token.partition(".")
        if not payload or not hmac.compare_digest(mac.encode(), self._mac(payload).encode()):  # str: ASCII only
            raise InvalidInput("this link is not valid", field="token")
        try:
            purpose, email = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, TypeError):
            raise InvalidInput("this link is not valid", field="token") from None
        if purpose not in purposes:
            raise InvalidInput("this link is not valid here", field="token")
        return purpose, email

    def _mac(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:40]
