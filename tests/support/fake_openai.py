"""A local fake OpenAI-compatible HTTP server (127.0.0.1, a free port) for integration tests.

`POST /v1/chat/completions` answers "Echo: <last user message>" (as JSON, or as server-sent events word by
word with a final usage chunk when `stream_options.include_usage` is set); `POST /v1/responses` answers the
same through the Responses API (JSON or its event stream), reading the last input item's text, or its output
when it is a `function_call_output`. A request with `tools` whose last message (or input item) is not a
tool's result is answered with a call of the first tool, `{"query": <last user message>}`, and no text (in a
chat stream: the call's id and name, then its arguments in two pieces; in a Responses stream: its arguments
in one piece), or, when that message contains "NARRATE", the text "Let me look that up." before the call.
`FakeOpenAI(first_token_delay=s)` waits `s` seconds after a chat stream's first chunk (the role only) before
the content. `POST /v1/embeddings` answers a vector per input (a text, a list of texts, or token ids) of
`dimensions` numbers (8 unless asked), the same for the same input, as floats or, with
`"encoding_format": "base64"`, as base64 of 4-byte floats. Token counts are word counts (for token ids, how
many there are). A request whose last message, or one of whose inputs, contains "FAIL" gets a 400 error as
OpenAI sends it. `requests` keeps every request body.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

NARRATION = "Let me look that up."
DIMENSIONS = 8
_REFUSAL = {"error": {"message": "invalid request (fake)", "type": "invalid_request_error", "code": "fake"}}


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def _item_type(source: Any) -> Any:
    """The type of a Responses request's last input item."""
    return source[-1].get("type") if isinstance(source, list) and source else None


def _item_text(item: dict[str, Any]) -> str:
    """A Responses input item's text: its content's, or a tool's output."""
    if item.get("type") == "function_call_output":
        return _text(item.get("output"))
    return _text(item.get("content"))


def _words(text: str) -> int:
    return len(text.split())


def _embedding_inputs(source: Any) -> list[Any]:
    """An embeddings request's inputs: each text, or each list of token ids."""
    if isinstance(source, str) or (isinstance(source, list) and source and isinstance(source[0], int)):
        return [source]
    return list(source or [])


def _vector(item: Any, dimensions: int) -> list[float]:
    """Numbers between -0.5 and 0.5 made from the input's hash: the same input always has the same vector."""
    digest = hashlib.sha256(json.dumps(item).encode()).digest()
    return [digest[index % len(digest)] / 256 - 0.5 for index in range(dimensions)]


class FakeOpenAI:
    def __init__(self, first_token_delay: float = 0.0) -> None:
        self.first_token_delay = first_token_delay
        self.requests: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append(body)
                fake.answer(self, self.path, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # answers ---------------------------------------------------------------------------------------

    def answer(self, handler: BaseHTTPRequestHandler, path: str, body: dict[str, Any]) -> None:
        if path.endswith("/embeddings"):
            return self._embeddings(handler, body)
        if path.endswith("/chat/completions"):
            prompt = " ".join(_text(message.get("content")) for message in body.get("messages", []))
            last = _text((body.get("messages") or [{}])[-1].get("content"))
        elif path.endswith("/responses"):
            source = body.get("input")
            last = source if isinstance(source, str) else _item_text((source or [{}])[-1])
            prompt = " ".join(filter(None, [body.get("instructions"), last]))
        else:
            return self._json(handler, 404, {"error": {"message": "not found"}})
        if "FAIL" in last:
            return self._json(handler, 400, _REFUSAL)
        reply = f"Echo: {last}"
        usage = (_words(prompt), _words(reply))
        text = NARRATION if "NARRATE" in last else None
        if path.endswith("/chat/completions") and body.get("tools") and body["messages"][-1].get("role") != "tool":
            call = {
                "id": "call_fake_1",
                "type": "function",
                "function": {"name": body["tools"][0]["function"]["name"], "arguments": json.dumps({"query": last})},
            }
            if body.get("stream"):
                return self._sse(handler, self._tool_call_chunks(body, call, usage, text))
            answer = self._chat(body, reply, usage)
            answer["choices"][0].update(
                finish_reason="tool_calls", message={"role": "assistant", "content": text, "tool_calls": [call]}
            )
            return self._json(handler, 200, answer)
        if path.endswith("/responses") and body.get("tools") and _item_type(source) != "function_call_output":
            call = {
                "type": "function_call",
                "id": "fc_fake_1",
                "call_id": "call_fake_1",
                "name": body["tools"][0]["name"],
                "arguments": json.dumps({"query": last}),
                "status": "completed",
            }
            answer = self._response(body, text or "", usage)
            answer["output"] = ([answer["output"][0]] if text else []) + [call]
            if body.get("stream"):
                return self._sse(handler, self._response_call_events(answer, text))
            return self._json(handler, 200, answer)
        if path.endswith("/chat/completions"):
            if body.get("stream"):
                return self._sse(handler, self._chat_chunks(body, reply, usage))
            return self._json(handler, 200, self._chat(body, reply, usage))
        if body.get("stream"):
            return self._sse(handler, self._response_events(body, reply, usage))
        return self._json(handler, 200, self._response(body, reply, usage))

    def _embeddings(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        inputs = _embedding_inputs(body.get("input"))
        if any("FAIL" in item for item in inputs if isinstance(item, str)):
            return self._json(handler, 400, _REFUSAL)
        vectors = [_vector(item, body.get("dimensions") or DIMENSIONS) for item in inputs]
        if body.get("encoding_format") == "base64":
            vectors = [base64.b64encode(struct.pack(f"<{len(v)}f", *v)).decode() for v in vectors]
        tokens = sum(_words(item) if isinstance(item, str) else len(item) for item in inputs)
        data = [{"object": "embedding", "index": index, "embedding": vector} for index, vector in enumerate(vectors)]
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return self._json(handler, 200, {"object": "list", "data": data, "model": body.get("model"), "usage": usage})

    def _chat(self, body: dict[str, Any], reply: str, usage: tuple[int, int]) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": f"{body.get('model')}-0001",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": reply}}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
        }

    def _chat_chunks(self, body: dict[str, Any], reply: str, usage: tuple[int, int]) -> Iterator[dict]:
        base = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": f"{body.get('model')}-0001",
        }
        yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
        for index, word in enumerate(reply.split(" ")):
            piece = word if index == 0 else f" {word}"
            yield {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        if (body.get("stream_options") or {}).get("include_usage"):
            yield {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
            }

    def _tool_call_chunks(
        self, body: dict[str, Any], call: dict[str, Any], usage: tuple[int, int], text: str | None
    ) -> Iterator[dict]:
        base = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": f"{body.get('model')}-0001",
        }
        arguments = call["function"]["arguments"]
        half = len(arguments) // 2
        pieces = [
            {
                "index": 0,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            },
            {"index": 0, "function": {"arguments": arguments[:half]}},
            {"index": 0, "function": {"arguments": arguments[half:]}},
        ]
        yield {
            **base,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": None}, "finish_reason": None}],
        }
        if text:
            yield {**base, "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
        for piece in pieces:
            yield {**base, "choices": [{"index": 0, "delta": {"tool_calls": [piece]}, "finish_reason": None}]}
        yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
        if (body.get("stream_options") or {}).get("include_usage"):
            yield {
                **base,
                "choices": [],
                "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
            }

    def _response(self, body: dict[str, Any], reply: str, usage: tuple[int, int]) -> dict[str, Any]:
        return {
            "id": "resp-fake",
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "model": f"{body.get('model')}-0001",
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "output": [
                {
                    "type": "message",
                    "id": "msg-fake",
                    "status": "completed",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": reply, "annotations": []}],
                }
            ],
            "usage": {
                "input_tokens": usage[0],
                "output_tokens": usage[1],
                "total_tokens": sum(usage),
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
        }

    def _response_events(self, body: dict[str, Any], reply: str, usage: tuple[int, int]) -> Iterator[dict]:
        final = self._response(body, reply, usage)
        yield {
            "type": "response.created",
            "sequence_number": 0,
            "response": {**final, "status": "in_progress", "output": [], "usage": None},
        }
        for index, word in enumerate(reply.split(" ")):
            yield {
                "type": "response.output_text.delta",
                "sequence_number": index + 1,
                "item_id": "msg-fake",
                "output_index": 0,
                "content_index": 0,
                "delta": word if index == 0 else f" {word}",
                "logprobs": [],
            }
        yield {"type": "response.completed", "sequence_number": 99, "response": final}

    @staticmethod
    def _response_call_events(final: dict[str, Any], text: str | None) -> Iterator[dict]:
        """A Responses stream of a reply that calls a tool: its text first (when it has one), then the call."""
        started = {**final, "status": "in_progress", "output": [], "usage": None}
        yield {"type": "response.created", "sequence_number": 0, "response": started}
        call = final["output"][-1]
        if text:
            yield {
                "type": "response.output_text.delta",
                "sequence_number": 1,
                "item_id": "msg-fake",
                "output_index": 0,
                "content_index": 0,
                "delta": text,
                "logprobs": [],
            }
        yield {
            "type": "response.function_call_arguments.delta",
            "sequence_number": 2,
            "item_id": call["id"],
            "output_index": len(final["output"]) - 1,
            "delta": call["arguments"],
        }
        yield {"type": "response.completed", "sequence_number": 3, "response": final}

    @staticmethod
    def _json(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _sse(self, handler: BaseHTTPRequestHandler, events: Iterator[dict]) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        for index, event in enumerate(events):
            if index == 1 and self.first_token_delay and event.get("object") == "chat.completion.chunk":
                time.sleep(self.first_token_delay)
            prefix = f"event: {event['type']}\n" if "type" in event and "object" not in event else ""
            handler.wfile.write(f"{prefix}data: {json.dumps(event)}\n\n".encode())
            handler.wfile.flush()
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()
        handler.close_connection = True


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI().start()
    yield server
    server.stop()
