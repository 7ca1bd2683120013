"""The native API of datasets: named collections of examples (input, expected output, metadata, label,
notes), made by hand, in batches, or from a recorded LLM call. Viewers read, members write."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from promptwatch.schema.datasets import (
    DatasetCreate,
    DatasetItemFromActivity,
    DatasetItemsCreate,
    DatasetItemUpdate,
    DatasetUpdate,
)

from ..services.credentials import Caller
from .deps import caller
from .problems import responses
from .query_rules import known_query_only

router = APIRouter(prefix="/api/v1", tags=["datasets"])
Name = Annotated[str, Path(min_length=1, max_length=256)]
ItemId = Annotated[str, Path(min_length=1, max_length=64)]


def _datasets(request: Request):
    return request.app.state.services.datasets


def known_dataset(request: Request, name: Name, who: Caller = Depends(caller)) -> None:
    """404 for a dataset the caller cannot read, before the request body is looked at."""
    _datasets(request).get(who, name)


KNOWN = [Depends(known_dataset)]


@router.get(
    "/datasets",
    summary="The account's datasets with their item counts",
    responses=responses(401, 403, 422),
    dependencies=[Depends(known_query_only)],
)
def list_datasets(
    request: Request,
    project: str | None = Query(default=None, max_length=256),
    who: Caller = Depends(caller),
) -> dict:
    return _datasets(request).list(who, project)


@router.post("/datasets", status_code=201, summary="Create a dataset (member)", responses=responses(401, 403, 409, 422))
def create_dataset(request: Request, body: DatasetCreate, who: Caller = Depends(caller)) -> dict:
    return _datasets(request).create(who, body)


@router.get("/datasets/{name}", summary="A dataset", responses=responses(401, 403, 404))
def get_dataset(request: Request, name: Name, who: Caller = Depends(caller)) -> dict:
    return _datasets(request).get(who, name)


@router.patch(
    "/datasets/{name}",
    dependencies=KNOWN,
    summary="Rename or describe a dataset (member)",
    responses=responses(401, 403, 404, 409, 422),
)
def update_dataset(request: Request, name: Name, body: DatasetUpdate, who: Caller = Depends(caller)) -> dict:
    return _datasets(request).update(who, name, body)


@router.delete(
    "/datasets/{name}",
    summary="Delete a dataset with its items and share links (member)",
    responses=responses(401, 403, 404),
)
def delete_dataset(request: Request, name: Name, who: Caller = Depends(caller)) -> dict:
    """Returns the deletion receipt."""
    return request.app.state.services.deletion.delete_dataset(who, name)


@router.get(
    "/datasets/{name}/items",
    summary="A dataset's items, oldest first",
    responses=responses(401, 403, 404, 422),
    dependencies=[Depends(known_query_only)],
)
def list_items(
    request: Request,
    name: Name,
    limit: int = Query(default=100, ge=1, le=1000),
    cursor: str | None = Query(default=None, max_length=200),
    who: Caller = Depends(caller),
) -> dict:
    return _datasets(request).items(who, name, limit, cursor)


@router.get(
    "/datasets/{name}/export",
    summary="A dataset's items as JSON Lines, oldest first, each as POST .../items takes it",
    responses={**responses(401, 403, 404), 200: {"content": {"application/x-ndjson": {}}}},
    dependencies=[Depends(known_query_only)],
)
def export_items(request: Request, name: Name, who: Caller = Depends(caller)) -> StreamingResponse:
    lines = _datasets(request).export_lines(who, name)
    return StreamingResponse(
        lines,
        media_type="application/x-ndjson",
        headers={"content-disposition": 'attachment; filename="dataset.jsonl"'},
    )


@router.post(
    "/datasets/{name}/items",
    dependencies=KNOWN,
    status_code=201,
    summary="Add up to 1,000 items (member)",
    responses=responses(401, 403, 404, 409, 422),
)
def add_items(request: Request, name: Name, body: DatasetItemsCreate, who: Caller = Depends(caller)) -> dict:
    return _datasets(request).add_items(who, name, body.items)


@router.post(
    "/datasets/{name}/items/from-activity",
    dependencies=KNOWN,
    status_code=201,
    summary="Add an LLM call as an item: its inputs as input, its output as expected output, its annotation as "
    "label and notes (member)",
    responses=responses(401, 403, 404, 409, 422),
)
def add_from_activity(
    request: Request, name: Name, body: DatasetItemFromActivity, who: Caller = Depends(caller)
) -> dict:
    """A `label` or `notes` sent win over the call's annotation; `null` sends none."""
    return _datasets(request).add_from_activity(who, name, body)


@router.get("/datasets/{name}/items/{item_id}", summary="One item", responses=responses(401, 403, 404))
def get_item(request: Request, name: Name, item_id: ItemId, who: Caller = Depends(caller)) -> dict:
    return _datasets(request).item(who, name, item_id)


@router.patch(
    "/datasets/{name}/items/{item_id}",
    dependencies=KNOWN,
    summary="Change an item; only the fields sent change; 409 when it changed meanwhile (member)",
    responses=responses(401, 403, 404, 409, 422),
)
def update_item(
    request: Request, name: Name, item_id: ItemId, body: DatasetItemUpdate, who: Caller = Depends(caller)
) -> dict:
    return _datasets(request).update_item(who, name, item_id, body)


@router.delete(
    "/datasets/{name}/items/{item_id}", summary="Delete one item (member)", responses=responses(401, 403, 404)
)
def delete_item(request: Request, name: Name, item_id: ItemId, who: Caller = Depends(caller)) -> dict:
    """Returns the deletion receipt."""
    return request.app.state.services.deletion.delete_dataset_item(who, name, item_id)
