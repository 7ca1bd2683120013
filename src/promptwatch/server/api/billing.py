"""Account profile, billing profile (owners edit it), plan, monthly usage and the account's invoices."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict

from promptwatch.schema.common import free_text, name_text

from ..services.credentials import Caller
from .deps import caller
from .problems import responses
from .query_rules import known_query_only

router = APIRouter(prefix="/api/v1", tags=["billing"])


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: name_text(max_length=200) | None = None
    company: name_text(max_length=200) | None = None
    address: free_text(max_length=2000) | None = None
    contact_email: name_text(max_length=320) | None = None


class BillingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    billing_name: name_text(max_length=200) | None = None
    billing_address: free_text(max_length=2000) | None = None
    country: name_text(min_length=2, max_length=2) | None = None
    vat_id: name_text(max_length=50) | None = None
    billing_email: name_text(max_length=320) | None = None


@router.get("/account/profile", summary="The account's profile", responses=responses(401, 403))
def get_profile(request: Request, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.billing.account_profile(who)


@router.put("/account/profile", summary="Change the account's profile (admins)", responses=responses(401, 403, 422))
def put_profile(request: Request, body: ProfileUpdate, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.billing.update_account_profile(who, body.model_dump(exclude_unset=True))


@router.get("/account/billing-profile", summary="The billing profile (admins)", responses=responses(401, 403))
def get_billing(request: Request, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.billing.billing_profile(who)


@router.put(
    "/account/billing-profile", summary="Change the billing profile (owners only)", responses=responses(401, 403, 422)
)
def put_billing(request: Request, body: BillingUpdate, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.billing.update_billing_profile(who, body.model_dump(exclude_unset=True))


@router.get("/plans", summary="The plans of this instance", responses=responses(401))
def plans(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": request.app.state.services.billing.plans()}


@router.get("/account/plan", summary="The account's plan", responses=responses(401))
def account_plan(request: Request, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.billing.account_plan(who)


@router.get(
    "/account/usage",
    summary="Metered usage of a month (YYYY-MM)",
    responses=responses(401, 422),
    dependencies=[Depends(known_query_only)],
)
def usage(request: Request, period: str | None = None, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.billing.my_usage(who, period)


@router.get("/invoices", summary="The account's invoices (admins)", responses=responses(401, 403))
def invoices(request: Request, who: Caller = Depends(caller)) -> dict:
    return {"items": request.app.state.services.billing.my_invoices(who)}


@router.get("/invoices/{invoice_number}", summary="One invoice with its lines", responses=responses(401, 403, 404))
def invoice(request: Request, invoice_number: int, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.billing.my_invoice(who, invoice_number)


@router.get("/invoices/{invoice_number}/pdf", summary="One invoice as PDF", responses=responses(401, 403, 404))
def invoice_pdf(request: Request, invoice_number: int, who: Caller = Depends(caller)) -> Response:
    name, data = request.app.state.services.billing.my_pdf(who, invoice_number)
    return Response(data, media_type="application/pdf", headers={"content-disposition": f'inline; filename="{name}"'})
