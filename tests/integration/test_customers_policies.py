"""Policy documents and their changes (P20): version 1 is the shipped text; a new version needs an
effective date at least 30 business days after its announcement (exact at the boundary, holidays
excluded); every account owner gets a legal notice by mail despite opting out of marketing, and sees the
notice until they acknowledge it; the acknowledgement is recorded."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from promptwatch.server.services.clock import utc_now
from promptwatch.server.services.policies import earliest_effective_date, parse_holidays
from tests.support.mailbox import login, new_tenant, operator_token, server_with_mail

DOCS = Path(__file__).resolve().parents[2] / "docs"


def next_weekday(start: date, days: int) -> date:
    day = start + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


HOLIDAYS = ",".join(str(next_weekday(utc_now().date(), n)) for n in (9, 16))


@pytest.fixture(scope="module")
def announced(backend, tmp_path_factory):
    directory = tmp_path_factory.mktemp(f"policies-{backend}")
    with server_with_mail(backend, directory, PROMPTWATCH_POLICY_HOLIDAYS=HOLIDAYS) as (server, mailbox):
        yield server, mailbox


def announce(server, effective: date, title: str = "Privacy policy"):
    with server.client(operator_token(server)) as operator:
        return operator.post(
            "/api/v1/operator/policies",
            json={"kind": "privacy", "title": title, "body": "We changed.", "effective_date": str(effective)},
        )


def test_p20_version_one_is_the_shipped_policy(announced):
    server, _ = announced
    with server.client() as visitor:
        current = visitor.get("/api/v1/policies/privacy").json()
        assert current["version"] == 1 and current["body"] == (DOCS / "privacy-policy.md").read_text()
        assert visitor.get("/api/v1/policies/privacy/versions/1").status_code == 200
        assert visitor.get("/api/v1/policies/cookies").status_code == 404


def test_p20_effective_date_needs_thirty_business_days_exactly(announced):
    server, _ = announced
    earliest = earliest_effective_date(utc_now().date(), parse_holidays(HOLIDAYS))
    too_soon = announce(server, earliest - timedelta(days=1))
    assert too_soon.status_code == 422 and too_soon.json()["earliest"] == str(earliest)
    assert announce(server, utc_now().date() + timedelta(days=30)).status_code == 422  # calendar days are not enough
    with server.client(operator_token(server)) as operator:
        assert (
            operator.post(
                "/api/v1/operator/policies",
                json={"kind": "cookies", "title": "x", "body": "y", "effective_date": str(earliest)},
            ).status_code
            == 422
        )
    accepted = announce(server, earliest)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["version"] >= 2 and accepted.json()["effective_date"] == str(earliest)


def test_p20_every_owner_is_notified_sees_the_notice_until_acknowledging(announced):
    server, mailbox = announced
    owners = [new_tenant(server, "owner") for _ in range(2)]
    tokens = [login(server, o.owner_email, o.owner_password) for o in owners]
    with server.client(tokens[0]) as first:  # opted out of all marketing: a legal notice still goes (P17)
        first.put("/api/v1/me/contact-preferences", json={"product_news": False, "promotions": False})
    effective = earliest_effective_date(utc_now().date(), parse_holidays(HOLIDAYS)) + timedelta(days=7)
    created = announce(server, effective, title="Terms of the privacy").json()
    assert created["notified_owners"] >= 3  # the first account's owner and the two new ones
    for owner in owners:
        notice = mailbox.wait_for(owner.owner_email, "Change of the PromptWatch")
        assert str(effective) in notice.get_body().get_content()
        assert notice["X-PromptWatch-Category"] == "legal" and "List-Unsubscribe" not in notice
    with server.client(tokens[0]) as first:
        pending = first.get("/api/v1/policies/notices").json()["items"]
        assert created["id"] in [n["id"] for n in pending]
        assert first.post(f"/api/v1/policies/{created['id']}/acknowledge").json()["acknowledged"] is True
        assert created["id"] not in [n["id"] for n in first.get("/api/v1/policies/notices").json()["items"]]
        assert first.post("/api/v1/policies/999999/acknowledge").status_code == 404
    with server.client(tokens[1]) as second:
        assert created["id"] in [n["id"] for n in second.get("/api/v1/policies/notices").json()["items"]]
    with server.client(operator_token(server)) as operator:
        acks = operator.get(f"/api/v1/operator/policies/{created['id']}/acknowledgements").json()["items"]
    assert [a["email"] for a in acks] == [owners[0].owner_email] and acks[0]["acknowledged_at"]
    with server.client() as visitor:  # the old version stays in force until the effective date
        assert visitor.get("/api/v1/policies/privacy").json()["version"] == 1
        listed = visitor.get("/api/v1/policies").json()["items"]
        assert any(d["id"] == created["id"] and d["effective_date"] == str(effective) for d in listed)


def test_p20_only_the_operator_announces(announced):
    server, _ = announced
    owner = new_tenant(server, "owner")
    token = login(server, owner.owner_email, owner.owner_password)
    body = {"kind": "privacy", "title": "x", "body": "y", "effective_date": "2030-01-01"}
    for credential in (token, owner.api_key):
        with server.client(credential) as customer:
            assert customer.post("/api/v1/operator/policies", json=body).status_code == 403
