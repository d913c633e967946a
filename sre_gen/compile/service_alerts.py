"""Non-SLO rules: golden signals, custom alerts, security, backups vs RPO, capacity forecasts and
autoscaling. Each section records its value under a conventions name (so dashboards and promtool
tests can use it) and alerts on the recorded series."""

from __future__ import annotations

from decimal import Decimal

from sre_gen import burnrate, promql
from sre_gen import conventions as cv
from sre_gen.compile.rulebase import Group, Rule, alert_annotations, alert_labels, literal
from sre_gen.durations import format_duration, humanize_duration, num
from sre_gen.model import MetricSelector, Service
from sre_gen.prose import clause

QUARTER = 90 * 86400


def _sel(service: Service, *pairs: tuple[str, str]) -> str:
    return promql.matchers([(cv.LABEL_SERVICE, service.name), *pairs])


def _groups(service: Service, section: str, records: list[Rule],
            alerts: list[Rule]) -> tuple[Group, Group | None]:
    """A section's recording group and its alert group (None when it has no alerts)."""
    interval = service.settings.evaluation_interval
    return (Group(cv.group_named(service.name, section), interval, tuple(records)),
            Group(cv.group_named(service.name, f"{section}-alerts"), interval, tuple(alerts))
            if alerts else None)


def golden_groups(service: Service) -> tuple[Group | None, Group | None]:
    if not service.golden_signals:
        return None, None
    records, alerts = [], []
    prefix = service.settings.alert_prefix
    for gs in service.golden_signals:
        pairs = ((cv.LABEL_SIGNAL, gs.signal), (cv.LABEL_INDICATOR, gs.name))
        records.append(Rule(record=cv.GOLDEN_SIGNAL_VALUE, expr=gs.query,
                            labels=((cv.LABEL_SERVICE, service.name),) + pairs, subject=gs.name))
        series = f"{cv.GOLDEN_SIGNAL_VALUE}{_sel(service, *pairs)}"
        levels = []
        if gs.signal == "traffic":
            if gs.low is not None:
                levels.append(("low", "<", gs.low, gs.warning_severity, "below"))
            if gs.high is not None:
                levels.append(("high", ">", gs.high, gs.warning_severity, "above"))
        else:
            if gs.warning is not None:
                levels.append(("warning", ">", gs.warning, gs.warning_severity, "above"))
            if gs.critical is not None:
                levels.append(("critical", ">", gs.critical, gs.critical_severity, "above"))
        for level, op, value, severity, words in levels:
            name = cv.golden_alert(prefix, gs.signal, gs.name, level)
            shown = _humanize(value, gs.unit)
            what = literal(f"{clause(gs.description or gs.name)} ({gs.signal})")
            alerts.append(Rule(
                alert=name, expr=f"{series} {op} {num(value)}", for_seconds=gs.for_seconds,
                kind="golden", subject=gs.name, level=level, threshold=num(value),
                labels=alert_labels(service, severity, pairs + ((cv.LABEL_LEVEL, level),)),
                annotations=alert_annotations(
                    service, name,
                    literal(f"{service.name}: {gs.name} {gs.signal} is {words} {shown} ({level})."),
                    what + " is " + _value_template(gs.unit) +
                    literal(f", {words} the {level} threshold of {shown} for "
                            f"{humanize_duration(gs.for_seconds)}."),
                    cv.GOLDEN_DASHBOARD),
                runbook=gs.runbook))
    return _groups(service, "golden-signals", records, alerts)


def _humanize(value: Decimal, unit: str) -> str:
    if unit == "percentunit":
        return f"{num(value * 100)}%"
    if unit == "percent":
        return f"{num(value)}%"
    if unit == "s":
        return f"{num(value * 1000)}ms" if value < 1 else f"{num(value)}s"
    if unit == "reqps":
        return f"{num(value)} req/s"
    return num(value)


def _value_template(unit: str) -> str:
    if unit == "percentunit":
        return "{{ $value | humanizePercentage }}"
    if unit == "s":
        return "{{ $value | humanizeDuration }}"
    return "{{ $value | humanize }}"


def custom_group(service: Service) -> Group | None:
    if not service.custom_alerts:
        return None
    rules = []
    for a in service.custom_alerts:
        url = a.runbook_url or cv.runbook_url(service.runbook_base_url, a.name)
        extra_labels = tuple((k, literal(v)) for k, v in a.labels)
        rules.append(Rule(
            alert=a.name, expr=a.expr, for_seconds=a.for_seconds, kind="custom", subject=a.name,
            labels=alert_labels(service, a.severity, extra_labels),
            annotations=alert_annotations(service, a.name, a.summary, a.description,
                                          cv.GOLDEN_DASHBOARD, a.annotations, runbook_url=url),
            runbook=a.runbook))
    return Group(cv.group_named(service.name, "custom-alerts"),
                 service.settings.evaluation_interval, tuple(rules))


def security_presence(sel: MetricSelector) -> MetricSelector | None:
    """The series whose presence makes a security counter read 0 before its first event.

    A labelled counter (``http_requests_total{code="403"}``) has no series until the first event,
    so its rate would read "no data" on a healthy service. It reads 0 instead while the same
    metric exists on the same scrape targets: the selector keeping only its matchers on target
    labels (``cv.TARGET_LABELS``: job, instance, namespace, ...) and dropping the ones that pick
    the event (``code="403"``). A counter whose metric is not scraped at all still reads no
    data, so a misspelt metric or a target that is down is not hidden behind a 0 (plain
    ``or vector(0)`` would hide both). None when nothing would be dropped: the selector's own
    series then exist from the start or not at all.
    """
    kept = tuple(m for m in sel.matchers if m.name in cv.TARGET_LABELS)
    if kept == sel.matchers:
        return None
    return MetricSelector(sel.metric, kept)


def security_groups(service: Service) -> tuple[Group | None, Group | None]:
    if not service.security:
        return None, None
    records, alerts = [], []
    prefix = service.settings.alert_prefix
    for rule in service.security:
        window = max(rule.per, service.settings.base_window)
        if rule.counter.query is not None:
            rate = promql.render_window(rule.counter.query, window)
        else:
            rate = f"sum(rate({promql.selector(rule.counter.selector)}[{format_duration(window)}]))"
        expr = f"({rate}) * {rule.per}"
        present = security_presence(rule.counter.selector) if rule.counter.selector else None
        if present is not None:
            expr += f"\nor on ()\n0 * count({promql.selector(present)})"
        pair = ((cv.LABEL_RULE, rule.name),)
        records.append(Rule(record=cv.SECURITY_EVENTS, expr=expr,
                            labels=((cv.LABEL_SERVICE, service.name),) + pair, subject=rule.name))
        name = cv.security_alert(prefix, rule.name)
        per = format_duration(rule.per)
        alerts.append(Rule(
            alert=name, expr=f"{cv.SECURITY_EVENTS}{_sel(service, *pair)} > {num(rule.threshold)}",
            kind="security", subject=rule.name, threshold=num(rule.threshold),
            labels=alert_labels(service, rule.severity, pair),
            annotations=alert_annotations(
                service, name,
                literal(f"{service.name}: more than {num(rule.threshold)} {rule.name} events per "
                        f"{per}."),
                literal(f"{clause(rule.description or rule.name)}: ") + "{{ $value | humanize }}" +
                literal(f" events per {per} (threshold {num(rule.threshold)})." +
                        (f" Action: {rule.action}" if rule.action else "")),
                cv.GOLDEN_DASHBOARD),
            runbook=rule.runbook))
    return _groups(service, "security", records, alerts)


BACKUP_FOR = 300


def backup_groups(service: Service) -> tuple[Group | None, Group | None]:
    backups = service.disaster_recovery.backups
    if not backups:
        return None, None
    records, alerts = [], []
    prefix = service.settings.alert_prefix
    for b in backups:
        pair = ((cv.LABEL_DATA, b.name),)
        records.append(Rule(record=cv.BACKUP_AGE, expr=f"time() - ({b.last_success})",
                            labels=((cv.LABEL_SERVICE, service.name),) + pair, subject=b.name))
        series = f"{cv.BACKUP_AGE}{_sel(service, *pair)}"
        name = cv.backup_alert(prefix, b.name)
        rpo = format_duration(b.rpo)
        alerts.append(Rule(
            alert=name, expr=f"{series} > {b.rpo}\nor\nabsent({series})", for_seconds=BACKUP_FOR,
            kind="backup", subject=b.name, threshold=str(b.rpo),
            labels=alert_labels(service, b.severity, pair),
            annotations=alert_annotations(
                service, name,
                literal(f"{service.name}: the newest {b.name} backup is older than its RPO ({rpo})."),
                literal(f"The last good {b.name} backup or replication is ") +
                "{{ $value | humanizeDuration }}" +
                literal(f" old, beyond the recovery point objective of {rpo} (or its metric is "
                        "missing). Data written since then would be lost in a disaster."),
                cv.GOLDEN_DASHBOARD),
            runbook=b.runbook))
    return _groups(service, "disaster-recovery", records, alerts)


CAPACITY_FOR = 3600
# A forecast needs history: the usage series (recorded once per evaluation interval) must hold at
# least this share of the samples the lookback can hold before predict_linear may alert.
CAPACITY_MIN_COVERAGE = Decimal("0.9")


def capacity_min_samples(lookback: int, every: int) -> int:
    """Samples of the recorded usage series that cover ``CAPACITY_MIN_COVERAGE`` of the lookback.

    The recording rule writes one sample per evaluation, so the count measures both the age of
    the series and its gaps: a series younger than 90% of the lookback (new resource, renamed
    series, fresh Prometheus) or missing more than 10% of it (restarts, outages of the
    exporter) has too few, and its linear fit over minutes or a patchy week does not alert.
    """
    return -(-int(CAPACITY_MIN_COVERAGE * lookback) // every)


def growth_factor(percent_per_quarter: Decimal, horizon: int) -> Decimal:
    """Compound growth over ``horizon``: (1 + g)^(horizon / quarter), rounded to 6 decimals."""
    base = 1 + percent_per_quarter / 100
    return burnrate.tidy(base ** (Decimal(horizon) / Decimal(QUARTER)))


# The forecast share of capacity: humanizePercentage up to 10x (1000%); beyond that its %.4g
# would print "1.661e+04%", and the exact multiple of a straight line far past the data says
# nothing more than "far over".
CAPACITY_SHARE = ("{{ if lt $value 10.0 }}{{ $value | humanizePercentage }}"
                  "{{ else }}over 1000%{{ end }}")


def capacity_groups(service: Service) -> tuple[Group | None, Group | None]:
    cap = service.capacity
    if cap is None:
        return None, None
    records, alerts = [], []
    prefix = service.settings.alert_prefix
    horizon = format_duration(cap.alert_horizon)
    for r in cap.resources:
        pair = ((cv.LABEL_RESOURCE, r.name),)
        ids = ((cv.LABEL_SERVICE, service.name),) + pair
        records.append(Rule(record=cv.CAPACITY_USAGE, expr=f"({r.usage})\n/\n({r.limit})",
                            labels=ids, subject=r.name))
        usage = f"{cv.CAPACITY_USAGE}{_sel(service, *pair)}"
        for h in cap.horizons:
            factor = growth_factor(r.growth_percent_per_quarter, h.seconds)
            records.append(Rule(record=cv.CAPACITY_FORECAST, expr=f"{usage} * {num(factor)}",
                                labels=ids + ((cv.LABEL_HORIZON, h.name),), subject=r.name))
        name = cv.capacity_alert(prefix, r.name)
        lookback = format_duration(cap.lookback)
        samples = capacity_min_samples(cap.lookback, service.settings.evaluation_interval)
        alerts.append(Rule(
            alert=name,
            expr=(f"predict_linear({usage}[{lookback}], {cap.alert_horizon}) > 1\n"
                  f"and on ({cv.LABEL_SERVICE}, {cv.LABEL_RESOURCE})\n"
                  f"count_over_time({usage}[{lookback}]) >= {samples}"),
            for_seconds=CAPACITY_FOR, kind="capacity", subject=r.name, threshold="1",
            labels=alert_labels(service, r.severity, pair),
            annotations=alert_annotations(
                service, name,
                literal(f"{service.name}: {r.name} capacity runs out within {horizon}."),
                literal(f"A linear fit of {r.name} usage over the last {lookback} reaches ") +
                CAPACITY_SHARE +
                literal(f" of capacity in {horizon}. Plan capacity now (planned growth: "
                        f"{num(r.growth_percent_per_quarter)}% per quarter)."),
                cv.GOLDEN_DASHBOARD),
            runbook=r.runbook))
    return _groups(service, "capacity", records, alerts)


HPA_SEVERITY = "warning"


def autoscaling_group(service: Service) -> Group | None:
    a = service.autoscaling
    if a is None:
        return None
    prefix = service.settings.alert_prefix
    hpa = cv.hpa_name(a.name, a.provider)
    sel = promql.matchers([(cv.KSM_LABEL_NAMESPACE, service.namespace), (cv.KSM_LABEL_HPA, hpa)])
    at_max, unable = cv.hpa_at_max_alert(prefix), cv.hpa_unable_alert(prefix)
    rules = (
        Rule(alert=at_max, expr=f"{cv.KSM_HPA_CURRENT}{sel}\n>=\n{cv.KSM_HPA_MAX}{sel}",
             for_seconds=a.at_max_for, kind="hpa-max", subject=hpa,
             labels=alert_labels(service, HPA_SEVERITY),
             annotations=alert_annotations(
                 service, at_max, literal(f"{service.name}: the HPA is pinned at max replicas."),
                 literal(f"HPA {service.namespace}/{hpa} has run at its maximum of "
                         f"{a.max_replicas} replicas for {humanize_duration(a.at_max_for)}; "
                         "demand may exceed what it may scale to."),
                 cv.GOLDEN_DASHBOARD)),
        Rule(alert=unable, expr=f"{cv.KSM_HPA_DESIRED}{sel}\n>\n{cv.KSM_HPA_CURRENT}{sel}",
             for_seconds=a.unable_to_scale_for, kind="hpa-unable", subject=hpa,
             labels=alert_labels(service, HPA_SEVERITY),
             annotations=alert_annotations(
                 service, unable, literal(f"{service.name}: the HPA cannot reach its desired "
                                          "replicas."),
                 literal(f"HPA {service.namespace}/{hpa} has wanted more replicas than it has for "
                         f"{humanize_duration(a.unable_to_scale_for)} (quota, pending pods or "
                         "scheduling limits)."),
                 cv.GOLDEN_DASHBOARD)),
    )
    return Group(cv.group_named(service.name, "autoscaling-alerts"),
                 service.settings.evaluation_interval, rules)
