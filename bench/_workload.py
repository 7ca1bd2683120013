"""Realistic LLM sessions for the benchmarks, generated from a seeded RNG (the same seed gives the same data).

A session is a chain-sequence root with 2–9 children: llm-prompt calls (about 1.5 KB of prompt text and
300 B of output, a model from a small set, token usage, a prompt template on half of them), retrieved
documents and tool actions. The text is drawn word by word from a Zipf-weighted English vocabulary, so it
compresses like prose rather than like a repeated string. Sessions come out oldest first, as live traffic
arrives.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

_VOCABULARY = """
the of and to a in is it you that he was for on are with as his they be at one have this from or had by
not word but what some we can out other were all there when up use your how said an each she which do
their time if will way about many then them write would like so these her long make thing see him two has
look more day could go come did number sound no most people my over know water than call first who may
down side been now find any new work part take get place made live where after back little only round man
year came show every good me give our under name very through just form sentence great think say help low
line differ turn cause much mean before move right boy old too same tell does set three want air well also
play small end put home read hand port large spell add even land here must big high such follow act why
ask men change went light kind off need house picture try us again animal point mother world near build
self earth father head stand own page should country found answer school grow study still learn plant cover
food sun four between state keep eye never last let thought city tree cross farm hard start might story saw
far sea draw left late run while press close night real life few north open seem together next white
children begin got walk example ease paper group always music those both mark often letter until mile river
car feet care second book carry took science eat room friend began idea fish mountain stop once base hear
horse cut sure watch color face wood main enough plain girl usual young ready above ever red list though
feel talk bird soon body dog family direct pose leave song measure door product black short numeral class
wind question happen complete ship area half rock order fire south problem piece told knew pass since top
whole king space heard best hour better true during hundred five remember step early hold west ground
interest reach fast verb sing listen six table travel less morning ten simple several vowel toward war lay
against pattern slow center love person money serve appear road map rain rule govern pull cold notice voice
unit power town fine certain fly fall lead cry dark machine note wait plan figure star box noun field rest
correct able pound done beauty drive stood contain front teach week final gave green quick develop ocean
warm free minute strong special mind behind clear tail produce fact street inch multiply nothing course stay
wheel full force blue object decide surface deep moon island foot system busy test record boat common gold
possible plane stead dry wonder laugh thousand ago ran check game shape equate miss brought heat snow tire
bring yes distant fill east paint language among customer account invoice refund order shipping delivery
policy contract service support ticket issue error request response model prompt document search query
result summary report table column database user password login payment subscription plan price discount
return warranty product feature release version update install configure deploy server client network
""".split()  # noqa: SIM905 - a paragraph of words reads better than a 500-item list
_WEIGHTS = list(itertools.accumulate(1.0 / (rank + 10) for rank in range(len(_VOCABULARY))))

MODELS = (  # (model, provider, weight)
    ("gpt-4o-mini", "openai", 40),
    ("gpt-4o", "openai", 25),
    ("claude-3-5-sonnet-20241022", "anthropic", 20),
    ("gemini-1.5-flash", "google", 10),
    ("llama-3.1-70b-instruct", "meta", 5),
)
RARE_MODEL = MODELS[-1][0]
COMMON_MODEL = MODELS[0][0]
PROJECTS = ("support-bot", "search", "agents", "summarizer", "sql-assistant")
TEMPLATES = ("answer-with-context", "classify-ticket", "summarize-thread", "write-sql")
TOOLS = ("web-search", "calculator", "sql", "crm-lookup")
ERROR_RATE = 0.03  # share of sessions with a failing llm-prompt


@dataclass
class Session:
    """One session as the native API takes it, with its activities (root first)."""

    record: dict
    activities: list[dict] = field(default_factory=list)


@dataclass
class Workload:
    """A stream of sessions from `seed`; `end` is the start time of the newest session."""

    seed: int = 1
    days: int = 30
    end: datetime = field(default_factory=lambda: datetime.now(timezone.utc).replace(microsecond=0))

    def sessions(self, activities: int) -> Iterator[Session]:
        """Sessions, oldest first, until `activities` activities have been produced (the last is cut to fit)."""
        rng = random.Random(self.seed)
        average_gap = self.days * 86400 / max(activities / 6.5, 1)  # ~6.5 activities per session
        clock = self.end - timedelta(days=self.days)
        produced = 0
        while produced < activities:
            clock += timedelta(seconds=rng.expovariate(1 / average_gap))
            session = self._session(rng, clock, min(rng.randint(3, 10), activities - produced))
            produced += len(session.activities)
            yield session

    def _session(self, rng: random.Random, start: datetime, size: int) -> Session:
        sid = _uuid(rng)
        project = rng.choice(PROJECTS)
        failing = rng.random() < ERROR_RATE
        question = _sentence(rng, 8, 20).rstrip(".") + "?"
        root = {
            "id": _uuid(rng),
            "session_id": sid,
            "activity_type": "chain-sequence",
            "name": "rag-chain",
            "sequence_type": "chain",
            "start_time": _iso(start),
            "inputs": {"question": question},
        }
        activities, clock, answer = [root], start + timedelta(milliseconds=rng.randint(1, 20)), ""
        kinds = ["llm-prompt"] + rng.choices(("llm-prompt", "retrieved-docs", "action"), (6, 2, 2), k=size - 2)
        kinds = kinds[: size - 1]
        rng.shuffle(kinds)
        calls = [position for position, kind in enumerate(kinds) if kind == "llm-prompt"]
        error_at = rng.choice(calls) if failing and calls else -1
        for position, kind in enumerate(kinds):
            item, clock = _CHILDREN[kind](rng, clock)
            item.update(id=_uuid(rng), session_id=sid, parent_activity_id=root["id"], order=position)
            if position == error_at:
                item["error"] = "RateLimitError: Rate limit reached for requests per minute. Try again in 20s."
                del item["generated"], item["usage"]["completion_tokens"]
            if kind == "llm-prompt":
                _give_feedback(item)
            answer = item.get("generated", answer)
            activities.append(item)
        root["end_time"] = _iso(clock)
        root["outputs"] = {"answer": answer}
        record = {
            "id": sid,
            "session_name": f"{project} conversation",
            "tracking_project": project,
            "tracking_tenant": f"tenant-{rng.randint(1, 50):03d}",
            "start_time": _iso(start),
            "end_time": _iso(clock),
            "is_error": failing,
            "tags": ["production"] if rng.random() < 0.8 else ["staging"],
            "metadata": {"user_id": f"user-{rng.randint(1, 5000)}", "channel": rng.choice(("web", "api", "slack"))},
        }
        return Session(record, activities)


def _give_feedback(call: dict) -> None:
    """Thumbs on some calls, drawn from the call's id so that the rest of the data stays as it was: one call in
    20 up, one in 200 down."""
    draw = int(call["id"][-4:], 16)
    if draw % 200 == 0:
        call["feedback_label"] = 0
    elif draw % 20 == 1:
        call["feedback_label"] = 1


def agent_session(activities: int, seed: int = 7, start: datetime | None = None) -> Session:
    """One long agent run of `activities` activities: an `agent` chain-sequence root with steps under it, each
    step a chain-sequence with one child: a tool action (60 %), an llm-prompt call (25 %) or retrieved documents
    (the same generators as `Workload`, so the bodies are as large and compress alike)."""
    rng = random.Random(seed)
    clock = start or datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    sid = _uuid(rng)
    root = {
        "id": _uuid(rng),
        "session_id": sid,
        "activity_type": "chain-sequence",
        "name": "agent",
        "sequence_type": "agent",
        "start_time": _iso(clock),
        "inputs": {"task": _sentence(rng, 8, 20)},
    }
    out, step = [root], 0
    while len(out) < activities:
        step += 1
        clock += timedelta(milliseconds=rng.randint(1, 20))
        chain = {
            "id": _uuid(rng),
            "session_id": sid,
            "parent_activity_id": root["id"],
            "activity_type": "chain-sequence",
            "name": f"step {step}",
            "sequence_type": "step",
            "start_time": _iso(clock),
            "inputs": {"thought": _sentence(rng, 6, 16)},
        }
        out.append(chain)
        if len(out) < activities:
            kind = rng.choices(("llm-prompt", "action", "retrieved-docs"), (5, 12, 3))[0]
            item, clock = _CHILDREN[kind](rng, clock)
            item.update(id=_uuid(rng), session_id=sid, parent_activity_id=chain["id"])
            out.append(item)
        chain["end_time"] = _iso(clock)
    root["end_time"] = _iso(clock)
    record = {"id": sid, "session_name": "agent run", "tracking_project": "agents", "start_time": root["start_time"]}
    record["end_time"] = root["end_time"]
    return Session(record, out)


def requests(sessions: Iterator[Session], per_request: int = 100) -> Iterator[dict]:
    """Native ingest batches of exactly `per_request` activities (the last may be smaller); a session rides
    along with the request that carries its first activity."""
    batch: dict = {"sessions": [], "activities": []}
    for session in sessions:
        batch["sessions"].append(session.record)
        for activity in session.activities:
            batch["activities"].append(activity)
            if len(batch["activities"]) == per_request:
                yield batch
                batch = {"sessions": [], "activities": []}
    if batch["activities"] or batch["sessions"]:
        yield batch


def _llm_prompt(rng: random.Random, clock: datetime) -> tuple[dict, datetime]:
    model, provider, _ = rng.choices(MODELS, [m[2] for m in MODELS])[0]
    prompt, generated = _text(rng, rng.randint(1300, 1700)), _text(rng, rng.randint(250, 350))
    end = clock + timedelta(milliseconds=rng.randint(300, 4000))
    item = {
        "activity_type": "llm-prompt",
        "name": "llm",
        "start_time": _iso(clock),
        "end_time": _iso(end),
        "prompt": prompt,
        "generated": generated,
        "model": model,
        "provider": provider,
        "settings": {"temperature": rng.choice((0.0, 0.2, 0.7)), "max_tokens": 512},
        "usage": {
            "prompt_tokens": len(prompt) // 4,
            "completion_tokens": len(generated) // 4,
            "total_tokens": len(prompt) // 4 + len(generated) // 4,
        },
        "time_to_first_token_ms": float(rng.randint(150, 900)),
    }
    if rng.random() < 0.5:
        item["prompt_template"] = {"template_name": rng.choice(TEMPLATES), "template_version": str(rng.randint(1, 4))}
        item["prompt_input_values"] = {"question": _sentence(rng, 6, 14)}
    return item, end + timedelta(milliseconds=rng.randint(1, 30))


def _retrieved_docs(rng: random.Random, clock: datetime) -> tuple[dict, datetime]:
    end = clock + timedelta(milliseconds=rng.randint(40, 300))
    documents = [
        {"id": f"doc-{rng.randint(1, 99999)}", "text": _text(rng, rng.randint(200, 400)), "source": "kb"}
        for _ in range(3)
    ]
    item = {
        "activity_type": "retrieved-docs",
        "name": "retriever",
        "start_time": _iso(clock),
        "end_time": _iso(end),
        "documents": documents,
        "scores": [round(rng.random(), 3) for _ in documents],
    }
    return item, end + timedelta(milliseconds=rng.randint(1, 30))


def _action(rng: random.Random, clock: datetime) -> tuple[dict, datetime]:
    end = clock + timedelta(milliseconds=rng.randint(80, 1500))
    item = {
        "activity_type": "action",
        "name": "tool",
        "tool_type": rng.choice(TOOLS),
        "start_time": _iso(clock),
        "end_time": _iso(end),
        "input": _sentence(rng, 5, 12),
        "output": _text(rng, rng.randint(100, 250)),
    }
    return item, end + timedelta(milliseconds=rng.randint(1, 30))


_CHILDREN = {"llm-prompt": _llm_prompt, "retrieved-docs": _retrieved_docs, "action": _action}


def _word_pool(seed: int) -> list[str]:
    """A million Zipf-weighted words; sentences are random slices of it (drawing each word is too slow)."""
    return random.Random(seed).choices(_VOCABULARY, cum_weights=_WEIGHTS, k=_POOL_SIZE)


_POOL_SIZE = 1_000_000
_pool: list[str] = []


def _sentence(rng: random.Random, shortest: int, longest: int, start: int | None = None) -> str:
    if not _pool:
        _pool.extend(_word_pool(0))
    count = shortest + int(rng.random() * (longest - shortest + 1))
    start = int(rng.random() * (_POOL_SIZE - 1000)) if start is None else start
    return " ".join(_pool[start : start + count]).capitalize() + "."


def _text(rng: random.Random, length: int) -> str:
    """Prose of `length` characters: consecutive sentences from one random place in the word pool."""
    sentences, size, start = [], 0, None
    while size < length:
        if start is None:
            start = int(rng.random() * (_POOL_SIZE - 1000))
        sentences.append(_sentence(rng, 6, 22, start))
        start += sentences[-1].count(" ") + 1
        size += len(sentences[-1]) + 1
    return " ".join(sentences)[:length]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
