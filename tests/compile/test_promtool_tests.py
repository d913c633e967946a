"""Generated promtool tests: golden files, determinism, coverage of every alert (counted by
parsing the generated files against rules.all_alerts), and real promtool runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from sre_gen import burnrate
from sre_gen import conventions as cv
from sre_gen import proofs
from sre_gen.compile import rules
from sre_gen.proofs import feed as proof_feed
from sre_gen.proofs import gotmpl as proof_gotmpl
from sre_gen.proofs.model import Group, PromtoolFile
from sre_gen.durations import parse_duration
from sre_gen.model import GaugeSLI, Matcher, MetricSelector
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "autogen-review-bot.yaml"
RULE_SPECS = sorted((ROOT / "tests" / "specs" / "rules").glob("*.yaml"))


def _service(path: Path):
    return load_service(path, path.relative_to(ROOT).as_posix())


def _write(tmp: Path, service) -> Path:
    """The service's rule files and tests under tmp/<service>/ (as `generate` lays them out)."""
    folder = tmp / service.name
    for rel, text in {**rules.build(service, Context()),
                      **proofs.render(service)}.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return folder


def _promtool_test(promtool: str, files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, "test", "rules", *map(str, files)], capture_output=True,
                          text=True)


# ---- golden files and determinism ---------------------------------------------------------------


def test_example_tests_match_golden(example_service, golden) -> None:
    files = proofs.render(example_service)
    for rel, text in sorted(files.items()):
        assert rel.startswith(cv.PROMTOOL_TESTS_DIR + "/")
        golden(f"promtool/autogen-review-bot/{Path(rel).name}", text)
    listed = sorted(p.name for p in (Path(__file__).parents[1] / "golden" / "promtool" /
                                     "autogen-review-bot").glob("*.yaml"))
    assert listed == sorted(Path(rel).name for rel in files), "stale golden files"


def test_output_is_deterministic_across_processes(tmp_path: Path) -> None:
    script = ("import sys, pathlib, hashlib\n"
              "from sre_gen.spec import load_service\n"
              "from sre_gen import proofs\n"
              "svc = load_service(pathlib.Path(sys.argv[1]), 'x.yaml')\n"
              "files = proofs.render(svc)\n"
              "h = hashlib.sha256()\n"
              "for k in sorted(files): h.update(k.encode()); h.update(files[k].encode())\n"
              "print(h.hexdigest())\n")
    digests = set()
    for seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", script, str(EXAMPLE)], env=env,
                             capture_output=True, text=True, check=True).stdout
        digests.add(out.strip())
    assert len(digests) == 1


@pytest.mark.parametrize("spec", [EXAMPLE, *RULE_SPECS], ids=lambda p: p.stem)
def test_files_are_valid_promtool_test_files(spec: Path) -> None:
    service = _service(spec)
    files = proofs.render(service)
    groups = [g.name for g in rules.recording_groups(service)] + \
        [g.name for g in rules.alerting_groups(service)]
    for rel, text in files.items():
        data = yaml.safe_load(text)
        assert data["rule_files"] == ["../recording-rules.yaml", "../alerting-rules.yaml"], rel
        assert data["group_eval_order"] == groups, rel  # recordings first, every group
        parse_duration(data["evaluation_interval"])
        for test in data["tests"]:
            assert test["interval"], rel  # promtool 2.42 needs it set
            assert test.get("alert_rule_test") or test.get("promql_expr_test"), \
                (rel, test["name"])  # every group asserts something
            assert set(test) <= {"name", "interval", "input_series", "alert_rule_test",
                                 "promql_expr_test"}, rel
        assert "fuzzy_compare" not in data and "start_timestamp" not in text, rel
        # no float artefacts in values
        assert not re.search(r"\d\.\d*0000000\d|\d\.\d*9999999\d", text), rel


def test_file_layout_of_the_example(example_service) -> None:
    files = proofs.render(example_service)
    names = {Path(rel).name for rel in files}
    for slo in example_service.slos:
        assert f"{slo.name}.yaml" in names
        for tier in slo.tiers:
            assert f"{slo.name}.tier-{tier.name}.yaml" in names
    for section in ("golden-signals", "security", "disaster-recovery", "capacity", "autoscaling",
                    "custom-alerts"):
        assert f"_{section}.yaml" in names


# ---- coverage: every alert has a firing and a silent case ---------------------------------------


def _static(rule) -> dict[str, str]:
    return {k: v for k, v in rule.labels if "{{" not in v}


def _selector_labels(expr: str) -> dict[str, str]:
    inner = expr[expr.index("{") + 1:expr.rindex("}")]
    return dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', inner))


def _sample_labels(text: str) -> dict[str, str]:
    inner = text[text.index("{") + 1:text.rindex("}")]
    return {k: v.encode().decode("unicode_escape")
            for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', inner)}


def coverage(service) -> tuple[dict[int, dict[str, int]], list[str]]:
    """Per alerting rule (index in rules.all_alerts): how many firing and silent cases the
    generated test files hold. Counted from the files' YAML only."""
    alerts = rules.all_alerts(service)
    counts = {i: {"firing": 0, "silent": 0} for i in range(len(alerts))}
    untested: list[str] = []
    for rel, text in proofs.render(service).items():
        untested += proofs.untested(text)
        for group in yaml.safe_load(text)["tests"]:
            for t in group.get("alert_rule_test") or ():
                expected = [a.get("exp_labels") or {} for a in t.get("exp_alerts") or ()]
                for i, rule in enumerate(alerts):
                    if rule.alert != t["alertname"]:
                        continue
                    hit = any(_static(rule).items() <= labels.items() for labels in expected)
                    counts[i]["firing" if hit else "silent"] += 1
            for t in group.get("promql_expr_test") or ():
                if not t["expr"].startswith("ALERTS{"):
                    continue
                sel = _selector_labels(t["expr"])
                assert sel.get("alertstate") == "firing", t
                samples = [_sample_labels(s["labels"]) for s in t.get("exp_samples") or ()]
                for i, rule in enumerate(alerts):
                    static = _static(rule)
                    if rule.alert != sel["alertname"] or any(
                            static.get(k, v) != v for k, v in sel.items()
                            if k not in ("alertname", "alertstate")):
                        continue
                    hit = any(static.items() <= s.items() for s in samples)
                    counts[i]["firing" if hit else "silent"] += 1
    return counts, untested


def test_every_example_alert_has_a_firing_and_a_silent_case(example_service) -> None:
    alerts = rules.all_alerts(example_service)
    counts, untested = coverage(example_service)
    assert untested == []
    missing = [(alerts[i].alert, alerts[i].tier or alerts[i].level or "", c)
               for i, c in counts.items() if not (c["firing"] and c["silent"])]
    assert missing == []
    assert len(alerts) == len(counts) > 60  # the example's 77 alerts, all counted


@pytest.mark.parametrize("spec", RULE_SPECS, ids=lambda p: p.stem)
def test_every_alert_of_the_rule_specs_is_covered_or_reported(spec: Path) -> None:
    service = _service(spec)
    alerts = rules.all_alerts(service)
    counts, untested = coverage(service)
    for i, c in counts.items():
        if c["firing"] and c["silent"]:
            continue
        assert any(u.startswith(alerts[i].alert) for u in untested), (alerts[i].alert, c)


def test_custom_alert_without_tests_is_reported_untested() -> None:
    service = _service(ROOT / "tests" / "specs" / "rules" / "escaping.yaml")
    files = proofs.render(service)
    text = files[cv.promtool_section_test_file("custom-alerts")]
    assert "# untested: Hostile (add tests: to the spec)\n" in text
    assert proofs.untested(text) == ["Hostile (add tests: to the spec)"]


def test_custom_alert_cases_come_from_the_spec(example_service) -> None:
    data = yaml.safe_load(proofs.render(example_service)[
        cv.promtool_section_test_file("custom-alerts")])
    names = [g["name"] for g in data["tests"]]
    expected = [f"{a.name}: {t.name}" for a in example_service.custom_alerts for t in a.tests]
    assert names == expected
    first = example_service.custom_alerts[0].tests[0]
    assert data["tests"][0]["input_series"] == [
        {"series": s.series, "values": s.values} for s in first.input_series]


# ---- the numbers in the generated tests ---------------------------------------------------------


def _tier_file(service, slo_name: str, tier_name: str) -> dict:
    files = proofs.render(service)
    return yaml.safe_load(files[cv.promtool_slo_tier_test_file(slo_name, tier_name)])


@pytest.mark.parametrize("slo_name,tier_name", [
    ("availability", "fast"), ("availability", "moderate"), ("availability", "slow"),
    ("latency-p95", "fast"), ("throughput", "slow"), ("cache-hit-rate", "slow")])
def test_firing_is_asserted_within_the_workbook_detection_bound(example_service, slo_name,
                                                                tier_name) -> None:
    """Recompute the bound from the workbook: the asserted firing time is no later than
    t0 + (1 - S)/e x W x b + one evaluation (+ the derived window's lag, at most half the base
    window plus one evaluation), and the asserted silence comes before the detection time."""
    slo = next(s for s in example_service.slos if s.name == slo_name)
    tier = next(t for t in slo.tiers if t.name == tier_name)
    data = _tier_file(example_service, slo_name, tier_name)
    every = parse_duration(data["evaluation_interval"])
    timing = data["tests"][2]
    checks = [(parse_duration(t["eval_time"]), bool(t["exp_samples"]))
              for t in timing["promql_expr_test"]]
    assert "detection and reset" in timing["name"]
    # the burn starts after a clean long window: t0 is the first errored sample's interval
    text = proofs.render(example_service)[
        cv.promtool_slo_tier_test_file(slo_name, tier_name)]
    t0 = parse_duration(re.search(r"From t=(\w+): error ratio", text).group(1))
    fire = Fraction(re.search(r"error ratio ([\d.]+) \(", text.split("From t=", 1)[1]).group(1))
    detect = burnrate.detection_seconds(tier.burn_rate, slo.error_budget,
                                        Decimal(fire.numerator) / fire.denominator,
                                        tier.long_window)
    def lag(window: int) -> int:
        derived = isinstance(slo.sli, GaugeSLI) or \
            window > example_service.settings.raw_window_max
        return example_service.settings.base_window // 2 + every if derived else 0

    fired = [t for t, firing in checks if firing][0]
    silent_before = [t for t, firing in checks if not firing][0]
    hold = -(-tier.for_seconds // every) * every  # `for` counts whole evaluations
    assert fired <= t0 + detect + every + lag(tier.long_window) + hold
    assert silent_before < t0 + detect
    # after the burn stops, silence is asserted within the short window + one evaluation (+lag)
    recovery = parse_duration(re.search(r"From t=(\w+) the error ratio drops", text).group(1))
    cleared = [t for t, firing in checks if not firing][-1]
    bound = -(-(tier.short_window + lag(tier.short_window)) // every) * every + every
    assert cleared - recovery <= bound


def test_fire_and_below_levels_respect_the_ratio_ceiling(example_service) -> None:
    files = proofs.render(example_service)
    for slo in example_service.slos:
        for tier in slo.tiers:
            text = files[cv.promtool_slo_tier_test_file(slo.name, tier.name)]
            m = re.search(r"tested at ([\d.]+) \(([\d.]+)x\) and ([\d.]+) \(([\d.]+)x\)", text)
            fire, fire_x, below, below_x = (Fraction(g) for g in m.groups())
            assert 1 < fire_x <= Fraction(3, 2) and fire < 1, (slo.name, tier.name)
            assert Fraction(1, 2) <= below_x < 1, (slo.name, tier.name)


def test_request_weighting_is_asserted_with_uneven_traffic(example_service) -> None:
    text = proofs.render(example_service)[
        cv.promtool_slo_test_file("availability")]
    # 4x the traffic at B/4, then 1x at 2B: request-weighted 0.6 B, time-weighted 1.125 B
    assert "request-weighted ratio 0.0003; a time-weighted average of the phases would be " \
           "0.0005625" in text
    data = yaml.safe_load(text)
    samples = {(t["expr"], t["eval_time"]): t["exp_samples"][0]["value"]
               for t in data["tests"][0]["promql_expr_test"]}
    key = ('round(slo:sli_error:ratio_rate30d{service="autogen-review-bot",slo="availability"} '
           '* 1e9) / 1e9')
    assert [v for (e, _), v in samples.items() if e == key] == [0.0003]
    remaining = [v for (e, _), v in samples.items() if "period_error_budget_remaining" in e]
    assert remaining == [0.4]


def _condition(tests, tier, model, t: int, lo: bool) -> bool:
    """The tier's alert condition at t in the exact model, under one range semantics."""
    theta = tests.theta(tier)
    ok = True
    for w in (tier.long_window, tier.short_window):
        v = model.ratio_in(w, t, lo, src=tests.src(w), fed_ok=True)
        ok = ok and v is not None and v > theta
    if tests.guard is not None:
        avg = model.traffic_in(tier.long_window, t, lo, tests.src(tier.long_window))
        ok = ok and avg is not None and avg >= tests.guard
    return ok


@pytest.mark.parametrize("spec", [EXAMPLE, *RULE_SPECS], ids=lambda p: p.stem)
def test_timing_checks_hold_under_prometheus_2_and_3_range_semantics(spec: Path) -> None:
    """Prometheus 3 made range selectors left-open: at a window's edge it sees one sample less.
    Every ALERTS check of every tier's timing test must come out the same under both semantics
    (checked in the exact model of the rules, with margin-free comparisons), so the generated
    tests do not depend on the promtool version."""
    from sre_gen.proofs.slo import SloTests

    service = _service(spec)
    alerts = rules.all_alerts(service)
    files = proofs.render(service)
    checked = 0
    for slo in service.slos:
        tests = SloTests(service, slo, alerts)
        for tier in tests.tiers:
            rel = cv.promtool_slo_tier_test_file(slo.name, tier.name)
            if rel not in files:
                continue
            tests.tier_file(tier)
            feed, phases, end, every = tests.timing[tier.name]
            model = feed.model(phases, end, every)
            group = yaml.safe_load(files[rel])["tests"][2]
            hold = -(-tier.for_seconds // every) * every
            for check in group["promql_expr_test"]:
                at = parse_duration(check["eval_time"])
                if check["expr"].startswith(cv.SLO_BURN_CONDITION):  # the recorded condition
                    holds = check["exp_samples"][0]["value"] == 1
                    for lo in (False, True):
                        assert _condition(tests, tier, model, at, lo) == holds, (
                            slo.name, tier.name, at, "condition", lo)
                    checked += 1
                    continue
                firing = bool(check["exp_samples"])
                for lo in (False, True):
                    # firing needs the condition over the whole pending time
                    held = all(_condition(tests, tier, model, x, lo)
                               for x in range(at - hold, at + 1, every))
                    assert held == firing, (slo.name, tier.name, at, "left-open" if lo else
                                            "closed")
                checked += 1
    assert checked or not any(s.tiers for s in service.slos)


# ---- helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value,fn,expected", [
    (0.75, proof_gotmpl.humanize_duration, "750ms"),
    (1.5, proof_gotmpl.humanize_duration, "1.5s"),
    (3725, proof_gotmpl.humanize_duration, "1h 2m 5s"),
    (1200, proof_gotmpl.humanize, "1.2k"),
    (0.0055, proof_gotmpl.humanize_percentage, "0.55%"),
    (-1.0, proof_gotmpl.humanize_percentage, "-100%"),
    (25970.0, proof_gotmpl.humanize, "25.97k"),
])
def test_go_formatting(value, fn, expected) -> None:
    assert fn(value) == expected


def test_template_expansion() -> None:
    text = 'a {{ "{{" }}x{{ "}}" }} {{ $value | printf "%.2f" }} {{ $labels.job }}'
    assert proof_gotmpl.expand(text, 18.0, {"job": "j"}) == "a {{x}} 18.00 j"
    with pytest.raises(proof_gotmpl.Unsupported):
        proof_gotmpl.expand("{{ $value }}", None)
    with pytest.raises(proof_gotmpl.Unsupported):
        proof_gotmpl.expand("{{ range $x }}", 1.0)


@pytest.mark.parametrize("pattern,example", [("5..", "500"), ("5\\d\\d", "500"), ("a|b", "a"),
                                             ("[2-3]xx", "2xx"), (".*", ""), ("(foo)+", "foo")])
def test_regex_example(pattern: str, example: str) -> None:
    assert proof_feed.regex_example(pattern) == example


def test_labels_for_avoids_the_excluded_selector() -> None:
    errors = MetricSelector("http_requests_total", (Matcher("job", "=", "a"),
                                                    Matcher("code", "=~", "5..")))
    total = MetricSelector("http_requests_total", (Matcher("job", "=", "a"),))
    assert proof_feed.labels_for(errors) == {"job": "a", "code": "500"}
    assert proof_feed.labels_for(total, exclude=[errors], prefer={"code": "200"}) == \
        {"job": "a"}
    negative = MetricSelector("m", (Matcher("route", "!~", "/healthz|/metrics"),))
    assert proof_feed.labels_for(negative) == {}


def test_values_string_compresses_runs_and_keeps_exact_numbers() -> None:
    f = Fraction
    assert proof_feed.values_string([0, 60, 120, 180, 180, 180, None, None]) == \
        "0+60x3 180x1 _x2"
    assert proof_feed.values_string([f(1, 4), f(1, 4), f(3, 10)]) == "0.25x1 0.3"
    assert proof_feed.values_string([f(1, 3)]) == "0.333333333333"


def test_render_puts_comments_before_groups() -> None:
    f = PromtoolFile(path="prometheus/tests/x.yaml", evaluation_interval=60, comments=["top"],
                 untested=["A (why)"], group_order=["g"])
    g = Group(name="n", interval=60, comments=["about n"], inputs=[("m", "1x2")],
              alert_tests=[{"eval_time": "1m", "alertname": "A"}])
    f.groups.append(g)
    text = f.render()
    assert text.startswith("# top\n# untested: A (why)\nrule_files:\n")
    assert "tests:\n  # about n\n  - name: n\n" in text
    assert yaml.safe_load(text)["tests"][0]["alert_rule_test"] == [
        {"eval_time": "1m", "alertname": "A"}]


# ---- real promtool ------------------------------------------------------------------------------


RAW_SPEC = """\
apiVersion: sre-gen/v1
service:
  name: raw
errorBudgetPolicy:
  lowTrafficGuard: { minEventRate: 0.5 }
  tiers:
    - { name: fast, burnRate: 14.4, longWindow: 1h, severity: critical }
slos:
  - name: simple-errors
    objective: 99.9
    window: 7d
    sli:
      ratio:
        errors:
          query: sum(rate(calls_total{job="raw",result="error"}[{{window}}]))
        total:
          query: sum(rate(calls_total{job="raw"}[{{window}}]))
  - name: complex-good
    objective: 99
    window: 7d
    sli:
      ratio:
        good:
          query: sum(rate(ok_total{job="raw"}[{{window}}])) + sum(rate(cached_total{job="raw"}[{{window}}]))
        total:
          query: sum(rate(requests_total{job="raw"}[{{window}}]))
  - name: complex-errors
    objective: 99
    window: 7d
    sli:
      ratio:
        errors:
          query: sum(rate(a_total{job="raw"}[{{window}}])) + sum(rate(b_total{job="raw"}[{{window}}]))
        total:
          query: sum(rate(requests_total{job="raw"}[{{window}}]))
"""


def test_raw_query_slis_choose_their_feed(tmp_path: Path) -> None:
    spec = tmp_path / "raw.yaml"
    spec.write_text(RAW_SPEC)
    files = proofs.render(load_service(spec, "raw.yaml"))
    simple = files[cv.promtool_slo_test_file("simple-errors")]
    assert "the queries' counters are fed instead" in simple
    assert 'calls_total{job="raw",result="error"}' in simple
    complex_good = files[cv.promtool_slo_test_file("complex-good")]
    assert "the tests feed the recorded base series" in complex_good
    assert "the SLI queries read their inputs" in complex_good  # the wiring group
    untested = proofs.untested(files[cv.promtool_slo_test_file("complex-errors")])
    assert untested and all("records 0 (`or vector(0)`)" in u for u in untested)


@pytest.mark.slow
def test_raw_query_slis_pass_promtool(tmp_path: Path, promtool) -> None:
    spec = tmp_path / "raw.yaml"
    spec.write_text(RAW_SPEC)
    folder = _write(tmp_path / "out", load_service(spec, "raw.yaml"))
    files = sorted((folder / cv.PROMTOOL_TESTS_DIR).glob("*.yaml"))
    proc = _promtool_test(promtool, files)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize("spec", RULE_SPECS, ids=lambda p: p.stem)
def test_generated_tests_pass_promtool_for_the_rule_specs(spec: Path, tmp_path: Path,
                                                          promtool) -> None:
    folder = _write(tmp_path, _service(spec))
    files = sorted((folder / cv.PROMTOOL_TESTS_DIR).glob("*.yaml"))
    assert files
    proc = _promtool_test(promtool, files)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
