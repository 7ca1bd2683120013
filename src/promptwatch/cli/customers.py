"""Operator commands for customers: `invoices`, `policy`, `stats`, `mail` and `customers` (leads, referrals).
They work on the database directly, like `keys`; mail they queue is sent by a running server's outbox."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .choices import Audience, LeadStatus, OutboxStatus, PlanCode, PolicyKind, Promotional
from .options import DataDir, open_runtime

console = Console()
invoices = typer.Typer(no_args_is_help=True)
policy = typer.Typer(no_args_is_help=True)
mail = typer.Typer(no_args_is_help=True)
customers = typer.Typer(no_args_is_help=True)


def _services(data_dir):
    """The store's runtime and the outbox the mail of a service goes to."""
    from promptwatch.server.services.mail import MailService

    runtime = open_runtime(data_dir)
    return runtime, MailService(runtime)


def _billing(data_dir):
    from promptwatch.server.services.billing import BillingService

    return BillingService(*_services(data_dir))


def _policies(data_dir):
    from promptwatch.server.services.policies import PolicyService

    return PolicyService(*_services(data_dir))


def _signup(data_dir):
    from promptwatch.server.services.signup import SignupService

    return SignupService(*_services(data_dir))


@invoices.command("issue")
def issue(
    period: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    account: Annotated[int | None, typer.Option(help="One account; default every standard account.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Issue invoices for a month (each account once; numbers are gapless) and queue their mails."""
    from promptwatch.server.services.invoice_pdf import money

    billing = _billing(data_dir)
    issued = [billing.issue_invoice(account, period)] if account else billing.issue_all(period)
    for invoice in issued:
        console.print(
            f"{invoice['number_text']}  account {invoice['account_id']}  "
            f"{money(invoice['total_cents'], invoice['currency'])}"
        )
    console.print(f"{len(issued)} invoice(s) issued for {period}")


@invoices.command("list")
def list_invoices(
    account: Annotated[int | None, typer.Option(help="Only this account's invoices.")] = None, data_dir: DataDir = None
) -> None:
    """List invoices, newest first."""
    from promptwatch.server.services.invoice_pdf import money

    table = Table("number", "account", "period", "plan", "total", "issued")
    for row in _billing(data_dir).invoices(account):
        table.add_row(
            row["number_text"],
            str(row["account_id"]),
            row["period"],
            row["plan"],
            money(row["total_cents"], row["currency"]),
            f"{row['issued_at']:%Y-%m-%d}",
        )
    console.print(table)


@invoices.command("pdf")
def pdf(
    number: Annotated[int, typer.Argument(metavar="NUMBER")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the PDF.")],
    data_dir: DataDir = None,
) -> None:
    """Write invoice NUMBER as PDF."""
    _, data = _billing(data_dir).pdf(number)
    out.write_bytes(data)
    console.print(f"wrote {out} ({len(data)} bytes)")


@invoices.command("plan")
def plan(
    account: Annotated[int, typer.Argument(metavar="ACCOUNT")],
    plan_code: Annotated[PlanCode, typer.Argument(metavar="PLAN")],
    data_dir: DataDir = None,
) -> None:
    """Put ACCOUNT on plan PLAN."""
    _billing(data_dir).set_plan(account, plan_code)
    console.print(f"account {account} is on {plan_code}")


@policy.command("announce")
def announce(
    effective: Annotated[str, typer.Option(help="Effective date YYYY-MM-DD, at least 30 business days away.")],
    text: Annotated[Path, typer.Option("--file", help="The new version's text (Markdown).")],
    kind: Annotated[PolicyKind, typer.Option(help="The privacy policy or the terms.")] = "privacy",
    title: Annotated[str, typer.Option(help="The document's title.")] = "Privacy policy",
    data_dir: DataDir = None,
) -> None:
    """Announce a new version of a policy; every account owner is mailed a legal notice."""
    result = _policies(data_dir).announce(kind, title, text.read_text(), date.fromisoformat(effective))
    console.print(
        f"{kind} version {result['version']} takes effect {result['effective_date']}; "
        f"{result['notified_owners']} owner(s) notified"
    )


@policy.command("list")
def list_policies(data_dir: DataDir = None) -> None:
    """List policy versions: in force and announced."""
    table = Table("id", "kind", "version", "title", "announced", "effective")
    for doc in _policies(data_dir).current():
        table.add_row(
            str(doc["id"]),
            doc["kind"],
            str(doc["version"]),
            doc["title"],
            f"{doc['announced_at']:%Y-%m-%d}",
            str(doc["effective_date"]),
        )
    console.print(table)


def stats(
    days: Annotated[int, typer.Option(help="Days to show.")] = 30,
    data_dir: DataDir = None,
) -> None:
    """Anonymous usage statistics: features, page views, and volume per plan (groups of at least the minimum)."""
    from promptwatch.server.services.usage_stats import UsageStatsService

    report = UsageStatsService(open_runtime(data_dir)).report(days)
    console.print(f"collecting: {report['collecting']}  ({report['since']} .. {report['until']})")
    for title, rows in (("features", report["features"]), ("page views", report["page_views"])):
        totals: dict[str, int] = {}
        for row in rows:
            totals[row["name"]] = totals.get(row["name"], 0) + row["count"]
        table = Table(title, "count", title=title)
        for name, count in sorted(totals.items(), key=lambda item: -item[1]):
            table.add_row(name, str(count))
        console.print(table)
    volume = report["volume_this_month"]
    table = Table("plan", "accounts", "LLM calls", title=f"this month (groups of {volume['min_group_size']}+)")
    for group in volume["groups"]:
        table.add_row(group["plan"], str(group["accounts"]), str(group["calls"]))
    console.print(table)
    console.print(f"withheld groups (too small): {volume['withheld_groups']}")


@mail.command("outbox")
def outbox_command(
    status: Annotated[OutboxStatus | None, typer.Option(help="Only the messages in this state.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Show the outbox: counts per status and the latest messages."""
    _, outbox = _services(data_dir)
    view = outbox.outbox(status, 50)
    console.print(view["counts"])
    table = Table("id", "category", "to", "subject", "status", "attempts", "error")
    for row in view["items"]:
        table.add_row(
            str(row["id"]),
            row["category"],
            row["recipient"],
            row["subject"],
            row["status"],
            str(row["attempts"]),
            row["last_error"] or "",
        )
    console.print(table)


@mail.command("broadcast")
def broadcast(
    subject: Annotated[str, typer.Option(help="Subject line.")],
    body: Annotated[Path, typer.Option("--file", help="Plain-text body.")],
    category: Annotated[Promotional, typer.Option(help="What recipients can turn off.")] = "product_news",
    audience: Annotated[Audience, typer.Option(help="Users, waitlist leads or both.")] = "all",
    data_dir: DataDir = None,
) -> None:
    """Queue promotional mail; each recipient's preferences are checked when it is sent."""
    _, outbox = _services(data_dir)
    console.print(f"queued {outbox.broadcast(category, subject, body.read_text(), audience)} message(s)")


@customers.command("leads")
def leads(
    status: Annotated[LeadStatus | None, typer.Option(help="Only the leads in this state.")] = None,
    data_dir: DataDir = None,
) -> None:
    """List waitlist leads with their consent and source."""
    table = Table("email", "organisation", "source", "status", "consented", "consent text")
    for lead in _signup(data_dir).leads(status):
        table.add_row(
            lead["email"],
            lead["organisation"] or "",
            lead["source"],
            lead["status"],
            f"{lead['consented_at']:%Y-%m-%d %H:%M}",
            lead["consent_text"][:60],
        )
    console.print(table)


@customers.command("referrals")
def referrals(data_dir: DataDir = None) -> None:
    """Referral counts per inviting user."""
    table = Table("user id", "email", "referrals")
    for row in _signup(data_dir).referral_counts():
        table.add_row(str(row["inviter_user_id"]), row["email"], str(row["referrals"]))
    console.print(table)
