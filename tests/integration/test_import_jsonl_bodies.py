"""`POST /api/v1/import/jsonl` reads its body as ingest does: compressed with the encodings ingest takes, within
the same limit once decompressed, and each line on its own: a line nested deeper than the batch can be written
(orjson writes 254 levels, where its reader takes about 1,000) is refused alone, as ingest refuses it
(`json_too_deep`), and the other lines are stored."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from tests.support.payloads import llm, session, uid


def admin_of(live_server, tenant) -> str:
    return live_server.accounts()._rt.keys.create(tenant.account_id, "admin")


def lines(*items: dict) -> bytes:
    return "\n".join(json.dumps(item) for item in items).encode()


def nested(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize("levels", [255, 300, 1000])
def test_a_line_nested_past_what_the_batch_can_write_is_refused_alone(live_server, levels):
    tenant = live_server.new_tenant("jsonl-deep")
    deep, kept = uid("s-"), uid("s-")
    body = b"\n".join(
        [
            lines({"kind": "session", **session(kept)}),
            b'{"kind": "session", "id": "%s", "metadata": %s}' % (deep.encode(), nested(levels)),
            lines({"kind": "activity", **llm(uid("a-"), kept)}),
        ]
    )
    with live_server.client(admin_of(live_server, tenant)) as admin:
        answer = admin.post("/api/v1/import/jsonl", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert (result["stored"], result["rejected"]) == (2, 1), result
        assert result["errors"] == [
            {
                "line": 2,
                "id": deep,
                "errors": [
                    {
                        "field": "metadata",
                        "message": "nests deeper than 64 levels of objects and arrays",
                        "type": "json_too_deep",
                    }
                ],
            }
        ]
        assert admin.get(f"/api/v1/sessions/{kept}").json()["activity_count"] == 1
        assert admin.get(f"/api/v1/sessions/{deep}").status_code == 404
        # ingest refuses the same item alike
        refused = admin.post(
            "/api/v1/ingest",
            content=b'{"sessions": [{"id": "%s", "metadata": %s}]}' % (deep.encode(), nested(100)),
            headers={"content-type": "application/json"},
        )
        assert refused.json()["sessions"][0]["errors"] == result["errors"][0]["errors"], refused.text


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("GZip", gzip.compress)],
    ids=["gzip", "deflate", "case"],
)
def test_a_compressed_body_is_read_as_ingest_reads_it(live_server, encoding, compress):
    tenant = live_server.new_tenant("jsonl-gzip")
    sid = uid("s-")
    body = lines({"kind": "session", **session(sid)}, {"kind": "activity", **llm(uid("a-"), sid)})
    with live_server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/import/jsonl", content=compress(body), headers={"content-encoding": encoding})
        assert answer.status_code == 200, answer.text
        assert (answer.json()["stored"], answer.json()["rejected"]) == (2, 0), answer.text
        assert client.get(f"/api/v1/sessions/{sid}").json()["activity_count"] == 1


def test_a_body_that_does_not_decompress_is_refused_as_ingest_refuses_it(live_server):
    tenant = live_server.new_tenant("jsonl-bad-gzip")
    body = gzip.compress(lines({"kind": "session", **session(uid("s-"))}))
    with live_server.client(tenant.api_key) as client:
        for headers, content, status in (
            ({"content-encoding": "gzip"}, b"not gzip at all", 400),
            ({"content-encoding": "gzip"}, body[:-12], 400),  # truncated
            ({"content-encoding": "br"}, body, 415),
        ):
            answer = client.post("/api/v1/import/jsonl", content=content, headers=headers)
            ingest = client.post("/api/v1/ingest", content=content, headers=headers)
            assert answer.status_code == ingest.status_code == status, (headers, answer.text, ingest.text)
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["detail"] == ingest.json()["detail"]
        assert client.get("/api/v1/sessions").json()["items"] == []


def test_a_decompression_bomb_is_a_413(live_server):
    """The body limit holds once decompressed: 30 MB of blank lines gzip to a few tens of kilobytes."""
    tenant = live_server.new_tenant("jsonl-bomb")
    bomb = gzip.compress(b"\n" * 30_000_000)
    assert len(bomb) < 100_000
    with live_server.client(tenant.api_key) as client:
        answer = client.post("/api/v1/import/jsonl", content=bomb, headers={"content-encoding": "gzip"})
        assert answer.status_code == 413, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
