"""What a live server stored, read back through its API, waiting for the SDK's background delivery."""

from __future__ import annotations

import time

import httpx


def stored_session(client: httpx.Client, session_id: str, activities: int, timeout: float = 20.0) -> dict:
    """The session once it holds `activities` activities and is finished (its `end_time` arrived)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/sessions/{session_id}")
        if response.status_code == 200:
            body = response.json()
            if len(body["activities"]) >= activities and body.get("end_time"):
                return body
        time.sleep(0.1)
    raise AssertionError(f"session {session_id} did not get {activities} activities: {response.text[:500]}")


def stored_session_ids(client: httpx.Client, project: str | None = None) -> list[str]:
    """The ids of the account's sessions (of one project), newest first."""
    params = {"project": project} if project else {}
    response = client.get("/api/v1/sessions", params=params)
    response.raise_for_status()
    return [item["id"] for item in response.json()["items"]]
