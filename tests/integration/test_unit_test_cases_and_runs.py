"""Prompt unit tests and datasets against the real server: a LangChain chain ending in `StrOutputParser()` passes
its own answers, an item copied from a call keeps its annotation and a thumbs-down item is an answer to stay
away from, two runs compare case by case even when cases share their inputs, and a run without cases is
never left on the server."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest

import promptwatch
from promptwatch import PromptWatch, register_prompt_template
from promptwatch.unit_tests import UnitTest
from tests.integration.test_prompt_cache_and_tests import result, run
from tests.support.fake_openai import FakeOpenAI, fake_openai  # noqa: F401 - the fixture
from tests.support.payloads import llm, session, uid
from tests.support.stored_sessions import stored_session


def annotated_call(client, annotation: dict | None = None, **feedback) -> str:
    """An LLM call stored through the native API (with the feedback fields given) and annotated; its id."""
    sid, aid = uid("s-"), uid("a-")
    call = llm(aid, sid, prompt="Greet Ann", generated="Hi.", prompt_input_values={"person": "Ann"}, **feedback)
    assert (
        client.post("/api/v1/ingest", json={"sessions": [session(sid)], "activities": [call]}).json()["rejected"] == 0
    )
    if annotation is not None:
        assert client.put(f"/api/v1/activities/{aid}/annotation", json=annotation).status_code == 200
    return aid


def new_dataset(client) -> str:
    name = f"ds {uid()}"
    assert client.post("/api/v1/datasets", json={"name": name}).status_code == 201
    return name


def from_activity(client, name: str, **body) -> dict:
    added = client.post(f"/api/v1/datasets/{quote(name)}/items/from-activity", json=body)
    assert added.status_code == 201, added.text
    return added.json()


def runs_of(client, test_name: str) -> list[dict]:
    return client.get("/api/v1/tests/runs", params={"test_name": test_name}).json()["items"]


# LangChain's text --------------------------------------------------------------------------------------------


def test_a_chain_ending_in_str_output_parser_passes_its_own_answers(
    live_server,
    sdk_to,
    fake_openai: FakeOpenAI,  # noqa: F811
):
    pytest.importorskip("langchain_openai")
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import PromptTemplate
    from langchain_openai import ChatOpenAI

    tenant = live_server.new_tenant("unit-str")
    sdk_to(live_server, tenant.api_key)
    name = f"greeter_{uid()}"
    prompt = register_prompt_template(name, PromptTemplate.from_template("Say hello to {person}"), "1.0")
    model = ChatOpenAI(model="gpt-4o-mini", api_key="sk-test", base_url=fake_openai.base_url, max_retries=0)
    chain = prompt | model | StrOutputParser()
    session_id = uid("examples-")
    with PromptWatch(session_id=session_id):
        assert chain.invoke({"person": "Ann"}) == "Echo: Say hello to Ann"
    assert promptwatch.flush(10)
    with live_server.client(tenant.api_key) as client:
        calls = [a for a in stored_session(client, session_id, 2)["activities"] if a["activity_type"] == "llm-prompt"]
        assert client.put(f"/api/v1/activities/{calls[0]['id']}/annotation", json={"label": 1}).status_code == 200

    test_name = f"greetings-{uid()}"
    with UnitTest(test_name, verbose=False).for_prompt_template(name) as test:
        results = [case.evaluate(chain) for case in test.test_cases()]
    assert [(r.passed, r.reasoning) for r in results] == [(True, None)]
    assert results[0].score == pytest.approx(1.0)
    with live_server.client(tenant.api_key) as client:
        (stored,) = runs_of(client, test_name)
        detail = client.get(f"/api/v1/tests/runs/{stored['run_id']}").json()
    assert (stored["passed"], stored["failed"]) == (1, 0)
    assert detail["results"][0]["generated_result"] == "Echo: Say hello to Ann"


# items made from calls ---------------------------------------------------------------------------------------


def test_an_item_made_from_a_call_takes_its_annotation_unless_the_request_gives_its_own(live_server):
    tenant = live_server.new_tenant("ds-judged")
    with live_server.client(tenant.api_key) as client:
        name = new_dataset(client)
        disliked = annotated_call(client, {"label": 0, "rating": 2, "notes": "too terse"})
        item = from_activity(client, name, activity_id=disliked)
        assert (item["label"], item["notes"], item["metadata"]["rating"]) == (0, "too terse", 2)
        item = from_activity(client, name, activity_id=disliked, label=1)
        assert (item["label"], item["notes"]) == (1, "too terse")
        item = from_activity(client, name, activity_id=disliked, label=None, notes="checked")
        assert (item["label"], item["notes"]) == (None, "checked")

        sent = annotated_call(client, feedback_label=1, feedback_rating=5, feedback_notes="friendly")
        item = from_activity(client, name, activity_id=sent)
        assert (item["label"], item["notes"], item["metadata"]["rating"]) == (1, "friendly", 5)
        partly = annotated_call(client, {"notes": "fine"}, feedback_label=1, feedback_notes="sent")
        item = from_activity(client, name, activity_id=partly)
        assert (item["label"], item["notes"]) == (1, "fine")

        odd = annotated_call(client, feedback_label=7, feedback_notes="x" * 30_000)
        item = from_activity(client, name, activity_id=odd)
        assert (item["label"], len(item["notes"]), "rating" in item["metadata"]) == (None, 20_000, False)
        plain = from_activity(client, name, activity_id=annotated_call(client))
        assert (plain["label"], plain["notes"], "rating" in plain["metadata"]) == (None, None, False)


def test_a_thumbs_down_item_is_an_answer_the_run_must_not_give(live_server, sdk_to):
    tenant = live_server.new_tenant("ds-bad-item")
    with live_server.client(tenant.api_key) as client:
        name = new_dataset(client)
        disliked = annotated_call(client, {"label": 0, "notes": "too terse"})
        from_activity(client, name, activity_id=disliked)
    sdk_to(live_server, tenant.api_key)
    test = UnitTest(f"bad-items-{uid()}", verbose=False).for_dataset(name)
    (case,) = test.get_all_test_cases()
    assert [(o.label, o.value) for o in case.outputs] == [(0, "Hi.")]
    with test as running:
        (same,) = [case.evaluate(lambda inputs: "Hi.") for case in running.test_cases()]
    assert not same.passed and same.score == pytest.approx(0.0)
    with test as running:
        (other,) = [
            case.evaluate(lambda inputs: f"Good morning, {inputs['person']}! How can I help you today?")
            for case in running.test_cases()
        ]
    assert other.passed and other.evaluation_metadata["closest_reference_example"]["label"] == 0


# comparing runs ------------------------------------------------------------------------------------------------


def case_result(order: int, passed: bool, inputs: dict, case_id: str | None = None) -> dict:
    body = result(order, passed, 0.95 if passed else 0.2)
    body["test_case"].update(id=case_id, inputs=inputs)
    return body


def post_run(client, name: str, conditions: dict | None, results: list[dict]) -> str:
    run_id = uid("run-")
    body = run(run_id, name, total_processed=len(results))
    body["conditions"] = conditions
    assert client.post(f"/tests/{quote(name)}/runs", json=body).status_code == 200
    assert client.post(f"/tests/{quote(name)}/runs/{run_id}/result-details", json=results).status_code == 200
    return run_id


def compared(client, first: str, second: str) -> list[tuple]:
    cases = client.get(f"/api/v1/tests/runs/{first}/compare/{second}").json()["cases"]
    side = lambda s: None if s is None else s["passed"]  # noqa: E731
    return [(c["id"], c["inputs"]["q"], side(c["a"]), side(c["b"])) for c in cases]


def test_runs_compare_dataset_items_by_id_even_when_their_inputs_repeat(live_server):
    tenant = live_server.new_tenant("compare")
    name, dataset = f"unit {uid()}", {"for_dataset": "greetings"}
    hi = {"q": "hi"}
    with live_server.client(tenant.api_key) as client:
        first = post_run(
            client,
            name,
            dataset,
            [
                case_result(1, True, hi, "item-a"),
                case_result(2, True, hi, "item-b"),
                case_result(3, True, {"q": "gone"}, "item-c"),
            ],
        )
        second = post_run(
            client,
            name,
            dataset,
            [
                case_result(1, False, hi, "item-b"),
                case_result(2, True, hi, "item-a"),
                case_result(3, True, hi, "item-d"),
            ],
        )
        assert compared(client, first, second) == [
            ("item-a", "hi", True, True),
            ("item-b", "hi", True, False),
            ("item-c", "gone", True, None),
            ("item-d", "hi", None, True),
        ]

        listed = post_run(client, name, None, [case_result(1, True, hi), case_result(2, False, hi)])
        again = post_run(client, name, None, [case_result(1, False, hi), case_result(2, True, hi)])
        assert compared(client, listed, again) == [(None, "hi", True, False), (None, "hi", False, True)]

        template = {"for_template_name": "greeter"}  # a template case's id names its first call: by inputs
        old = post_run(
            client, name, template, [case_result(1, True, hi, "call-1"), case_result(2, True, {"q": "yo"}, "c2")]
        )
        new = post_run(
            client, name, template, [case_result(1, True, {"q": "yo"}, "c3"), case_result(2, False, hi, "call-4")]
        )
        assert compared(client, old, new) == [("call-1", "hi", True, False), ("c2", "yo", True, True)]


# runs without cases --------------------------------------------------------------------------------------------


def test_a_run_without_cases_is_never_left_on_the_server_and_warns(live_server, sdk_to, caplog):
    tenant = live_server.new_tenant("empty-runs")
    sdk_to(live_server, tenant.api_key)
    caplog.set_level(logging.WARNING, logger="promptwatch")
    template_test = f"no-template-{uid()}"
    with UnitTest(template_test, verbose=False).for_prompt_template("no-such-template") as test:
        assert list(test.test_cases()) == []
    assert "found no test cases for prompt template 'no-such-template'" in caplog.text
    project_test = f"no-project-{uid()}"
    with UnitTest(project_test, verbose=False).for_project_sessions("no-such-project") as test:
        assert list(test.test_cases()) == []
    assert "found no test cases for tracking project 'no-such-project'" in caplog.text
    dataset_test = f"no-dataset-{uid()}"
    with (
        pytest.raises(promptwatch.PromptWatchError, match="no dataset"),
        UnitTest(dataset_test, verbose=False).for_dataset("does-not-exist") as test,
    ):
        list(test.test_cases())
    skipped_test = f"skipped-{uid()}"
    with UnitTest(skipped_test, verbose=False).for_test_cases([{"inputs": {"q": 1}, "outputs": []}]) as test:
        for case in test.test_cases():
            case.skip()
    assert "skipped every test case of the given list" in caplog.text

    with live_server.client(tenant.api_key) as client:
        assert client.get("/api/v1/tests/runs").json()["items"] == []
        name, run_id = f"published {uid()}", uid()  # the published client posts a run before its cases
        assert client.post(f"/tests/{quote(name)}/runs", json=run(run_id, name)).json()["stored"] is True
        assert [r["run_id"] for r in runs_of(client, name)] == [run_id]
        closed = run(run_id, name)
        closed["end_time"] = "2026-11-29T07:18:58+00:00"
        assert client.post(f"/tests/{quote(name)}/runs", json=closed).json() == {"run_id": run_id, "stored": False}
        assert runs_of(client, name) == []
        assert client.get(f"/api/v1/tests/runs/{run_id}").status_code == 404
        kept_id = uid()  # a close that does not say it processed no case keeps the run
        assert client.post(f"/tests/{quote(name)}/runs", json=run(kept_id, name)).json()["stored"] is True
        vague = {**run(kept_id, name), "end_time": "2026-11-29T07:18:58+00:00", "results": {"passed": 0}}
        assert client.post(f"/tests/{quote(name)}/runs", json=vague).json()["stored"] is True
        assert [r["run_id"] for r in runs_of(client, name)] == [kept_id]
