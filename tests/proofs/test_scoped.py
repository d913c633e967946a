"""sre_gen.proofs.scoped: which checked-in rules each proof reads."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sre_gen.compile import rules
from sre_gen.pipeline import Context
from sre_gen.proofs import scoped

ROOT = Path(__file__).resolve().parents[2]


def _groups(service) -> list[dict]:
    texts = rules.build(service, Context())
    return [g for rel in ("prometheus/recording-rules.yaml", "prometheus/alerting-rules.yaml")
            for g in yaml.safe_load(texts[rel])["groups"]]


def _unsplit(names) -> set[str]:
    """Group names without the part suffix of a group split at settings.maxRulesPerGroup."""
    return {re.sub(r":[0-9]+$", "", n) for n in names}


def _names(groups: list[dict]) -> set[str]:
    return {r.get("alert") or r["record"] for g in groups for r in g["rules"]}


def test_closure_follows_records_and_respects_static_labels(example_service) -> None:
    groups = _groups(example_service)
    scope = scoped.Scope(groups)
    kept = scope.kept_groups(scope.needed_ids({"AutogenReviewBotAvailabilityErrorBudgetBurn"}, []))
    # only the availability SLO's groups: every other SLO records the same names with other labels
    assert _unsplit(g["name"] for g in kept) == {
        "sre-gen:autogen-review-bot:slo:availability:recordings",
        "sre-gen:autogen-review-bot:slo:availability:alerts"}
    names = _names(kept)
    assert {"slo:sli_error:ratio_rate1h", "slo:sli_error:ratio_rate5m",
            "slo:sli_errors:rate5m", "slo:sli_total:rate5m"} <= names
    # the budget alerts and recordings nothing of the burn alerts reads are left out
    assert "AutogenReviewBotAvailabilityErrorBudgetExhausted" not in names
    assert "slo:period_error_budget_remaining:ratio" not in names
    # kept rules are the checked-in rules, unchanged and in their order
    for g in kept:
        whole = next(w for w in groups if w["name"] == g["name"])
        assert g["interval"] == whole["interval"]
        assert g["rules"] == [r for r in whole["rules"] if r in g["rules"]]


def test_an_expression_and_alerts_reads_pull_what_they_read(example_service) -> None:
    groups = _groups(example_service)
    scope = scoped.Scope(groups)
    # a recorded series with a matcher: only the SLO whose static labels agree
    ids = scope.needed_ids(set(), ['slo:period_burn_rate:ratio{slo="latency-p99"}'])
    assert _unsplit(g["name"] for g in scope.kept_groups(ids)) == {
        "sre-gen:autogen-review-bot:slo:latency-p99:recordings"}
    assert scope.needed_ids(set(), ['slo:period_burn_rate:ratio{slo="no-such-slo"}']) == set()
    assert scope.needed_ids(set(), ['slo:period_burn_rate:ratio{slo=~"latency-p9.*"}']) \
        == scope.needed_ids(set(), ['slo:period_burn_rate:ratio{slo="latency-p95"}',
                                    'slo:period_burn_rate:ratio{slo="latency-p99"}'])
    # ALERTS{alertname=...} reads that alert (and so what the alert reads)
    absent = "AutogenReviewBotAvailabilitySLIAbsent"
    via_alerts = scope.needed_ids(set(), [f'ALERTS{{alertname="{absent}"}}'])
    assert via_alerts == scope.needed_ids({absent}, [])
    # a custom alert's raw PromQL over SLO recordings keeps those recordings
    custom = {r["alert"] for g in groups if g["name"].endswith(":custom-alerts")
              for r in g["rules"]}
    assert custom
    kept = scope.kept_groups(scope.needed_ids(custom, []))
    reads_slo = [g["name"] for g in kept if ":slo:" in g["name"]]
    raw = " ".join(r["expr"] for g in groups if g["name"].endswith(":custom-alerts")
                   for r in g["rules"])
    assert ("slo:" in raw) == bool(reads_slo)


def test_the_prometheusrule_object_is_read_when_the_plain_files_are_not(tmp_path: Path,
                                                                       example_service) -> None:
    texts = rules.build(example_service, Context())
    folder = tmp_path / "svc"
    (folder / "prometheus").mkdir(parents=True)
    assert scoped.checked_in_groups(folder) is None
    (folder / "prometheus" / "prometheusrule.yaml").write_text(
        texts["prometheus/prometheusrule.yaml"])
    assert scoped.checked_in_groups(folder) == _groups(example_service)
    for rel in ("prometheus/recording-rules.yaml", "prometheus/alerting-rules.yaml"):
        (folder / rel).write_text(texts[rel].replace("interval: 1m", "interval: 2m"))
    # the plain files win: they are what Prometheus loads
    assert {g["interval"] for g in scoped.checked_in_groups(folder)} == {"2m"}
