"""The fixed sets of values that options and arguments take, as typer choices: a value outside its set is a
usage error (exit status 2) naming the option and its values, and `--help` lists them.

The server keeps each set beside the code that checks it, mostly in table modules that load SQLAlchemy,
which `--help` never imports: only `promptwatch.server.constants` is read here (scopes, outbox and lead
statuses). The other sets are repeated, each naming its source, and `tests/integration/test_cli.py` holds them
equal to it.
"""

from __future__ import annotations

from typing import Literal

from promptwatch.server.constants import LEAD_STATUSES, OUTBOX_STATUSES, SCOPES

Scope = Literal[SCOPES]  # what an API key may do
Role = Literal["owner", "admin", "member", "viewer"]  # server.store.tables.accounts.ROLES: a member's role
InstanceRole = Literal["operator", "staff"]  # server.store.tables.accounts.INSTANCE_ROLES
PlanCode = Literal["free", "team", "business"]  # server.services.plans.PLANS
PolicyKind = Literal["privacy", "terms"]  # server.store.tables.policies.KINDS
Promotional = Literal["product_news", "promotions"]  # server.store.tables.mail.PROMOTIONAL: what a broadcast sends
OutboxStatus = Literal[OUTBOX_STATUSES]
LeadStatus = Literal[LEAD_STATUSES]
Audience = Literal["users", "leads", "all"]  # server.api.operator.Broadcast.audience
