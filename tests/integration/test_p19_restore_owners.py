"""Clause P19, owners after a restore: ownership that passed after the backup to someone the backup does not
hold cannot come back (a restore never widens access), so the restore names every account it leaves with no
owner and the remedy; `promptwatch users set-role` gives the account an owner again, as an audited change
that the ledger keeps."""

from __future__ import annotations

import json

import pytest

from promptwatch.server.services.backups import restore_backup
from tests.integration.test_backups import assert_one_line_error, cli, run_cli, runtime_of
from tests.integration.test_p18_user_erasure import PASSWORD, invite
from tests.integration.test_p19_restore_ledger import member_ids, take_backup
from tests.support.mailbox import login
from tests.support.payloads import uid


def hand_over_ownership(server, owner_token: str, then: str) -> str:
    """The owner makes a newcomer owner, who then removes or demotes the first owner; returns the newcomer."""
    newcomer = invite(server, owner_token, role="admin")
    members = member_ids(server, owner_token)
    with server.client(owner_token) as client:
        promoted = client.patch(f"/api/v1/members/{members[newcomer]['id']}", json={"role": "owner"})
        assert promoted.status_code == 200, promoted.text
    first = members[server.first.owner_email]["id"]
    with server.client(login(server, newcomer, PASSWORD)) as client:
        if then == "remove":
            assert client.delete(f"/api/v1/members/{first}").status_code == 204
        else:
            assert client.patch(f"/api/v1/members/{first}", json={"role": "admin"}).status_code == 200
    return newcomer


def roles(server, account_id: int) -> dict[str, str]:
    """The account's members and their roles, as an admin key of the account reads them."""
    with server.client(runtime_of(server).keys.create(account_id, "admin")) as client:
        return {m["email"]: m["role"] for m in client.get("/api/v1/members").json()["items"]}


@pytest.mark.parametrize("then", ["remove", "demote"])
def test_p19_restore_names_an_account_left_without_owner_and_set_role_gives_it_one(fresh_server, then):
    server = fresh_server().start()
    account, owner_email = server.first.account_id, server.first.owner_email
    other = server.new_tenant("kept")  # an account whose owner is untouched: not named
    backup = take_backup(server)
    newcomer = hand_over_ownership(server, login(server, owner_email, server.first.owner_password), then)
    server.stop()
    result = restore_backup(server.settings(), backup)
    assert result["accounts_without_owner"] == [account]
    output = " ".join(cli(server, "restore", str(backup), "--yes").stderr.split())
    assert (
        f"account {account} has no owner: ownership passed after the backup to someone it does not hold; "
        f"give it one with promptwatch users set-role EMAIL owner --account {account}"
    ) in output, output
    assert f"account {other.account_id} has" not in output
    server.start()
    left = roles(server, account)
    assert newcomer not in left and "owner" not in left.values()

    changed = cli(server, "users", "set-role", owner_email, "owner", "--account", str(account)).stderr
    was = "was not a member" if then == "remove" else "was admin"
    assert f"{owner_email} is now owner of account {account} ({was})" in " ".join(changed.split()), changed
    assert roles(server, account)[owner_email] == "owner"
    token = login(server, owner_email, server.first.owner_password)
    assert member_ids(server, token)[owner_email]["role"] == "owner"
    person = invite(server, token, role="owner")  # only an owner invites an owner
    assert roles(server, account)[person] == "owner"
    with server.client(token) as client:
        audit = client.get("/api/v1/audit", params={"action": "member.update"}).json()["items"]
    user_id = member_ids(server, token)[owner_email]["id"]
    assert (audit[0]["actor"], audit[0]["target"]) == ("command line", f"user:{user_id}")
    assert audit[0]["details"]["role"] == "owner"
    text = runtime_of(server).ledger.path.read_text()
    last = json.loads(text.splitlines()[-1])
    assert (last["kind"], last["user_id"], last["role"]) == ("member_changed", user_id, "owner")
    assert owner_email not in text  # ids only


def test_p19_a_role_set_on_the_command_line_outlives_a_restore(fresh_server):
    server = fresh_server().start()
    account = server.first.account_id
    person = invite(server, login(server, server.first.owner_email, server.first.owner_password), role="viewer")
    backup = take_backup(server)
    cli(server, "users", "set-role", person, "admin", "--account", str(account))
    server.stop()
    output = cli(server, "restore", str(backup), "--yes").stderr
    assert "credential changes re-applied: 1" in output and "has no owner" not in output
    server.start()
    owner = login(server, server.first.owner_email, server.first.owner_password)
    assert member_ids(server, owner)[person]["role"] == "admin"


def test_p19_users_set_role_refuses_in_one_line(live_server):
    tenant = live_server.new_tenant("roles")
    account = str(tenant.account_id)
    unknown = run_cli(live_server, "users", "set-role", f"nobody-{uid()}@example.test", "owner", "--account", account)
    assert_one_line_error(unknown, "no user nobody-")
    last = run_cli(live_server, "users", "set-role", tenant.owner_email, "admin", "--account", account)
    assert_one_line_error(last, "the account must keep at least one owner")
    no_account = run_cli(live_server, "users", "set-role", tenant.owner_email, "owner", "--account", "999999")
    assert_one_line_error(no_account, "no account 999999")
    owner = login(live_server, tenant.owner_email, tenant.owner_password)
    assert member_ids(live_server, owner)[tenant.owner_email]["role"] == "owner"  # the refusals changed nothing


def test_p19_users_set_role_makes_an_existing_user_a_member_of_the_whole_account(live_server):
    tenant = live_server.new_tenant("joins")
    first_owner = login(live_server, live_server.first.owner_email, live_server.first.owner_password)
    person = invite(live_server, first_owner, role="member")  # a user of another account only
    cli(live_server, "users", "set-role", person, "viewer", "--account", str(tenant.account_id))
    members = member_ids(live_server, login(live_server, tenant.owner_email, tenant.owner_password))
    assert (members[person]["role"], members[person]["projects"]) == ("viewer", [])
    staff = f"staff-{uid()}@example.test"
    cli(live_server, "staff", "create", staff)
    refused = run_cli(live_server, "users", "set-role", staff, "owner", "--account", str(tenant.account_id))
    assert_one_line_error(refused, "operator staff")
