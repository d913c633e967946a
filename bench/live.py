#!/usr/bin/env python3
"""The live check of issue 11: the example spec's generated monitoring in a real Prometheus and
Alertmanager on 127.0.0.1, scraping a synthetic exporter (see bench/livestack.py).

    .venv/bin/python bench/live.py [--healthy 180] [--burst 120] [--recovery 0]
                                   [--evaluation-interval 5] [--keep]

1. ``sre-gen generate`` of a copy of specs/autogen-review-bot.yaml with
   ``settings.evaluationInterval`` set to ``--evaluation-interval`` seconds (default 5 s instead of
   1m, so that minutes hold many evaluations; nothing else changes); Prometheus 2.42 loads
   prometheus/*-rules.yaml and scrapes the exporter every 2 s; Alertmanager 0.25 runs the
   generated alertmanager.yml with every receiver replaced by a webhook to a local receiver that
   records each notification (routes, grouping, timings and inhibitions unchanged).
2. Healthy traffic for ``--healthy`` seconds (checked after a 20 s warm-up): no alert fires but
   the tickets that say an SLI is unknown (the spec's 200ms and 300s thresholds are no default
   bucket bound; issue 11 item 3), and those are raised (pending, or firing once their 10m
   `for` is over: --healthy 660); pending alerts are only listed (a fresh
   series' rate over 5m reads low for 5 minutes, which the alerts' `for` absorbs); every
   recorded series has a sample (item 7); every query of every generated dashboard panel returns
   data (run as Grafana would: instant, or a range query over the panel's time range),
   ALERTS-only panels excepted (checked during the burst) and those of the unknown SLOs (an
   unknown SLI records nothing: listed); no page is sent.
3. A 5xx burst (20% of requests) for ``--burst`` seconds: the burn-rate tiers that the burn-rate
   math predicts for that history (``livestack.burning_conditions``: both windows above
   factor x budget) have their recorded condition at 1, and of each SLO's the fastest fires, no
   other (the slower ones are silent around a faster tier's burn: one incident, one page); the alert panels of the burning SLO and the service's
   alert tables have data; the fastest firing tier pages (its severity's incident class routes to
   a PagerDuty receiver) and every page is sent once.
4. ``--recovery N``: healthy again for N seconds; no burn tier of an SLO whose incident already
   paged may page again (issue 11 item 6: needs ~12 min, past the high-severity route's 10m
   group interval); other pages after the burst (alerts whose ``for`` ran out late) are listed.

Prints a report; exit 0 when every check holds, 1 otherwise. All processes are stopped at the end,
on errors and on Ctrl-C. ``tests/live/test_live.py`` runs the same check in ~3 minutes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import livestack  # noqa: E402


def failures(report: livestack.LiveReport) -> list[str]:
    out = []
    firing = [a for a in report.healthy_alerts if a["alertname"] not in report.unknown_alerts]
    if firing:
        out.append("healthy: alerts firing: " + "; ".join(
            f"{a['alertname']} ({a.get('severity')}, {a.get('slo') or a.get('resource') or ''}"
            f"{'/' + a['tier'] if 'tier' in a else ''})" for a in firing))
    missing_unknown = report.unknown_alerts - {
        a["alertname"] for a in report.healthy_alerts + report.healthy_pending}
    if missing_unknown:
        out.append(f"healthy: SLIs with no matching bucket ({sorted(report.unknown_slos)}) "
                   f"raise no SLIUnknown alert: {sorted(missing_unknown)} missing")
    if report.empty_records:
        out.append("healthy: recorded series without data: " + "; ".join(report.empty_records))
    if report.empty_queries:
        out.append("healthy: dashboard queries without data: " + "; ".join(
            f"{q.dashboard} / {q.panel} / {q.ref}" for q in report.empty_queries))
    if report.healthy_pages:
        out.append("healthy: pages sent: " + ", ".join(livestack.page_alerts(report.healthy_pages)))
    if not report.condition_tiers <= report.recorded_conditions:
        out.append(f"burst: tiers whose condition should hold but reads 0 or nothing: "
                   f"{sorted(report.condition_tiers - report.recorded_conditions)}")
    if report.firing_tiers != report.expected_tiers:
        out.append(f"burst: burn tiers firing {sorted(report.firing_tiers)}, expected "
                   f"{sorted(report.expected_tiers)}")
    if report.empty_alert_queries:
        out.append("burst: alert panels without data: " + "; ".join(
            f"{q.panel}" for q in report.empty_alert_queries))
    missing = report.expected_pages - set(livestack.page_alerts(report.pages))
    if missing:
        out.append(f"burst: expected pages not sent: {sorted(missing)}")
    if report.repeated_pages:
        out.append(f"burst: pages sent more than once: {report.repeated_pages}")
    if report.recovery_pages:
        out.append("recovery: burn tiers paging again for an incident that already paged: " + ", ".join(
            livestack.page_alerts(report.recovery_pages)))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--healthy", type=float, default=180, help="seconds of healthy traffic")
    ap.add_argument("--burst", type=float, default=120, help="seconds of the 5xx burst")
    ap.add_argument("--recovery", type=float, default=0, help="seconds healthy after the burst")
    ap.add_argument("--evaluation-interval", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs, configs)")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sre-gen-live-"))
    try:
        report = livestack.live_check(
            healthy=args.healthy, burst=args.burst, recovery=args.recovery, workdir=workdir,
            evaluation_interval=args.evaluation_interval,
            log=lambda m: print(f"# {m}", file=sys.stderr, flush=True))
    finally:
        if args.keep:
            print(f"work folder: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    problems = failures(report)
    print(f"## live check: {report.runtime:.0f} s (healthy {report.healthy_seconds:.0f} s, burst "
          f"{report.burst_seconds:.0f} s, recovery {report.recovery_seconds:.0f} s)\n")
    print(f"- dashboard queries run: {report.queries} ({len(report.alert_only_queries)} read only "
          f"ALERTS); without data while healthy: {len(report.empty_queries)}")
    print(f"- alerts firing while healthy: {len(report.healthy_alerts)}; pending (not failures: "
          f"their `for` has not run out): " + (", ".join(sorted(
              a["alertname"] for a in report.healthy_pending)) or "none"))
    print(f"- recorded series without data while healthy: {len(report.empty_records)}")
    print(f"- dashboard queries of unknown SLOs without data (by design): "
          f"{len(report.unknown_queries)}")
    print(f"- burn tiers whose condition holds: {sorted(report.condition_tiers)}; recorded "
          f"conditions at 1: {sorted(report.recorded_conditions)}")
    print(f"- burn tiers expected to fire (the fastest per SLO): {sorted(report.expected_tiers)}; firing: "
          f"{sorted(report.firing_tiers)}")
    print(f"- pages during the burst: {livestack.page_alerts(report.pages)}")
    if args.recovery:
        print(f"- burn tiers paging again after the burst: "
              f"{livestack.page_alerts(report.recovery_pages)}; other pages after the burst "
              f"(listed only): {livestack.page_alerts(report.late_pages)}")
    print()
    for p in problems:
        print(f"FAIL {p}")
    print("OK: every check holds" if not problems else f"{len(problems)} checks failed")
    return 1 if problems else 0

if __name__ == "__main__":
    sys.exit(main())
