"""`DataResponse` renders plain data to the very bytes FastAPI's `dict` response model renders it to, so a route
may skip that model's pass over a large answer (a session's detail) without its clients seeing a difference."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import FastAPI
from fastapi.testclient import TestClient

from promptwatch.server.api.json_response import DataResponse, JsonResponse

DATA = {
    "id": "s-1",
    "start_time": datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc),
    "end_time": datetime(2026, 11, 1, 12, 0, 1, 2000, tzinfo=timezone.utc),
    "elsewhere": datetime(2026, 11, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),
    "cost": 0.1 + 0.2,
    "tiny": 1e-7,
    "big": 2**53 + 1,
    "none": None,
    "flags": [True, False],
    "metadata": {"ünïcode": '✓ "quoted" \n', "nested": {"list": [1, 2.5, "x", None]}},
    "by_number": {1: "one"},
    "activities": [{"order": None, "usage": {"total_tokens": 3, "counted": False}, "tags": ["a"]}] * 3,
}


def test_data_response_renders_what_the_dict_response_model_renders():
    app = FastAPI(default_response_class=JsonResponse)

    @app.get("/model")
    def through_the_model() -> dict:
        return DATA

    @app.get("/data", response_model=None, response_class=DataResponse)
    def straight() -> DataResponse:
        return DataResponse(DATA)

    with TestClient(app) as client:
        model, data = client.get("/model"), client.get("/data")
    assert model.status_code == data.status_code == 200
    assert data.content == model.content
    assert data.headers["content-type"] == model.headers["content-type"] == "application/json"
