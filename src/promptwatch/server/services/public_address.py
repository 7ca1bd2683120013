"""The address people reach the instance at: the base of every link it hands out."""

from __future__ import annotations

from ..settings import Settings


def public_base(settings: Settings, request_base: str | None = None) -> str:
    """PROMPTWATCH_PUBLIC_URL when the operator set it; else `request_base`, the address a request reached (its
    Host, and the scheme a trusted proxy forwarded), for links answered to that request; else, for links with no
    request (mail), the address `promptwatch up` serves at, or the default public_url. Mail never takes a
    request's address: its caller names the Host, and a mail would carry it to someone else."""
    if "public_url" in settings.model_fields_set:
        base = settings.public_url
    else:
        base = request_base or settings.served_url or settings.public_url
    return base.rstrip("/")
