"""P18 for people: deleting an account erases the users whose only account it was, a person erases their
own user (`DELETE /api/v1/me`) or the operator does (`promptwatch users delete`), and a restore (P19)
erases them again. Erased means: no sign-in, no user row, no mail in the outbox, no invitation or token."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from tests.integration.test_backups import cli, run_cli
from tests.support.mailbox import login
from tests.support.payloads import uid

PASSWORD = "a long password"


def invite(server, token: str, role: str = "member", email: str | None = None) -> str:
    """Invite a person into the account of `token` and have them accept; returns their e-mail."""
    email = email or f"person-{uid()}@example.test"
    with server.client(token) as admin:
        invited = admin.post("/api/v1/invitations", json={"email": email, "role": role})
        assert invited.status_code == 201, invited.text
    with server.client() as anonymous:
        accepted = anonymous.post(
            "/api/v1/invitations/accept", json={"token": invited.json()["token"], "password": PASSWORD}
        )
        assert accepted.status_code == 200, accepted.text
    return email


def login_status(server, email: str, password: str = PASSWORD) -> int:
    with server.client() as anonymous:
        return anonymous.post("/api/v1/auth/login", json={"email": email, "password": password}).status_code


def traces_of(server, email: str) -> dict[str, int]:
    """Rows that name the person, per table."""
    queries = {
        "users": "SELECT count(*) FROM users WHERE lower(email) = :e",
        "outbox": "SELECT count(*) FROM outbox WHERE lower(recipient) = :e",
        "invitations": "SELECT count(*) FROM invitations WHERE lower(email) = :e",
        "contact_preferences": "SELECT count(*) FROM contact_preferences WHERE email = :e",
        "action_tokens": "SELECT count(*) FROM action_tokens WHERE lower(email) = :e",
    }
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return {table: conn.execute(text(sql), {"e": email.lower()}).scalar() for table, sql in queries.items()}
    finally:
        engine.dispose()


def erased(server, email: str) -> bool:
    return login_status(server, email) == 401 and not any(traces_of(server, email).values())


def test_p18_deleting_an_account_erases_the_people_whose_only_account_it_was(live_server):
    bob = live_server.new_tenant("bob")
    bob_token = login(live_server, bob.owner_email, bob.owner_password)
    carol = invite(live_server, bob_token)  # a member of bob's account only
    with live_server.client(
        login(live_server, live_server.first.owner_email, live_server.first.owner_password)
    ) as other:
        pending = other.post("/api/v1/invitations", json={"email": bob.owner_email, "role": "viewer"})
        assert pending.status_code == 201  # an invitation and its mail to bob from another account
    with live_server.client(bob_token) as owner:
        assert owner.put("/api/v1/me/contact-preferences", json={"promotions": False}).status_code == 200
    assert all(traces_of(live_server, bob.owner_email)[t] for t in ("users", "outbox", "invitations"))
    with live_server.client(bob_token) as owner:
        receipt = owner.delete("/api/v1/account")
        assert receipt.status_code == 200, receipt.text
        assert receipt.json()["counts"]["users"] == 2
    assert login_status(live_server, bob.owner_email, bob.owner_password) == 401
    with live_server.client(bob_token) as gone:
        assert gone.get("/api/v1/me").status_code == 401  # the log-in token went with the user
    assert erased(live_server, bob.owner_email) and erased(live_server, carol)


def test_p18_a_user_in_two_accounts_keeps_the_other_when_one_is_deleted(live_server):
    bob = live_server.new_tenant("bob")
    bob_token = login(live_server, bob.owner_email, bob.owner_password)
    first_owner = login(live_server, live_server.first.owner_email, live_server.first.owner_password)
    dave = invite(live_server, bob_token)
    invite(live_server, first_owner, email=dave)
    with live_server.client(bob_token) as owner:
        assert owner.delete("/api/v1/account").status_code == 200
    with live_server.client() as anonymous:
        signed_in = anonymous.post("/api/v1/auth/login", json={"email": dave, "password": PASSWORD})
    assert signed_in.status_code == 200
    assert [a["account_id"] for a in signed_in.json()["accounts"]] == [live_server.first.account_id]
    assert traces_of(live_server, dave)["users"] == 1
    assert erased(live_server, bob.owner_email)


def test_p18_a_person_erases_their_own_user_but_not_while_only_owner(live_server):
    bob = live_server.new_tenant("bob")
    bob_token = login(live_server, bob.owner_email, bob.owner_password)
    dave = invite(live_server, bob_token)
    with live_server.client(bob.api_key) as key:
        assert key.delete("/api/v1/me").status_code == 403  # a key is no person
    with live_server.client(bob_token) as owner:
        refused = owner.delete("/api/v1/me")
        assert refused.status_code == 409 and "only owner" in refused.json()["detail"], refused.text
    with live_server.client(login(live_server, dave, PASSWORD)) as person:
        receipt = person.delete("/api/v1/me")
        assert receipt.status_code == 200, receipt.text
        assert receipt.json()["kind"] == "user" and dave not in receipt.text
    assert erased(live_server, dave)
    with live_server.client(bob_token) as owner:
        assert dave not in owner.get("/api/v1/members").text
        assert "deletion.user" in owner.get("/api/v1/audit").text
    assert login_status(live_server, bob.owner_email, bob.owner_password) == 200  # the refusal changed nothing


def test_p18_users_delete_command_erases_a_user_and_refuses_an_only_owner(live_server):
    bob = live_server.new_tenant("bob")
    dave = invite(live_server, login(live_server, bob.owner_email, bob.owner_password))
    refused = run_cli(live_server, "users", "delete", bob.owner_email, "--yes")
    assert refused.returncode == 1 and "only owner" in refused.stderr, refused.stderr
    assert run_cli(live_server, "users", "delete", f"nobody-{uid()}@example.test", "--yes").returncode == 1
    result = cli(live_server, "users", "delete", dave, "--yes")
    assert "erased users: 1" in result.stderr and f"user {dave} erased" in result.stderr
    assert erased(live_server, dave)


def test_p19_restore_erases_again_the_people_erased_after_the_backup(fresh_server):
    server = fresh_server().start()
    bob = server.new_tenant("bob")
    carol = invite(server, login(server, server.first.owner_email, server.first.owner_password))
    backup_path = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    with server.client(login(server, bob.owner_email, bob.owner_password)) as owner:
        assert owner.delete("/api/v1/account").status_code == 200
    with server.client(login(server, carol, PASSWORD)) as person:
        assert person.delete("/api/v1/me").status_code == 200
    ledger = (server.data_dir / "ledger" / "deletions.jsonl").read_text()
    assert bob.owner_email not in ledger and carol not in ledger  # ids and keyed hashes only
    server.stop()
    assert "deletions re-applied: 3" in cli(server, "restore", str(backup_path), "--yes").stderr  # bob's own entry
    server.start()
    assert login_status(server, bob.owner_email, bob.owner_password) == 401
    assert erased(server, bob.owner_email) and erased(server, carol)
    assert login_status(server, server.first.owner_email, server.first.owner_password) == 200


def restore(server, backup_path: Path) -> None:
    server.stop()
    cli(server, "restore", str(backup_path), "--yes")
    server.start()


def test_p19_restore_erases_again_a_person_erased_with_an_account_though_the_backup_has_another(fresh_server):
    """In accounts A and B at the backup, removed from B, then A deleted: erased, and so after a restore."""
    server = fresh_server().start()
    bob = server.new_tenant("bob")
    first_owner = login(server, server.first.owner_email, server.first.owner_password)
    person = invite(server, login(server, bob.owner_email, bob.owner_password))
    invite(server, first_owner, email=person)
    backup_path = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    with server.client(first_owner) as owner:
        members = {m["email"]: m["id"] for m in owner.get("/api/v1/members").json()["items"]}
        assert owner.delete(f"/api/v1/members/{members[person]}").status_code == 204
    with server.client(login(server, bob.owner_email, bob.owner_password)) as owner:
        assert owner.delete("/api/v1/account").json()["counts"]["users"] == 2
    assert erased(server, person)
    restore(server, backup_path)
    assert erased(server, person) and erased(server, bob.owner_email)


def test_p19_restore_keeps_a_person_who_joined_another_account_before_theirs_was_deleted(fresh_server):
    """Only in A at the backup, then joined B, then A deleted: kept, and so after a restore."""
    server = fresh_server().start()
    bob = server.new_tenant("bob")
    person = invite(server, login(server, bob.owner_email, bob.owner_password))
    backup_path = Path(cli(server, "backup").stdout.strip().splitlines()[-1])
    invite(server, login(server, server.first.owner_email, server.first.owner_password), email=person)
    with server.client(login(server, bob.owner_email, bob.owner_password)) as owner:
        assert owner.delete("/api/v1/account").json()["counts"]["users"] == 1
    restore(server, backup_path)
    assert login_status(server, person) == 200 and traces_of(server, person)["users"] == 1
    assert erased(server, bob.owner_email)
