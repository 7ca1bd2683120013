"""The access and trust screens in a real Chromium: an owner invites a person and changes and removes their
role (P16) while a viewer sees the members read-only; support grants are given and revoked (P10); a share
link made on a session page is read without signing in until it is revoked (P1); redaction rules are edited
and a bad pattern is refused (P1); the audit log lists these actions, filters them and is exported (P10)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from tests.e2e.scenario import ANSWER, QUESTION, ingest, rag_session
from tests.support.payloads import uid
from tests.support.server import Tenant

pytestmark = pytest.mark.e2e

INVITATION_TOKEN = re.compile(r"pwi_[A-Za-z0-9_-]+")


def login_token(ui, tenant: Tenant) -> str:
    credentials = {"email": tenant.owner_email, "password": tenant.owner_password}
    with ui.server.client() as client:
        answer = client.post("/api/v1/auth/login", json=credentials)
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def accept(ui, token: str, password: str = "pw-12345678"):
    with ui.server.client() as anyone:
        return anyone.post("/api/v1/invitations/accept", json={"token": token, "password": password})


def join(ui, tenant: Tenant, role: str) -> Tenant:
    """A person invited through the API who accepted: a Tenant whose `owner_*` sign in as that person."""
    email, password = f"{uid('p-')}@example.test", "pw-" + uid()
    with ui.server.client(login_token(ui, tenant)) as owner:
        token = owner.post("/api/v1/invitations", json={"email": email, "role": role}).json()["token"]
    assert accept(ui, token, password).status_code == 200
    return Tenant(tenant.account_id, tenant.api_key, email, password)


def members(ui, tenant: Tenant) -> dict[str, str]:
    with ui.server.client(tenant.api_key) as client:
        return {m["email"]: m["role"] for m in client.get("/api/v1/members").json()["items"]}


def security_tab(ui) -> None:
    ui.go("Settings", "nav.subnav")
    ui.page.click("nav.subnav >> text=Security & sharing")
    expect(ui.page).to_have_url(re.compile(r"tab=security"))


def test_p16_owner_invites_a_person_changes_their_role_and_removes_them(ui, tenant):
    page = ui.page
    ui.sign_in(tenant)
    ui.go("Settings", "table[aria-label='Members']")
    email = f"{uid('new-')}@example.test"
    page.fill("input[name=email]", email)
    page.select_option("form[aria-label='Invite a person'] select[name=role]", "viewer")
    page.click("text=Invite")
    link = page.locator("code.invitation-link").inner_text()
    token = INVITATION_TOKEN.search(link).group(0)
    row = page.locator("table[aria-label='Invitations'] tr", has_text=email)
    expect(row).to_contain_text("pending")

    # resend: the old link stops working, a new one is shown
    row.locator("text=Resend").click()
    expect(page.locator("code.invitation-link")).not_to_have_text(link)
    resent = INVITATION_TOKEN.search(page.locator("code.invitation-link").inner_text()).group(0)
    assert accept(ui, token).status_code == 410
    accepted = accept(ui, resent)
    assert accepted.status_code == 200 and accepted.json()["role"] == "viewer"

    page.reload()
    member = page.locator(f"tr[data-member='{email}']")
    with page.expect_response(lambda r: r.request.method == "PATCH" and "/api/v1/members/" in r.url) as changed:
        member.locator("select").select_option("admin")
    assert changed.value.status == 200
    assert members(ui, tenant)[email] == "admin"

    member.locator("text=Remove").click()
    dialog = member.locator("[role=alertdialog]")
    expect(dialog).to_contain_text(f"Remove {email} from the account?")
    dialog.locator("text=Cancel").click()
    assert email in members(ui, tenant)
    member.locator("text=Remove").click()
    member.locator("text=Remove member").click()
    expect(page.locator(f"tr[data-member='{email}']")).to_have_count(0)
    assert email not in members(ui, tenant)

    # the only owner (the caller) is offered no role change and no removal: the API would refuse both
    own = page.locator(f"tr[data-member='{tenant.owner_email}']")
    expect(own).to_contain_text("(you)")
    expect(own).to_contain_text("the only owner")
    assert own.locator("select").count() == 0 and own.locator("text=Remove").count() == 0

    # an invitation revoked from the list cannot be used
    other = f"{uid('other-')}@example.test"
    page.fill("input[name=email]", other)
    page.click("text=Invite")
    other_token = INVITATION_TOKEN.search(page.locator("code.invitation-link").inner_text()).group(0)
    page.locator("table[aria-label='Invitations'] tr", has_text=other).locator("text=Revoke").click()
    expect(page.locator("table[aria-label='Invitations'] tr", has_text=other)).to_have_count(0)
    assert accept(ui, other_token).status_code == 410


def test_p16_a_viewer_sees_members_and_security_read_only(ui, tenant):
    viewer = join(ui, tenant, "viewer")
    page = ui.page
    ui.sign_in(viewer)
    ui.go("Settings", f"tr[data-member='{viewer.owner_email}']")
    page.wait_for_selector("text=Only owners and admins invite people and change roles.")
    assert page.locator("form[aria-label='Invite a person']").count() == 0
    assert page.locator("table[aria-label='Members'] select").count() == 0
    assert page.locator("table[aria-label='Members'] >> text=Remove").count() == 0

    security_tab(ui)
    page.wait_for_selector("text=Reading the audit log needs an owner or admin role.")
    page.wait_for_selector("text=Support access needs an owner or admin role.")
    page.wait_for_selector("text=Only owners and admins change the rules.")
    assert page.locator("form[aria-label='Grant support access']").count() == 0
    assert page.locator("form.redaction-editor").count() == 0


def test_p10_support_grant_is_given_with_a_reason_and_revoked(ui, tenant):
    page = ui.page
    ui.sign_in(tenant)
    security_tab(ui)
    form = page.locator("form[aria-label='Grant support access']")
    form.locator("input[name=reason]").fill("ticket 4711")
    form.locator("input[name=hours]").fill("1000")  # more than 30 days: the API's answer is shown
    form.locator("text=Grant access").click()
    page.wait_for_selector("[role=alert]:has-text('less than or equal to 720')")

    form.locator("input[name=hours]").fill("48")
    form.locator("text=Grant access").click()
    row = page.locator("table[aria-label='Support grants'] tr", has_text="ticket 4711")
    expect(row).to_contain_text("live")
    expect(row).to_contain_text("the whole account")

    form.locator("select[name=scope]").select_option("sessions")
    form.locator("input[name=sessions]").fill("s-1, s-2")
    form.locator("input[name=reason]").fill("ticket 4712")
    form.locator("text=Grant access").click()
    expect(page.locator("table[aria-label='Support grants'] tr", has_text="ticket 4712")).to_contain_text("s-1, s-2")

    row.locator("text=Revoke").click()
    expect(row).to_contain_text("revoked")
    with ui.server.client(login_token(ui, tenant)) as owner:
        grants = {g["reason"]: g for g in owner.get("/api/v1/support-grants").json()["items"]}
    assert grants["ticket 4711"]["revoked_at"] is not None and not grants["ticket 4711"]["live"]
    assert grants["ticket 4712"]["live"] and grants["ticket 4712"]["session_ids"] == ["s-1", "s-2"]
    given = {name: datetime.fromisoformat(grants["ticket 4711"][name]) for name in ("created_at", "expires_at")}
    assert (given["expires_at"] - given["created_at"]).total_seconds() == 48 * 3600


def test_p1_a_share_link_reads_the_session_without_sign_in_until_it_is_revoked(ui, browser, tenant):
    session, activities = rag_session("support", "acme", datetime.now(timezone.utc))
    with ui.server.client(tenant.api_key) as client:
        ingest(client, (session, activities))
    page = ui.page
    ui.sign_in(tenant, f"/ui/sessions/{session['id']}")
    page.get_by_role("button", name="Share").click()
    page.select_option("select[name=hours]", "24")
    page.click("text=Create link")
    url = page.locator("code.share-url").inner_text()
    assert url.startswith(ui.origin + "/ui/shared/pws_")

    stranger = browser.new_context()
    try:
        sent = []
        stranger.on("request", lambda request: sent.append(request))
        shared = stranger.new_page()
        shared.goto(url)
        shared.wait_for_selector(f"h1:has-text('{session['session_name']}')")
        text = shared.locator("main").inner_text()
        assert QUESTION in text and ANSWER in text and "acme" not in text  # the tenant label is not shared
        assert shared.locator("script:not([src]), [onerror], [onclick]").count() == 0
        assert all("authorization" not in r.headers for r in sent), "the shared page sent a credential"
        assert shared.evaluate("sessionStorage.getItem('promptwatch.auth')") is None

        # in a signed-in tab the page still sends no credential with the shared read
        with page.expect_request(lambda r: "/api/v1/shared/" in r.url) as read:
            page.goto(url)
        assert "authorization" not in read.value.headers
        page.wait_for_selector(f"h1:has-text('{session['session_name']}')")

        page.goto(ui.origin + "/ui/settings?tab=security")
        link = page.locator("table[aria-label='Share links'] tr", has_text=session["id"])
        expect(link).to_contain_text("live")
        assert link.locator("td.num").inner_text() == "2"
        link.locator("text=Revoke").click()
        expect(link).to_contain_text("revoked")

        shared.reload()
        shared.wait_for_selector("[role=alert]:has-text('This share link was revoked or has expired.')")
        assert QUESTION not in shared.locator("main").inner_text()
        with ui.server.client() as anyone:
            assert anyone.get("/api/v1/shared/" + url.rsplit("/", 1)[1]).status_code == 410
    finally:
        stranger.close()


def test_p1_redaction_rules_are_edited_and_a_bad_pattern_is_refused(ui, tenant):
    page = ui.page
    ui.sign_in(tenant)
    security_tab(ui)
    editor = page.locator("form.redaction-editor")
    editor.locator("input[name=email]").check()
    editor.locator("text=Add pattern").click()
    editor.locator("input[aria-label='Pattern name']").fill("order")
    editor.locator("input[aria-label=Pattern]").fill("ORD-(")
    editor.locator("text=Save rules").click()
    page.wait_for_selector("[role=alert]:has-text('not a regular expression')")

    editor.locator("input[aria-label=Pattern]").fill("ORD-[0-9]{6}")
    editor.locator("text=Save rules").click()
    page.wait_for_selector("[role=status]:has-text('Saved the rules of the account')")
    expect(page.locator("table[aria-label='Redaction rules'] tr[data-project='']")).to_contain_text("custom: order")
    with ui.server.client(tenant.api_key) as client:
        account = client.get("/api/v1/redaction").json()["account"]
    assert account["email"] and account["secrets"] and not account["phone"]
    assert account["custom"] == [{"name": "order", "pattern": "ORD-[0-9]{6}"}]


def test_p10_audit_log_lists_filters_and_exports_the_actions(ui, tenant, tmp_path):
    session, activities = rag_session("support", "acme", datetime.now(timezone.utc))
    with ui.server.client(tenant.api_key) as client:
        ingest(client, (session, activities))
    with ui.server.client(login_token(ui, tenant)) as owner:
        owner.post("/api/v1/invitations", json={"email": f"{uid('a-')}@example.test", "role": "member"})
        grant = owner.post("/api/v1/support-grants", json={"reason": "ticket 99"}).json()
        owner.delete(f"/api/v1/support-grants/{grant['id']}")
        link = owner.post("/api/v1/share-links", json={"object_id": session["id"]}).json()
        owner.delete(f"/api/v1/share-links/{link['id']}")
    page = ui.page
    ui.sign_in(tenant)
    security_tab(ui)
    log = page.locator("table[aria-label='Audit log']")
    expect(log.locator("tbody tr").first).to_have_attribute("data-action", "share.revoke")
    actions = log.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.action)")
    assert actions == ["share.revoke", "share.create", "support.revoke", "support.grant", "member.invite"]
    granted = log.locator("tr[data-action='support.grant']")
    expect(granted).to_contain_text(tenant.owner_email)  # "user:N" until the members list has arrived
    assert "ticket 99" in granted.inner_text()

    page.fill("input[name=action]", "support.")
    page.click("form[aria-label='Filter the audit log'] >> text=Apply")
    expect(page).to_have_url(re.compile(r"action=support\."))
    expect(log.locator("tbody tr")).to_have_count(2)

    page.click("text=Export")
    with page.expect_download() as download:
        page.click("text=Save audit.jsonl")
    saved = tmp_path / "audit.jsonl"
    download.value.save_as(saved)
    entries = [json.loads(line) for line in saved.read_text().splitlines()]
    assert [e["action"] for e in entries] == [*reversed(actions), "audit.export"]
    assert all(set(e) == {"id", "at", "actor", "action", "target", "details"} for e in entries)
