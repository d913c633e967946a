"""Failover rules (sre_gen.compile.regions) and their proofs (sre_gen.proofs.regions), run by the
real promtool: over SLI kinds (errors/total, good/total, latency), region labels and region
sets; the proofs fail when the rules lose what they prove (the floor, the baseline offset, the
zero-errors branch, the `for`)."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import pytest
import yaml

from sre_gen import conventions as cv
from sre_gen.compile import regions, rules
from sre_gen.pipeline import Context
from sre_gen.proofs import iter_test_files, scoped
from sre_gen.spec import build, load, semantic

pytestmark = pytest.mark.slow

RATIO = {"ratio": {"errors": {"metric": "http_requests_total",
                              "selector": {"job": "checkout", "code": {"regex": "5.."}}},
                   "total": {"metric": "http_requests_total", "selector": {"job": "checkout"}}}}
GOOD = {"ratio": {"good": {"metric": "orders_ok_total", "selector": {"job": "checkout"}},
                  "total": {"metric": "orders_total", "selector": {"job": "checkout"}}}}
LATENCY = {"latency": {"histogram": "http_request_duration_seconds",
                       "selector": {"job": "checkout"}, "threshold": "500ms"}}


def _spec(sli: dict, *, label: str | None = None, roles=("primary", "secondary",
                                                           "disasterRecovery"),
          spike: dict | None = None, job: str = "checkout") -> dict:
    names = {"primary": "us-east-1", "secondary": "us-west-2", "disasterRecovery": "eu-west-1"}
    reg: dict = {k: names[k] for k in roles}
    if label:
        reg["label"] = label
    reg["failover"] = {
        "regionUnavailable": {"signal": {"metric": "up", "selector": {"job": job}}},
        "errorRateSpike": {"slo": "main", "baseline": "1h", **(spike or {})},
        "healthCheckFailing": {"signal": {"metric": "probe_success",
                                          "selector": {"job": f"{job}-probe"}}},
    }
    return {"apiVersion": "sre-gen/v1", "service": {"name": "checkout"},
            "slos": [{"name": "main", "objective": 99.9, "sli": sli}], "regions": reg}


def _service(data: dict):
    doc = load.load_text(yaml.safe_dump(data, sort_keys=False), "checkout.yaml")
    assert [p for p in semantic.check(doc) if not p.warning] == []
    return build.build(doc)


def _prove(service, tmp: Path, promtool: str, which: str,
           mutate=None) -> subprocess.CompletedProcess:
    folder = tmp / service.name
    for rel, text in rules.build(service, Context()).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, "utf-8")
    groups = scoped.checked_in_groups(folder)
    scope = scoped.Scope(groups)
    f = next(f for f in iter_test_files(service, whole_rule_files=False) if f.path.endswith(which))
    assert not f.untested, f.untested
    dest = scoped.materialize(f, scope.kept_groups(scope.needed_by(f)), tmp / "run",
                              list(f.group_order))
    if mutate is not None:
        rule_file = tmp / "run" / "rules" / dest.name
        text = rule_file.read_text("utf-8")
        changed = mutate(text)
        assert changed != text, "the mutation changed nothing"
        rule_file.write_text(changed, "utf-8")
    return subprocess.run([promtool, "test", "rules", str(dest)], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("sli", [RATIO, GOOD, LATENCY], ids=["errors-total", "good-total",
                                                              "latency"])
def test_proofs_pass_for_every_sli_kind(sli, tmp_path, promtool) -> None:
    got = _prove(_service(_spec(sli)), tmp_path, promtool, "/_regions.yaml")
    assert got.returncode == 0, got.stdout + got.stderr


def test_proofs_pass_with_another_label_two_regions_and_other_numbers(tmp_path, promtool):
    data = _spec(RATIO, label="topology_region", roles=("primary", "secondary"),
                 spike={"factor": 4, "baseline": "6h", "floor": 0.002, "for": "10m"},
                 job='we"ird\\job')
    service = _service(data)
    expr = rules.build(service, Context())[cv.RECORDING_RULES_FILE]
    assert 'topology_region="us-west-2"' in expr and "eu-west-1" not in expr
    assert r'job="we\"ird\\job"' in yaml.safe_load(expr)["groups"][-2]["rules"][0]["expr"]
    got = _prove(service, tmp_path, promtool, "/_regions.yaml")
    assert got.returncode == 0, got.stdout + got.stderr


def test_rules_pass_promtool_check(tmp_path, promtool) -> None:
    service = _service(_spec(LATENCY, job='a"b'))
    for rel, text in rules.build(service, Context()).items():
        path = tmp_path / rel.replace("/", "_")
        path.write_text(text, "utf-8")
        got = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True,
                             text=True)
        assert got.returncode == 0, got.stdout + got.stderr


@pytest.mark.parametrize(("what", "mutation"), [
    ("the floor", lambda t: t.replace(", 0.001)", ", 0)")),
    ("the baseline offset", lambda t: t.replace(" offset 1h", "")),
    ("the zero-errors branch", lambda t: t.replace("\n          or\n          0 * sum(",
                                                   "\n          and\n          0 * sum(")),
    ("the unavailability `for`", lambda t: t.replace("for: 5m", "for: 4m", 1)),
    ("the health-check `for`", lambda t: t.replace("for: 15m", "for: 14m")),
    ("the region matcher", lambda t: t.replace(',region="us-west-2"}', "}")),
])
def test_proofs_fail_when_the_rules_lose_what_they_prove(what, mutation, tmp_path, promtool):
    got = _prove(_service(_spec(RATIO)), tmp_path, promtool, "/_regions.yaml", mutate=mutation)
    assert got.returncode != 0, f"the proof still passes without {what}"


def test_no_failover_without_regions_or_triggers() -> None:
    data = _spec(RATIO)
    data["regions"].pop("failover")
    service = _service(data)
    assert regions.recording_group(service) is None and regions.alerting_group(service) is None
    data = copy.deepcopy(data)
    data.pop("regions")
    assert _service(data).regions is None


def test_every_alert_has_a_runbook_page_linking_the_recovery_procedures(example_service):
    from sre_gen.compile import runbooks

    pages = runbooks.build(example_service, Context())
    for trigger in cv.REGION_ALERT_SUFFIX:
        name = cv.region_alert(example_service.settings.alert_prefix, trigger)
        page = pages[f"{cv.RUNBOOKS_DIR}/{cv.runbook_file(name)}"]
        assert page.splitlines()[0] == f"# {name}"
        assert "## Multi-region failover" in page
        for step in example_service.disaster_recovery.procedures:
            assert step in page
        assert example_service.regions.failover_command in page
    assert "## Multi-region failover" in pages[f"{cv.RUNBOOKS_DIR}/{cv.RUNBOOK_INDEX_FILE}"]
