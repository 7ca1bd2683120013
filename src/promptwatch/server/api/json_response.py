"""JSON responses rendered by orjson, for routes that return plain data (FastAPI's own ORJSONResponse is
deprecated; routes with a response model are rendered by Pydantic directly)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class JsonResponse(JSONResponse):
    """A JSON body rendered by orjson; keys that are not strings (numbers, dates) are written as strings."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
