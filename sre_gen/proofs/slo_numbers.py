"""The exact numbers of an SLO's proofs: test levels as short decimals, margins around a
threshold, durations and factors in prose, phases of fed traffic (``sre_gen.proofs.slo``)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from sre_gen.proofs.inputs import Feed, Phase
from sre_gen.durations import humanize_duration, num
from sre_gen.model import BurnTier

if TYPE_CHECKING:
    from sre_gen.proofs.slo import SloTests


MARGIN = Fraction(1, 50)  # a condition is "clearly" true/false beyond 2% of its threshold
FIRE_FACTORS = (Fraction(5, 4), Fraction(6, 5), Fraction(13, 10), Fraction(23, 20),
                Fraction(27, 20), Fraction(11, 10), Fraction(7, 5), Fraction(3, 2))
BELOW_FACTORS = (Fraction(4, 5), Fraction(3, 4), Fraction(17, 20), Fraction(7, 10),
                 Fraction(9, 10), Fraction(13, 20))



class Untestable(Exception):
    pass


def _x(factor: Fraction) -> str:
    """A factor in prose, to 3 significant digits (test levels are rounded: 1.25x, 0.8x)."""
    exact = Decimal(factor.numerator) / Decimal(factor.denominator)
    return f"{num(Decimal(format(exact, '.3g')))}x"


LEVEL_DIGITS = 3  # significant digits of a tier's test levels


def _short(value: Fraction, up: bool) -> Fraction:
    """``value`` (> 0) rounded to LEVEL_DIGITS significant digits, up or down. Test levels are
    short decimals so that a whole number of events per sample (10^k, k = the decimals)
    gives every level a whole number of errors with k small: counters stay far below 2^53."""
    e = 0
    while Fraction(10) ** e > value:
        e -= 1
    while Fraction(10) ** (e + 1) <= value:
        e += 1
    unit = Fraction(10) ** (e - LEVEL_DIGITS + 1)
    n = value / unit
    n = -(-n // 1) if up else n // 1
    return n * unit


def _d(seconds: int | Fraction) -> str:
    """A duration in prose: 1h30m, 52s."""
    return humanize_duration(float(seconds))



def sim_lookback() -> int:
    from sre_gen.proofs.sim import LOOKBACK

    return LOOKBACK


def _condition(tests: SloTests, model, tier: BurnTier, t: int, lo: bool) -> bool:
    """Both burn-rate conditions of the tier at t (clearly above the threshold) in the model."""
    theta = tests.theta(tier)
    for w in (tier.long_window, tier.short_window):
        v = model.ratio_in(w, t, lo, src=tests.src(w), fed_ok=True)
        if v is None or v <= theta * (1 + MARGIN):
            return False
    return True


def _dyadic(value: Fraction, up: bool) -> Fraction:
    """``value`` rounded to a multiple of 1/1024, which float64 adds up exactly."""
    scaled = value * 1024
    n = -(-scaled // 1) if up else scaled // 1
    return Fraction(max(int(n), 1), 1024)


def _decimals(value: Fraction) -> int:
    """Decimal places of a finite decimal (0.00576 -> 5)."""
    d = 0
    while (value * 10 ** d).denominator != 1:
        d += 1
        if d > 30:
            raise Untestable(f"{value} is not a finite decimal")
    return d


def _fill(phases: list[Phase], end: int, gauge: bool) -> list[Phase]:
    """The phases with the gaps between them (and before, after) made explicit: no traffic,
    or for gauges no sample."""
    out, at = [], 0
    for p in sorted(phases, key=lambda p: p.start):
        if p.start > at:
            out.append(Phase(at, p.start, Fraction(0), Fraction(0)))
        out.append(p)
        at = p.end
    if at < end:
        out.append(Phase(at, end, Fraction(0), Fraction(0)))
    return out


def _dec(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _restep(feed: Feed, every: int) -> Feed:
    """A copy of a fed-series feed sampled at the test's evaluation interval."""
    import copy

    out = copy.copy(feed)
    out.step = every
    return out


def _state(value: Fraction, threshold: Fraction, strict: bool = True) -> bool | None:
    if value > threshold * (1 + MARGIN):
        return True
    if value < threshold * (1 - MARGIN):
        return False
    if not strict and value >= threshold * (1 + MARGIN):
        return True
    return None
