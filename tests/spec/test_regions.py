"""``regions``: the schema and semantic checks (file:line:col, field path, what was expected) and
the model the example builds (every compilable item of the seed's multi-region strategy)."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from sre_gen.errors import SpecError
from sre_gen.spec import load, load_service, semantic
from sre_gen.spec.schema_check import validate

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "autogen-review-bot.yaml"

BASE = {
    "apiVersion": "sre-gen/v1",
    "service": {"name": "checkout"},
    "slos": [
        {"name": "availability", "objective": 99.9, "sli": {"ratio": {
            "errors": {"metric": "http_requests_total", "selector": {"code": {"regex": "5.."}}},
            "total": {"metric": "http_requests_total"}}}},
        {"name": "latency", "objective": 99, "sli": {"latency": {
            "histogram": "http_request_duration_seconds", "threshold": "500ms"}}},
        {"name": "queue", "objective": 99, "sli": {"gauge": {
            "metric": "queue_depth", "op": "<", "threshold": 10}}},
    ],
    "regions": {
        "primary": "us-east-1", "secondary": "us-west-2", "disasterRecovery": "eu-west-1",
        "replication": [{"data": "database", "mode": "synchronous", "to": ["secondary"]}],
        "failover": {
            "regionUnavailable": {"signal": {"metric": "up", "selector": {"job": "checkout"}}},
            "errorRateSpike": {"slo": "availability"},
            "healthCheckFailing": {"signal": {"metric": "probe_success"}},
        },
    },
}


def problems(data: dict) -> list[str]:
    text = yaml.safe_dump(data, sort_keys=False)
    doc = load.load_text(text, "s.yaml")
    schema = [f"{load.format_path(p)}: {m}" for p, m, _ in validate(data)]
    return schema + [f"{p.path}: {p.message}" for p in semantic.check(doc) if not p.warning]


def spec(**failover) -> dict:
    data = copy.deepcopy(BASE)
    data["regions"]["failover"].update(failover)
    return data


def test_base_is_valid() -> None:
    assert problems(BASE) == []


def test_the_example_encodes_the_seeds_multi_region_strategy() -> None:
    svc = load_service(EXAMPLE, "specs/autogen-review-bot.yaml")
    reg = svc.regions
    assert [(r.role, r.name) for r in reg.regions] == [
        ("primary", "us-east-1"), ("secondary", "us-west-2"), ("disaster-recovery", "eu-west-1")]
    assert [(x.data, x.mode, x.to) for x in reg.replication] == [
        ("database", "synchronous", ("secondary",)),
        ("application-data", "asynchronous", ("secondary", "disaster-recovery")),
        ("configuration", "real-time", ("secondary", "disaster-recovery"))]
    assert reg.unavailable.for_seconds == 300  # region_unavailability_5min
    assert reg.health_check.for_seconds == 900  # health_check_failures_continuous_15min
    assert reg.error_spike.factor == 10  # error_rate_spike_10x
    assert reg.error_spike.slo == "availability"
    assert reg.error_spike.baseline == 86400
    assert reg.error_spike.floor == Decimal("0.0005")  # default: the SLO's error budget
    assert reg.failover_command  # manual_failover_command
    assert reg.runbook == "region-failover"


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["regions"].update(secondary="us-east-1"),
     "regions.secondary: region 'us-east-1' is also the primary region"),
    (lambda d: d["regions"]["failover"]["errorRateSpike"].update(slo="availabilty"),
     "regions.failover.errorRateSpike.slo: unknown SLO 'availabilty' (did you mean "
     "'availability'?)"),
    (lambda d: d["regions"]["failover"]["errorRateSpike"].update(slo="queue"),
     "regions.failover.errorRateSpike.slo: SLO 'queue' must have a ratio or latency SLI given "
     "as metric and selector"),
    (lambda d: d["regions"]["failover"]["regionUnavailable"]["signal"]["selector"].update(
        region="x"), "regions.failover.regionUnavailable.signal.selector.region: do not select "
                     "region"),
    (lambda d: d["regions"]["failover"]["errorRateSpike"].update(factor=10, floor=0.1),
     "regions.failover.errorRateSpike.floor: factor x floor is 1"),
    (lambda d: d["regions"]["failover"]["errorRateSpike"].update(baseline="30m"),
     "regions.failover.errorRateSpike.baseline: the baseline must span at least 12 base "
     "windows (1h) and at most 7d, got 30m"),
    (lambda d: d["regions"].pop("secondary"),
     "regions.replication[0].to[0]: replicates to the secondary region, but regions.secondary "
     "is not set"),
    (lambda d: d["regions"].update(label="service"),
     "regions.label: label 'service' is set by sre-gen itself"),
    (lambda d: d["service"].update(labels={"region": "x"}),
     "service.labels.region: label 'region' names the region on the failover alerts"),
    (lambda d: d["regions"]["failover"].update(runbook="nope"),
     "regions.failover.runbook: unknown runbook 'nope'"),
    (lambda d: d["regions"]["failover"]["errorRateSpike"].update(factor=1),
     "regions.failover.errorRateSpike.factor: "),
    (lambda d: d["regions"].update(primary="us east"), "regions.primary: "),
    (lambda d: d.update(alerts=[{"alert": "CheckoutRegionUnavailable", "expr": "up == 0",
                                 "severity": "critical", "summary": "s", "description": "d"}]),
     "alerts[0].alert: 'CheckoutRegionUnavailable' is the name of a generated alert"),
    (lambda d: d["regions"]["replication"][0].update(mode="sync"),
     "regions.replication[0].mode: "),
])
def test_bad_regions_are_reported_at_the_field(change, expected) -> None:
    data = copy.deepcopy(BASE)
    change(data)
    found = problems(data)
    assert any(p.startswith(expected) for p in found), found


def test_cli_names_file_line_and_column(tmp_path, capsys) -> None:
    from sre_gen import actions

    data = copy.deepcopy(BASE)
    data["regions"]["failover"]["errorRateSpike"]["slo"] = "queue"
    path = tmp_path / "checkout.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    code = actions.run(lambda: actions.validate([path]))
    err = capsys.readouterr().err
    line = next(i for i, ln in enumerate(path.read_text().splitlines(), 1)
                if ln.strip() == "slo: queue")
    assert code == 3
    assert f":{line}:" in err and "regions.failover.errorRateSpike.slo: SLO 'queue'" in err


def test_latency_and_good_total_slis_are_accepted() -> None:
    assert problems(spec(errorRateSpike={"slo": "latency"})) == []


def test_build_rejects_nothing_the_checks_accept() -> None:
    data = spec(errorRateSpike={"slo": "latency", "floor": 0.001, "factor": 5})
    svc = load_service_text(data)
    assert svc.regions.error_spike.floor == Decimal("0.001")
    assert svc.regions.error_spike.factor == 5


def load_service_text(data: dict):
    from sre_gen.spec import build

    doc = load.load_text(yaml.safe_dump(data, sort_keys=False), "s.yaml")
    if semantic.check(doc):
        raise SpecError(semantic.check(doc))
    return build.build(doc)
