"""What redaction before storage costs native ingest: off, secrets only (the default) and every PII kind on.

Run from the repository root:

    .venv/bin/python bench/redaction_cost.py --db sqlite
    .venv/bin/python bench/redaction_cost.py --db postgresql --rounds 5 --activities 20000

One `promptwatch up` on a fresh store; its account's rules are switched with `PUT /api/v1/redaction` between
runs (the owner logs in with the password the first start prints). Each round ingests `--activities`
activities under each setting, the order of the settings rotating from round to round so that drift of a
busy machine spreads over all three; every run has data of its own (a seed per round and setting, so ids
never repeat) of the same shape (bench/_workload.py), and one LLM call in `--pii-every` carries an e-mail
address, a phone number, a card number, an IBAN, an IP address and an API key in its prompt, and the e-mail
address in its name, a tag and a metadata key, so the maskers find work.

Per run: activities per second until the last request is acknowledged (the redaction stage runs on the
request path, before the batch writer commits and the answer is sent) and the server's user+system CPU per
activity, which a busy machine inflates less. Reported: the median of the rounds per setting and the ratio to
redaction off. Prints a table and writes JSON to bench/results/.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import orjson
from _harness import (
    Deadline,
    ResourceSampler,
    ServerProcess,
    median,
    postgres_database,
    postgres_processes,
    print_table,
    send_batches,
    write_results,
)
from _workload import Workload, requests

SETTINGS = {  # name -> PUT /api/v1/redaction body
    "off": {},
    "secrets (default)": {"secrets": True},
    "all PII kinds": {"secrets": True, "email": True, "phone": True, "card": True, "iban": True, "ip": True},
}
EMAIL = "jane.doe@example.com"
PII = (
    f" Please reach {EMAIL} or +44 20 7946 0958 about card 4111 1111 1111 1111, refund to"
    " DE89 3704 0044 0532 0130 00; the request came from 203.0.113.42 with key sk-proj-AbCdEfGhIjKlMnOpQrStUvWx."
)


def build_bodies(activities: int, per_request: int, seed: int, pii_every: int) -> list[bytes]:
    bodies, calls = [], 0
    for batch in requests(Workload(seed=seed).sessions(activities), per_request):
        for activity in batch["activities"]:
            if activity["activity_type"] == "llm-prompt":
                calls += 1
                if pii_every and calls % pii_every == 0:
                    activity["prompt"] += PII
                    activity |= {"name": f"llm for {EMAIL}", "tags": [EMAIL], "metadata": {EMAIL: "+44 20 7946 0958"}}
        bodies.append(orjson.dumps(batch))
    return bodies


def owner_token(server: ServerProcess) -> str:
    """Log in as the owner with the password the first start printed."""
    found = re.search(r"owner:\s+(\S+)\s+password:\s+(\S+)", server.log_path.read_text(errors="replace"))
    if not found:
        raise RuntimeError(f"no owner password in the server's first output:\n{server.log_tail()}")
    answer = httpx.post(
        server.base_url + "/api/v1/auth/login", json={"email": found[1], "password": found[2]}, timeout=60
    )
    answer.raise_for_status()
    return answer.json()["token"]


def set_rules(server: ServerProcess, token: str, rules: dict) -> None:
    answer = httpx.put(
        server.base_url + "/api/v1/redaction", json=rules, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    if answer.status_code != 200:
        raise RuntimeError(f"PUT /api/v1/redaction answered {answer.status_code}: {answer.text[:300]}")


def check_masked(server: ServerProcess, api_key: str, bodies: list[bytes], setting: str) -> dict:
    """What the last run stored for one LLM call that carried the PII sentence (a sanity check)."""
    for body in reversed(bodies):
        for activity in orjson.loads(body)["activities"]:
            if activity.get("prompt", "").endswith(PII):
                headers = {"Authorization": f"Bearer {api_key}"}
                stored = httpx.get(
                    f"{server.base_url}/api/v1/sessions/{activity['session_id']}", headers=headers, timeout=60
                ).json()
                masked = next(a for a in stored["activities"] if a["id"] == activity["id"])
                prompt, labels = masked["prompt"], orjson.dumps([masked["name"], masked["tags"], masked["metadata"]])
                found = {
                    "secret": "sk-proj-" not in prompt,
                    "email": "jane.doe@" not in prompt and b"jane.doe@" not in labels,
                    "card": "4111 1111" not in prompt,
                }
                expected = {"secret": setting != "off", "email": setting == "all PII kinds"}
                expected["card"] = expected["email"]
                if found != expected:
                    raise RuntimeError(f"{setting}: masked {found}, expected {expected}: {prompt[-300:]}")
                return found
    return {}


def run(args: argparse.Namespace) -> dict:
    deadline = Deadline(args.limit_minutes * 60)
    load_before = os.getloadavg()
    names = list(SETTINGS)
    made = time.perf_counter()
    bodies = {
        (r, name): build_bodies(args.activities, args.per_request, 1000 * (r + 1) + i, args.pii_every)
        for r in range(args.rounds)
        for i, name in enumerate(names)
    }
    sample = bodies[(0, names[0])]
    print(
        f"generated {len(bodies)} runs of {args.activities} activities ({len(sample)} requests, "
        f"{sum(map(len, sample)) / args.activities:.0f} B of JSON each) in {time.perf_counter() - made:.1f} s"
    )
    runs: dict[str, list[dict]] = {name: [] for name in names}
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pw-bench-")))
        url = stack.enter_context(postgres_database()) if args.db == "postgresql" else None
        server = stack.enter_context(ServerProcess(data_dir / "data", database_url=url).running())
        server.start()
        token = owner_token(server)
        extra = postgres_processes() if url else []
        # warm-up: the first requests pay for imports, caches and the file growing
        warm = build_bodies(min(args.activities, 2000), args.per_request, 7, args.pii_every)
        send_batches(server.base_url, server.api_key, warm, args.concurrency, deadline)
        for r in range(args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                set_rules(server, token, SETTINGS[name])
                with ResourceSampler(server.pid, extra=extra) as sampler:
                    sent = send_batches(server.base_url, server.api_key, bodies[(r, name)], args.concurrency, deadline)
                masked = check_masked(server, server.api_key, bodies[(r, name)], name) if args.pii_every else {}
                result = {
                    "round": r,
                    "seconds": round(sent.seconds, 3),
                    "activities_per_second": round(args.activities / sent.seconds, 1),
                    "server_cpu_ms_per_activity": round(1000 * sampler.cpu_seconds / args.activities, 4),
                    "server_errors_resent": sent.server_errors,
                    "masked": masked,
                }
                if url:
                    result["postgres_cpu_ms_per_activity"] = round(
                        1000 * sampler.extra_cpu_seconds / args.activities, 4
                    )
                runs[name].append(result)
                print(
                    f"round {r + 1}/{args.rounds}  {name:18}  {result['activities_per_second']:8,.0f} activities/s"
                    f"  {result['server_cpu_ms_per_activity']:.4f} ms CPU/activity",
                    flush=True,
                )
    summary = {}
    for name in names:
        rate = median([x["activities_per_second"] for x in runs[name]])
        cpu = median([x["server_cpu_ms_per_activity"] for x in runs[name]])
        summary[name] = {"activities_per_second_median": round(rate, 1), "server_cpu_ms_per_activity_median": cpu}
    base = summary["off"]
    for figures in summary.values():
        figures["throughput_vs_off"] = round(
            figures["activities_per_second_median"] / base["activities_per_second_median"], 3
        )
        figures["cpu_vs_off"] = round(
            figures["server_cpu_ms_per_activity_median"] / base["server_cpu_ms_per_activity_median"], 3
        )
    return {
        "db": args.db,
        "rounds": args.rounds,
        "activities_per_run": args.activities,
        "per_request": args.per_request,
        "concurrency": args.concurrency,
        "pii_every": args.pii_every,
        "settings": SETTINGS,
        "summary": summary,
        "runs": runs,
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }


def report(result: dict) -> None:
    rows = []
    for name, figures in result["summary"].items():
        rows.append(
            (
                name,
                f"{figures['activities_per_second_median']:,.0f}/s ({figures['throughput_vs_off']:.2f}×)",
                f"{figures['server_cpu_ms_per_activity_median']:.4f} ms ({figures['cpu_vs_off']:.2f}×)",
            )
        )
    loads = " / ".join(f"{x[0]:.1f}" for x in (result["load_average_before"], result["load_average_after"]))
    print_table(
        f"Redaction cost on {result['db']}: median of {result['rounds']} rounds of {result['activities_per_run']:,}"
        f" activities, concurrency {result['concurrency']}, load {loads}",
        rows,
        headers=("redaction", "ingest (vs off)", "server CPU per activity (vs off)"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--activities", type=int, default=10_000, help="per run (one setting in one round)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=4, help="client connections")
    parser.add_argument("--per-request", type=int, default=100)
    parser.add_argument("--pii-every", type=int, default=10, help="one LLM call in N carries PII and a key; 0: none")
    parser.add_argument("--limit-minutes", type=float, default=15)
    args = parser.parse_args()
    result = run(args)
    report(result)
    print(f"\nwritten to {write_results(f'redaction-{args.db}', {'command': sys.argv, **result})}")


if __name__ == "__main__":
    main()
