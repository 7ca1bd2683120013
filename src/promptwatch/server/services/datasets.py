"""Datasets: named collections of examples per account, optionally limited to a project. Viewers read,
members write; deletion goes through `DeletionService` (receipt, ledger, audit). An item's input, expected
output and metadata are content: cleaned (`storable_text`), masked by the redaction rules of the dataset's
project or account, and sealed with the account's key when it encrypts its payloads — before the write
transaction, which on SQLite holds the one write lock. Notes and descriptions are masked too. A name or item
id taken by a concurrent request between the check and the write is a 409, as one taken before."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from promptwatch.schema.datasets import (
    DatasetCreate,
    DatasetItemCreate,
    DatasetItemFromActivity,
    DatasetItemUpdate,
    DatasetUpdate,
)

from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..store import accounts as account_store
from ..store import annotations as annotation_store
from ..store import datasets as store
from ..store import sharing as share_store
from ..store.bodies import decode_body, encode_body
from ..store.session_detail import activity as stored_activity
from . import page_cursors
from .clock import utc_now
from .credentials import Caller, limited_project_id
from .json_bodies import storable_text
from .redaction import RedactionService
from .runtime import Runtime

MAX_PAGE = 1000
MAX_PAYLOAD_BYTES = 1_000_000  # one item's input, expected output and metadata, as JSON
PAYLOAD_FIELDS = ("input", "expected_output", "metadata")
PAYLOAD = set(PAYLOAD_FIELDS)
UNSTORABLE = "this value cannot be stored as JSON (nested more than 254 levels deep?)"
JUDGEMENT = ("label", "rating", "notes")
MAX_NOTES = 20_000


def dataset_view(row) -> dict:
    return {k: row[k] for k in ("name", "description", "project", "item_count", "created_at", "updated_at")}


@contextmanager
def _unique(detail: str) -> Iterator[None]:
    """A write that a concurrent request's same name or id beat after the check: 409 (the transaction rolls
    back as the Conflict leaves it)."""
    try:
        yield
    except IntegrityError:
        raise Conflict(detail) from None


def saved_annotation(conn, account_id: int, activity_id: str) -> Mapping[str, Any] | None:
    """The activity's annotation (label, rating, notes), None when it has none."""
    found = annotation_store.activity_pk(conn, account_id, activity_id)
    return None if found is None else annotation_store.get(conn, "activity", found["pk"])


def call_judgement(call: Mapping[str, Any], annotation: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the call was judged: each of label, rating and notes from its annotation, else from the feedback
    the client sent with it (a label other than 0 or 1 is none; notes cut to an item's 20,000 characters)."""
    saved = annotation or {}
    judged = {n: saved.get(n) if saved.get(n) is not None else call.get(f"feedback_{n}") for n in JUDGEMENT}
    if judged["label"] not in (0, 1) or isinstance(judged["label"], bool):
        judged["label"] = None
    if not isinstance(judged["rating"], int) or isinstance(judged["rating"], bool):
        judged["rating"] = None
    judged["notes"] = judged["notes"][:MAX_NOTES] if isinstance(judged["notes"], str) else None
    return judged


class DatasetService:
    """`redaction`: the app's service, whose cache forgets an account's rules when they change."""

    def __init__(self, runtime: Runtime, redaction: RedactionService | None = None) -> None:
        self._rt = runtime
        self._redaction = redaction or RedactionService(runtime)

    # content ------------------------------------------------------------------------------------------------

    def _text(self, account_id: int, project: str | None, value: str | None) -> str | None:
        """A note or description as stored: cleaned and masked."""
        return None if value is None else self._redaction.mask(account_id, project, storable_text(value))

    def _seal(self, account_id: int, project: str | None, payload: dict, where: str | None = None) -> bytes:
        """The payload cleaned, masked by the rules of `project` (or the account's) and sealed; `where`: the
        item's place in a batch, for the error's field name."""
        field = where or "body"
        if payload["input"] is None:
            raise InvalidInput("an item needs an input (any JSON value but null)", field=f"{field}.input")
        try:
            payload = self._redaction.mask(account_id, project, storable_text(payload))
            size = len(orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS))
        except (TypeError, RecursionError):  # orjson.JSONEncodeError is a TypeError
            raise InvalidInput(UNSTORABLE, field=field) from None
        if size > MAX_PAYLOAD_BYTES:
            raise InvalidInput(f"an item's payload is at most {MAX_PAYLOAD_BYTES} bytes of JSON", field=field)
        return self._rt.crypto.seal_body(account_id, encode_body(payload))

    def _open(self, account_id: int, blob: bytes) -> dict:
        return decode_body(self._rt.crypto.open_body(account_id, blob))

    def item_view(self, account_id: int, row) -> dict:
        payload = self._open(account_id, row["payload"])
        view = {"id": row["id"], **{k: payload.get(k) for k in PAYLOAD_FIELDS}}
        for name in ("source_session_id", "source_activity_id", "label", "notes", "created_at", "updated_at"):
            view[name] = row[name]
        return view

    # datasets -----------------------------------------------------------------------------------------------

    def _dataset(self, conn, caller: Caller, name: str):
        row = store.get_dataset(conn, caller.account_id, name)
        limit = limited_project_id(conn, caller)
        if row is None or (limit is not None and row["project_id"] != limit):
            raise NotFound(f"no dataset {name!r}")
        return row

    def exists(self, caller: Caller, name: str) -> bool:
        """Whether the caller may read the dataset `name` (share links ask)."""
        try:
            with self._rt.engine.connect() as conn:
                self._dataset(conn, caller, name)
            return True
        except NotFound:
            return False

    def list(self, caller: Caller, project: str | None) -> dict:
        caller.require_role("viewer")
        with self._rt.engine.connect() as conn:
            project_id = limited_project_id(conn, caller)
            if project_id is None and project is not None:
                project_id = account_store.project_id(conn, caller.account_id, project) or -1
            rows = store.list_datasets(conn, caller.account_id, project_id)
        return {"items": [dataset_view(r) for r in rows]}

    def get(self, caller: Caller, name: str) -> dict:
        caller.require_role("viewer")
        with self._rt.engine.connect() as conn:
            return dataset_view(self._dataset(conn, caller, name))

    def create(self, caller: Caller, body: DatasetCreate) -> dict:
        """A new dataset is never reachable through a share link of an older one of the same name."""
        caller.require_role("member")
        project = body.project
        if caller.project is not None:
            if project not in (None, caller.project):
                raise Forbidden("this credential is limited to another project")
            project = caller.project
        name = storable_text(body.name)
        description = self._text(caller.account_id, project, body.description)
        taken = f"the account already has a dataset {name!r}"
        now = utc_now()
        with self._rt.engine.begin() as conn:
            if store.name_taken(conn, caller.account_id, name):
                raise Conflict(taken)
            project_id = account_store.ensure_project(conn, caller.account_id, project, now) if project else None
            share_store.delete_links(conn, caller.account_id, "dataset", name)
            with _unique(taken):
                store.insert_dataset(
                    conn,
                    account_id=caller.account_id,
                    name=name,
                    description=description,
                    project_id=project_id,
                    created_at=now,
                    updated_at=now,
                )
            return dataset_view(store.get_dataset(conn, caller.account_id, name))

    def update(self, caller: Caller, name: str, body: DatasetUpdate) -> dict:
        """Rename or describe; the dataset's share links follow a new name (and links left with that name by
        an older dataset are deleted, not inherited)."""
        caller.require_role("member")
        changes: dict[str, Any] = {k: getattr(body, k) for k in body.model_fields_set}
        if changes.get("name", name) is None:
            raise InvalidInput("a dataset's name cannot be null", field="name")
        if "name" in changes:
            changes["name"] = storable_text(changes["name"])
        new_name = changes.get("name", name)
        with self._rt.engine.connect() as conn:
            row = self._dataset(conn, caller, name)
        if "description" in changes:
            changes["description"] = self._text(caller.account_id, row["project"], changes["description"])
        taken = f"the account already has a dataset {new_name!r}"
        with self._rt.engine.begin() as conn:
            self._same_dataset(conn, caller, name, row["pk"])
            if new_name != name:
                if store.name_taken(conn, caller.account_id, new_name):
                    raise Conflict(taken)
                share_store.delete_links(conn, caller.account_id, "dataset", new_name)
                share_store.move_links(conn, caller.account_id, "dataset", name, new_name)
            with _unique(taken):
                store.update_dataset(conn, caller.account_id, row["pk"], **changes, updated_at=utc_now())
            return dataset_view(store.get_dataset(conn, caller.account_id, new_name))

    def _same_dataset(self, conn, caller: Caller, name: str, pk: int):
        """In the write transaction: the dataset read before it (its content was prepared for its project)."""
        row = self._dataset(conn, caller, name)
        if row["pk"] != pk:
            raise Conflict(f"dataset {name!r} was replaced meanwhile; send the request again")
        return row

    # items --------------------------------------------------------------------------------------------------

    def add_items(self, caller: Caller, name: str, items: list[DatasetItemCreate]) -> dict:
        """The rows are cleaned, masked and sealed before the write transaction."""
        caller.require_role("member")
        ids = [item.id or uuid.uuid4().hex for item in items]
        if len(set(ids)) != len(ids):
            raise InvalidInput("item ids repeat within the request", field="items")
        now = utc_now()
        account_id = caller.account_id
        with self._rt.engine.connect() as conn:
            dataset = self._dataset(conn, caller, name)
        project = dataset["project"]
        rows = [
            {
                "account_id": account_id,
                "dataset_pk": dataset["pk"],
                "id": item_id,
                "payload": self._seal(account_id, project, item.model_dump(include=PAYLOAD), f"items.{i}"),
                "source_session_id": item.source_session_id and storable_text(item.source_session_id),
                "source_activity_id": item.source_activity_id and storable_text(item.source_activity_id),
                "label": item.label,
                "notes": self._text(account_id, project, item.notes),
                "created_at": now,
                "updated_at": now,
            }
            for i, (item_id, item) in enumerate(zip(ids, items))
        ]
        with self._rt.engine.begin() as conn:
            self._same_dataset(conn, caller, name, dataset["pk"])
            taken = store.item_ids_taken(conn, account_id, ids)
            if taken:
                raise Conflict(f"the account already has dataset items {', '.join(sorted(taken)[:5])}")
            with _unique("the account already has dataset items with these ids"):
                store.insert_items(conn, rows)
            store.update_dataset(conn, account_id, dataset["pk"], updated_at=now)
        return {"items": [self.item_view(account_id, r) for r in rows]}

    def add_from_activity(self, caller: Caller, name: str, body: DatasetItemFromActivity) -> dict:
        """An LLM call as an example: its prompt input values (or its prompt) as input, its output as
        expected output, its model and template in the metadata, and its annotation (`call_judgement`) as the
        item's label and notes and the metadata's rating. A label or notes sent with the request win, null
        included."""
        caller.require_role("member")
        with self._rt.engine.connect() as conn:
            self._dataset(conn, caller, name)
            call = stored_activity(
                conn, caller.account_id, body.activity_id, partial(self._rt.crypto.open_body, caller.account_id)
            )
            limit = limited_project_id(conn, caller)
            annotation = saved_annotation(conn, caller.account_id, body.activity_id)
        if call is None or (limit is not None and call["project_id"] != limit):
            raise NotFound(f"no activity {body.activity_id!r}")
        if call["activity_type"] != "llm-prompt":
            raise InvalidInput("only an LLM call (llm-prompt activity) can become an item", field="activity_id")
        judged = {
            **call_judgement(call, annotation),
            **body.model_dump(include={"label", "notes"} & body.model_fields_set),
        }
        template = call.get("prompt_template") or {}
        metadata = {"model": call.get("model"), "template": template.get("template_name"), "rating": judged["rating"]}
        item = DatasetItemCreate(
            input=call.get("prompt_input_values") or {"prompt": call.get("prompt")},
            expected_output=call.get("generated"),
            metadata={k: v for k, v in metadata.items() if v is not None},
            source_session_id=call["session_id"],
            source_activity_id=body.activity_id,
            label=judged["label"],
            notes=judged["notes"],
        )
        return self.add_items(caller, name, [item])["items"][0]

    def items(self, caller: Caller, name: str, limit: int, cursor: str | None) -> dict:
        caller.require_role("viewer")
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
        after = (
            page_cursors.decode_cursor(cursor, "item", (page_cursors.int64,), of="this dataset's items")[0]
            if cursor
            else None
        )
        with self._rt.engine.connect() as conn:
            row = self._dataset(conn, caller, name)
            rows = store.list_items(conn, caller.account_id, row["pk"], limit + 1, after)
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "items": [self.item_view(caller.account_id, r) for r in rows],
            "next_cursor": page_cursors.encode_cursor("item", rows[-1]["pk"]) if more else None,
        }

    def export_lines(self, caller: Caller, name: str) -> Iterator[bytes]:
        """The dataset's items as JSON Lines, oldest first, each as `POST /datasets/{name}/items` takes it
        (`DatasetItemCreate`), so a file of them loads into another dataset or instance. Read a page at a time,
        each in its own connection, so a long download holds no transaction open; an unknown dataset is a 404
        before the first line."""
        caller.require_role("viewer")
        with self._rt.engine.connect() as conn:
            dataset_pk = self._dataset(conn, caller, name)["pk"]
        account_id = caller.account_id

        def lines() -> Iterator[bytes]:
            after = None
            while True:
                with self._rt.engine.connect() as conn:
                    rows = store.list_items(conn, account_id, dataset_pk, MAX_PAGE, after)
                for row in rows:
                    view = self.item_view(account_id, row)
                    yield orjson.dumps({k: view[k] for k in DatasetItemCreate.model_fields}) + b"\n"
                if len(rows) < MAX_PAGE:
                    return
                after = rows[-1]["pk"]

        return lines()

    def _item(self, conn, caller: Caller, name: str, item_id: str):
        item = store.get_item(conn, caller.account_id, self._dataset(conn, caller, name)["pk"], item_id)
        if item is None:
            raise NotFound(f"dataset {name!r} has no item {item_id!r}")
        return item

    def item(self, caller: Caller, name: str, item_id: str) -> dict:
        caller.require_role("viewer")
        with self._rt.engine.connect() as conn:
            return self.item_view(caller.account_id, self._item(conn, caller, name, item_id))

    def require_item(self, caller: Caller, name: str, item_id: str) -> None:
        """NotFound unless the caller may read the item (deletion asks)."""
        with self._rt.engine.connect() as conn:
            self._item(conn, caller, name, item_id)

    def update_item(self, caller: Caller, name: str, item_id: str, body: DatasetItemUpdate) -> dict:
        """Only the fields sent change; `input` cannot be null. Prepared before the write transaction; an item
        changed meanwhile is a 409 rather than a lost update."""
        caller.require_role("member")
        sent = body.model_fields_set
        account_id = caller.account_id
        with self._rt.engine.connect() as conn:
            dataset = self._dataset(conn, caller, name)
            row = self._item(conn, caller, name, item_id)
        changes: dict[str, Any] = {k: getattr(body, k) for k in sent & {"label", "notes"}}
        if "notes" in changes:
            changes["notes"] = self._text(account_id, dataset["project"], changes["notes"])
        if sent & PAYLOAD:
            payload = self._open(account_id, row["payload"])
            payload.update({k: getattr(body, k) for k in sent & PAYLOAD})
            changes["payload"] = self._seal(account_id, dataset["project"], payload)
        now = utc_now()
        with self._rt.engine.begin() as conn:
            self._same_dataset(conn, caller, name, dataset["pk"])
            current = self._item(conn, caller, name, item_id)
            if current["pk"] != row["pk"] or bytes(current["payload"]) != bytes(row["payload"]):
                raise Conflict(f"item {item_id!r} changed meanwhile; send the request again")
            store.update_item(conn, account_id, row["pk"], **changes, updated_at=now)
            store.update_dataset(conn, account_id, dataset["pk"], updated_at=now)
            updated = self._item(conn, caller, name, item_id)
        return self.item_view(account_id, updated)

    def shared(self, account_id: int, name: str) -> dict:
        """A dataset with its first page of items, as a share link shows it."""
        reader = Caller(account_id, "read")
        page = self.items(reader, name, MAX_PAGE, None)
        return {**self.get(reader, name), "items": page["items"], "truncated": page["next_cursor"] is not None}
