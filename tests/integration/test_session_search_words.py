"""The session list's text search finds the words of a chat, never its roles, content part types or ids."""

from __future__ import annotations

from tests.support.payloads import BASE_TIME, iso, llm, session, uid


def ids(client, **params) -> list[str]:
    response = client.get("/api/v1/sessions", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_a_chat_is_found_by_its_words_not_by_its_roles_part_types_or_ids(client):
    project, word = uid("proj-"), uid("kettle")
    chat, log = uid("s-"), uid("s-")
    prompt = [
        {"role": "system", "text": "Answer briefly."},
        {"role": "user", "text": f"Where is my {word}?"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "Please check."}, {"type": "image_url", "image_url": {}}],
        },
        {"role": "assistant", "tool_calls": [{"id": "call_77", "type": "function", "function": {"name": "lookup"}}]},
        {"role": "tool", "tool_call_id": "call_77", "content": "in the kitchen"},
    ]
    body = {
        "sessions": [session(chat, tracking_project=project), session(log, tracking_project=project)],
        "activities": [
            llm(uid("a-"), chat, prompt=prompt, generated="In the kitchen."),
            {
                "id": uid("a-"),
                "session_id": log,
                "activity_type": "log",
                "start_time": iso(BASE_TIME),
                "text": "the system user guide",
            },  # fmt: skip
        ],
    }
    response = client.post("/api/v1/ingest", json=body)
    assert response.status_code == 200 and response.json()["rejected"] == 0, response.text
    for q in ("system", "user", "system user"):
        assert ids(client, project=project, q=q) == [log], q  # only where someone wrote the word
    for q in ("assistant", "tool", "image", "url", "function", "call", "77"):
        assert ids(client, project=project, q=q) == [], q
    for q in (word, "briefly", "please check", "lookup", "kitchen"):
        assert ids(client, project=project, q=q) == [chat], q
