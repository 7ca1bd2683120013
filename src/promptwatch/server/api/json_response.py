"""JSON responses rendered by orjson, for routes that return plain data (FastAPI's own ORJSONResponse is
deprecated; routes with a response model are rendered by Pydantic directly), and for large answers that skip
FastAPI's response-model pass (`DataResponse`)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class JsonResponse(JSONResponse):
    """A JSON body rendered by orjson; keys that are not strings (numbers, dates) are written as strings."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class DataResponse(JsonResponse):
    """Plain data rendered to the very bytes that FastAPI's `dict` response model renders it to (times in UTC
    end in "Z"), for a route that returns it as this response (declared with `response_model=None`): FastAPI
    then neither validates nor encodes the answer, passes that walk every value once more and cost several
    times the rest of a large session's detail."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z)
