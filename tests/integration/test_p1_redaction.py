"""P1, P10: redaction before storage. One stage on the ingest pipeline masks what an account or project
chose, whichever way the data came in (native API, the published client's endpoints, OTLP); the same
secret sent through every path is found nowhere in storage, and each activity counts its redactions."""

from __future__ import annotations

import orjson
from sqlalchemy import select

from promptwatch.server.store.bodies import decode_body
from promptwatch.server.store.tables.activities import activities, activity_bodies
from promptwatch.server.store.tables.sessions import sessions
from tests.support.payloads import chain, llm, session, uid

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


GINA = "gina.k@privatemail.example"


def assert_masked_everywhere(live_server, account_id: int, kept: tuple[str, ...] = ()) -> None:
    """GINA is stored nowhere for the account but in the columns named in `kept` (documented as kept)."""
    full = stored_text(live_server, account_id)
    for column in kept:
        full = full.replace(f'"{column}":"{GINA}"', "")
    assert GINA not in full and "gina.k" not in full


def test_p1_an_email_is_masked_in_every_string_of_a_session_and_its_activities(live_server):
    tenant = live_server.new_tenant("every-string")
    with live_server.client(owner_token(live_server, tenant)) as owner:
        assert owner.put("/api/v1/redaction", json={"email": True}).status_code == 200
    sid, call_id, chain_id = uid("s-"), uid("a-"), uid("a-")
    long_tag = "x" * 193 + " a@b.cc"  # the longest valid tag; "[EMAIL]" is one character longer than a@b.cc
    visit = session(
        sid,
        session_name=f"for {GINA}",
        tracking_tenant="tenant-7",
        tags=[GINA, f"vip {GINA}", long_tag, "plain"],
        metadata={GINA: {GINA: GINA}, "owner": GINA},
    )
    call = llm(
        call_id,
        sid,
        name=f"call for {GINA}",
        tags=[GINA, "sam@privatemail.example", "plain"],
        metadata={GINA: "x", "contact": GINA, "[EMAIL]": "taken"},
        settings={GINA: 1},
        prompt_input_values={GINA: GINA},
        info_message=GINA,
        feedback_notes=GINA,
        error=GINA,
    )
    step = chain(chain_id, sid, sequence_type=GINA, inputs={GINA: GINA}, outputs={"to": GINA})  # named after it
    with live_server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/ingest", json={"sessions": [visit], "activities": [call, step]})
        assert answer.json()["stored"] == 3, answer.text
        stored = client.get(f"/api/v1/sessions/{sid}").json()
        found = client.get("/api/v1/sessions", params={"tag": ("x" * 193 + " [EMAIL]")[:200]}).json()["items"]
    assert stored["session_name"] == "for [EMAIL]" and stored["tracking_tenant"] == "tenant-7"
    assert stored["tags"] == ["[EMAIL]", "vip [EMAIL]", ("x" * 193 + " [EMAIL]")[:200], "plain"]
    assert [s["id"] for s in found] == [sid]  # a masked tag is still a tag to filter by
    assert stored["metadata"] == {"[EMAIL]": {"[EMAIL]": "[EMAIL]"}, "owner": "[EMAIL]"}
    by_id = {a["id"]: a for a in stored["activities"]}
    masked_call, masked_chain = by_id[call_id], by_id[chain_id]
    assert masked_call["name"] == "call for [EMAIL]" and masked_call["tags"] == ["[EMAIL]", "plain"]
    assert masked_call["metadata"] == {"[EMAIL]": "x", "contact": "[EMAIL]", "[EMAIL] (2)": "taken"}
    assert masked_call["settings"] == {"[EMAIL]": 1} and masked_call["prompt_input_values"] == {"[EMAIL]": "[EMAIL]"}
    assert masked_call["redactions"]["email"] == 11
    assert masked_chain["name"] == "[EMAIL]" and masked_chain["inputs"] == {"[EMAIL]": "[EMAIL]"}
    assert_masked_everywhere(live_server, tenant.account_id)


def test_p1_the_published_client_and_otlp_mask_the_same_fields(live_server):
    tenant = live_server.new_tenant("every-path")
    with live_server.client(owner_token(live_server, tenant)) as owner:
        assert owner.put("/api/v1/redaction", json={"email": True}).status_code == 200
    legacy, trace = uid("s-"), uid() + uid()
    activity = {"id": uid("a-"), "activity_type": "log", "text": "hi", "name": GINA, "tags": [GINA, 7]}
    activity |= {"metadata": {GINA: GINA}, GINA: "a field of its own"}
    tags = {"key": "tag.tags", "value": {"arrayValue": {"values": [{"stringValue": GINA}]}}}
    attributes = {"user.id": GINA, "metadata": orjson.dumps({GINA: GINA}).decode(), f"app.{GINA}": "v"}
    span = json_span(trace, uid(), name=f"chat {GINA}", attributes=attributes)
    span["attributes"].append(tags)
    with live_server.client(tenant.api_key) as client:
        started = client.post("/sessions/start", json={"id": legacy, "session_name": GINA, GINA: GINA})
        assert started.status_code == 200, started.text
        assert client.post(f"/sessions/{legacy}/activities", json=[activity]).status_code == 200
        answer = client.post(
            "/v1/traces", content=otlp_json([span], {GINA: GINA}), headers={"content-type": "application/json"}
        )
        assert answer.status_code == 200, answer.text
        from_legacy = client.get(f"/api/v1/sessions/{legacy}").json()
        from_otlp = client.get(f"/api/v1/sessions/{trace}").json()
    assert from_legacy["session_name"] == "[EMAIL]" and from_legacy["metadata"] == {"[EMAIL]": "[EMAIL]"}
    (logged,) = from_legacy["activities"]
    assert (logged["name"], logged["tags"], logged["metadata"]) == ("[EMAIL]", ["[EMAIL]", 7], {"[EMAIL]": "[EMAIL]"})
    assert from_otlp["session_name"] == "chat [EMAIL]" and from_otlp["tracking_tenant"] == GINA  # a tenant is kept
    (traced,) = from_otlp["activities"]
    assert traced["name"] == "chat [EMAIL]" and traced["tags"] == ["[EMAIL]"]
    assert traced["metadata"]["[EMAIL]"] == "[EMAIL]" and from_otlp["metadata"]["[EMAIL]"] == "[EMAIL]"
    assert_masked_everywhere(live_server, tenant.account_id, kept=("tracking_tenant",))


def test_p1_a_custom_pattern_masks_keys_but_never_the_field_names_of_an_activity(live_server):
    tenant = live_server.new_tenant("field-names")
    with live_server.client(owner_token(live_server, tenant)) as owner:
        custom = [{"name": "word", "pattern": "role|text|prompt|token|cache"}]
        assert owner.put("/api/v1/redaction", json={"custom": custom}).status_code == 200
    sid = uid("s-")
    call = llm(
        uid("a-"),
        sid,
        prompt=[{"role": "user", "text": "the role"}],
        metadata={"my text": 1, "role": 2, "cache": {"hit": False}},
        settings={"max_tokens": 20},
    )
    with live_server.client(tenant.api_key) as client:
        assert client.post("/api/v1/ingest", json={"activities": [call]}).json()["stored"] == 1
        (stored,) = client.get(f"/api/v1/sessions/{sid}").json()["activities"]
    assert stored["prompt"] == [{"role": "user", "text": "the [WORD]"}]
    assert stored["metadata"] == {"my [WORD]": 1, "role": 2, "cache": {"hit": False}}
    assert stored["settings"] == {"max_tokens": 20}  # what a replay sends
