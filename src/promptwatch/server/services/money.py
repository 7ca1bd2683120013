"""Costs as the API answers them when they are sums.

Costs are stored as floating-point dollars, and a sum of them carries the binary rounding of each term:
0.1 + 0.2 is 0.30000000000000004. A summed cost (a session's total, the usage metrics, a template version's
stats, what the cache saved, an account's usage) leaves the services through `money`, which rounds that noise
away; stored sums keep every bit. A call's cost is priced as `money` too (`pricing.py`), and stored so.
"""

from __future__ import annotations

__all__ = ["money"]

PLACES = 12  # a millionth of a millionth of a dollar: a call that costs $0.00000001 still keeps four digits
DIGITS = 15  # as many significant digits as a double always holds: a total of $30,000 keeps its cents clean


def money_bounds(low: float | None, high: float | None) -> tuple[float | None, float | None]:
    """A range of costs as the API answers them, as bounds on the stored sums: a sum whose `money` is a bound
    (0.30000000000000004 for 0.3) is within the range."""
    return (None if low is None else low - _rounded_away(low), None if high is None else high + _rounded_away(high))


def _rounded_away(dollars: float) -> float:
    """At most what `money` takes from or adds to a sum near `dollars`."""
    return abs(dollars) * 0.5 * 10.0 ** (1 - DIGITS) + 0.5 * 10.0**-PLACES


def money(dollars: float) -> float:
    """`dollars` rounded to PLACES decimal places and DIGITS significant digits, the rounding of summed binary
    fractions taken away (30000.300000000003 reads 30000.3, and what deleted costs leave of a total, 2.8e-17,
    reads 0); never -0.0."""
    rounded = round(dollars, PLACES) + 0.0
    if -_FEW_DIGITS < rounded < _FEW_DIGITS:  # PLACES decimals are at most DIGITS digits: nothing more to do
        return rounded
    return float(f"{rounded:.{DIGITS}g}")


_FEW_DIGITS = 10.0 ** (DIGITS - PLACES)  # below it, PLACES decimal places are DIGITS significant digits at most
