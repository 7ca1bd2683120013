"""Model prices: the account's overrides for custom or fine-tuned models, and a price quote."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from promptwatch.schema.common import MAX_TOKENS, Moment, name_text

from ..services.credentials import Caller
from ..services.prices import MAX_PER_MTOK
from .deps import caller
from .problems import responses
from .query_rules import QueryTime, known_query_only

router = APIRouter(prefix="/api/v1/prices", tags=["prices"])


def _price(tokens: str):
    return Field(ge=0, le=MAX_PER_MTOK, allow_inf_nan=False, description=f"USD per million {tokens} tokens")


class OverrideCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: name_text(min_length=1, max_length=200)
    input_per_mtok: float = _price("prompt")
    output_per_mtok: float = _price("completion")
    effective_from: Moment | None = Field(default=None, description="default: now")


@router.get("/overrides", summary="The account's price overrides", responses=responses(401))
def list_overrides(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": request.app.state.services.prices.list(who)}


@router.post("/overrides", status_code=201, summary="Add a price override", responses=responses(401, 403, 422))
def add_override(request: Request, body: OverrideCreate, who: Caller = Depends(caller)) -> dict:
    """Calls stored from `effective_from` on are priced with it; costs already stored keep their price."""
    return request.app.state.services.prices.add(
        who, body.model, body.input_per_mtok, body.output_per_mtok, body.effective_from
    )


@router.delete(
    "/overrides/{override_id}", status_code=204, summary="Remove a price override", responses=responses(401, 403, 404)
)
def delete_override(request: Request, override_id: int, who: Caller = Depends(caller)) -> Response:
    request.app.state.services.prices.delete(who, override_id)
    return Response(status_code=204)


class PriceUnpriced(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: name_text(min_length=1, max_length=200) | None = Field(default=None, description="only this model's calls")


@router.get("/unpriced", summary="The models of the calls stored without a price", responses=responses(401))
def unpriced(request: Request, who: Caller = Depends(caller)) -> dict:
    """`{"items": [{"model", "calls"}]}`, most calls first, from the hourly usage roll-ups: the closed LLM calls
    with tokens whose model had no price when they were stored (within a project-limited caller's project)."""
    return request.app.state.services.prices.unpriced(who)


@router.post("/unpriced/price", summary="Price the calls stored without a price", responses=responses(401, 403, 422))
def price_unpriced(request: Request, body: PriceUnpriced | None = None, who: Caller = Depends(caller)) -> dict:
    """Each call stored without a price (of `model` only, in any case, when given) is priced as ingest would
    price it now: with the account's overrides and the price table, at the call's start. Its session's cost
    and the usage metrics follow. Calls that have a cost keep it. Answers `priced_calls`, their `cost`, and
    the `unpriced_calls` still without a price. Admins of the whole account only."""
    return request.app.state.services.prices.price_unpriced(who, body.model if body else None)


@router.get(
    "/quote",
    summary="What a call would cost now (or at `at`)",
    responses=responses(401, 422),
    dependencies=[Depends(known_query_only)],
)
def quote(
    request: Request,
    who: Caller = Depends(caller),
    model: str = Query(min_length=1, max_length=200),
    provider: str | None = None,
    prompt_tokens: int = Query(default=0, ge=0, le=MAX_TOKENS),
    completion_tokens: int = Query(default=0, ge=0, le=MAX_TOKENS),
    at: QueryTime | None = None,
) -> dict:
    """Token counts are bounded as at ingest (0 to 10^12)."""
    return request.app.state.services.prices.quote(who, model, provider, prompt_tokens, completion_tokens, at)
