"""Checks the JSON Schema cannot express: names, durations, windows, reachability, PromQL.

Runs after the schema check, also on a spec the schema rejected: each check is guarded so a part
with the wrong shape (already reported by the schema) is skipped rather than crashing, and the user
sees every problem at once.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from sre_gen import burnrate, conventions, promql
from sre_gen.durations import (
    DURATION_PATTERN,
    DurationError,
    format_duration,
    num,
    parse_duration,
    to_decimal,
)
from sre_gen.spec import values
from sre_gen.spec.load import Document

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_DURATION_SHAPE = re.compile(DURATION_PATTERN)
MAX_STABILIZATION = 3600
MAX_POLICY_PERIOD = 1800


class _Checker:
    def __init__(self, doc: Document):
        self.doc = doc
        self.data = doc.data
        self.problems = []

    def add(self, path: tuple, message: str, key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, key=key))

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
            return parse_duration(text)
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
        """Check a PromQL string parses (after the window placeholder is filled in)."""
        if not isinstance(query, str) or not query.strip():
            return
        text = promql.render_window(query, window) if window else query
        if promql.has_window_placeholder(text):
            self.add(path, "{{window}} is only allowed in event queries (ratio SLIs, counters)")
            return
        try:
            promql.parse(text)
        except ValueError as exc:
            detail = str(exc)
            if detail == "invalid promql query":  # promql-parser's message for any grammar error
                detail = "syntax error (a missing operand, a stray token or a misplaced keyword)"
            self.add(path, f"invalid PromQL: {detail}")


def check(doc: Document) -> list:
    c = _Checker(doc)
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
    _check_capacity(c)
    _check_autoscaling(c)
    _check_routing(c)
    _check_labels(c)
    _check_alert_names(c)
    return c.problems


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
            if "for" in tier:
                c.duration(path + ("for",), tier["for"])
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
            objective = to_decimal(slo["objective"]) if "objective" in slo else None
            if isinstance(slo.get("runbook"), str) and slo["runbook"] not in runbooks:
                c.add(path + ("runbook",), _missing("runbook", slo["runbook"], runbooks))
            alerting = slo.get("alerting") or {}
            chosen = alerting.get("tiers", tier_names)
            for i, name in enumerate(chosen if "tiers" in alerting else ()):
                if isinstance(name, str) and name not in tier_names:
                    c.add(path + ("alerting", "tiers", i), _missing("tier", name, tier_names))
            if window and objective is not None and 0 < objective < 100:
                budget = (100 - objective) / 100
                for tier in tiers:
                    if tier.get("name") not in chosen:
                        continue
                    _check_reachable(c, path, slo, tier, window, budget, "tiers" in alerting)
        with c.guard():
            _check_sli(c, path + ("sli",), slo.get("sli"), base)


def _check_reachable(c, path, slo, tier, window, budget, explicit) -> None:
    with c.guard():
        rate, long_w, _ = values.resolve_tier(tier, window)
        where = path + ("alerting", "tiers") if explicit else path + ("objective",)
        if long_w > window:
            c.add(where if explicit else path + ("window",),
                  f"tier {tier['name']!r} has a long window ({tier['longWindow']}) "
                  f"longer than the SLO window ({slo.get('window', '30d')})")
        if not burnrate.reachable(rate, budget):
            best = burnrate.max_reachable_burn_rate(budget)
            c.add(where, f"tier {tier['name']!r} can never fire for objective "
                         f"{num(to_decimal(slo['objective']))}%: burn rate {num(rate)} x error "
                         f"budget {num(budget)} = {num(rate * budget)} is not below 1 (the highest "
                         f"reachable burn rate is below {num(best)}); choose tiers with "
                         f"alerting.tiers or lower the burn rate")


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


def _check_routing(c: _Checker) -> None:
    receivers = _names(c, ("oncall", "receivers"), "name")
    c.unique(c.items(("oncall", "receivers")), "name", "receiver")
    for path, receiver in c.items(("oncall", "receivers")):
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
            c.duration(path + ("responseTime",), cls.get("responseTime"))
            c.duration(path + ("escalationTime",), cls.get("escalationTime"))
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
    return [(p, s) for p, s in out if isinstance(s, str)]


def _check_labels(c: _Checker) -> None:
    """Label values may hold any text (it is escaped), but not control characters."""
    metadata = [("service", "labels")] + [p + ("labels",) for p, _ in c.items(("slos",))]
    maps = metadata + [("settings", "prometheusRuleLabels")]
    maps += [p + ("labels",) for p, _ in c.items(("alerts",))]
    for path in maps:
        node = c.data
        with c.guard():
            for part in path:
                node = node[part]
            for key, value in node.items():
                if isinstance(value, str) and _CONTROL.search(value):
                    c.add(path + (key,), "label values must not contain control characters")
                if key.startswith("__"):
                    c.add(path + (key,), "label names starting with __ are reserved", key=True)
                elif path in metadata and key in conventions.RESERVED_LABELS:
                    c.add(path + (key,), f"label {key!r} is set by sre-gen itself; choose "
                                         "another name for this metadata label", key=True)


def _check_alert_names(c: _Checker) -> None:
    """A custom alert must not take a name sre-gen generates."""
    with c.guard():
        service = c.data["service"]["name"]
        prefix = conventions.alert_prefix(service, (c.data.get("settings") or {}).get(
            "alertPrefix", ""))
        generated = set()
        for _, slo in c.items(("slos",)):
            for fn in (conventions.slo_alert_burn, conventions.slo_alert_exhausted,
                       conventions.slo_alert_absent, conventions.slo_alert_unknown):
                generated.add(fn(prefix, slo.get("name", "")))
        for path, alert in c.items(("alerts",)):
            if alert.get("alert") in generated:
                c.add(path + ("alert",), f"{alert['alert']!r} is the name of a generated alert")


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

