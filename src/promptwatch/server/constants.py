"""Values of the server that import nothing but the standard library, so that the command line builds its
`--help` from them without loading SQLAlchemy or the server."""

from __future__ import annotations

from pathlib import Path

SCOPES = ("write", "ingest", "read", "admin")  # what an API key may do
OUTBOX_STATUSES = ("queued", "sent", "suppressed", "failed")  # of a mail in the outbox
LEAD_STATUSES = ("waitlist", "opted_out", "customer")  # of a lead from the waitlist


def default_data_dir() -> Path:
    return Path.home() / ".promptwatch"
