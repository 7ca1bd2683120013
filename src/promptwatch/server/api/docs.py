"""The API docs page (/docs) and the static files, all served by the instance itself."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs_page() -> FileResponse:
    return FileResponse(WEB_DIR / "docs" / "index.html", media_type="text/html")
