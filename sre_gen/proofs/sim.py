"""A small exact model of the PromQL the SLO recording rules use, to compute the values a
generated test expects (``promql_expr_test``) instead of hard-coding them.

It implements ``rate`` (Prometheus' extrapolatedRate, including the counter zero clamp),
``sum_over_time`` and instant lookups, in exact fractions, under both range semantics:
Prometheus 2 selects samples in ``[t - range, t]``, Prometheus 3 in ``(t - range, t]``. A test
asserts a value only where both agree, so the generated tests do not depend on the version.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

LOOKBACK = 300  # seconds, Prometheus' default lookback delta for instant vectors


@dataclass(frozen=True)
class Sampled:
    """Samples at ``0, step, 2*step, ...`` (None = no sample)."""

    step: int
    values: tuple[Fraction | int | None, ...]

    @property
    def monotone(self) -> bool:
        """No gaps and never decreasing (a counter without resets): rate() needs only the ends."""
        cached = self.__dict__.get("_monotone")
        if cached is None:
            vals = self.values
            cached = all(v is not None for v in vals) and \
                all(a <= b for a, b in zip(vals, vals[1:]))
            object.__setattr__(self, "_monotone", cached)
        return cached

    def points(self, lo: int, hi: int, left_open: bool) -> list[tuple[int, Fraction]]:
        first = lo // self.step if lo >= 0 else 0
        if first * self.step < lo or (left_open and first * self.step == lo):
            first += 1
        last = min(hi // self.step, len(self.values) - 1)
        return [(k * self.step, self.values[k]) for k in range(max(first, 0), last + 1)
                if self.values[k] is not None]


@dataclass(frozen=True)
class Recorded:
    """A series recorded at evaluation times (sorted)."""

    times: tuple[int, ...]
    values: tuple[Fraction | None, ...]

    def points(self, lo: int, hi: int, left_open: bool) -> list[tuple[int, Fraction]]:
        i = bisect_right(self.times, lo) if left_open else bisect_left(self.times, lo)
        j = bisect_right(self.times, hi)
        return [(t, v) for t, v in zip(self.times[i:j], self.values[i:j]) if v is not None]


def _ends(series: Sampled, lo: int, hi: int, left_open: bool):
    """(t0, v0, t1, v1, n) of the samples in the range, for a series without gaps."""
    step, values = series.step, series.values
    first = max(0, -(-lo // step))
    if left_open and first * step == lo:
        first += 1
    last = min(hi // step, len(values) - 1)
    if last < first:
        return None
    return first * step, values[first], last * step, values[last], last - first + 1


def rate(series: Sampled, t: int, window: int, left_open: bool) -> Fraction | None:
    """``rate(series[window])`` at ``t`` (one series): Prometheus' extrapolatedRate, exactly."""
    if series.monotone:
        ends = _ends(series, t - window, t, left_open)
        if ends is None or ends[4] < 2:
            return None
        t0, v0, t1, v1, n = ends
        result = v1 - v0
    else:
        pts = series.points(t - window, t, left_open)
        if len(pts) < 2:
            return None
        (t0, v0), (t1, v1) = pts[0], pts[-1]
        n = len(pts)
        result = v1 - v0
        prev = 0
        for _, v in pts:  # counter resets
            if v < prev:
                result += prev
            prev = v
    to_start = t0 - (t - window)  # seconds; integers while no clamp applies
    to_end = t - t1
    sampled = t1 - t0
    if result > 0 and v0 >= 0:
        # the zero point of the counter: sampled * v0 / result, if nearer than the range start
        if sampled * v0 < to_start * result:
            to_start = Fraction(sampled) * v0 / result
    # extrapolate to an end closer than 1.1 x the average sample spacing, else half a spacing
    half = Fraction(sampled, 2 * (n - 1))
    interval = sampled
    interval += to_start if to_start * 10 * (n - 1) < 11 * sampled else half
    interval += to_end if to_end * 10 * (n - 1) < 11 * sampled else half
    return Fraction(result) * interval / (sampled * window)


def instant(series: Sampled | Recorded, t: int, left_open: bool) -> Fraction | None:
    pts = series.points(t - LOOKBACK, t, left_open)
    return Fraction(pts[-1][1]) if pts else None


def sum_over_time(series: Recorded, t: int, window: int, left_open: bool) -> Fraction | None:
    pts = series.points(t - window, t, left_open)
    return sum((v for _, v in pts), Fraction(0)) if pts else None


def avg_over_time(series: Recorded, t: int, window: int, left_open: bool) -> Fraction | None:
    pts = series.points(t - window, t, left_open)
    return sum((v for _, v in pts), Fraction(0)) / len(pts) if pts else None


def record(times: Sequence[int], fn: Callable[[int], Fraction | None]) -> Recorded:
    """Evaluate a recording rule at every evaluation time."""
    return Recorded(tuple(times), tuple(fn(t) for t in times))


def div(a: Fraction | None, b: Fraction | None) -> Fraction | None:
    """PromQL division of two one-sample vectors; None for an empty result or 0/0 and x/0."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def add(*parts: Fraction | None) -> Fraction | None:
    """``sum`` over the series that exist (None when none does)."""
    present = [p for p in parts if p is not None]
    return sum(present, Fraction(0)) if present else None
