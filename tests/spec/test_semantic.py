"""sre_gen.spec.semantic: the checks the schema cannot express, and robustness on wrong shapes.

The corpus (test_invalid_corpus.py) pins the exact messages of most checks; these tests cover the
arithmetic behind them and the guarantee that a spec of the wrong shape never crashes a check.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from sre_gen.spec import load, semantic

ROOT = Path(__file__).resolve().parents[2]

BASE = {
    "apiVersion": "sre-gen/v1",
    "service": {"name": "checkout"},
    "slos": [
        {
            "name": "availability",
            "objective": 99.9,
            "sli": {
                "ratio": {
                    "errors": {"metric": "http_requests_total",
                               "selector": {"code": {"regex": "5.."}}},
                    "total": {"metric": "http_requests_total"},
                }
            },
        }
    ],
}


def check(data: object, warnings: bool = False) -> list[str]:
    """The errors (or with ``warnings``, the warnings) of a spec, as ``path: message``."""
    text = yaml.safe_dump(data, sort_keys=False)
    doc = load.load_text(text, "s.yaml")
    return [f"{p.path}: {p.message}" for p in semantic.check(doc) if p.warning == warnings]


def spec(**changes: object) -> dict:
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def slo(**changes: object) -> dict:
    out = copy.deepcopy(BASE["slos"][0])
    out.update(changes)
    return out


def test_base_and_example_have_no_semantic_problems() -> None:
    assert check(BASE) == []
    doc = load.load(ROOT / "specs" / "autogen-review-bot.yaml")
    assert semantic.check(doc) == []


def test_default_tiers_scale_with_the_slo_window() -> None:
    """The default tiers are budget shares: 2% of the budget in 1h is 14.4x on a 30d window but
    3.36x on 7d. A 92% SLO (budget 0.08) reaches 3.36x (0.27 < 1) but never 14.4x (1.152)."""
    assert check(spec(slos=[slo(objective=92, window="7d")])) == []
    assert check(spec(slos=[slo(objective=92, window="30d")])) == [
        "slos[0].objective: tier 'fast' can never fire for objective 92%: burn rate 14.4 x error "
        "budget 0.08 = 1.152 is not below 1 (the highest reachable burn rate is below 12.5); "
        "choose tiers with alerting.tiers or lower the burn rate"
    ]


def test_budget_percent_tier_on_a_short_window() -> None:
    policy = {"tiers": [{"name": "page", "budgetPercent": 2, "longWindow": "1h",
                         "severity": "critical"}]}
    assert check(spec(errorBudgetPolicy=policy, slos=[slo(objective=50, window="7d")])) == [
        "slos[0].objective: tier 'page' can never fire for objective 50%: burn rate 3.36 x error "
        "budget 0.5 = 1.68 is not below 1 (the highest reachable burn rate is below 2); choose "
        "tiers with alerting.tiers or lower the burn rate"
    ]
    # The same tier is fine on a 99% SLO, and when the SLO opts out of all tiers.
    assert check(spec(errorBudgetPolicy=policy, slos=[slo(objective=99, window="7d")])) == []
    opted_out = slo(objective=50, window="7d", alerting={"tiers": []})
    assert check(spec(errorBudgetPolicy=policy, slos=[opted_out])) == []


def test_default_very_slow_tier_is_longer_than_a_one_day_window() -> None:
    """Equal windows are fine (slow: 1d on 1d); only very-slow (3d) is too long, and the message
    says what to write: the tiers that fit, in alerting.tiers (issue 11 item 11)."""
    assert check(spec(slos=[slo(window="1d")])) == [
        "slos[0].window: tier 'very-slow' (3d) must have a long window no longer than the SLO "
        "window (1d): keep the others with `alerting: {tiers: [fast, moderate, slow]}` on this "
        "SLO, or define tiers with shorter long windows in errorBudgetPolicy.tiers"
    ]
    chosen = slo(window="1d", alerting={"tiers": ["fast", "very-slow"]})
    assert check(spec(slos=[chosen])) == [
        "slos[0].alerting.tiers: tier 'very-slow' (3d) must have a long window no longer than "
        "the SLO window (1d): keep the others with `alerting: {tiers: [fast]}` on this SLO, or "
        "define tiers with shorter long windows in errorBudgetPolicy.tiers"
    ]


def test_objective_written_as_a_fraction_gets_one_error() -> None:
    """0.9995 means 99.95%: one error that says so, not one per unreachable tier."""
    assert check(spec(slos=[slo(objective=0.9995)])) == [
        "slos[0].objective: objective is a percentage: did you mean 99.95?"]


def test_tiers_below_1x_warn_with_the_reason() -> None:
    """Default tiers on 7d: slow is 0.7x, very-slow 0.233333x (issue 11 item 9)."""
    assert check(spec(slos=[slo(window="7d")])) == []
    assert check(spec(slos=[slo(window="7d")]), warnings=True) == [
        f"slos[0].window: tier {name!r} burns at {rate}x on the 7d window: below 1x it fires on "
        "error rates that would not use up the budget within the window (it pages while the SLO "
        "is met); drop it with alerting.tiers, or give it a burnRate of at least 1 (or a "
        f"budgetPercent of at least {share})"
        for name, rate, share in (("slow", "0.7", "14.29"), ("very-slow", "0.233333", "42.86"))
    ]
    assert check(spec(slos=[slo(window="30d")]), warnings=True) == []  # very-slow is 1x


def test_durations_the_schema_rejects_are_not_reported_twice() -> None:
    assert check(spec(slos=[slo(window="5 minutes")])) == []
    assert check(spec(slos=[slo(window="0m")])) == [
        "slos[0].window: '0m' is zero: a duration must be positive"]


def test_window_placeholder_forms() -> None:
    sloth = {"good": {"query": "sum(rate(ok_total[{{ .window }}]))"},
             "total": {"query": "sum(rate(all_total[{{window}}]))"}}
    assert check(spec(slos=[slo(sli={"ratio": sloth})])) == []
    gauge = {"gauge": {"query": "max(x[{{window}}])", "op": "<", "threshold": 1}}
    assert check(spec(slos=[slo(sli=gauge)])) == [
        "slos[0].sli.gauge.query: {{window}} is only allowed in event queries (ratio SLIs, "
        "counters)"]


def test_identical_event_and_total_sources() -> None:
    same = {"metric": "http_requests_total"}
    assert check(spec(slos=[slo(sli={"ratio": {"errors": same, "total": same}})])) == [
        "slos[0].sli.ratio: the event and total sources are identical"]


def test_receiver_with_two_integrations() -> None:
    oncall = {"receivers": [{"name": "team", "webhook": {"url": "https://x.example.com"},
                             "email": {"to": "a@example.com"}}]}
    assert check(spec(oncall=oncall)) == [
        "oncall.receivers[0].email: a receiver has at most one integration, got webhook, email: "
        "define one receiver per integration"]


def test_generated_alert_names_follow_the_alert_prefix() -> None:
    alert = {"alert": "ShopAvailabilityErrorBudgetBurn", "expr": "up == 0",
             "severity": "critical", "summary": "x"}
    assert check(spec(alerts=[alert])) == []
    assert check(spec(alerts=[alert], settings={"alertPrefix": "Shop"})) == [
        "alerts[0].alert: 'ShopAvailabilityErrorBudgetBurn' is the name of a generated alert"]


def test_references_of_the_wrong_type_are_left_to_the_schema() -> None:
    odd = slo(runbook=None, alerting={"tiers": [5]})
    data = spec(slos=[odd], oncall={"defaultReceiver": 3, "receivers": [{"name": "a"}]},
                capacity={"resources": [{"name": "cpu", "usage": "x", "limit": "y",
                                         "driver": ["z"]}]})
    assert check(data) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"slos": "x"},
        {"slos": [1, "a", None, [], {}]},
        {"slos": [{"name": "a", "objective": "high", "window": 5, "sli": []}]},
        {"slos": [{"name": "a", "objective": 99, "sli": {"ratio": {"errors": [], "total": 5}}}]},
        {"slos": [{"name": "a", "objective": 99, "sli": {"latency": {"threshold": "abc"}}}]},
        {"slos": [{"name": "a", "objective": 99, "alerting": {"tiers": "fast"}, "sli": {}}]},
        {"errorBudgetPolicy": "x", "incidentClasses": [{"name": "a", "severities": ["x"]}]},
        {"errorBudgetPolicy": {"tiers": 2.5}},
        {"errorBudgetPolicy": {"tiers": [1, "fast", {"name": 3, "longWindow": 5}]}},
        {"errorBudgetPolicy": {"tiers": [{"name": "t", "burnRate": "x", "longWindow": "1h"}]}},
        {"errorBudgetPolicy": {"alerts": 7}, "incidentClasses": [{"severities": ["a"]}]},
        {"incidentClasses": [{"name": "a", "severities": [1, None, ["x"], "critical"]}]},
        {"incidentClasses": "x"},
        {"settings": ["x"], "goldenSignals": {"latency": "x", "errors": [3]}},
        {"settings": {"evaluationInterval": 5, "baseWindow": None}},
        {"autoscaling": {"minReplicas": "a", "maxReplicas": None, "behavior": "x"}},
        {"autoscaling": {"behavior": {"scaleUp": {"policies": [{"period": 1}]}}}},
        {"oncall": "x", "runbooks": 5},
        {"oncall": {"receivers": [{"name": ["a"]}, 3]}},
        {"capacity": {"growth": [1], "resources": [{"driver": {}}]}},
        {"disasterRecovery": {"rto": [1], "backups": [{"lastSuccess": "x"}]}},
        {"security": [{"counter": "x"}, {"counter": {"query": 5}}]},
        {"alerts": [{"alert": 5, "expr": [], "labels": "x", "tests": [{"inputSeries": [1]}]}]},
        {"service": "x", "alerts": [{"alert": "A"}]},
        {"service": {"labels": [1]}, "settings": {"prometheusRuleLabels": {"a": None}}},
        {"chaos": {"schedule": 5, "cooldown": [], "experiments": [{"affects": "x"}, 3]}},
        {"chaos": {"schedule": "1 2 3 4 5", "cooldown": "1h",
                   "experiments": [{"fault": [], "affects": [{"slo": 1}]}, {"duration": 5}]}},
        {"chaos": {"experiments": [{"fault": {"connectionLoss": "db:1"}}]}},
        {"chaos": "weekly"},
    ],
)
def test_wrong_shapes_never_crash(changes: dict) -> None:
    problems = check(spec(**changes))
    assert isinstance(problems, list)


NO_LABELS = ("settings.ruleFormat: the PrometheusRule object gets no labels: "
             "kube-prometheus-stack's default ruleSelector only picks objects labelled release: "
             "<its Helm release>; set settings.prometheusRuleLabels (e.g. {release: "
             "kube-prometheus-stack}) unless your Prometheus selects every PrometheusRule")


@pytest.mark.parametrize("settings, errors, warnings", [
    ({"ruleFormat": "prometheusRule", "writePromtoolTests": True},
     ["settings.writePromtoolTests: the written promtool tests read the plain rule files, and "
      "ruleFormat prometheusRule writes none: set ruleFormat to both, or drop writePromtoolTests "
      "(sre-gen test proves the PrometheusRule's groups either way)"], [NO_LABELS]),
    ({"prometheusRuleLabels": {"release": "prom"}}, [],
     ["settings.prometheusRuleLabels: prometheusRuleLabels has no effect: ruleFormat is files "
      "(the default), so no PrometheusRule object is written; set ruleFormat: prometheusRule (or "
      "both) for prometheus-operator"]),
    ({"ruleFormat": "both", "writePromtoolTests": True,
      "prometheusRuleLabels": {"release": "prom"}}, [], []),
    ({"ruleFormat": "prometheusRule", "prometheusRuleLabels": {"release": "prom"}}, [], []),
    ({"writePromtoolTests": False, "ruleFormat": "prometheusRule"}, [], [NO_LABELS]),
])
def test_rule_format_combinations(settings: dict, errors: list, warnings: list) -> None:
    data = spec(settings=settings)
    assert check(data) == errors
    assert check(data, warnings=True) == warnings


def _colliding_slo_names() -> tuple[str, str]:
    from sre_gen import panel_ids

    seen: dict[int, str] = {}
    n = 0
    while True:
        name = f"slo-{n}"
        slot = panel_ids.section_slot(panel_ids.slo_section(name))
        if slot in seen:
            return seen[slot], name
        seen[slot] = name
        n += 1


def test_slos_whose_dashboard_panel_ids_collide_are_warned_about() -> None:
    a, b = _colliding_slo_names()
    first, second = sorted([a, b])
    data = spec(slos=[slo(name=b), slo(name=a)])
    assert check(data) == []
    assert check(data, warnings=True) == [
        f"slos[{[b, a].index(second)}].name: the dashboard panel ids of SLO {second!r} would be those of SLO "
        f"{first!r}; SLO {second!r} takes the next ones, which change if SLO {first!r} is "
        "renamed or removed (viewPanel links to its panels then break): rename one of them"]
    assert check(spec(slos=[slo(name=a), slo(name="other")]), warnings=True) == []


@pytest.mark.parametrize("cron, problem", [
    ("0 10 * * 2", None), ("*/15 0-23/2 1,15 1-12 0-6", None), ("@weekly", None),
    ("60 * * * *", "minute 60 is outside 0-59"), ("0 10 * * 7", "day of week 7 is outside 0-6"),
    ("0 10 0 * *", "day of month 0 is outside 1-31"), ("0 5-3 * * *", "hour range 5-3 runs backwards"),
    ("0 10 * * mon", "day of week field 'mon': expected *, a number, a range a-b, with /step"),
])
def test_cron_schedules(cron: str, problem: str | None) -> None:
    assert semantic.cron_error(cron) == problem


def _chaos(cooldown: str, experiments: int = 2, duration: str = "5m") -> dict:
    return {"schedule": "@weekly", "cooldown": cooldown, "experiments": [
        {"name": f"e{i}", "fault": {"cpuStress": {}}, "blastRadius": 10, "duration": duration,
         "affects": [{"slo": "availability"}]} for i in range(experiments)]}


def test_chaos_cooldown_shorter_than_the_windows_warns() -> None:
    # the default tiers of a 30d SLO reach 3d: a shorter cooldown warns, only between experiments
    assert check(spec(chaos=_chaos("3d")), warnings=True) == []
    assert check(spec(chaos=_chaos("1h", experiments=1)), warnings=True) == []
    [warning] = check(spec(chaos=_chaos("1h")), warnings=True)
    assert warning.startswith("chaos.cooldown: cooldown 1h is shorter than the longest "
                              "burn-rate window of the affected SLOs (3d)")
    [week] = check(spec(chaos=_chaos("3d", experiments=4)), warnings=True)
    assert "a scheduled run lasts 9d20m, longer than a week" in week
    assert check(spec(chaos=_chaos("1h"))) == []
