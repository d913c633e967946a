"""Shared building blocks of the generated promtool tests: test files and groups, rendering
with comments, expected alerts (fully expanded labels and annotations, or the ALERTS series when
an annotation cannot be expanded), time helpers and query shapes sre-gen can feed."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.proofs import gotmpl
from sre_gen.proofs.feed import series as series_text
from sre_gen.compile.rulebase import Rule
from sre_gen.durations import format_duration
from sre_gen.model import Matcher, MetricSelector

RULE_FILES = ("../recording-rules.yaml", "../alerting-rules.yaml")
# Nice evaluation intervals for tests over long windows (seconds).
NICE_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def dur(seconds: int | Fraction) -> str:
    """A duration for a test file (whole seconds; 0 -> 0s)."""
    seconds = int(seconds)
    return format_duration(seconds) if seconds > 0 else "0s"


def ceil_to(value: int | Fraction, step: int) -> int:
    return int(-(-Fraction(value) // step)) * step


def floor_to(value: int | Fraction, step: int) -> int:
    return int(Fraction(value) // step) * step


def nice_step(at_most: int | Fraction, at_least: int) -> int:
    """The largest nice interval <= at_most that is a multiple of at_least (>= at_least)."""
    best = at_least
    for step in NICE_STEPS:
        if at_least <= step <= at_most and step % at_least == 0:
            best = step
    return best


# ---- test files ---------------------------------------------------------------------------------


@dataclass
class Group:
    name: str
    interval: int
    comments: list[str] = field(default_factory=list)
    inputs: list[tuple[str, str]] = field(default_factory=list)
    alert_tests: list[dict] = field(default_factory=list)
    expr_tests: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        out: dict = {"name": self.name, "interval": dur(self.interval)}
        out["input_series"] = [{"series": s, "values": v} for s, v in self.inputs]
        if self.alert_tests:
            out["alert_rule_test"] = sorted(self.alert_tests, key=lambda t: (
                _seconds(t["eval_time"]), t["alertname"]))
        if self.expr_tests:
            out["promql_expr_test"] = sorted(self.expr_tests, key=lambda t: (
                _seconds(t["eval_time"]), t["expr"]))
        return out


def _seconds(text: str) -> int:
    from sre_gen.durations import parse_duration

    return 0 if text == "0s" else parse_duration(text)


@dataclass
class PromtoolFile:
    path: str  # relative to the service folder
    evaluation_interval: int
    comments: list[str] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)  # "Alert (reason)"
    group_order: list[str] = field(default_factory=list)  # recording groups, then alerting
    # None: the service's plain rule files next to the tests folder (the written tests)
    rule_files: list[str] | None = None
    # recording rules the tests run without, (record, identity labels): the file feeds their
    # series itself (``inputs.FeedChoice.left_out``); only scoped proofs can leave one out
    left_out: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def render(self) -> str:
        from sre_gen.output import yamlfmt

        lines = [f"# {c}" if c else "#" for c in self.comments]
        lines += [f"# untested: {u}" for u in self.untested]
        head: dict = {"rule_files": list(RULE_FILES if self.rule_files is None
                                          else self.rule_files),
                      "evaluation_interval": dur(self.evaluation_interval)}
        if self.group_order:
            # promtool otherwise evaluates the groups of one instant in random order, and an
            # alert would read the recorded series of the previous evaluation or of this one
            head["group_eval_order"] = list(self.group_order)
        text = "\n".join(lines) + ("\n" if lines else "") + yamlfmt.dump(head)
        if not self.groups:
            return text + "tests: []\n"
        text += "tests:\n"
        for group in self.groups:
            for c in group.comments:
                text += f"  # {c}\n" if c else "  #\n"
            body = yamlfmt.dump([group.as_dict()])
            text += "".join(f"  {ln}\n" if ln else "\n" for ln in body.rstrip("\n").split("\n"))
        return text


# ---- expected alerts ----------------------------------------------------------------------------


def alert_labels(rule: Rule, expr_labels: dict[str, str], value: float | None) -> dict[str, str]:
    """The labels of a firing alert: the expression's labels, then the rule's (expanded)."""
    labels = dict(expr_labels)
    for k, v in rule.labels:
        labels[k] = gotmpl.expand(v, value, expr_labels)
    return labels


def expected_alert(rule: Rule, expr_labels: dict[str, str], value: float | None) -> dict | None:
    """``{exp_labels, exp_annotations}`` fully expanded, or None when a template is beyond the
    emulation (the caller then asserts the ALERTS series instead)."""
    try:
        labels = alert_labels(rule, expr_labels, value)
        annotations = {k: gotmpl.expand(v, value, expr_labels) for k, v in rule.annotations}
    except gotmpl.Unsupported:
        return None
    out: dict = {"exp_labels": labels}
    if annotations:
        out["exp_annotations"] = annotations
    return out


def alert_test(alertname: str, at: int, alerts: list[dict]) -> dict:
    out: dict = {"eval_time": dur(at), "alertname": alertname}
    if alerts:
        out["exp_alerts"] = sorted(alerts, key=lambda a: sorted(a["exp_labels"].items()))
    return out


def alerts_series_test(rule: Rule, expr_labels: dict[str, str], at: int, firing: bool,
                       value: float | None = None, select: tuple[str, ...] = ()) -> dict:
    """A promql_expr_test on ``ALERTS{alertname, alertstate="firing", <select labels>}``: the
    alert's full label set when ``firing``, no sample otherwise. Used where the annotation text
    depends on a value that varies between Prometheus versions or is unknown."""
    labels = dict(rule.labels)
    selector = [("alertname", rule.alert), ("alertstate", "firing")]
    selector += [(k, labels[k]) for k in select]
    out: dict = {"expr": series_text("ALERTS", selector), "eval_time": dur(at)}
    if firing:
        full = {"alertname": rule.alert, "alertstate": "firing",
                **alert_labels(rule, expr_labels, value)}
        out["exp_samples"] = [{"labels": series_text("ALERTS", sorted(full.items())),
                               "value": 1}]
    else:
        out["exp_samples"] = []
    return out


DECIMALS = 9  # recorded values are compared after rounding to 9 decimals ...
SIGNIFICANT = 10  # ... or to 10 significant digits from 10 on


def decimals_for(value: Fraction) -> int:
    """The decimals ``value`` is compared to: 9, fewer for values from 10 on, so that at most
    10 significant digits are compared (``123.4567891``, ``3333333.333``). float64 carries
    about 16: what a few floating-point operations can get wrong (a relative 1e-13, the
    ``rounded`` margin) stays below the last compared digit whatever the magnitude, and the
    rounded number (below 10^10 in units of the last digit) is an exact float64 integer."""
    d = DECIMALS
    while d > 0 and abs(value) * 10 ** d >= 10 ** SIGNIFICANT:
        d -= 1
    return d


def rounded(value: Fraction) -> float | None:
    """``value`` rounded to ``decimals_for(value)`` decimals as PromQL's ``round(x * 1eD) / 1eD``
    computes it, or None when x sits too close to a rounding boundary to be sure (within a
    thousandth of the last digit) or is too large to keep 10 significant digits (then the value
    is not asserted)."""
    d = decimals_for(value)
    scaled = value * 10 ** d
    if abs(scaled) >= 10 ** SIGNIFICANT:
        return None
    frac = scaled - (scaled // 1)
    if abs(frac - Fraction(1, 2)) < Fraction(1, 1000):
        return None
    return float(Fraction(int((scaled + Fraction(1, 2)) // 1), 10 ** d))


def rounding_expr(selector: str, value: Fraction) -> str:
    """``round(<selector> * 1e9) / 1e9``, with the decimals ``decimals_for(value)``."""
    d = decimals_for(value)
    return f"round({selector} * 1e{d}) / 1e{d}" if d else f"round({selector})"


def value_test(selector: str, labels: dict[str, str], at: int, value: Fraction) -> dict | None:
    """promql_expr_test: the series rounded to 9 decimals (10 significant digits from 10 on)
    equals ``value``."""
    shown = rounded(value)
    if shown is None:
        return None
    return {"expr": rounding_expr(selector, value), "eval_time": dur(at),
            "exp_samples": [{"labels": series_text("", sorted(labels.items())),
                             "value": shown}]}


def exact_test(selector: str, metric: str, labels: dict[str, str], at: int,
               value: float) -> dict:
    return {"expr": selector, "eval_time": dur(at),
            "exp_samples": [{"labels": series_text(metric, sorted(labels.items())),
                             "value": value}]}


# ---- query shapes sre-gen can feed ---------------------------------------------------------------

_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


def _selector(node) -> MetricSelector | None:
    import promql_parser

    if not isinstance(node, promql_parser.VectorSelector) or node.offset or node.at:
        return None
    if not node.name:
        return None
    matchers = []
    for m in node.matchers.matchers:
        op = _OPS.get(str(m.op).rsplit(".", 1)[-1])
        if op is None or m.name == "__name__":
            return None
    if getattr(node.matchers, "or_matchers", None):
        return None
    for m in node.matchers.matchers:
        matchers.append(Matcher(m.name, _OPS[str(m.op).rsplit(".", 1)[-1]], m.value))
    return MetricSelector(node.name, tuple(matchers))


def counter_selector(query: str, window: int) -> MetricSelector | None:
    """The counter of ``sum(rate(<selector>[window]))``, else None."""
    import promql_parser

    try:
        node = promql_parser.parse(query)
    except Exception:  # noqa: BLE001 - any parse problem means "not this shape"
        return None
    if not isinstance(node, promql_parser.AggregateExpr) or str(node.op) != "sum" or \
            node.modifier is not None or node.param is not None:
        return None
    call = node.expr
    if not isinstance(call, promql_parser.Call) or call.func.name != "rate" or len(call.args) != 1:
        return None
    ms = call.args[0]
    if not isinstance(ms, promql_parser.MatrixSelector) or \
            int(ms.range.total_seconds()) != window:
        return None
    return _selector(ms.vector_selector)


def rate_ratio_selectors(query: str) -> list[MetricSelector] | None:
    """The counters of ``(sum(rate(<a>[w]))) / (sum(rate(<b>[w])))``, optionally ``1 - `` that
    (an imported OpenSLO Timeslices SLI), else None: with both counters flat it is 0/0, NaN."""
    import promql_parser

    def bare(node):
        while isinstance(node, promql_parser.ParenExpr):
            node = node.expr
        return node

    try:
        node = bare(promql_parser.parse(query))
    except Exception:  # noqa: BLE001
        return None
    if isinstance(node, promql_parser.BinaryExpr) and str(node.op) == "-" and \
            node.modifier is None and isinstance(node.lhs, promql_parser.NumberLiteral):
        node = bare(node.rhs)
    if not isinstance(node, promql_parser.BinaryExpr) or str(node.op) != "/" or \
            node.modifier is not None:
        return None
    out = []
    for side in (node.lhs, node.rhs):
        side = bare(side)
        window = None
        if isinstance(side, promql_parser.AggregateExpr) and \
                isinstance(side.expr, promql_parser.Call) and side.expr.args and \
                isinstance(side.expr.args[0], promql_parser.MatrixSelector):
            window = int(side.expr.args[0].range.total_seconds())
        sel = counter_selector(str(side), window) if window else None
        if sel is None:
            return None
        out.append(sel)
    return out


def gauge_selector(query: str) -> tuple[MetricSelector, str] | None:
    """``(selector, aggregation)`` of ``sel`` or ``sum|avg|max|min(sel)``, else None."""
    import promql_parser

    try:
        node = promql_parser.parse(query)
    except Exception:  # noqa: BLE001
        return None
    agg = ""
    if isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    if isinstance(node, promql_parser.AggregateExpr):
        if str(node.op) not in ("sum", "avg", "max", "min") or node.param is not None:
            return None
        agg = str(node.op)
        node = node.expr
    sel = _selector(node)
    return (sel, agg) if sel is not None else None


def plain_selector(query: str) -> MetricSelector | None:
    """The selector when the query is nothing but one (``metric{a="b"}``)."""
    import promql_parser

    try:
        return _selector(promql_parser.parse(query))
    except Exception:  # noqa: BLE001
        return None


_RANGE_FUNCS = {"rate", "irate", "increase", "delta", "idelta", "resets"}


def query_selectors(query: str) -> list[tuple[MetricSelector, bool]] | None:
    """Every metric selector of a query with whether it is read as a counter (inside rate()
    and friends); None when one has no metric name or cannot be represented."""
    import promql_parser

    try:
        root = promql_parser.parse(query)
    except Exception:  # noqa: BLE001
        return None
    found: list[tuple[MetricSelector, bool]] = []
    ok = [True]

    def visit(node, counter: bool) -> None:
        if isinstance(node, promql_parser.MatrixSelector):
            node = node.vector_selector
        if isinstance(node, promql_parser.VectorSelector):
            sel = _selector(node)
            if sel is None:
                ok[0] = False
            else:
                found.append((sel, counter))
            return
        if isinstance(node, promql_parser.Call):
            for arg in node.args:
                visit(arg, counter or node.func.name in _RANGE_FUNCS)
            return
        for attr in ("expr", "lhs", "rhs", "param"):
            child = getattr(node, attr, None)
            if child is not None and not isinstance(child, (str, int, float)):
                visit(child, counter)

    visit(root, False)
    return found if ok[0] else None


def wiring_inputs(queries: list[str], step: int, samples: int,
                  rate_of=None) -> list[tuple[str, str]] | None:
    """Input series that give every selector of ``queries`` something to read: counters grow
    (``rate_of(selector)`` events/s, default 1), gauges hold 1; ``_bucket`` series get
    ``le="+Inf"``. None when a selector cannot be satisfied."""
    from sre_gen.proofs.feed import labels_for

    out: dict[str, str] = {}
    for query in queries:
        selectors = query_selectors(query)
        if selectors is None:
            return None
        for sel, counter in selectors:
            labels = labels_for(sel)
            if labels is None:
                return None
            if sel.metric.endswith("_bucket") and "le" not in labels:
                labels["le"] = "+Inf"
            text = series_text(sel.metric, labels)
            if text in out:
                continue
            if counter or sel.metric.endswith(("_total", "_count", "_sum", "_bucket")):
                per = (rate_of(sel) if rate_of else 1) * step
                out[text] = f"0+{per}x{samples - 1}"
            else:
                out[text] = f"1x{samples - 1}"
    return list(out.items())


def outputs_without_inputs(query: str) -> bool:
    """True when the query can return a sample although no series exists (``vector(1)``,
    ``absent(x)``, ``time()``, a number): a recorded series fed in its place would collide with
    the rule's own output, so such a rule cannot be stood in for."""
    import promql_parser

    try:
        root = promql_parser.parse(query)
    except Exception:  # noqa: BLE001
        return True

    def visit(node) -> bool:
        if isinstance(node, (promql_parser.NumberLiteral, promql_parser.StringLiteral)):
            return True
        if isinstance(node, (promql_parser.VectorSelector, promql_parser.MatrixSelector)):
            return False
        if isinstance(node, promql_parser.Call):
            if node.func.name in ("vector", "time", "absent", "absent_over_time", "scalar",
                                  "pi"):
                return True
            return any(visit(a) for a in node.args) and node.func.name in (
                "abs", "ceil", "floor", "round", "clamp", "clamp_min", "clamp_max", "exp", "ln",
                "sqrt", "sgn", "label_replace", "label_join", "sort", "sort_desc")
        if isinstance(node, promql_parser.BinaryExpr):
            op = str(node.op)
            if op == "or":
                return visit(node.lhs) or visit(node.rhs)
            if op == "unless":
                return visit(node.lhs)
            return visit(node.lhs) and visit(node.rhs)
        if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr)):
            return visit(node.expr)
        if isinstance(node, promql_parser.AggregateExpr):
            return visit(node.expr)
        if isinstance(node, promql_parser.SubqueryExpr):
            return visit(node.expr)
        return True

    return visit(root)


def ids(service_name: str, slo: str | None = None, **extra: str) -> dict[str, str]:
    out = {cv.LABEL_SERVICE: service_name}
    if slo is not None:
        out[cv.LABEL_SLO] = slo
    out.update(extra)
    return out
