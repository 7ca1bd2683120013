"""P7 with P18: deleting an account keeps its invoices for billing law, and its deletion receipt says how many
(`invoices_kept`, `invoice_lines_kept`), as docs/customers.md promises."""

from __future__ import annotations

from datetime import datetime, timezone

from tests.integration.test_backups import cli
from tests.support.mailbox import login


def test_p7_an_account_deletion_receipt_counts_the_invoices_kept(live_server):
    billed, unbilled = live_server.new_tenant("receipt-billed"), live_server.new_tenant("receipt-unbilled")
    period = f"{datetime.now(timezone.utc):%Y-%m}"
    issued = cli(live_server, "invoices", "issue", "--period", period, "--account", str(billed.account_id))
    assert "1 invoice(s) issued" in issued.stdout
    receipts = {}
    for tenant in (billed, unbilled):
        with live_server.client(login(live_server, tenant.owner_email, tenant.owner_password)) as owner:
            deleted = owner.delete("/api/v1/account")
            assert deleted.status_code == 200, deleted.text
            receipts[tenant.account_id] = deleted.json()["counts"]
    assert receipts[billed.account_id]["invoices_kept"] == 1
    assert receipts[billed.account_id]["invoice_lines_kept"] >= 1
    assert receipts[unbilled.account_id]["invoices_kept"] == receipts[unbilled.account_id]["invoice_lines_kept"] == 0
    listed = cli(live_server, "invoices", "list", "--account", str(billed.account_id))
    assert period in listed.stdout  # the invoice the receipt counts is there
