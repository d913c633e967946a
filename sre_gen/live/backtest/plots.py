"""PNG plots of a backtest (matplotlib, Agg backend; imported only by ``--report``).

Per SLO with data: ``<slo>-budget.png`` (the error budget left over the period, and the rules'
own recorded ``slo:period_error_budget_remaining:ratio``) and ``<slo>-burn.png`` (one panel per
tier: the burn rate over its long and short window against the tier's factor, firing bands
shaded). PNGs carry no software/date metadata, so the same replay gives the same bytes.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone

from sre_gen.durations import format_duration
from sre_gen.live.backtest.analyze import Result, SLOResult


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "sre-gen", "font.size": 9})
    return plt


def file_stem(name: str) -> str:
    """An SLO name as a file name: letters, digits and dashes only."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-").lower() or "slo"


def _dates(points):
    return [datetime.fromtimestamp(t, tz=timezone.utc) for t, _ in points], [v for _, v in points]


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _time_axis(ax, result: Result) -> None:
    import matplotlib.dates as mdates

    ax.set_xlim(datetime.fromtimestamp(result.start, tz=timezone.utc),
                datetime.fromtimestamp(result.end, tz=timezone.utc))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M", tz=timezone.utc))
    ax.grid(True, alpha=0.3)


def budget_png(result: Result, slo: SLOResult) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 3.2))
    x, y = _dates(slo.burn_down)
    ax.plot(x, y, color="tab:blue", label="budget left of the period's traffic")
    if slo.recorded_remaining:
        rx, ry = _dates(slo.recorded_remaining)
        ax.plot(rx, ry, color="tab:gray", linestyle="--", linewidth=1,
                label=f"recorded budget remaining ({format_duration(slo.window)} window, "
                      "since the replay start)")
    ax.axhline(0, color="tab:red", linewidth=0.8)
    for episodes in slo.firing.values():
        for ep in episodes:
            ax.axvspan(datetime.fromtimestamp(ep.start, tz=timezone.utc),
                       datetime.fromtimestamp(ep.end, tz=timezone.utc), color="tab:red",
                       alpha=0.15)
    ax.set_title(f"{slo.name}: error budget burn-down (objective {slo.objective}%)")
    ax.set_ylabel("budget left")
    _time_axis(ax, result)
    ax.legend(loc="lower left", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)


def burn_png(result: Result, slo: SLOResult, tiers) -> bytes:
    """``tiers``: the SLO's BurnTier objects (name, burn_rate, long/short window)."""
    plt = _plt()
    fig, axes = plt.subplots(len(tiers), 1, figsize=(9, 2.3 * len(tiers)), sharex=True,
                             squeeze=False)
    for ax, tier in zip(axes[:, 0], tiers):
        for window, color in ((tier.long_window, "tab:blue"), (tier.short_window, "tab:orange")):
            x, y = _dates(slo.window_burn.get(window, []))
            ax.plot(x, [max(v, 1e-4) for v in y], color=color, linewidth=1,
                    label=f"burn rate over {format_duration(window)}")
        ax.axhline(float(tier.burn_rate), color="tab:red", linestyle="--", linewidth=1,
                   label=f"{tier.name} threshold {float(tier.burn_rate):g}x")
        for ep in slo.firing.get(tier.name, []):
            ax.axvspan(datetime.fromtimestamp(ep.start, tz=timezone.utc),
                       datetime.fromtimestamp(ep.end, tz=timezone.utc), color="tab:red",
                       alpha=0.25)
        ax.set_yscale("log")
        ax.set_ylabel("burn rate")
        ax.set_title(f"{slo.name}: tier {tier.name} ({tier.severity}); shaded: firing",
                     fontsize=9)
        _time_axis(ax, result)
        ax.legend(loc="upper left", fontsize=7)
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)


def plots(result: Result, service) -> dict[str, bytes]:
    """``{file name: PNG bytes}`` for every SLO with data."""
    out: dict[str, bytes] = {}
    tiers = {slo.name: slo.tiers for slo in service.slos}
    for slo in result.slos:
        if not slo.has_data:
            continue
        stem = file_stem(slo.name)
        out[f"{stem}-budget.png"] = budget_png(result, slo)
        if tiers.get(slo.name):
            out[f"{stem}-burn.png"] = burn_png(result, slo, tiers[slo.name])
    return out
