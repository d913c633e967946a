"""Backup alerts: the age of the last successful backup against the RPO.

Part of ``sre_gen.proofs.sections``."""

from __future__ import annotations

from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.proofs import feed
from sre_gen.proofs import model as pm
from sre_gen.compile.rulebase import Rule
from sre_gen.durations import format_duration
from sre_gen.model import Service
from sre_gen.proofs.sections import (_firing, _add_checks, _file, _stand_in_ok, wiring_group,
                                     _wirable)


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
