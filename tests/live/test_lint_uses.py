"""sre_gen.live.uses: which series a spec reads and where it wrote each (no server needed)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sre_gen.live import uses
from sre_gen.spec import load, load_service

ROOT = Path(__file__).resolve().parents[2]
SPECS = [ROOT / "specs" / "autogen-review-bot.yaml", ROOT / "tests" / "specs" / "keda-variant.yaml",
         *sorted((ROOT / "tests" / "specs" / "rules").glob("*.yaml"))]


def _collect(path: Path):
    doc = load.load(path)
    return uses.collect(load_service(path, warn=lambda p: None), doc), doc


def _value(doc, path):
    node = doc.data
    for part in path:
        node = node[part]
    return node


# Matchers sre-gen adds itself point at the key they come from, which a spec may leave out.
IMPLIED = {("service", "namespace"), ("autoscaling", "target", "name")}


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_every_use_points_at_the_text_that_wrote_it(spec):
    """The i-th item of the model is the i-th of the file: each selector's path is a value of
    the spec that names its metric, and each matcher's path the key of its label."""
    (found, thresholds), doc = _collect(spec)
    assert found
    for u in found:
        if u.path in IMPLIED:
            continue
        assert u.path in doc.positions, u
        text = _value(doc, u.path)
        if u.raw:
            assert u.metric is None or u.metric in text, (u, text)
        else:
            assert u.metric.startswith(text), (u, text)  # x_bucket / x_count of histogram x
        for m in u.matchers:
            if m.path in IMPLIED or m.note:
                continue
            assert m.path in doc.positions, m
            if not u.raw:
                assert m.path[-1] == m.name
    for t in thresholds:
        assert t.path in doc.positions and t.path[-1] == "threshold"


def test_the_example_spec_s_selectors():
    (found, thresholds), _ = _collect(SPECS[0])
    by_path = {}
    for u in found:
        by_path.setdefault(u.path, []).append(u)
    (alert,) = by_path[("alerts", 0, "expr")]
    assert (alert.metric, alert.function, alert.raw, alert.role) == (
        "http_requests_total", "rate", True, "any")
    assert [(m.name, m.op, m.value) for m in alert.matchers] == [
        ("job", "=", "autogen-review-bot"), ("status", "=~", "5..")]
    # ErrorBudgetBurnRateFast reads only series sre-gen's own rules record: nothing to ask
    assert ("alerts", 2, "expr") not in by_path
    (errors,) = by_path[("slos", 0, "sli", "ratio", "errors", "metric")]
    assert errors.rare and errors.role == "events" and not errors.raw
    assert [m.path for m in errors.matchers] == [
        ("slos", 0, "sli", "ratio", "errors", "selector", "job"),
        ("slos", 0, "sli", "ratio", "errors", "selector", "code")]
    (total,) = by_path[("slos", 0, "sli", "ratio", "total", "metric")]
    assert not total.rare
    assert [u.metric for u in by_path[("slos", 1, "sli", "latency", "histogram")]] == [
        "http_request_duration_seconds_bucket", "http_request_duration_seconds_count"]
    (gauge,) = by_path[("slos", 6, "sli", "gauge", "metric")]
    assert gauge.role == "value" and gauge.matchers[0].path[-2:] == ("selector", "job")
    assert [(t.path[1], t.seconds) for t in thresholds] == [
        (1, Decimal("0.2")), (2, Decimal("0.5")), (3, Decimal("1")), (7, Decimal("300")),
        (8, Decimal("10"))]
    assert ("goldenSignals", "saturation", 2, "query") in by_path  # indices per signal
    (pod,) = by_path[("autoscaling", "podMetrics", 0, "series")]
    assert [(m.name, m.op, m.value) for m in pod.matchers][1:] == [
        ("namespace", "!=", ""), ("pod", "!=", "")]
    (hpa,) = by_path[("autoscaling", "target", "name")]
    assert hpa.metric == "kube_horizontalpodautoscaler_status_current_replicas"


def test_raw_queries():
    q = uses.query_uses
    (a,) = q(("p",), 'sum(increase({__name__="a:b", x="1"}[{{window}}]))')
    assert (a.metric, a.function, [m.name for m in a.matchers]) == ("a:b", "increase", ["x"])
    (b,) = q(("p",), "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))")
    assert (b.metric, b.function) == ("x_bucket", "rate")
    c, d, e = q(("p",), 'max_over_time(timestamp(y)[1h:5m]) + z{a="1" or b="2"}')
    assert (c.metric, c.function) == ("y", None)  # a subquery's selector is an instant vector
    assert [(u.metric, [m.name for m in u.matchers]) for u in (d, e)] == [
        ("z", ["a"]), ("z", ["b"])]  # each alternative of "or" is a selector of its own
    assert q(("p",), "sum(") == [] and q(("p",), "42") == []
    (f,) = q(("p",), '{__name__=~"http_.+"}')
    assert f.metric is None and f.selector() == '{__name__=~"http_.+"}'


def test_selectors_are_escaped():
    u = uses.Use((), "a:b", (uses.Match("x", "=", 'say "hi"\\', ()),))
    assert u.selector() == 'a:b{x="say \\"hi\\"\\\\"}'
    assert u.selector(drop="x") == "a:b"


@pytest.mark.parametrize(("op", "value", "needs"), [
    ("=", "x", True), ("=", "", False), ("!=", "", True), ("!=", "x", False),
    ("=~", "5..", True), ("=~", ".*", False), ("=~", "a|", False), ("!~", "", True),
    ("!~", ".+", False), ("!~", "5..", False)])
def test_which_matchers_need_the_label(op, value, needs):
    assert uses.Match("code", op, value, ()).requires_label is needs
