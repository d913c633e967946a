"""Interpreting spec values: shared by the semantic checks and the model builder."""

from __future__ import annotations

from decimal import Decimal

from sre_gen import burnrate
from sre_gen.durations import parse_duration, to_decimal
from sre_gen.model import Matcher, MetricSelector

DEFAULT_SLO_WINDOW = "30d"

# The SRE workbook's four tiers, as budget shares so they scale to any SLO window.
DEFAULT_TIERS = (
    {"name": "fast", "budgetPercent": 2, "longWindow": "1h", "shortWindow": "5m",
     "severity": "critical"},
    {"name": "moderate", "budgetPercent": 5, "longWindow": "6h", "shortWindow": "30m",
     "severity": "critical"},
    {"name": "slow", "budgetPercent": 10, "longWindow": "1d", "shortWindow": "2h",
     "severity": "warning"},
    {"name": "very-slow", "budgetPercent": 10, "longWindow": "3d", "shortWindow": "6h",
     "severity": "warning"},
)  # fmt: skip

_OPS = {"equals": "=", "notEquals": "!=", "regex": "=~", "notRegex": "!~"}


def matchers_of(selector: dict | None) -> tuple[Matcher, ...]:
    out = []
    for name, value in (selector or {}).items():
        if isinstance(value, str):
            out.append(Matcher(name, "=", value))
        else:
            ((key, text),) = value.items()
            out.append(Matcher(name, _OPS[key], text))
    return tuple(out)


def metric_selector(metric: str, selector: dict | None) -> MetricSelector:
    return MetricSelector(metric, matchers_of(selector))


def latency_seconds(value: object) -> Decimal:
    """``200ms`` -> 0.2, ``1.5s`` -> 1.5, ``1`` -> 1."""
    if isinstance(value, str):
        if value.endswith("ms"):
            return (Decimal(value[:-2]) / 1000).normalize()
        return Decimal(value[:-1]).normalize()
    return to_decimal(value)


def tier_specs(policy: dict | None) -> list[dict]:
    tiers = (policy or {}).get("tiers")
    return list(tiers) if tiers else [dict(t) for t in DEFAULT_TIERS]


def resolve_tier(tier: dict, slo_window: int) -> tuple[Decimal, int, int]:
    """(burn rate, long window s, short window s) of one tier for one SLO window."""
    long_w = parse_duration(tier["longWindow"])
    short_w = (
        parse_duration(tier["shortWindow"])
        if "shortWindow" in tier
        else burnrate.default_short_window(long_w)
    )
    if "burnRate" in tier:
        rate = burnrate.tidy(to_decimal(tier["burnRate"]))
    else:
        rate = burnrate.factor_from_budget_share(to_decimal(tier["budgetPercent"]), slo_window,
                                                 long_w)
    return rate, long_w, short_w
