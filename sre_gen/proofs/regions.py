"""Failover alerts (``regions``): each trigger fires for the failing region exactly when it
should, and stays silent for healthy regions and for regions without data.

Part of ``sre_gen.proofs.sections``. One test group per trigger, fed the raw series the
recording rules read (the signal with the region label; the spike SLO's counters per region):

- unavailable: the primary's targets all go down at t=10m (fires at 10m + ``for``, not a step
  earlier); the secondary has one target up and one down (silent: a region is available while
  any target is up); the disaster-recovery region has no series (unknown: silent);
- health checks: the primary's checks fail from t=10m (fires at 10m + ``for``); the secondary's
  fail for ``for`` minus one evaluation, succeed once, and fail again (never continuously for
  ``for``: silent); the disaster-recovery region has no series (silent);
- error-rate spike: the primary serves with a steady error ratio (the baseline), then from T =
  2 x baseline + 10m at twice ``factor`` times it (silent before T + ``for``, firing from T +
  base window + ``for``, the recorded baseline asserted); the secondary has no error series for
  two baseline windows (baseline 0, asserted), then errors at half of factor x floor (silent:
  the floor); the disaster-recovery region
  starts serving at T - 1h with half its requests failing but has no baseline (unknown: silent).
"""

from __future__ import annotations

from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.compile.rulebase import Rule
from sre_gen.durations import format_duration, num
from sre_gen.model import LatencySLI, MetricSelector, Region, Service
from sre_gen.proofs import feed
from sre_gen.proofs import model as pm
from sre_gen.proofs.sections import _add_checks, _file, _firing

DOWN_AT = 600


def regions_file(service: Service, alerts: list[Rule]) -> pm.PromtoolFile | None:
    reg = service.regions
    rules = [r for r in alerts if r.kind.startswith("region-")]
    if reg is None or not rules:
        return None
    E = service.settings.evaluation_interval
    f = _file(service, "regions", E, [
        f"Evaluated every {format_duration(E)}. Inputs are the raw series the region recording "
        f"rules read, with the region label {reg.label}; a region without series is unknown and "
        "must stay silent.",
    ])
    by_kind: dict[str, list[Rule]] = {}
    for r in rules:
        by_kind.setdefault(r.kind, []).append(r)
    for kind, signal in (("region-unavailable", reg.unavailable),
                         ("region-health", reg.health_check)):
        if kind in by_kind and signal is not None:
            g = _signal_group(service, by_kind[kind], signal.selector, signal.for_seconds, kind, E)
            every = _every_region_group(service, by_kind[kind], signal.selector,
                                        signal.for_seconds, E)
            if g is not None and every is not None:
                f.groups += [g, every]
            else:
                f.untested += [f"{r.alert} ({r.subject}: its signal selector cannot be fed)"
                               for r in by_kind[kind]]
    if "region-spike" in by_kind and reg.error_spike is not None:
        g = _spike_group(service, by_kind["region-spike"], E)
        every = _spike_group(service, by_kind["region-spike"], E, every_region=True)
        if g is not None and every is not None:
            f.groups += [g, every]
        else:
            f.untested += [f"{r.alert} ({r.subject}: the SLO's selectors cannot be fed)"
                           for r in by_kind["region-spike"]]
    return f


def _region_labels(sel: MetricSelector, label: str, region: Region) -> dict[str, str] | None:
    labels = feed.labels_for(sel)
    if labels is None:
        return None
    return {**labels, label: region.name}


def _by_role(service: Service) -> dict[str, Region]:
    return {r.role: r for r in service.regions.regions}


def _signal_group(service: Service, rules: list[Rule], sel: MetricSelector, hold: int,
                  kind: str, E: int) -> pm.Group | None:
    reg = service.regions
    roles = _by_role(service)
    name = rules[0].alert
    hold_steps = pm.ceil_to(hold, E) // E
    end = DOWN_AT + pm.ceil_to(hold, E) + 4 * E
    n = end // E
    g = pm.Group(name=f"{name}: fires for the failing region after `for`, silent for the others",
                 interval=E)
    primary = roles["primary"]
    labels = _region_labels(sel, reg.label, primary)
    if labels is None:
        return None
    down = [Fraction(1) if k * E < DOWN_AT else Fraction(0) for k in range(n + 1)]
    for instance in ("a", "b"):
        g.inputs.append((feed.series(sel.metric, {**labels, "instance": f"{instance}-0"}),
                         feed.values_string(down)))
    text = [f"{primary.name} (primary): every series 1, then 0 from t={format_duration(DOWN_AT)}"]
    other = roles.get("secondary")
    if other is not None:
        olabels = _region_labels(sel, reg.label, other)
        if kind == "region-unavailable":
            g.inputs.append((feed.series(sel.metric, {**olabels, "instance": "a-0"}),
                             feed.values_string([Fraction(1)] * (n + 1))))
            g.inputs.append((feed.series(sel.metric, {**olabels, "instance": "b-0"}),
                             feed.values_string([Fraction(0)] * (n + 1))))
            text.append(f"{other.name} (secondary): one series 1, one 0 (available)")
        else:
            period = hold_steps  # hold_steps - 1 failures, then one success
            flaky = [Fraction(1) if k % period == period - 1 else Fraction(0)
                     for k in range(n + 1)]
            g.inputs.append((feed.series(sel.metric, {**olabels, "instance": "a-0"}),
                             feed.values_string(flaky)))
            text.append(f"{other.name} (secondary): fails {hold_steps - 1} evaluations in a "
                        "row, succeeds once, again and again (never continuously for `for`)")
    dr = roles.get("disaster-recovery")
    if dr is not None:
        text.append(f"{dr.name} (disaster-recovery): no series (unknown)")
    g.comments.append("; ".join(text) + ".")
    by_name = {name: rules}
    rule = next(r for r in rules if r.subject == primary.name)
    expr_labels = {cv.LABEL_SERVICE: service.name, reg.label: primary.name}
    fire_at = DOWN_AT + pm.ceil_to(hold, E)
    _add_checks(g, DOWN_AT - E, by_name, {})
    if fire_at - E > DOWN_AT - E:
        _add_checks(g, fire_at - E, by_name, {})
    _add_checks(g, fire_at, by_name, {name: [_firing(rule, expr_labels, Fraction(0))]})
    _add_checks(g, end, by_name, {name: [_firing(rule, expr_labels, Fraction(0))]})
    return g


def _every_region_group(service: Service, rules: list[Rule], sel: MetricSelector, hold: int,
                        E: int) -> pm.Group | None:
    """Every region's series go to 0 at t=10m: each region's rule fires at 10m + ``for``."""
    reg = service.regions
    name = rules[0].alert
    end = DOWN_AT + pm.ceil_to(hold, E) + 2 * E
    g = pm.Group(name=f"{name}: every region fails at t={format_duration(DOWN_AT)}: each "
                      "region's rule fires after `for`", interval=E)
    down = [Fraction(1) if k * E < DOWN_AT else Fraction(0) for k in range(end // E + 1)]
    firing = []
    for region in reg.regions:
        labels = _region_labels(sel, reg.label, region)
        if labels is None:
            return None
        g.inputs.append((feed.series(sel.metric, labels), feed.values_string(down)))
        rule = next(r for r in rules if r.subject == region.name)
        firing.append(_firing(rule, {cv.LABEL_SERVICE: service.name, reg.label: region.name},
                              Fraction(0)))
    fire_at = DOWN_AT + pm.ceil_to(hold, E)
    _add_checks(g, fire_at - E, {name: rules}, {})
    _add_checks(g, fire_at, {name: rules}, {name: firing})
    return g


def _counters(spike, label: str, region: Region):
    """((events metric, labels), (total metric, labels), counts good, total includes events)
    of the spike SLO in one region, or None when its selectors cannot be fed. An errors/total
    SLI whose total selector also selects the error series is fed the good events as the
    total's own series (e.g. code="200" next to code="500"): the sum is then the total."""
    sli = spike.sli
    if isinstance(sli, LatencySLI):
        h = sli.histogram
        base = feed.labels_for(h)
        if base is None:
            return None
        good = (f"{h.metric}_bucket", {**base, label: region.name,
                                       "le": num(sli.threshold_seconds)})
        return good, (f"{h.metric}_count", {**base, label: region.name}), True, False
    ev_sel, tot_sel = sli.events.selector, sli.total.selector
    events_labels = feed.labels_for(ev_sel)
    if events_labels is None:
        return None
    events_labels = {**events_labels, label: region.name}
    shared = feed.selects(tot_sel, ev_sel.metric, events_labels)
    total_labels = feed.labels_for(tot_sel, exclude=(ev_sel,) if shared else (),
                                   prefer={"code": "200", "status": "200", "result": "ok"})
    if total_labels is None:
        return None
    total_labels = {**total_labels, label: region.name}
    if shared and feed.selects(ev_sel, tot_sel.metric, total_labels):
        return None
    return ((ev_sel.metric, events_labels), (tot_sel.metric, total_labels),
            sli.events_are_good, shared)


def _spike_group(service: Service, rules: list[Rule], E: int,
                 every_region: bool = False) -> pm.Group | None:
    """The scenario of the module docstring; ``every_region``: every region like the primary
    (each region's rule fires)."""
    reg = service.regions
    s = reg.error_spike
    roles = _by_role(service)
    base = service.settings.base_window
    B = s.baseline
    T = 2 * B + 600
    end = T + pm.ceil_to(base, E) + pm.ceil_to(s.for_seconds, E) + 2 * E
    n = end // E
    name = rules[0].alert
    g = pm.Group(name=f"{name}: fires for the spiking region after `for`; silent without a "
                      "baseline and below factor x floor", interval=E)
    if every_region:
        g.name = f"{name}: every region spikes at T: each region's rule fires after `for`"
    # the primary's error ratio: a baseline above the floor, then 2 x factor x baseline
    baseline = max(Fraction(s.floor) * 2, Fraction(1, 1000))
    spike = baseline * 2 * Fraction(s.factor)
    if spike >= 1:
        return None
    rate = Fraction(10)  # events per second in every serving region
    texts = []
    primary = roles["primary"]
    fed = _feed_region(g, s, reg.label, primary, rate,
                       [baseline if k * E < T else spike for k in range(n + 1)], E, n)
    if fed is None:
        return None
    texts.append(f"{primary.name} (primary): {feed.show(rate)} events/s, error ratio "
                 f"{feed.show(baseline)} until T={format_duration(T)}, then {feed.show(spike)}")
    if every_region:
        ratios = [baseline if k * E < T else spike for k in range(n + 1)]
        firing = []
        for region in reg.regions[1:]:
            _feed_region(g, s, reg.label, region, rate, ratios, E, n)
        for region in reg.regions:
            rule = next(r for r in rules if r.subject == region.name)
            firing.append(_firing(rule, {cv.LABEL_SERVICE: service.name, cv.LABEL_SLO: s.slo,
                                         reg.label: region.name}, spike))
        g.comments.append("Every region as the primary: " + texts[0] + ".")
        fire_at = T + pm.ceil_to(base, E) + pm.ceil_to(s.for_seconds, E)
        _add_checks(g, T - E, {name: rules}, {})
        _add_checks(g, fire_at, {name: rules}, {name: firing})
        return g
    sec = roles.get("secondary")
    low = Fraction(s.factor) * Fraction(s.floor) / 2
    if sec is not None:
        # no error series at all for two baseline windows (the baseline is 0), then errors at
        # half of factor x floor: above factor x 0, below factor x floor
        # (an errors counter is absent until the first error; a good-events series exists)
        counts_good = isinstance(s.sli, LatencySLI) or s.sli.events_are_good
        _feed_region(g, s, reg.label, sec, rate,
                     [Fraction(0) if k * E < T else low for k in range(n + 1)], E, n,
                     events_from=None if counts_good else T)
        texts.append(f"{sec.name} (secondary): {feed.show(rate)} events/s, no error until T"
                     f"{'' if counts_good else ' (no errors series at all)'}, then an error "
                     f"ratio of {feed.show(low)} (half of factor x floor; the baseline is 0)")
    dr = roles.get("disaster-recovery")
    if dr is not None:
        start = T - 3600
        ratios = [None if k * E < start else Fraction(1, 2) for k in range(n + 1)]
        _feed_region(g, s, reg.label, dr, rate, ratios, E, n)
        texts.append(f"{dr.name} (disaster-recovery): no traffic until T-1h, then half the "
                     "events fail (no baseline: unknown)")
    g.comments.append("; ".join(texts) + ".")
    by_name = {name: rules}
    rule = next(r for r in rules if r.subject == primary.name)
    ids = {cv.LABEL_SERVICE: service.name, cv.LABEL_SLO: s.slo, reg.label: primary.name}
    _add_checks(g, T - E, by_name, {})
    _add_checks(g, T + pm.ceil_to(s.for_seconds, E) - E, by_name, {})
    fire_at = T + pm.ceil_to(base, E) + pm.ceil_to(s.for_seconds, E)
    _add_checks(g, fire_at, by_name, {name: [_firing(rule, ids, spike)]})
    _add_checks(g, end, by_name, {name: [_firing(rule, ids, spike)]})
    test = pm.value_test(f"{cv.region_error_baseline(B)}{feed.series('', ids)}", ids, T,
                         baseline)
    if test is not None:
        g.expr_tests.append(test)
    if sec is not None:
        sec_ids = {**ids, reg.label: sec.name}
        g.expr_tests.append(pm.exact_test(
            f"{cv.region_error_baseline(B)}{feed.series('', sec_ids)}", cv.region_error_baseline(B),
            sec_ids, T, 0))
    return g


def _feed_region(g: pm.Group, s, label: str, region: Region, rate: Fraction,
                 ratios: list, E: int, n: int, events_from: int | None = None):
    """Counters of one region: ``rate`` events/s, ``ratios[k]`` of them failing in step k
    (None: no series yet); the events series starts at ``events_from`` when given (an errors
    counter that appears with the first error). Returns None when the selectors cannot be
    fed."""
    got = _counters(s, label, region)
    if got is None:
        return None
    (ev_metric, ev_labels), (tot_metric, tot_labels), counts_good, shared = got
    per = rate * E
    total, events = [], []
    t_acc, e_acc = Fraction(0), Fraction(0)
    for k in range(n + 1):
        r = ratios[k]
        if r is None:
            total.append(None)
            events.append(None)
            continue
        if k > 0 and ratios[k - 1] is not None:
            t_acc += per
            bad = per * r
            e_acc += (per - bad) if counts_good else bad
            if shared:  # the total's own series holds the good events only
                t_acc -= bad
        total.append(t_acc)
        events.append(None if events_from is not None and k * E < events_from else e_acc)
    g.inputs.append((feed.series(tot_metric, tot_labels), feed.values_string(total)))
    g.inputs.append((feed.series(ev_metric, ev_labels), feed.values_string(events)))
    return True
