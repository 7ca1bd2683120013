"""Prompt unit tests: the published client's runs (upserted by run id) and per-case results (de-duplicated
by run and order), the test cases it fetches — annotated examples, see `test_cases` — and the native read
API over runs, results and the comparison of two runs."""

from __future__ import annotations

from functools import partial

import orjson

from ..errors import InvalidInput, NotFound
from ..store import unit_tests as store
from .activity_records import parse_time
from .clock import utc_now
from .credentials import Caller
from .json_bodies import storable_text
from .runtime import Runtime

MAX_CASES_PAGE = 1000
_RUN_FIELDS = frozenset(
    {"run_id", "session_id", "evaluation_method", "test_name", "start_time", "end_time", "conditions", "results"}
)


def _text(value, limit: int) -> str | None:
    if value is None:
        return None
    return (value if isinstance(value, str) else str(value))[:limit]


def _number(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _count(value) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31 else 0


def _output_value(value):
    if isinstance(value, dict) and len(value) == 1:
        only = next(iter(value.values()))
        if isinstance(only, str):
            return only
    return value


class UnitTestService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def upsert_run(self, caller: Caller, test_name: str, body) -> dict:
        caller.require("ingest")
        if not isinstance(body, dict) or not isinstance(body.get("run_id"), str) or not body["run_id"]:
            raise InvalidInput("a run needs a run_id", field="run_id")
        results = body.get("results") if isinstance(body.get("results"), dict) else {}
        now = utc_now()
        row = {
            "account_id": caller.account_id,
            "run_id": body["run_id"][:200],
            "test_name": test_name[:500],
            "session_id": _text(body.get("session_id"), 200),
            "evaluation_method": _text(body.get("evaluation_method"), 200),
            "start_time": parse_time(body.get("start_time")) if isinstance(body.get("start_time"), str) else None,
            "end_time": parse_time(body.get("end_time")) if isinstance(body.get("end_time"), str) else None,
            "conditions": body.get("conditions") if isinstance(body.get("conditions"), dict) else None,
            "overall_score": _number(results.get("overall_score")),
            "total_processed": _count(results.get("total_processed")),
            "passed": _count(results.get("passed")),
            "failed": _count(results.get("failed")),
            "extra": {k: v for k, v in body.items() if k not in _RUN_FIELDS} or None,
            "created_at": now,
            "updated_at": now,
        }
        with self._rt.engine.begin() as conn:
            store.upsert_run(conn, storable_text(row))
        return {"run_id": row["run_id"]}

    def add_results(self, caller: Caller, test_name: str, run_id: str, body) -> dict:
        caller.require("ingest")
        items = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
        rows, now = [], utc_now()
        with self._rt.engine.begin() as conn:
            pk = store.run_pk(conn, caller.account_id, run_id)
            if pk is None:  # results before their run: the run is created, the client posts it again later
                pk = store.upsert_run(
                    conn,
                    {
                        "account_id": caller.account_id,
                        "run_id": run_id[:200],
                        "test_name": test_name[:500],
                        "total_processed": 0,
                        "passed": 0,
                        "failed": 0,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
            by_order = {}
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("order"), int) and 0 < item["order"] < 2**31:
                    by_order[item["order"]] = item
            for order, item in by_order.items():
                rows.append(
                    {
                        "account_id": caller.account_id,
                        "run_pk": pk,
                        "position": order,
                        "passed": bool(item.get("passed")),
                        "score": _number(item.get("score")),
                        "body": storable_text(item),
                        "created_at": now,
                    }
                )
            store.upsert_results(conn, rows)
        return {"stored": len(rows)}

    def test_cases(
        self, caller: Caller, project: str | None, template_name: str | None, offset: int, limit: int
    ) -> list[dict]:
        """Annotated examples as the published client's TestCase objects: for a template, its LLM calls
        (inputs = the prompt's input values, output = what was generated); for a project, the root chains
        of its sessions (inputs and outputs of the chain). Calls with the same inputs are one case with
        several labelled outputs."""
        caller.require("read")
        if offset < 0 or not 0 < limit <= MAX_CASES_PAGE:
            raise InvalidInput(f"skp must be >= 0 and limit between 1 and {MAX_CASES_PAGE}", field="limit")
        if caller.project:
            if project not in (None, caller.project):
                return []
            project = caller.project
        with self._rt.engine.connect() as conn:
            rows = store.annotated_activities(
                conn,
                caller.account_id,
                template_name,
                project,
                offset,
                limit,
                partial(self._rt.crypto.open_body, caller.account_id),
            )
        cases: dict[bytes, dict] = {}
        for row in rows:
            body = row["body"]
            if template_name is not None:
                inputs, value = body.get("prompt_input_values"), body.get("generated")
            else:
                inputs, value = body.get("inputs"), _output_value(body.get("outputs"))
            if not isinstance(inputs, dict) or value is None:
                continue
            key = orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)
            case = cases.setdefault(
                key,
                {
                    "id": row["id"],
                    "for_template_name": template_name,
                    "for_tracking_project": row["project"] if template_name is None else project,
                    "inputs": inputs,
                    "outputs": [],
                },
            )
            case["outputs"].append({"label": int(row["label"]), "value": value})
        return list(cases.values())

    # native read API ----------------------------------------------------------------------------------

    def list_runs(self, caller: Caller, test_name: str | None, limit: int) -> dict:
        caller.require("read")
        if not 0 < limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        with self._rt.engine.connect() as conn:
            rows = store.list_runs(conn, caller.account_id, test_name, limit)
        return {"items": [_run_view(r) for r in rows]}

    def get_run(self, caller: Caller, run_id: str) -> dict:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            run = store.get_run(conn, caller.account_id, run_id)
            if run is None:
                raise NotFound(f"no test run {run_id!r}")
            results = store.run_results(conn, run["pk"])
        return {**_run_view(run), "results": [dict(r["body"], order=r["position"]) for r in results]}

    def compare(self, caller: Caller, run_id: str, other_run_id: str) -> dict:
        """Case by case (matched by the case's inputs): score and pass/fail in both runs."""
        first, second = self.get_run(caller, run_id), self.get_run(caller, other_run_id)

        def key(result: dict) -> bytes:
            case = result.get("test_case") if isinstance(result.get("test_case"), dict) else {}
            return orjson.dumps(case.get("inputs"), option=orjson.OPT_SORT_KEYS)

        theirs = {key(r): r for r in second["results"]}
        rows = []
        for result in first["results"]:
            other = theirs.pop(key(result), None)
            rows.append(
                {
                    "inputs": (result.get("test_case") or {}).get("inputs"),
                    "a": {"passed": result.get("passed"), "score": result.get("score")},
                    "b": None if other is None else {"passed": other.get("passed"), "score": other.get("score")},
                }
            )
        for other in theirs.values():
            rows.append(
                {
                    "inputs": (other.get("test_case") or {}).get("inputs"),
                    "a": None,
                    "b": {"passed": other.get("passed"), "score": other.get("score")},
                }
            )
        fields = ("overall_score", "passed", "failed")
        summary = {k: {n: v[n] for n in fields} for k, v in (("a", first), ("b", second))}
        return {"a": first["run_id"], "b": second["run_id"], "summary": summary, "cases": rows}


def _run_view(row) -> dict:
    item = dict(row)
    for name in ("pk", "account_id", "extra", "created_at"):
        item.pop(name, None)
    return item
