"""The one registry of customer data.

Every table that holds customer data is declared here with what export, deletion, retention, redaction
and encryption must do with it; those jobs are driven by this list, and a test fails when a table with an
`account_id` column is neither registered nor listed as not holding customer data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Table

from .tables import accounts as accounts_tables
from .tables import activities as activity_tables
from .tables import annotations as annotation_tables
from .tables import (
    billing,
    credentials,
    datasets,
    lifecycle,
    prompt_cache,
    redaction,
    replays,
    sessions,
    sharing,
    support_access,
    templates,
    unit_tests,
    usage,
    usage_stats,
)
from .tables import members as member_tables

RetentionClass = Literal["content", "aggregate", "account", "billing", "proof"]  # billing, proof: outlive the account


@dataclass(frozen=True)
class CustomerTable:
    table: Table
    scope: str  # how a row reaches its account: "account_id" or a join description
    export_kind: str  # the JSON Lines file name in an export archive
    delete_cascade: str  # what deleting the parent does to its rows
    retention_class: RetentionClass
    redaction: tuple[str, ...] = ()  # columns that hold free customer text
    encrypted: tuple[str, ...] = ()  # columns encrypted at rest when the account has a key
    project_column: str | None = None  # rows go with their project when it is deleted
    tenant_column: str | None = None  # rows go with their tracking tenant (an end user's erasure)
    exported: bool = True  # False only for what means nothing elsewhere (key hashes, sealed keys, cache clears)
    references: tuple[tuple[str, str], ...] = ()  # (column, table) id references without a foreign key


CUSTOMER_TABLES: tuple[CustomerTable, ...] = (
    CustomerTable(accounts_tables.accounts, "id", "account", "account deletion", "account"),
    CustomerTable(accounts_tables.memberships, "account_id", "members", "account deletion", "account"),
    CustomerTable(accounts_tables.projects, "account_id", "projects", "account deletion", "account"),
    CustomerTable(
        credentials.api_keys, "account_id", "api_keys", "account or project deletion", "account", exported=False
    ),
    CustomerTable(
        sessions.sessions,
        "account_id",
        "sessions",
        "session, project, tenant or account deletion",
        "content",
        redaction=("session_name", "metadata"),
    ),
    CustomerTable(sessions.tombstones, "account_id", "tombstones", "account deletion", "account"),
    CustomerTable(
        activity_tables.activities,
        "account_id",
        "activities",
        "cascades from its session",
        "content",
        redaction=("error",),
    ),
    CustomerTable(
        activity_tables.activity_bodies,
        "account_id",
        "activity_bodies",
        "cascades from its activity",
        "content",
        redaction=("body",),
        encrypted=("body",),
    ),
    CustomerTable(
        usage.usage_hourly,
        "account_id",
        "usage_hourly",
        "account deletion",
        "aggregate",
        tenant_column="tracking_tenant",
        references=(("project_id", "projects"),),
    ),
    CustomerTable(
        usage.latency_hourly,
        "account_id",
        "latency_hourly",
        "account deletion",
        "aggregate",
        tenant_column="tracking_tenant",
        references=(("project_id", "projects"),),
    ),
    CustomerTable(usage.price_overrides, "account_id", "price_overrides", "account deletion", "account"),
    CustomerTable(
        lifecycle.deletion_receipts,
        "account_id",
        "deletion_receipts",
        "kept with the account row",
        "proof",
        references=(("project_id", "projects"),),
    ),
    CustomerTable(
        lifecycle.retention_policies,
        "account_id",
        "retention_policies",
        "project or account deletion",
        "account",
        references=(("project_id", "projects"),),
        project_column="project_id",
    ),
    # the prompt-improvement loop
    CustomerTable(
        prompt_cache.cache_entries,
        "account_id",
        "cache_entries",
        "namespace clear, project deletion (its namespaces <project> and <project>.*) or account deletion",
        "content",
        redaction=("prompt_text", "input_values", "result"),
    ),
    CustomerTable(
        prompt_cache.cache_lookups,
        "account_id",
        "cache_lookups",
        "namespace clear (whole), project deletion (its namespaces) or account deletion",
        "aggregate",
    ),
    CustomerTable(
        prompt_cache.cache_clears,
        "account_id",
        "cache_clears",
        "account deletion; each kept a day (keyed hashes of names, read by other processes' count flushes)",
        "aggregate",
        exported=False,
    ),
    CustomerTable(unit_tests.test_runs, "account_id", "test_runs", "test or account deletion", "content"),
    CustomerTable(
        unit_tests.test_results, "account_id", "test_results", "cascades from its run", "content", redaction=("body",)
    ),
    CustomerTable(
        templates.prompt_templates, "account_id", "prompt_templates", "template or account deletion", "account"
    ),
    CustomerTable(
        templates.prompt_template_versions,
        "account_id",
        "prompt_template_versions",
        "cascades from its template",
        "account",
        redaction=("content",),
    ),
    CustomerTable(templates.prompt_label_moves, "account_id", "prompt_labels", "cascades from its template", "account"),
    CustomerTable(
        annotation_tables.annotations,
        "account_id",
        "annotations",
        "cascades from its activity or session",
        "content",
        redaction=("notes",),
    ),
    CustomerTable(
        replays.provider_configs,
        "account_id",
        "provider_configs",
        "config or account deletion; never exported (the key is sealed)",
        "account",
        encrypted=("api_key_sealed",),
        exported=False,
    ),
    CustomerTable(
        replays.replays,
        "account_id",
        "replays",
        "cascades from its activity",
        "content",
        redaction=("request", "generated", "error"),
    ),
    # access and trust
    CustomerTable(
        member_tables.membership_projects, "account_id", "membership_projects", "account deletion", "account"
    ),
    CustomerTable(member_tables.invitations, "account_id", "invitations", "account deletion", "account"),
    CustomerTable(support_access.support_grants, "account_id", "support_grants", "account deletion", "account"),
    CustomerTable(support_access.audit_log, "account_id", "audit_log", "account deletion", "account"),
    CustomerTable(
        sharing.share_links,
        "account_id",
        "share_links",
        "revocation, session, dataset (or its project's) or account deletion",
        "account",
    ),
    CustomerTable(
        datasets.datasets,
        "account_id",
        "datasets",
        "dataset, project or account deletion",
        "content",
        redaction=("description",),
        project_column="project_id",
    ),
    CustomerTable(
        datasets.dataset_items,
        "account_id",
        "dataset_items",
        "item deletion; cascades from its dataset; a tenant's erasure when copied from its calls",
        "content",
        redaction=("notes",),
        encrypted=("payload",),
    ),
    CustomerTable(
        redaction.redaction_rules,
        "account_id",
        "redaction_rules",
        "project or account deletion",
        "account",
        project_column="project",  # by name, not id ("" for the account's own rules)
    ),
    # customers: profiles with the account; invoices are kept for billing law (P7)
    CustomerTable(billing.account_profiles, "account_id", "account_profile", "account deletion", "account"),
    CustomerTable(billing.billing_profiles, "account_id", "billing_profile", "account deletion", "account"),
    CustomerTable(billing.account_plans, "account_id", "plan", "account deletion", "account"),
    CustomerTable(
        billing.invoices, "account_id", "invoices", "kept for billing law: survives account deletion", "billing"
    ),
    CustomerTable(
        billing.invoice_lines, "account_id", "invoice_lines", "kept with its invoice (billing law)", "billing"
    ),
    CustomerTable(usage_stats.stats_opt_outs, "account_id", "usage_stats_opt_out", "account deletion", "account"),
)

# Tables that hold no customer data, each with the reason.
NON_CUSTOMER_TABLES: dict[str, str] = {
    "users": "people; their memberships are the account's data, the person record is their own",
    "login_tokens": "hashes of short-lived UI tokens of a person",
    "alembic_version": "schema revision",
    "access_log": "request diagnostics (P9): route template, status, latency, truncated address; no account id",
    # customers
    "outbox": "mail to people; the body is cleared once the message is sent, suppressed or failed",
    "contact_preferences": "a person's own choice of contact (P6, P17), keyed by e-mail address",
    "rate_limits": "counters of public forms and failed log-ins keyed by a keyed hash; no address or e-mail, "
    "expire with their window",
    "action_tokens": "hashes of one-time sign-up and password-reset tokens of a person",
    "leads": "people interested in the product (P8), with their consent; not an account's data",
    "referral_codes": "a user's invite codes (P12)",
    "referrals": "which user's invite brought which sign-up (P12)",
    "invoice_counters": "the instance's last invoice number",
    "feature_counters": "anonymous per-day feature counts (P4): no id, address or content",
    "page_views": "anonymous per-day page-view counts by route template (P5)",
    "policy_documents": "the instance's policy texts and their versions (P20)",
    "policy_acknowledgements": "which person acknowledged which policy version, and when (P20)",
}

# Full-text index (SQLite FTS5 table / PostgreSQL table) over activity text; purged with its activity.
SEARCH_INDEX = "activity_search"


def registered_table_names() -> set[str]:
    return {entry.table.name for entry in CUSTOMER_TABLES}
