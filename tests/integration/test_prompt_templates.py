"""Template versioning at ingest (content hash -> PATCH, -rev suffixes, reverted content gets its version
back, new contents numbered in the order first used), labels with rollback, diffs, executions and per-version
stats with annotations; two workers on one PostgreSQL agree on every version."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests.support.payloads import BASE_TIME, llm, uid


def call(sid: str, name: str, text: str, version: str | None = None, **fields) -> dict:
    template = {"prompt_template": text, "prompt_input_params": ["x"], "format": "f-string", "template_name": name}
    if version is not None:
        template["template_version"] = version
    return llm(
        uid("a-"), sid, prompt=text.format(x="1"), prompt_template=template, prompt_input_values={"x": "1"}, **fields
    )


def versions_of(client, name: str) -> list[str]:
    return [v["version"] for v in client.get(f"/api/v1/templates/{name}").json()["versions"]]


def recorded_version(client, sid: str, aid: str) -> str:
    session = client.get(f"/api/v1/sessions/{sid}").json()
    return next(a["template_version"] for a in session["activities"] if a["id"] == aid)


def test_major_minor_gets_patch_from_content_and_reverts_get_their_version_back(client):
    name, sid = f"t_{uid()}", uid("s-")
    texts = ["Hello {x}", "Hi {x}", "Hello {x}", "Hey {x}"]
    items = [call(sid, name, t, "2.1") for t in texts]
    for item in items:  # one by one, so the order of first sight is the order of the list
        assert client.post("/api/v1/ingest", json={"activities": [item]}).status_code == 200
    assert versions_of(client, name) == ["2.1.0", "2.1.1", "2.1.2"]
    assert [recorded_version(client, sid, i["id"]) for i in items] == ["2.1.0", "2.1.1", "2.1.0", "2.1.2"]


def test_other_formats_get_rev_suffixes_and_no_version_means_1_0(client):
    name, sid = f"t_{uid()}", uid("s-")
    batch = [
        call(sid, name, "A {x}", "v7"),
        call(sid, name, "B {x}", "v7"),
        call(sid, name, "C {x}", "v7"),
        call(sid, name, "A {x}"),
        call(sid, name, "B {x}"),
    ]
    for item in batch:
        client.post("/api/v1/ingest", json={"activities": [item]})
    assert versions_of(client, name) == ["v7", "v7-rev1", "v7-rev2", "1.0.0", "1.0.1"]
    # the published client's path assigns the same way
    legacy = {**call(sid, name, "B {x}", "v7"), "id": uid("a-")}
    legacy.pop("session_id")
    legacy.pop("model")
    client.post(f"/sessions/{sid}/activities", json=[legacy])
    assert recorded_version(client, sid, legacy["id"]) == "v7-rev1"


def test_a_long_given_version_cut_at_a_space_maps_back_to_its_version(client):
    """The given version is trimmed and cut at 100 characters once, the same way when looking it up."""
    name, sid = f"t_{uid()}", uid("s-")
    given = "v" * 99 + " beta"
    first, again = call(sid, name, "A {x}", given), call(sid, name, "A {x}", given)
    for item in (first, again):
        assert client.post("/api/v1/ingest", json={"activities": [item]}).status_code == 200
    assert len(versions_of(client, name)) == 1
    assert recorded_version(client, sid, first["id"]) == recorded_version(client, sid, again["id"])


def test_register_labels_rollback_diff_and_resolve(client):
    name = f"t_{uid()}"
    first = client.post(f"/api/v1/templates/{name}/versions", json={"template": "Summarize {text}", "version": "1.0"})
    assert first.status_code == 201 and first.json()["version"] == "1.0.0" and first.json()["created"] is True
    second = client.post(
        f"/api/v1/templates/{name}/versions", json={"template": "Summarize briefly: {text}", "version": "1.0"}
    ).json()
    assert second["version"] == "1.0.1"
    again = client.post(f"/api/v1/templates/{name}/versions", json={"template": "Summarize {text}", "version": "1.0"})
    assert again.status_code == 200 and again.json() == {**first.json(), "created": False}
    # the published client sending the same template meets the registered version
    sid = uid("s-")
    item = llm(
        uid("a-"),
        sid,
        prompt="Summarize it",
        prompt_input_values={"text": "it"},
        prompt_template={
            "prompt_template": "Summarize {text}",
            "prompt_input_params": ["text"],
            "format": "f-string",
            "template_name": name,
            "template_version": "1.0",
        },
    )
    client.post("/api/v1/ingest", json={"activities": [item]})
    assert recorded_version(client, sid, item["id"]) == "1.0.0"

    assert client.put(f"/api/v1/templates/{name}/labels/production", json={"version": "1.0.0"}).status_code == 200
    assert client.put(f"/api/v1/templates/{name}/labels/production", json={"version": "1.0.1"}).status_code == 200
    live = client.get(f"/api/v1/templates/{name}/labels/production").json()
    assert (
        live["version"] == "1.0.1" and live["text"] == "Summarize briefly: {text}" and live["input_params"] == ["text"]
    )
    back = client.post(f"/api/v1/templates/{name}/labels/production/rollback").json()
    assert back["version"] == "1.0.0"
    assert client.get(f"/api/v1/templates/{name}/labels/production").json()["template"] == "Summarize {text}"
    assert client.put(f"/api/v1/templates/{name}/labels/production", json={"version": "9.9.9"}).status_code == 404
    assert client.put(f"/api/v1/templates/{name}/labels/bad label", json={"version": "1.0.0"}).status_code == 422
    assert client.get(f"/api/v1/templates/{name}/labels/staging").status_code == 404
    listed = {t["name"]: t for t in client.get("/api/v1/templates").json()["items"]}
    assert listed[name]["labels"] == {"production": "1.0.0"} and listed[name]["versions"] == 2

    version = client.get(f"/api/v1/templates/{name}/versions/1.0.1", params={"diff_to": "1.0.0"}).json()
    assert "-Summarize {text}" in version["diff"] and "+Summarize briefly: {text}" in version["diff"]
    assert client.get(f"/api/v1/templates/{name}/versions/1.0.1", params={"diff_to": "0.0"}).status_code == 404
    assert client.post(f"/api/v1/templates/{name}/versions", json={"template": "bad {"}).status_code == 422


BAD_TEMPLATES = [
    [1, 2],
    [],
    "",
    None,
    7,
    [{"role": "user"}],
    [{"role": "user", "content": "hi"}],
    [{"role": "user", "prompt_template": ["hi"]}],
    [{"role": 3, "prompt_template": "hi"}],
    [{"role": "user", "prompt_template": "hi"}, 5],
    {"format": "f-string"},
    {"prompt_template": [None]},
]


def test_a_template_of_the_wrong_shape_is_422_naming_it_and_registers_nothing(client):
    name = f"t_{uid()}"
    for template in BAD_TEMPLATES:
        answer = client.post(f"/api/v1/templates/{name}/versions", json={"template": template})
        assert answer.status_code == 422, (template, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert {e["field"].split(".")[0] for e in answer.json()["errors"]} == {"template"}, answer.text
    assert client.get(f"/api/v1/templates/{name}").status_code == 404
    chat = [{"role": "system", "text": "Be brief."}, "history", {"role": "user", "prompt_template": "{q}"}]
    for template in ("Hi {q}", chat, {"prompt_template": chat, "format": "chat_messages"}):
        answer = client.post(f"/api/v1/templates/{name}/versions", json={"template": template})
        assert answer.status_code == 201 and answer.json()["text"], answer.text


@pytest.mark.parametrize(
    ("placeholder", "reason"),
    [
        ("{user.name}", "reads an attribute or an index"),
        ("{items[0]}", "reads an attribute or an index"),
        ("{0}", "a placeholder without a name"),
        ("{}", "a placeholder without a name"),
    ],
)
def test_a_placeholder_replay_could_not_fill_is_422_at_registration(client, placeholder, reason):
    """A template is registered only when each of its placeholders can be filled from input values, as replay and
    LangChain fill them: in a text, in a chat message and in a whole description alike."""
    name = f"t_{uid()}"
    chat = [{"role": "system", "text": "Be brief."}, {"role": "user", "prompt_template": f"Hi {placeholder}"}]
    for template in (f"Hi {placeholder}", chat, {"prompt_template": f"Hi {placeholder}"}, {"prompt_template": chat}):
        answer = client.post(f"/api/v1/templates/{name}/versions", json={"template": template, "input_params": ["q"]})
        assert answer.status_code == 422, (template, answer.text)
        assert reason in answer.text and answer.json()["errors"][0]["field"] == "template", answer.text
    assert client.get(f"/api/v1/templates/{name}").status_code == 404
    literal = {"template": "Hi {{user.name}}", "format": "f-string"}  # braces doubled are text
    assert client.post(f"/api/v1/templates/{name}/versions", json=literal).status_code == 201
    jinja = {"template": "Hi {{ user.name }}", "format": "jinja2"}  # not an f-string: replay refuses it by its format
    assert client.post(f"/api/v1/templates/{name}/versions", json=jinja).status_code == 201


def test_per_version_stats_executions_and_annotations(client):
    name, sid = f"t_{uid()}", uid("s-")
    good = [
        call(sid, name, "Good {x}", "1.0", seconds=2.0, usage={"prompt_tokens": 10, "completion_tokens": 5})
        for _ in range(3)
    ]
    bad = [call(sid, name, "Bad {x}", "1.0", error="boom"), call(sid, name, "Bad {x}", "1.0")]
    assert client.post("/api/v1/ingest", json={"activities": good + bad}).status_code == 200
    client.put(f"/api/v1/activities/{good[0]['id']}/annotation", json={"label": 1, "rating": 5, "notes": "great"})
    client.put(f"/api/v1/activities/{good[1]['id']}/annotation", json={"label": 0})
    client.put(f"/api/v1/activities/{bad[1]['id']}/annotation", json={"label": 0, "notes": "wrong"})
    note = client.get(f"/api/v1/activities/{good[0]['id']}/annotation").json()
    assert note["label"] == 1 and note["rating"] == 5 and note["notes"] == "great"
    assert client.put(f"/api/v1/activities/{good[0]['id']}/annotation", json={"label": 3}).status_code == 422
    assert client.put("/api/v1/activities/nope/annotation", json={"label": 1}).status_code == 404
    stats = {v["version"]: v["stats"] for v in client.get(f"/api/v1/templates/{name}").json()["versions"]}
    good_version, bad_version = (
        recorded_version(client, sid, good[0]["id"]),
        recorded_version(client, sid, bad[0]["id"]),
    )
    good_stats, bad_stats = stats[good_version], stats[bad_version]
    assert good_stats["calls"] == 3 and good_stats["error_rate"] == 0 and good_stats["total_tokens"] == 45
    assert abs(good_stats["latency_ms_mean"] - 2000) < 5 and good_stats["annotated"] == 2
    assert good_stats["annotation_score"] == 0.5 and good_stats["rating_mean"] == 5
    assert bad_stats["calls"] == 2 and bad_stats["error_rate"] == 0.5 and bad_stats["annotation_score"] == 0
    runs = client.get(f"/api/v1/templates/{name}/versions/{good_version}/executions", params={"limit": 2}).json()
    assert len(runs["items"]) == 2 and runs["next_before"] is not None
    rest = client.get(
        f"/api/v1/templates/{name}/versions/{good_version}/executions", params={"before": runs["next_before"]}
    ).json()
    assert {r["id"] for r in runs["items"] + rest["items"]} == {g["id"] for g in good}
    # a session annotation
    assert client.put(f"/api/v1/sessions/{sid}/annotation", json={"label": 1}).json()["label"] == 1


def test_executions_are_newest_first_and_pages_keep_that_order(client):
    """Ordered by start time, not by when they were stored; calls that start together keep one order, so a
    page never repeats or skips one."""
    name, sid = f"t_{uid()}", uid("s-")
    starts = [BASE_TIME + timedelta(minutes=m) for m in (5, 1, 9, 3, 3, 3, 7)]
    calls = [call(sid, name, "Hi {x}", "1.0", start=start) for start in starts]
    for item in calls:  # one by one: storage order is the list's
        assert client.post("/api/v1/ingest", json={"activities": [item]}).status_code == 200
    path = f"/api/v1/templates/{name}/versions/1.0.0/executions"
    whole = client.get(path).json()
    newest_first = sorted(range(len(calls)), key=lambda i: (starts[i], i), reverse=True)  # ties: stored last first
    assert [e["id"] for e in whole["items"]] == [calls[i]["id"] for i in newest_first]
    assert whole["next_before"] is None
    paged, before = [], None
    while True:
        page = client.get(path, params={"limit": 2, "before": before}).json()
        paged += [e["id"] for e in page["items"]]
        before = page["next_before"]
        if before is None:
            break
    assert paged == [e["id"] for e in whole["items"]]
    for bad in ("12", "x.y", "1.2.3", "99999999999999999999999.1"):
        answer = client.get(path, params={"before": bad})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "before", answer.text


def test_a_version_can_be_addressed_as_it_was_given(client):
    """`1.0` names `1.0.0`, the first content given as `1.0` (or with no version); `v7` is stored as given."""
    name, sid = f"t_{uid()}", uid("s-")
    first, second = call(sid, name, "A {x}"), call(sid, name, "B {x}", "1.0")
    for item in (first, second):
        assert client.post("/api/v1/ingest", json={"activities": [item]}).status_code == 200
    base = f"/api/v1/templates/{name}/versions"
    given = client.get(f"{base}/1.0")
    assert given.status_code == 200, given.text
    assert given.json()["version"] == "1.0.0" and given.json()["given_version"] == "1.0"
    assert given.json()["stats"]["calls"] == 1
    assert client.get(f"{base}/1.0.1", params={"diff_to": "1.0"}).json()["diff_to"] == "1.0.0"
    assert [e["id"] for e in client.get(f"{base}/1.0/executions").json()["items"]] == [first["id"]]
    moved = client.put(f"/api/v1/templates/{name}/labels/production", json={"version": "1.0"})
    assert moved.status_code == 200 and moved.json()["version"] == "1.0.0", moved.text
    assert client.get(f"/api/v1/templates/{name}/labels/production").json()["version"] == "1.0.0"
    assert client.get(f"{base}/2.0").status_code == 404
    assert client.delete(f"{base}/1.0", params={"force": "true"}).status_code == 200
    assert [v["version"] for v in client.get(f"/api/v1/templates/{name}").json()["versions"]] == ["1.0.1"]


def test_p16_templates_and_annotations_belong_to_their_account(live_server):
    owner, intruder = live_server.new_tenant("tmpl-owner"), live_server.new_tenant("tmpl-intruder")
    name, sid = f"t_{uid()}", uid("s-")
    item = call(sid, name, "Secret {x}", "1.0")
    with live_server.client(owner.api_key) as mine:
        mine.post("/api/v1/ingest", json={"activities": [item]})
        mine.put(f"/api/v1/templates/{name}/labels/production", json={"version": "1.0.0"})
    with live_server.client(intruder.api_key) as theirs:
        for path in (
            f"/api/v1/templates/{name}",
            f"/api/v1/templates/{name}/versions/1.0.0",
            f"/api/v1/templates/{name}/labels/production",
            f"/api/v1/activities/{item['id']}/annotation",
            f"/api/v1/activities/{item['id']}/replays",
            f"/api/v1/sessions/{sid}/annotation",
        ):
            assert theirs.get(path).status_code == 404, path
        assert theirs.put(f"/api/v1/activities/{item['id']}/annotation", json={"label": 0}).status_code == 404
        assert theirs.post(f"/api/v1/templates/{name}/labels/production/rollback").status_code == 404
        assert name not in [t["name"] for t in theirs.get("/api/v1/templates").json()["items"]]
    with live_server.client() as anonymous:
        assert anonymous.get("/api/v1/templates").status_code == 401


@pytest.mark.postgresql
def test_two_workers_assign_one_version_per_content(two_workers):
    first, second = two_workers
    key, name = first.first.api_key, f"t_{uid()}"
    texts = [f"Variant {i} {{x}}" for i in range(6)]
    work = [(server, call(uid("s-"), name, texts[i % 6], "3.2")) for i in range(48) for server in (first, second)]

    def send(args):
        server, item = args
        with server.client(key) as client:
            assert client.post("/api/v1/ingest", json={"activities": [item]}).status_code == 200

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, work))
    with first.client(key) as client:
        versions = client.get(f"/api/v1/templates/{name}").json()["versions"]
        assert sorted(v["version"] for v in versions) == [f"3.2.{i}" for i in range(6)]
        by_hash = {v["content_hash"] for v in versions}
        assert len(by_hash) == 6
        total = sum(v["stats"]["calls"] for v in versions)
    assert total == 96


def test_new_contents_of_one_batch_are_numbered_by_first_use(client):
    """The order the contents were first used decides (earliest start; ties by position in the batch), not the
    order of their hashes nor of the batch."""
    name, sid = f"t_{uid()}", uid("s-")
    texts = [f"Be brief {i} {{x}}" for i in range(6)]
    at = [BASE_TIME + timedelta(seconds=i) for i in range(6)]
    batch = [call(sid, name, texts[i], start=at[i]) for i in (3, 0, 5, 1, 4, 2)]
    batch.append(call(sid, name, texts[5], start=at[0] - timedelta(seconds=1)))  # texts[5] was used first of all
    assert client.post("/api/v1/ingest", json={"activities": batch}).status_code == 200
    first_used = [texts[5], texts[0], texts[1], texts[2], texts[3], texts[4]]
    versions = client.get(f"/api/v1/templates/{name}").json()["versions"]
    texts_by_version = {
        v["version"]: client.get(f"/api/v1/templates/{name}/versions/{v['version']}").json()["text"] for v in versions
    }
    assert texts_by_version == {f"1.0.{i}": text for i, text in enumerate(first_used)}


def test_contents_first_used_together_are_numbered_by_their_place_in_the_batch(client):
    name, sid = f"t_{uid()}", uid("s-")
    texts = [f"Tie {i} {{x}}" for i in range(4)]
    batch = [call(sid, name, texts[i]) for i in (2, 0, 3, 1)]  # one start time for all
    assert client.post("/api/v1/ingest", json={"activities": batch}).status_code == 200
    assert [recorded_version(client, sid, item["id"]) for item in batch] == ["1.0.0", "1.0.1", "1.0.2", "1.0.3"]


def test_a_later_batch_numbers_its_new_contents_after_the_earlier_ones_by_first_use(client):
    """Across batches the numbers go on from the last; a version once named keeps its name, so a content
    first seen in a later batch comes after the earlier ones even when its calls started before."""
    name, sid = f"t_{uid()}", uid("s-")
    texts = [f"Round {i} {{x}}" for i in range(5)]
    first = [call(sid, name, texts[0], "2.0", start=BASE_TIME + timedelta(minutes=1))]
    assert client.post("/api/v1/ingest", json={"activities": first}).status_code == 200
    at = [BASE_TIME + timedelta(minutes=m) for m in (2, 3, 4, 0)]
    later = [call(sid, name, texts[i], "2.0", start=at[i - 1]) for i in (2, 4, 1, 3)]
    assert client.post("/api/v1/ingest", json={"activities": later}).status_code == 200
    expected = {texts[0]: "2.0.0", texts[4]: "2.0.1", texts[1]: "2.0.2", texts[2]: "2.0.3", texts[3]: "2.0.4"}
    for item in first + later:
        text = item["prompt_template"]["prompt_template"]
        assert recorded_version(client, sid, item["id"]) == expected[text], text


def test_the_diff_puts_each_changed_line_on_its_own_line(client):
    """Templates seldom end with a newline; the last line's change is two lines all the same."""
    name = f"t_{uid()}"
    for text, version in (("Answer briefly.\nQ: {question}", "1.0"), ("Answer briefly.\nQuestion: {question}", "2.0")):
        assert client.post(f"/api/v1/templates/{name}/versions", json={"template": text, "version": version}).is_success
    diff = client.get(f"/api/v1/templates/{name}/versions/2.0.0", params={"diff_to": "1.0.0"}).json()["diff"]
    assert diff.splitlines() == [
        f"--- {name}@1.0.0",
        f"+++ {name}@2.0.0",
        "@@ -1,2 +1,2 @@",
        " Answer briefly.",
        "-Q: {question}",
        "+Question: {question}",
    ]
    assert diff.endswith("\n")


def test_a_diff_of_the_final_newline_alone_is_not_empty(client):
    name = f"t_{uid()}"
    for text, version in (("Hi {x}", "1.0"), ("Hi {x}\n", "2.0")):
        assert client.post(f"/api/v1/templates/{name}/versions", json={"template": text, "version": version}).is_success
    diff = client.get(f"/api/v1/templates/{name}/versions/2.0.0", params={"diff_to": "1.0.0"}).json()["diff"]
    assert diff.splitlines()[-2:] == ["-Hi {x}", "+Hi {x}"]
