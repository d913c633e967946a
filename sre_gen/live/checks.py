"""The questions ``sre-gen lint`` asks Prometheus about each series a spec reads (``uses.Use``),
and the problems the answers show. Every answer is cached: a selector read by several rules is
asked about once.

Per selector, in order (a failed step stops the later ones, whose answers would only repeat it):

1. the metric has series in the last ``lookback`` (default 1d), else "absent" (with the closest
   metric names Prometheus has);
2. every label a matcher needs is a label of the metric, else "has no label status; it has ...";
3. every ``=`` and ``=~`` matcher alone matches a series (``=`` against the label's values, a
   regex asked of Prometheus), else "no series has code="403"; code has 200, 500" (a warning
   for an errors or security counter: a client library exports a label value after its first
   event only);
4. the whole selector matches a series; at most ``max_series`` of them (cardinality: each is
   one series in every recording rule over it, at every window);
5. its newest sample is at most ``stale_after`` old (the exporter still reports it);
6. the type the targets declare (``/api/v1/metadata``; backfilled or remote-written data has
   none, then nothing is said): rate()/increase()/irate()/resets() of a gauge, an SLI that sre-gen
   rate()s on a gauge, or a gauge SLI (or Pods metric) reading a counter's raw value.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from sre_gen import promql
from sre_gen.durations import format_duration, humanize_duration, num
from sre_gen.live.client import Prometheus
from sre_gen.live.uses import COUNTER_FUNCTIONS, Threshold, Use

LIST_LIMIT = 12  # label names/values listed in a message
STALE_STEP = 300  # subquery step finding a last sample: Prometheus's default lookback delta


@dataclass(frozen=True)
class Finding:
    path: tuple
    message: str
    warning: bool = False
    use: Use | None = None  # the selector it is about (raw PromQL: to find it in the query)
    label: str | None = None  # the matcher's label it is about


@dataclass
class Checker:
    api: Prometheus
    lookback: int = 86400
    stale_after: int = 300
    max_series: int = 1000
    now: float = field(default_factory=time.time)
    _cache: dict = field(default_factory=dict)

    # -- questions (cached) ---------------------------------------------------------------------

    def _ask(self, key: tuple, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def _range(self) -> dict:
        return {"start": self.now - self.lookback, "end": self.now}

    def labels(self, metric: str) -> list[str]:
        sel = _name_selector(metric)
        return self._ask(("labels", metric), lambda: [
            n for n in self.api.label_names([sel], **self._range()) if n != "__name__"])

    def values(self, metric: str, label: str) -> list[str]:
        sel = _name_selector(metric)
        return self._ask(("values", metric, label),
                         lambda: self.api.label_values(label, [sel], **self._range()))

    def names(self) -> list[str]:
        return self._ask(("names",), lambda: self.api.label_values("__name__", **self._range()))

    def count(self, selector: str) -> int:
        expr = f"count(last_over_time({selector}[{format_duration(self.lookback)}]))"
        return self._ask(("count", selector), lambda: int(
            sum(s.value for s in self.api.query(expr, at=self.now))))

    def last_sample(self, selector: str) -> float | None:
        def ask() -> float | None:
            got = self.api.query(f"max(timestamp({selector}))", at=self.now)
            if not got:  # nothing within the lookback delta: search the whole lookback
                expr = (f"max(max_over_time(timestamp({selector})"
                        f"[{format_duration(self.lookback)}:{format_duration(STALE_STEP)}]))")
                got = self.api.query(expr, at=self.now)
            return got[0].value if got else None
        return self._ask(("last", selector), ask)

    def kind(self, metric: str) -> str | None:
        """``counter``/``gauge``/... as the targets declare it; a histogram's or summary's
        ``_bucket``, ``_count`` and ``_sum`` are counters; None when unknown or ambiguous."""
        def of(name: str) -> str | None:
            entries = self._ask(("meta", name), lambda: self.api.metadata(name).get(name, []))
            types = {e.get("type") for e in entries} - {None, "unknown", ""}
            return types.pop() if len(types) == 1 else None

        found = of(metric)
        if found is None:
            for suffix in ("_bucket", "_count", "_sum"):
                if metric.endswith(suffix) and of(metric[: -len(suffix)]) in (
                        "histogram", "summary"):
                    return "counter"
        return found

    # -- checks ---------------------------------------------------------------------------------

    def use(self, u: Use) -> list[Finding]:
        return [replace(f, use=u) for f in self._use(u)]

    def _use(self, u: Use) -> list[Finding]:
        out: list[Finding] = []
        if u.metric:
            labels = self.labels(u.metric)
            if not labels:
                return [Finding(u.path, self._absent(u.metric))]
            for m in u.matchers:
                if m.name not in labels:
                    if m.requires_label:
                        note = f" ({m.note})" if m.note else ""
                        out.append(Finding(m.path, f"{u.metric} has no label {m.name}{note}; it "
                                                   f"has {_listed(labels)}", label=m.name))
                    continue
                if m.op == "=" and m.value:
                    values = self.values(u.metric, m.name)
                    if m.value not in values:
                        note = f" ({m.note})" if m.note else ""
                        out.append(Finding(m.path, (
                            f"no series of {u.metric} has {m.name}={promql.quote(m.value)}"
                            f"{self._in()}{note}; {m.name} has {_listed(values)}"),
                            warning=u.rare, label=m.name))
                elif m.op == "=~" and not self.count(_with(u.metric, m)):
                    values = self.values(u.metric, m.name)
                    out.append(Finding(m.path, (
                        f"{m.name}=~{promql.quote(m.value)} matches no value of {m.name} of "
                        f"{u.metric}{self._in()}; it has {_listed(values)}"), warning=u.rare,
                        label=m.name))
            if out:
                return out
        selector = u.selector()
        n = self.count(selector)
        if n == 0:
            alone = f" (together, its matchers exclude every series of {u.metric})" \
                if u.metric else ""
            return [Finding(u.path, f"{selector} matches no series{self._in()}{alone}",
                            warning=u.rare)]
        if n > self.max_series:
            out.append(Finding(u.path, (
                f"{selector} matches {n} series{self._in()}, more than --max-series "
                f"{self.max_series}: every rule over it evaluates each of them; select fewer "
                "(or aggregate with a recording rule first)")))
        last = self.last_sample(selector)
        if last is not None and self.now - last > self.stale_after:
            age = humanize_duration(self.now - last)
            out.append(Finding(u.path, (
                f"{selector} is stale: its newest sample is {age} old, more than --stale-after "
                f"{format_duration(self.stale_after)} (is the target still scraped?)")))
        if u.metric:
            out += self._types(u)
        return out

    def _types(self, u: Use) -> list[Finding]:
        kind = self.kind(u.metric)
        if kind == "gauge" and u.raw and u.function in COUNTER_FUNCTIONS:
            return [Finding(u.path, (
                f"{u.function}() of {u.metric}, a gauge (its metadata): {u.function}() is for "
                "counters; a gauge's own value (or deriv()/delta()) says what it measures"))]
        if kind == "gauge" and u.role == "events":
            return [Finding(u.path, (
                f"{u.metric} is a gauge (its metadata), but this SLI counts events with "
                "rate()/increase(), which need a counter"))]
        if kind == "counter" and u.role == "value" and u.function not in COUNTER_FUNCTIONS:
            return [Finding(u.path, (
                f"{u.metric} is a counter (its metadata): its raw value only grows, so "
                "comparing it with a threshold is meaningless; use rate() in a query, or a "
                "ratio SLI"))]
        return []

    def threshold(self, t: Threshold) -> list[Finding]:
        bucket = t.histogram + "_bucket"
        if not self.labels(bucket):
            return []  # reported as absent at the histogram
        use = Use(t.path, bucket, t.matchers)
        les = self.api.label_values("le", [use.selector()], **self._range()) \
            if self.count(use.selector()) else []
        from sre_gen.compile.slo_rules import le_pattern

        pattern = le_pattern(t.seconds)
        if not les or any(re.fullmatch(pattern, le) for le in les):
            return []
        bounds = {le: _bound(le) for le in les}
        listed = ", ".join(sorted(les, key=lambda le: (bounds[le] is None, bounds[le] or 0)))
        want = num(t.seconds)
        same = [le for le in les if bounds[le] == t.seconds]
        if same:
            return [Finding(t.path, (
                f"the bucket of {want} s is written le=\"{same[0]}\" in {use.selector()}, "
                f"which the generated rules (le=~{promql.quote(pattern)}) do not match"))]
        return [Finding(t.path, (
            f"no bucket le=\"{want}\" in {use.selector()}; it has {listed}: the SLI's rules "
            "read the bucket of the threshold, so without it the SLI is unknown; use one of "
            "these bounds, or add the bucket"))]

    # -- wording --------------------------------------------------------------------------------

    def _in(self) -> str:
        return f" in the last {format_duration(self.lookback)}"

    def _absent(self, metric: str) -> str:
        close = difflib.get_close_matches(metric, self.names(), n=3, cutoff=0.75)
        if close:
            hint = f"; did you mean {', '.join(close)}?"
        elif ":" in metric:
            hint = " (a recorded series: is the rule that records it loaded?)"
        else:
            hint = " (is it exported, and its target scraped?)"
        return f"no series named {metric}{self._in()}{hint}"


def _bound(le: str) -> Decimal | None:
    if le in ("+Inf", "Inf"):
        return Decimal("Infinity")
    try:
        return Decimal(le)
    except InvalidOperation:
        return None


def _name_selector(metric: str) -> str:
    return f"{{__name__={promql.quote(metric)}}}"


def _with(metric: str, m) -> str:
    return Use((), metric, (m,)).selector()


def _listed(items: list[str]) -> str:
    items = sorted(items)
    if not items:
        return "none"
    shown = ", ".join(items[:LIST_LIMIT])
    return shown if len(items) <= LIST_LIMIT else f"{shown}, ... ({len(items)} in all)"
