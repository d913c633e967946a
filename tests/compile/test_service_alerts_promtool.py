"""Security and capacity rules as the real promtool evaluates them (issue 11 items 5 and 7).

The promtool tests here are written by hand, not by the generator, so they check the rules
against what a user sees, independently of the generated test files (which are run too)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from sre_gen import conventions as cv
from sre_gen import proofs
from sre_gen.compile import rules
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

SERVICE = "autogen-review-bot"


def _write_rules(tmp: Path, service) -> Path:
    folder = tmp / service.name
    for rel, text in rules.build(service, Context()).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return folder


def _run(promtool: str, folder: Path, name: str, body: dict) -> subprocess.CompletedProcess:
    tests = folder / "prometheus" / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    path = tests / name
    path.write_text(yaml.safe_dump({"rule_files": ["../recording-rules.yaml",
                                                   "../alerting-rules.yaml"], **body},
                                   sort_keys=False), "utf-8")
    return subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True)


# ---- item 7: security counters read 0 before their first event --------------------------------


def test_security_counter_reads_zero_before_its_first_event(example_service, tmp_path,
                                                            promtool) -> None:
    folder = _write_rules(tmp_path, example_service)
    recorded = (f'{cv.SECURITY_EVENTS}{{service="{SERVICE}",rule="unauthorized-access"}}')
    labels = (f'{cv.SECURITY_EVENTS}{{rule="unauthorized-access",service="{SERVICE}"}}')
    body = {"evaluation_interval": "1m", "tests": [
        {"name": "healthy: only 200s, never a 403", "interval": "1m",
         "input_series": [{"series": f'http_requests_total{{job="{SERVICE}",code="200"}}',
                           "values": "0+10x90"}],
         "promql_expr_test": [{"expr": recorded, "eval_time": "80m",
                               "exp_samples": [{"labels": labels, "value": 0}]}],
         "alert_rule_test": [{"eval_time": "80m",
                              "alertname": "AutogenReviewBotUnauthorizedAccess"}]},
        {"name": "first 403s: counted", "interval": "1m",
         "input_series": [{"series": f'http_requests_total{{job="{SERVICE}",code="200"}}',
                           "values": "0+10x90"},
                          {"series": f'http_requests_total{{job="{SERVICE}",code="403"}}',
                           "values": "0+1x90"}],
         "promql_expr_test": [{"expr": recorded, "eval_time": "80m",
                               "exp_samples": [{"labels": labels, "value": 60}]}]},
        {"name": "metric not scraped (target gone, metric misspelt): no data, not 0",
         "interval": "1m",
         "input_series": [{"series": 'http_requests_total{job="some-other-service",code="200"}',
                           "values": "0+10x90"}],
         "promql_expr_test": [{"expr": recorded, "eval_time": "80m", "exp_samples": []}]},
    ]}
    got = _run(promtool, folder, "security.yaml", body)
    assert got.returncode == 0, got.stdout + got.stderr


def test_generated_security_tests_prove_the_zero_reading(example_service, tmp_path,
                                                         promtool) -> None:
    folder = _write_rules(tmp_path, example_service)
    files = proofs.render(example_service)
    rel = next(r for r in files if r.endswith(cv.promtool_section_test_file("security")))
    text = files[rel]
    assert "unauthorized-access: no event yet: reads 0" in text
    assert "unauthorized-access: metric not scraped: no data" in text
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    got = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True)
    assert got.returncode == 0, got.stdout + got.stderr


# ---- item 5: capacity forecasts only with history -----------------------------------------------

CAPACITY_SPEC = """\
apiVersion: sre-gen/v1
service:
  name: svc
  team: t
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors: { metric: http_requests_total, selector: { job: svc, code: { regex: "5.." } } }
        total:  { metric: http_requests_total, selector: { job: svc } }
capacity:
  lookback: 1h
  alertHorizon: 30d
  horizons: { short-term: 30d }
  growth: { users: 10 }
  resources:
    - name: disk
      usage: sum(disk_used_bytes{job="svc"})
      limit: sum(disk_size_bytes{job="svc"})
      driver: users
"""


def test_capacity_forecast_waits_for_history_and_prints_sane_numbers(tmp_path,
                                                                     promtool) -> None:
    spec = tmp_path / "svc.yaml"
    spec.write_text(CAPACITY_SPEC, "utf-8")
    service = load_service(spec, "svc.yaml")
    folder = _write_rules(tmp_path, service)
    alert = "SvcDiskCapacityForecastExhausted"
    series = f'{cv.CAPACITY_USAGE}{{service="svc",resource="disk"}}'
    # 90% of a 60m lookback at a 1m evaluation interval: 54 samples, first at t=53m;
    # the alert then holds for its 1h `for`.
    description = ("A linear fit of disk usage over the last 1h reaches over 1000% of capacity "
                   "in 30d. Plan capacity now (planned growth: 10% per quarter).")
    firing = {"exp_labels": {"service": "svc", "resource": "disk", "severity": "warning",
                             "team": "t"},
              "exp_annotations": {
                  "summary": "svc: disk capacity runs out within 30d.",
                  "description": description,
                  "runbook_url": "./runbooks/svc-disk-capacity-forecast-exhausted.md"
                                 "#svcdiskcapacityforecastexhausted",
                  "dashboard_url": "http://localhost:3000/d/svc-golden-signals"}}
    body = {"evaluation_interval": "1m", "tests": [
        {"name": "steep growth on a young series, then on a covered lookback", "interval": "1m",
         "input_series": [{"series": series, "values": "0.1+0.01x200"},
                          {"series": 'slo:sli_total:rate5m{service="svc",slo="availability"}',
                           "values": "1x200"}],
         "alert_rule_test": [
             {"eval_time": "5m", "alertname": alert},      # minutes of data: no forecast
             {"eval_time": "75m", "alertname": alert},     # main fired here (for: 1h from 15m)
             {"eval_time": "112m", "alertname": alert},    # covered at 53m, pending for 1h
             {"eval_time": "114m", "alertname": alert, "exp_alerts": [firing]},
         ]},
        {"name": "a gap of 20 minutes in the lookback: too little history", "interval": "1m",
         "input_series": [{"series": series, "values": "0.1+0.01x100 _x20 2.22+0.01x60"},
                          {"series": 'slo:sli_total:rate5m{service="svc",slo="availability"}',
                           "values": "1x200"}],
         "alert_rule_test": [{"eval_time": "170m", "alertname": alert}]},
    ]}
    got = _run(promtool, folder, "capacity.yaml", body)
    assert got.returncode == 0, got.stdout + got.stderr
