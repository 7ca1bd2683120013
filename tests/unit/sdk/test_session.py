"""`PromptWatch`: the published client's API, nesting, and concurrent sessions that never mix."""

from __future__ import annotations

import asyncio
import base64
import threading

import pytest

import promptwatch
from promptwatch import DocumentSnippet, PromptWatch, RetrievedDocuments, observe, span
from promptwatch.sdk import pipeline


@observe(name="step")
def step(tag):
    with span("inner") as inner:
        inner.set_output(tag)
    return tag


def test_logging_api_and_session_naming(sdk):
    seen = []
    with PromptWatch(session_id="sess-1") as pw:
        pw.add_on_activity_callback(seen.append)
        pw.add_context("user", "u1")
        assert pw.get_context("user") == "u1"
        assert PromptWatch.get_active_instance() is pw
        PromptWatch.log_user_question("How do I reset?", metadata={"channel": "web"})
        with span("lookup"):
            PromptWatch.log("looked up 2 articles", metadata={"latency_ms": 12})
            PromptWatch.log_activity(
                RetrievedDocuments(
                    documents=[DocumentSnippet(id="kb-1", text="Click forgot.", source="kb/reset.md")], scores=[0.9]
                )
            )
        PromptWatch.log("ticket timeout", error_msg="TimeoutError: 5s")
        PromptWatch.log_assistant_answer("Click 'Forgot password'.", feedback_label=1, feedback_rating=5)
        assert PromptWatch.get_current_session().id == "sess-1"
    assert PromptWatch.get_active_instance() is None
    promptwatch.flush(5)
    records = sorted(sdk.latest_activities().values(), key=lambda item: item["order"])
    assert [item["activity_type"] for item in records] == ["question", "span", "log", "retrieved-docs", "log", "answer"]
    assert [item["order"] for item in records] == [1, 2, 3, 4, 5, 6]
    lookup = records[1]
    assert records[2]["parent_activity_id"] == lookup["id"] and records[3]["parent_activity_id"] == lookup["id"]
    assert "parent_activity_id" not in records[0] and "parent_activity_id" not in records[5]
    assert records[0]["metadata"] == {"channel": "web"}
    assert records[3]["documents"][0]["source"] == "kb/reset.md" and records[3]["scores"] == [0.9]
    assert records[4]["error"] == "TimeoutError: 5s"
    assert records[5]["feedback_rating"] == 5
    session = sdk.latest_sessions()["sess-1"]
    assert session["session_name"] == "How do I reset?"
    assert session["is_error"] is True and session["end_time"]
    assert len(seen) == 6 and seen[0]["activity_type"] == "question"


def test_an_empty_context_sends_nothing(sdk):
    with PromptWatch():
        pass
    promptwatch.flush(5)
    assert sdk.requests == 0


def test_start_new_session_and_set_name(sdk):
    with PromptWatch() as pw:
        pw.set_session_name("first")
        step("a")
        first = pw.session_id
        second = pw.start_new_session()
        step("b")
    promptwatch.flush(5)
    sessions = sdk.latest_sessions()
    assert first != second and sessions[first]["session_name"] == "first"
    assert sessions[first]["end_time"] and sessions[second]["end_time"]
    assert {item["session_id"] for item in sdk.latest_activities().values()} == {first, second}


def test_start_and_finish_session_without_with_open_and_leave_the_context(sdk):
    pw = PromptWatch(tracking_project="legacy", session_id="legacy-1")
    assert pw.start_session() == "legacy-1"
    assert PromptWatch.get_active_instance() is pw
    PromptWatch.log_user_question("q?")
    PromptWatch.log("looked it up")
    PromptWatch.log_assistant_answer("a.")
    pw.finish_session()
    assert PromptWatch.get_active_instance() is None
    assert pw.start_new_session() != "legacy-1" and PromptWatch.get_active_instance() is pw
    step("next")
    pw.finish_session()
    assert PromptWatch.get_active_instance() is None
    promptwatch.flush(5)
    first = [item for item in sdk.latest_activities().values() if item["session_id"] == "legacy-1"]
    assert [item["activity_type"] for item in sorted(first, key=lambda item: item["order"])] == [
        "question",
        "log",
        "answer",
    ]
    sessions = sdk.latest_sessions()
    assert len(sessions) == 2 and all(item["end_time"] for item in sessions.values())
    assert sessions["legacy-1"]["tracking_project"] == "legacy"


def _in_thread(call):
    result = []
    thread = threading.Thread(target=lambda: result.append(call()))
    thread.start()
    thread.join()
    return result[0]


def test_finish_session_in_another_thread_leaves_the_context_where_it_was_started(sdk):
    """A web app's pooled threads: one starts the session, another finishes it, a third starts the next."""
    pw = PromptWatch(session_id="one")
    pw.start_session()
    PromptWatch.log_user_question("q?")
    _in_thread(pw.finish_session)

    def next_session():
        pw.start_session("two")
        seen = PromptWatch.get_active_instance()
        step("in two")
        return seen

    assert _in_thread(next_session) is pw  # a new opening elsewhere is not the one that was left
    assert PromptWatch.get_active_instance() is None  # left here at the first use after
    step("after")  # a trace of its own, not an activity of either session
    with PromptWatch(session_id="three") as other:
        assert PromptWatch.get_active_instance() is other
    assert PromptWatch.get_active_instance() is None
    promptwatch.flush(5)
    steps = [item for item in sdk.latest_activities().values() if item.get("name") == "step"]

    def session_of(tag: str) -> str:
        return next(item["session_id"] for item in steps if tag in str(item.get("inputs")))

    assert session_of("in two") == "two" and session_of("after") not in ("one", "two", "three")
    assert sdk.latest_sessions()["one"]["end_time"]


@pytest.mark.parametrize("first", ["the starting task", "a task it started"])
def test_finish_session_in_another_task_leaves_the_context_in_the_starting_task_and_its_children(sdk, first):
    async def main():
        pw = PromptWatch()
        pw.start_session()

        async def child():
            await finished.wait()
            if first == "the starting task":
                await parent_looked.wait()
            return PromptWatch.get_active_instance()

        finished, parent_looked = asyncio.Event(), asyncio.Event()
        child_task = asyncio.create_task(child())  # a copy of this context, made while pw was open
        await asyncio.to_thread(pw.finish_session)
        finished.set()
        if first == "a task it started":
            await asyncio.sleep(0.01)
        seen_here = PromptWatch.get_active_instance()
        parent_looked.set()
        return await child_task, seen_here

    assert asyncio.run(main()) == (None, None)


def test_start_session_inside_with_keeps_one_context(sdk):
    with PromptWatch() as pw:
        pw.start_session()
        pw.finish_session()
        assert PromptWatch.get_active_instance() is pw
    assert PromptWatch.get_active_instance() is None
    pw.start_session()
    with pw:
        step("x")
    assert PromptWatch.get_active_instance() is None


def test_nested_contexts_are_separate_sessions(sdk):
    with PromptWatch() as outer:
        step("outer")
        with PromptWatch() as inner:
            step("inner")
        step("outer-again")
    promptwatch.flush(5)
    by_tag = {item["outputs"]["output"]: item for item in sdk.of_type("span") if item["name"] == "step"}
    assert by_tag["outer"]["session_id"] == by_tag["outer-again"]["session_id"] == outer.session_id
    assert by_tag["inner"]["session_id"] == inner.session_id != outer.session_id


def test_threads_never_mix_their_sessions(sdk):
    def worker(index):
        with PromptWatch(session_id=f"thread-{index}"):
            for _ in range(20):
                step(f"thread-{index}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    promptwatch.flush(5)
    records = sdk.latest_activities()
    assert len(records) == 8 * 20 * 2
    for item in records.values():
        if item["name"] == "step":
            assert item["session_id"] == item["outputs"]["output"]
        else:
            assert item["session_id"] == records[item["parent_activity_id"]]["session_id"]


def test_asyncio_tasks_never_mix_their_sessions(sdk):
    @observe(name="task-step")
    async def task_step(tag):
        await asyncio.sleep(0)
        return tag

    async def one(index):
        async with PromptWatch(session_id=f"task-{index}"):
            for _ in range(5):
                await task_step(f"task-{index}")

    async def main():
        await asyncio.gather(*(one(i) for i in range(10)))

    asyncio.run(main())
    promptwatch.flush(5)
    records = sdk.latest_activities().values()
    assert len(records) == 50
    assert all(item["session_id"] == item["outputs"]["output"] for item in records)


def test_temporary_key_fixes_the_session_id(strict_guard, sink, tmp_path, caplog):
    temp_key = base64.b64encode(b"temp_abc-123:secret").decode()
    sink.api_key = temp_key
    pipeline.configure(api_key=temp_key, host_url=sink.url, spool_dir=tmp_path, flush_interval=0.02)
    with PromptWatch(session_id="mine") as pw:
        step("x")
    assert pw.session_id == "abc-123"
    assert any("temporary API key" in record.message for record in caplog.records)


def test_a_second_api_key_gets_its_own_pipeline(sdk):
    other = base64.b64encode(b"other:secret").decode()
    with PromptWatch(api_key=other) as pw:
        assert pw.pipeline is not pipeline.get_pipeline()
        assert pw.pipeline.config.host_url == sdk.url


def test_bad_tracking_label_is_a_warning_not_a_crash(sdk, caplog):
    with PromptWatch(tracking_project="has space") as pw:
        step("x")
    assert pw.tracking_project is None
    assert any("tracking_project" in record.message for record in caplog.records)
