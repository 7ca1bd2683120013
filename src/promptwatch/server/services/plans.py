"""The plans an account can be on, and how a month's usage becomes invoice lines (integer cents)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

GB = 1_000_000_000


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    monthly_fee_cents: int
    included_calls: int
    per_thousand_calls_cents: int
    included_gb: int
    per_gb_cents: int
    included_seats: int
    per_seat_cents: int

    def as_dict(self) -> dict:
        return asdict(self)


PLANS: dict[str, Plan] = {
    p.code: p
    for p in (
        Plan("free", "Free", 0, 10_000, 0, 1, 0, 3, 0),
        Plan("team", "Team", 4_900, 100_000, 50, 10, 100, 5, 900),
        Plan("business", "Business", 29_900, 1_000_000, 30, 100, 80, 20, 700),
    )
}


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def invoice_lines(plan: Plan, period: str, usage: dict) -> list[dict]:
    """Lines for one month: the plan's fee, then usage above what the plan includes."""
    lines = [
        {
            "description": f"{plan.name} plan, {period}",
            "quantity": 1,
            "unit": "month",
            "unit_price_cents": plan.monthly_fee_cents,
        }
    ]
    extra_calls = max(0, usage["llm_calls"] - plan.included_calls)
    if extra_calls and plan.per_thousand_calls_cents:
        lines.append(
            {
                "description": f"Tracked model calls above {plan.included_calls:,} ({usage['llm_calls']:,} in total)",
                "quantity": _ceil_div(extra_calls, 1000),
                "unit": "1,000 calls",
                "unit_price_cents": plan.per_thousand_calls_cents,
            }
        )
    extra_bytes = max(0, usage["stored_bytes"] - plan.included_gb * GB)
    if extra_bytes and plan.per_gb_cents:
        lines.append(
            {
                "description": f"Stored data above {plan.included_gb} GB",
                "quantity": _ceil_div(extra_bytes, GB),
                "unit": "GB",
                "unit_price_cents": plan.per_gb_cents,
            }
        )
    extra_seats = max(0, usage["seats"] - plan.included_seats)
    if extra_seats and plan.per_seat_cents:
        lines.append(
            {
                "description": f"Seats above {plan.included_seats}",
                "quantity": extra_seats,
                "unit": "seat",
                "unit_price_cents": plan.per_seat_cents,
            }
        )
    for line in lines:
        line["amount_cents"] = line["quantity"] * line["unit_price_cents"]
    return lines
