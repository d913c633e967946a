"""settings.slothCompat: the series Sloth's Grafana dashboards read carry Sloth's record names
and sloth_* labels, as in Sloth's own output for its getting-started example (copied in
tests/data/importers/sloth/_gen), and every alert is still proven by promtool for each SLI kind;
without the setting no sloth_* label is emitted."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sre_gen.cli import app
from sre_gen.compile import rules
from sre_gen.spec import load_service

DATA = Path(__file__).resolve().parents[1] / "data" / "importers" / "sloth"
# Sloth's info labels that describe Sloth itself (its version, mode, input format): not emitted
SLOTH_ONLY = {"sloth_mode", "sloth_spec", "sloth_version"}

SPEC = """\
apiVersion: sre-gen/v1
service:
  name: myservice
settings:
  slothCompat: {compat}
slos:
  - name: requests-availability
    objective: 99.9
    window: 30d
    sli:
      ratio:
        errors: {{ metric: http_request_duration_seconds_count,
                  selector: {{ job: myservice, code: {{ regex: "(5..|429)" }} }} }}
        total: {{ metric: http_request_duration_seconds_count, selector: {{ job: myservice }} }}
"""


def _sloth_rules() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for doc in yaml.safe_load_all((DATA / "_gen" / "getting-started.yml").read_text()):
        for group in (doc or {}).get("groups", ()):
            for rule in group["rules"]:
                if "record" in rule:
                    out.setdefault(rule["record"], []).append(rule["labels"])
    return out


def _ours(tmp_path: Path, compat: bool) -> dict[str, list[dict]]:
    spec = tmp_path / "myservice.yaml"
    spec.write_text(SPEC.format(compat="true" if compat else "false"))
    out: dict[str, list[dict]] = {}
    for group in rules.recording_groups(load_service(spec)):
        for rule in group.rules:
            out.setdefault(rule.record, []).append(dict(rule.labels))
    return out


def test_compat_series_have_sloths_names_and_labels(tmp_path: Path) -> None:
    sloth, ours = _sloth_rules(), _ours(tmp_path, compat=True)
    assert set(sloth) == {
        "slo:sli_error:ratio_rate5m", "slo:sli_error:ratio_rate30m", "slo:sli_error:ratio_rate1h",
        "slo:sli_error:ratio_rate2h", "slo:sli_error:ratio_rate6h", "slo:sli_error:ratio_rate1d",
        "slo:sli_error:ratio_rate3d", "slo:sli_error:ratio_rate30d", "slo:objective:ratio",
        "slo:error_budget:ratio", "slo:time_period:days", "slo:current_burn_rate:ratio",
        "slo:period_burn_rate:ratio", "slo:period_error_budget_remaining:ratio",
        "sloth_slo_info"}
    for record, label_sets in sloth.items():
        assert record in ours, record
        (theirs,) = label_sets
        (mine,) = ours[record]
        expected = {k: v for k, v in theirs.items() if k.startswith("sloth_")
                    and k not in SLOTH_ONLY}
        assert {k: v for k, v in mine.items() if k.startswith("sloth_")} == expected, record
    info = ours["sloth_slo_info"][0]
    assert info["sloth_objective"] == "99.9"


def test_compat_values_match_sloths(tmp_path: Path) -> None:
    spec = tmp_path / "myservice.yaml"
    spec.write_text(SPEC.format(compat="true"))
    by_record = {r.record: r for g in rules.recording_groups(load_service(spec)) for r in g.rules}
    assert by_record["slo:time_period:days"].expr == "vector(30)"
    assert by_record["slo:objective:ratio"].expr == "vector(0.999)"


def test_without_compat_no_sloth_label_is_emitted(tmp_path: Path) -> None:
    ours = _ours(tmp_path, compat=False)
    assert "sloth_slo_info" not in ours and "slo:time_period:days" not in ours
    assert not any(k.startswith("sloth_") for sets in ours.values() for labels in sets
                   for k in labels)


LATENCY_AND_GAUGE = """\
apiVersion: sre-gen/v1
service:
  name: shop
settings:
  slothCompat: true
errorBudgetPolicy:
  lowTrafficGuard: {minEventRate: 0.1}
slos:
  - name: latency
    objective: 99
    alerting: {tiers: [fast, slow]}
    sli:
      latency: {histogram: http_request_duration_seconds, selector: {job: shop}, threshold: 300ms}
  - name: queue
    objective: 95
    alerting: {tiers: [fast]}
    sli:
      gauge: {metric: queue_depth, selector: {job: shop}, op: "<", threshold: 100}
  - name: checkout
    objective: 99.5
    alerting: {tiers: [fast, moderate]}
    sli:
      ratio:
        good: {query: 'sum(rate(checkout_ok_total[{{window}}]))'}
        total: {query: 'sum(rate(checkout_total[{{window}}]))'}
"""


@pytest.mark.slow
def test_compat_alerts_are_still_proven(tmp_path: Path) -> None:
    spec = tmp_path / "shop.yaml"
    spec.write_text(LATENCY_AND_GAUGE)
    out = tmp_path / "generated"
    runner = CliRunner()
    result = runner.invoke(app, ["generate", spec.as_posix(), "--out", out.as_posix()])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["test", spec.as_posix(), "--out", out.as_posix()])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.stdout and "untested" not in result.output
    text = (out / "shop" / "prometheus" / "recording-rules.yaml").read_text()
    assert 'sloth_window: 5m' in text and "sloth_id: shop-latency" in text
