"""The web UI: a static single-page app. `/` sends the browser to `/ui/`; every `/ui/...` path answers the
same `index.html` (the app routes on the client), while its modules and styles are served from `/static/`.
The page holds no data of its own: it signs in and reads everything through the public REST API."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from .docs import WEB_DIR

INDEX = WEB_DIR / "ui" / "index.html"
router = APIRouter(include_in_schema=False)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=307)


@router.get("/ui")
@router.get("/ui/{path:path}")
def app_page(path: str = "") -> FileResponse:
    # no-cache: a new release's index.html (and so its module versions) is picked up at the next visit
    return FileResponse(INDEX, media_type="text/html", headers={"cache-control": "no-cache"})
