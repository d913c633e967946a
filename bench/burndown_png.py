#!/usr/bin/env python3
"""Render the SLO dashboard's burn-down and data panels, as Prometheus answers them, to a PNG.

    .venv/bin/python bench/burndown_png.py [--out burndown.png] [--days 2]

Backfills ``--days`` days of the recorded base series of every SLO of the example spec (as the
rules record them every minute: 10 events/s, 0.02% bad, and a 1 h incident at 2% bad half-way)
into a Prometheus on 127.0.0.1 (promtool tsdb create-blocks-from openmetrics), runs the generated
burn-down queries over each panel's own time range (range query, range/600 steps, like Grafana)
and the data-coverage stat (instant), and plots them for the availability (30d) and latency-p95
(7d) SLOs. Needs matplotlib (``.venv/bin/pip install matplotlib``; not a project dependency).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import livestack  # noqa: E402

from sre_gen import conventions as cv  # noqa: E402
from sre_gen.compile import dashboards  # noqa: E402
from sre_gen.durations import format_duration, humanize_duration  # noqa: E402
from sre_gen.spec import load_service  # noqa: E402

SLOS = ("availability", "latency-p95")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="burndown.png")
    ap.add_argument("--days", type=float, default=2)
    args = ap.parse_args()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    service = load_service(livestack.EXAMPLE_SPEC, "specs/autogen-review-bot.yaml")
    base = service.settings.base_window
    now = float(math.floor(time.time()))
    end = math.floor(now / 60) * 60 - 120
    first = end - int(args.days * 86400)
    incident = (first + end) // 2
    series = {}
    for slo in service.slos:
        ident = f'{{service="{service.name}",slo="{slo.name}"}}'
        times = range(first, end + 1, 60)
        series[cv.sli_total(base) + ident] = [(t, 10.0) for t in times]
        series[cv.sli_errors(base) + ident] = [
            (t, 10.0 * (0.02 if incident <= t < incident + 3600 else 0.0002)) for t in times]
    panels = {p["title"]: p for p in livestack._panels(dashboards.slo_dashboard(service)["panels"])}
    with tempfile.TemporaryDirectory() as tmp, \
            livestack.BackfilledPrometheus(Path(tmp), series) as prom:
        fig, axes = plt.subplots(1, len(SLOS), figsize=(7 * len(SLOS), 4.2))
        for ax, name in zip(axes, SLOS):
            slo = next(s for s in service.slos if s.name == name)
            window = format_duration(slo.window)
            panel = panels[f"{name}: error budget burn-down ({window})"]
            [cover] = panels[f"{name}: data in the {window} window"]["targets"]
            covered = float(prom.query(cover["expr"], at=now)[0]["value"][1])
            start, step = now - slo.window, slo.window / 600
            for target in panel["targets"]:
                result = prom.query_range(target["expr"], start, now, step)
                pts = [(float(t), float(v)) for t, v in result[0]["values"]] if result else []
                print(f"{name} {target['legendFormat']}: {len(pts)} points"
                      + (f", first {pts[0][1]:.4f} at now-{humanize_duration(now - pts[0][0])}, "
                         f"last {pts[-1][1]:.4f}" if pts else ""))
                xs = [(t - now) / 86400 for t, _ in pts]
                ax.plot(xs, [v for _, v in pts], label=target["legendFormat"],
                        linestyle="--" if target["refId"] == "B" else "-")
            ax.set_xlim(-slo.window / 86400, 0)
            low = min([0.0] + [v for line in ax.get_lines() for v in line.get_ydata()])
            ax.set_ylim(min(-0.05, low - 0.05), 1.05)
            ax.axhline(0, color="red", linewidth=0.5)
            ax.set_xlabel("days before now (panel range: last " + window + ")")
            ax.set_ylabel("error budget remaining")
            ax.set_title(f"{panel['title']}\ndata in the {window} window: "
                         f"{humanize_duration(covered)} of {window}", fontsize=10)
            ax.legend(loc="lower left")
        fig.tight_layout()
        fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
