"""Transport and delivery: batching, per-item answers, 503 back-off, 413 split, 401, the bounded queue,
and the spool while the server is down (drained exactly once, also by a later process, in merged
requests a busy server is given time for; a refused merged request costs only the file refused), and what
counts as a timeout; an outage is one warning and its end one info line; a shutdown that a hung server
cuts short spools what is unsent, or says how many events were lost."""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import promptwatch
from promptwatch import observe
from promptwatch.sdk import pipeline
from promptwatch.sdk._delivery import DRAIN_MIN_EVENTS, MAX_REQUEST_SECONDS, Delivery, Pace
from promptwatch.sdk._spool import Spool
from promptwatch.sdk._transport import Transport
from tests.support.capture_sink import API_KEY, CaptureSink

REPO = Path(__file__).resolve().parents[3]


@observe(name="unit")
def unit(i):
    return i


def _ids(sink):
    with sink.lock:
        return [item["id"] for item in sink.activities]


def test_events_are_batched(sdk):
    for i in range(50):
        unit(i)
    assert promptwatch.flush(5)
    assert len(set(_ids(sdk))) == 50
    assert sdk.requests <= 5


def test_gzip_bodies(sdk, tmp_path):
    pipeline.configure(api_key=sdk.api_key, host_url=sdk.url, spool_dir=tmp_path, gzip=True, flush_interval=0.02)
    unit(1)
    assert promptwatch.flush(5)
    assert len(_ids(sdk)) == 1


def test_items_the_server_rejects_are_logged_once_and_dropped(sdk, caplog):
    with promptwatch.span("bad", as_type="span") as bad:
        bad.set(tags=[""])  # an empty tag is invalid for ActivityIn
    unit(1)
    with caplog.at_level(logging.WARNING, logger="promptwatch"):
        assert promptwatch.flush(5)
    assert len(sdk.invalid) == 1 and len(_ids(sdk)) == 1
    assert sum("rejected activity" in record.message for record in caplog.records) == 1
    assert pipeline.get_pipeline().stats()["rejected"] == 1


def test_413_splits_the_batch_until_it_fits(sdk):
    sdk.max_items = 3
    for i in range(20):
        unit(i)
    assert promptwatch.flush(5)
    assert len(set(_ids(sdk))) == 20


def test_401_warns_once_and_drops(strict_guard, sink, tmp_path, caplog):
    pipeline.configure(api_key="d3Jvbmc6a2V5", host_url=sink.url, spool_dir=tmp_path, flush_interval=0.02)
    with caplog.at_level(logging.WARNING, logger="promptwatch"):
        unit(1)
        promptwatch.flush(5)
        unit(2)
        promptwatch.flush(5)
    assert sum("refused the API key" in record.message for record in caplog.records) == 1
    assert pipeline.get_pipeline().stats()["dropped"] >= 1


def test_after_a_refused_key_nothing_is_spooled_at_exit_nor_said_to_be_sent_later(strict_guard, sink, tmp_path, caplog):
    pipeline.configure(api_key="d3Jvbmc6a2V5", host_url=sink.url, spool_dir=tmp_path, flush_interval=0.02)
    unit(1)
    promptwatch.flush(5)
    delivery = pipeline.get_pipeline().worker.delivery
    assert delivery.refused
    with caplog.at_level(logging.INFO, logger="promptwatch"):
        assert delivery.spool_unsent(([{"id": "s"}], [{"id": "a"}]), "did not answer in time") == 2
    assert len(delivery.spool) == 0
    assert not [r for r in caplog.records if "later process" in r.getMessage() or "answers again" in r.getMessage()]


def test_bounded_queue_drops_oldest_and_never_blocks(strict_guard, tmp_path):
    # a server that never answers is not needed: the worker is not started until the first event,
    # and a queue of 10 overflows within one linger period
    pipeline.configure(
        api_key=API_KEY,
        host_url="http://127.0.0.1:9",
        spool_dir=tmp_path,
        queue_size=10,
        flush_interval=5,
        spool_max_bytes=0,
    )
    for i in range(100):
        unit(i)
    stats = pipeline.get_pipeline().stats()
    assert stats["queued"] <= 10
    assert stats["dropped_queue_full"] >= 80


def test_503_backs_off_then_delivers_everything_once(sdk):
    sdk.fail_with = 503
    for i in range(10):
        unit(i)
    promptwatch.flush(5)  # spooled: durable, so the flush is done
    assert _ids(sdk) == []
    sdk.fail_with = None
    assert sdk.wait_for(lambda s: len(_ids(s)) == 10, timeout=10)
    assert sorted(_ids(sdk)) == sorted(set(_ids(sdk)))


def test_spool_while_down_then_drained_exactly_once(sdk, tmp_path):
    sdk.stop()
    for i in range(30):
        unit(i)
    assert promptwatch.flush(5)
    spool_files = list((tmp_path / "spool").rglob("*.json.gz"))
    assert spool_files
    for path in spool_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for i in range(30, 40):
        unit(i)  # more while still down
    promptwatch.flush(5)
    sdk.start()
    unit(40)  # the first send that works drains the spool
    assert sdk.wait_for(lambda s: len(_ids(s)) >= 41, timeout=15)
    promptwatch.flush(5)
    ids = _ids(sdk)
    assert len(ids) == 41 and len(set(ids)) == 41
    assert not list((tmp_path / "spool").rglob("*.json.gz"))


def test_spool_cap_drops_oldest_first_counted_and_warned_once(tmp_path, caplog):
    spool = Spool(tmp_path, "target", max_bytes=250)
    with caplog.at_level(logging.WARNING, logger="promptwatch"):
        for index in range(5):
            spool.write(bytes([index]) * 100, events=3)
    assert len(spool) == 2
    assert spool.dropped_events == 9
    assert [spool.read(path)[0] for path in list(spool._files)] == [3, 4]
    assert sum("spool is full" in record.message for record in caplog.records) == 1
    spool.close()


def test_a_later_process_sends_what_an_earlier_one_spooled(sink, tmp_path):
    script = textwrap.dedent(
        """
        import sys, promptwatch
        promptwatch.configure(api_key=sys.argv[1], host_url=sys.argv[2], spool_dir=sys.argv[3])
        @promptwatch.observe(name=sys.argv[4])
        def work(i):
            return i
        for i in range(int(sys.argv[5])):
            work(i)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    down = CaptureSink()  # never started: its port refuses connections
    down.port = sink.port
    sink.stop()
    spool = tmp_path / "spool"
    run = [sys.executable, "-c", script, API_KEY, down.url, str(spool)]
    subprocess.run([*run, "first", "7"], check=True, env=env, timeout=30)
    assert list(spool.rglob("*.json.gz"))
    sink.start()
    subprocess.run([*run, "second", "1"], check=True, env=env, timeout=30)
    names = [item["name"] for item in sink.activities]
    assert names.count("first") == 7 and names.count("second") == 1
    assert len({item["id"] for item in sink.activities}) == 8


class SlowSink(CaptureSink):
    """A server that takes `per_item` seconds per item of a request (a busy server), and closes each
    connection (so that once stopped it is unreachable at once)."""

    def __init__(self, per_item: float):
        super().__init__()
        self.per_item = per_item

    def handle(self, path, authorization, body):
        batch = json.loads(body)
        time.sleep(self.per_item * (len(batch.get("sessions", [])) + len(batch.get("activities", []))))
        status, reply, headers = super().handle(path, authorization, body)
        return status, reply, {**headers, "Connection": "close"}


def test_the_spool_drains_in_merged_requests_that_a_busy_server_is_given_time_for(strict_guard, tmp_path):
    sink = SlowSink(per_item=0.002).start()  # 500 items/s: a merged request of 500 takes 1 s
    try:
        pipeline.configure(
            api_key=sink.api_key,
            host_url=sink.url,
            spool_dir=tmp_path,
            flush_interval=0.02,
            batch_size=50,
            request_timeout=0.3,
        )
        for i in range(100):  # the server's pace is measured on these (batches of 50 items, 0.1 s each)
            unit(i)
        assert promptwatch.flush(10)
        sink.stop()
        for start in range(100, 400, 25):  # 12 spool files of 50 items (an implicit session + its call)
            for i in range(start, start + 25):
                unit(i)
            assert promptwatch.flush(5)
        spooled = pipeline.get_pipeline().stats()["spooled_files"]
        assert spooled >= 12  # one per flush; a busy machine's flush interval may split one batch in two
        requests_before = sink.requests
        sink.start()
        assert sink.wait_for(lambda s: len(_ids(s)) >= 400, timeout=30)
        assert promptwatch.flush(5)
        ids = _ids(sink)
        assert len(ids) == len(set(ids)) == 400  # nothing sent twice
        assert sink.requests - requests_before < spooled / 2
        stats = pipeline.get_pipeline().stats()
        assert stats["timed_out"] == 0 and stats["spooled_files"] == 0 and stats["sent"] == 800
    finally:
        sink.stop()


def test_pace_sizes_drain_requests_and_their_timeouts():
    pace = Pace(request_timeout=5.0, batch_size=500)
    assert pace.timeout(500) == 5.0 and pace.timeout(2000) == 20.0  # unknown pace: 5 s per batch
    pace.took(1000, 2.0)  # 500 events/s
    assert pace.drain_events == 500
    assert pace.timeout(500) == 5.0 and pace.timeout(5000) == 40.0  # four times the expected 10 s
    assert pace.timeout(100_000) == MAX_REQUEST_SECONDS
    pace.failed()
    assert pace.drain_events == 250
    for _ in range(5):
        pace.failed()
    assert pace.drain_events == DRAIN_MIN_EVENTS


def test_an_unreadable_spool_file_is_dropped_counted_and_warned(sdk, tmp_path, caplog):
    sdk.stop()
    unit(1)
    assert promptwatch.flush(5)
    spool = pipeline.get_pipeline().worker.delivery.spool
    (broken,) = spool.paths()
    broken.write_bytes(b"not gzip")
    sdk.start()
    with caplog.at_level(logging.WARNING, logger="promptwatch"):  # the file goes, then the drop is counted and warned
        assert sdk.wait_for(
            lambda s: (
                pipeline.get_pipeline().stats()["spooled_files"] == 0
                and pipeline.get_pipeline().stats()["dropped"] == 2
                and any("cannot read" in record.message for record in caplog.records)
            ),
            timeout=15,
        )
    assert _ids(sdk) == []
    assert sum("cannot read" in record.message for record in caplog.records) == 1


class UnreachableConnection(http.client.HTTPConnection):
    """A server that drops packets: connecting times out (after the timeout it was given, recorded)."""

    attempts: list[float] = []

    def connect(self):
        self.attempts.append(self.timeout)
        raise TimeoutError("timed out")


class UnreachableTransport(Transport):
    def _connect(self):
        if self._connection is None:
            self._connection = UnreachableConnection(self._host, self._port, timeout=self.timeout)
        return self._connection


def test_connecting_takes_the_request_timeout_and_is_not_counted_as_timed_out():
    UnreachableConnection.attempts = []
    transport = UnreachableTransport("http://127.0.0.1:9", API_KEY, timeout=5.0)
    reply = transport.post(b"{}", timeout=MAX_REQUEST_SECONDS)  # a long wait, for the answer only
    assert reply.outcome == "retry" and not reply.timed_out
    assert UnreachableConnection.attempts == [5.0]


def test_a_request_sent_and_not_answered_in_time_is_timed_out():
    with socket.socket() as listening:  # accepts connections (the kernel does) and never answers
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        transport = Transport(f"http://127.0.0.1:{listening.getsockname()[1]}", API_KEY, timeout=5.0)
        started = time.monotonic()
        reply = transport.post(b"{}", timeout=0.3)
        assert reply.outcome == "retry" and reply.timed_out
        assert time.monotonic() - started < 3  # the answer's timeout, not the setting's
        transport.close()


class RefusingSink(CaptureSink):
    """Refuses (422) any request holding an activity named "poison", as a whole; closes each connection."""

    def handle(self, path, authorization, body):
        if b'"poison"' in body:
            with self.lock:
                self.requests += 1
            return 422, {"detail": "refused"}, {"Connection": "close"}
        status, reply, headers = super().handle(path, authorization, body)
        return status, reply, {**headers, "Connection": "close"}


def test_a_refused_merged_drain_request_drops_only_the_file_refused(strict_guard, tmp_path, caplog):
    sink = RefusingSink().start()
    try:
        pipeline.configure(api_key=sink.api_key, host_url=sink.url, spool_dir=tmp_path, flush_interval=0.02)
        unit(0)
        assert promptwatch.flush(5)  # the server's pace is known: the spool will drain in merged requests
        sink.stop()
        for name in ("first", "poison", "last"):  # one spool file each (an implicit session + its span)
            with promptwatch.span(name):
                pass
            assert promptwatch.flush(5)
        assert pipeline.get_pipeline().stats()["spooled_files"] == 3
        sink.start()
        with caplog.at_level(logging.WARNING, logger="promptwatch"):
            unit(1)
            assert sink.wait_for(lambda s: pipeline.get_pipeline().stats()["spooled_files"] == 0, timeout=15)
            assert promptwatch.flush(5)
        names = sorted(item.get("name") for item in sink.activities)
        assert names == ["first", "last", "unit", "unit"]
        assert pipeline.get_pipeline().stats()["dropped"] == 2
        assert sum("refused a batch (422)" in record.message for record in caplog.records) == 1
    finally:
        sink.stop()


def test_an_outage_is_one_warning_and_its_end_one_info_line(sdk, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="promptwatch")
    sdk.stop()
    for round_ in range(3):  # several batches, several failed requests
        for i in range(10):
            unit(round_ * 10 + i)
        assert promptwatch.flush(5)
    sdk.start()
    unit(30)
    assert sdk.wait_for(lambda s: len(set(_ids(s))) == 31, timeout=15)
    messages = [(r.levelname, r.getMessage()) for r in caplog.records if "PromptWatch server at" in r.getMessage()]
    spool = pipeline.get_pipeline().worker.delivery.spool.directory
    assert len(messages) == 2, messages
    assert messages[0][0] == "WARNING"
    assert messages[0][1].startswith(f"PromptWatch server at {sdk.url} is unreachable (ConnectionRefusedError")
    assert messages[0][1].endswith(f": spooling events to {spool} until it answers again.")
    assert messages[1] == ("INFO", f"PromptWatch server at {sdk.url} answers again: sending the spooled events.")


def test_a_shutdown_cut_short_by_a_hung_server_says_how_many_events_were_lost(tmp_path, caplog):
    with socket.socket() as listening:  # accepts connections (the kernel does) and never answers
        listening.bind(("127.0.0.1", 0))
        listening.listen(8)
        pipeline.configure(
            api_key=API_KEY,
            host_url=f"http://127.0.0.1:{listening.getsockname()[1]}",
            spool_dir=tmp_path,
            spool_max_bytes=0,
            flush_interval=0.02,
        )
        for i in range(10):
            unit(i)  # a session of its own each: 20 events
        started = time.monotonic()
        assert not pipeline.shutdown(1.0)
        assert time.monotonic() - started < 1.3
    lost = [r.getMessage() for r in caplog.records if "lost" in r.getMessage()]
    assert lost == [
        "PromptWatch lost 20 events at shutdown: they could not be sent in time "
        "(PROMPTWATCH_SHUTDOWN_TIMEOUT) nor spooled."
    ]


class SplitThenDownSink(CaptureSink):
    """Answers 413 above two items, and 503 to every request after the first it takes."""

    def handle(self, path, authorization, body):
        if self.activities:
            return 503, {"detail": "down"}, {"Retry-After": "0.1"}
        return super().handle(path, authorization, body)


def test_a_spool_file_split_after_a_413_is_not_dropped_for_its_own_halves(strict_guard, tmp_path):
    sink = SplitThenDownSink().start()
    sink.max_items = 2
    spool = Spool(tmp_path, "target", max_bytes=1 << 20)
    delivery = Delivery(Transport(sink.url, sink.api_key, 5.0), spool, use_gzip=False)
    try:
        start = "2026-01-01T00:00:00Z"
        delivery._to_spool(
            ([], [{"id": f"a{i}", "session_id": "s", "activity_type": "span", "start_time": start} for i in range(4)])
        )
        spool.max_bytes = spool.size_bytes() + 10  # a half fits only in the place of the file being split
        delivery.drain_spool()
        assert [a["id"] for a in sink.activities] == ["a0", "a1"]
        assert delivery.dropped_events + spool.dropped_events == 0
        assert spool.pending_events() == 2 and len(list(spool.directory.glob("*.json.gz"))) == 1
    finally:
        delivery.close()
        sink.stop()


def test_a_spool_file_whose_halves_cannot_be_kept_stays_in_the_spool(strict_guard, tmp_path):
    spool = Spool(tmp_path, "target", max_bytes=1 << 20)
    spool.write(b"one body", events=4)
    [path] = spool.paths()
    try:
        with spool.released(path):
            raise OSError("disk full")
    except OSError:
        pass
    assert spool.paths() == [path] and spool.pending_events() == 4
    with spool.released(path):
        assert spool.paths() == []
    spool.close()
