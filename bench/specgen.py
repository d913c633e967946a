"""Synthetic sre-gen specs for the benchmarks (and tests/test_bench_smoke.py).

- ``scale_spec(i)``: one service with five SLOs, one of each SLI kind sre-gen has: a ratio of two
  counter selectors (errors/total), a ratio of raw PromQL queries with ``{{window}}``, a good/total
  ratio, a latency histogram and a gauge; plus two golden signals and one custom alert, so a spec
  looks like a small real service, not a bare SLO list.
- ``cost_spec(n)``: one service with ``n`` availability SLOs over 30 days whose alert windows are
  exactly Sloth's defaults (5m/1h x14.4, 30m/6h x6, 2h/1d x3, 6h/3d x1), no low-traffic guard and no
  budget-exhausted or SLI-absent alerts: the same alert behaviour as Sloth's rules for the same SLOs
  (see sloth_rules below), so rule evaluation costs can be compared.
- ``sloth_rules(n)``: Sloth-shaped rule groups for the SLOs of ``cost_spec(n)``, following Sloth's
  real output (shared/reference/samples/sloth/examples/_gen/getting-started.yml): per SLO an SLI
  group (7 raw windows 5m..3d + the "optimized" 30d = sum_over_time/count_over_time of the 5m
  ratio), a meta group (7 rules) and an alert group (page and ticket alerts).
"""

from __future__ import annotations

from pathlib import Path

import yaml

SLOTH_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
# (name, short, long, factor, severity): Sloth's google-30d AlertWindows catalogue.
SLOTH_TIERS = (
    ("fast", "5m", "1h", 14.4, "page"),
    ("moderate", "30m", "6h", 6, "page"),
    ("slow", "2h", "1d", 3, "ticket"),
    ("slower", "6h", "3d", 1, "ticket"),
)


def service_name(i: int) -> str:
    return f"bench-svc-{i:04d}"


def _policy(guard: bool = True, budget_alerts: bool = True) -> dict:
    tiers = [
        {"name": name, "burnRate": factor, "longWindow": long, "shortWindow": short,
         "severity": "critical" if sev == "page" else "warning"}
        for name, short, long, factor, sev in SLOTH_TIERS
    ]
    policy: dict = {"tiers": tiers}
    if guard:
        policy["lowTrafficGuard"] = {"minEventRate": 0.1}
    policy["alerts"] = {
        "budgetExhausted": {"enabled": budget_alerts, "severity": "warning"},
        "sliAbsent": {"enabled": budget_alerts, "severity": "warning", "for": "10m"},
    }
    return policy


def scale_spec(i: int) -> dict:
    """Service ``i`` with five SLOs, one per SLI kind."""
    name = service_name(i)
    job = name
    slos = [
        {
            "name": "availability",
            "description": "99.9% of requests succeed.",
            "objective": 99.9,
            "window": "30d",
            "sli": {"ratio": {
                "errors": {"metric": "http_requests_total",
                           "selector": {"job": job, "code": {"regex": "5.."}}},
                "total": {"metric": "http_requests_total", "selector": {"job": job}},
            }},
        },
        {
            "name": "api-errors",
            "description": "99.5% of API calls succeed (raw queries).",
            "objective": 99.5,
            "window": "7d",
            "sli": {"ratio": {
                "errors": {"query": f'sum(rate(api_calls_total{{job="{job}",result="error"}}'
                                    "[{{window}}]))"},  # a plain string: {{window}} is literal
                "total": {"query": f'sum(rate(api_calls_total{{job="{job}"}}[{{{{window}}}}]))'},
            }},
        },
        {
            "name": "jobs-success",
            "description": "99% of background jobs succeed (good/total).",
            "objective": 99,
            "window": "30d",
            "sli": {"ratio": {
                "good": {"metric": "jobs_succeeded_total", "selector": {"job": job}},
                "total": {"metric": "jobs_total", "selector": {"job": job}},
            }},
        },
        {
            "name": "latency",
            "description": "95% of requests complete within 300ms.",
            "objective": 95,
            "window": "30d",
            "sli": {"latency": {
                "histogram": "http_request_duration_seconds",
                "selector": {"job": job},
                "threshold": "300ms",
            }},
        },
        {
            "name": "queue-depth",
            "description": "The work queue stays under 100 items 99% of the time.",
            "objective": 99,
            "window": "7d",
            "alerting": {"tiers": ["slow", "slower"]},
            "sli": {"gauge": {
                "metric": "work_queue_depth", "selector": {"job": job},
                "aggregation": "max", "op": "<", "threshold": 100,
            }},
        },
    ]
    return {
        "apiVersion": "sre-gen/v1",
        "service": {"name": name, "team": f"team-{i % 17}", "namespace": name,
                    "labels": {"criticality": str(1 + i % 3)}},
        "settings": {"evaluationInterval": "1m", "baseWindow": "5m", "rawWindowMax": "6h"},
        "errorBudgetPolicy": _policy(),
        "slos": slos,
        "goldenSignals": {
            "latency": [{
                "name": "http-p99",
                "query": "histogram_quantile(0.99, sum by (le) (rate("
                         f'http_request_duration_seconds_bucket{{job="{job}"}}[5m])))',
                "unit": "s", "warning": 0.5, "critical": 1,
            }],
            "traffic": [{
                "name": "http-requests",
                "query": f'sum(rate(http_requests_total{{job="{job}"}}[5m]))',
                "unit": "reqps", "low": 1, "high": 1000,
            }],
        },
        "alerts": [{
            "alert": "PodRestarting",
            "expr": f'sum(increase(kube_pod_container_status_restarts_total{{namespace="{name}"}}'
                    "[15m])) > 3",
            "for": "5m",
            "severity": "warning",
            "summary": "Pods restart repeatedly.",
            "description": "{{ $value }} restarts in 15 minutes.",
        }],
    }


def write_scale_specs(folder: Path, services: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(services):
        path = folder / f"{service_name(i)}.yaml"
        path.write_text(yaml.safe_dump(scale_spec(i), sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


# ---- rule-cost comparison with Sloth --------------------------------------------------------------
COST_SERVICE = "bench-cost"


def cost_slo_name(k: int) -> str:
    return f"slo-{k:03d}"


def cost_job(k: int) -> str:
    return f"bench-cost-{k:03d}"


# Raw-series layouts of the synthetic SLIs: "single" = one series per selector (a requests counter
# and an errors counter per job); "wide" = http_requests_total{job, code, pod}, 10 codes x 5 pods =
# 50 series per SLI, the errors selector (code=~"5..") matching 15 of them.
LAYOUTS = ("single", "wide")
WIDE_GOOD_CODES = {"200": 0.85, "201": 0.05, "204": 0.03, "301": 0.02, "400": 0.02, "404": 0.02,
                   "429": 0.01}
WIDE_BAD_CODES = {"500": 0.6, "502": 0.3, "503": 0.1}
WIDE_PODS = {"pod-0": 0.24, "pod-1": 0.22, "pod-2": 0.2, "pod-3": 0.18, "pod-4": 0.16}


def cost_selectors(k: int, layout: str) -> tuple[dict, dict]:
    """(errors, total) event sources of SLO ``k`` as spec selectors."""
    job = cost_job(k)
    if layout == "single":
        return ({"metric": "bench_errors_total", "selector": {"job": job}},
                {"metric": "bench_requests_total", "selector": {"job": job}})
    return ({"metric": "http_requests_total", "selector": {"job": job, "code": {"regex": "5.."}}},
            {"metric": "http_requests_total", "selector": {"job": job}})


def cost_queries(k: int, layout: str) -> tuple[str, str]:
    """(errors, total) Sloth queries of SLO ``k`` with WINDOW where the range goes."""
    job = cost_job(k)
    if layout == "single":
        return (f'sum(rate(bench_errors_total{{job="{job}"}}[WINDOW]))',
                f'sum(rate(bench_requests_total{{job="{job}"}}[WINDOW]))')
    return (f'sum(rate(http_requests_total{{job="{job}",code=~"5.."}}[WINDOW]))',
            f'sum(rate(http_requests_total{{job="{job}"}}[WINDOW]))')


def cost_spec(n: int, layout: str = "wide", objective: float = 99.9) -> dict:
    """``n`` availability SLOs (30d), each over its own job's counters."""
    slos = []
    for k in range(n):
        errors, total = cost_selectors(k, layout)
        slos.append({
            "name": cost_slo_name(k),
            "objective": objective,
            "window": "30d",
            "sli": {"ratio": {"errors": errors, "total": total}},
        })
    return {
        "apiVersion": "sre-gen/v1",
        "service": {"name": COST_SERVICE, "team": "bench"},
        "settings": {"evaluationInterval": "1m", "baseWindow": "5m", "rawWindowMax": "6h"},
        "errorBudgetPolicy": _policy(guard=False, budget_alerts=False),
        "slos": slos,
    }


def _sloth_ids(k: int) -> tuple[str, dict]:
    slo = cost_slo_name(k)
    sloth_id = f"{COST_SERVICE}-{slo}"
    sel = f'sloth_id="{sloth_id}", sloth_service="{COST_SERVICE}", sloth_slo="{slo}"'
    return sel, {"sloth_id": sloth_id, "sloth_service": COST_SERVICE, "sloth_slo": slo}


def sloth_rules(n: int, layout: str = "wide", objective: float = 99.9) -> dict:
    """Sloth v0.16-shaped groups for the SLOs of ``cost_spec(n, layout)`` (default plugins,
    30d), the SLI an events SLI with the same error and total queries."""
    groups = []
    budget = 1 - objective / 100
    for k in range(n):
        sel, ids = _sloth_ids(k)
        err, tot = cost_queries(k, layout)
        sli_rules = [
            {"record": f"slo:sli_error:ratio_rate{w}",
             "expr": f"({err.replace('WINDOW', w)})\n/\n({tot.replace('WINDOW', w)})\n",
             "labels": {**ids, "sloth_window": w}}
            for w in SLOTH_WINDOWS
        ]
        sli_rules.append({
            "record": "slo:sli_error:ratio_rate30d",
            "expr": f"sum_over_time(slo:sli_error:ratio_rate5m{{{sel}}}[30d])\n"
                    "/ ignoring (sloth_window)\n"
                    f"count_over_time(slo:sli_error:ratio_rate5m{{{sel}}}[30d])\n",
            "labels": {**ids, "sloth_window": "30d"},
        })
        groups.append({"name": f"sloth-slo-sli-recordings-{ids['sloth_id']}",
                       "rules": sli_rules})
        on = "on(sloth_id, sloth_slo, sloth_service) group_left"
        meta = [
            ("slo:objective:ratio", f"vector({objective / 100!r})"),
            ("slo:error_budget:ratio", f"vector(1-{objective / 100!r})"),
            ("slo:time_period:days", "vector(30)"),
            ("slo:current_burn_rate:ratio",
             f"slo:sli_error:ratio_rate5m{{{sel}}}\n/ {on}\nslo:error_budget:ratio{{{sel}}}\n"),
            ("slo:period_burn_rate:ratio",
             f"slo:sli_error:ratio_rate30d{{{sel}}}\n/ {on}\nslo:error_budget:ratio{{{sel}}}\n"),
            ("slo:period_error_budget_remaining:ratio",
             f"1 - slo:period_burn_rate:ratio{{{sel}}}"),
        ]
        meta_rules = [{"record": r, "expr": e, "labels": dict(ids)} for r, e in meta]
        meta_rules.append({"record": "sloth_slo_info", "expr": "vector(1)",
                           "labels": {**ids, "sloth_mode": "cli-gen-prom",
                                      "sloth_objective": f"{objective:g}",
                                      "sloth_spec": "prometheus/v1", "sloth_version": "bench"}})
        groups.append({"name": f"sloth-slo-meta-recordings-{ids['sloth_id']}",
                       "rules": meta_rules})

        def pair(short: str, long: str, factor: float) -> str:
            return (f"    max(slo:sli_error:ratio_rate{short}{{{sel}}} > ({factor:g} * {budget!r}))"
                    " without (sloth_window)\n    and\n"
                    f"    max(slo:sli_error:ratio_rate{long}{{{sel}}} > ({factor:g} * {budget!r}))"
                    " without (sloth_window)\n")

        alerts = []
        for severity in ("page", "ticket"):
            tiers = [t for t in SLOTH_TIERS if t[4] == severity]
            expr = "(\n" + pair(*tiers[0][1:4]) + ")\nor\n(\n" + pair(*tiers[1][1:4]) + ")\n"
            alerts.append({
                "alert": "BenchCostHighErrorRate",
                "expr": expr,
                "labels": {"sloth_severity": severity},
                "annotations": {
                    "summary": "{{$labels.sloth_service}} {{$labels.sloth_slo}} SLO error budget "
                               "burn rate is over expected.",
                    "title": f"({severity}) {{{{$labels.sloth_service}}}} "
                             "{{$labels.sloth_slo}} SLO error budget burn rate is too fast.",
                },
            })
        groups.append({"name": f"sloth-slo-alerts-{ids['sloth_id']}", "rules": alerts})
    return {"groups": groups}
