"""``sre-gen import sloth|openslo``: every Sloth example and OpenSLO sample (copied into
tests/data/importers) imports into specs that validate, generate and whose every alert the real
promtool proves (``sre-gen test``); what cannot be mapped is listed with its line; the exit codes
and the --force rule."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sre_gen.cli import app
from sre_gen.compile import rules
from sre_gen.spec import load_service

DATA = Path(__file__).resolve().parents[1] / "data" / "importers"
SLOTH = sorted((DATA / "sloth").glob("*.yml"))
OPENSLO = sorted((DATA / "openslo").glob("*.yaml"))
# Inputs with nothing sre-gen can import (exit 3, the reasons listed): OpenSLO's two time-slice
# examples read the same placeholder query (Any) as good and total.
NOTHING = {"ratio-timeslices.yaml", "timeslices-slo.yaml"}
UNMAPPED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<path>\S+): not imported: "
                      r"(?P<why>.+)$")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def _import(kind: str, files: list[Path], out: Path, *extra: str):
    return invoke("import", kind, *(f.as_posix() for f in files), "--out", out.as_posix(), *extra)


def _unmapped(stderr: str) -> list[dict]:
    return [m.groupdict() for m in map(UNMAPPED.match, stderr.splitlines()) if m]


@pytest.mark.slow
@pytest.mark.parametrize("kind, path", [("sloth", p) for p in SLOTH] +
                         [("openslo", p) for p in OPENSLO], ids=lambda v: getattr(v, "name", v))
def test_every_sample_imports_validates_generates_and_proves(kind: str, path: Path,
                                                             tmp_path: Path) -> None:
    result = _import(kind, [path], tmp_path / "specs")
    if path.name in NOTHING:
        assert result.exit_code == 3, result.output
        assert "nothing imported" in result.stderr
        assert _unmapped(result.stderr), result.stderr
        assert not (tmp_path / "specs").exists() or not list((tmp_path / "specs").iterdir())
        return
    assert result.exit_code == 0, result.output
    specs = sorted((tmp_path / "specs").glob("*.yaml"))
    assert specs and all(f"wrote {s.as_posix()}" in result.stdout for s in specs)
    for item in _unmapped(result.stderr):  # every unmapped item points into the input
        assert item["file"] == path.as_posix()
        assert 1 <= int(item["line"]) <= len(path.read_text().splitlines())
    for spec in specs:
        text = spec.read_text()
        assert f"# imported from {path.as_posix()}:" in text
        for item in _unmapped(result.stderr):  # listed in the spec too
            assert f"{item['file']}:{item['line']}:{item['col']}: {item['path']}: not imported" \
                in text
        out = tmp_path / "generated"
        for command in (["validate", spec.as_posix()],
                        ["generate", spec.as_posix(), "--out", out.as_posix()],
                        ["test", spec.as_posix(), "--out", out.as_posix()]):
            run = invoke(*command)
            assert run.exit_code == 0, (command, run.output)
        assert "0 failed" in run.stdout


def test_getting_started_has_sloths_windows_factors_name_and_page_labels(tmp_path: Path) -> None:
    result = _import("sloth", [DATA / "sloth" / "getting-started.yml"], tmp_path)
    assert result.exit_code == 0, result.output
    service = load_service(tmp_path / "myservice.yaml")
    (slo,) = service.slos
    assert slo.window == 30 * 86400 and slo.objective_percent == Decimal("99.9")
    assert [(t.name, t.long_window, t.short_window, t.burn_rate, t.severity)
            for t in slo.tiers] == [
        ("page-fast", 3600, 300, Decimal("14.4"), "pageteam"),
        ("page-slow", 6 * 3600, 1800, Decimal(6), "pageteam"),
        ("ticket-fast", 86400, 7200, Decimal(3), "slack"),
        ("ticket-slow", 3 * 86400, 6 * 3600, Decimal(1), "slack"),
    ]
    burn = [r for g in rules.alerting_groups(service) for r in g.rules if r.kind == "slo-burn"]
    assert {r.alert for r in burn} == {"MyServiceHighErrorRate"}
    for r in burn:
        page = r.tier.startswith("page")
        assert (r.label("routing_key") == "myteam") == page
        assert r.label("slack_channel") == (None if page else "#alerts-myteam")
        assert r.label("sloth_severity") == ("page" if page else "ticket")
        assert r.label("category") == "availability"
        assert r.annotation("summary") == "High error rate on 'myservice' requests responses"
    assert service.settings.sloth_compat
    # Sloth's error_query/total_query of shape sum(rate(sel[{{.window}}])) became selectors
    assert slo.sli.events.selector is not None and slo.sli.total.selector is not None


def test_unmapped_items_are_listed_with_their_line(tmp_path: Path) -> None:
    path = DATA / "sloth" / "contrib-slo-plugins.yml"
    result = _import("sloth", [path], tmp_path)
    assert result.exit_code == 0, result.output
    got = {(int(u["line"]), u["path"]) for u in _unmapped(result.stderr)}
    assert got == {(6, "labels.tier"), (12, "slos[0].plugins"), (43, "slos[1].plugins"),
                   (54, "slos[1].alerting.name")}
    service = load_service(tmp_path / "myservice.yaml")
    names = [r.alert for g in rules.alerting_groups(service) for r in g.rules
             if r.kind == "slo-burn"]
    assert "MyServiceHighErrorRate" in names and len(set(names)) == 2


def test_count_minus_bucket_becomes_a_latency_sli(tmp_path: Path) -> None:
    result = _import("sloth", [DATA / "sloth" / "kubernetes-apiserver.yml"], tmp_path)
    assert result.exit_code == 0, result.output
    availability, latency = load_service(tmp_path / "k8s-apiserver.yaml").slos
    assert availability.sli.total.selector.metric == "apiserver_request_total"
    assert latency.sli.histogram.metric == "apiserver_request_duration_seconds"
    assert [(m.name, m.op, m.value) for m in latency.sli.histogram.matchers] == [
        ("verb", "!=", "WATCH")]
    assert latency.sli.threshold_seconds == Decimal("0.4")


def test_unknown_plugin_sli_is_reported_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "plugin.yml"
    path.write_text((DATA / "sloth" / "plugin-getting-started.yml").read_text().replace(
        '"getting_started_availability"', '"my_own_availability"'))
    result = _import("sloth", [path], tmp_path / "out")
    assert result.exit_code == 3
    assert (f"{path.as_posix()}:13:7: slos[0].sli.plugin: not imported: SLI plugin "
            "'my_own_availability' is Go code") in result.stderr


def test_known_plugin_sli_imports_without_sloth_rules(tmp_path: Path) -> None:
    path = DATA / "sloth" / "plugin-getting-started.yml"
    result = _import("sloth", [path], tmp_path)
    assert result.exit_code == 0, result.output
    (slo,) = load_service(tmp_path / "myservice.yaml").slos
    assert slo.sli.events.query.startswith("(sum(rate(http_request_duration_seconds_count{ "
                                           'f1="v1",f2="v2",job="myservice",code=~"(5..|429)" '
                                           "}[{{window}}]))")
    assert "examples/plugins/getting-started/availability/plugin.go" in \
        (tmp_path / "myservice.yaml").read_text()


@pytest.mark.slow
def test_plugin_query_is_read_back_from_sloths_rules(tmp_path: Path) -> None:
    path = DATA / "sloth" / "plugin-getting-started.yml"
    result = _import("sloth", [path], tmp_path / "specs", "--sloth-rules",
                     (DATA / "sloth" / "_gen" / "plugin-getting-started.yml").as_posix())
    assert result.exit_code == 0, result.output
    spec = tmp_path / "specs" / "myservice.yaml"
    (slo,) = load_service(spec).slos
    assert slo.sli.events.query.startswith("((\nsum(rate(http_request_duration_seconds_count{ "
                                           'f1="v1",f2="v2",job="myservice",code=~"(5..|429)" '
                                           "}[{{window}}]))")
    out = tmp_path / "generated"
    assert invoke("generate", spec.as_posix(), "--out", out.as_posix()).exit_code == 0
    run = invoke("test", spec.as_posix(), "--out", out.as_posix())
    assert run.exit_code == 0, run.output
    result = _import("openslo", [DATA / "openslo" / "occurences-slo.yaml"], tmp_path / "o",
                     "--sloth-rules", path.as_posix())
    assert result.exit_code == 2 and "--sloth-rules goes with sre-gen import sloth" in \
        result.output


def test_openslo_bundle_maps_conditions_to_tiers(tmp_path: Path) -> None:
    path = DATA / "openslo" / "reviews-openslo-v1.multidoc.yaml"
    result = _import("openslo", [path], tmp_path)
    assert result.exit_code == 0, result.output
    service = load_service(tmp_path / "reviews.yaml")
    assert service.description == "Code-review backend (HTTP API)"
    avail, latency = service.slos
    assert (avail.name, avail.objective_percent, avail.window) == (
        "reviews-availability", Decimal("99.9"), 30 * 86400)
    (tier,) = avail.tiers  # threshold 14.4, lookback 1h; no short window in OpenSLO: 1h / 12
    assert (tier.name, tier.burn_rate, tier.long_window, tier.short_window, tier.severity,
            tier.for_seconds) == ("burn-14x-1h", Decimal("14.4"), 3600, 300, "page", 0)
    assert avail.sli.events.selector.metric == "http_requests_total"
    assert not avail.sli.events_are_good
    assert (latency.objective_percent, latency.window, latency.tiers) == (Decimal(99),
                                                                          28 * 86400, ())
    assert latency.sli.events_are_good
    assert {(int(u["line"]), u["path"]) for u in _unmapped(result.stderr)} == {
        (12, "kind"), (48, "metadata.labels.tier"), (108, "kind"),
        (126, "spec.notificationTargets")}


def test_openslo_inline_policies_objectives_and_rewritten_names(tmp_path: Path) -> None:
    path = DATA / "openslo-inline.yaml"
    result = _import("openslo", [path], tmp_path)
    assert result.exit_code == 0, result.output
    service = load_service(tmp_path / "checkout-service.yaml")
    tight, loose = service.slos
    assert (tight.name, tight.objective_percent, loose.name, loose.objective_percent) == (
        "checkout-availability-tight", Decimal("99.9"), "checkout-availability-loose",
        Decimal(99))
    assert tight.window == loose.window == 30 * 86400  # 1M
    (tier,) = tight.tiers
    assert (tier.name, tier.burn_rate, tier.long_window, tier.short_window, tier.for_seconds,
            tier.severity) == ("fast-burn", Decimal("14.4"), 3600, 300, 120, "critical")
    assert tight.sli.events.selector.metric == "checkout_errors_total"  # a bare counter selector
    assert {(int(u["line"]), u["path"]) for u in _unmapped(result.stderr)} == {
        (4, "metadata.name"), (5, "metadata.annotations"), (7, "spec.service"),
        (12, "spec.indicator.spec.ratioMetric.counter"), (24, "spec.timeWindow[0]"),
        (36, "spec.alertPolicies[0].spec.alertWhenNoData"),
        (43, "spec.alertPolicies[0].spec.conditions[1].conditionRef")}


def test_openslo_threshold_metric_is_a_gauge(tmp_path: Path) -> None:
    result = _import("openslo", [DATA / "openslo" / "occurences-slo.yaml"], tmp_path)
    assert result.exit_code == 0, result.output
    (slo,) = load_service(tmp_path / "web-shop.yaml").slos
    assert (slo.sli.query, slo.sli.op, slo.sli.threshold) == ("Any", "<", Decimal(500))
    assert (slo.window, slo.objective_percent, slo.tiers) == (14 * 86400, Decimal(99), ())
    assert "18:11: spec.indicator.spec.thresholdMetric.metricSource.type: not imported: " \
        "metric source type 'Any' is not Prometheus" in result.stderr


def test_timeslices_and_calendar_windows_are_reported(tmp_path: Path) -> None:
    path = DATA / "openslo" / "timeslices-slo.yaml"
    result = _import("openslo", [path], tmp_path)
    assert result.exit_code == 3
    got = {(int(u["line"]), u["path"], u["why"].split(":")[0]) for u in _unmapped(result.stderr)}
    assert (28, "spec.timeWindow[0]", "calendar windows are not supported (sre-gen's windows "
            "roll)") in got
    # the placeholder query Any (good == total) is refused: the SLOs are skipped
    assert (17, "spec.indicator.spec.ratioMetric.good",
            "the good and total queries are the same ('Any')") in got
    result = _import("openslo", [DATA / "openslo" / "ratio-timeslices.yaml"], tmp_path)
    assert result.exit_code == 3
    got = {(int(u["line"]), u["path"], u["why"].split(":")[0]) for u in _unmapped(result.stderr)}
    assert (30, "spec.budgetingMethod", "budgetingMethod RatioTimeslices") in got


def test_a_document_of_another_kind_exits_3(tmp_path: Path) -> None:
    path = DATA / "openslo" / "occurences-slo.yaml"
    result = _import("sloth", [path], tmp_path)
    assert result.exit_code == 3
    assert f"{path.as_posix()}:3:1: not a Sloth document" in result.stderr
    result = _import("openslo", [DATA / "sloth" / "getting-started.yml"], tmp_path)
    assert result.exit_code == 3 and "not an OpenSLO document" in result.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text("version: [\n")
    result = _import("sloth", [bad], tmp_path)
    assert result.exit_code == 3 and "YAML syntax error" in result.stderr
    result = invoke("import", "pyrra", bad.as_posix())
    assert result.exit_code == 2 and "unknown format 'pyrra'" in result.output


def test_an_existing_spec_is_kept_without_force(tmp_path: Path) -> None:
    path = DATA / "sloth" / "getting-started.yml"
    target = tmp_path / "myservice.yaml"
    target.write_text("mine\n")
    result = _import("sloth", [path], tmp_path)
    assert result.exit_code == 2
    assert "already exists: not overwritten (use --force to replace)" in result.stderr
    assert target.read_text() == "mine\n"
    result = _import("sloth", [path], tmp_path, "--force")
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("# imported by sre-gen import sloth")
    assert [p.name for p in tmp_path.iterdir()] == ["myservice.yaml"]  # no temporary left


def test_multi_document_file_gives_one_spec_per_service(tmp_path: Path) -> None:
    both = tmp_path / "both.yml"
    both.write_text((DATA / "sloth" / "getting-started.yml").read_text() + "---\n" +
                    (DATA / "sloth" / "no-alerts.yml").read_text())
    result = _import("sloth", [both], tmp_path / "specs")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "specs").iterdir()) == ["myapp.yaml",
                                                                     "myservice.yaml"]
    (slo,) = load_service(tmp_path / "specs" / "myapp.yaml").slos
    assert slo.tiers == ()  # page_alert and ticket_alert disabled
