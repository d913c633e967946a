"""Multi-window multi-burn-rate math (SRE workbook, chapter 5), as pure functions.

S = objective ratio, budget = 1 - S, W = long window, P = SLO window, b = burn-rate factor.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext

_PLACES = Decimal("0.000001")


def tidy(value: Decimal) -> Decimal:
    """Round to 6 decimals and drop trailing zeros: 0.93333333 -> 0.933333, 14.40 -> 14.4."""
    with localcontext() as ctx:  # total: enough digits for any magnitude (quantize would trap)
        ctx.prec = max(28, value.adjusted() + 8)
        return value.quantize(_PLACES, rounding=ROUND_HALF_EVEN).normalize()


def factor_from_budget_share(percent: Decimal, slo_window: int, long_window: int) -> Decimal:
    """b = f x P / W: the factor that spends ``percent`` of the budget within the long window."""
    return tidy(percent / 100 * Decimal(slo_window) / Decimal(long_window))


def default_short_window(long_window: int) -> int:
    """The workbook's guideline: short window = long window / 12 (whole seconds)."""
    return max(1, long_window // 12)


def error_ratio_threshold(burn_rate: Decimal, error_budget: Decimal) -> Decimal:
    """The error ratio a window must exceed: b x (1 - S)."""
    return burn_rate * error_budget


def reachable(burn_rate: Decimal, error_budget: Decimal) -> bool:
    """A tier can fire only if its threshold is below a 100% error ratio."""
    return error_ratio_threshold(burn_rate, error_budget) < 1


def max_reachable_burn_rate(error_budget: Decimal) -> Decimal:
    """Every b strictly below 1 / (1 - S) is reachable."""
    return tidy(1 / error_budget)


def detection_seconds(burn_rate: Decimal, error_budget: Decimal, error_ratio: Decimal,
                      long_window: int) -> Decimal:
    """Time for a step to ``error_ratio`` to fire the tier: (1 - S) / e x W x b (one rounding:
    the products are exact, so a whole number of seconds comes out whole)."""
    return error_budget * Decimal(long_window) * burn_rate / error_ratio


def budget_consumed_at_fire(burn_rate: Decimal, long_window: int, slo_window: int) -> Decimal:
    """Share of the SLO window's budget spent when the tier fires: b x W / P."""
    return burn_rate * Decimal(long_window) / Decimal(slo_window)


def exhaustion_seconds(burn_rate: Decimal, slo_window: int) -> Decimal:
    """At burn rate b the whole budget is gone after P / b."""
    return Decimal(slo_window) / burn_rate


def clear_seconds(burn_rate: Decimal, error_budget: Decimal, error_ratio: Decimal,
                  short_window: int) -> Decimal:
    """After a step from ``error_ratio`` back to none (having lasted at least the short window),
    the time until the short window's ratio drops to the threshold again: S x (1 - b x (1 - S) /
    e). The long window stays above it longer; the short one resets the alert."""
    return Decimal(short_window) * (1 - error_ratio_threshold(burn_rate, error_budget) /
                                    error_ratio)
