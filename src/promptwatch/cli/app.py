"""Wires the command groups together under the one handler of user errors."""

import typer

from . import accounts, customers, data, db, keys, lifecycle, staff, up, users
from .errors import GuardedGroup

# plain help, as click writes it: flags without a type, options with theirs, in the terminal's width
app = typer.Typer(
    cls=GuardedGroup,
    help="PromptWatch: observability for LLM applications.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.command("up")(up.up)
app.command("cleanup")(lifecycle.cleanup)
app.command("backup")(data.backup)
app.command("restore")(data.restore)
app.command("export")(data.export)
app.command("import")(data.import_)
app.add_typer(accounts.app, name="accounts", help="Open an account for a customer, with its owner and a key.")
app.add_typer(keys.app, name="keys", help="Manage API keys offline.")
app.add_typer(users.app, name="users", help="People who sign in: a new password, a role in an account, erasure.")
app.add_typer(db.app, name="db", help="Database schema migrations.")
app.add_typer(staff.app, name="staff", help="The operator's people (instance roles).")
app.command("stats")(customers.stats)
app.add_typer(customers.invoices, name="invoices", help="Account plans, monthly invoices and their PDFs.")
app.add_typer(
    customers.policy, name="policy", help="Privacy policy and terms: announce a new version to owners, list versions."
)
app.add_typer(
    customers.mail, name="mail", help="The outbox of every mail sent, and promotional mail (only to those who agreed)."
)
app.add_typer(customers.customers, name="customers", help="Waitlist leads with their consent, and referral counts.")
