"""Per-label SLOs (``grouping: [label, ...]``, issue 16): rules, alerts, dashboards and proofs.

- a grid over the parameter space: grouped SLOs of every SLI kind that supports grouping, over
  the usual SLO windows and objectives, compile, pass ``promtool check rules``, and their
  proofs (``sre-gen test``'s scoped form) pass the real promtool, among them the groups file
  in which the failing group alerts alone;
- the rules keep the grouping labels on every SLI series, the "no error yet" fallback adds no
  series without them (``or vector(0)`` made one: the proofs catch it), and the joins match on
  them (``on (service, slo)`` fails: many-to-many);
- the dashboard has a variable per grouping label and uses it in that SLO's panels only.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from sre_gen import conventions as cv
from sre_gen.compile import dashboards, rules
from sre_gen.compile.slo_rules import recording_group
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "tests" / "specs" / "rules" / "grouped-slos.yaml"

KINDS = {  # the SLI kinds grouping supports (raw-PromQL SLIs are rejected: tests/spec)
    "ratio-errors": ("[handler]", '{ ratio: { errors: { metric: http_requests_total, selector: '
                     '{ job: api, code: { regex: "5.." } } }, total: { metric: '
                     "http_requests_total, selector: { job: api } } } }"),
    "ratio-good": ("[queue]", "{ ratio: { good: { metric: jobs_succeeded_total }, total: "
                   "{ metric: jobs_total } } }"),
    "latency": ("[handler, method]", "{ latency: { histogram: http_request_duration_seconds, "
                "selector: { job: api }, threshold: 250ms } }"),
    "gauge": ("[pool]", '{ gauge: { metric: active_sessions, aggregation: max, op: "<", '
              "threshold: 80 } }"),
}
WINDOWS = ("7d", "28d", "30d")
OBJECTIVES = ("99", "99.5", "99.9")


def _grid_spec(window: str, shift: int) -> str:
    """One grouped SLO per kind; objectives rotate with ``shift`` so that over the windows every
    kind meets every objective (a Latin square: 3 specs, 12 SLOs)."""
    lines = ["apiVersion: sre-gen/v1", "service: { name: svc, team: sre }", "slos:"]
    for i, (kind, (grouping, sli)) in enumerate(KINDS.items()):
        objective = OBJECTIVES[(i + shift) % len(OBJECTIVES)]
        lines += [f"  - name: {kind}", f"    objective: {objective}", f"    window: {window}",
                  f"    grouping: {grouping}",
                  "    alerting: { tiers: [fast, moderate] }", f"    sli: {sli}"]
    return "\n".join(lines) + "\n"


def _write_rules(service, folder: Path) -> None:
    for rel, text in rules.build(service, Context()).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")


def _proofs(service, folder: Path) -> list[Path]:
    from sre_gen.proofs import scoped

    groups = scoped.checked_in_groups(folder)
    return sorted(p.path for p in scoped.prepare(service, groups, folder / "proofs"))


def _promtool_test(promtool: str, files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, "test", "rules", *map(str, files)], capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("shift,window", list(enumerate(WINDOWS)), ids=WINDOWS)
def test_grouped_slos_compile_check_and_prove(tmp_path: Path, promtool: str, shift: int,
                                              window: str) -> None:
    spec = tmp_path / "svc.yaml"
    spec.write_text(_grid_spec(window, shift), "utf-8")
    service = load_service(spec, "svc.yaml")
    assert all(slo.grouping for slo in service.slos)
    folder = tmp_path / "svc"
    _write_rules(service, folder)
    rule_files = sorted((folder / cv.PROMETHEUS_DIR).glob("*-rules.yaml"))
    check = subprocess.run([promtool, "check", "rules", *map(str, rule_files)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    files = _proofs(service, folder)
    groups = {f.name: f for f in files if f.name.endswith(".groups.yaml")}
    assert sorted(groups) == sorted(f"{slo.name}.groups.yaml" for slo in service.slos)
    for slo in service.slos:
        _assert_failing_group_alone(groups[f"{slo.name}.groups.yaml"], slo)
    run = _promtool_test(promtool, files)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert run.stdout.count("SUCCESS") == len(files)


def _assert_failing_group_alone(path: Path, slo) -> None:
    """The groups file asserts the burn alert of group a, every expected alert of group a, and
    no ALERTS series of group b."""
    doc = yaml.safe_load(path.read_text("utf-8"))
    by_name = {g["name"].split(": ", 1)[1]: g for g in doc["tests"]}
    alone = by_name["the failing group alerts alone"]
    (test,) = alone["alert_rule_test"]
    assert test["exp_alerts"], path
    for alert in test["exp_alerts"]:
        for label in slo.grouping:
            assert alert["exp_labels"][label] == "a"
            assert f"{label}=a" in alert["exp_annotations"]["summary"]
    series = {s["series"] for s in alone["input_series"]}
    assert any(all(f'{label}="b"' in s for label in slo.grouping) for s in series)
    (quiet,) = alone["promql_expr_test"]
    assert all(f'{label}="b"' in quiet["expr"] for label in slo.grouping)
    assert quiet["expr"].startswith(cv.ALERTS) and quiet["exp_samples"] == []
    assert "one series per group" in by_name


def _service():
    return load_service(SPEC, "tests/specs/rules/grouped-slos.yaml")


def test_every_sli_series_keeps_the_grouping_labels() -> None:
    """Every aggregation of a grouped SLO's recording rules is ``by (<grouping>)``, every join
    of two SLI series matches ``on`` the grouping labels too, and nothing is ``vector(0)``."""
    import promql_parser as p

    from sre_gen import promql

    service = _service()
    for slo in service.slos:
        for rule in recording_group(service, slo).rules:
            if rule.record in (cv.SLO_OBJECTIVE, cv.SLO_ERROR_BUDGET, cv.SLO_TIME_WINDOW,
                               cv.SLO_INFO):
                assert rule.expr.startswith("vector("), rule.record  # one per SLO
                continue
            assert "vector(0)" not in rule.expr, (slo.name, rule.record)
            for node in _nodes(promql.parse(rule.expr)):
                if isinstance(node, p.AggregateExpr):
                    assert node.modifier is not None and \
                        list(node.modifier.labels) == list(slo.grouping), (rule.record, rule.expr)
                if isinstance(node, p.BinaryExpr) and node.modifier is not None and \
                        node.modifier.matching is not None and "time()" not in str(node.rhs):
                    labels = node.modifier.matching.labels
                    assert set(slo.grouping) <= set(labels), (rule.record, rule.expr)


def _nodes(node):
    yield node
    for attr in ("expr", "lhs", "rhs", "param"):
        child = getattr(node, attr, None)
        if child is not None and not isinstance(child, (str, int, float)):
            yield from _nodes(child)
    for arg in getattr(node, "args", None) or ():
        yield from _nodes(arg)


def test_alerts_name_the_group_in_labels_and_text() -> None:
    from sre_gen.compile.slo_rules import alerting_group

    service = _service()
    for slo in service.slos:
        group = alerting_group(service, slo)
        for rule in group.rules:
            summary = rule.annotation("summary")
            shown = all("{{ $labels." + label + " }}" in summary for label in slo.grouping)
            # SLI absent is one alert per SLO (no group has data); the others are per group
            assert shown == (rule.kind != "slo-absent"), (rule.alert, summary)


def _mutated(folder: Path, old: str, new: str) -> None:
    path = folder / cv.RECORDING_RULES_FILE
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("old,new", [
    # the stray series: the fallback without the total's group labels
    (' or (sum by (handler) (rate(http_requests_total{job="review-api"}[5m])) * 0))',
     " or vector(0))"),
    # a join that ignores the group
    ("* on (service, slo, handler)", "* on (service, slo)"),
], ids=["or-vector-0", "join-without-group"])
def test_the_groups_proof_kills_ungrouped_mutants(tmp_path: Path, promtool: str, old: str,
                                                  new: str) -> None:
    service = _service()
    folder = tmp_path / "svc"
    _write_rules(service, folder)
    _mutated(folder, old, new)
    files = [f for f in _proofs(service, folder) if f.name == "handler-availability.groups.yaml"]
    assert len(files) == 1
    run = _promtool_test(promtool, files)
    assert run.returncode != 0 and "FAILED" in run.stdout + run.stderr, run.stdout


def test_dashboard_variables_per_grouping_label() -> None:
    service = _service()
    dash = dashboards.slo_dashboard(service)
    variables = {v["name"]: v for v in dash["templating"]["list"][1:]}
    expected = {(slo.name, label) for slo in service.slos for label in slo.grouping}
    assert len(variables) == len(expected)
    names = dashboards.group_variables(service)
    for (slo_name, label), name in names.items():
        v = variables[name]
        assert re.fullmatch(r"[A-Za-z0-9_]+", name)
        assert v["query"] == (f'label_values({cv.sli_total(service.settings.base_window)}'
                              f'{{service="review-api",slo="{slo_name}"}}, {label})')
        assert v["multi"] and v["includeAll"]
    panels = [p for p in _panels(dash) if p.get("targets")]
    for slo in service.slos:
        own = [p for p in panels if p["title"].startswith(f"{slo.name}: ")]
        assert own
        for panel in own:
            for target in panel["targets"]:
                expr = target["expr"]
                if cv.SLO_OBJECTIVE in expr or cv.ALERTS in expr:
                    continue  # one series per SLO; the alerts table lists the group labels
                for label in slo.grouping:
                    assert f'{label}=~"${{{names[(slo.name, label)]}}}"' in expr, expr
                    if target["legendFormat"] != "ideal linear burn":  # one line for all
                        assert "{{" + label + "}}" in target["legendFormat"]


def test_ungrouped_dashboards_have_no_group_variable() -> None:
    example = load_service(ROOT / "specs" / "autogen-review-bot.yaml", "specs/x.yaml")
    dash = dashboards.slo_dashboard(example)
    assert [v["name"] for v in dash["templating"]["list"]] == ["datasource"]
    assert "=~\"${" not in str(dash)


def _panels(dash):
    for panel in dash["panels"]:
        yield panel
        yield from panel.get("panels", [])
