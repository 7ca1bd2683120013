"""Annotations: a label is 1 or 0, a rating 1 to 5, anything else a 422 naming the field; a PUT changes only
the fields it sends, so a thumbs click keeps the rating and notes given before."""

from __future__ import annotations

import json

import pytest

from tests.support.payloads import llm, uid

TEMPLATE = {"prompt_template": "Hi {x}", "prompt_input_params": ["x"], "format": "f-string"}


def annotated_call(client) -> tuple[str, str, str]:
    """(session id, activity id, template name) of a fresh LLM call of a template of its own."""
    name, sid, aid = f"t_{uid()}", uid("s-"), uid("a-")
    item = llm(aid, sid, prompt_template={**TEMPLATE, "template_name": name}, prompt_input_values={"x": "1"})
    assert client.post("/api/v1/ingest", json={"activities": [item]}).status_code == 200
    return sid, aid, name


OFF_SCALE = [
    ({"rating": 99}, "rating"),
    ({"rating": -7}, "rating"),
    ({"rating": 0}, "rating"),
    ({"rating": 6}, "rating"),
    ({"rating": 1e300}, "rating"),
    ({"rating": 4.5}, "rating"),
    ({"rating": True}, "rating"),
    ({"rating": "5"}, "rating"),
    ({"label": True}, "label"),
    ({"label": False}, "label"),
    ({"label": 1.0}, "label"),
    ({"label": 3}, "label"),
    ({"label": "1"}, "label"),
]


@pytest.mark.parametrize(("body", "field"), OFF_SCALE, ids=[json.dumps(body) for body, _ in OFF_SCALE])
def test_a_label_or_rating_off_its_scale_is_422_naming_it_and_stores_nothing(client, body, field):
    _, aid, name = annotated_call(client)
    path = f"/api/v1/activities/{aid}/annotation"
    answer = client.put(path, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    (error,) = answer.json()["errors"]
    assert error["field"] == field, answer.text
    assert ("1 to 5" if field == "rating" else "1 (thumbs up) or 0 (thumbs down)") in error["message"]
    assert client.get(path).json()["updated_at"] is None
    (version,) = client.get(f"/api/v1/templates/{name}").json()["versions"]
    assert version["stats"]["annotated"] == 0 and version["stats"]["rating_mean"] is None


def test_ratings_one_to_five_make_the_versions_mean(client):
    sid, aid, name = annotated_call(client)
    again = llm(uid("a-"), sid, prompt_template={**TEMPLATE, "template_name": name}, prompt_input_values={"x": "1"})
    assert client.post("/api/v1/ingest", json={"activities": [again]}).status_code == 200
    for activity_id, rating in ((aid, 1), (again["id"], 5)):
        answer = client.put(f"/api/v1/activities/{activity_id}/annotation", json={"rating": rating})
        assert answer.status_code == 200 and answer.json()["rating"] == rating, answer.text
    (version,) = client.get(f"/api/v1/templates/{name}").json()["versions"]
    assert version["stats"]["rating_mean"] == 3


@pytest.mark.parametrize("kind", ["activity", "session"])
def test_a_put_changes_only_the_fields_it_sends(client, kind):
    sid, aid, _ = annotated_call(client)
    path = f"/api/v1/activities/{aid}/annotation" if kind == "activity" else f"/api/v1/sessions/{sid}/annotation"

    def put(body: dict) -> dict:
        """The annotation after the PUT, as answered and as read back (the two agree)."""
        answer = client.put(path, json=body)
        assert answer.status_code == 200, answer.text
        saved = client.get(path).json()
        fields = ("label", "rating", "notes")
        assert [answer.json()[k] for k in fields] == [saved[k] for k in fields]
        return {k: saved[k] for k in fields}

    assert put({"label": 0}) == {"label": 0, "rating": None, "notes": None}
    assert put({"rating": 4}) == {"label": 0, "rating": 4, "notes": None}  # a rating keeps the thumbs
    assert put({"notes": "too long"}) == {"label": 0, "rating": 4, "notes": "too long"}
    assert put({"label": 1}) == {"label": 1, "rating": 4, "notes": "too long"}  # a thumbs click keeps the rest
    assert put({}) == {"label": 1, "rating": 4, "notes": "too long"}
    assert put({"rating": None}) == {"label": 1, "rating": None, "notes": "too long"}  # null clears a field
    assert put({"rating": 3}) == {"label": 1, "rating": 3, "notes": "too long"}
    # what the UI sends: the thumbs and the notes, so that a rating given through the API stays
    assert put({"label": None, "notes": None}) == {"label": None, "rating": 3, "notes": None}


def test_the_activity_lists_see_the_merged_annotation(client):
    """The annotation's label and rating are mirrored into the activity's feedback columns as they are after
    the PUT, not as it was sent."""
    sid, aid, _ = annotated_call(client)
    client.put(f"/api/v1/activities/{aid}/annotation", json={"label": 0})
    client.put(f"/api/v1/activities/{aid}/annotation", json={"rating": 2})
    (activity,) = [a for a in client.get(f"/api/v1/sessions/{sid}").json()["activities"] if a["id"] == aid]
    assert (activity["feedback_label"], activity["feedback_rating"]) == (0, 2)
