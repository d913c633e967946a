"""Every series a spec reads, with the spec path it was written at: what ``sre-gen lint`` asks
Prometheus about.

The model (``sre_gen.model``) says what is read; the spec's ``Document`` (its marks) says where it
was written. Both come from the same validated file, and the model keeps the order of the spec's
lists, so the i-th SLO of the model is ``slos[i]`` of the file. A structured selector
(``metric`` + ``selector``) is a ``Use`` whose matchers point at their own keys; a raw PromQL
query (golden signals, custom alerts, ``query`` SLIs with ``{{window}}`` rendered as 5m,
capacity, backups) yields one ``Use`` per vector selector, all at the query's position, each
knowing the range function around it (``rate(x[5m])``: ``rate``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sre_gen import conventions as cv
from sre_gen import model, promql
from sre_gen.spec.load import Document

RENDERED_WINDOW = 300  # {{window}} of a raw query, rendered for parsing: 5m
# Functions that need a counter: on a gauge they compute nonsense.
COUNTER_FUNCTIONS = frozenset({"rate", "irate", "increase", "resets"})


@dataclass(frozen=True)
class Match:
    """One label matcher and where the spec wrote it."""

    name: str
    op: str  # = != =~ !~
    value: str
    path: tuple
    note: str = ""  # why a matcher the spec does not write is added (said in messages)

    @property
    def requires_label(self) -> bool:
        """Whether only series carrying the label can match."""
        if self.op in ("=", "!="):
            return (self.value != "") == (self.op == "=")
        return matches_empty(self.value) == (self.op == "!~")


@dataclass(frozen=True)
class Use:
    """One vector selector the generated rules (or the spec's own PromQL) evaluate.

    ``role``: ``events`` (sre-gen takes rate()/increase() of it: it must be a counter), ``value``
    (a gauge SLI compares its raw value: it must not be a counter) or ``any`` (raw PromQL whose
    functions say how it is used). ``rare``: it counts errors (an SLI's errors, an errors golden
    signal) or security events, whose label values appear only once the first one happened, so
    a value nothing matches is a warning."""

    path: tuple
    metric: str | None  # None: a selector without a metric name ({__name__=~"..."})
    matchers: tuple[Match, ...]
    role: str = "any"
    function: str | None = None  # the range function applied to it in raw PromQL
    raw: bool = False
    rare: bool = False
    nth: int = 0  # raw PromQL: how many selectors of the same metric come before it

    def selector(self, metric: str | None = None, drop: str | None = None) -> str:
        """PromQL of the selector (every value escaped); ``metric`` overrides the name,
        ``drop`` leaves one label's matchers out."""
        name = metric or self.metric
        items = [model.Matcher(m.name, m.op, m.value) for m in self.matchers if m.name != drop]
        if name and not promql.METRIC_NAME.match(name):
            items.insert(0, model.Matcher("__name__", "=", name))
            name = None
        text = promql.matchers(items)
        return f"{name or ''}{text}" if (name or text) else '{__name__=~".+"}'


@dataclass(frozen=True)
class Threshold:
    """A latency SLI's bound, which must be one of the histogram's ``le`` buckets."""

    path: tuple
    histogram: str  # base name; the buckets are <histogram>_bucket
    matchers: tuple[Match, ...]
    seconds: Decimal


def generated_by_sre_gen(metric: str) -> bool:
    """A series sre-gen's own rules record (a custom alert may read them): not an input."""
    return metric.startswith("slo:") or metric in {
        cv.SLO_INFO, cv.ALERTS, "ALERTS_FOR_STATE",
        cv.GOLDEN_SIGNAL_VALUE, cv.SECURITY_EVENTS, cv.BACKUP_AGE, cv.CAPACITY_USAGE,
        cv.CAPACITY_FORECAST}


def _structured(base: tuple, metric_key: str, sel: model.MetricSelector, **kw) -> Use:
    matchers = tuple(Match(m.name, m.op, m.value, (*base, "selector", m.name))
                     for m in sel.matchers)
    return Use((*base, metric_key), sel.metric, matchers, **kw)


_OPS = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}


def _op(op) -> str:
    return _OPS[str(op).rsplit(".", 1)[-1]]


def _selectors(node, function: str | None = None) -> Iterator[tuple[object, str | None]]:
    """(vector selector, range function directly around it) of a parsed expression."""
    import promql_parser as p

    if isinstance(node, p.MatrixSelector):
        yield node.vector_selector, function
        return
    if isinstance(node, p.VectorSelector):
        yield node, None
        return
    if isinstance(node, p.Call):
        for arg in node.args or ():
            yield from _selectors(arg, node.func.name)
        return
    for attr in ("expr", "lhs", "rhs", "param"):
        child = getattr(node, attr, None)
        if child is not None and not isinstance(child, (str, int, float)):
            yield from _selectors(child, None)


def query_uses(path: tuple, query: str, role: str = "any", rare: bool = False) -> list[Use]:
    """One Use per vector selector of raw PromQL (``{{window}}`` rendered as 5m)."""
    text = promql.render_window(query, RENDERED_WINDOW)
    try:
        expr = promql.parse(text)
    except ValueError:
        return []  # validate rejects it; lint has nothing to ask
    out = []
    seen: dict[str | None, int] = {}
    for node, function in _selectors(expr):
        # with "or", each alternative is a group of its own (and ``matchers`` is empty)
        groups = list(node.matchers.or_matchers or ()) or [node.matchers.matchers]
        nth = seen[node.name or None] = seen.get(node.name or None, -1) + 1
        for group in groups:
            metric = node.name or None
            matchers = []
            for m in group:
                if m.name == "__name__" and _op(m.op) == "=" and not metric:
                    metric = m.value
                elif m.name != "__name__" or metric is None:
                    matchers.append(Match(m.name, _op(m.op), m.value, path))
            out.append(Use(path, metric, tuple(matchers), role, function, raw=True, rare=rare,
                           nth=nth if node.name else -1))
    return out


def _source(base: tuple, src: model.EventSource, rare: bool) -> list[Use]:
    if src.selector is not None:
        return [_structured(base, "metric", src.selector, role="events", rare=rare)]
    return query_uses((*base, "query"), src.query or "", rare=rare)


def _rendered(doc: Document, base: tuple, query: str, role: str) -> list[Use]:
    """A query the model rendered from ``metric`` + ``selector`` (gauge SLIs, backups), or the
    spec's own ``query``."""
    if (*base, "query") in doc.positions:
        return query_uses((*base, "query"), query, role)
    uses = query_uses((*base, "metric"), query, role)
    return [Use(u.path, u.metric, tuple(Match(m.name, m.op, m.value, (*base, "selector", m.name))
                                        for m in u.matchers), role) for u in uses]


def collect(service: model.Service, doc: Document) -> tuple[list[Use], list[Threshold]]:
    uses: list[Use] = []
    thresholds: list[Threshold] = []
    for i, slo in enumerate(service.slos):
        base = ("slos", i, "sli")
        sli = slo.sli
        if isinstance(sli, model.RatioSLI):
            events = (*base, "ratio", "good" if sli.events_are_good else "errors")
            uses += _source(events, sli.events, rare=not sli.events_are_good)
            uses += _source((*base, "ratio", "total"), sli.total, rare=False)
        elif isinstance(sli, model.LatencySLI):
            lat = (*base, "latency")
            for suffix in ("_bucket", "_count"):
                sel = model.MetricSelector(sli.histogram.metric + suffix, sli.histogram.matchers)
                uses.append(_structured(lat, "histogram", sel, role="events"))
            thresholds.append(Threshold(
                (*lat, "threshold"), sli.histogram.metric,
                tuple(Match(m.name, m.op, m.value, (*lat, "selector", m.name))
                      for m in sli.histogram.matchers), sli.threshold_seconds))
        else:
            uses += _rendered(doc, (*base, "gauge"), sli.query, "value")
    counts: dict[str, int] = {}
    for g in service.golden_signals:
        i = counts[g.signal] = counts.get(g.signal, -1) + 1
        uses += query_uses(("goldenSignals", g.signal, i, "query"), g.query,
                           rare=g.signal == "errors")
    for i, a in enumerate(service.custom_alerts):
        uses += query_uses(("alerts", i, "expr"), a.expr)
    for i, r in enumerate(service.security):
        uses += _source(("security", i, "counter"), r.counter, rare=True)
    for i, b in enumerate(service.disaster_recovery.backups):
        uses += _rendered(doc, ("disasterRecovery", "backups", i, "lastSuccess"),
                          b.last_success, "any")
    if service.capacity:
        for i, c in enumerate(service.capacity.resources):
            uses += query_uses(("capacity", "resources", i, "usage"), c.usage)
            uses += query_uses(("capacity", "resources", i, "limit"), c.limit)
    if service.autoscaling:
        uses += _pod_metrics(service, service.autoscaling)
    uses = [u for u in uses if not (u.metric and generated_by_sre_gen(u.metric))]
    return uses, thresholds


def _pod_metrics(service: model.Service, a: model.Autoscaling) -> list[Use]:
    """The HPA's Pods metrics, with the matchers the generated adapter/KEDA query adds."""
    out = []
    for i, m in enumerate(a.pod_metrics):
        base = ("autoscaling", "podMetrics", i)
        use = _structured(base, "series", model.MetricSelector(m.series, m.matchers),
                          role="value")
        own = {x.name for x in m.matchers}
        if a.provider == "prometheus-adapter":
            note = "the prometheus-adapter rule finds pods by their namespace and pod labels"
            extra = [Match(n, "!=", "", (*base, "series"), note) for n in ("namespace", "pod")]
        else:
            note = "the KEDA query selects the service's namespace"
            extra = [] if "namespace" in own else [
                Match("namespace", "=", service.namespace, (*base, "series"), note)]
        out.append(Use(use.path, use.metric, use.matchers + tuple(extra), use.role))
    # The HPA alerts compare kube-state-metrics' current, desired and maximum replicas of the
    # HPA object; the three come from the same exporter for the same object, so one is asked.
    hpa = cv.hpa_name(a.name, a.provider)
    note = f"the generated HPA alerts read kube-state-metrics' series of HPA {hpa}"
    where = ("autoscaling", "target", "name")
    matchers = (Match(cv.KSM_LABEL_NAMESPACE, "=", service.namespace, ("service", "namespace"),
                      note), Match(cv.KSM_LABEL_HPA, "=", hpa, where, note))
    out.append(Use(where, cv.KSM_HPA_CURRENT, matchers, "value"))
    return out


def matches_empty(regex: str) -> bool:
    """Whether a PromQL (RE2, fully anchored) regex matches the empty string; Python's re agrees
    on the patterns label values use, and a pattern it cannot read counts as not matching."""
    try:
        return re.fullmatch(regex, "") is not None
    except re.error:
        return False
