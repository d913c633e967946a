"""The pure parts of ``sre-gen backtest`` (no server): the dependency layers the replay runs in,
the raw inputs it copies, firing episodes, detection, paging, the report's escaping and its
determinism. The replay itself is tested against real servers in test_backtest.py."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sre_gen import errors, pipeline, promql
from sre_gen.commands import backtest
from sre_gen.live.backtest import analyze, replay, report

ROOT = Path(__file__).resolve().parents[2]
SPECS = [ROOT / "specs" / "autogen-review-bot.yaml", ROOT / "tests" / "data" / "minimal-spec.yaml",
         ROOT / "tests" / "data" / "backtest-spec.yaml"]


@pytest.fixture(scope="module", params=SPECS, ids=lambda p: p.stem)
def groups(request):
    [svc] = pipeline.load_services([request.param])
    return backtest.rule_groups(svc)


def test_layers_hold_every_rule_once_after_everything_it_reads(groups):
    plan = replay.layers(groups)
    recorded = replay.recorded_names(groups)
    produced_before: set[str] = set()
    seen = []
    for i, layer in enumerate(plan):
        produced_here = set()
        for group in layer.groups:
            for rule in group["rules"]:
                reads = promql.metric_names(rule["expr"]) & recorded
                if i == 0:
                    assert not reads, rule
                # everything it reads is complete: no rule of this or a later layer records it
                assert reads <= produced_before, (i, rule, reads - produced_before)
                seen.append((group["name"], rule.get("record") or rule.get("alert"),
                             rule["expr"]))
                if "record" in rule:
                    produced_here.add(rule["record"])
        for later in plan[i + 1:]:
            later_records = {r["record"] for g in later.groups for r in g["rules"]
                             if "record" in r}
            produced_here -= later_records  # a name recorded again later is not complete yet
        produced_before |= produced_here
    everything = [(g["name"], r.get("record") or r.get("alert"), r["expr"])
                  for g in groups for r in g["rules"]]
    assert sorted(seen) == sorted(everything)
    # within a group the rules keep their order, and groups keep name and interval
    intervals = {g["name"]: g["interval"] for g in groups}
    for layer in plan:
        for group in layer.groups:
            assert group["interval"] == intervals[group["name"]]
            order = [r["expr"] for g in groups if g["name"] == group["name"] for r in g["rules"]]
            mine = [r["expr"] for r in group["rules"]]
            assert mine == [e for e in order if e in mine]


def test_raw_inputs_are_the_selectors_over_unrecorded_metrics():
    [svc] = pipeline.load_services([SPECS[2]])
    selectors, lookback = replay.raw_inputs(backtest.rule_groups(svc))
    assert selectors == [
        '{__name__="checkout_duration_seconds_bucket",job="shop",le=~"0\\\\.5"}',
        '{__name__="checkout_duration_seconds_count",job="shop"}',
        '{__name__="http_requests_total",job="shop",code=~"5.."}',
        '{__name__="http_requests_total",job="shop"}']
    assert lookback == 6 * 3600 + 300  # the longest raw window (rawWindowMax) + the lookback
    for sel in selectors:
        promql.parse(sel)  # valid PromQL


def test_episodes_split_on_gaps_and_last_one_interval():
    pts = [(t, 1.0) for t in (0, 60, 120, 300, 360)]
    assert analyze.episodes(pts, 60) == [analyze.Episode(0, 180), analyze.Episode(300, 420)]
    assert analyze.episodes([], 60) == []
    assert analyze.episodes([(600, 1.0)], 60) == [analyze.Episode(600, 660)]


@given(st.lists(st.integers(0, 500), unique=True))
def test_episodes_cover_every_firing_evaluation_once(minutes):
    eps = analyze.episodes([(m * 60.0, 1.0) for m in minutes], 60)
    assert sum(e.seconds for e in eps) == 60 * len(minutes)
    assert all(a.end < b.start for a, b in zip(eps, eps[1:]))


def test_burn_start_is_the_start_of_the_unbroken_burn_before_the_firing():
    burn = [(0, 0.5), (60, 2.0), (120, 30.0), (180, 40.0), (240, 0.2)]
    assert analyze._burn_start(burn, 180, 60) == 60
    assert analyze._burn_start(burn, 240, 60) == 240  # not burning then: itself
    assert analyze._burn_start([(0, 5.0), (600, 5.0)], 600, 60) == 600  # a gap ends the run


def test_which_severities_page():
    example, minimal = (pipeline.load_services([p])[0] for p in SPECS[:2])
    assert {s for s in ("critical", "high", "medium", "warning", "low", "info")
            if analyze.pages(example, s)} == {"critical", "high"}  # routed to PagerDuty
    assert analyze.pages(minimal, "critical") and not analyze.pages(minimal, "warning")


def test_parse_until():
    assert backtest.parse_until(None, 5.0) == 5.0
    assert backtest.parse_until("1700000000", 0) == 1700000000
    assert backtest.parse_until("2026-01-31T00:00:00Z", 0) == 1769817600
    for bad in ("yesterday", "2026-01-31T00:00:00"):
        with pytest.raises(errors.UsageError):
            backtest.parse_until(bad, 0)


def _result(name: str) -> analyze.Result:
    ep = analyze.Episode(3600, 7200)
    alert = analyze.AlertResult(name, (("severity", "critical"), ("slo", name), ("tier", "fast")),
                                "critical", True, (ep,), 7.0, True)
    slo = analyze.SLOResult(name, "99.9", 30 * 86400, 0.001, True, 1.0, 0.0005, 0.5)
    slo.burns = [analyze.Burn("fast", 3600, 14.4, 20.0, 5400)]
    slo.detections = [analyze.Detection("fast", 3000, 3600)]
    empty = analyze.SLOResult("nothing", "99", 86400, 0.01, False, 0.0, None, None)
    return analyze.Result("svc", 0, 7 * 86400, 60, 2, [alert], [slo, empty],
                          [("critical", True, 1, 1.0)])


def test_summary_escapes_spec_text_and_is_short():
    text = report.summary_md(_result("a|b<script>_x_"))
    assert "a\\|b\\<script\\>\\_x\\_" in text and "<script>" not in text
    assert text.count("\n") < 20
    assert "would page 7 times a week" in text and "no data" in text
    assert report.summary_md(_result("a")) == report.summary_md(_result("a"))


def test_html_escapes_spec_text():
    page = report.index_html(_result('x"<img src=y>'), {})
    assert "<img src=y>" not in page and "&lt;img src=y&gt;" in page
    assert "http://" not in page and "https://" not in page


def test_progress_is_line_based_without_a_terminal_and_redrawn_on_one():
    out = io.StringIO()
    bar = replay.Progress(out, 40)
    for i in range(40):
        bar.step(f"rule {i}")
    lines = out.getvalue().splitlines()
    assert 10 <= len(lines) <= 11 and lines[-1].startswith("replay: 100%")

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    bar = replay.Progress(tty, 3)
    for i in range(3):
        bar.step("x")
    assert tty.getvalue().count("\r") == 3 and tty.getvalue().endswith("\n")
    assert "100%" in tty.getvalue()


def test_summary_renders_as_two_tables_and_passes_markdown_lint(tmp_path):
    from markdown_it import MarkdownIt
    from pymarkdown.api import PyMarkdownApi

    text = report.summary_md(_result("a|b"))
    tokens = MarkdownIt("commonmark").enable(["table"]).parse(text)
    tables = [t for t in tokens if t.type == "table_open"]
    rows = [t for t in tokens if t.type == "tr_open"]
    assert len(tables) == 2 and len(rows) == 2 + 1 + 2  # header + alert; header + 2 SLOs
    cells = [t for t in tokens if t.type in ("td_open", "th_open")]
    assert len(cells) == 6 * 2 + 4 * 3  # the escaped | did not split a cell
    path = tmp_path / "summary.md"
    path.write_text(text)
    # md041 (first line a top-level heading) is off: the summary is a PR comment, headed ###
    lint = PyMarkdownApi().configuration_file_path(
        str(ROOT / "tests" / "data" / "pymarkdown.json")).disable_rule_by_identifier(
        "md041").scan_path(str(path))
    assert not lint.scan_failures, [str(f) for f in lint.scan_failures]
