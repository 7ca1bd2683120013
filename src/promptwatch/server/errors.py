"""Domain exceptions, raised by services and rendered as `application/problem+json` by one handler.

DomainError (400)
├── InvalidInput (422)      a value breaks a rule the schema cannot express (`field=` names it)
├── Unauthenticated (401)   no credentials, or unknown / expired / revoked ones
├── Forbidden (403)         known caller, not allowed to do this
├── NotFound (404)          unknown id, or one that belongs to another account
├── Conflict (409)          the object exists or is in a state that forbids this
├── Gone (410)              the object was deleted
├── PayloadTooLarge (413)
├── RateLimited (429)       too many requests; retry after `retry_after` seconds when it is set
└── Overloaded (503)        the ingest queue is full; retry after `retry_after` seconds
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(DomainError):
    status, title = 422, "Invalid input"


class Unauthenticated(DomainError):
    status, title = 401, "Authentication required"


class Forbidden(DomainError):
    status, title = 403, "Forbidden"


class NotFound(DomainError):
    status, title = 404, "Not found"


class Conflict(DomainError):
    status, title = 409, "Conflict"


class Gone(DomainError):
    status, title = 410, "Gone"


class PayloadTooLarge(DomainError):
    status, title = 413, "Payload too large"


class RateLimited(DomainError):
    status, title = 429, "Too many requests"

    def __init__(self, detail: str, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Overloaded(DomainError):
    status, title = 503, "Overloaded"

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
