"""Anonymous usage statistics: the UI reports features used and page views (P4, P5); an account owner
opts the account out. Page views take the path and keep only its route template; no cookie is set. The UI
sends a page view with its credential when signed in, so that an account that opted out is not counted."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from promptwatch.schema.common import name_text

from ..services.credentials import Caller
from .deps import caller
from .problems import responses

router = APIRouter(prefix="/api/v1", tags=["usage statistics"])


class PageView(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: name_text(max_length=2000) = Field(description="location.pathname; only its route template is counted")


class FeatureUse(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feature: name_text(max_length=100) = Field(description="one of the UI feature names (see docs/customers.md)")


class OptOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    opt_out: bool


@router.post(
    "/page-views",
    status_code=204,
    summary="Count a page view (cookieless, aggregate)",
    description="With a credential, the view counts for its account unless the account opted out; without one,"
    " as the page a signed-out visitor sees at that path (a public page, else the sign-in page).",
    responses=responses(401, 422),
)
def page_view(request: Request, body: PageView) -> Response:
    who = caller(request) if sends_credential(request) else None
    request.app.state.services.usage_stats.count_page_view(body.path, who.account_id if who else None)
    return Response(status_code=204)


def sends_credential(request: Request) -> bool:
    return "authorization" in request.headers or "x-api-key" in request.headers


@router.post("/usage-stats/features", status_code=204, summary="Count a UI feature use", responses=responses(401, 422))
def feature_use(request: Request, body: FeatureUse, who: Caller = Depends(caller)) -> Response:
    request.app.state.services.usage_stats.count_feature(who, body.feature)
    return Response(status_code=204)


@router.get("/account/usage-stats", summary="Whether the account is counted", responses=responses(401))
def get_opt_out(request: Request, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.usage_stats.account_setting(who)


@router.put(
    "/account/usage-stats", summary="Opt the account out of usage statistics (owners)", responses=responses(401, 403)
)
def put_opt_out(request: Request, body: OptOut, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.usage_stats.set_account_opt_out(who, body.opt_out)
