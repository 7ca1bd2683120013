"""Public forms: waitlist, sign-up with e-mail verification, password reset; and referral invites.
The public routes are rate-limited per address (shared by all workers) and never set a cookie."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from promptwatch.schema.common import name_text

from ..services.credentials import Caller
from .deps import caller
from .operator_auth import client_address
from .problems import responses

router = APIRouter(prefix="/api/v1", tags=["sign-up"])


class WaitlistJoin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: name_text(max_length=320)
    name: name_text(max_length=200) | None = None
    organisation: name_text(max_length=200) | None = None
    source: name_text(max_length=100) = "web"
    consent: bool = Field(description="The person agreed to the consent text of GET /api/v1/waitlist")


class SignUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: name_text(max_length=320)
    password: str = Field(max_length=1000)
    account_name: name_text(min_length=1, max_length=200)
    referral_code: name_text(max_length=40) | None = None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: name_text(max_length=200)


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: name_text(max_length=320)


class ResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: name_text(max_length=200)
    password: str = Field(max_length=1000)


@router.get("/waitlist", summary="The waitlist's consent text, whether it is open and whether sign-up is")
def waitlist_info(request: Request) -> dict:
    return request.app.state.services.signup.consent_text()


@router.post("/waitlist", status_code=202, summary="Join the waitlist", responses=responses(403, 422, 429))
def join_waitlist(request: Request, body: WaitlistJoin) -> dict:
    """Stores the consent text shown, the time and the source; mails a confirmation with an opt-out link."""
    return request.app.state.services.signup.join_waitlist(
        client_address(request), body.email, body.name, body.organisation, body.source, body.consent
    )


@router.post(
    "/signup", status_code=202, summary="Sign up; a verification link is mailed", responses=responses(403, 422, 429)
)
def sign_up(request: Request, body: SignUp) -> dict:
    return request.app.state.services.signup.sign_up(
        client_address(request), body.email, body.password, body.account_name, body.referral_code
    )


@router.post("/signup/verify", summary="Verify the address: creates the user and account", responses=responses(422))
def verify(request: Request, body: TokenIn) -> dict:
    return request.app.state.services.signup.verify(body.token)


@router.post("/auth/password-reset", status_code=202, summary="Mail a password-reset link", responses=responses(429))
def password_reset(request: Request, body: ResetRequest) -> dict:
    return request.app.state.services.signup.request_password_reset(client_address(request), body.email)


@router.post("/auth/password-reset/confirm", summary="Set a new password with a mailed token", responses=responses(422))
def password_reset_confirm(request: Request, body: ResetConfirm) -> dict:
    return request.app.state.services.signup.reset_password(body.token, body.password)


@router.post(
    "/referrals/codes", status_code=201, summary="Create my referral invite code", responses=responses(401, 403)
)
def create_code(request: Request, who: Caller = Depends(caller)) -> dict:
    """The link is on PROMPTWATCH_PUBLIC_URL when it is set, else on the address the request reached."""
    return request.app.state.services.signup.create_referral_code(who, str(request.base_url))


@router.get("/referrals", summary="My invite codes and who signed up through them", responses=responses(401, 403))
def my_referrals(request: Request, who: Caller = Depends(caller)) -> dict:
    return request.app.state.services.signup.my_referrals(who, str(request.base_url))
