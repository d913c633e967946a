"""Durations and numbers, parsed and printed canonically.

Durations are whole seconds internally. ``format_duration`` prints the largest Prometheus unit that
divides exactly (86400 -> ``1d``, 5400 -> ``90m``), so names such as ``ratio_rate1d`` are stable
whatever spelling the spec used (``24h`` or ``1d``).
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
DURATION_PATTERN = r"^([0-9]+[wdhms])+$"
MAX_DURATION = 3650 * 86400  # 10 years: far beyond any SLO window, RPO or horizon
MAX_DURATION_TEXT = "3650d (10 years)"


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> int:
    """``1h30m`` -> 5400. Units w d h m s, each at most once, largest first; no zero duration."""
    if not isinstance(text, str) or not text:
        raise DurationError(f"expected a duration such as 5m, 1h or 30d, got {text!r}")
    match = _DURATION.fullmatch(text)  # not .match: its $ would accept a trailing newline
    if not match:
        raise DurationError(
            f"{text!r} is not a duration: use whole numbers with units w, d, h, m, s, "
            "largest first (e.g. 90s, 5m, 1h30m, 30d)"
        )
    total = sum(int(v) * u for v, u in zip(match.groups(), _UNITS.values()) if v)
    if total <= 0:
        raise DurationError(f"{text!r} is zero: a duration must be positive")
    return total


def parse_spec_duration(text: str) -> int:
    """``parse_duration`` for a duration the user wrote: also at most MAX_DURATION. (Generated
    test durations may go past it: a 10-year RPO's test runs a little longer.)"""
    total = parse_duration(text)
    if total > MAX_DURATION:
        raise DurationError(f"{text!r} is too long: durations are at most {MAX_DURATION_TEXT}")
    return total


def format_duration(seconds: int) -> str:
    """Canonical Prometheus duration: one unit, the largest that divides exactly."""
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {seconds}")
    for unit in ("d", "h", "m", "s"):  # weeks are spelt in days: 7d reads better than 1w
        size = _UNITS[unit]
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("unreachable")


def compound_duration(seconds: int) -> str:
    """Exact Prometheus duration in every unit it needs, largest first: 29d23h59m59s."""
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {seconds}")
    parts = []
    for unit in ("d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)


def humanize_duration(seconds: float) -> str:
    """Readable duration for prose, rounded to its two largest units: 52s, 2m10s, 21h36m, 3d
    (30d4s reads 30d: the seconds do not matter next to the days)."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    units = ("d", "h", "m", "s")
    top = next(i for i, u in enumerate(units) if seconds >= _UNITS[u])
    step = _UNITS[units[min(top + 1, len(units) - 1)]]
    seconds = int(round(seconds / step)) * step
    parts = []
    for unit in units:
        size = _UNITS[unit]
        if seconds >= size and len(parts) < 2:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
        elif parts:
            break
    return "".join(parts)


def num(value: Decimal | int | float) -> str:
    """Print a number canonically for PromQL/YAML: 0.9995, 14.4, 1000, 1e-05 never 9.99e-06."""
    if isinstance(value, float):
        value = Decimal(repr(value))
    d = Decimal(value)
    with localcontext() as ctx:  # total: any finite Decimal prints, whatever its magnitude
        ctx.prec = max(28, d.adjusted() + 2, -d.as_tuple().exponent + 2)
        if d == d.to_integral_value():
            return format(d.to_integral_value(), "f")
        return format(d.normalize(), "f")


def to_decimal(value: object) -> Decimal:
    """Exact decimal of a YAML scalar (int, float as written, or numeric string)."""
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))
