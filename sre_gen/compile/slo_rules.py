"""SLO recording rules and multi-window multi-burn-rate alerts.

Per SLO, in one recording group (rules of a group run in order, so derived windows see fresh base
values):
1. base series at the base window: bad events/s and all events/s (gauge SLIs: one 0/1 sample per
   evaluation);
2. ``slo:sli_error:ratio_rate<W>`` for every window W: from raw counters up to rawWindowMax
   (exact), derived above it as sum_over_time(bad) / sum_over_time(all) over the base series,
   which weights every base interval by its traffic (request-weighted, unlike Sloth's average of
   ratios) and reads one series per SLO instead of the raw series (unlike Pyrra's increase[30d]);
3. objective, error budget, window, burn rates, budget remaining, and an info series.
Identity labels on every SLI series are only service and slo (the record name says the window):
metadata, and the SLO window as the label ``window``, live on the info series only, so editing
them never restarts a long window.

A grouped SLO (``grouping: [label, ...]``, Pyrra's grouping) keeps its grouping labels on every
SLI series as well: each rule aggregates ``sum by (<grouping>)`` (a gauge: ``max``/``count by``),
every join matches ``on`` them too, so every value of the labels has its own ratios, budget and
alerts. The "no error yet" fallback is ``(errors) or (total * 0)``, which keeps the total's group
labels: ``or vector(0)`` would add one series without them. The objective, budget and window
constants and the info series stay one per SLO; so does the SLI-absent alert (no group has data).
"""

from __future__ import annotations

from decimal import Decimal

from sre_gen import burnrate, prose, promql
from sre_gen import conventions as cv
from sre_gen.compile.rulebase import (Group, Rule, alert_annotations, alert_labels, literal,
                                      metadata_labels)
from sre_gen.durations import compound_duration, format_duration, humanize_duration, num
from sre_gen.model import SLI, SLO, EventSource, GaugeSLI, LatencySLI, RatioSLI, Service
from sre_gen.windows import RAW, Level, Source, slo_windows, source, used_levels

_BAD_OP = {">": "<=", ">=": "<", "<": ">=", "<=": ">"}


def identity(service: Service, slo: SLO) -> str:
    return promql.matchers([(cv.LABEL_SERVICE, service.name), (cv.LABEL_SLO, slo.name)])


def series_labels(service: Service, slo: SLO) -> tuple[tuple[str, str], ...]:
    """The identity labels of every recorded series of an SLO; with settings.slothCompat also
    Sloth's sloth_id, sloth_service and sloth_slo (constant per SLO, so no expression changes)."""
    ids = ((cv.LABEL_SERVICE, service.name), (cv.LABEL_SLO, slo.name))
    return ids + (cv.sloth_identity(service.name, slo.name) if service.settings.sloth_compat
                  else ())


def ratio_ref(service: Service, slo: SLO, window: int) -> str:
    """A recorded error ratio as rules read it. With settings.slothCompat the ratios carry
    Sloth's sloth_window label, which is dropped here so ratios of different windows still match
    one another (``and``, ``*``) and what is computed from them carries no window."""
    ref = f"{cv.sli_error_ratio(window)}{identity(service, slo)}"
    if service.settings.sloth_compat:
        return f"max without ({cv.LABEL_SLOTH_WINDOW}) ({ref})"
    return ref


def agg(op: str, by: tuple[str, ...]) -> str:
    """``sum``, or ``sum by (a, b) `` for a grouped SLO (its labels are validated names)."""
    return f"{op} by ({', '.join(by)}) " if by else op


def on(by: tuple[str, ...], *labels: str) -> str:
    """``on (<labels>, <grouping>)``: a join of two series of the same SLO (and group)."""
    return f"on ({', '.join((*labels, *by))})"


def _events(src: EventSource, window: int, by: tuple[str, ...] = ()) -> str:
    if src.query is not None:  # parenthesised: the query's operators bind before ours
        return f"({promql.render_window(src.query, window)})"  # never grouped (validation)
    return f"{agg('sum', by)}(rate({promql.selector(src.selector)}[{format_duration(window)}]))"


def le_pattern(threshold: Decimal) -> str:
    """The regex of the bucket in both spellings: Prometheus 2 keeps the exporter's ``le="1"``,
    Prometheus 3 normalises classic histograms to ``le="1.0"``."""
    text = num(threshold)
    return f"{text}|{text}\\.0" if "." not in text else text.replace(".", "\\.")


def le_matcher(threshold: Decimal) -> str:
    return f"le=~{promql.quote(le_pattern(threshold))}"


def _bucket(sli: LatencySLI) -> str:
    sel = sli.histogram
    inner = promql.matchers(sel.matchers)[1:-1] if sel.matchers else ""
    return f"{sel.metric}_bucket{{{inner + ',' if inner else ''}{le_matcher(sli.threshold_seconds)}}}"


def _good_and_total(sli: RatioSLI | LatencySLI, window: int,
                    by: tuple[str, ...] = ()) -> tuple[str, str]:
    """(good events/s, all events/s) of an SLI that counts good events (latency, good/total)."""
    if isinstance(sli, LatencySLI):
        w, s = format_duration(window), agg("sum", by)
        return (f"{s}(rate({_bucket(sli)}[{w}]))",
                f"{s}(rate({promql.selector(sli.histogram, '_count')}[{w}]))")
    return _events(sli.events, window, by), _events(sli.total, window, by)


def _counts_good(sli: RatioSLI | LatencySLI) -> bool:
    return isinstance(sli, LatencySLI) or sli.events_are_good


def raw_errors(sli: RatioSLI | LatencySLI, window: int, by: tuple[str, ...] = ()) -> str:
    """Bad events per second over ``window`` from the raw series. An absent errors counter means
    no error yet (0); an absent good-events series (no bucket at the threshold, good events
    missing) leaves the bad events unknown: nothing is recorded. Grouped (``by``): the 0 of a
    group without errors is its total times 0, with the total's group labels (``vector(0)``
    would be one more series without them, and a group without traffic gets none)."""
    if _counts_good(sli):
        good, total = _good_and_total(sli, window, by)
        return f"clamp_min({total} - {good}, 0)"
    if by:
        return f"({_events(sli.events, window, by)} or ({_events(sli.total, window, by)} * 0))"
    return f"({_events(sli.events, window)} or vector(0))"


def source_total(sli: RatioSLI | LatencySLI, window: int, by: tuple[str, ...] = ()) -> str:
    """All events per second over ``window`` as the source series give them."""
    if _counts_good(sli):
        return _good_and_total(sli, window, by)[1]
    return _events(sli.total, window, by)


def base_total(sli: RatioSLI | LatencySLI, window: int, errors: str,
               by: tuple[str, ...] = ()) -> str:
    """All events per second at the base window, recorded only while the SLI can be evaluated:
    while the bad-events series ``errors`` (recorded just before, in the same group) has a
    sample, so a long window never counts an unknown stretch as good (see raw_errors); per
    group for a grouped SLO. A raw window's ratio needs no such guard: its numerator is
    already absent then."""
    total = source_total(sli, window, by)
    return f"{total} and {on(by)} {errors}" if _counts_good(sli) else total


def gauge_bad(sli: GaugeSLI, by: tuple[str, ...] = ()) -> str:
    """1 while the bound is violated; NaN samples are left out (they are neither good nor bad).
    Grouped, the query already aggregates by the grouping labels (spec.build)."""
    q = sli.query
    return (f"{agg('max', by)}((({q}) {_BAD_OP[sli.op]} bool {num(sli.threshold)}) and "
            f"(({q}) == ({q})))")


def gauge_total(sli: GaugeSLI, by: tuple[str, ...] = ()) -> str:
    q = sli.query
    return f"{agg('count', by)}(({q}) == ({q})) > bool 0"


def source_presence(sli: SLI, window: int, by: tuple[str, ...] = ()) -> str:
    """PromQL with a sample while the SLI's source series exist (their total, for an SLI that
    counts good events; a gauge: any sample, NaN included), whether or not they can be
    evaluated; one per group with ``by``."""
    if isinstance(sli, GaugeSLI):
        return f"{agg('count', by)}({sli.query})"
    if isinstance(sli, LatencySLI):
        return f"{agg('group', by)}({promql.selector(sli.histogram, '_count')})"
    if sli.total.selector is not None:
        return f"{agg('group', by)}({promql.selector(sli.total.selector)})"
    return f"group({_events(sli.total, window)})"


def unknown_condition(sli: SLI, window: int, by: tuple[str, ...] = ()) -> str | None:
    """PromQL with a sample while the SLI's inputs exist but cannot be evaluated, or None when
    that cannot happen (errors/total: an absent errors counter means no error yet). Series given
    as selectors are checked for presence as they are (no range: the total has samples, the good
    series, e.g. the bucket at the threshold, has none); PromQL queries over ``window``. With
    ``by`` (a grouped SLO): per group, labelled with the group."""
    present, join = source_presence(sli, window, by), on(by)
    if isinstance(sli, GaugeSLI):
        q = sli.query
        return f"{present} unless {join} {agg('count', by)}(({q}) == ({q}))"
    if isinstance(sli, LatencySLI):
        return f"{present} unless {join} {agg('group', by)}({_bucket(sli)})"
    if sli.events_are_good:
        if sli.events.selector is not None:
            good = f"{agg('group', by)}({promql.selector(sli.events.selector)})"
        else:
            good = f"group({_events(sli.events, window)})"
        return f"{present} unless {join} {good}"
    return None


def unknown_reason(sli: SLI) -> str:
    """What is wrong while ``unknown_condition`` holds, in words (spec text, not yet escaped)."""
    if isinstance(sli, LatencySLI):
        sel = sli.histogram
        inner = promql.matchers(sel.matchers) if sel.matchers else ""
        return (f'no bucket le="{num(sli.threshold_seconds)}" on {sel.metric}_bucket{inner} '
                f"although {promql.selector(sel, '_count')} has samples; buckets are matched "
                "exactly, so the threshold must be one of the histogram's bucket boundaries")
    if isinstance(sli, GaugeSLI):
        return f"the gauge query {sli.query} returns samples, but none is a number (NaN)"
    good = sli.events.query or promql.selector(sli.events.selector)
    total = sli.total.query or promql.selector(sli.total.selector)
    return (f"the good-events series {good} is absent while the total {total} has samples "
            "(misspelt metric or label, or no good event since the exporter started)")


def recording_group(service: Service, slo: SLO) -> Group:
    st = service.settings
    ident = identity(service, slo)
    ids = series_labels(service, slo)
    base, by = st.base_window, slo.grouping
    errors_name, total_name = cv.sli_errors(base), cv.sli_total(base)
    rules: list[Rule] = []
    if isinstance(slo.sli, GaugeSLI):
        rules.append(Rule(record=errors_name, expr=gauge_bad(slo.sli, by), labels=ids,
                          slo=slo.name))
        rules.append(Rule(record=total_name, expr=gauge_total(slo.sli, by), labels=ids,
                          slo=slo.name))
    else:
        rules.append(Rule(record=errors_name, expr=raw_errors(slo.sli, base, by), labels=ids,
                          slo=slo.name))
        rules.append(Rule(record=total_name,
                          expr=base_total(slo.sli, base, f"{errors_name}{ident}", by),
                          labels=ids, slo=slo.name))
    for level in used_levels(slo, st):
        for name, expr in level_exprs(service, slo, level):
            rules.append(Rule(record=name, expr=expr, labels=ids, slo=slo.name))
    for window in slo_windows(slo, st):
        src = source(window, slo, st)
        if window == base and not isinstance(slo.sli, GaugeSLI):
            expr = f"{errors_name}{ident}\n/\n{total_name}{ident}"
        elif src == RAW:
            expr = f"{raw_errors(slo.sli, window, by)}\n/\n{source_total(slo.sli, window, by)}"
        else:
            errors_in, total_in = derived_sums(service, slo, window, src)
            expr = f"{errors_in}\n/\n{total_in}"
        window_label = ((cv.LABEL_SLOTH_WINDOW, format_duration(window)),) \
            if st.sloth_compat else ()
        rules.append(Rule(record=cv.sli_error_ratio(window), expr=expr,
                          labels=ids + window_label, slo=slo.name))
    for tier in slo.tiers:  # read by the slower tiers' suppression (tier_suppression)
        rules.append(Rule(record=cv.SLO_BURN_CONDITION,
                          expr=_tier_condition(service, slo, tier, as_bool=True),
                          labels=ids + ((cv.LABEL_TIER, tier.name),), slo=slo.name))
    budget = num(slo.error_budget)
    rules += [
        Rule(record=cv.SLO_OBJECTIVE, expr=f"vector({num(slo.objective_ratio)})", labels=ids,
             slo=slo.name),
        Rule(record=cv.SLO_ERROR_BUDGET, expr=f"vector({budget})", labels=ids, slo=slo.name),
        Rule(record=cv.SLO_TIME_WINDOW, expr=f"vector({slo.window})", labels=ids, slo=slo.name),
        Rule(record=cv.SLO_CURRENT_BURN_RATE,
             expr=f"{ratio_ref(service, slo, base)} / {budget}", labels=ids, slo=slo.name),
        Rule(record=cv.SLO_PERIOD_BURN_RATE,
             expr=f"{ratio_ref(service, slo, slo.window)} / {budget}", labels=ids,
             slo=slo.name),
        Rule(record=cv.SLO_BUDGET_REMAINING, expr=f"1 - {cv.SLO_PERIOD_BURN_RATE}{ident}",
             labels=ids, slo=slo.name),
        Rule(record=cv.SLO_INFO, expr="vector(1)", labels=ids + _info_labels(service, slo),
             slo=slo.name),
    ]
    if st.sloth_compat:  # the two series of Sloth's that sre-gen has no equal of
        days = num(Decimal(slo.window) / 86400)
        rules += [
            Rule(record=cv.SLO_TIME_PERIOD_DAYS, expr=f"vector({days})", labels=ids,
                 slo=slo.name),
            Rule(record=cv.SLOTH_SLO_INFO, expr="vector(1)",
                 labels=ids + ((cv.LABEL_SLOTH_OBJECTIVE, num(slo.objective_percent)),)
                 + tuple(metadata_labels(service, slo).items()), slo=slo.name),
        ]
    return Group(cv.group_slo_recordings(service.name, slo.name), st.evaluation_interval,
                 tuple(rules))


def source_names(service: Service, src: Source | None) -> tuple[str, str]:
    """(errors, total) record names of a level, or of the base series (``src`` not a level)."""
    if isinstance(src, Level):
        return cv.sli_errors_step(src.step), cv.sli_total_step(src.step)
    base = service.settings.base_window
    return cv.sli_errors(base), cv.sli_total(base)


def level_exprs(service: Service, slo: SLO, level: Level) -> list[tuple[str, str]]:
    """The two rules of a level: events per second averaged over each ``level.step``, recorded
    at the first evaluation of the step only (``vector(time()) % step < interval``), so
    consecutive samples tile time and a window of n steps sums n samples. This costs no
    separate rule group, and promtool, which evaluates every group at its test file's interval,
    records the same samples as Prometheus (docs/long-windows.md)."""
    ident = identity(service, slo)
    aligned = f"\nand on ()\n  vector(time()) % {level.step} < {level.interval}"
    out = []
    for name, fine in zip(source_names(service, level), source_names(service, level.of)):
        if level.of is None and not isinstance(slo.sli, GaugeSLI):
            # a base sample at the step's end is the rate over exactly that step
            expr = f"{fine}{ident}"
        else:  # average the finer samples of the step (a gauge's per-evaluation 0/1 samples)
            expr = f"avg_over_time({fine}{ident}[{compound_duration(level.step - 1)}])"
        out.append((name, expr + aligned))
    return out


def window_range(window: int, src: Source) -> str:
    """The range a derived window sums: a level's samples sit exactly one step apart, so one
    second short of the window holds exactly window / step of them under both Prometheus 2
    (closed ranges) and 3 (left-open ranges)."""
    return compound_duration(window - 1) if isinstance(src, Level) else format_duration(window)


def derived_sums(service: Service, slo: SLO, window: int, src: Source) -> tuple[str, str]:
    """(bad, all) events over ``window`` from the base series or a level, in a common unit."""
    ident, w = identity(service, slo), window_range(window, src)
    return tuple(f"sum_over_time({n}{ident}[{w}])" for n in source_names(service, src))


def average_event_rate(service: Service, slo: SLO, window: int) -> str:
    """Events per second averaged over ``window`` (the low-traffic guard), from the series the
    window's ratio reads (the base series for a raw window)."""
    src = source(window, slo, service.settings)
    total = source_names(service, src)[1]
    return f"avg_over_time({total}{identity(service, slo)}[{window_range(window, src)}])"


def _info_labels(service: Service, slo: SLO) -> tuple:
    kind = {RatioSLI: "ratio", LatencySLI: "latency", GaugeSLI: "gauge"}[type(slo.sli)]
    out = {"objective": num(slo.objective_percent), cv.LABEL_WINDOW: format_duration(slo.window),
           "sli": kind}
    out.update(metadata_labels(service, slo))
    return tuple(out.items())


def title(service: Service, slo: SLO, per_group: bool = True) -> str:
    """``<service> <slo> SLO`` as annotation text; a grouped SLO's per-group alerts add the
    group, ``(handler=/api)``, from the alert's labels (the names are validated label names)."""
    out = literal(f"{service.name} {slo.name} SLO")
    if slo.grouping and per_group:
        out += " (" + ", ".join(f"{label}={{{{ $labels.{label} }}}}"
                                for label in slo.grouping) + ")"
    return out


def _budget_alert(service: Service, slo: SLO, name: str, expr: str, kind: str, severity: str,
                  summary: str, description: str, **rule: object) -> Rule:
    """One of an SLO's own alerts besides the burn tiers (exhausted, absent, unknown): the SLO's
    labels and runbook, the SLO dashboard. ``summary`` and ``description`` are annotation text,
    already escaped."""
    return Rule(
        alert=name, expr=expr, kind=kind,
        labels=alert_labels(service, severity, ((cv.LABEL_SLO, slo.name),), slo),
        annotations=alert_annotations(service, name, summary, description,
                                      cv.SLO_DASHBOARD),
        slo=slo.name, runbook=slo.runbook, **rule)


def alerting_group(service: Service, slo: SLO) -> Group | None:
    rules = [*burn_alerts(service, slo)]
    policy = service.policy.alerts
    prefix = service.settings.alert_prefix
    ident = identity(service, slo)
    name, by = title(service, slo), slo.grouping
    if policy.exhausted_enabled:
        rules.append(_budget_alert(
            service, slo, cv.slo_alert_exhausted(prefix, slo.name),
            f"{cv.SLO_PERIOD_BURN_RATE}{ident} >= 1", "slo-exhausted",
            policy.exhausted_severity, "The " + name + " has spent its error budget.",
            name + literal(f": the error budget over {format_duration(slo.window)} is "
                           f"exhausted (objective {num(slo.objective_percent)}%): the errors in "
                           "the window are ") + "{{ $value | printf \"%.3g\" }}" +
            literal(" times the budget (1 = exactly spent; above 1 it is overspent)."),
            threshold="1"))
    base = service.settings.base_window
    unknown = unknown_condition(slo.sli, base, by)
    whole = title(service, slo, per_group=False)
    if policy.absent_enabled:
        expr = f"absent({cv.sli_total(base)}{ident})"
        if unknown is not None:  # an unknown SLI records nothing too, but its source series
            # exist: SLIUnknown says why
            expr += f"\nunless on ()\n  {source_presence(slo.sli, base)}"
        rules.append(_budget_alert(
            service, slo, cv.slo_alert_absent(prefix, slo.name), expr, "slo-absent",
            policy.absent_severity, "The " + whole + " has no SLI data.",
            whole + literal(f": no events recorded for {humanize_duration(policy.absent_for)}; "
                            "the metrics behind the SLI are missing, so its alerts cannot "
                            "fire."),
            for_seconds=policy.absent_for))
    if policy.unknown_enabled and unknown is not None:
        rules.append(_budget_alert(
            service, slo, cv.slo_alert_unknown(prefix, slo.name), unknown, "slo-unknown",
            policy.unknown_severity, "The " + name + " cannot be evaluated.",
            name + literal(f": {unknown_reason(slo.sli)}. The SLI records nothing while this "
                           "fires: it burns no budget and its burn-rate and budget alerts cannot "
                           "fire."),
            for_seconds=policy.unknown_for))
    if not rules:
        return None
    return Group(cv.group_slo_alerts(service.name, slo.name), service.settings.evaluation_interval,
                 tuple(rules))


def _tier_condition(service: Service, slo: SLO, tier, as_bool: bool = False) -> str:
    """The tier's alert condition; ``as_bool``: as a 0/1 series (1 while it holds)."""
    budget, rate = num(slo.error_budget), num(tier.burn_rate)
    long_ = f"{ratio_ref(service, slo, tier.long_window)} / {budget}"
    short = f"{ratio_ref(service, slo, tier.short_window)} / {budget}"
    join = on(slo.grouping, cv.LABEL_SERVICE, cv.LABEL_SLO)
    guard = None
    if slo.min_event_rate is not None and not isinstance(slo.sli, GaugeSLI):
        guard = (f"{average_event_rate(service, slo, tier.long_window)} "
                 f">={' bool' if as_bool else ''} {num(slo.min_event_rate)}")
    if as_bool:
        parts = [f"({long_} > bool {rate})", f"({short} > bool {rate})"] + (
            [f"({guard})"] if guard else [])
        return f"\n* {join}\n".join(parts)
    expr = f"(\n  {long_} > {rate}\nand\n  {short} > {rate}\n)"
    if guard:
        expr += f"\nand {join}\n  {guard}"
    return expr


def tier_suppression(service: Service, slo: SLO, tier) -> str:
    """``unless`` clauses that keep a slower tier silent around a faster tier's burn.

    A fast burn also trips the slower tiers (their windows hold the same bad minutes).
    Alertmanager mutes them only while the faster tier fires: once the fast tier resolves, a
    slower tier whose short window still holds the burn would page again minutes after the
    incident ended. So a tier is silent while any tier with a higher burn rate had its
    condition true within this tier's short window plus one evaluation (the longest a burn that
    stopped keeps the short window above the threshold: max_over_time of the faster tier's
    recorded condition, ``slo:burn_condition:bool``, written once in the recording group and
    read here). A slow burn that never trips a faster tier fires exactly as before.

    Alternatives: ``keep_firing_for`` on the faster tier (vmalert 1.79 rejects it); ``unless``
    on the faster tier's ``ALERTS`` series (vmalert writes and reads it through remote storage,
    late or not at all, and it ends with the alert); one alert per severity combining its tiers
    (the workbook, Sloth: loses the per-tier labels and still re-pages across severities). The
    cost: one recorded 0/1 series per tier, and a range of (short window / evaluation interval)
    samples of it per faster tier (a subquery re-evaluating the condition would cost as many
    evaluations of the condition).
    """
    span = format_duration(tier.short_window + service.settings.evaluation_interval)
    out = ""
    for faster in sorted((t for t in slo.tiers if t.burn_rate > tier.burn_rate),
                         key=lambda t: (-t.burn_rate, t.name)):
        sel = promql.matchers([(cv.LABEL_SERVICE, service.name), (cv.LABEL_SLO, slo.name),
                               (cv.LABEL_TIER, faster.name)])
        out += (f"\nunless {on(slo.grouping, cv.LABEL_SERVICE, cv.LABEL_SLO)}\n  max_over_time("
                f"{cv.SLO_BURN_CONDITION}{sel}[{span}]) == 1")
    return out


def burn_alerts(service: Service, slo: SLO) -> list[Rule]:
    """One alert per burn tier: the workbook's two-window condition, silent around a faster
    tier's burn (see ``tier_suppression``: Alertmanager's inhibition alone re-pages after the
    fast tier resolves; merging tiers into one alert per severity, as the workbook and Sloth
    do, would also avoid that but loses the per-tier labels and timing)."""
    prefix = service.settings.alert_prefix
    name = cv.slo_alert_burn(prefix, slo.name, slo.alert_name)
    out = []
    for tier in slo.tiers:
        rate = num(tier.burn_rate)
        lw, sw = format_duration(tier.long_window), format_duration(tier.short_window)
        expr = _tier_condition(service, slo, tier) + tier_suppression(service, slo, tier)
        guarded = slo.min_event_rate is not None and not isinstance(slo.sli, GaugeSLI)
        threshold_ratio = burnrate.error_ratio_threshold(tier.burn_rate, slo.error_budget)
        exhaust = humanize_duration(float(burnrate.exhaustion_seconds(tier.burn_rate, slo.window)))
        consumed = burnrate.budget_consumed_at_fire(tier.burn_rate, tier.long_window, slo.window)
        named = title(service, slo)
        summary = "The " + named + literal(f" is burning its error budget too fast ({tier.name}).")
        shown = prose.number(tier.burn_rate)
        description = (
            named + literal(": the error budget burns at ") + "{{ $value | printf \"%.3g\" }}" +
            literal(f"x over {lw} (and over {sw}), above the {tier.name} threshold of {shown}x "
                    f"(error ratio {prose.number(threshold_ratio)}). At {shown}x the "
                    f"{format_duration(slo.window)} budget lasts {exhaust}; "
                    f"{prose.percent(consumed)} of it is spent when this fires.")
        )
        if guarded:
            description += literal(f" Only alerts above {num(slo.min_event_rate)} events/s.")
        # the user's annotations (templates): an SLO's, then its tier's; summary and description
        # replace the generated ones, the others come before the links
        user = dict(slo.alert_annotations + tier.annotations)
        summary, description = user.pop("summary", summary), user.pop("description", description)
        out.append(Rule(
            alert=name, expr=expr, kind="slo-burn", slo=slo.name, tier=tier.name,
            for_seconds=tier.for_seconds,
            labels=alert_labels(service, tier.severity, (
                (cv.LABEL_SLO, slo.name), (cv.LABEL_TIER, tier.name),
                (cv.LABEL_LONG_WINDOW, lw), (cv.LABEL_SHORT_WINDOW, sw)) + tuple(
                (k, literal(v)) for k, v in dict(slo.alert_labels + tier.labels).items()), slo),
            annotations=alert_annotations(service, name, summary, description, cv.SLO_DASHBOARD,
                                          tuple(user.items())),
            runbook=slo.runbook, threshold=rate,
        ))
    return out
