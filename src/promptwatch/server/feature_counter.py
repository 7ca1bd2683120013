"""ASGI middleware that feeds the anonymous feature counters (P4): after a response, the matched route
template (never the path) is counted for the day. The caller's account is looked up only to honour an
opt-out, and only while some account has opted out; it is never stored."""

from __future__ import annotations

import asyncio

from starlette.requests import Request

from .api.deps import caller
from .errors import DomainError


class FeatureCounterMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = {}

        async def send_wrapped(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        await self.app(scope, receive, send_wrapped)
        route = scope.get("route")
        template = getattr(route, "path", None)
        stats = scope["app"].state.services.usage_stats
        if template is None or status.get("code", 500) >= 400 or not stats.counts_request(template):
            return
        try:
            account_id = await asyncio.to_thread(_account_of, scope, stats) if stats.account_matters() else None
            stats.count_request(scope["method"], template, account_id)
        except Exception:  # counting never breaks a request
            return


def _account_of(scope, stats) -> int | None:
    if not stats.any_opt_outs():
        return None
    try:
        return caller(Request(scope)).account_id
    except DomainError:
        return None
