"""Per-account price overrides for custom or fine-tuned models, pricing a model at a moment, and pricing the
calls stored while their model had no price."""

from __future__ import annotations

from datetime import datetime

from ..errors import NotFound
from ..store import price_overrides as override_store
from ..store import unpriced_calls
from . import audit
from .clock import utc_now
from .credentials import Caller, limited_project_id
from .money import money
from .runtime import Runtime

MAX_PER_MTOK = 1_000_000.0  # USD per million tokens, over a thousand times the dearest public price
PRICING_CHUNK = 500  # unpriced calls priced per transaction


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

    def unpriced(self, caller: Caller) -> dict:
        """The models of the calls stored without a price, with how many (within a limited caller's project)."""
        caller.require("read")
        with self._rt.engine.connect() as conn:
            rows = unpriced_calls.unpriced_by_model(conn, caller.account_id, limited_project_id(conn, caller))
        return {"items": [{"model": r["model"] or None, "calls": int(r["calls"])} for r in rows]}

    def price_unpriced(self, caller: Caller, model: str | None) -> dict:
        """Price the calls stored without a price (of `model` only, when given) with the overrides and the
        price table of today, each at its own start; their sessions and the usage metrics follow. Calls that
        have a cost keep it. Works through the calls a few hundred per transaction."""
        caller.require_role("admin", account_wide=True)
        account_id = caller.account_id
        self._rt.forget_overrides(account_id)
        overrides = self._rt.price_overrides(account_id)

        def price(row: dict) -> tuple[float | None, str | None]:
            priced = self._rt.pricebook.cost(
                row["model"],
                row["provider"],
                row["prompt_tokens"],
                row["completion_tokens"],
                row["start_time"],
                overrides,
            )
            return priced.cost, priced.price_version

        after, count, cost = 0, 0, 0.0
        while True:
            with self._rt.engine.begin() as conn:
                last, priced, priced_cost = unpriced_calls.price_some(
                    conn, account_id, model, after, PRICING_CHUNK, price, utc_now()
                )
            if last == after:
                break
            after, count, cost = last, count + priced, cost + priced_cost
        audit.record(self._rt, account_id, caller, "prices.price_unpriced", model, {"calls": count})
        remaining = self.unpriced(caller)["items"]
        left = sum(
            item["calls"] for item in remaining if model is None or (item["model"] or "").lower() == model.lower()
        )
        return {"priced_calls": count, "cost": money(cost), "unpriced_calls": left}
