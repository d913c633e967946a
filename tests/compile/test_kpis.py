"""SRE KPI recording rules (sre_gen.compile.kpis) as the real promtool evaluates them: the
generated proof (one SLO met, one missed, one unknown), hand-written cases over combinations of
met / missed / exactly-spent / unknown SLOs, and proofs that fail when the NaN guard goes."""

from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from sre_gen import conventions as cv
from sre_gen.compile import kpis, rules
from sre_gen.pipeline import Context
from sre_gen.proofs import iter_test_files, scoped
from sre_gen.spec import build, load

pytestmark = pytest.mark.slow


def _service(n_slos: int):
    slos = [{"name": f"s{i}", "objective": 99.9, "sli": {"ratio": {
        "errors": {"metric": "errors_total", "selector": {"job": f"j{i}"}},
        "total": {"metric": "requests_total", "selector": {"job": f"j{i}"}}}}}
        for i in range(n_slos)]
    data = {"apiVersion": "sre-gen/v1", "service": {"name": "checkout"}, "slos": slos}
    return build.build(load.load_text(yaml.safe_dump(data, sort_keys=False), "checkout.yaml"))


def _rules_folder(service, tmp: Path) -> Path:
    folder = tmp / service.name
    for rel, text in rules.build(service, Context()).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, "utf-8")
    return folder


def _generated_proof(service, tmp: Path, mutate=None) -> Path:
    groups = scoped.checked_in_groups(_rules_folder(service, tmp))
    scope = scoped.Scope(groups)
    f = next(f for f in iter_test_files(service, whole_rule_files=False)
             if f.path.endswith("/_kpis.yaml"))
    dest = scoped.materialize(f, scope.kept_groups(scope.needed_by(f)), tmp / "run",
                              list(f.group_order))
    if mutate is not None:
        path = tmp / "run" / "rules" / dest.name
        text = path.read_text("utf-8")
        assert mutate(text) != text
        path.write_text(mutate(text), "utf-8")
    return dest


def _promtool(promtool: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True,
                          timeout=120)


def test_generated_proof_of_the_example_passes(example_service, tmp_path, promtool):
    got = _promtool(promtool, _generated_proof(example_service, tmp_path))
    assert got.returncode == 0, got.stdout + got.stderr


@pytest.mark.parametrize(("what", "mutation"), [
    ("the NaN guard of objective_met", lambda t: t.replace(
        "\n            and\n            (slo:period_error_budget_remaining:ratio", "\n            or\n"
        "            (slo:period_error_budget_remaining:ratio", 1)),
    ("the NaN guard of the utilization", lambda t: t.replace(
        'max by (service) (slo:period_burn_rate:ratio{service="checkout"} == '
        'slo:period_burn_rate:ratio{service="checkout"})',
        'max by (service) (slo:period_burn_rate:ratio{service="checkout"})')),
    ("the 0 of nothing known", lambda t: t.replace(
        "count by (service) (slo:objective_met:bool{service=\"checkout\"})\n          or",
        "count by (service) (slo:objective_met:bool{service=\"checkout\"})\n          and")),
])
def test_generated_proof_fails_without_what_it_proves(what, mutation, tmp_path, promtool):
    got = _promtool(promtool, _generated_proof(_service(4), tmp_path, mutation))
    assert got.returncode != 0, f"the proof still passes without {what}"


# spent share of the budget per SLO over its window (None: NaN, no traffic); SLOs beyond the
# list have no data at all
CASES = {
    "all met": [Fraction(0), Fraction(1, 2), Fraction(99, 100)],
    "none met": [Fraction(2), Fraction(101, 100)],
    "exactly spent is met": [Fraction(1), Fraction(3, 2)],
    "mixed with unknown": [Fraction(1, 4), None, Fraction(5), None],
    "all unknown": [None, None],
}


@pytest.mark.parametrize("case", list(CASES))
def test_kpis_over_met_missed_and_unknown_slos(case, tmp_path, promtool):
    spent = CASES[case]
    service = _service(5)
    folder = _rules_folder(service, tmp_path)
    inputs = []
    for i, s in enumerate(spent):
        value = "NaN NaN NaN NaN NaN NaN" if s is None else f"{float(s)}x5"
        for metric in (cv.SLO_PERIOD_BURN_RATE, cv.SLO_CURRENT_BURN_RATE):
            inputs.append({"series": f'{metric}{{service="checkout",slo="s{i}"}}',
                           "values": value})
    known = [s for s in spent if s is not None]
    met = sum(1 for s in known if s <= 1)

    def sample(metric, value):
        out = {"expr": f'{metric}{{service="checkout"}}', "eval_time": "4m"}
        out["exp_samples"] = [] if value is None else [
            {"labels": f'{metric}{{service="checkout"}}', "value": float(value)}]
        return out

    tests = [sample(cv.KPI_SLOS_MET, met), sample(cv.KPI_SLOS_KNOWN, len(known)),
             sample(cv.KPI_SLOS_DEFINED, 5),
             sample(cv.KPI_SLO_COMPLIANCE, Fraction(met, len(known)) if known else None),
             sample(cv.KPI_BUDGET_UTILIZATION_MAX, max(known) if known else None),
             sample(cv.KPI_BURN_RATE_MAX, max(known) if known else None)]
    body = {"rule_files": ["../recording-rules.yaml"], "evaluation_interval": "1m",
            "group_eval_order": [g.name for g in rules.recording_groups(service)],
            "tests": [{"name": case, "interval": "1m", "input_series": inputs,
                       "promql_expr_test": tests}]}
    path = folder / "prometheus" / "tests" / "kpis.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(body, sort_keys=False), "utf-8")
    got = _promtool(promtool, path)
    assert got.returncode == 0, got.stdout + got.stderr


def test_no_kpi_group_without_slos():
    data = {"apiVersion": "sre-gen/v1", "service": {"name": "x"}, "alerts": [
        {"alert": "A", "expr": "up == 0", "severity": "warning", "summary": "s",
         "description": "d"}]}
    service = build.build(load.load_text(yaml.safe_dump(data), "x.yaml"))
    assert kpis.recording_group(service) is None
