"""Per-call cost of pricing and token counting on the ingest path (budget: 0.1 ms per activity in total).

Run: `.venv/bin/python bench/bench_pricing.py`. Prints medians of 10,000 timed calls after a warm-up.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta, timezone

from genai_prices import Usage, calc_price

from promptwatch.server.services.pricing import PriceBook, PriceOverride
from promptwatch.server.services.token_counting import count_tokens

CALLS = 10_000
AT = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
# ~1.5 KB of ordinary English, as a prompt would be
PROMPT = (
    "You are a helpful assistant for a travel company. The customer below is planning a two-week trip to "
    "Portugal in early October with their partner and two children aged seven and eleven. They would like "
    "to spend a few days in Lisbon, then travel along the coast to the Algarve, with one or two nights in "
    "a quieter inland town on the way. Please suggest an itinerary that balances sightseeing with time at "
    "the beach, keeps daily travel under three hours, and lists at least two family-friendly restaurants "
    "in each place. Mention any museums that offer discounts for children, and point out which activities "
    "need to be booked in advance. The family does not rent a car in Lisbon but is happy to drive after "
    "that. Their budget for accommodation is around one hundred and eighty euros per night, and they "
    "prefer apartments with a kitchen over hotel rooms. Finally, add a short packing list suited to the "
    "weather in October, and note any public holidays or local festivals that fall within their dates, "
    "since these may affect opening hours or make some places busier than usual. Keep the answer friendly "
    "and practical, use headings for each stop, and finish with a one-paragraph summary of the whole trip "
    "that they can share with the grandparents, who may join them for the last few days in the Algarve. "
    "If any part of the plan depends on the weather, offer an indoor alternative, and say roughly how much "
    "each day is likely to cost for the four of them, excluding accommodation and the flights home."
)


def median_us(call, calls: int = CALLS) -> float:
    """Median wall time of one call, in microseconds."""
    for _ in range(100):
        call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def main() -> None:
    started = time.perf_counter()
    book = PriceBook()
    print(f"PriceBook() (imports the 1.6 MB genai-prices table): {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    count_tokens("warm-up", "gpt-4o")
    count_tokens("warm-up", "gpt-4")
    print(f"first count_tokens (loads o200k + cl100k): {time.perf_counter() - started:.2f} s")

    overrides = [PriceOverride(1, "acme-ft-1", 1.0, 2.0, AT - timedelta(days=days)) for days in (30, 1)]
    usage = Usage(input_tokens=1_200, output_tokens=350)

    def priced(model, provider=None, overrides=()):
        return lambda: book.cost(model, provider, 1_200, 350, AT, overrides)

    rows = [
        ("PriceBook.cost gpt-4o", priced("gpt-4o", "openai")),
        ("PriceBook.cost openai/gpt-4o-mini", priced("openai/gpt-4o-mini")),
        ("PriceBook.cost claude-sonnet-4-5 (tiered)", priced("claude-sonnet-4-5")),
        ("PriceBook.cost deepseek-chat (off-peak hours)", priced("deepseek-chat")),
        ("PriceBook.cost gpt-4o, 2 overrides not matching", priced("gpt-4o", "openai", overrides)),
        ("PriceBook.cost override hit", priced("acme-ft-1", None, overrides)),
        ("PriceBook.cost unknown model", priced("no-such-model")),
        ("PriceBook.cost sonar (per-request fee: calc_price)", priced("sonar", "perplexity")),
        (
            "genai_prices.calc_price gpt-4o (for comparison)",
            lambda: calc_price(usage, "gpt-4o", provider_id="openai"),
        ),
    ]
    for label, call in rows:
        print(f"{label:<52} {median_us(call):8.2f} µs")
    prompt_bytes = len(PROMPT.encode())
    for model in ("gpt-4o", "gpt-4"):
        us = median_us(lambda model=model: count_tokens(PROMPT, model), calls=2_000)
        tokens = count_tokens(PROMPT, model)
        print(f"{f'count_tokens {prompt_bytes} B prompt, {model} ({tokens} tokens)':<52} {us:8.2f} µs")


if __name__ == "__main__":
    main()
