"""Chaos Mesh output (sre_gen.compile.chaos) and the expected-alert math (sre_gen.experiments).

- every generated object (one per experiment, the weekly Schedule) validates strictly (unknown
  fields fail) against Chaos Mesh's own CRD schemas (tests/data/chaos-mesh), for every fault
  kind and for the example spec;
- the objects carry the spec's numbers (blast radius, duration, hosts, schedule, cooldown);
- the expected alerts match a brute-force simulation of ideal sliding windows over the parameter
  space (objectives, error ratios, durations, tiers);
- the chaos runbook pages are linked from the index and escape spec text.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest
import yaml

from sre_gen import conventions as cv
from sre_gen import experiments as ex
from sre_gen.compile import chaos, runbooks
from sre_gen.durations import parse_duration
from sre_gen.model import SLO, BurnTier, ChaosFault, ChaosImpact, RatioSLI, EventSource

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = json.loads(gzip.decompress(
    (ROOT / "tests" / "data" / "chaos-mesh" / "schemas.json.gz").read_bytes()))
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
GO_DURATION = re.compile(r"^([0-9]+h)?([0-9]+m)?([0-9]+s)?$")


def _strict(schema):
    """The CRD schema with unknown fields rejected (the API server prunes them silently, which
    would hide a misspelt field): additionalProperties false wherever properties are listed."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if "properties" in out and "additionalProperties" not in out and \
            not out.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


VALIDATORS = {kind: jsonschema.Draft7Validator(_strict(s)) for kind, s in SCHEMAS.items()}


def validate(obj: dict) -> None:
    assert obj["apiVersion"] == "chaos-mesh.org/v1alpha1"
    errors = sorted(VALIDATORS[obj["kind"]].iter_errors(obj), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert DNS_LABEL.match(obj["metadata"]["name"]), obj["metadata"]["name"]
    assert DNS_LABEL.match(obj["metadata"]["namespace"])


def _durations(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _durations(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from _durations(v, key)
    elif key in ("duration", "deadline"):
        yield node


@pytest.fixture(scope="module")
def example_files(example_service) -> dict[str, str]:
    return chaos.build(example_service, None)


def test_example_objects_validate_against_the_crds(example_service, example_files) -> None:
    names = {cv.chaos_experiment_file(e.name) for e in example_service.chaos.experiments}
    assert set(example_files) == names | {cv.CHAOS_SCHEDULE_FILE}
    for text in example_files.values():
        obj = yaml.safe_load(text)
        validate(obj)
        for d in _durations(obj["spec"]):  # Go's time.ParseDuration: no days
            assert GO_DURATION.match(d) and d, d


def test_validation_rejects_what_the_crd_rejects(example_files) -> None:
    """The validator can fail: a misspelt field, a wrong action, a blast radius as a number."""
    obj = yaml.safe_load(example_files[cv.chaos_experiment_file("github-api-timeout")])
    for change in ({"actoin": "partition"}, {"action": "timeout"}, {"mode": "percent"}):
        bad = {**obj, "spec": {**obj["spec"], **change}}
        with pytest.raises(AssertionError):
            validate(bad)
    sched = yaml.safe_load(example_files[cv.CHAOS_SCHEDULE_FILE])
    bad = {**sched, "spec": {k: v for k, v in sched["spec"].items() if k != "type"}}
    with pytest.raises(AssertionError):
        validate(bad)


def test_example_objects_carry_the_seed_numbers(example_files) -> None:
    seed = {  # the seed's chaos_experiments: duration, blast radius
        "github-api-timeout": ("NetworkChaos", "5m", "10"),
        "database-connection-loss": ("NetworkChaos", "2m", "20"),
        "memory-pressure": ("StressChaos", "10m", "25"),
        "cpu-starvation": ("StressChaos", "15m", "15"),
        "kubernetes-node-failure": ("PodChaos", "30m", "33"),
    }
    for name, (kind, duration, radius) in seed.items():
        obj = yaml.safe_load(example_files[cv.chaos_experiment_file(name)])
        assert (obj["kind"], obj["spec"]["duration"], obj["spec"]["value"]) == \
            (kind, duration, radius)
        assert obj["spec"]["mode"] == "fixed-percent"
        assert obj["spec"]["selector"] == {"namespaces": ["autogen-review-bot"],
                                           "labelSelectors": {"app": "autogen-review-bot"}}
    github = yaml.safe_load(example_files[cv.chaos_experiment_file("github-api-timeout")])
    assert github["spec"]["externalTargets"] == ["api.github.com"]
    assert github["spec"]["direction"] == "to"
    db = yaml.safe_load(example_files[cv.chaos_experiment_file("database-connection-loss")])
    assert db["spec"]["externalTargets"] == [
        "autogen-review-bot-postgres.autogen-review-bot.svc:5432"]
    node = yaml.safe_load(example_files[cv.chaos_experiment_file("kubernetes-node-failure")])
    assert node["spec"]["action"] == "pod-failure"


def test_weekly_schedule_runs_the_experiments_in_order(example_service, example_files) -> None:
    sched = yaml.safe_load(example_files[cv.CHAOS_SCHEDULE_FILE])["spec"]
    assert sched["schedule"] == "0 10 * * 2" and sched["concurrencyPolicy"] == "Forbid"
    assert sched["type"] == "Workflow" and sched["historyLimit"] == 5
    templates = {t["name"]: t for t in sched["workflow"]["templates"]}
    entry = templates[sched["workflow"]["entry"]]
    assert entry["templateType"] == "Serial"
    chaos_steps = [c for c in entry["children"] if templates[c]["templateType"] != "Suspend"]
    assert chaos_steps == [e.name for e in example_service.chaos.experiments]
    pauses = [templates[c] for c in entry["children"] if templates[c]["templateType"] == "Suspend"]
    # default cooldown: the longest long window of the affected SLOs' tiers (1d)
    assert [p["deadline"] for p in pauses] == ["24h"] * 4
    total = sum(parse_duration(templates[c]["deadline"]) for c in entry["children"])
    assert total < 7 * 86400  # a run ends before the next weekly one
    for e in example_service.chaos.experiments:  # the same spec as the stand-alone object
        alone = yaml.safe_load(example_files[cv.chaos_experiment_file(e.name)])["spec"]
        key = chaos.KINDS[e.fault.kind][1]
        assert templates[e.name][key] == {k: v for k, v in alone.items() if k != "duration"}
        assert templates[e.name]["deadline"] == alone["duration"]


FAULTS = [
    ChaosFault("network-timeout", hosts=("api.github.com", "10.0.0.0/8", "example.com:443")),
    ChaosFault("connection-loss", hosts=("db.default.svc:5432",)),
    ChaosFault("memory-stress", workers=3, memory_size="80%"),
    ChaosFault("cpu-stress", workers=8192, cpu_load=1),
    ChaosFault("node-failure"),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.kind)
@pytest.mark.parametrize("duration", [1, 59, 3600, 86400 + 61])
def test_every_fault_kind_validates(example_service, fault, duration) -> None:
    base = example_service.chaos.experiments[0]
    e = dataclasses.replace(base, fault=fault, duration=duration, blast_radius=100,
                            labels=(("app.kubernetes.io/name", "x"), ("tier", "")))
    svc = dataclasses.replace(example_service, chaos=dataclasses.replace(
        example_service.chaos, experiments=(e,), cooldown=0))
    validate(chaos.experiment_object(svc, e))
    validate(chaos.schedule_object(svc))
    assert parse_duration(chaos.go_duration(duration).replace("h", "h").strip()) == duration


# ---- expected alerts: the workbook's formulas against a brute-force window simulation -----------
def _slo(objective: str, tiers: tuple[BurnTier, ...]) -> SLO:
    src = EventSource(query="x")
    return SLO("s", "", Decimal(objective), 30 * 86400, RatioSLI(src, src), tiers, None)


def _ideal_condition(tier: BurnTier, budget: Fraction, e: Fraction, d: int, step: int):
    """Continuous-time ideal windows sampled every ``step`` seconds: (first, last) time the
    tier's condition holds, or None. Errors at ratio e on [0, d), none before and after."""
    theta = Fraction(tier.burn_rate) * budget
    first = last = None
    for t in range(step, d + tier.short_window + step, step):
        def avg(w: int) -> Fraction:
            overlap = max(0, min(t, d) - max(0, t - w))
            return e * overlap / w
        if avg(tier.long_window) > theta and avg(tier.short_window) > theta:
            first = t if first is None else first
            last = t
    return first, last


TIER_SETS = [
    (BurnTier("fast", Decimal("14.4"), 3600, 300, "critical"),
     BurnTier("moderate", Decimal(6), 21600, 1800, "high"),
     BurnTier("slow", Decimal(3), 86400, 7200, "medium")),
    (BurnTier("page", Decimal(10), 1800, 120, "critical", for_seconds=120),
     BurnTier("ticket", Decimal(2), 7200, 600, "warning")),
]


@pytest.mark.parametrize("tiers", TIER_SETS, ids=["workbook", "custom-for"])
@pytest.mark.parametrize("objective", ["99.99", "99.95", "99.9", "99", "95"])
@pytest.mark.parametrize("ratio", ["0.005", "0.02", "0.1", "0.33", "1"])
@pytest.mark.parametrize("duration", [120, 600, 1800, 7200])
def test_expected_alerts_match_ideal_windows(tiers, objective, ratio, duration) -> None:
    slo = _slo(objective, tiers)
    out = ex.slo_outcome(slo, ChaosImpact("s", Decimal(ratio), False), duration)
    budget, e, step = Fraction(slo.error_budget), Fraction(Decimal(ratio)), 4
    ideal = {t.name: _ideal_condition(t, budget, e, duration, step) for t in tiers}
    for x in out.tiers:
        first, last = ideal[x.tier.name]
        if x.condition_at is None:
            # never, or only within one simulation step of the end (the boundary)
            assert first is None or first >= duration - step, (x.tier.name, first)
            continue
        assert first is not None and abs(first - Fraction(x.condition_at)) <= step
        assert abs(last - Fraction(x.condition_until)) <= step
    # one page per incident: at most the first tier whose condition starts pages for long
    paging = [x for x in out.tiers if x.fires_at is not None]
    for x in paging:
        faster = [y for y in out.tiers if y.tier.burn_rate > x.tier.burn_rate and
                  y.condition_at is not None]
        assert all(y.condition_at > x.fires_at for y in faster)
        assert x.resolves_at > x.fires_at
    exact = e * duration / (budget * slo.window)  # Decimal division: 28 significant digits
    assert abs(Fraction(out.budget_spent) - exact) <= exact * Fraction(1, 10 ** 26)


def test_example_expectations(example_service) -> None:
    """The example's five experiments, by hand from the workbook: 10% errors for 5m burn the
    availability budget (0.0005) at 200x; the fast tier (14.4x over 1h) needs
    0.0072 / 0.1 x 1h = 259.2s, the moderate one 0.003 / 0.1 x 6h = 648s > 5m."""
    exps = {e.name: e for e in example_service.chaos.experiments}
    got = {(e, o.slo.name): [(x.tier.name, x.fires_at) for x in o.tiers if x.fires_at]
           for e, exp in exps.items() for o in ex.outcomes(example_service, exp)}
    assert got[("github-api-timeout", "availability")] == [("fast", Decimal("259.2"))]
    assert got[("database-connection-loss", "availability")] == []  # 2m is too short
    assert got[("database-connection-loss", "error-rate")] == [("fast", Decimal("25.92"))]
    assert got[("memory-pressure", "latency-p99")] == []
    assert got[("cpu-starvation", "webhook-processing")] == [("fast", Decimal("345.6"))]
    assert got[("kubernetes-node-failure", "availability")] == [("fast", Decimal("1296"))]
    assert got[("kubernetes-node-failure", "latency-p95")] == []


# ---- runbook pages ------------------------------------------------------------------------------
def test_chaos_pages_are_linked_from_the_index(example_service) -> None:
    files = runbooks.build(example_service, None)
    index = files[f"{cv.RUNBOOKS_DIR}/{cv.RUNBOOK_INDEX_FILE}"]
    for e in example_service.chaos.experiments:
        page = files[f"{cv.RUNBOOKS_DIR}/{cv.chaos_runbook_file(e.name)}"]
        assert f"]({cv.chaos_runbook_file(e.name)})" in index
        assert page.startswith(f"# Chaos experiment {e.name}\n")
        for heading in ("## Pre-experiment checks", "## What to watch", "## Expected alerts",
                        "## Abort conditions", "## Rollback", "## After the experiment"):
            assert heading in page, (e.name, heading)
        assert f"kubectl delete -f generated/{example_service.name}/chaos/{e.name}.yaml" in page
    github = files[f"{cv.RUNBOOKS_DIR}/{cv.chaos_runbook_file('github-api-timeout')}"]
    assert "| 0.0072 | 4m19s | **4m19s** |" in github  # 259.2s
    node = files[f"{cv.RUNBOOKS_DIR}/{cv.chaos_runbook_file('kubernetes-node-failure')}"]
    assert "Approximated: PodChaos pod-failure" in node


def test_chaos_page_escapes_spec_text(example_service) -> None:
    e = dataclasses.replace(example_service.chaos.experiments[0],
                            description="<script>x</script> [a](javascript:1) *b*",
                            abort_when=("| pipe `tick`",), rollback=("# heading",))
    svc = dataclasses.replace(example_service, chaos=dataclasses.replace(
        example_service.chaos, experiments=(e,)))
    page = runbooks.build(svc, None)[f"{cv.RUNBOOKS_DIR}/{cv.chaos_runbook_file(e.name)}"]
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "[a](javascript" not in page and "\\*b\\*" in page
    assert "- \\| pipe \\`tick\\`" in page and "- \\# heading" in page
