"""Wires the command groups together."""

import typer

from . import customers, data, db, keys, lifecycle, staff, up

app = typer.Typer(help="PromptWatch: observability for LLM applications.", no_args_is_help=True)
app.command("up")(up.up)
app.command("cleanup")(lifecycle.cleanup)
app.command("backup")(data.backup)
app.command("restore")(data.restore)
app.command("export")(data.export)
app.command("import")(data.import_)
app.add_typer(keys.app, name="keys", help="Manage API keys offline.")
app.add_typer(db.app, name="db", help="Database schema migrations.")
app.add_typer(staff.app, name="staff", help="The operator's people (instance roles).")
app.command("stats")(customers.stats)
app.add_typer(customers.invoices, name="invoices", help="Plans and invoices (P7).")
app.add_typer(customers.policy, name="policy", help="Policy documents and change announcements (P20).")
app.add_typer(customers.mail, name="mail", help="The outbox and promotional mail (P6).")
app.add_typer(customers.customers, name="customers", help="Waitlist leads and referrals (P8, P12).")
