"""Issue 11 item 4: the SLO dashboard's burn-down and data-coverage panels show what exists from
the first evaluation on, measured in a real Prometheus.

Two days of the recorded base series (``slo:sli_errors:rate5m``, ``slo:sli_total:rate5m``, and
``slo:objective:ratio``, which the old query hinged on) are backfilled with promtool, as the
rules would have recorded them every minute; then every burn-down and data panel query of the
generated SLO dashboard runs the way Grafana runs it: a range query over the panel's own time
range (``timeFrom``: the SLO window, so 30d and 7d windows are 2 days full), at a Grafana-like
step, and an instant query for the stat."""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from pathlib import Path

import pytest

from sre_gen import conventions as cv
from sre_gen.compile import dashboards
from sre_gen.durations import format_duration, parse_duration

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import livestack  # noqa: E402

pytestmark = pytest.mark.slow

HISTORY = 2 * 86400  # two days of recorded history
ERROR_SHARE = 0.0002
PANEL_POINTS = 600  # Grafana's max data points ~ the panel's width in pixels


def _panels(dash: dict) -> dict[str, dict]:
    return {p["title"]: p for p in livestack._panels(dash["panels"])}


@pytest.fixture(scope="module", params=[60, 120], ids=lambda s: f"every-{s}s")
def backfilled(example_service, tmp_path_factory, request):
    """The example's SLOs recorded every ``param`` seconds (the rules' evaluation interval)."""
    every = request.param
    service = dataclasses.replace(example_service, settings=dataclasses.replace(
        example_service.settings, evaluation_interval=every))
    base = service.settings.base_window
    now = float(math.floor(time.time()))
    end = math.floor(now / every) * every - 2 * every  # the last recorded sample
    first = end - HISTORY
    times = range(first, end + 1, every)
    series = {}
    for slo in service.slos:
        ident = f'{{service="{service.name}",slo="{slo.name}"}}'
        series[cv.sli_total(base) + ident] = [(t, 10.0) for t in times]
        series[cv.sli_errors(base) + ident] = [(t, 10.0 * ERROR_SHARE) for t in times]
        series[cv.SLO_OBJECTIVE + ident] = [(t, float(slo.objective_ratio)) for t in times]
    prom = livestack.BackfilledPrometheus(tmp_path_factory.mktemp("backfill"), series)
    yield prom, service, first, end, now
    prom.close()


def _values(result: list[dict]) -> dict[float, float]:
    assert len(result) <= 1, result
    return {float(t): float(v) for t, v in result[0]["values"]} if result else {}


def _query_ends(now: float, every: int) -> list[float]:
    """Ends of the panel's range: one on an evaluation step (the range's start is then a sample
    time of the subqueries, on both sides of the ratio) and one between two steps."""
    aligned = math.floor(now / every) * every
    return [float(aligned), float(aligned - every // 2 - 7)]


def test_burn_down_has_data_from_the_first_evaluation_on(backfilled):
    prom, service, first, end, now = backfilled
    for at in _query_ends(now, service.settings.evaluation_interval):
        _check_burn_down(prom, service, first, at)


def _check_burn_down(prom, service, first, now):
    panels = _panels(dashboards.slo_dashboard(service))
    checked = 0
    for slo in service.slos:
        window = slo.window
        title = f"{slo.name}: error budget burn-down ({format_duration(window)})"
        panel = panels[title]
        assert parse_duration(panel["timeFrom"]) == window
        step = window / PANEL_POINTS  # the last step is the end of the range
        start = now - window
        targets = {t["refId"]: t["expr"] for t in panel["targets"]}
        remaining = _values(prom.query_range(targets["A"], start, now, step))
        ideal = _values(prom.query_range(targets["B"], start, now, step))
        data_from = max(first, start)
        steps = [start + i * step for i in range(int((now - start) // step) + 1)]
        # a value at every step from the first evaluation (plus one base window) on
        expected = [t for t in steps if t >= data_from + service.settings.base_window + step]
        where = f"{title}: {len(remaining)} points of {len(steps)}, range {start:.0f}..{now:.0f}"
        assert expected, where
        assert all(t in remaining for t in expected), where
        assert all(t in ideal for t in expected), where
        assert not [t for t in remaining if t < data_from - step], where
        # the budget left at the end: the whole (partial) window at a constant error share
        last = remaining[max(remaining)]
        assert last == pytest.approx(1 - ERROR_SHARE / float(slo.error_budget), rel=1e-6), where
        # the ideal burn: from ~1 at the first data to ~0 at the end, decreasing
        line = [ideal[t] for t in sorted(ideal)]
        assert line[0] > 0.95 and abs(line[-1]) < 0.05 and line == sorted(line, reverse=True), (
            where, line[:3], line[-3:])
        checked += 1
    assert checked == len(service.slos)


def test_data_panel_shows_how_much_of_the_window_the_history_covers(backfilled):
    prom, service, first, end, now = backfilled
    panels = _panels(dashboards.slo_dashboard(service))
    for slo in service.slos:
        title = f"{slo.name}: data in the {format_duration(slo.window)} window"
        [target] = panels[title]["targets"]
        assert target["instant"]
        [sample] = prom.query(target["expr"], at=now)
        covered = float(sample["value"][1])
        truth = end - max(first, now - slo.window)  # seconds of samples inside the window
        assert covered == pytest.approx(truth, abs=2 * service.settings.evaluation_interval), (
            title, covered, truth)
        if slo.window > HISTORY:  # 7d and 30d windows: visibly not full (orange)
            steps = panels[title]["fieldConfig"]["defaults"]["thresholds"]["steps"]
            assert covered < steps[-1]["value"] and steps[-1]["color"] == "green"
