"""Capacity forecasts (silent while the history is young, firing once the lookback is
covered and ``for`` has passed) and the autoscaling alerts.

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
from sre_gen.proofs.sections import (_firing, _add_checks, _file, _stand_in_ok, wiring_group,
                                     _wirable)


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
