"""Replay (the playground): re-run a recorded LLM call as it was, or with an edited template, edited input
values, other messages, another model or other settings, against an OpenAI-compatible provider the
account configured; the result is stored beside the original.

Outbound calls go only to the configured provider URL (the customer's own channel, P1), never follow
redirects, and are refused when the URL resolves to a loopback, private, link-local or otherwise
non-public address unless the operator allows it (`PROMPTWATCH_REPLAY_ALLOW_PRIVATE_URLS`).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import string
import time
from functools import partial
from urllib.parse import urlsplit

from promptwatch.schema.prompt_loop import ProviderConfigIn, ReplayCreate, ReplaySettings

from ..errors import Forbidden, InvalidInput, NotFound
from ..store import accounts as account_store
from ..store import replays as store
from ..store import template_versions
from ..store.session_detail import activity as stored_activity
from .clock import utc_now
from .credentials import Caller
from .json_bodies import storable_text
from .provider_secrets import ProviderSecrets
from .runtime import Runtime

_ROLES = {"human": "user", "ai": "assistant", "user": "user", "assistant": "assistant", "system": "system"}
_SETTING_KEYS = tuple(ReplaySettings.model_fields)
_FREE_EDITS = ("template", "input_values", "messages")  # the edits of free text and JSON
_F_STRING_STYLES = (None, "f-string", "chat_messages")  # a tuple: a recorded format may be any JSON value


def check_provider_url(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("base_url must be an http(s) URL with a host", field="base_url")
    if parts.username or parts.password:
        raise InvalidInput("put the API key in api_key, not in the URL", field="base_url")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        raise InvalidInput(f"the provider host {parts.hostname!r} does not resolve", field="base_url") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise Forbidden(
                f"the provider URL resolves to a non-public address ({address}); the operator can allow that with "
                "PROMPTWATCH_REPLAY_ALLOW_PRIVATE_URLS"
            )


def _messages_of(prompt) -> list[dict]:
    """The messages to send: a recorded item without a role that is no message (a Responses API `reasoning`
    or `web_search_call` item, say) is the provider's own and is left out."""
    if isinstance(prompt, list):
        out = []
        for message in prompt:
            if isinstance(message, dict) and (message.get("role") or message.get("type") in (None, "message")):
                role = _ROLES.get(str(message.get("role") or "user").lower(), "user")
                out.append({"role": role, "content": _content_of(message)})
        return out
    return [{"role": "user", "content": "" if prompt is None else str(prompt)}]


def _content_of(message: dict) -> str | list[dict]:
    """A message's content as the provider takes it: its text or, when it carries content parts (the images,
    audio and files stored in `content` beside its `text`, or the parts of an edited message), its text as
    the first part, then those parts in the form of Chat Completions (`_chat_part`)."""
    parts = message.get("content")
    if not isinstance(parts, list):
        content = message.get("text", "" if parts is None else parts)
        return content if isinstance(content, str) else str(content)
    text = message.get("text")
    first = [{"type": "text", "text": str(text)}] if text else []
    return first + [_chat_part(part) for part in parts if isinstance(part, dict)]


def _chat_part(part: dict) -> dict:
    """A content part as Chat Completions takes it: the Responses API's text, image and file parts in the
    form of Chat Completions, any other as it is."""
    kind = part.get("type")
    if kind in ("input_text", "output_text"):
        return {"type": "text", "text": part.get("text")}
    if kind == "input_image" and isinstance(part.get("image_url"), str):
        image = {"url": part["image_url"], **({"detail": part["detail"]} if part.get("detail") else {})}
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        return {"type": "file", "file": {k: part[k] for k in ("file_id", "file_data", "filename") if k in part}}
    return part


def _text_of(message: dict) -> str:
    """The text of a message as `_messages_of` sends it."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "\n".join(str(part.get("text")) for part in content if part.get("type") == "text")


MAX_FORMAT_WIDTH = 10_000  # a format spec's width or precision


class _Values(dict):
    """Input values as text, noting each placeholder asked for without a value."""

    def __init__(self, values: dict) -> None:
        super().__init__({k: _value_text(v) for k, v in values.items()})
        self.missing: set[str] = set()

    def __missing__(self, key: str) -> str:
        self.missing.add(key)
        return ""


class _FString(string.Formatter):
    """Python's filling of an f-string template, refusing attribute access and indexing as LangChain does, and
    a format spec whose width or precision would build a text larger than a prompt (`{x:>2000000000}`)."""

    def get_field(self, field_name: str, args, kwargs):
        fault = template_versions.placeholder_fault(field_name)
        if fault:
            raise ValueError(fault)
        return super().get_field(field_name, args, kwargs)

    def format_field(self, value, format_spec: str):
        if any(int(digits) > MAX_FORMAT_WIDTH for digits in re.findall(r"\d+", format_spec)):
            raise ValueError(f"a format spec of {format_spec!r} asks for more than {MAX_FORMAT_WIDTH:,} characters")
        return super().format_field(value, format_spec)


def _fill(text: str, values: _Values) -> str:
    try:
        return _FString().vformat(text, (), values)
    except ValueError as exc:
        if values.missing:
            return ""  # the missing values are the fault to report
        raise InvalidInput(f"the template is not a valid f-string: {exc}", field="template") from None


def _value_text(value) -> str:
    if isinstance(value, dict):
        return str(value.get("text", ""))
    return value if isinstance(value, str) else str(value)


def render_messages(template, values: dict) -> list[dict]:
    """A template (text, or the published client's list of message templates) filled with `values`; a
    placeholder without a value is a 422 naming it."""
    filling = _Values(values)
    if isinstance(template, str):
        return _checked([{"role": "user", "content": _fill(template, filling)}], filling)
    messages = []
    for part in template if isinstance(template, list) else []:
        if isinstance(part, str):  # a messages placeholder: the recorded history
            history = values.get(part)
            if isinstance(history, list):
                messages.extend(_messages_of(history))
            else:
                filling.missing.add(part)
        elif isinstance(part, dict):
            role = _ROLES.get(str(part.get("role") or "user").lower(), "user")
            if "prompt_template" in part:
                messages.append({"role": role, "content": _fill(str(part["prompt_template"]), filling)})
            else:  # a literal message: its braces are text, as LangChain sends them
                messages.append({"role": role, "content": str(part.get("text", ""))})
    return _checked(messages, filling)


def _checked(messages: list[dict], filling: _Values) -> list[dict]:
    if not filling.missing:
        return messages
    names = sorted(filling.missing)
    listed = ", ".join(f"{{{name}}}" for name in names)
    raise InvalidInput(
        f"the template needs input values for {listed}; none were recorded or sent",
        errors=[
            {"field": f"input_values.{name}", "message": f"no value for {{{name}}}", "type": "missing"}
            for name in names
        ],
    )


def _style_of(description: dict) -> str | None:
    """The recorded template's style when replay cannot fill it: it fills f-strings, not jinja2 or mustache."""
    parts = description.get("prompt_template")
    described = [description, *(p for p in parts if isinstance(p, dict))] if isinstance(parts, list) else [description]
    return next((d["format"] for d in described if d.get("format") not in _F_STRING_STYLES), None)


def _refilled(recorded: dict, edits: ReplayCreate) -> list[dict]:
    """The recorded messages, with those the recorded template produced replaced by the edited template (or
    the recorded one) filled with the input values; the others (a system message, the history) stay."""
    field = "template" if edits.template is not None else "input_values"
    description = recorded.get("prompt_template") if isinstance(recorded.get("prompt_template"), dict) else {}
    template = description.get("prompt_template")
    template = template if isinstance(template, str | list) else None
    if template is None and edits.template is None:
        raise InvalidInput(
            "the recorded call names no template to fill with input_values: send `template` or `messages`",
            field=field,
        )
    style = _style_of(description)
    if style is not None:
        raise InvalidInput(
            f"replay fills f-string templates and this call's template is {style}: send the prompt as `messages`",
            field=field,
        )
    recorded_values = recorded.get("prompt_input_values")
    recorded_values = recorded_values if isinstance(recorded_values, dict) else {}
    new_template = template if edits.template is None else edits.template
    new = render_messages(new_template, {**recorded_values, **(edits.input_values or {})})
    messages = _messages_of(recorded.get("prompt"))
    # a value the call did not record (a LangChain partial variable) may come with the edits
    start, stop = _produced(messages, template, {**(edits.input_values or {}), **recorded_values}, field)
    if isinstance(new_template, str) and stop - start == 1:  # new text in the place (and role) of the old
        new = [{**new[0], "role": messages[start]["role"]}]
    return messages[:start] + new + messages[stop:]


def _produced(messages: list[dict], template, values: dict, field: str) -> tuple[int, int]:
    """Where among the recorded messages are those the recorded template, filled with the recorded values,
    produced; a single recorded message is the template's in any case."""
    if len(messages) < 2:
        return 0, len(messages)
    try:
        produced = [m["content"] for m in render_messages(template, values)] if template is not None else []
    except InvalidInput:
        produced = []
    contents, size = [_text_of(m) for m in messages], len(produced)
    starts = [i for i in range(len(contents) - size + 1) if size and contents[i : i + size] == produced]
    if len(starts) != 1:
        raise InvalidInput(
            "replay cannot tell which recorded messages the template produced (no template was recorded, or the "
            "prompt no longer matches it): send the whole prompt as `messages`",
            field=field,
        )
    return starts[0], starts[0] + size


def build_request(recorded: dict, edits: ReplayCreate, default_model: str | None) -> dict:
    if edits.messages is not None:
        messages, field = _messages_of(edits.messages), "messages"
    elif edits.template is not None or edits.input_values:
        messages, field = _refilled(recorded, edits), "template" if edits.template is not None else "input_values"
    else:
        messages, field = _messages_of(recorded.get("prompt")), "prompt"
    if not any(_text_of(m).strip() or (isinstance(m["content"], list) and m["content"]) for m in messages):
        raise InvalidInput("there is nothing to send: every message is empty", field=field)
    settings = {}
    recorded_settings = recorded.get("settings") if isinstance(recorded.get("settings"), dict) else {}
    invocation = (recorded.get("metadata") or {}).get("invocation_params") if recorded.get("metadata") else None
    for source in (invocation if isinstance(invocation, dict) else {}, recorded_settings):
        settings.update({k: v for k, v in source.items() if k in _SETTING_KEYS and v is not None})
    settings.update(edits.settings.model_dump(exclude_unset=True) if edits.settings else {})
    model = edits.model or recorded.get("model") or default_model
    if not model:
        raise InvalidInput("the recorded call names no model: send `model`", field="model")
    return {"model": model, "messages": messages, **settings}


class ReplayService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._secrets = ProviderSecrets(runtime.settings)

    @property
    def _allow_private(self) -> bool:
        return self._rt.settings.replay_allow_private_urls

    def set_provider(self, caller: Caller, name: str, body: ProviderConfigIn) -> dict:
        caller.require_role("admin", account_wide=True)
        check_provider_url(body.base_url, self._allow_private)
        now = utc_now()
        sealed = self._secrets.seal(caller.account_id, name, body.api_key) if body.api_key else None
        with self._rt.engine.begin() as conn:
            store.upsert_provider(
                conn,
                {
                    "account_id": caller.account_id,
                    "name": name,
                    "base_url": body.base_url.rstrip("/"),
                    "api_key_sealed": sealed,
                    "default_model": body.default_model,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        return self._view(
            {
                "name": name,
                "base_url": body.base_url.rstrip("/"),
                "api_key_sealed": sealed,
                "default_model": body.default_model,
                "updated_at": now,
            }
        )

    def providers(self, caller: Caller) -> dict:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            rows = store.providers(conn, caller.account_id)
        return {"items": [self._view(r) for r in rows]}

    def delete_provider(self, caller: Caller, name: str) -> None:
        caller.require_role("admin", account_wide=True)
        with self._rt.engine.begin() as conn:
            if not store.delete_provider(conn, caller.account_id, name):
                raise NotFound(f"no provider {name!r}")

    @staticmethod
    def _view(row) -> dict:
        return {
            "name": row["name"],
            "base_url": row["base_url"],
            "has_api_key": row["api_key_sealed"] is not None,
            "default_model": row["default_model"],
            "updated_at": row["updated_at"],
        }

    def _recorded(self, conn, caller: Caller, activity_id: str) -> dict:
        recorded = stored_activity(
            conn, caller.account_id, activity_id, partial(self._rt.crypto.open_body, caller.account_id)
        )
        if recorded is None or (
            caller.project
            and recorded["project_id"] != account_store.project_id(conn, caller.account_id, caller.project)
        ):
            raise NotFound(f"no activity {activity_id!r}")
        return recorded

    def replay(self, caller: Caller, activity_id: str, edits: ReplayCreate) -> dict:
        caller.require("ingest")
        # a NUL or half a UTF-16 pair, which JSON allows and no store holds, is sent and kept as U+FFFD
        edits = edits.model_copy(update={k: storable_text(getattr(edits, k)) for k in _FREE_EDITS})
        with self._rt.engine.connect() as conn:
            recorded = self._recorded(conn, caller, activity_id)
            provider = store.provider(conn, caller.account_id, edits.provider)
        if recorded["activity_type"] != "llm-prompt":
            raise InvalidInput("only LLM calls (llm-prompt activities) can be replayed", field="activity_id")
        if provider is None:
            raise NotFound(f"no provider {edits.provider!r}: configure it at PUT /api/v1/providers/{edits.provider}")
        request = build_request(recorded, edits, provider["default_model"])
        check_provider_url(provider["base_url"], self._allow_private)
        headers = {"Content-Type": "application/json"}
        if provider["api_key_sealed"] is not None:
            secret = self._secrets.open(caller.account_id, provider["name"], provider["api_key_sealed"])
            headers["Authorization"] = f"Bearer {secret}"
        import httpx  # imported on the first replay, not at start-up (with its CLI extras it is slow to import)

        generated = error = None
        usage: dict = {}
        started = time.perf_counter()
        try:
            with httpx.Client(timeout=self._rt.settings.replay_timeout_seconds, follow_redirects=False) as http:
                response = http.post(f"{provider['base_url']}/chat/completions", json=request, headers=headers)
            if response.status_code >= 300:
                error = f"provider answered {response.status_code}: {response.text[:2000]}"
            else:
                payload = response.json()
                generated = payload["choices"][0]["message"].get("content")
                usage = payload.get("usage") or {}
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            error = f"the provider call failed: {type(exc).__name__}: {str(exc)[:500]}"
        latency = (time.perf_counter() - started) * 1000
        edits_made = edits.model_dump(exclude_none=True, exclude={"provider"})
        row = {
            "account_id": caller.account_id,
            "activity_pk": recorded["pk"],
            "provider": provider["name"],
            "model": request["model"],
            "request": {**request, "edits": edits_made},
            "generated": generated,
            "error": error,
            "prompt_tokens": usage.get("prompt_tokens") if isinstance(usage.get("prompt_tokens"), int) else None,
            "completion_tokens": usage.get("completion_tokens")
            if isinstance(usage.get("completion_tokens"), int)
            else None,
            "latency_ms": latency,
            "created_at": utc_now(),
        }
        with self._rt.engine.begin() as conn:
            row["pk"] = store.add_replay(conn, row)
        return _replay_view(row, self._rt.pricebook)

    def list(self, caller: Caller, activity_id: str) -> dict:
        """The original call and its replays, for a side-by-side view."""
        caller.require("read")
        with self._rt.engine.connect() as conn:
            recorded = self._recorded(conn, caller, activity_id)
            rows = store.replays_of(conn, recorded["pk"])
        original = {
            "activity_id": activity_id,
            "session_id": recorded["session_id"],
            "model": recorded.get("model"),
            "prompt": recorded.get("prompt"),
            "prompt_template": recorded.get("prompt_template"),
            "prompt_input_values": recorded.get("prompt_input_values"),
            "generated": recorded.get("generated"),
            "error": recorded.get("error"),
            "template_name": recorded.get("template_name"),
            "template_version": recorded.get("template_version"),
        }
        return {"original": original, "replays": [_replay_view(r, self._rt.pricebook) for r in rows]}


def _replay_view(row, pricebook) -> dict:
    """A stored replay; its cost from the public price table (the account's price overrides are not applied)."""
    request = dict(row["request"])
    priced = pricebook.cost(row["model"], None, row["prompt_tokens"], row["completion_tokens"], row["created_at"])
    return {
        "id": row["pk"],
        "provider": row["provider"],
        "model": row["model"],
        "messages": request.get("messages"),
        "settings": {k: v for k, v in request.items() if k not in ("model", "messages", "edits")},
        "edits": request.get("edits"),
        "generated": row["generated"],
        "error": row["error"],
        "prompt_tokens": row["prompt_tokens"],
        "completion_tokens": row["completion_tokens"],
        "cost": priced.cost,
        "latency_ms": row["latency_ms"],
        "created_at": row["created_at"],
    }
