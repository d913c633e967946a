"""Security alerts: each fires on events in its window and is silent at zero.

Part of ``sre_gen.proofs.sections``."""

from __future__ import annotations

from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.proofs import feed
from sre_gen.proofs import model as pm
from sre_gen.proofs.feed import show
from sre_gen.compile.rulebase import Rule
from sre_gen.durations import format_duration
from sre_gen.model import Service
from sre_gen.proofs.sections import (_f, _firing, _add_checks, _file, _stand_in_ok, wiring_group,
                                     _wirable)


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
