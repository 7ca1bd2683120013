"""From queued events to request items: each event converted on its own, so one that cannot be costs only
itself (counted as dropped, warned once); `on_activity` callbacks and the worker share one conversion;
activity ids."""

from __future__ import annotations

import logging
import os

import promptwatch
from promptwatch import PromptWatch, span
from promptwatch.sdk import _ids, _safe, _wire, pipeline
from promptwatch.sdk._wire import ACTIVITY, LEGACY, to_wire


def _activity(id_: str, inputs, activity_type: str = "llm-prompt") -> tuple:
    return (ACTIVITY, id_, "session", activity_type, None, "call", 1, 1.0, 2.0, None, inputs, "ok", None)


def test_a_content_part_whose_text_is_none_counts_as_empty():
    messages = [{"role": "user", "content": [{"type": "text", "text": None}, {"type": "text", "text": "hi"}]}]
    items = ([], [])
    assert to_wire([_activity("a", {"messages": messages})], None, into=items) == 0
    assert items[1][0]["prompt"] == [{"role": "user", "text": "hi"}]


def test_an_event_that_cannot_be_converted_costs_only_itself(monkeypatch):
    monkeypatch.setattr(_safe, "STRICT", False)  # what the guard does in an app
    unconvertible = (LEGACY, (object(), "session", None, None))  # no model_dump
    items = ([], [])
    failed = to_wire([_activity("a", "x"), unconvertible, _activity("b", "y")], None, into=items)
    assert failed == 1
    assert [item["id"] for item in items[1]] == ["a", "b"]


def test_the_worker_sends_the_rest_of_the_batch_and_counts_the_drop(sdk, monkeypatch, caplog):
    monkeypatch.setattr(_safe, "STRICT", False)
    emit = pipeline.get_pipeline().emit
    with caplog.at_level(logging.WARNING, logger="promptwatch"):
        for round_ in range(2):
            with span(f"before-{round_}"):
                pass
            emit((LEGACY, (object(), "session", None, None)))
            with span(f"after-{round_}"):
                pass
            assert promptwatch.flush(5)
    names = sorted(item["name"] for item in sdk.activities)
    assert names == ["after-0", "after-1", "before-0", "before-1"]
    assert pipeline.get_pipeline().stats()["dropped"] == 2
    assert sum("could not convert" in record.message for record in caplog.records) == 1


def test_on_activity_callbacks_and_the_worker_share_one_conversion(sdk, monkeypatch):
    made = []
    activity_item = _wire.activity_item

    def counted(event):
        made.append(event[1])
        return activity_item(event)

    monkeypatch.setattr(_wire, "activity_item", counted)
    seen = []
    with PromptWatch(session_id="sess-callbacks") as pw:
        pw.add_on_activity_callback(seen.append)
        pw.add_on_activity_callback(lambda snapshot: snapshot.update(name="changed by a callback"))
        with span("lookup", inputs={"query": "q"}) as lookup:
            lookup.set_output("found")
        PromptWatch.log("a log line")
    assert promptwatch.flush(5)
    assert len(made) == len(set(made)) == 2  # once each: for the callbacks, and the worker sends that
    sent = sdk.latest_activities()
    assert {item["name"] for item in sent.values() if "name" in item} == {"lookup"}
    assert len(seen) == 2 and all(snapshot["id"] in sent for snapshot in seen)
    lookup_sent = next(item for item in sent.values() if item.get("name") == "lookup")
    assert lookup_sent["inputs"] == {"query": "q"} and lookup_sent["outputs"] == {"output": "found"}


def test_ids_are_32_hex_digits_unique_and_new_in_a_forked_child():
    assert not hasattr(_ids, "prefix")  # it was not the prefix of every id once the counter carried
    ids = [_ids.new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000 and all(len(id_) == 32 and int(id_, 16) >= 0 for id_ in ids)
    if not hasattr(os, "fork"):
        return
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next id, to the parent
        os.write(write, _ids.new_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    child_id = os.read(read, 64).decode()
    os.close(read)
    assert child_id[:20] != _ids.new_id()[:20]
