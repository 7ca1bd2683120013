"""Profiles, metering and invoices (P7): only owners edit billing, usage is metered per month, invoices get
gapless numbers (also with two workers on one PostgreSQL), lines, tax and a PDF, and they survive the
deletion of the account. The invoice mail is a billing notice: it goes despite every opt-out (P17)."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, select

from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.tables.accounts import accounts
from promptwatch.server.store.tables.billing import billing_profiles, invoice_lines, invoices
from tests.support.mailbox import login, new_tenant, operator_token, server_with_mail
from tests.support.payloads import BASE_TIME, llm, session, uid
from tests.support.server import LiveServer, free_port

PERIOD = f"{BASE_TIME:%Y-%m}"


@pytest.fixture(scope="module")
def billed(backend, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"billing-{backend}")
    extra = {"PROMPTWATCH_INVOICE_TAX_RATE_PERCENT": "21", "PROMPTWATCH_INVOICE_ISSUER_COUNTRY": "CZ"}
    with server_with_mail(backend, directory, **extra) as (server, mailbox):
        yield server, mailbox


def customer(server):
    tenant = new_tenant(server, "billing")
    return tenant, login(server, tenant.owner_email, tenant.owner_password)


def issue(server, account_id: int, period: str = PERIOD):
    with server.client(operator_token(server)) as operator:
        return operator.post("/api/v1/operator/invoices", json={"account_id": account_id, "period": period})


def test_p7_profiles_and_only_owners_edit_billing(billed):
    server, _ = billed
    tenant, owner_token = customer(server)
    admin_key = server.accounts()._rt.keys.create(tenant.account_id, "admin")
    billing = {"billing_name": "Acme s.r.o.", "billing_address": "Street 1\nPrague", "country": "cz", "vat_id": "CZ1"}
    with server.client(owner_token) as owner:
        profile = owner.put("/api/v1/account/profile", json={"company": "Acme", "contact_email": "c@acme.test"})
        assert profile.status_code == 200 and profile.json()["company"] == "Acme"
        saved = owner.put("/api/v1/account/billing-profile", json=billing)
        assert saved.status_code == 200 and saved.json()["country"] == "CZ"
        assert (
            owner.put("/api/v1/account/billing-profile", json={"vat_id": "CZ2"}).json()["billing_name"] == "Acme s.r.o."
        )
    with server.client(admin_key) as admin:  # an admin key reads billing but is no owner
        assert admin.get("/api/v1/account/billing-profile").json()["vat_id"] == "CZ2"
        assert admin.put("/api/v1/account/billing-profile", json={"vat_id": "X"}).status_code == 403
        assert admin.put("/api/v1/account/profile", json={"name": "Ops"}).status_code == 200
    with server.client(tenant.api_key) as ingest:
        assert ingest.get("/api/v1/account/billing-profile").status_code == 403
        assert ingest.put("/api/v1/account/profile", json={"name": "x"}).status_code == 403
        assert ingest.get("/api/v1/account/profile").json()["name"] == "Ops"


def test_p7_usage_is_metered_per_month(billed):
    server, _ = billed
    tenant, owner_token = customer(server)
    sid = uid("s-")
    with server.client(tenant.api_key) as client:
        calls = [llm(uid("a-"), sid, usage={"prompt_tokens": 5, "completion_tokens": 2}) for _ in range(3)]
        assert client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": calls}).status_code == 200
        usage = client.get("/api/v1/account/usage", params={"period": PERIOD}).json()
        assert usage["llm_calls"] == 3 and usage["stored_bytes"] > 0 and usage["seats"] == 1
        assert client.get("/api/v1/account/usage", params={"period": "2026-10"}).json()["llm_calls"] == 0
        assert client.get("/api/v1/account/usage", params={"period": "2026-13"}).status_code == 422
        plan = client.get("/api/v1/account/plan").json()
        assert plan["code"] == "free" and plan["currency"] == "EUR"  # fees are in the invoice currency


def test_p7_invoice_has_lines_tax_pdf_and_a_billing_mail_despite_opt_out(billed, tmp_path):
    server, mailbox = billed
    tenant, owner_token = customer(server)
    with server.client(owner_token) as owner:
        owner.put("/api/v1/me/contact-preferences", json={"product_news": False, "promotions": False})
        owner.put("/api/v1/account/billing-profile", json={"billing_name": "Žluťoučký kůň", "country": "CZ"})
    with server.client(operator_token(server)) as operator:
        assert operator.put(f"/api/v1/operator/accounts/{tenant.account_id}/plan", json={"plan": "team"}).is_success
    issued = issue(server, tenant.account_id)
    assert issued.status_code == 201, issued.text
    invoice = issued.json()["items"][0]
    assert invoice["lines"][0] == {
        "description": f"Team plan, {PERIOD}",
        "quantity": 1,
        "unit": "month",
        "unit_price_cents": 4900,
        "amount_cents": 4900,
    }
    assert invoice["subtotal_cents"] == 4900 and invoice["tax_rate_bp"] == 2100
    assert invoice["tax_cents"] == 1029 and invoice["total_cents"] == 5929
    assert invoice["bill_to"]["name"] == "Žluťoučký kůň"
    mail = mailbox.wait_for(tenant.owner_email, f"Invoice {invoice['number_text']}")
    assert "59.29 EUR" in mail.get_body().get_content()
    with server.client(owner_token) as owner:
        assert [i["number"] for i in owner.get("/api/v1/invoices").json()["items"]] == [invoice["number"]]
        pdf = owner.get(f"/api/v1/invoices/{invoice['number']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    if not (shutil.which("pdftoppm") and shutil.which("pdftotext")):
        pytest.skip("rendering the PDF needs poppler-utils (pdftoppm, pdftotext)")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf.content)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(path), str(tmp_path / "invoice")], check=True)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert invoice["number_text"] in text and "59.29 EUR" in text and "Team plan" in text


def test_p7_reverse_charge_for_a_foreign_vat_id(billed):
    server, _ = billed
    tenant, owner_token = customer(server)
    with server.client(owner_token) as owner:
        owner.put("/api/v1/account/billing-profile", json={"billing_name": "GmbH", "country": "DE", "vat_id": "DE123"})
    with server.client(operator_token(server)) as operator:
        operator.put(f"/api/v1/operator/accounts/{tenant.account_id}/plan", json={"plan": "team"})
    invoice = issue(server, tenant.account_id).json()["items"][0]
    assert invoice["tax_cents"] == 0 and "Reverse charge" in invoice["tax_note"]


def test_p7_one_invoice_per_period_numbers_without_gaps_and_no_reading_across_accounts(billed):
    server, _ = billed
    first, first_token = customer(server)
    second, _ = customer(server)
    a = issue(server, first.account_id).json()["items"][0]["number"]
    assert issue(server, first.account_id).status_code == 409  # refused: and it takes no number
    b = issue(server, second.account_id).json()["items"][0]["number"]
    assert b == a + 1
    assert issue(server, first.account_id, "2031-01").status_code == 422  # a month that has not started
    with server.client(first_token) as intruder:
        assert intruder.get(f"/api/v1/invoices/{b}").status_code == 404
        assert intruder.get(f"/api/v1/invoices/{b}/pdf").status_code == 404
    with server.client(second.api_key) as ingest_key:
        assert ingest_key.get("/api/v1/invoices").status_code == 403


def test_p7_invoices_are_kept_when_the_account_is_deleted(billed):
    server, _ = billed
    tenant, owner_token = customer(server)
    with server.client(owner_token) as owner:
        owner.put("/api/v1/account/billing-profile", json={"billing_name": "Gone Ltd", "billing_address": "Nowhere 1"})
    number = issue(server, tenant.account_id).json()["items"][0]["number"]
    engine = make_engine(server.database_url)
    try:
        with engine.begin() as conn:  # what deleting the account does in the database: its rows cascade away
            conn.execute(delete(accounts).where(accounts.c.id == tenant.account_id))
        with engine.connect() as conn:
            assert (
                conn.execute(select(billing_profiles).where(billing_profiles.c.account_id == tenant.account_id)).all()
                == []
            )
            kept = conn.execute(select(invoices).where(invoices.c.number == number)).mappings().one()
            assert kept["bill_to"]["name"] == "Gone Ltd"
            assert conn.execute(select(invoice_lines).where(invoice_lines.c.invoice_id == kept["id"])).all()
    finally:
        engine.dispose()
    with server.client(operator_token(server)) as operator:
        pdf = operator.get(f"/api/v1/operator/invoices/{number}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.postgresql  # several workers share one PostgreSQL; SQLite serves from one process
def test_p7_gapless_numbers_with_two_workers_on_one_postgresql(backend, billed):
    first, _ = billed
    second = LiveServer(f"http://127.0.0.1:{free_port()}", first.database_url, first.data_dir, first=first.first)
    second.extra_env = dict(first.extra_env)
    second.start()
    try:
        tenants = [new_tenant(first, "gapless") for _ in range(16)]
        token = operator_token(first)
        before = {i["number"] for i in _all_invoices(first, token)}

        def send(args):
            server, account_id = args
            with server.client(token) as operator:
                return operator.post("/api/v1/operator/invoices", json={"account_id": account_id, "period": PERIOD})

        work = [(server, t.account_id) for t in tenants for server in (first, second)]  # each account twice
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, work))
        assert sorted(r.status_code for r in answers) == [201] * 16 + [409] * 16
        numbers = sorted({i["number"] for i in _all_invoices(first, token)} - before)
        assert len(numbers) == 16 and numbers == list(range(numbers[0], numbers[0] + 16))
        assert numbers[0] == max(before, default=0) + 1
    finally:
        second.stop()


def _all_invoices(server, token: str) -> list[dict]:
    with server.client(token) as operator:
        return operator.get("/api/v1/operator/invoices").json()["items"]
