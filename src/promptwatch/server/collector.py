"""The cyclic garbage collector of a serving process, tuned once its app is built.

Ingest makes many short-lived dicts and lists; with Python's default thresholds (a young collection every 700
allocations) the collector took about a tenth of the request side's CPU. A serving process collects its young
generation every 20,000 allocations instead, and the objects built at start (modules, routes, models, which
live as long as the process) are frozen out of the older generations' walks (docs/benchmarks.md, "The garbage
collector of a serving process"). Test processes build and drop many apps, so they keep the defaults: a frozen
app that is dropped later would never be collected.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
OLDER_THRESHOLDS = (20, 20)


def tune_for_serving() -> None:
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
