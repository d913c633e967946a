"""Checks the JSON Schema cannot express: names, durations, windows, reachability, PromQL.

Runs after the schema check, also on a spec the schema rejected: each check is guarded so a part
with the wrong shape (already reported by the schema) is skipped rather than crashing, and the user
sees every problem at once.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import replace
from decimal import ROUND_CEILING, Decimal

from sre_gen import burnrate, conventions, promql
from sre_gen.durations import (
    DURATION_PATTERN,
    compound_duration,
    DurationError,
    format_duration,
    num,
    parse_duration,
    parse_spec_duration,
    to_decimal,
)
from sre_gen.spec import regex, values
from sre_gen.spec.load import Document

# Control characters (but newline and tab) and the characters YAML reads as line breaks: text is
# written into YAML (also comments), PromQL, Markdown and Alertmanager files.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
MAX_NUMBER = 10**15
MIN_NUMBER = 10**-9
MAX_FILE_NAME = 255  # bytes, the limit of Linux, macOS and Windows file systems
_DURATION_SHAPE = re.compile(DURATION_PATTERN)
MAX_STABILIZATION = 3600
MIN_SLO_WINDOW = 3600
MAX_POLICY_PERIOD = 1800


class _Checker:
    def __init__(self, doc: Document):
        self.doc = doc
        self.data = doc.data
        self.problems = []

    def add(self, path: tuple, message: str, key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, key=key))

    def warn(self, path: tuple, message: str, key: bool = False) -> None:
        """Accepted, but almost certainly not what the user means: printed, exit code 0."""
        self.problems.append(replace(self.doc.problem(path, message, key=key), warning=True))

    @contextlib.contextmanager
    def guard(self) -> Iterator[None]:
        try:
            yield
        except (TypeError, KeyError, AttributeError, ValueError, IndexError, ArithmeticError):
            pass  # wrong shape: the schema check has reported it

    def items(self, path: tuple) -> list[tuple[tuple, dict]]:
        node = self.data
        try:
            for part in path:
                node = node[part]
        except (KeyError, IndexError, TypeError):
            return []
        if not isinstance(node, list):
            return []
        return [(path + (i,), item) for i, item in enumerate(node) if isinstance(item, dict)]

    def duration(self, path: tuple, text: object) -> int | None:
        if not isinstance(text, str) or not _DURATION_SHAPE.fullmatch(text):
            return None  # not a string or not the schema's pattern: the schema check reports it
        try:
            return parse_spec_duration(text)
        except DurationError as exc:
            self.add(path, str(exc))
            return None

    def unique(self, entries: list[tuple[tuple, dict]], key: str, what: str) -> None:
        seen: dict[str, tuple] = {}
        for path, item in entries:
            name = item.get(key)
            if not isinstance(name, str):
                continue
            if name in seen:
                line = self.doc.where(seen[name] + (key,))[0]
                self.add(path + (key,), f"duplicate {what} {name!r} (first at line {line})")
            else:
                seen[name] = path

    def query(self, path: tuple, query: object, window: int | None = None) -> None:
        """Check a PromQL string parses (after the window placeholder is filled in), returns an
        instant vector (sre-gen records or compares it), and that its regexes are RE2."""
        if not isinstance(query, str):
            return
        if not query.strip():  # found by the fuzz test: promtool says "no expression found"
            self.add(path, "is blank: write a PromQL expression")
            return
        if window:
            misplaced = promql.misplaced_window_placeholder(query)
            if misplaced:
                self.add(path, f"{{{{window}}}} must stand where a range duration goes, as in "
                               f"rate(x_total[{{{{window}}}}]); here it reads {misplaced!r}")
                return
        text = promql.render_window(query, window) if window else query
        if promql.has_window_placeholder(text):
            self.add(path, "{{window}} is only allowed in event queries (ratio SLIs, counters)")
            return
        try:
            expr = promql.parse(text)
        except ValueError as exc:
            detail = str(exc)
            if detail == "invalid promql query":  # promql-parser's message for any grammar error
                detail = "syntax error (a missing operand, a stray token or a misplaced keyword)"
            elif detail.startswith("illegal regex for "):
                pattern = detail[len("illegal regex for "):]
                detail = f"invalid regex {pattern!r}: {regex.re2_error(pattern) or 'not RE2'}"
            self.add(path, f"invalid PromQL: {detail}")
            return
        kind = promql.value_type(expr)
        if kind != "vector":
            hint = {"matrix": "a range vector (such as x[5m]), which cannot be recorded or "
                              "compared: wrap it in a function such as rate(x[5m]) or "
                              "max_over_time(x[5m])",
                    "scalar": "a scalar: write vector(...) around it",
                    "string": "a string"}[kind]
            self.add(path, f"the query must return an instant vector, not {hint}")
            return
        for pattern in promql.regex_matchers(expr):
            problem = regex.re2_error(pattern)
            if problem:
                self.add(path, f"invalid regex {pattern!r} (Prometheus uses RE2): {problem}")


def check(doc: Document) -> list:
    """Every problem found; warnings are SpecProblems with ``warning=True``."""
    c = _Checker(doc)
    _check_scalars(c, c.data, ())
    with c.guard():
        from sre_gen.spec.schema_check import spec_schema

        _check_durations(c, spec_schema(), c.data, ())
    with c.guard():
        _check_settings(c)
    with c.guard():
        _check_root(c)
    tiers = _check_tiers(c)
    _check_slos(c, tiers)
    _check_golden(c)
    _check_custom(c)
    _check_security(c)
    _check_dr(c)
    with c.guard():
        from sre_gen.spec import regions

        regions.check(c, _names(c, ("runbooks",), "name"))
    _check_capacity(c)
    _check_autoscaling(c)
    _check_chaos(c)
    _check_routing(c)
    with c.guard():
        _check_postmortem(c)
    _check_labels(c)
    _check_alert_names(c)
    with c.guard():
        _check_panel_ids(c)
        from sre_gen.spec import alerting_check

        alerting_check.check(c)
    return list(dict.fromkeys(c.problems))  # a value two checks parse is reported once


def _check_scalars(c: _Checker, node: object, path: tuple) -> None:
    """Every number within a range that prints exactly; no control characters in any text."""
    if isinstance(node, dict):
        for key, value in node.items():
            _check_scalars(c, value, path + (key,))
            if key == "selector" and isinstance(value, dict):
                _check_selector_regexes(c, value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_scalars(c, value, path + (i,))
    elif isinstance(node, str):
        found = _CONTROL.search(node)
        if found:
            c.add(path, f"control character U+{ord(found.group(0)):04X} is not allowed (text "
                        "may contain newlines and tabs only)")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        if node == node and abs(node) != float("inf") and (
                abs(node) > MAX_NUMBER or 0 < abs(node) < MIN_NUMBER):
            c.add(path, f"{node!r} is out of range: numbers are 0 or between 1e-9 and 1e15 "
                        "in magnitude")


def _check_selector_regexes(c: _Checker, selector: dict, path: tuple) -> None:
    for label, matcher in selector.items():
        if not isinstance(matcher, dict):
            continue
        for op in ("regex", "notRegex"):
            pattern = matcher.get(op)
            if isinstance(pattern, str) and not _CONTROL.search(pattern):
                problem = regex.re2_error(pattern)
                if problem:
                    c.add(path + (label, op), f"invalid regex {pattern!r} (Prometheus uses "
                                              f"RE2): {problem}")


def _check_durations(c: _Checker, schema: dict, node: object, path: tuple) -> None:
    """Parse every value the schema types as a duration (each at most MAX_DURATION)."""
    if not isinstance(schema, dict):
        return
    if isinstance(node, str) and schema.get("pattern") == DURATION_PATTERN:
        c.duration(path, node)
    for branch in schema.get("oneOf", ()):
        _check_durations(c, branch, node, path)
    if isinstance(node, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in node.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                _check_durations(c, sub, value, path + (key,))
    elif isinstance(node, list) and isinstance(schema.get("items"), dict):
        for i, value in enumerate(node):
            _check_durations(c, schema["items"], value, path + (i,))


def _check_root(c: _Checker) -> None:
    d = c.data
    if not any(d.get(k) for k in ("slos", "alerts", "goldenSignals", "security")):
        c.add((), "nothing to generate: give at least one SLO (slos) or alert "
                   "(alerts, goldenSignals, security)")


def _check_settings(c: _Checker) -> None:
    s = c.data.get("settings") or {}
    for key in ("evaluationInterval", "baseWindow", "rawWindowMax"):
        if key in s:
            c.duration(("settings", key), s[key])
    interval = _settings_seconds(c, "evaluationInterval", "1m")
    base = _settings_seconds(c, "baseWindow", "5m")
    raw_max = _settings_seconds(c, "rawWindowMax", "6h")
    where = {k: ("settings", k) if k in s else ("settings",) if "settings" in c.data else ()
             for k in ("evaluationInterval", "baseWindow", "rawWindowMax")}
    if not 10 <= interval <= 300:
        c.warn(where["evaluationInterval"],
               f"evaluation interval {format_duration(interval)} is outside 10s..5m: shorter "
               "multiplies the rules' cost, longer delays every alert by up to that much")
    if base < interval:
        given = "baseWindow" if "baseWindow" in s or "evaluationInterval" not in s else \
            "evaluationInterval"
        c.add(where[given], f"base window {format_duration(base)} is shorter than the "
              f"evaluation interval {format_duration(interval)}: samples between evaluations "
              "would never be counted; make baseWindow at least the evaluation interval")
    if base > raw_max:
        c.add(where["baseWindow"], f"base window {format_duration(base)} is longer than "
              f"rawWindowMax {format_duration(raw_max)}: long windows are derived from the "
              "base series, so it must be the shortest window")
    elif base > 3600:
        c.warn(where["baseWindow"], f"base window {format_duration(base)} is longer than 1h: "
               "every SLI is then averaged over it, and short alert windows cannot be shorter; "
               "use 5m (the default) unless scrapes are rarer than a minute")
    fmt = s.get("ruleFormat", "files")
    if s.get("writePromtoolTests") is True and fmt == "prometheusRule":
        c.add(("settings", "writePromtoolTests"), "the written promtool tests read the plain "
              "rule files, and ruleFormat prometheusRule writes none: set ruleFormat to both, or "
              "drop writePromtoolTests (sre-gen test proves the PrometheusRule's groups either "
              "way)")
    if fmt in ("prometheusRule", "both") and not s.get("prometheusRuleLabels"):
        c.warn(("settings", "ruleFormat"), "the PrometheusRule object gets no labels: "
               "kube-prometheus-stack's default ruleSelector only picks objects labelled "
               "release: <its Helm release>; set settings.prometheusRuleLabels (e.g. "
               "{release: kube-prometheus-stack}) unless your Prometheus selects every "
               "PrometheusRule")
    if s.get("partialResponseStrategy") and fmt == "files":
        c.warn(("settings", "partialResponseStrategy"), "partialResponseStrategy has no effect: "
               "it is written only on the PrometheusRule object's groups (promtool, Prometheus "
               "and vmalert reject the field in plain rule files), and ruleFormat is files; set "
               "ruleFormat: prometheusRule (or both) for Thanos Ruler via prometheus-operator")
    if s.get("prometheusRuleLabels") and fmt == "files":
        c.warn(("settings", "prometheusRuleLabels"), "prometheusRuleLabels has no effect: "
               "ruleFormat is files (the default), so no PrometheusRule object is written; set "
               "ruleFormat: prometheusRule (or both) for prometheus-operator")


def _settings_seconds(c: _Checker, key: str, default: str) -> int:
    try:
        return parse_duration((c.data.get("settings") or {}).get(key, default))
    except (DurationError, AttributeError):
        return parse_duration(default)


def _check_tiers(c: _Checker) -> list[dict]:
    policy = c.data.get("errorBudgetPolicy") or {}
    if not isinstance(policy, dict):
        return []
    entries = c.items(("errorBudgetPolicy", "tiers"))
    c.unique(entries, "name", "tier")
    interval = _settings_seconds(c, "evaluationInterval", "1m")
    for path, tier in entries:
        with c.guard():
            long_w = c.duration(path + ("longWindow",), tier.get("longWindow"))
            short_w = (
                c.duration(path + ("shortWindow",), tier["shortWindow"])
                if "shortWindow" in tier
                else (burnrate.default_short_window(long_w) if long_w else None)
            )
            with c.guard():
                if burnrate.tidy(to_decimal(tier["burnRate"])) == 0:
                    c.add(path + ("burnRate",), "a burn rate of 0 after rounding to 6 decimals: "
                          "a burn rate must be at least 0.000001, and below 1 it cannot warn "
                          "of exhaustion")
            if "for" in tier:
                hold = c.duration(path + ("for",), tier["for"])
                if hold and long_w and hold > long_w:
                    c.warn(path + ("for",), f"for {tier['for']} is longer than the long window "
                           f"{tier['longWindow']}: the tier fires only when the burn lasts that "
                           "long, after the long window already forgot how it began; use a "
                           "for shorter than the long window (or none)")
            if long_w and short_w and short_w >= long_w:
                c.add(path + ("shortWindow",),
                      f"short window must be shorter than the long window ({tier['longWindow']})")
            if short_w and short_w < interval:
                given = "shortWindow" in tier
                what = "short window" if given else "default short window (longWindow / 12)"
                c.add(path + ("shortWindow",) if given else path + ("longWindow",),
                      f"{what} {format_duration(short_w)} is shorter than the evaluation "
                      f"interval {format_duration(interval)}"
                      + ("" if given else "; set shortWindow"))
    if entries:
        return [t for _, t in entries]
    return values.tier_specs(policy if isinstance(policy.get("tiers"), list) else None)


def _check_slos(c: _Checker, tiers: list[dict]) -> None:
    entries = c.items(("slos",))
    c.unique(entries, "name", "SLO")
    tier_names = [t.get("name") for t in tiers if isinstance(t, dict)]
    base = _settings_seconds(c, "baseWindow", "5m")
    runbooks = _names(c, ("runbooks",), "name")
    for path, slo in entries:
        with c.guard():
            window = c.duration(path + ("window",), slo.get("window", values.DEFAULT_SLO_WINDOW))
            if window is not None and window < MIN_SLO_WINDOW:
                c.add(path + ("window",), f"an SLO window of {slo['window']} is too short to "
                      "measure: use at least 1h (SLO windows are usually 7d, 28d or 30d)")
                window = None
            objective = to_decimal(slo["objective"]) if "objective" in slo else None
            if objective is not None and 0 < objective < 1:
                c.add(path + ("objective",), f"objective is a percentage: did you mean "
                      f"{num(objective * 100)}?")
                objective = None
            if isinstance(slo.get("runbook"), str) and slo["runbook"] not in runbooks:
                c.add(path + ("runbook",), _missing("runbook", slo["runbook"], runbooks))
            alerting = slo.get("alerting") or {}
            chosen = alerting.get("tiers", tier_names)
            for i, name in enumerate(chosen if "tiers" in alerting else ()):
                if isinstance(name, str) and name not in tier_names:
                    c.add(path + ("alerting", "tiers", i), _missing("tier", name, tier_names))
            if window and objective is not None and 0 < objective < 100:
                budget = (100 - objective) / 100
                used = [t for t in tiers if t.get("name") in chosen]
                if _check_tier_windows(c, path, slo, used, window, "tiers" in alerting):
                    for tier in used:
                        _check_reachable(c, path, slo, tier, window, budget, "tiers" in alerting)
        with c.guard():
            _check_sli(c, path + ("sli",), slo.get("sli"), base)
        with c.guard():
            _check_grouping(c, path, slo)


def _check_tier_windows(c, path, slo, tiers, window, explicit) -> bool:
    """Every tier's long window must be shorter than the SLO window; one error names them all
    and says what to write. Returns whether the windows are fine."""
    with c.guard():
        too_long, fitting = [], []
        for tier in tiers:
            long_w = parse_duration(tier["longWindow"])
            (too_long if long_w > window else fitting).append(tier)
        if not too_long:
            return True
        shown = slo.get("window", values.DEFAULT_SLO_WINDOW)
        names = ", ".join(f"{t['name']!r} ({t['longWindow']})" for t in too_long)
        keep = "[" + ", ".join(str(t["name"]) for t in fitting) + "]"
        where = path + ("alerting", "tiers") if explicit else (
            path + ("window",) if "window" in slo else path + ("objective",))
        c.add(where, f"tier{'s' if len(too_long) > 1 else ''} {names} must have a long window "
              f"no longer than the SLO window ({shown}): keep the others with "
              f"`alerting: {{tiers: {keep}}}` on this SLO, or define tiers with shorter long "
              "windows in errorBudgetPolicy.tiers")
        return False
    return True


def _check_reachable(c, path, slo, tier, window, budget, explicit) -> None:
    with c.guard():
        rate, long_w, _ = values.resolve_tier(tier, window)
        if rate > MAX_NUMBER:
            return  # reported as out of range
        where = path + ("alerting", "tiers") if explicit else path + ("objective",)
        if rate == 0 and "burnRate" not in tier:  # a given burnRate is reported at the tier
            c.add(where if explicit else (path + ("window",) if "window" in slo else path),
                  f"tier {tier['name']!r} has a burn rate of 0 (burn rates are rounded to 6 "
                  "decimals): a burn rate must be at least 0.000001, and below 1 it cannot "
                  "warn of exhaustion")
        if rate == 0:
            return
        if rate < 1:
            spot = where if explicit else (path + ("window",) if "window" in slo else path)
            share = (Decimal(long_w) * 100 / Decimal(window)).quantize(Decimal("0.01"),
                                                                       rounding=ROUND_CEILING)
            c.warn(spot, f"tier {tier['name']!r} burns at {num(rate)}x on the "
                         f"{slo.get('window', values.DEFAULT_SLO_WINDOW)} window: below 1x it "
                         "fires on error rates that would not use up the budget within the "
                         "window (it pages while the SLO is met); drop it with alerting.tiers, "
                         "or give it a burnRate of at least 1 (or a budgetPercent of at least "
                         f"{num(share)})")
        if not burnrate.reachable(rate, budget):
            best = burnrate.max_reachable_burn_rate(budget)
            c.add(where, f"tier {tier['name']!r} can never fire for objective "
                         f"{num(to_decimal(slo['objective']))}%: burn rate {num(rate)} x error "
                         f"budget {num(budget)} = {num(rate * budget)} is not below 1 (the highest "
                         f"reachable burn rate is below {num(best)}); choose tiers with "
                         f"alerting.tiers or lower the burn rate")


# Grouping labels sre-gen may not use: its own (on SLI series and alerts) and the team label.
# job and instance are reserved for metadata labels only (they would clash with scrape labels),
# so grouping by them is allowed.
GROUPING_RESERVED = (conventions.RESERVED_LABELS - {"job", "instance"}) | {conventions.LABEL_TEAM}


def _check_grouping(c: _Checker, path: tuple, slo: dict) -> None:
    """``grouping``: label names of the source series, not sre-gen's own labels nor a metadata
    label (both would collide on the alerts), and only for SLIs sre-gen aggregates itself: a raw
    PromQL query decides its own output labels, so wrapping it in ``sum by`` could not restore
    a label it aggregated away (and one it keeps would page without the label)."""
    grouping = slo.get("grouping")
    if not isinstance(grouping, list):
        return
    metadata = set()
    for labels in ((c.data.get("service") or {}).get("labels"), slo.get("labels")):
        if isinstance(labels, dict):
            metadata.update(labels)
    for i, label in enumerate(grouping):
        if not isinstance(label, str):
            continue
        if label.startswith("__"):
            c.add(path + ("grouping", i), "label names starting with __ are reserved")
        elif label in GROUPING_RESERVED:
            c.add(path + ("grouping", i), f"label {label!r} is set by sre-gen itself; group by "
                  "a label of the SLI's source series")
        elif label in metadata:
            c.add(path + ("grouping", i), f"label {label!r} is also a metadata label of this "
                  "SLO or service: the alerts could not carry both; rename the metadata label")
    sli = slo.get("sli") if isinstance(slo.get("sli"), dict) else {}
    ratio = sli.get("ratio") if isinstance(sli.get("ratio"), dict) else {}
    raw = [key for key, src in ratio.items() if isinstance(src, dict) and "query" in src]
    if isinstance(sli.get("gauge"), dict) and "query" in sli["gauge"]:
        raw.append("the gauge")
    if raw:
        c.add(path + ("grouping",), "grouping needs an SLI sre-gen aggregates itself: give "
              f"{' and '.join(raw)} as metric + selector instead of a raw query (a query's "
              "own aggregation decides which labels it keeps, so sre-gen cannot group it)")


def _check_sli(c: _Checker, path: tuple, sli: dict | None, base: int) -> None:
    if not isinstance(sli, dict):
        return
    ratio = sli.get("ratio")
    if isinstance(ratio, dict):
        for key in ("errors", "good", "total"):
            src = ratio.get(key)
            if isinstance(src, dict) and isinstance(src.get("query"), str):
                q = src["query"]
                if not promql.has_window_placeholder(q):
                    c.add(path + ("ratio", key, "query"),
                          "query must contain {{window}} where the range goes, e.g. "
                          "sum(rate(x_total[{{window}}]))")
                else:
                    c.query(path + ("ratio", key, "query"), q, base)
        ev = ratio.get("errors") or ratio.get("good")
        if isinstance(ev, dict) and ev == ratio.get("total"):
            c.add(path + ("ratio",), "the event and total sources are identical")
    gauge = sli.get("gauge")
    if isinstance(gauge, dict) and isinstance(gauge.get("query"), str):
        c.query(path + ("gauge", "query"), gauge["query"])
    lat = sli.get("latency")
    if isinstance(lat, dict):
        with c.guard():
            if values.latency_seconds(lat["threshold"]) <= 0:
                c.add(path + ("latency", "threshold"), "latency threshold must be positive")
        with c.guard():
            if "le" in (lat.get("selector") or {}):
                c.add(path + ("latency", "selector", "le"), "do not select le: sre-gen matches the "
                      "threshold's bucket itself", key=True)


def _check_golden(c: _Checker) -> None:
    gs = c.data.get("goldenSignals") or {}
    if not isinstance(gs, dict):
        return
    runbooks = _names(c, ("runbooks",), "name")
    for signal in ("latency", "traffic", "errors", "saturation"):
        entries = c.items(("goldenSignals", signal))
        c.unique(entries, "name", f"{signal} indicator")
        for path, ind in entries:
            with c.guard():
                c.query(path + ("query",), ind.get("query"))
                if "for" in ind:
                    c.duration(path + ("for",), ind["for"])
                _check_runbook(c, path, ind, runbooks)
                w, cr = ind.get("warning"), ind.get("critical")
                if isinstance(w, (int, float)) and isinstance(cr, (int, float)) and w >= cr:
                    c.add(path + ("critical",), f"critical ({cr}) must be above warning ({w})")
                lo, hi = ind.get("low"), ind.get("high")
                if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo >= hi:
                    c.add(path + ("high",), f"high ({hi}) must be above low ({lo})")


def _check_custom(c: _Checker) -> None:
    entries = c.items(("alerts",))
    c.unique(entries, "alert", "alert")
    runbooks = _names(c, ("runbooks",), "name")
    for path, alert in entries:
        with c.guard():
            c.query(path + ("expr",), alert.get("expr"))
            if "for" in alert:
                c.duration(path + ("for",), alert["for"])
            _check_runbook(c, path, alert, runbooks)
            if "runbook" in alert and "runbookUrl" in alert:
                c.add(path + ("runbookUrl",), "give runbook or runbookUrl, not both", key=True)
            _check_templates(c, path, alert)
            for key in ("labels", "annotations"):
                for reserved in ("alertname", "severity", "summary", "description", "runbook_url"):
                    if reserved in (alert.get(key) or {}):
                        c.add(path + (key, reserved),
                              f"{reserved!r} is set by sre-gen; use the alert's own field",
                              key=True)
        for tpath, case in c.items(path + ("tests",)):
            with c.guard():
                c.duration(tpath + ("evalTime",), case.get("evalTime"))
                if "interval" in case:
                    c.duration(tpath + ("interval",), case["interval"])
                for spath, series in c.items(tpath + ("inputSeries",)):
                    with c.guard():
                        promql.parse(series["series"])
                        continue
                    c.add(spath + ("series",), "expected a series such as metric{label=\"v\"}")


def _check_templates(c: _Checker, path: tuple, alert: dict) -> None:
    """A custom alert's summary, description and annotations are Prometheus templates (labels
    are not: sre-gen escapes them); promtool rejects the rule file when one does not parse."""
    from sre_gen.spec import gotemplate

    texts = [((key,), alert.get(key)) for key in ("summary", "description")]
    annotations = alert.get("annotations")
    if isinstance(annotations, dict):
        texts += [(("annotations", key), value) for key, value in annotations.items()]
    for sub, text in texts:
        if isinstance(text, str) and "{{" in text:
            problem = gotemplate.check(text)
            if problem:
                c.add(path + sub, f"invalid Prometheus template: {problem}")


def _check_security(c: _Checker) -> None:
    entries = c.items(("security",))
    c.unique(entries, "name", "security rule")
    runbooks = _names(c, ("runbooks",), "name")
    for path, rule in entries:
        with c.guard():
            c.duration(path + ("per",), rule.get("per"))
            _check_runbook(c, path, rule, runbooks)
            counter = rule.get("counter") or {}
            if isinstance(counter.get("query"), str):
                if not promql.has_window_placeholder(counter["query"]):
                    c.add(path + ("counter", "query"), "query must contain {{window}} where the "
                          "range goes, e.g. sum(increase(x_total[{{window}}]))")
                else:
                    c.query(path + ("counter", "query"), counter["query"], 300)


def _check_dr(c: _Checker) -> None:
    dr = c.data.get("disasterRecovery") or {}
    if not isinstance(dr, dict):
        return
    for name, text in (dr.get("rto") or {}).items() if isinstance(dr.get("rto"), dict) else ():
        c.duration(("disasterRecovery", "rto", name), text)
    entries = c.items(("disasterRecovery", "backups"))
    c.unique(entries, "data", "data kind")
    runbooks = _names(c, ("runbooks",), "name")
    for path, backup in entries:
        with c.guard():
            c.duration(path + ("rpo",), backup.get("rpo"))
            c.query(path + ("lastSuccess", "query"), (backup.get("lastSuccess") or {}).get("query"))
            _check_runbook(c, path, backup, runbooks)


POSTMORTEM_STEPS = (("initialReport", "24h", "the initial report"),
                    ("detailedAnalysis", "1w", "the detailed analysis"),
                    ("actionItems", "2w", "the action items"),
                    ("followUpReview", "30d", "the follow-up review"))


def _check_postmortem(c: _Checker) -> None:
    """Each review step is due no earlier than the one before (defaults where left out)."""
    pm = c.data.get("postmortem")
    deadlines = pm.get("deadlines") if isinstance(pm, dict) else None
    if not isinstance(deadlines, dict):
        return
    before = None  # (key, text, seconds, what) of the previous step
    for key, default, what in POSTMORTEM_STEPS:
        given = key in deadlines
        text = deadlines.get(key, default)
        seconds = c.duration(("postmortem", "deadlines", key), text) if given else \
            parse_spec_duration(default)
        if seconds is None:
            return  # the schema or the duration check reports it
        if before is not None and seconds < before[2] and (given or before[0] in deadlines):
            at = key if given else before[0]
            c.add(("postmortem", "deadlines", at),
                  f"{what} ({key}: {text}{'' if given else ', the default'}) would be due "
                  f"before {before[3]} ({before[0]}: {before[1]}"
                  f"{'' if before[0] in deadlines else ', the default'}): each step builds on "
                  "the one before; make the deadlines non-decreasing")
        before = (key, text, seconds, what)


def _check_capacity(c: _Checker) -> None:
    cap = c.data.get("capacity")
    if not isinstance(cap, dict):
        return
    with c.guard():
        for key in ("lookback", "alertHorizon"):
            if key in cap:
                c.duration(("capacity", key), cap[key])
        for name, text in (cap.get("horizons") or {}).items():
            c.duration(("capacity", "horizons", name), text)
    entries = c.items(("capacity", "resources"))
    c.unique(entries, "name", "resource")
    growth = cap.get("growth") if isinstance(cap.get("growth"), dict) else {}
    runbooks = _names(c, ("runbooks",), "name")
    for path, res in entries:
        with c.guard():
            c.query(path + ("usage",), res.get("usage"))
            c.query(path + ("limit",), res.get("limit"))
            if isinstance(res.get("driver"), str) and res["driver"] not in growth:
                c.add(path + ("driver",), _missing("growth driver", res["driver"], list(growth)))
            _check_runbook(c, path, res, runbooks)


def _check_autoscaling(c: _Checker) -> None:
    a = c.data.get("autoscaling")
    if not isinstance(a, dict):
        return
    with c.guard():
        if a["minReplicas"] > a["maxReplicas"]:
            c.add(("autoscaling", "maxReplicas"),
                  f"maxReplicas ({a['maxReplicas']}) must be at least minReplicas "
                  f"({a['minReplicas']})")
    c.unique(c.items(("autoscaling", "podMetrics")), "name", "pod metric")
    for direction in ("scaleUp", "scaleDown"):
        base = ("autoscaling", "behavior", direction)
        with c.guard():
            rules = a["behavior"][direction]
            if "stabilizationWindow" in rules:
                s = c.duration(base + ("stabilizationWindow",), rules["stabilizationWindow"])
                if s is not None and s > MAX_STABILIZATION:
                    c.add(base + ("stabilizationWindow",),
                          f"stabilization window is at most 1h (3600s) in Kubernetes, got {s}s")
        for ppath, pol in c.items(base + ("policies",)):
            with c.guard():
                p = c.duration(ppath + ("period",), pol.get("period"))
                if p is not None and p > MAX_POLICY_PERIOD:
                    c.add(ppath + ("period",),
                          f"policy period is at most 30m (1800s) in Kubernetes, got {p}s")
    with c.guard():
        for key in ("atMaxFor", "unableToScaleFor"):
            if key in (a.get("alerts") or {}):
                c.duration(("autoscaling", "alerts", key), a["alerts"][key])
    if a.get("metricsProvider") == "keda" and not a.get("podMetrics"):
        c.add(("autoscaling", "metricsProvider"), "keda needs at least one podMetrics entry")


_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
                ("day of week", 0, 6))
_CRON_SHAPE = r"(@[a-z]+|[0-9*,/-]+( [0-9*,/-]+){4})"
_CRON_ITEM = re.compile(r"^(\*|([0-9]+)(-([0-9]+))?)(/([1-9][0-9]*))?$")
WEEK = 7 * 86400


def cron_error(text: str) -> str | None:
    """Why a five-field cron expression (robfig/cron's standard parser, Chaos Mesh's) is
    invalid, or None. Descriptors such as @weekly are valid."""
    if text.startswith("@"):
        return None
    for part, (what, lo, hi) in zip(text.split(" "), _CRON_FIELDS):
        for item in part.split(","):
            m = _CRON_ITEM.match(item)
            if not m:
                return f"{what} field {part!r}: expected *, a number, a range a-b, with /step"
            for g in (m.group(2), m.group(4)):
                if g is not None and not lo <= int(g) <= hi:
                    return f"{what} {int(g)} is outside {lo}-{hi}"
            if m.group(4) is not None and int(m.group(4)) < int(m.group(2)):
                return f"{what} range {m.group(1)} runs backwards"
    return None


def _check_chaos(c: _Checker) -> None:
    chaos = c.data.get("chaos")
    if not isinstance(chaos, dict):
        return
    with c.guard():
        problem = cron_error(chaos["schedule"]) if re.fullmatch(
            _CRON_SHAPE, chaos["schedule"]) else None  # else the schema check reports it
        if problem:
            c.add(("chaos", "schedule"), f"invalid cron schedule: {problem}")
    entries = c.items(("chaos", "experiments"))
    c.unique(entries, "name", "experiment")
    slos = {item["name"]: item for _, item in c.items(("slos",)) if isinstance(item.get("name"), str)}
    cooldown = c.duration(("chaos", "cooldown"), chaos.get("cooldown")) \
        if "cooldown" in chaos else None
    total = 0
    for path, exp in entries:
        with c.guard():
            total += c.duration(path + ("duration",), exp.get("duration")) or 0
        affects = c.items(path + ("affects",))
        c.unique(affects, "slo", "affected SLO")
        for apath, a in affects:
            name = a.get("slo")
            if isinstance(name, str) and name not in slos:
                c.add(apath + ("slo",), _missing("SLO", name, list(slos)))
        with c.guard():
            fault = exp["fault"]
            if "connectionLoss" in fault and ":" in str(fault["connectionLoss"].get("host", "")):
                c.add(path + ("fault", "connectionLoss", "host"),
                      "give the port in the port field, not in the host")
    if cooldown is not None and len(entries) > 1:
        longest = _longest_affected_window(c, entries, slos)
        if longest and cooldown < longest:
            c.warn(("chaos", "cooldown"),
                   f"cooldown {chaos['cooldown']} is shorter than the longest burn-rate window of "
                   f"the affected SLOs ({compound_duration(longest)}): an experiment starts while "
                   "the previous one still weighs on that window, so more alerts may fire than "
                   "its runbook expects")
        total += cooldown * max(0, len(entries) - 1)
        if total > WEEK:
            c.warn(("chaos", "cooldown"),
                   f"a scheduled run lasts {compound_duration(total)}, longer than a week: with "
                   "concurrencyPolicy Forbid the next weekly run is skipped")


def _longest_affected_window(c: _Checker, entries, slos: dict) -> int:
    """Longest long window (seconds) of the burn-rate tiers of the SLOs the experiments affect
    (as the model resolves them; a tier the tier checks reject is left to them)."""
    affected = {a["slo"] for path, _ in entries for _, a in c.items(path + ("affects",))
                if isinstance(a.get("slo"), str) and a["slo"] in slos}
    longest = 0
    for tier in values.tier_specs(c.data.get("errorBudgetPolicy")):
        for name in affected:
            with c.guard():
                chosen = (slos[name].get("alerting") or {}).get("tiers")
                if chosen is not None and tier["name"] not in chosen:
                    continue
                window = parse_spec_duration(slos[name].get("window", values.DEFAULT_SLO_WINDOW))
                longest = max(longest, values.resolve_tier(tier, window)[1])
    return longest


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST_CHARS = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:\[\]%\u0080-\U0010ffff]*$")


def url_error(url: str) -> str | None:
    """Why Go's net/url (Alertmanager's config loader) would reject ``url``, or None."""
    rest = url.split("://", 1)[1] if "://" in url else url
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host = authority.rsplit("@", 1)[-1]
    outside_query = re.sub(r"\?[^#]*", "", rest, count=1)
    if _BAD_ESCAPE.search(outside_query):
        return "invalid URL escape (a % must be followed by two hex digits)"
    if host.startswith("["):
        if "]" not in host:
            return "missing ']' in the host"
        port = host.split("]", 1)[1]
    elif ":" in host:
        port = ":" + host.rsplit(":", 1)[1]
    else:
        port = ""
    if port and not re.fullmatch(r":[0-9]*", port):
        return f"invalid port {port!r} after the host"
    if not _HOST_CHARS.match(host):
        return "invalid character in the host name"
    return None


def _check_routing(c: _Checker) -> None:
    receivers = _names(c, ("oncall", "receivers"), "name")
    c.unique(c.items(("oncall", "receivers")), "name", "receiver")
    for path, receiver in c.items(("oncall", "receivers")):
        hook = receiver.get("webhook")
        if isinstance(hook, dict) and isinstance(hook.get("url"), str) and \
                not _CONTROL.search(hook["url"]):
            problem = url_error(hook["url"])
            if problem:
                c.add(path + ("webhook", "url"), f"Alertmanager cannot parse this URL: {problem}")
        kinds = [k for k in ("pagerduty", "slack", "webhook", "email") if k in receiver]
        if len(kinds) > 1:
            c.add(path + (kinds[1],), f"a receiver has at most one integration, got "
                  f"{', '.join(kinds)}: define one receiver per integration", key=True)
    oncall = c.data.get("oncall")
    default = oncall.get("defaultReceiver") if isinstance(oncall, dict) else None
    if isinstance(default, str) and default not in receivers:
        c.add(("oncall", "defaultReceiver"), _missing("receiver", default, receivers))
    classes = c.items(("incidentClasses",))
    c.unique(classes, "name", "incident class")
    owner: dict[str, tuple] = {}
    for path, cls in classes:
        with c.guard():
            response = c.duration(path + ("responseTime",), cls.get("responseTime"))
            escalation = c.duration(path + ("escalationTime",), cls.get("escalationTime"))
            if response and escalation and escalation < response:
                c.warn(path + ("escalationTime",), f"escalation time {cls['escalationTime']} is "
                       f"shorter than the response time {cls['responseTime']}: an alert is "
                       "escalated before anyone was due to respond; make it at least the "
                       "response time")
            if isinstance(cls.get("receiver"), str) and cls["receiver"] not in receivers:
                c.add(path + ("receiver",), _missing("receiver", cls["receiver"], receivers))
            for i, sev in enumerate(cls.get("severities") or ()):
                if not isinstance(sev, str):
                    continue  # the schema reports it
                if sev in owner:
                    line = c.doc.where(owner[sev])[0]
                    c.add(path + ("severities", i),
                          f"severity {sev!r} is already in another incident class (line {line})")
                else:
                    owner[sev] = path + ("severities", i)
    if classes:
        for spath, sev in _severities(c):
            if sev not in owner:
                covered = ", ".join(map(_shown, sorted(owner))) or "none"
                c.add(spath, f"severity {sev!r} is in no incident class (classes cover: {covered})")
    c.unique(c.items(("runbooks",)), "name", "runbook")


def _severities(c: _Checker) -> list[tuple[tuple, str]]:
    out = []
    for path, tier in c.items(("errorBudgetPolicy", "tiers")):
        out.append((path + ("severity",), tier.get("severity")))
    policy = c.data.get("errorBudgetPolicy")
    alerts = policy.get("alerts") if isinstance(policy, dict) else None
    if isinstance(alerts, dict):
        for key in ("budgetExhausted", "sliAbsent", "sliUnknown"):
            sub = alerts.get(key)
            if isinstance(sub, dict) and "severity" in sub:
                out.append((("errorBudgetPolicy", "alerts", key, "severity"), sub["severity"]))
    gs = c.data.get("goldenSignals")
    if isinstance(gs, dict) and isinstance(gs.get("severities"), dict):
        for key, sev in gs["severities"].items():
            out.append((("goldenSignals", "severities", key), sev))
    for section in (("alerts",), ("security",), ("disasterRecovery", "backups"),
                    ("capacity", "resources")):
        for path, item in c.items(section):
            if "severity" in item:
                out.append((path + ("severity",), item["severity"]))
    regions = c.data.get("regions")
    failover = regions.get("failover") if isinstance(regions, dict) else None
    for key in ("regionUnavailable", "errorRateSpike", "healthCheckFailing"):
        trig = failover.get(key) if isinstance(failover, dict) else None
        if isinstance(trig, dict) and "severity" in trig:
            out.append((("regions", "failover", key, "severity"), trig["severity"]))
    return [(p, s) for p, s in out if isinstance(s, str)]


def _check_labels(c: _Checker) -> None:
    """Label values may hold any text (it is escaped; control characters are rejected for every
    text by _check_scalars); names starting with __ and sre-gen's own are reserved."""
    metadata = [("service", "labels")] + [p + ("labels",) for p, _ in c.items(("slos",))]
    maps = metadata + [("settings", "prometheusRuleLabels")]
    maps += [p + ("labels",) for p, _ in c.items(("alerts",))]
    for path in maps:
        node = c.data
        with c.guard():
            for part in path:
                node = node[part]
            for key in node:
                if key.startswith("__"):
                    c.add(path + (key,), "label names starting with __ are reserved", key=True)
                elif path in metadata and key in conventions.RESERVED_LABELS:
                    c.add(path + (key,), f"label {key!r} is set by sre-gen itself; choose "
                                         "another name for this metadata label", key=True)
                elif path in metadata and isinstance(node[key], str) and (
                        "{{" in node[key] or "}}" in node[key]):
                    c.add(path + (key,), "a metadata label value may not contain '{{' or '}}': "
                          f"it is a label of the recording rule {conventions.SLO_INFO}, which "
                          "Prometheus keeps as written and vmalert expands as a Go template, "
                          "so the text could not mean the same in both")


def _check_alert_names(c: _Checker) -> None:
    """A custom alert must not take a name sre-gen generates; every alert's runbook file name
    (the kebab-case alert name) must fit a file system's 255 bytes."""
    with c.guard():
        _check_file_names(c)
    with c.guard():
        service = c.data["service"]["name"]
        prefix = conventions.alert_prefix(service, (c.data.get("settings") or {}).get(
            "alertPrefix", ""))
        generated = set()
        for _, slo in c.items(("slos",)):
            generated.add(conventions.slo_alert_burn(prefix, slo.get("name", ""), (
                slo.get("alerting") or {}).get("name")))
            for fn in (conventions.slo_alert_exhausted, conventions.slo_alert_absent,
                       conventions.slo_alert_unknown):
                generated.add(fn(prefix, slo.get("name", "")))
        if isinstance(c.data.get("regions"), dict):
            generated.update(conventions.region_alert(prefix, trigger)
                             for trigger in conventions.REGION_ALERT_SUFFIX)
        for path, alert in c.items(("alerts",)):
            if alert.get("alert") in generated:
                c.add(path + ("alert",), f"{alert['alert']!r} is the name of a generated alert")


def _check_file_names(c: _Checker) -> None:
    settings = c.data.get("settings") if isinstance(c.data.get("settings"), dict) else {}
    service = c.data["service"]["name"]
    prefix = conventions.alert_prefix(service, settings.get("alertPrefix", ""))
    cause = ("settings", "alertPrefix") if "alertPrefix" in settings else ("service", "name")
    named: list[tuple[tuple, str]] = []  # (the name's own field, alert name)
    for path, slo in c.items(("slos",)):
        for fn in (conventions.slo_alert_burn, conventions.slo_alert_exhausted):
            named.append((path + ("name",), fn(prefix, str(slo.get("name", "")))))
        own = (slo.get("alerting") or {}).get("name")
        if isinstance(own, str):
            named.append((path + ("alerting", "name"), own))
    gs = c.data.get("goldenSignals")
    for signal in ("latency", "traffic", "errors", "saturation"):
        for path, ind in c.items(("goldenSignals", signal)) if isinstance(gs, dict) else ():
            named.append((path + ("name",), conventions.golden_alert(
                prefix, signal, str(ind.get("name", "")), "low")))
    for path, rule in c.items(("security",)):
        named.append((path + ("name",), conventions.security_alert(prefix, str(rule.get("name")))))
    for path, backup in c.items(("disasterRecovery", "backups")):
        named.append((path + ("data",), conventions.backup_alert(prefix, str(backup.get("data")))))
    for path, res in c.items(("capacity", "resources")):
        named.append((path + ("name",), conventions.capacity_alert(prefix, str(res.get("name")))))
    named.append((cause, conventions.hpa_unable_alert(prefix)))
    if isinstance(c.data.get("regions"), dict):
        named.append((cause, conventions.region_alert(prefix, "healthCheckFailing")))
    for path, alert in c.items(("alerts",)):
        if isinstance(alert.get("alert"), str):
            named.append((path + ("alert",), alert["alert"]))
    for path, name in named:
        size = len(conventions.runbook_file(name).encode("utf-8"))
        if size > MAX_FILE_NAME:
            # Generated names are the prefix plus a name of at most 63 characters: the prefix is
            # what is too long. A custom alert names itself.
            where = path if path[0] == "alerts" or "alerting" in path else cause
            c.add(where, f"the alert name {name[:40]}... makes the runbook file name {size} bytes "
                         f"long; file names are at most {MAX_FILE_NAME} bytes: shorten it")
            return  # one message: the same prefix makes every name too long


def _check_runbook(c: _Checker, path: tuple, item: dict, runbooks: list[str]) -> None:
    if isinstance(item.get("runbook"), str) and item["runbook"] not in runbooks:
        c.add(path + ("runbook",), _missing("runbook", item["runbook"], runbooks))


def _names(c: _Checker, path: tuple, key: str) -> list[str]:
    return [item[key] for _, item in c.items(path) if isinstance(item.get(key), str)]


def _shown(value: object) -> str:
    """User text in a message: as is when printable, else quoted (no raw newlines)."""
    return value if isinstance(value, str) and value.isprintable() else repr(value)


def _missing(what: str, name: object, known: list) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    listed = ", ".join(_shown(k) for k in known) or "none defined"
    return f"unknown {what} {name!r}{hint}; known: {listed}"


def _check_panel_ids(c: _Checker) -> None:
    """A warning for two SLOs (or two indicators of a signal) whose dashboard panel ids would
    take the same slot (sre_gen.panel_ids; about 1 in 10^8 for a pair): one takes the next
    probe, so its ids depend on the other's name, which they otherwise never do."""
    from sre_gen import panel_ids

    where: dict[tuple[str, ...], tuple[tuple, str]] = {}
    for path, slo in c.items(("slos",)):
        if isinstance(slo.get("name"), str):
            where[panel_ids.slo_section(slo["name"])] = (path + ("name",), f"SLO {slo['name']!r}")
    gs = c.data.get("goldenSignals")
    for signal in gs if isinstance(gs, dict) else ():
        for path, ind in c.items(("goldenSignals", signal)):
            if isinstance(ind.get("name"), str):
                where[panel_ids.indicator_section(signal, ind["name"])] = (
                    path + ("name",), f"{signal} indicator {ind['name']!r}")
    for section, holder in panel_ids.collisions(where):
        path, what = where[section]
        c.warn(path, f"the dashboard panel ids of {what} would be those of {where[holder][1]}; "
                     f"{what} takes the next ones, which change if {where[holder][1]} is renamed "
                     "or removed (viewPanel links to its panels then break): rename one of them")
