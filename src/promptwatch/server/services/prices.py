"""Per-account price overrides for custom or fine-tuned models, and pricing a model at a moment."""

from __future__ import annotations

from datetime import datetime

from ..errors import NotFound
from ..store import price_overrides as override_store
from .clock import utc_now
from .credentials import Caller
from .runtime import Runtime

MAX_PER_MTOK = 1_000_000.0  # USD per million tokens, over a thousand times the dearest public price


class PriceService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def list(self, caller: Caller) -> list[dict]:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            return [dict(r) for r in override_store.list_overrides(conn, caller.account_id)]

    def add(
        self, caller: Caller, model: str, input_per_mtok: float, output_per_mtok: float, effective_from: datetime | None
    ) -> dict:
        caller.require_role("admin", account_wide=True)
        now = utc_now()
        with self._rt.engine.begin() as conn:
            override_id = override_store.add_override(
                conn, caller.account_id, model, input_per_mtok, output_per_mtok, effective_from or now, now
            )
        self._rt.forget_overrides(caller.account_id)
        return {
            "id": override_id,
            "model": model,
            "input_per_mtok": input_per_mtok,
            "output_per_mtok": output_per_mtok,
            "effective_from": effective_from or now,
        }

    def delete(self, caller: Caller, override_id: int) -> None:
        caller.require_role("admin", account_wide=True)
        with self._rt.engine.begin() as conn:
            if not override_store.delete_override(conn, caller.account_id, override_id):
                raise NotFound(f"no price override {override_id}")
        self._rt.forget_overrides(caller.account_id)

    def quote(
        self,
        caller: Caller,
        model: str,
        provider: str | None,
        prompt_tokens: int,
        completion_tokens: int,
        at: datetime | None,
    ) -> dict:
        caller.require("read")
        priced = self._rt.pricebook.cost(
            model,
            provider,
            prompt_tokens,
            completion_tokens,
            at or utc_now(),
            self._rt.price_overrides(caller.account_id),
        )
        return {"model": model, "cost": priced.cost, "price_version": priced.price_version}
