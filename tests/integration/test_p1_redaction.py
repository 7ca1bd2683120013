"""P1, P10: redaction before storage. One stage on the ingest pipeline masks what an account or project
chose, whichever way the data came in (native API, the published client's endpoints, OTLP); the same
secret sent through every path is found nowhere in storage, and each activity counts its redactions."""

from __future__ import annotations

import orjson
from sqlalchemy import select

from promptwatch.server.store.bodies import decode_body
from promptwatch.server.store.tables.activities import activities, activity_bodies
from promptwatch.server.store.tables.sessions import sessions
from tests.support.payloads import llm, session, uid

from .test_otlp import json_span, otlp_json
from .test_p16_roles import owner_token

EMAIL = "jane.doe@example.org"
API_KEY = "sk-proj-" + "Zx9" * 12
CARD = "4111 1111 1111 1111"
IBAN = "GB82 WEST 1234 5698 7654 32"
LEAKS = (EMAIL, API_KEY, CARD, IBAN, "hunter2-secret", "4111111111111111", "GB82WEST")
TEXT = f"mail {EMAIL}, key {API_KEY}, card {CARD}, iban {IBAN}, password=hunter2-secret"
ALL = {"secrets": True, "email": True, "card": True, "iban": True, "phone": True, "ip": True}


def stored_text(live_server, account_id: int) -> str:
    """Everything the database holds for the account's sessions and activities, bodies decoded."""
    engine = live_server.accounts()._rt.engine
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(sessions).where(sessions.c.account_id == account_id)).mappings()]
        rows += [
            dict(r) for r in conn.execute(select(activities).where(activities.c.account_id == account_id)).mappings()
        ]
        blobs = conn.execute(select(activity_bodies.c.body).where(activity_bodies.c.account_id == account_id))
        rows += [decode_body(blob) for (blob,) in blobs]
    engine.dispose()
    return orjson.dumps([{str(k): v for k, v in row.items()} for row in rows], default=str).decode()


def test_p1_the_same_secret_through_every_entry_point_is_stored_nowhere(live_server):
    tenant = live_server.new_tenant("redacted")
    with live_server.client(owner_token(live_server, tenant)) as owner:
        assert owner.put(
            "/api/v1/redaction", json={**ALL, "custom": [{"name": "ticket", "pattern": r"TCK-\d+"}]}
        ).json()
    native, legacy, trace = uid("s-"), uid("s-"), uid() + uid()
    with live_server.client(tenant.api_key) as client:
        item = llm(uid("a-"), native, prompt=[{"role": "user", "text": TEXT}], generated=TEXT, error=TEXT)
        body = {"sessions": [session(native, session_name=TEXT, metadata={"note": TEXT})], "activities": [item]}
        assert client.post("/api/v1/ingest", json=body).json()["stored"] == 2
        client.post("/sessions/start", json={"id": legacy, "session_name": TEXT})
        activity = {"id": uid("a-"), "session_id": legacy, "activity_type": "question", "text": TEXT + " TCK-42"}
        assert client.post(f"/sessions/{legacy}/activities", json=[activity]).status_code == 200
        messages = orjson.dumps([{"role": "user", "parts": [{"type": "text", "content": TEXT}]}]).decode()
        span = json_span(trace, uid(), attributes={"gen_ai.request.model": "gpt-4o", "gen_ai.input.messages": messages})
        answer = client.post("/v1/traces", content=otlp_json([span]), headers={"content-type": "application/json"})
        assert answer.status_code == 200, answer.text
        stored = client.get(f"/api/v1/sessions/{native}").json()
        counts = stored["activities"][0]["redactions"]
        assert counts["email"] == 3 and counts["card"] == 3 and counts["iban"] == 3 and counts["secret"] >= 6
        assert stored["session_name"].startswith("mail [EMAIL], key [SECRET], card [CARD], iban [IBAN]")
        assert client.get(f"/api/v1/sessions/{legacy}").json()["activities"][0]["text"].endswith("[TICKET]")
        assert client.get(f"/api/v1/sessions/{trace}").status_code == 200
        assert client.get("/api/v1/sessions", params={"q": "jane.doe"}).json()["items"] == []  # nor in the index
    full = stored_text(live_server, tenant.account_id)
    assert "[TICKET]" in full and "[EMAIL]" in full
    for leak in LEAKS:
        assert leak not in full, leak


def test_p1_redaction_is_off_by_default_and_per_project(live_server):
    tenant = live_server.new_tenant("per-project")
    with live_server.client(owner_token(live_server, tenant)) as owner:
        assert owner.get("/api/v1/redaction").json()["account"] is None
        assert owner.put("/api/v1/redaction", params={"project": "pii"}, json={"email": True}).status_code == 200
        bad = owner.put("/api/v1/redaction", json={"custom": [{"name": "empty", "pattern": "x*"}]})
        assert bad.status_code == 422
        assert owner.get("/api/v1/redaction").json()["projects"]["pii"]["email"] is True
    plain, masked = uid("s-"), uid("s-")
    with live_server.client(tenant.api_key) as client:
        client.post(
            "/api/v1/ingest",
            json={
                "sessions": [session(plain, tracking_project="open"), session(masked, tracking_project="pii")],
                "activities": [llm(uid("a-"), plain, prompt=EMAIL), llm(uid("a-"), masked, prompt=EMAIL)],
            },
        )
        # an activity sent later to a stored session finds the session's project
        client.post(f"/sessions/{masked}/activities", json=[{"id": uid("a-"), "activity_type": "log", "text": EMAIL}])
        assert client.get(f"/api/v1/sessions/{plain}").json()["activities"][0]["prompt"] == EMAIL
        later = client.get(f"/api/v1/sessions/{masked}").json()["activities"]
        assert [a.get("prompt") or a.get("text") for a in later] == ["[EMAIL]", "[EMAIL]"]


def test_p1_drop_text_keeps_the_shape_but_not_the_words(live_server):
    tenant = live_server.new_tenant("dropped")
    with live_server.client(owner_token(live_server, tenant)) as owner:
        owner.put("/api/v1/redaction", json={"drop_text": True})
    sid = uid("s-")
    with live_server.client(tenant.api_key) as client:
        client.post("/api/v1/ingest", json={"activities": [llm(uid("a-"), sid, prompt=TEXT, generated="an answer")]})
        (activity,) = client.get(f"/api/v1/sessions/{sid}").json()["activities"]
    assert (activity["prompt"], activity["generated"], activity["model"]) == ("[DROPPED]", "[DROPPED]", "gpt-4o-mini")
    assert activity["redactions"] == {"dropped": 2}
