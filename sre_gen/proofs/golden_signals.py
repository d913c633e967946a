"""Golden-signal alerts: every level fires after its `for` at a value past its threshold,
nothing fires at normal values; the queries read their inputs.

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
from sre_gen.proofs.sections import (_f, _add_checks, _group_by_name, _file, _stand_in_ok,
                                     wiring_group, _wirable, _firing_map)


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
