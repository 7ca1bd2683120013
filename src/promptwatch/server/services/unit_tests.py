"""Prompt unit tests: the published client's runs (upserted by run id) and per-case results (de-duplicated
by run and order), the test cases it fetches — annotated examples, see `test_cases` — and the native read
API over runs, results and the comparison of two runs."""

from __future__ import annotations

from collections import defaultdict, deque
from functools import partial
from typing import NamedTuple

import orjson

from promptwatch.schema.common import cap_json_depth

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
        """A run closed saying it processed no case (`results.total_processed` 0, given) with no result stored is
        not kept (`stored` false): the published client posts its run before it knows whether there are cases.
        Only that test's run of that id goes."""
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
            "extra": cap_json_depth({k: v for k, v in body.items() if k not in _RUN_FIELDS}) or None,
            "created_at": now,
            "updated_at": now,
        }
        with self._rt.engine.begin() as conn:
            if (
                row["end_time"] is not None
                and results.get("total_processed") == 0
                and not store.has_results(conn, caller.account_id, row["run_id"])
            ):
                store.delete_runs(conn, caller.account_id, run_ids=[row["run_id"]], test_name=row["test_name"])
                return {"run_id": row["run_id"], "stored": False}
            store.upsert_run(conn, storable_text(row))
        return {"run_id": row["run_id"], "stored": True}

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
        """Case by case: score and pass/fail in both runs, cases paired as `paired_cases` pairs them."""
        first, second = self.get_run(caller, run_id), self.get_run(caller, other_run_id)
        rows = []
        for mine, theirs in paired_cases(_cases_of(first), _cases_of(second)):
            case = (mine or theirs).case
            rows.append(
                {"id": case.get("id"), "inputs": case.get("inputs"), "a": _outcome(mine), "b": _outcome(theirs)}
            )
        fields = ("overall_score", "passed", "failed")
        summary = {k: {n: v[n] for n in fields} for k, v in (("a", first), ("b", second))}
        return {"a": first["run_id"], "b": second["run_id"], "summary": summary, "cases": rows}


class _Case(NamedTuple):
    """A run's result with what identifies its case: the case's id (None when it does not name it) and inputs."""

    result: dict
    case: dict
    case_id: str | None
    inputs: bytes


def _cases_of(run: dict) -> list[_Case]:
    """A run's results in order. The ids of a template's or a project's cases name the first annotated call
    with those inputs, not the case, so those cases are known by their inputs alone."""
    conditions = run.get("conditions") or {}
    ids_name_cases = not (conditions.get("for_template_name") or conditions.get("for_tracking_project"))
    cases = []
    for result in run["results"]:
        case = result.get("test_case") if isinstance(result.get("test_case"), dict) else {}
        case_id = case.get("id") if ids_name_cases and isinstance(case.get("id"), str) else None
        cases.append(_Case(result, case, case_id, orjson.dumps(case.get("inputs"), option=orjson.OPT_SORT_KEYS)))
    return cases


def paired_cases(first: list[_Case], second: list[_Case]) -> list[tuple[_Case | None, _Case | None]]:
    """The cases of two runs side by side: by case id (a dataset item's, or a listed case's) where both have
    one, else by inputs; cases with the same id or inputs pair in order. First the first run's cases, then the
    second run's that have no partner."""
    partner: dict[int, int] = {}  # a first-run case's place -> its partner's place in the second run
    by_id: dict[str, deque[int]] = defaultdict(deque)
    for j, theirs in enumerate(second):
        if theirs.case_id is not None:
            by_id[theirs.case_id].append(j)
    for i, mine in enumerate(first):
        if mine.case_id is not None and by_id.get(mine.case_id):
            partner[i] = by_id[mine.case_id].popleft()
    by_inputs: dict[bytes, list[int]] = defaultdict(list)
    taken = set(partner.values())
    for j, theirs in enumerate(second):
        if j not in taken:
            by_inputs[theirs.inputs].append(j)
    for i, mine in enumerate(first):
        if i in partner:
            continue
        waiting = by_inputs.get(mine.inputs, [])
        j = next((j for j in waiting if mine.case_id is None or second[j].case_id is None), None)
        if j is not None:
            waiting.remove(j)
            partner[i] = j
    taken = set(partner.values())
    pairs = [(mine, second[partner[i]] if i in partner else None) for i, mine in enumerate(first)]
    return pairs + [(None, theirs) for j, theirs in enumerate(second) if j not in taken]


def _outcome(case: _Case | None) -> dict | None:
    return None if case is None else {"passed": case.result.get("passed"), "score": case.result.get("score")}


def _run_view(row) -> dict:
    item = dict(row)
    for name in ("pk", "account_id", "extra", "created_at"):
        item.pop(name, None)
    return item
