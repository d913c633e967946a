"""The SLO window's rules over a full 30 days in the real promtool, at the rules' own interval.

A 30d window summed from the every-minute base series reads 43,200 samples per series, and
promtool refuses any query above 10,000 ("query processing would load too many samples into
memory"): a user's own test of those rules aborts after about 7 days of history. sre-gen's long
windows read coarse levels instead (docs/long-windows.md): the 30d window sums 720 hourly samples,
1d and 3d sum 5-minute samples. This test evaluates the generated rules every minute (the spec's
evaluation interval) over 30 days and 2 hours of spiky traffic with an incident, and checks, at a
time that is on neither a 5-minute nor an hour boundary:

- the 30d, 3d and 1d ratios equal the exact request-weighted ratio of the counters over the
  window each level covers (the last whole hour / 5 minutes), and the 30d one is within 0.1% of
  the exact ratio over the last 30 days to the second;
- the levels hold exactly window / step samples;
- burn rate, budget remaining, and the budget-exhausted alert (silent: 81% of the budget left,
  where a time-weighted average of ratios, Sloth's, would say 46%);
- the same query summed from the every-minute base series, as a user might write it, is refused
  by promtool for too many samples: the cap is real, and the generated rules stay below it.
"""

from __future__ import annotations

import re
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from sre_gen.compile import rules
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

SPEC = Path(__file__).resolve().parents[1] / "data" / "minimal-spec.yaml"  # the README's

DAY, HOUR, MINUTE = 86400, 3600, 60
END = 30 * DAY + 2 * HOUR + 7 * MINUTE  # the check: off every 5m and 1h boundary
IDENT = '{service="checkout",slo="availability"}'


def per_minute(m: int) -> tuple[int, int]:
    """(errors, all requests) in minute m: 2,000/min at 0.05% errors; one hour a day (12:00) at
    60x the traffic and 0.005% errors; on day 20, 03:00-05:00, an incident at 2% errors."""
    day, hour = divmod(m // 60, 24)
    if day == 20 and 3 <= hour < 5:
        return 40, 2000
    if hour == 12:
        return 6, 120000
    return 1, 2000


def counters(minutes: int) -> tuple[list[int], list[int]]:
    """Cumulative errors and good requests at minute 0..minutes (one sample a minute)."""
    err, good = [0], [0]
    for m in range(minutes):
        e, total = per_minute(m)
        err.append(err[-1] + e)
        good.append(good[-1] + total - e)
    return err, good


def notation(values: list[int]) -> str:
    """promtool's expanding notation: runs of a constant increment as 'a+bxn'."""
    out, i = [], 0
    while i < len(values):
        j = i + 1
        if j < len(values):
            step = values[j] - values[i]
            while j + 1 < len(values) and values[j + 1] - values[j] == step:
                j += 1
            out.append(f"{values[i]}+{step}x{j - i}")
        else:
            out.append(str(values[i]))
        i = j + 1
    return " ".join(out)


def ratio(err: list[int], good: list[int], lo: int, hi: int) -> Fraction:
    """Exact request-weighted error ratio over (lo, hi] (seconds on minute boundaries)."""
    a, b = lo // MINUTE, hi // MINUTE
    bad = err[b] - err[a]
    return Fraction(bad, bad + good[b] - good[a])


def rounded(expr: str, value: Fraction, labels: str = IDENT) -> dict:
    return {"expr": f"round({expr} * 1e12) / 1e12", "eval_time": f"{END}s",
            "exp_samples": [{"labels": labels, "value": round(float(value), 12)}]}


@pytest.mark.slow
@pytest.mark.long
def test_the_30d_rules_over_30_days_at_their_real_intervals(tmp_path, promtool) -> None:
    service = load_service(SPEC, "minimal-spec.yaml")
    assert service.settings.evaluation_interval == 60
    files = rules.build(service, Context())
    for rel, text in files.items():
        (tmp_path / Path(rel).name).write_text(text, "utf-8")
    err, good = counters(END // MINUTE + 1)

    hour_end, step_end = END // HOUR * HOUR, END // 300 * 300
    r30, r3d, r1d = (ratio(err, good, hour_end - 30 * DAY, hour_end),
                     ratio(err, good, step_end - 3 * DAY, step_end),
                     ratio(err, good, step_end - DAY, step_end))
    exact_now = ratio(err, good, END - 30 * DAY, END)
    assert abs(r30 / exact_now - 1) < Fraction(1, 1000)  # within 0.1% of the last 30 days
    time_weighted = sum(Fraction(e, t) for e, t in map(per_minute, range(
        END // MINUTE - 30 * 1440, END // MINUTE))) / (30 * 1440)
    remaining = 1 - r30 / Fraction(1, 1000)
    assert Fraction(80, 100) < remaining < Fraction(82, 100)
    assert 1 - time_weighted / Fraction(1, 1000) < Fraction(47, 100)  # Sloth's reading

    tests = {
        "rule_files": ["recording-rules.yaml", "alerting-rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [{
            "name": "30 days and 2 hours of spiky traffic, evaluated every minute",
            "interval": "1m",
            "input_series": [
                {"series": 'http_requests_total{job="checkout",code="500"}',
                 "values": notation(err)},
                {"series": 'http_requests_total{job="checkout",code="200"}',
                 "values": notation(good)},
            ],
            "alert_rule_test": [{"alertname": "CheckoutAvailabilityErrorBudgetExhausted",
                                 "eval_time": f"{END}s", "exp_alerts": []}],
            "promql_expr_test": [
                rounded(f"slo:sli_error:ratio_rate30d{IDENT}", r30),
                rounded(f"slo:sli_error:ratio_rate3d{IDENT}", r3d),
                rounded(f"slo:sli_error:ratio_rate1d{IDENT}", r1d),
                rounded(f"slo:period_burn_rate:ratio{IDENT}", r30 * 1000),
                rounded(f"slo:period_error_budget_remaining:ratio{IDENT}", remaining),
                {"expr": f"count_over_time(slo:sli_total:rate_step1h{IDENT}[29d23h59m59s])",
                 "eval_time": f"{END}s", "exp_samples": [{"labels": IDENT, "value": 720}]},
                {"expr": f"count_over_time(slo:sli_total:rate_step5m{IDENT}[2d23h59m59s])",
                 "eval_time": f"{END}s", "exp_samples": [{"labels": IDENT, "value": 864}]},
                # the 30d window summed from the every-minute base series: over the cap
                {"expr": f"sum_over_time(slo:sli_total:rate5m{IDENT}[30d])",
                 "eval_time": f"{END}s", "exp_samples": [{"labels": IDENT, "value": 0}]},
            ],
        }],
    }
    test_file = tmp_path / "checkout-30d.test.yaml"
    test_file.write_text(yaml.safe_dump(tests, sort_keys=False, width=1 << 20), "utf-8")
    proc = subprocess.run([promtool, "test", "rules", str(test_file)], capture_output=True,
                          text=True, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    # exactly one failure: the base-series query, refused for its samples; everything the
    # generated rules record passed
    failed = re.findall(r"expr: \"(\w+)\(", out) + re.findall(r"alertname: ", out)
    assert failed == ["sum_over_time"], out
    assert "sum_over_time(slo:sli_total:rate5m" in out, out
    assert "query processing would load too many samples into memory" in out, out
