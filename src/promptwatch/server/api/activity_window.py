"""The query parameters that list a session's activities a page at a time, as one dependency for every route
that answers a session: its detail, a share link's read and a support grant's read."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from ..services.session_detail import MAX_ACTIVITY_PAGE, ActivityWindow


def activity_window(
    activities_limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_ACTIVITY_PAGE,
            description="list at most this many activities (then `next_activities_cursor` leads to the next ones)",
        ),
    ] = None,
    activities_cursor: Annotated[
        str | None,
        Query(max_length=500, description="list the activities after this `next_activities_cursor`"),
    ] = None,
    activities_fields: Annotated[
        Literal["full", "outline"],
        Query(description="`outline`: only each activity's light fields, no prompts, outputs or documents"),
    ] = "full",
) -> ActivityWindow:
    """Without any of them, every activity with all its fields."""
    return ActivityWindow(activities_limit, activities_cursor, activities_fields)
