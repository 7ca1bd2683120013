"""Instance-wide operations for the operator (log-in token of the `operator` user): invoices and plans,
policy announcements, statistics, leads, referral counts, promotional broadcasts and the outbox."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from promptwatch.schema.common import free_text, name_text

from ..constants import LEAD_STATUSES, OUTBOX_STATUSES
from ..services.operator import Operator
from .operator_auth import operator
from .problems import responses
from .query_rules import known_query_only

router = APIRouter(prefix="/api/v1/operator", tags=["operator"])


class InvoiceIssue(BaseModel):
    model_config = ConfigDict(extra="forbid")
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    account_id: int | None = Field(default=None, description="unset: every standard account")


class PlanSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan: name_text(max_length=40)


class PolicyAnnounce(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["privacy", "terms"]
    title: free_text(min_length=1, max_length=200)
    body: free_text(min_length=1, max_length=500_000)
    effective_date: date


class Broadcast(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Literal["product_news", "promotions"]
    subject: free_text(min_length=1, max_length=500)
    body: free_text(min_length=1, max_length=100_000)
    audience: Literal["users", "leads", "all"] = "all"


@router.post(
    "/invoices", status_code=201, summary="Issue invoices for a month", responses=responses(401, 403, 404, 409, 422)
)
def issue(request: Request, body: InvoiceIssue, who: Operator = Depends(operator)) -> dict:
    billing = request.app.state.services.billing
    if body.account_id is None:
        return {"items": billing.issue_all(body.period)}
    return {"items": [billing.issue_invoice(body.account_id, body.period)]}


@router.get("/invoices", summary="Every invoice of the instance", responses=responses(401, 403))
def all_invoices(request: Request, who: Operator = Depends(operator)) -> dict:
    return {"items": request.app.state.services.billing.invoices(None)}


@router.get("/invoices/{invoice_number}/pdf", summary="Any invoice as PDF", responses=responses(401, 403, 404))
def any_pdf(request: Request, invoice_number: int, who: Operator = Depends(operator)) -> Response:
    name, data = request.app.state.services.billing.pdf(invoice_number)
    return Response(data, media_type="application/pdf", headers={"content-disposition": f'inline; filename="{name}"'})


@router.put("/accounts/{account_id}/plan", summary="Put an account on a plan", responses=responses(401, 403, 404, 422))
def set_plan(request: Request, account_id: int, body: PlanSet, who: Operator = Depends(operator)) -> dict:
    return request.app.state.services.billing.set_plan(account_id, body.plan)


@router.post("/policies", status_code=201, summary="Announce a new policy version", responses=responses(401, 403, 422))
def announce(request: Request, body: PolicyAnnounce, who: Operator = Depends(operator)) -> dict:
    """The effective date must be at least 30 business days away; every account owner is mailed."""
    return request.app.state.services.policies.announce(body.kind, body.title, body.body, body.effective_date)


@router.get(
    "/policies/{document_id}/acknowledgements", summary="Who acknowledged a version", responses=responses(401, 403)
)
def acknowledgements(request: Request, document_id: int, who: Operator = Depends(operator)) -> dict:
    return {"items": request.app.state.services.policies.acknowledgements(document_id)}


@router.get(
    "/stats",
    summary="Anonymous usage statistics and volume",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def stats(request: Request, days: int = 30, who: Operator = Depends(operator)) -> dict:
    return request.app.state.services.usage_stats.report(max(1, min(days, 366)))


@router.get(
    "/leads",
    summary="Leads from the waitlist",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def leads(request: Request, status: Literal[LEAD_STATUSES] | None = None, who: Operator = Depends(operator)) -> dict:
    return {"items": request.app.state.services.signup.leads(status)}


@router.get("/referrals", summary="Referral counts per inviting user", responses=responses(401, 403))
def referrals(request: Request, who: Operator = Depends(operator)) -> dict:
    return {"items": request.app.state.services.signup.referral_counts()}


@router.post("/mail", status_code=202, summary="Queue promotional mail", responses=responses(401, 403, 422))
def broadcast(request: Request, body: Broadcast, who: Operator = Depends(operator)) -> dict:
    """Preferences are applied when each message is sent, not now."""
    queued = request.app.state.services.mail.broadcast(body.category, body.subject, body.body, body.audience)
    return {"queued": queued}


@router.get(
    "/outbox",
    summary="Mail sent and waiting",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def outbox(request: Request, status: Literal[OUTBOX_STATUSES] | None = None, who: Operator = Depends(operator)) -> dict:
    return request.app.state.services.mail.outbox(status)
