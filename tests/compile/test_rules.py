"""Prometheus rules: golden files, promtool check rules, numbers, escaping, conventions."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from sre_gen import conventions as cv
from sre_gen.compile import rules
from sre_gen.compile.slo_rules import le_matcher
from sre_gen.durations import format_duration
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

ROOT = Path(__file__).resolve().parents[2]
RULE_SPECS = sorted((ROOT / "tests" / "specs" / "rules").glob("*.yaml"))
ALL_SPECS = [ROOT / "specs" / "autogen-review-bot.yaml", *RULE_SPECS]


def _service(path: Path):
    return load_service(path, path.relative_to(ROOT).as_posix())


def _files(path: Path) -> dict[str, str]:
    return rules.build(_service(path), Context())


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda p: p.stem)
def test_rules_match_golden(spec: Path, golden) -> None:
    for rel, text in sorted(_files(spec).items()):
        golden(f"rules/{spec.stem}/{Path(rel).name}", text)


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda p: p.stem)
def test_promtool_check_rules_accepts_every_file(spec: Path, tmp_path: Path, promtool) -> None:
    files = _files(spec)
    paths = []
    for rel, text in files.items():
        if rel == cv.PROMETHEUS_RULE_FILE:
            # The PrometheusRule object carries the same groups: check them as a rule file too.
            obj = yaml.safe_load(text)
            text = yaml.safe_dump({"groups": obj["spec"]["groups"]}, sort_keys=False)
        path = tmp_path / Path(rel).name
        path.write_text(text)
        paths.append(str(path))
    proc = subprocess.run([promtool, "check", "rules", *paths], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("SUCCESS") == len(paths)


def test_prometheusrule_holds_the_same_groups_as_the_rule_files(example_service) -> None:
    files = rules.build(example_service, Context())
    groups = yaml.safe_load(files[cv.RECORDING_RULES_FILE])["groups"] + \
        yaml.safe_load(files[cv.ALERTING_RULES_FILE])["groups"]
    obj = yaml.safe_load(files[cv.PROMETHEUS_RULE_FILE])
    assert obj["apiVersion"] == "monitoring.coreos.com/v1"
    assert obj["kind"] == "PrometheusRule"
    assert obj["metadata"]["namespace"] == "autogen-review-bot"
    assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert obj["spec"]["groups"] == groups
    for group in groups:  # fields promtool 2.42 rejects are never emitted
        assert set(group) == {"name", "interval", "rules"}


def test_group_names_are_unique_and_split_by_slo(example_service) -> None:
    rec = [g.name for g in rules.recording_groups(example_service)]
    alert = [g.name for g in rules.alerting_groups(example_service)]
    assert len(set(rec + alert)) == len(rec + alert)
    for slo in example_service.slos:
        name = cv.group_slo_recordings(example_service.name, slo.name)
        assert name in rec or cv.group_part(name, 1) in rec


def _rule(groups, record=None, alert=None, **labels):
    found = [r for g in groups for r in g.rules
             if (record is None or r.record == record) and (alert is None or r.alert == alert)
             and all(r.label(k) == v for k, v in labels.items())]
    assert found, (record, alert, labels)
    return found


def test_seed_tiers_thresholds_and_windows(example_service) -> None:
    burn = _rule(rules.alerting_groups(example_service),
                 alert="AutogenReviewBotAvailabilityErrorBudgetBurn")
    got = {(r.tier, r.label("long_window"), r.label("short_window"), r.label("severity"),
            r.label("incident")) for r in burn}
    assert got == {("fast", "1h", "5m", "critical", "sev1"),
                   ("moderate", "6h", "30m", "high", "sev2"),
                   ("slow", "1d", "2h", "medium", "sev3")}
    fast = next(r for r in burn if r.tier == "fast")
    assert "/ 0.0005 > 14.4" in fast.expr
    assert "slo:sli_error:ratio_rate1h{" in fast.expr and "slo:sli_error:ratio_rate5m{" in fast.expr
    assert "avg_over_time(slo:sli_total:rate5m{" in fast.expr  # the low-traffic guard


def test_budget_share_tiers_are_recomputed_for_28d() -> None:
    svc = _service(ROOT / "tests/specs/rules/budget-share-28d.yaml")
    assert [(t.name, str(t.burn_rate)) for t in svc.slos[0].tiers] == [
        ("page-fast", "13.44"), ("page-slow", "5.6"), ("ticket", "2.8")]
    burn = [r for r in rules.all_alerts(svc) if r.kind == "slo-burn"]
    assert [r.threshold for r in burn] == ["13.44", "5.6", "2.8"]
    assert burn[2].for_seconds == 900  # the tier's optional `for`
    assert burn[0].label("short_window") == "5m"  # default: long window / 12


def test_long_windows_are_derived_short_ones_raw(example_service) -> None:
    groups = rules.recording_groups(example_service)
    avail = {r.record: r.expr for r in _rule(groups, slo="availability")
             if r.record and r.record.startswith("slo:sli_error:ratio_rate")}
    assert set(avail) == {cv.sli_error_ratio(s) for s in (300, 1800, 3600, 7200, 21600, 86400,
                                                           2592000)}
    for window in ("30m", "1h", "2h", "6h"):
        assert f"rate(http_requests_total{{job=\"autogen-review-bot\"}}[{window}])" in \
            avail[f"slo:sli_error:ratio_rate{window}"]
    # 1d reads the 5m level (288 samples), 30d the 1h level (720 samples), one second short of
    # the window so the range holds exactly window / step samples in Prometheus 2 and 3
    for window, level, span in (("1d", "5m", "23h59m59s"), ("30d", "1h", "29d23h59m59s")):
        expr = avail[f"slo:sli_error:ratio_rate{window}"]
        assert expr.startswith(f"sum_over_time(slo:sli_errors:rate_step{level}{{service="
                               f"\"autogen-review-bot\"")
        assert f"sum_over_time(slo:sli_total:rate_step{level}{{" in expr
        assert f"}}[{span}])" in expr and "http_requests_total" not in expr
    levels = {r.record: r.expr for r in _rule(groups, slo="availability")
              if r.record and "rate_step" in r.record}
    assert levels["slo:sli_errors:rate_step5m"].endswith("vector(time()) % 300 < 60")
    assert levels["slo:sli_total:rate_step1h"].startswith(
        "avg_over_time(slo:sli_total:rate_step5m{")
    assert levels["slo:sli_total:rate_step1h"].endswith("vector(time()) % 3600 < 60")


def test_coarse_levels_off_sums_the_base_series(example_service) -> None:
    import dataclasses

    service = dataclasses.replace(example_service, settings=dataclasses.replace(
        example_service.settings, coarse_levels=False))
    groups = rules.recording_groups(service)
    avail = {r.record: r.expr for r in _rule(groups, slo="availability")}
    assert not [r for r in avail if "rate_step" in r]
    assert avail["slo:sli_error:ratio_rate30d"].startswith(
        'sum_over_time(slo:sli_errors:rate5m{service="autogen-review-bot",slo="availability"}[30d])')


def test_numbers_are_canonical(example_service) -> None:
    text = "".join(rules.build(example_service, Context()).values())
    assert "vector(0.9995)" in text and "vector(0.0005)" in text
    assert not re.search(r"\d\.\d*(0000\d|9999\d)", text), "float artefact in output"
    assert "e-0" not in text


def test_latency_bucket_matches_both_prometheus_spellings() -> None:
    assert le_matcher(Decimal("1")) == 'le=~"1|1\\\\.0"'
    assert le_matcher(Decimal("300")) == 'le=~"300|300\\\\.0"'
    assert le_matcher(Decimal("0.25")) == 'le=~"0\\\\.25"'


def test_identity_labels_exclude_metadata(example_service) -> None:
    """Changing team or metadata labels must not create new SLI series (Sloth #311)."""
    for group in rules.recording_groups(example_service):
        for rule in group.rules:
            if rule.record and rule.record.startswith("slo:") and rule.record != cv.SLO_INFO:
                ids = {"service", "slo"} | ({"tier"} if rule.record == cv.SLO_BURN_CONDITION
                                            else set())  # a tier's condition: per tier
                assert set(dict(rule.labels)) <= ids, rule.record
    info = _rule(rules.recording_groups(example_service), record=cv.SLO_INFO, slo="availability")[0]
    assert info.label("team") == "sre" and info.label("component") == "backend"
    assert info.label("objective") == "99.95" and info.label("window") == "30d"


def test_window_label_means_the_slo_window_only(example_service) -> None:
    """Issue 11 item 12: ``window`` is the SLO window on ``slo:info:const`` and nowhere else;
    recorded series say their window in the record name, burn alerts in long_/short_window."""
    windows = {slo.name: format_duration(slo.window) for slo in example_service.slos}
    for group in rules.recording_groups(example_service) + rules.alerting_groups(example_service):
        for rule in group.rules:
            if rule.record == cv.SLO_INFO:
                assert rule.label("window") == windows[rule.slo]
                continue
            assert rule.label("window") is None, rule.record or rule.alert
            assert "ignoring" not in rule.expr and "window" not in rule.expr, rule.expr
    burn = [r for r in rules.all_alerts(example_service) if r.kind == "slo-burn"]
    assert burn and all(r.label("long_window") and r.label("short_window") for r in burn)


def test_slo_labels_reach_every_alert_of_the_slo() -> None:
    """Issue 11 item 2: an SLO's metadata labels are on all its alerts (as written: a value with
    ``{{``/``}}`` is refused, see test_rule_engines), override the service's on conflict, and leave the labels
    sre-gen sets alone."""
    service = _service(ROOT / "tests/specs/rules/escaping.yaml")
    slo_alerts = [r for r in rules.all_alerts(service) if r.slo == "availability"]
    assert {r.kind for r in slo_alerts} >= {"slo-burn", "slo-exhausted", "slo-absent"}
    for rule in slo_alerts:
        assert rule.label("path") == 'C:\\temp\\{x}', rule.alert
        assert rule.label("owner") == 'slo { owner }', rule.alert
        assert rule.label("note") == "line one\nline two"  # the service's, not overridden
        assert rule.label("team") == "q-team" and rule.label("slo") == "availability"
        assert rule.label("service") == "escape-test"
    info = _rule(rules.recording_groups(service), record=cv.SLO_INFO)[0]
    assert info.label("owner") == "slo { owner }"  # the info series carries it as written
    custom = next(r for r in rules.all_alerts(service) if r.alert == "Hostile")
    assert custom.label("path") is None and custom.label("owner").startswith("O'Neil")


def test_every_alert_has_the_label_and_annotation_conventions(example_service) -> None:
    alerts = rules.all_alerts(example_service)
    assert len(alerts) > 40
    for rule in alerts:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule.alert)
        assert rule.label("severity") and rule.label("incident"), rule.alert
        for key in ("summary", "description", "runbook_url", "dashboard_url"):
            assert rule.annotation(key), (rule.alert, key)
    kinds = {r.kind for r in alerts}
    assert kinds == {"slo-burn", "slo-exhausted", "slo-absent", "slo-unknown", "golden", "custom",
                     "security", "backup", "capacity", "hpa-max", "hpa-unable",
                     "region-unavailable", "region-spike", "region-health"}


def test_custom_alert_runbook_links_to_generated_page(example_service) -> None:
    high = next(r for r in rules.all_alerts(example_service) if r.alert == "HighErrorRate")
    assert high.annotation("runbook_url") == (
        "https://github.com/example/autogen-review-bot/blob/main/generated/autogen-review-bot/"
        "runbooks/high-error-rate.md#higherrorrate")
    assert high.label("team") == "sre" and high.for_seconds == 120


def test_no_alerts_spec_emits_recordings_only(tmp_path: Path) -> None:
    files = _files(ROOT / "tests/specs/rules/no-alerts.yaml")
    assert cv.ALERTING_RULES_FILE not in files
    assert "slo:sli_error:ratio_rate30d" in files[cv.RECORDING_RULES_FILE]


def test_hostile_text_stays_literal_with_real_promtool(tmp_path: Path, promtool) -> None:
    """Quotes, backslashes, newlines and {{ in label values and annotation text come out of
    Prometheus exactly as the spec wrote them; selector values reach PromQL escaped."""
    svc = _service(ROOT / "tests/specs/rules/escaping.yaml")
    files = rules.build(svc, Context())
    for rel in (cv.RECORDING_RULES_FILE, cv.ALERTING_RULES_FILE):
        (tmp_path / Path(rel).name).write_text(files[rel])
    hostile_route = '/say "hi"\\n'
    series_sel = 'route="/say \\"hi\\"\\\\n"'
    test = {
        "rule_files": ["recording-rules.yaml", "alerting-rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                {"series": f'http_requests_total{{{series_sel},code="500"}}', "values": "0+1x30"},
                {"series": f'http_requests_total{{{series_sel},code="200"}}', "values": "0+3x30"},
            ],
            "alert_rule_test": [{
                "eval_time": "5m", "alertname": "Hostile",
                "exp_alerts": [{
                    "exp_labels": {"severity": "critical", "service": "escape-test",
                                   "team": "q-team",
                                   "owner": 'O\'Neil "the" { .Boss } \\ back',
                                   "note": "line one\nline two", "quoted": 'a "b" {{ c }}'},
                    "exp_annotations": {
                        "summary": "Summary with 1 template", "description": "",
                        "runbook_url": "./runbooks/hostile.md#hostile",
                        "dashboard_url": "http://localhost:3000/d/escape-test-golden-signals"},
                }],
            }],
            "promql_expr_test": [{
                "expr": 'slo:sli_error:ratio_rate1h{slo="availability"}', "eval_time": "20m",
                "exp_samples": [{"labels": 'slo:sli_error:ratio_rate1h{service="escape-test",'
                                           'slo="availability"}', "value": 0.25}],
            }],
        }],
    }
    assert hostile_route in yaml.safe_load((ROOT / "tests/specs/rules/escaping.yaml").read_text())[
        "slos"][0]["sli"]["ratio"]["total"]["selector"]["route"]
    (tmp_path / "test.yaml").write_text(yaml.safe_dump(test, sort_keys=False))
    proc = subprocess.run([promtool, "test", "rules", str(tmp_path / "test.yaml")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
