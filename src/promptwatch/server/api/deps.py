"""What every route needs: the runtime, and the authenticated caller.

Credentials: an API key as `Authorization: Bearer <key>` or `x-api-key: <key>`, or a UI log-in token
(`Bearer pwt_...`) with an optional `X-PromptWatch-Account` header choosing one of the user's accounts, and
`X-PromptWatch-Project` choosing the project a membership limited to several projects acts in.
"""

from __future__ import annotations

from fastapi import Request

from ..errors import InvalidInput, Unauthenticated
from ..services.credentials import Caller
from ..services.runtime import Runtime

LOGIN_TOKEN_PREFIX = "pwt_"


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def credential_of(request: Request) -> str:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    raise Unauthenticated("send an API key as 'Authorization: Bearer <key>' or 'x-api-key: <key>'")


def caller(request: Request) -> Caller:
    credential = credential_of(request)
    services = request.app.state.services
    if credential.startswith(LOGIN_TOKEN_PREFIX):
        account = request.headers.get("x-promptwatch-account")
        try:
            account_id = int(account) if account else None
        except ValueError:
            raise InvalidInput("X-PromptWatch-Account must be an account id") from None
        return services.accounts.caller_for_token(credential, account_id, request.headers.get("x-promptwatch-project"))
    return runtime(request).keys.authenticate(credential)
