"""promtool tests of the non-SLO alerts: golden signals, security, backups against their RPO,
capacity forecasts, autoscaling, and the custom alerts' own ``tests:`` from the spec.

Each alert gets at least one firing and one silent case. Inputs are the raw series when the rule
reads a plain selector or counter (``metric{...}``, ``sum(rate(metric{...}[w]))``), otherwise the
section's recorded series (``service:golden_signal:value`` ...) is fed in place of the rule's
output: the rule records nothing when its raw inputs are absent. A rule whose query can return
a sample without any input (``vector(1)``, ``absent(x)``) cannot be stood in for and is listed
as untested.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.compile import promtool_feed as feed
from sre_gen.compile import promtool_gotmpl as gotmpl
from sre_gen.compile import promtool_model as pm
from sre_gen.compile.promtool_feed import show
from sre_gen.compile.rulebase import Rule
from sre_gen.durations import format_duration
from sre_gen.model import Service

WOBBLE = (Fraction(1), 1 + Fraction(1, 10 ** 9), 1 - Fraction(1, 10 ** 9))


def _f(value: Decimal | int | str) -> Fraction:
    return Fraction(Decimal(str(value)))


def _expected(rule: Rule, labels: dict, value: Fraction | None) -> dict | None:
    """Fully expanded alert, or None if the text is unstable around ``value`` or unsupported."""
    texts = set()
    got = None
    for w in (WOBBLE if value is not None else (Fraction(1),)):
        got = pm.expected_alert(rule, labels, float(value * w) if value is not None else None)
        if got is None:
            return None
        texts.add(repr(got))
    return got if len(texts) == 1 else None


def _firing(rule: Rule, labels: dict, value: Fraction | None) -> dict:
    """One exp_alerts entry, or the ALERTS-series form (as a marker dict) when the annotations
    cannot be expanded."""
    got = _expected(rule, labels, value)
    if got is not None:
        return got
    return {"alerts_series": True, "rule": rule, "labels": labels, "value": value}


def _add_checks(g: pm.Group, at: int, by_name: dict[str, list[Rule]],
                firing: dict[str, list[dict]]) -> None:
    """alert_rule_test per alert name at ``at``: ``firing[name]`` (entries from ``_firing``)."""
    for name in sorted(by_name):
        entries = firing.get(name, [])
        if any("alerts_series" in e for e in entries):
            for rule in by_name[name]:
                entry = next((e for e in entries if e.get("rule") is rule), None)
                if entry is None:
                    continue
                g.expr_tests.append(pm.alerts_series_test(
                    rule, entry["labels"], at, True,
                    None if entry["value"] is None else float(entry["value"]),
                    select=tuple(k for k in (cv.LABEL_LEVEL,) if rule.label(k))))
            continue
        g.alert_tests.append(pm.alert_test(name, at, entries))


def _group_by_name(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {}
    for r in rules:
        out.setdefault(r.alert, []).append(r)
    return out


def _file(service: Service, section: str, every: int, comments: list[str]) -> pm.PromtoolFile:
    f = pm.PromtoolFile(path=cv.promtool_section_test_file(section), evaluation_interval=every)
    f.comments = [f"promtool tests of the {section} alerts of {service.name}.",
                  "Run: sre-gen test (or: promtool test rules <this file>).", *comments]
    return f


def _stand_in_ok(query: str) -> bool:
    return not pm.outputs_without_inputs(query)


# ---- golden signals -----------------------------------------------------------------------------


def _golden_values(rules: list[Rule]) -> tuple[Fraction, list[tuple[str, Fraction]]]:
    """The value that fires nothing, then (phase name, value) per level."""
    above = sorted((_f(r.threshold), r.level) for r in rules if r.level in ("warning",
                                                                           "critical", "high"))
    below = sorted((_f(r.threshold), r.level) for r in rules if r.level == "low")
    if below and above:
        ok = (below[-1][0] + above[0][0]) / 2
    elif above:
        ok = above[0][0] / 2 if above[0][0] > 0 else above[0][0] - 1
    else:
        ok = below[-1][0] * 2 if below[-1][0] > 0 else below[-1][0] + 1
    levels = []
    for i, (t, level) in enumerate(above):
        nxt = above[i + 1][0] if i + 1 < len(above) else None
        levels.append((level, (t + nxt) / 2 if nxt is not None else (
            t * Fraction(3, 2) if t > 0 else t + 1)))
    for t, level in below:
        levels.append((level, t / 2 if t > 0 else t - 1))
    return ok, levels


def _holds(rule: Rule, value: Fraction) -> bool:
    t = _f(rule.threshold)
    return value < t if rule.level == "low" else value > t


def golden_file(service: Service, alerts: list[Rule]) -> pm.PromtoolFile | None:
    rules = [r for r in alerts if r.kind == "golden"]
    if not service.golden_signals:
        return None
    E = service.settings.evaluation_interval
    f = _file(service, "golden-signals", E, [
        f"Inputs: the recorded {cv.GOLDEN_SIGNAL_VALUE} series of each indicator, fed in place "
        "of the indicator's query (which the tests cannot synthesise inputs for): the rule "
        "records nothing without them. Each indicator steps through a value that fires nothing "
        "and one value per alert level; a level fires once its condition has held for `for`.",
    ])
    g = pm.Group(name="golden signals: every level fires after `for`, nothing fires at normal "
                      "values", interval=E)
    by_indicator: dict[str, list[Rule]] = {}
    for r in rules:
        by_indicator.setdefault(r.subject, []).append(r)
    gs_by_name = {gs.name: gs for gs in service.golden_signals}
    hold = max((r.for_seconds for r in rules), default=0)
    part = pm.ceil_to(hold + 4 * E, E)
    n_parts = 1 + max((len(_golden_values(rs)[1]) for rs in by_indicator.values()), default=0)
    end = n_parts * part
    for indicator, irules in by_indicator.items():
        gs = gs_by_name[indicator]
        if not _stand_in_ok(gs.query):
            f.untested += [f"{r.alert} ({indicator}: its query returns samples without inputs, "
                           "so the recorded series cannot be fed in its place)" for r in irules]
            continue
        ok, levels = _golden_values(irules)
        labels = {cv.LABEL_SERVICE: service.name, cv.LABEL_SIGNAL: gs.signal,
                  cv.LABEL_INDICATOR: indicator}
        schedule = [ok] + [v for _, v in levels]
        values = []
        for k in range(end // E + 1):
            values.append(schedule[min(k * E // part, len(schedule) - 1)])
        g.inputs.append((feed.series(cv.GOLDEN_SIGNAL_VALUE, labels), feed.values_string(values)))
        by_name = _group_by_name(irules)
        text = [f"{indicator}: {show(ok)} until t={format_duration(part)}"]
        for i, value in enumerate(schedule):
            start, stop = i * part, (i + 1) * part
            active = [r for r in irules if _holds(r, value)]
            before = [r for r in irules if i > 0 and _holds(r, schedule[i - 1])]
            _add_checks(g, stop - E, by_name,
                        _firing_map(active, labels, value))
            newly = [r for r in active if r not in before]
            wait = min((r.for_seconds for r in newly), default=0)
            if newly and wait >= 2 * E and i > 0:
                # not before `for`: the levels that already held keep firing, new ones wait
                at = start + pm.floor_to(wait, E) - E
                still = [r for r in active if r in before or
                         pm.ceil_to(r.for_seconds, E) <= at - start]
                _add_checks(g, at, by_name, _firing_map(still, labels, value))
            if i:
                text.append(f"then {show(value)} ({', '.join(r.level for r in active)})")
        g.comments.append(", ".join(text) + ".")
    if g.alert_tests or g.expr_tests:
        f.groups.append(g)
    checks = []
    for gs in service.golden_signals:  # also indicators without alert levels: they record too
        indicator = gs.name
        if _wirable([gs.query]):
            labels = {cv.LABEL_SERVICE: service.name, cv.LABEL_SIGNAL: gs.signal,
                      cv.LABEL_INDICATOR: indicator}
            checks.append((gs.query, feed.series(cv.GOLDEN_SIGNAL_VALUE, labels)))
    wiring = wiring_group(
        "golden signals: each indicator's query reads its inputs",
        "Every selector of the indicators' queries gets a series (counters grow, gauges hold 1, "
        "buckets are le=\"+Inf\"): each indicator records one value, so its query reads the "
        "series it should.", checks, E) if checks else None
    if wiring is not None:
        f.groups.append(wiring)
    return f


def wiring_group(name: str, comment: str, checks: list[tuple[str, str]],
                 every: int) -> pm.Group | None:
    """Feed the inputs of raw queries (every selector gets a series) and check that each
    recording rule over them records one sample: it reads the series it should. ``checks``:
    (query, recorded series selector)."""
    at = pm.ceil_to(300 + 5 * every, every)
    inputs = pm.wiring_inputs([q for q, _ in checks], 60, at // 60 + 1)
    if inputs is None:
        return None
    g = pm.Group(name=name, interval=60, comments=[comment], inputs=inputs)
    for _, recorded in checks:
        g.expr_tests.append({"expr": f"count({recorded})", "eval_time": pm.dur(at),
                             "exp_samples": [{"labels": "{}", "value": 1}]})
    return g


def _wirable(queries: list[str]) -> bool:
    return all(_stand_in_ok(q) and pm.query_selectors(q) for q in queries)


def _firing_map(rules: list[Rule], labels: dict, value: Fraction) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rules:
        out.setdefault(r.alert, []).append(_firing(r, labels, value))
    return out


# ---- security -----------------------------------------------------------------------------------


def security_file(service: Service, alerts: list[Rule]) -> pm.PromtoolFile | None:
    rules = {r.subject: r for r in alerts if r.kind == "security"}
    if not rules:
        return None
    st = service.settings
    windows = {s.name: max(s.per, st.base_window) for s in service.security}
    every = pm.nice_step(Fraction(max(windows.values()), 12), st.evaluation_interval)
    step = min(60, every)
    f = _file(service, "security", every, [
        f"Evaluated every {format_duration(every)}. Counter rules are fed the raw counter; rules "
        f"over a raw query are fed the recorded {cv.SECURITY_EVENTS} series instead.",
    ])
    for sec in service.security:
        rule = rules.get(sec.name)
        if rule is None:
            continue
        window = windows[sec.name]
        part = pm.ceil_to(window + 3 * every, every)
        end = 2 * part
        threshold = _f(sec.threshold)
        labels = {cv.LABEL_SERVICE: service.name, cv.LABEL_RULE: sec.name}
        g = pm.Group(name=f"security {sec.name}: silent below {show(threshold)} per "
                          f"{format_duration(sec.per)}, fires above", interval=step)
        if sec.counter.selector is not None:
            series_labels = feed.labels_for(sec.counter.selector)
            if series_labels is None:
                f.untested.append(f"{rule.alert} (no label set satisfies its selector)")
                continue
            # events per input sample: dyadic, so float64 adds them up exactly
            low = _dyadic(threshold / 2 * step / sec.per, up=False)
            high = _dyadic(threshold * 2 * step / sec.per, up=True)
            incs = [low if k * step <= part else high for k in range(1, end // step + 1)]
            g.inputs.append((feed.series(sec.counter.selector.metric, series_labels),
                             feed.values_string(feed.counter(Fraction(0), incs))))
            v_low, v_high = low * sec.per / step, high * sec.per / step
        else:
            if not _stand_in_ok(sec.counter.query or ""):
                f.untested.append(f"{rule.alert} (its query returns samples without inputs)")
                continue
            step = every
            g.interval = step
            v_low, v_high = threshold / 2, threshold * 2
            vals = [v_low if k * step < part else v_high for k in range(end // step + 1)]
            g.inputs.append((feed.series(cv.SECURITY_EVENTS, labels), feed.values_string(vals)))
        g.comments = [f"{show(v_low)} events per {format_duration(sec.per)} for "
                      f"{format_duration(part)}, then {show(v_high)}: the alert fires once the "
                      f"{format_duration(window)} rate window holds only the higher rate."]
        g.alert_tests.append(pm.alert_test(rule.alert, part - every, []))
        _add_checks(g, end - every, {rule.alert: [rule]},
                    {rule.alert: [_firing(rule, labels, v_high)]})
        f.groups.append(g)
        f.groups += _security_zero_groups(sec, rule, labels, part, step)
    from sre_gen import promql

    checks = [(promql.render_window(sec.counter.query, windows[sec.name]),
               feed.series(cv.SECURITY_EVENTS, {cv.LABEL_SERVICE: service.name,
                                                cv.LABEL_RULE: sec.name}))
              for sec in service.security if sec.counter.query and sec.name in rules and
              _wirable([promql.render_window(sec.counter.query, windows[sec.name])])]
    wiring = wiring_group("security: raw queries read their inputs",
                          "Every selector of the raw queries gets a series: each rule records "
                          "one value.", checks, every) if checks else None
    if wiring is not None:
        f.groups.append(wiring)
    return f


def _security_zero_groups(sec, rule: Rule, labels: dict, at: int, step: int) -> list[pm.Group]:
    """A counter without events yet reads 0 while its metric exists on the same targets, and
    no data while the metric is not scraped at all (see service_alerts.security_presence)."""
    from sre_gen.compile.service_alerts import security_presence

    sel = sec.counter.selector
    present = security_presence(sel) if sel is not None else None
    other = feed.labels_for(present, exclude=[sel]) if present is not None else None
    if other is None:
        return []
    recorded = feed.series(cv.SECURITY_EVENTS, labels)
    quiet = pm.Group(name=f"security {sec.name}: no event yet: reads 0", interval=step)
    quiet.comments = [f"Only {feed.series(sel.metric, other)} exists (the metric on the same "
                      f"targets, no series the rule's selector picks): the rule records 0, "
                      "not no data, and does not fire."]
    quiet.inputs.append((feed.series(sel.metric, other),
                         feed.values_string(feed.counter(Fraction(0),
                                                         [Fraction(1)] * (at // step)))))
    quiet.expr_tests.append(pm.exact_test(recorded, cv.SECURITY_EVENTS, labels, at, 0))
    quiet.alert_tests.append(pm.alert_test(rule.alert, at, []))
    unscraped = pm.Group(name=f"security {sec.name}: metric not scraped: no data", interval=step)
    unscraped.comments = [f"No {sel.metric} series at all: the rule records nothing, so a "
                          "missing metric is not hidden behind a 0."]
    unscraped.expr_tests.append({"expr": recorded, "eval_time": pm.dur(at), "exp_samples": []})
    return [quiet, unscraped]


def _dyadic(value: Fraction, up: bool) -> Fraction:
    scaled = value * 1024
    n = -(-scaled // 1) if up else scaled // 1
    return Fraction(max(int(n), 1 if up else 0), 1024)


# ---- disaster recovery --------------------------------------------------------------------------


def backup_file(service: Service, alerts: list[Rule]) -> pm.PromtoolFile | None:
    rules = {r.subject: r for r in alerts if r.kind == "backup"}
    if not rules:
        return None
    st = service.settings
    backups = [b for b in service.disaster_recovery.backups if b.name in rules]
    every = pm.nice_step(Fraction(max(b.rpo for b in backups), 12), st.evaluation_interval)
    hold = max(rules[b.name].for_seconds for b in backups)
    f = _file(service, "disaster-recovery", every, [
        f"Evaluated every {format_duration(every)}. A backup whose last-success query is a "
        "selector (or max/min/sum/avg of one) is fed that series, a unix timestamp; otherwise "
        f"the recorded {cv.BACKUP_AGE} series is fed in place of the rule's output.",
    ])
    fresh = pm.Group(name="backups: fresh (half the RPO old): silent", interval=every)
    stale = pm.Group(name="backups: last success at t=0, never again: each fires past its RPO",
                     interval=every)
    missing = pm.Group(name="backups: metric missing: each fires after `for`", interval=every)
    fresh_at = pm.ceil_to(hold + 2 * every, every)
    stale_end = pm.ceil_to(max(b.rpo for b in backups) + hold + 2 * every, every)
    missing_at = pm.ceil_to(hold + 2 * every, every)
    for b in backups:
        rule = rules[b.name]
        shape = pm.gauge_selector(b.last_success)  # metric{...} or max(metric{...})
        sel = shape[0] if shape else None
        ids = {cv.LABEL_SERVICE: service.name, cv.LABEL_DATA: b.name}
        raw_labels = feed.labels_for(sel) if sel is not None else None
        if sel is not None and raw_labels is not None:
            series = feed.series(sel.metric, raw_labels)
            # an aggregation drops the series' labels; a plain selector keeps them
            expr_labels = {**raw_labels, **ids} if not shape[1] else dict(ids)
            fresh_vals = [Fraction(k * every - b.rpo // 2) for k in range(fresh_at // every + 1)]
            stale_vals = [Fraction(0)] * (stale_end // every + 1)
        elif _stand_in_ok(b.last_success):
            series = feed.series(cv.BACKUP_AGE, ids)
            expr_labels = dict(ids)
            fresh_vals = [Fraction(b.rpo // 2)] * (fresh_at // every + 1)
            stale_vals = [Fraction(k * every) for k in range(stale_end // every + 1)]
        else:
            f.untested.append(f"{rule.alert} (its query returns samples without inputs)")
            continue
        fresh.inputs.append((series, feed.values_string(fresh_vals)))
        stale.inputs.append((series, feed.values_string(stale_vals)))
        fresh.alert_tests.append(pm.alert_test(rule.alert, fresh_at, []))
        over = pm.floor_to(b.rpo, every) + every  # first evaluation with age > RPO
        if over - every > 0:
            stale.alert_tests.append(pm.alert_test(rule.alert, over - every, []))
        fire_at = over + pm.ceil_to(rule.for_seconds, every) + every
        _add_checks(stale, fire_at, {rule.alert: [rule]},
                    {rule.alert: [_firing(rule, expr_labels, Fraction(fire_at))]})
        _add_checks(missing, missing_at, {rule.alert: [rule]},
                    {rule.alert: [_firing(rule, ids, Fraction(1))]})
    fresh.comments = ["Every backup completed half its RPO ago: no alert."]
    stale.comments = ["Every backup succeeded at t=0 and never again: silent while younger than "
                      "its RPO, firing once older for `for` (the value is the backup's age)."]
    missing.comments = ["No backup metric at all: the absent() branch fires (value 1)."]
    for g in (fresh, stale, missing):
        if g.alert_tests or g.expr_tests:
            f.groups.append(g)
    checks = [(b.last_success, feed.series(cv.BACKUP_AGE, {cv.LABEL_SERVICE: service.name,
                                                           cv.LABEL_DATA: b.name}))
              for b in backups if pm.gauge_selector(b.last_success) is None and
              _wirable([b.last_success])]
    wiring = wiring_group("backups: last-success queries read their inputs",
                          "Every selector of the last-success queries gets a series: each "
                          "backup records one age.", checks, every) if checks else None
    if wiring is not None:
        f.groups.append(wiring)
    return f


# ---- capacity -----------------------------------------------------------------------------------


def capacity_file(service: Service, alerts: list[Rule]) -> pm.PromtoolFile | None:
    rules = {r.subject: r for r in alerts if r.kind == "capacity"}
    cap = service.capacity
    if not rules or cap is None:
        return None
    from sre_gen.compile.service_alerts import capacity_min_samples, growth_factor

    st = service.settings
    E = st.evaluation_interval
    hold = max(r.for_seconds for r in rules.values())
    # coarse steps: the case spans most of the lookback, and each step evaluates every rule
    every = pm.nice_step(hold if hold else E, E)
    samples = capacity_min_samples(cap.lookback, E)
    covered = pm.ceil_to((samples - 1) * E, every)  # first evaluation with enough history
    fire_at = covered + pm.ceil_to(hold, every)
    young_at = pm.ceil_to(hold + 2 * every, every)
    f = _file(service, "capacity", every, [
        f"Evaluated every {format_duration(every)}. Inputs: the recorded {cv.CAPACITY_USAGE} "
        "series of each resource (usage / capacity), fed in place of the rule's output, one "
        f"sample per {format_duration(E)} (the rule's evaluation interval) from t=0. A forecast "
        f"needs {samples} samples in the {format_duration(cap.lookback)} lookback (90% of it): "
        f"first at t={format_duration(covered)}.",
    ])
    growing = pm.Group(name="capacity: usage growing fast enough to run out within the horizon: "
                            "silent while the series is young, fires once the lookback is "
                            "covered and `for` has passed", interval=E)
    quiet = pm.Group(name="capacity: usage flat at half the capacity, or growing with a gap of a "
                          "fifth of the lookback (a restart, an exporter outage): silent",
                     interval=E)
    horizon = cap.alert_horizon
    n = fire_at // E + 1
    gap = range(n - 1 - cap.lookback // E + cap.lookback // E // 10,
                n - 1 - cap.lookback // E + 3 * (cap.lookback // E) // 10)
    for i, res in enumerate(cap.resources):
        rule = rules.get(res.name)
        if rule is None:
            continue
        if not (_stand_in_ok(res.usage) or _stand_in_ok(res.limit)):
            f.untested.append(f"{rule.alert} (its queries return samples without inputs)")
            continue
        ids = {cv.LABEL_SERVICE: service.name, cv.LABEL_RESOURCE: res.name}
        series = feed.series(cv.CAPACITY_USAGE, ids)
        start = Fraction(1, 2)
        # per-sample growth: a round number giving a forecast of about 2x the capacity
        inc = _round_up(Fraction(3, 2) / horizon * E)
        vals = [start + inc * k for k in range(n)]
        growing.inputs.append((series, feed.values_string(vals)))
        # one long group for both silent cases (each step evaluates every rule): resources
        # take turns, flat first
        flat = i % 2 == 0
        quiet.inputs.append((series, feed.values_string(
            [start] * n if flat else [None if k in gap else v for k, v in enumerate(vals)])))
        quiet.comments.append(f"{res.name}: " + (
            f"flat at {show(start)}: the linear forecast stays at {show(start)}." if flat else
            "the growing usage of the first case, without samples for a fifth of the lookback: "
            "too little history to fit."))
        forecast = vals[-1] + inc / E * horizon
        growing.alert_tests.append(pm.alert_test(rule.alert, young_at, []))
        growing.alert_tests.append(pm.alert_test(rule.alert, covered - every, []))
        if hold >= every:  # the condition holds from `covered` on: pending for `for`
            growing.alert_tests.append(pm.alert_test(rule.alert, covered, []))
        _add_checks(growing, fire_at, {rule.alert: [rule]},
                    {rule.alert: [_firing(rule, ids, forecast)]})
        quiet.alert_tests.append(pm.alert_test(rule.alert, fire_at, []))
        for h in cap.horizons:
            factor = Fraction(growth_factor(res.growth_percent_per_quarter, h.seconds))
            test = pm.value_test(feed.series(cv.CAPACITY_FORECAST, {**ids, cv.LABEL_HORIZON:
                                                                   h.name}),
                                 {**ids, cv.LABEL_HORIZON: h.name}, young_at,
                                 vals[young_at // E] * factor)
            if test:
                growing.expr_tests.append(test)
        growing.comments.append(
            f"{res.name}: usage {show(start)} growing by {show(inc)} every "
            f"{format_duration(E)}: predict_linear over the lookback reaches "
            f"{show(forecast)} of capacity in {format_duration(horizon)}, but stays silent at "
            f"t={format_duration(young_at)} (on a young series a fit over minutes is noise) and "
            f"until the lookback is covered; fires {format_duration(rule.for_seconds)} later. "
            "The growth forecasts scale the current usage.")
    for g in (growing, quiet):
        if g.alert_tests or g.expr_tests:
            f.groups.append(g)
    checks = [(f"({res.usage}) / ({res.limit})",
               feed.series(cv.CAPACITY_USAGE, {cv.LABEL_SERVICE: service.name,
                                               cv.LABEL_RESOURCE: res.name}))
              for res in cap.resources if res.name in rules and _wirable([res.usage])]
    wiring = wiring_group(
        "capacity: each resource's usage and capacity queries read their inputs",
        "Every selector of the usage and capacity queries gets a series: each resource "
        "records one usage ratio.", checks, every) if checks else None
    if wiring is not None:
        f.groups.append(wiring)
    return f


def _round_up(value: Fraction) -> Fraction:
    """The smallest 1, 2 or 5 x 10^k >= value."""
    k = Fraction(1, 10 ** 12)
    while True:
        for m in (1, 2, 5):
            if m * k >= value:
                return m * k
        k *= 10


# ---- autoscaling --------------------------------------------------------------------------------


def autoscaling_file(service: Service, alerts: list[Rule]) -> pm.PromtoolFile | None:
    a = service.autoscaling
    rules = [r for r in alerts if r.kind in ("hpa-max", "hpa-unable")]
    if a is None or not rules:
        return None
    E = service.settings.evaluation_interval
    hold = max(r.for_seconds for r in rules)
    every = pm.nice_step(Fraction(hold, 12), E) if hold else E
    at = pm.ceil_to(hold + 2 * every, every)
    hpa = rules[0].subject
    ids = {"namespace": service.namespace, "horizontalpodautoscaler": hpa}
    f = _file(service, "autoscaling", every, [
        f"Evaluated every {format_duration(every)}. Inputs: the kube-state-metrics series of the "
        f"HPA {service.namespace}/{hpa}.",
    ])
    pinned = pm.Group(name="autoscaling: pinned at max replicas and wanting more", interval=every)
    healthy = pm.Group(name="autoscaling: scaled within bounds: silent", interval=every)
    n = at // every + 1
    want = a.max_replicas + 5
    for name, value in ((cv.KSM_HPA_CURRENT, a.max_replicas), (cv.KSM_HPA_DESIRED, want),
                        (cv.KSM_HPA_MAX, a.max_replicas), (cv.KSM_HPA_MIN, a.min_replicas)):
        pinned.inputs.append((feed.series(name, ids), feed.values_string([Fraction(value)] * n)))
    for name, value in ((cv.KSM_HPA_CURRENT, a.min_replicas), (cv.KSM_HPA_DESIRED, a.min_replicas),
                        (cv.KSM_HPA_MAX, a.max_replicas), (cv.KSM_HPA_MIN, a.min_replicas)):
        healthy.inputs.append((feed.series(name, ids), feed.values_string([Fraction(value)] * n)))
    pinned.comments = [f"Current replicas = max = {a.max_replicas}, desired {want}: both alerts "
                       "fire once that has lasted `for` (not before)."]
    healthy.comments = [f"Current = desired = {a.min_replicas}, max {a.max_replicas}: no alert."]
    for rule in rules:
        value = Fraction(a.max_replicas if rule.kind == "hpa-max" else want)
        _add_checks(pinned, at, {rule.alert: [rule]}, {rule.alert: [_firing(rule, ids, value)]})
        if rule.for_seconds >= 2 * every:
            pinned.alert_tests.append(pm.alert_test(rule.alert,
                                                    pm.floor_to(rule.for_seconds, every) - every,
                                                    []))
        healthy.alert_tests.append(pm.alert_test(rule.alert, at, []))
    f.groups += [pinned, healthy]
    return f


# ---- custom alerts ------------------------------------------------------------------------------


def custom_file(service: Service, alerts: list[Rule]) -> pm.PromtoolFile | None:
    rules = {r.alert: r for r in alerts if r.kind == "custom"}
    if not rules:
        return None
    E = service.settings.evaluation_interval
    f = _file(service, "custom-alerts", E, [
        "Custom alerts are raw PromQL: sre-gen cannot synthesise their inputs, so these cases "
        "are the spec's own `tests:` blocks (alerts[].tests), with the expected labels and "
        "annotations filled in from the generated rule. Where an annotation depends on the "
        "alert's value, a firing case checks the ALERTS series (all labels) instead.",
    ])
    for alert in service.custom_alerts:
        rule = rules.get(alert.name)
        if rule is None:
            continue
        if not alert.tests:
            f.untested.append(f"{alert.name} (add tests: to the spec)")
            continue
        kinds = {t.expect for t in alert.tests}
        for missing in sorted({"firing", "silent"} - kinds):
            f.untested.append(f"{alert.name} has no {missing} case (add one to its tests:)")
        for case in alert.tests:
            g = pm.Group(name=f"{alert.name}: {case.name}", interval=case.interval)
            g.inputs = [(s.series, s.values) for s in case.input_series]
            if case.expect == "silent":
                g.alert_tests.append(pm.alert_test(alert.name, case.eval_time, []))
            else:
                labels = dict(case.exp_labels)
                entry = _firing(rule, labels, None)
                if "alerts_series" in entry:
                    try:
                        g.expr_tests.append(pm.alerts_series_test(rule, labels, case.eval_time,
                                                                  True))
                    except gotmpl.Unsupported:
                        f.untested.append(f"{alert.name} case {case.name!r} (its labels use "
                                          "templates sre-gen cannot expand)")
                        continue
                else:
                    g.alert_tests.append(pm.alert_test(alert.name, case.eval_time, [entry]))
            f.groups.append(g)
    return f


def section_test_files(service: Service, alerts: list[Rule]) -> list[pm.PromtoolFile]:
    out = []
    for build in (golden_file, security_file, backup_file, capacity_file, autoscaling_file,
                  custom_file):
        got = build(service, alerts)
        if got is not None:
            out.append(got)
    return out
