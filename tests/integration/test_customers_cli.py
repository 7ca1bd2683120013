"""The operator's customer commands work on a real database: plan, invoice, PDF, policy, stats, outbox."""

from __future__ import annotations

import os
import subprocess
import sys

from promptwatch.server.services.clock import utc_now
from promptwatch.server.services.policies import earliest_effective_date
from tests.support.databases import fresh_database
from tests.support.server import TEST_ENV, provision


def run(url: str, directory, *args: str) -> str:
    env = {**os.environ, **TEST_ENV, "PROMPTWATCH_DATABASE_URL": url, "COLUMNS": "250"}
    result = subprocess.run(
        [sys.executable, "-m", "promptwatch.cli", *args, "--data-dir", str(directory)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_p7_p20_operator_commands(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        server = provision(url, tmp_path)
        period = f"{utc_now():%Y-%m}"
        assert "is on team" in run(url, tmp_path, "invoices", "plan", str(server.first.account_id), "team")
        assert "1 invoice(s) issued" in run(url, tmp_path, "invoices", "issue", "--period", period)
        assert "0 invoice(s) issued" in run(url, tmp_path, "invoices", "issue", "--period", period)
        assert "INV-000001" in run(url, tmp_path, "invoices", "list")
        run(url, tmp_path, "invoices", "pdf", "1", "--out", str(tmp_path / "i.pdf"))
        assert (tmp_path / "i.pdf").read_bytes().startswith(b"%PDF")
        text = tmp_path / "v2.md"
        text.write_text("# Privacy policy, version 2\n")
        effective = earliest_effective_date(utc_now().date(), frozenset())
        out = run(url, tmp_path, "policy", "announce", "--effective", str(effective), "--file", str(text))
        assert "version 2" in out and "1 owner(s) notified" in out
        assert "withheld groups" in run(url, tmp_path, "stats")
        outbox = run(url, tmp_path, "mail", "outbox")
        assert "{'queued': 2}" in outbox and "Invoice INV-000001" in outbox and "Change of the PromptWatch" in outbox


def test_p16_staff_create_makes_a_person_of_the_operator_who_sees_no_account(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        server = provision(url, tmp_path)
        out = run(url, tmp_path, "staff", "create", "helpdesk@example.test", "--role", "staff")
        password = out.strip().splitlines()[-1]
        server.start()
        try:
            with server.client() as anonymous:
                login = anonymous.post(
                    "/api/v1/auth/login", json={"email": "helpdesk@example.test", "password": password}
                )
                assert login.status_code == 200, login.text
            with server.client(login.json()["token"]) as staff:
                assert staff.get("/api/v1/me").json()["instance_role"] == "staff"
                assert staff.get("/api/v1/sessions").status_code == 403
        finally:
            server.stop()
        env = {**os.environ, **TEST_ENV, "PROMPTWATCH_DATABASE_URL": url}
        again = subprocess.run(
            [
                sys.executable,
                "-m",
                "promptwatch.cli",
                "staff",
                "create",
                "helpdesk@example.test",
                "--data-dir",
                str(tmp_path),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 1 and again.stderr.startswith("error: ") and "exists" in again.stderr
