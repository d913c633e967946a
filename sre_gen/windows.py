"""Which error-ratio windows an SLO records, and how each is computed.

Every SLO records its error ratio for: the base window, each tier's short and long window, and the
SLO window. Windows up to ``settings.raw_window_max`` (default 6h) are computed from the raw
counters (exact); longer ones are derived from the base-window series with sum_over_time (cheap,
request-weighted; see docs/long-windows.md). Gauge SLIs have no raw counters: all their windows are
derived from the per-evaluation good/bad samples.
"""

from __future__ import annotations

from sre_gen.model import SLO, GaugeSLI, Settings


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
