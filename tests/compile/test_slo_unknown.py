"""Issue 11 item 3: an SLI whose inputs exist but cannot be evaluated is unknown: it records
nothing, burns no budget, pages nobody, and one ticket-level SLIUnknown alert says what is wrong.

Proven with the real promtool over the real rule output: a hand-written scenario (the Python
client's default buckets, healthy traffic, a threshold that is not a bucket boundary) and the
generated tests of a spec with every SLI kind that can be unknown.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from sre_gen import conventions as cv
from sre_gen import proofs
from sre_gen.compile import rules
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

# prometheus_client's default histogram buckets
PYTHON_BUCKETS = ("0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1.0",
                  "2.5", "5.0", "7.5", "10.0", "+Inf")

SPEC = """\
apiVersion: sre-gen/v1
service: {{ name: shop, team: web }}
slos:
  - name: latency
    objective: 99
    window: 30d
    labels: {{ owner: checkout }}
    sli:
      latency:
        histogram: http_request_duration_seconds
        selector: {{ job: shop }}
        threshold: {threshold}
  - name: logins
    objective: 99.5
    window: 30d  # 7d: issue 11 item 1 (counter start values), another lane
    sli:
      ratio:
        good: {{ metric: logins_total, selector: {{ job: shop, result: ok }} }}
        total: {{ metric: logins_total, selector: {{ job: shop }} }}
  - name: queue
    objective: 99
    window: 1d
    alerting: {{ tiers: [fast, moderate, slow] }}
    sli:
      gauge: {{ metric: queue_depth, selector: {{ job: shop }}, op: "<", threshold: 100 }}
  - name: errors
    objective: 99.9
    sli:
      ratio:
        errors: {{ metric: http_requests_total, selector: {{ job: shop, code: {{ regex: "5.." }} }} }}
        total: {{ metric: http_requests_total, selector: {{ job: shop }} }}
"""


def _service(tmp_path: Path, threshold: str):
    path = tmp_path / "shop.yaml"
    path.write_text(SPEC.format(threshold=threshold))
    return load_service(path, "shop.yaml")


def _write_rules(service, folder: Path) -> None:
    for rel, text in rules.build(service, Context()).items():
        if rel != cv.PROMETHEUS_RULE_FILE:
            (folder / Path(rel).name).write_text(text)


def _histogram_inputs(minutes: int) -> list[dict]:
    """10 requests/s, every one faster than 50ms (healthy by any threshold above 50ms)."""
    out = []
    for le in PYTHON_BUCKETS:
        per_min = 0 if float(le) < 0.05 else 600
        out.append({"series": f'http_request_duration_seconds_bucket{{job="shop",le="{le}"}}',
                    "values": f"0+{per_min}x{minutes}"})
    out.append({"series": 'http_request_duration_seconds_count{job="shop"}',
                "values": f"0+600x{minutes}"})
    return out


def _run(promtool: str, folder: Path, test: dict) -> subprocess.CompletedProcess:
    path = folder / "test.yaml"
    path.write_text(yaml.safe_dump(test, sort_keys=False, width=10_000))
    return subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True,
                          cwd=folder)


def _run_on_healthy_histogram(promtool: str, folder: Path, alert_rule_test: list[dict],
                              promql_expr_test: list[dict],
                              minutes: int = 40) -> subprocess.CompletedProcess:
    """The rules in ``folder`` over ``minutes`` of healthy default-bucket histogram traffic."""
    return _run(promtool, folder, {
        "rule_files": ["recording-rules.yaml", "alerting-rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": _histogram_inputs(minutes),
                   "alert_rule_test": alert_rule_test, "promql_expr_test": promql_expr_test}],
    })


def test_threshold_between_python_buckets_is_unknown_not_an_outage(tmp_path: Path,
                                                                  promtool) -> None:
    """threshold 200ms with default client buckets: before, the error ratio read 1 and
    ErrorBudgetExhausted fired within 3 minutes on a healthy service."""
    service = _service(tmp_path, "200ms")
    _write_rules(service, tmp_path)
    base = 'service="shop",slo="latency"'
    proc = _run_on_healthy_histogram(promtool, tmp_path, alert_rule_test=[
        {"eval_time": "3m", "alertname": "ShopLatencyErrorBudgetExhausted"},
        {"eval_time": "30m", "alertname": "ShopLatencyErrorBudgetExhausted"},
        {"eval_time": "30m", "alertname": "ShopLatencyErrorBudgetBurn"},
        {"eval_time": "30m", "alertname": "ShopLatencySLIAbsent"},
        {"eval_time": "5m", "alertname": "ShopLatencySLIUnknown"},  # pending (for 10m)
        {"eval_time": "30m", "alertname": "ShopLatencySLIUnknown", "exp_alerts": [{
            "exp_labels": {"severity": "warning", "service": "shop", "team": "web",
                           "owner": "checkout", "slo": "latency"},
            "exp_annotations": {
                "summary": "The shop latency SLO cannot be evaluated.",
                "description": (
                    'shop latency SLO: no bucket le="0.2" on '
                    'http_request_duration_seconds_bucket{job="shop"} although '
                    'http_request_duration_seconds_count{job="shop"} has samples; '
                    "buckets are matched exactly, so the threshold must be one of the "
                    "histogram's bucket boundaries. The SLI records nothing while this "
                    "fires: it burns no budget and its burn-rate and budget alerts "
                    "cannot fire."),
                "runbook_url": "./runbooks/shop-latency-sli-unknown.md"
                               "#shoplatencysliunknown",
                "dashboard_url": "http://localhost:3000/d/shop-slo"},
        }]},
    ], promql_expr_test=[
        {"expr": f"slo:sli_errors:rate5m{{{base}}}", "eval_time": "30m",
         "exp_samples": []},
        {"expr": f"slo:sli_total:rate5m{{{base}}}", "eval_time": "30m",
         "exp_samples": []},
        {"expr": f"slo:sli_error:ratio_rate30d{{{base}}}", "eval_time": "30m",
         "exp_samples": []},
        {"expr": f"slo:period_error_budget_remaining:ratio{{{base}}}",
         "eval_time": "30m", "exp_samples": []},
    ])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_threshold_on_a_python_bucket_is_known_and_healthy(tmp_path: Path, promtool) -> None:
    service = _service(tmp_path, "250ms")
    _write_rules(service, tmp_path)
    base = 'service="shop",slo="latency"'
    # 65m: the 30d window reads the hourly level, whose first sample is at 1h
    proc = _run_on_healthy_histogram(promtool, tmp_path, minutes=70, alert_rule_test=[
        {"eval_time": "65m", "alertname": name} for name in (
            "ShopLatencyErrorBudgetExhausted", "ShopLatencyErrorBudgetBurn",
            "ShopLatencySLIAbsent", "ShopLatencySLIUnknown")], promql_expr_test=[
        {"expr": f"slo:sli_error:ratio_rate30d{{{base}}}", "eval_time": "65m",
         "exp_samples": [{"labels": f"slo:sli_error:ratio_rate30d{{{base}}}",
                          "value": 0}]},
        {"expr": f"slo:period_error_budget_remaining:ratio{{{base}}}",
         "eval_time": "65m",
         "exp_samples": [{"labels": f"slo:period_error_budget_remaining:ratio{{{base}}}",
                          "value": 1}]},
    ])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_unknown_alert_exists_for_every_kind_that_can_be_unknown(tmp_path: Path) -> None:
    """latency, good/total and gauge SLIs get SLIUnknown; errors/total never is unknown (an
    absent errors counter means no error yet), so it gets none."""
    service = _service(tmp_path, "200ms")
    names = {r.alert for r in rules.all_alerts(service) if r.kind == "slo-unknown"}
    assert names == {"ShopLatencySLIUnknown", "ShopLoginsSLIUnknown", "ShopQueueSLIUnknown"}
    unknown = {r.slo: r for r in rules.all_alerts(service) if r.kind == "slo-unknown"}
    assert "logins_total{job=\"shop\",result=\"ok\"} is absent" in \
        unknown["logins"].annotation("description")
    assert "none is a number (NaN)" in unknown["queue"].annotation("description")


@pytest.mark.slow
def test_generated_tests_prove_unknown_slis(tmp_path: Path, promtool) -> None:
    """The generated promtool tests of every SLI kind: unknown -> no burn, exhausted or absent
    alert, SLIUnknown fires with its labels and annotations; known -> SLIUnknown silent."""
    service = _service(tmp_path, "200ms")
    prom = tmp_path / "prometheus"
    (prom / "tests").mkdir(parents=True)
    _write_rules(service, prom)
    texts = proofs.render(service)
    for rel, text in texts.items():
        (tmp_path / rel).write_text(text)
    for slo in ("latency", "logins", "queue"):
        text = texts[cv.promtool_slo_test_file(slo)]
        assert f"{slo}: SLI unknown" in text and "untested" not in text, slo
        assert "SLIUnknown" in text.split(f"{slo}: recorded series")[1].split("SLI unknown")[0]
    assert "SLIUnknown" not in texts[cv.promtool_slo_test_file("errors")]
    main = [cv.promtool_slo_test_file(s) for s in ("latency", "logins", "queue", "errors")]
    proc = subprocess.run([promtool, "test", "rules", *main], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr
