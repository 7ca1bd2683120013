"""Contact preferences of the logged-in person and the one-click unsubscribe link (P6, P17)."""

from __future__ import annotations

import html

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict

from ..services.credentials import Caller
from .deps import caller
from .problems import responses

router = APIRouter(prefix="/api/v1", tags=["contact"])


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_news: bool | None = None
    promotions: bool | None = None
    billing: bool | None = None  # always true: false is refused
    legal: bool | None = None  # always true: false is refused


@router.get("/me/contact-preferences", summary="What mail I get", responses=responses(401, 403))
def get_preferences(request: Request, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.mail.my_preferences(who)


@router.put(
    "/me/contact-preferences", summary="Turn product news or promotions on or off", responses=responses(401, 403, 422)
)
def put_preferences(request: Request, body: PreferencesUpdate, who: Caller = Depends(caller)) -> dict:
    """Billing and legal notices cannot be turned off."""
    return request.app.state.services.mail.set_my_preferences(who, body.model_dump())


@router.get("/unsubscribe", summary="One-click unsubscribe from a mail's link (no log-in)", responses=responses(422))
def unsubscribe_link(request: Request, token: str) -> HTMLResponse:
    done = request.app.state.services.mail.unsubscribe(token)
    note = " You are off the waitlist too." if done["left_waitlist"] else ""
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Unsubscribed</title></head><body>"
        f"<p>{html.escape(done['email'])} gets no more product news or promotions.{note} "
        "Billing and legal notices still go to customers.</p></body></html>"
    )
    return HTMLResponse(page)


@router.post("/unsubscribe", summary="RFC 8058 one-click unsubscribe (List-Unsubscribe-Post)", responses=responses(422))
def unsubscribe_post(request: Request, token: str) -> dict:
    return request.app.state.services.mail.unsubscribe(token)
