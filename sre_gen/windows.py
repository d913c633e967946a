"""Which error-ratio windows an SLO records, and where each window's ratio comes from.

Every SLO records its error ratio for: the base window, each tier's short and long window, and the
SLO window. A window's ratio is computed from one of four sources (docs/long-windows.md):

- ``RAW``: the raw counters (``sum(rate(errors[W])) / sum(rate(total[W]))``), for windows up to
  ``settings.raw_window_max`` (default 6h): exact, and cheap because these windows are short;
- ``BASE``: ``sum_over_time`` over the base series, recorded every evaluation (a rate over the
  base window): request-weighted, one series per SLO, but one sample per evaluation interval;
- a ``Level``: ``sum_over_time`` over a coarser series recorded once per ``step`` (5m = the base
  window, and 1h), holding the events of that step: the same request weighting for a fraction of
  the samples (a 30d window reads 720 hourly samples instead of 43,200), at the price of up to one
  step of lag. A window uses the coarsest level whose step is at most 1% of it
  (``LAG_SHARE``): 1d and 3d read the 5m level, 7d and longer the 1h level.

Gauge SLIs have no raw counters: all their windows are derived (base series or levels).
"""

from __future__ import annotations

from dataclasses import dataclass

from sre_gen.model import SLO, GaugeSLI, Settings

HOUR = 3600
LAG_SHARE = 100  # a level's step may be at most 1/100 of the windows that read it


@dataclass(frozen=True)
class Level:
    """A series recorded at one evaluation per ``step`` (the first evaluation of each step:
    ``time() % step < interval``), holding the events of the step it ends. ``of`` is the level
    it sums (None: the base series itself, sampled once per step)."""

    step: int
    interval: int
    of: "Level | None" = None


RAW = "raw"
BASE = "base"
Source = str | Level


def slo_windows(slo: SLO, settings: Settings) -> tuple[int, ...]:
    """Sorted, de-duplicated windows (seconds) for which ``slo:sli_error:ratio_rate<W>`` exists."""
    windows = {settings.base_window, slo.window}
    for tier in slo.tiers:
        windows.update((tier.short_window, tier.long_window))
    return tuple(sorted(windows))


def is_raw(window: int, slo: SLO, settings: Settings) -> bool:
    """True when the window's ratio is computed from raw counters rather than derived."""
    if isinstance(slo.sli, GaugeSLI):
        return False
    return window <= settings.raw_window_max


def available_levels(settings: Settings) -> tuple[Level, ...]:
    """The levels these settings allow, finest first. The 5m level samples the base series once
    per base window, which tiles time only when the base window is a whole number of evaluation
    intervals; the 1h level sums twelve 5m samples, so it needs the base window to divide 1h.
    ``settings.coarseLevels: false`` turns them off."""
    base, every = settings.base_window, settings.evaluation_interval
    if not settings.coarse_levels or base % every or base >= HOUR:
        return ()
    first = Level(base, every)
    if HOUR % base:
        return (first,)
    return first, Level(HOUR, every, first)


def source(window: int, slo: SLO, settings: Settings) -> Source:
    """Where the ratio over ``window`` comes from (see the module docstring)."""
    if is_raw(window, slo, settings):
        return RAW
    fitting = [lv for lv in available_levels(settings) if lv.step * LAG_SHARE <= window]
    return fitting[-1] if fitting else BASE


def used_levels(slo: SLO, settings: Settings) -> tuple[Level, ...]:
    """The levels an SLO records: those its windows read, and the levels they sum."""
    out: set[Level] = set()
    for window in slo_windows(slo, settings):
        src = source(window, slo, settings)
        while isinstance(src, Level):
            out.add(src)
            src = src.of
    return tuple(sorted(out, key=lambda lv: lv.step))
