"""Redaction of an imported archive (P1): its session names, tags and metadata, activity names, tags, errors
and payloads go
through the ingest pipeline's redaction stage under the importing account's rules (a project's rules for
its sessions), before anything is stored. Counts already in a payload's `redactions` are kept and added to.
Datasets' descriptions and their items' payloads and notes are masked as the API masks them (`mask`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from .pipeline import Stage

Mask = Callable[[int, str | None, object], object]  # RedactionService.mask


class ImportRedaction:
    """Masks an archive's rows in place, table by table in the archive's order (projects, sessions and
    activities come before the payloads that need them); remembers only ids and project names."""

    def __init__(self, stage: Stage, account_id: int, mask: Mask) -> None:
        self._stage = stage
        self._mask = mask
        self._account_id = account_id
        self._projects: dict[int, str] = {}  # archive project id -> name
        self._datasets: dict[int, str | None] = {}  # archive dataset pk -> project name
        self._sessions: dict[int, tuple[str, str | None]] = {}  # archive session pk -> (id, project name)
        self._activities: dict[int, int] = {}  # archive activity pk -> archive session pk
        self._error_counts: dict[int, Counter] = {}  # archive activity pk -> what its error's masking found

    def rows(self, table_name: str, rows: list[dict]) -> None:
        handle = getattr(self, f"_on_{table_name}", None)
        if handle and rows:
            handle(rows)

    def _on_projects(self, rows: list[dict]) -> None:
        self._projects.update((row["id"], row["name"]) for row in rows)

    def _on_sessions(self, rows: list[dict]) -> None:
        records = [
            {
                "id": row["id"],
                "project": self._projects.get(row.get("project_id")),
                "session_name": row.get("session_name"),
                "tags": row.get("tags"),
                "metadata": row.get("metadata"),
            }
            for row in rows
        ]
        self._stage(self._account_id, records, [])
        for row, record in zip(rows, records):
            for column in ("session_name", "tags", "metadata"):
                row[column] = record[column]
            self._sessions[row["pk"]] = (row["id"], record["project"])

    def _on_activities(self, rows: list[dict]) -> None:
        self._activities.update((row["pk"], row["session_pk"]) for row in rows)
        records = self._run([(row["session_pk"], {}, row) for row in rows])
        for row, record in zip(rows, records):
            row["error"], row["name"], row["tags"] = record["error"], record["name"], record["tags"]
            if "redactions" in record["body"]:
                self._error_counts[row["pk"]] = Counter(record["body"]["redactions"])

    def _on_activity_bodies(self, rows: list[dict]) -> None:
        rows = [row for row in rows if isinstance(row.get("body"), dict)]
        payloads = [
            (self._activities.get(row["activity_pk"]), {k: v for k, v in row["body"].items() if k != "redactions"})
            for row in rows
        ]
        records = self._run([(session_pk, body, {}) for session_pk, body in payloads])
        for row, record in zip(rows, records):
            counts = _counts(row["body"].get("redactions")) + _counts(record["body"].pop("redactions", None))
            counts += self._error_counts.pop(row["activity_pk"], Counter())
            row["body"] = {**record["body"], "redactions": dict(counts)} if counts else record["body"]

    def _on_datasets(self, rows: list[dict]) -> None:
        for row in rows:
            project = self._datasets[row["pk"]] = self._projects.get(row.get("project_id"))
            if row.get("description") is not None:
                row["description"] = self._mask(self._account_id, project, row["description"])

    def _on_dataset_items(self, rows: list[dict]) -> None:
        for row in rows:
            project = self._datasets.get(row.get("dataset_pk"))
            for column in ("payload", "notes"):
                if row.get(column) is not None:
                    row[column] = self._mask(self._account_id, project, row[column])

    def _run(self, items: list[tuple[int | None, dict, dict]]) -> list[dict]:
        """Activity records of `(archive session pk, body, activity row)` through the stage, with their
        sessions: the row's name, tags and error go along (an empty row: the body alone)."""
        sessions, records = {}, []
        for session_pk, body, row in items:
            session_id, project = self._sessions.get(session_pk, (f"(archive session {session_pk})", None))
            sessions[session_id] = {"id": session_id, "project": project}
            light = {column: row.get(column) for column in ("name", "tags", "error")}
            records.append({"session_id": session_id, "body": body, **light})
        self._stage(self._account_id, list(sessions.values()), records)
        return records


def _counts(value) -> Counter:
    return Counter({k: v for k, v in value.items() if isinstance(v, int)}) if isinstance(value, dict) else Counter()
