"""Turn an LLM call's token counts into a cost in USD, fast enough for the ingest path.

Prices come from the `genai-prices` table bundled in its wheel (pinned in pyproject), read straight from
`genai_prices.data`, so neither its opt-in auto-update nor a process-wide custom snapshot can change them.
`genai_prices.calc_price` takes 0.1-0.4 ms, so a `PriceBook` resolves each (model, provider) once, keeps
the per-million-token rates in a bounded LRU cache and prices every later call in a few microseconds.
Per-account `PriceOverride`s (custom and fine-tuned models) win over the table from their effective date.
A cost is given as `money`, without the binary noise of its product (3 tokens at $0.10 per million tokens
cost 3e-07, not 3.0000000000000004e-07).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from importlib.metadata import version

from genai_prices import Usage
from genai_prices.data_snapshot import find_provider_by_id
from genai_prices.types import ModelInfo, ModelPrice, Provider, TieredPrices

from .money import money

__all__ = ["PriceBook", "PriceOverride", "Priced"]

_PER_MTOK = 1_000_000


@dataclass(frozen=True)
class PriceOverride:
    """An account's own price for a model, from `effective_from` until a later override of the same model."""

    id: int
    model: str
    input_per_mtok: float
    output_per_mtok: float
    effective_from: datetime


@dataclass(frozen=True)
class Priced:
    """A cost in USD and its source (`genai-prices-X.Y.Z` or `override:<id>`); both None if unpriced."""

    cost: float | None
    price_version: str | None


_UNPRICED = Priced(None, None)


class PriceBook:
    """Prices LLM calls; build one per process and share it (it is thread-safe)."""

    def __init__(self, cache_size: int = 4096) -> None:
        from genai_prices.data import providers  # the 1.6 MB table: loaded by the first PriceBook, not on import

        self._providers: list[Provider] = providers
        self._listed = _listed_at_one_price(providers)
        self._version = f"genai-prices-{version('genai-prices')}"
        self._lookup = functools.lru_cache(maxsize=cache_size)(self._resolve)

    @property
    def version(self) -> str:
        """The price table's version, as stored with each priced activity: `genai-prices-0.2.3`."""
        return self._version

    def cost(
        self,
        model: str | None,
        provider: str | None,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        at: datetime,
        overrides: Sequence[PriceOverride] = (),
    ) -> Priced:
        """The cost of one call made at `at`; a missing token count is 0, but two missing ones price nothing.

        `at` and the overrides' `effective_from` must both be timezone-aware (or both naive).
        """
        if model is None or (prompt_tokens is None and completion_tokens is None):
            return _UNPRICED
        prompt, completion = prompt_tokens or 0, completion_tokens or 0
        override = _effective_override(overrides, model, at)
        if override is not None:
            cost = (prompt * override.input_per_mtok + completion * override.output_per_mtok) / _PER_MTOK
            return Priced(money(cost), f"override:{override.id}")
        table_price = self._lookup(model.strip().lower(), provider.strip().lower() if provider else None)
        if table_price is None:
            return _UNPRICED
        return Priced(money(table_price.cost(prompt, completion, at)), self._version)

    def cache_info(self) -> functools._CacheInfo:
        """Hits and misses of the (model, provider) cache, for metrics and tests."""
        return self._lookup.cache_info()

    def _resolve(self, model: str, provider: str | None) -> _TablePrice | None:
        """The table entry for a lower-cased name; `openai/gpt-4o` is also tried as `gpt-4o` from `openai`.

        A model the named provider does not list is looked up by its name alone, as without a provider: an
        OpenAI-compatible gateway records provider "openai" for every model it serves, Claude included.
        """
        candidates = _candidates(model, provider)
        if provider is not None:
            candidates += _candidates(model, None)
        for model_ref, provider_ref in candidates:
            if found := self._find(model_ref, provider_ref):
                return _TablePrice.of(*found)
        return None

    def _find(self, model_ref: str, provider_ref: str | None) -> tuple[Provider, ModelInfo] | None:
        # DataSnapshot.find_provider_model does the same, but its caches grow with every name it is asked
        # about; our bounded LRU is the only cache here. A provider genai-prices does not know (a gateway,
        # a proxy) is ignored and the provider is inferred from the model name instead; a name no provider's
        # naming rule claims (OpenAI's `text-embedding-3-small`) is priced by the table's listing of it.
        provider = find_provider_by_id(self._providers, provider_ref) if provider_ref else None
        if provider is None:
            matching = (p for p in self._providers if p.model_match and p.model_match.is_match(model_ref))
            provider = next(matching, None)
        if provider is None:
            return self._listed.get(model_ref)
        model = provider.find_model(model_ref, all_providers=self._providers)
        return None if model is None else (provider, model)


def _listed_at_one_price(providers: list[Provider]) -> dict[str, tuple[Provider, ModelInfo]]:
    """The models of the table by their lower-cased id, those every provider listing them prices alike: OpenAI
    and Azure list `text-embedding-3-small` at one price, while `ada` has two and is left out."""
    listings: dict[str, list[tuple[Provider, ModelInfo]]] = {}
    for provider in providers:
        for model in provider.models:
            listings.setdefault(model.id.lower(), []).append((provider, model))
    return {
        model_id: found[0]
        for model_id, found in listings.items()
        if all(model.prices == found[0][1].prices for _, model in found)
    }


def _candidates(model: str, provider: str | None) -> list[tuple[str, str | None]]:
    candidates = [(model, provider)]
    if "/" in model:
        prefix, rest = model.split("/", 1)
        candidates.append((rest, provider or prefix))
    return candidates


def _effective_override(overrides: Sequence[PriceOverride], model: str, at: datetime) -> PriceOverride | None:
    """The override of `model` (exact name, any case) with the latest `effective_from` not after `at`."""
    if not overrides:
        return None
    name = model.lower()
    candidates = [o for o in overrides if o.effective_from <= at and o.model.lower() == name]
    return max(candidates, key=lambda o: o.effective_from, default=None)


@dataclass(frozen=True)
class _Rate:
    """USD per million tokens; above a tier's start (in total input tokens) the whole call pays its price."""

    base: float
    tiers: tuple[tuple[int, float], ...]  # (start, price), highest start first

    @classmethod
    def of(cls, price: Decimal | TieredPrices | None) -> _Rate | None:
        if isinstance(price, TieredPrices):
            tiers = sorted(((t.start, float(t.price)) for t in price.tiers), reverse=True)
            return cls(float(price.base), tuple(tiers))
        return None if price is None else cls(float(price), ())

    def per_mtok(self, prompt_tokens: int) -> float:
        for start, price in self.tiers:
            if prompt_tokens > start:
                return price
        return self.base


@dataclass(frozen=True)
class _TablePrice:
    """One genai-prices model, with its price periods reduced to rates where they can be.

    With only input and output tokens reported, genai-prices charges just `input_mtok` and `output_mtok`
    (every other token price is for a sub-kind of those, e.g. cache reads, whose count is then 0), and
    `requests_kcount`, a per-call fee; a period with that fee is priced by `calc_price` itself.
    """

    provider: Provider
    model: ModelInfo
    periods: tuple[tuple[ModelPrice, tuple[_Rate | None, _Rate | None] | None], ...]

    @classmethod
    def of(cls, provider: Provider, model: ModelInfo) -> _TablePrice:
        prices = [model.prices] if isinstance(model.prices, ModelPrice) else [c.prices for c in model.prices]
        return cls(provider, model, tuple((price, _rates(price)) for price in prices))

    def cost(self, prompt_tokens: int, completion_tokens: int, at: datetime) -> float:
        current = self.model.get_prices(at)  # genai-prices' own choice of period (start date, off-peak)
        rates = next(rates for price, rates in self.periods if price is current)
        if rates is None:
            usage = Usage(input_tokens=prompt_tokens, output_tokens=completion_tokens)
            calculation = self.model.calc_price(usage, self.provider, genai_request_timestamp=at)
            return float(calculation.total_price)
        input_rate, output_rate = rates
        cost = 0.0
        if input_rate is not None:
            cost += prompt_tokens * input_rate.per_mtok(prompt_tokens)
        if output_rate is not None:
            cost += completion_tokens * output_rate.per_mtok(prompt_tokens)
        return cost / _PER_MTOK


def _rates(price: ModelPrice) -> tuple[_Rate | None, _Rate | None] | None:
    if price.requests_kcount is not None:
        return None
    return _Rate.of(price.input_mtok), _Rate.of(price.output_mtok)
