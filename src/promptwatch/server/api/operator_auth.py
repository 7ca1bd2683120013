"""The operator dependency: a log-in token of the instance operator (`Authorization: Bearer pwt_...`)."""

from __future__ import annotations

from fastapi import Request

from ..errors import Forbidden
from ..services.operator import Operator
from .deps import LOGIN_TOKEN_PREFIX, credential_of


def operator(request: Request) -> Operator:
    credential = credential_of(request)
    if not credential.startswith(LOGIN_TOKEN_PREFIX):
        request.app.state.runtime.keys.authenticate(credential)  # 401 for an unknown key
        raise Forbidden("operator routes need the operator's log-in token; an account's key is not enough")
    return request.app.state.services.operator.operator_for_token(credential)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
