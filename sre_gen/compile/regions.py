"""Multi-region failover: per-region recording rules and one alert per trigger and region.

Recording group ``sre-gen:<service>:regions`` (rules of a group run in order), per region:

- ``region:up:max``: max of the availability signal (``up``) over the region's targets: 1 while
  any is up, 0 while all are down;
- ``region:health_check_success:max``: the same over the health-check signal (probe_success);
- for the error-rate-spike SLO: ``region:sli_errors:rate5m`` and ``region:sli_total:rate5m``
  (the SLO's SLI with the region matcher added; the errors read 0 while the region has traffic
  and no errors), ``region:sli_error:ratio_rate5m`` (errors / total, only while total > 0) and
  ``region:sli_error:ratio_baseline1d``: the region's request-weighted error ratio over the
  baseline window *before the last one* (``offset`` = the window: for 1d, from 2 days ago to 1
  day ago), so a spike that is still going on never raises its own baseline.

Alert group ``sre-gen:<service>:regions-alerts``, one rule per region (label ``region_role``):
``<Prefix>RegionUnavailable`` (``region:up:max == 0`` for 5m), ``<Prefix>RegionErrorRateSpike``
(current ratio > factor x max(baseline, floor) for ``for``) and
``<Prefix>RegionHealthChecksFailing`` (``region:health_check_success:max == 0`` for 15m).

Unknown never pages: a region without availability or health-check series, without traffic now,
or without traffic in the baseline window records nothing, and an alert over nothing is silent.
A baseline of 0 (no error the day before) is raised to the floor (default: the SLO's error
budget), so the smallest error ratio that pages is factor x floor (0.5% for 10 x 0.05%).
"""

from __future__ import annotations

from sre_gen import promql
from sre_gen import conventions as cv
from sre_gen.compile.rulebase import Group, Rule, alert_annotations, alert_labels, literal
from sre_gen.compile.slo_rules import le_matcher
from sre_gen.durations import format_duration, humanize_duration, num
from sre_gen.model import (ErrorSpike, LatencySLI, Matcher, MetricSelector, Region, RegionSignal,
                           Service)


def _in_region(sel: MetricSelector, label: str, region: Region) -> str:
    return promql.selector(sel, extra=(Matcher(label, "=", region.name),))


def _ids(service: Service, region: Region, slo: str | None = None) -> tuple:
    out = [(cv.LABEL_SERVICE, service.name)]
    if slo is not None:
        out.append((cv.LABEL_SLO, slo))
    out.append((service.regions.label, region.name))
    return tuple(out)


def _sel(ids: tuple) -> str:
    return promql.matchers(list(ids))


def _rate(sel_text: str, window: int) -> str:
    return f"sum(rate({sel_text}[{format_duration(window)}]))"


def region_errors_total(spike: ErrorSpike, label: str, region: Region,
                        window: int) -> tuple[str, str]:
    """(bad events/s, all events/s) of the spike SLO's SLI in one region."""
    sli = spike.sli
    extra = (Matcher(label, "=", region.name),)
    if isinstance(sli, LatencySLI):
        h = sli.histogram
        inner = promql.matchers(list(h.matchers) + list(extra))[1:-1]
        good = _rate(f"{h.metric}_bucket{{{inner},{le_matcher(sli.threshold_seconds)}}}", window)
        total = _rate(promql.selector(h, "_count", extra), window)
        return f"clamp_min({total} - {good}, 0)", total
    total = _rate(promql.selector(sli.total.selector, extra=extra), window)
    events = _rate(promql.selector(sli.events.selector, extra=extra), window)
    if sli.events_are_good:
        return f"clamp_min({total} - {events}, 0)", total
    # an absent errors counter means no error yet: 0 while the region has traffic
    return f"({events}\nor\n0 * {total})", total


def recording_group(service: Service) -> Group | None:
    reg = service.regions
    if reg is None or not (reg.unavailable or reg.health_check or reg.error_spike):
        return None
    base = service.settings.base_window
    rules: list[Rule] = []
    for region in reg.regions:
        for record, signal in ((cv.REGION_UP, reg.unavailable),
                               (cv.REGION_HEALTH, reg.health_check)):
            if signal is not None:
                rules.append(Rule(record=record,
                                  expr=f"max({_in_region(signal.selector, reg.label, region)})",
                                  labels=_ids(service, region), subject=region.name))
        spike = reg.error_spike
        if spike is None:
            continue
        ids = _ids(service, region, spike.slo)
        sel = _sel(ids)
        errors, total = region_errors_total(spike, reg.label, region, base)
        e_name, t_name = cv.region_errors(base), cv.region_total(base)
        w = format_duration(spike.baseline)
        rules += [
            Rule(record=e_name, expr=errors, labels=ids, slo=spike.slo, subject=region.name),
            Rule(record=t_name, expr=total, labels=ids, slo=spike.slo, subject=region.name),
            Rule(record=cv.region_error_ratio(base),
                 expr=f"{e_name}{sel}\n/\n({t_name}{sel} > 0)", labels=ids, slo=spike.slo,
                 subject=region.name),
            Rule(record=cv.region_error_baseline(spike.baseline),
                 expr=(f"sum_over_time({e_name}{sel}[{w}] offset {w})\n/\n"
                       f"(sum_over_time({t_name}{sel}[{w}] offset {w}) > 0)"),
                 labels=ids, slo=spike.slo, subject=region.name),
        ]
    return Group(cv.group_named(service.name, "regions"), service.settings.evaluation_interval,
                 tuple(rules))


def _signal_alert(service: Service, trigger: str, signal: RegionSignal, record: str,
                  region: Region, what: str, kind: str) -> Rule:
    reg = service.regions
    name = cv.region_alert(service.settings.alert_prefix, trigger)
    held = humanize_duration(signal.for_seconds)
    where = f"{region.name} ({region.role})"
    return Rule(
        alert=name, expr=f"{record}{_sel(_ids(service, region))} == 0",
        for_seconds=signal.for_seconds, kind=kind, subject=region.name, threshold="0",
        labels=alert_labels(service, signal.severity, ((cv.LABEL_REGION_ROLE, region.role),)),
        annotations=alert_annotations(
            service, name,
            literal(f"{service.name}: region {where} {what} for {held}."),
            literal(f"Every {promql.selector(signal.selector)} series of region {region.name} "
                    f"(label {reg.label}) has read 0 for {held}: the {region.role} region "
                    f"{what}. This is a failover trigger."),
            cv.GOLDEN_DASHBOARD),
        runbook=reg.runbook)


def _spike_alert(service: Service, spike: ErrorSpike, region: Region) -> Rule:
    reg = service.regions
    base = service.settings.base_window
    name = cv.region_alert(service.settings.alert_prefix, "errorRateSpike")
    ids = _ids(service, region, spike.slo)
    on = ", ".join((cv.LABEL_SERVICE, cv.LABEL_SLO, reg.label))
    window = format_duration(spike.baseline)
    return Rule(
        alert=name,
        expr=(f"{cv.region_error_ratio(base)}{_sel(ids)}\n> on ({on})\n"
              f"{num(spike.factor)} * clamp_min({cv.region_error_baseline(spike.baseline)}"
              f"{_sel(ids)}, {num(spike.floor)})"),
        for_seconds=spike.for_seconds, kind="region-spike", subject=region.name, slo=spike.slo,
        threshold=num(spike.factor),
        labels=alert_labels(service, spike.severity, ((cv.LABEL_REGION_ROLE, region.role),)),
        annotations=alert_annotations(
            service, name,
            literal(f"{service.name}: the {spike.slo} error ratio in {region.name} "
                    f"({region.role}) is over {num(spike.factor)}x its baseline."),
            literal(f"The {spike.slo} error ratio in region {region.name} is ") +
            "{{ $value | humanizePercentage }}" +
            literal(f" over {format_duration(base)}, more than {num(spike.factor)} times its "
                    f"baseline (the region's error ratio over the {window} before the last "
                    f"{window}, at least {num(spike.floor * 100)}%) for "
                    f"{humanize_duration(spike.for_seconds)}. This is a failover trigger."),
            cv.GOLDEN_DASHBOARD),
        runbook=reg.runbook)


def alerting_group(service: Service) -> Group | None:
    reg = service.regions
    if reg is None:
        return None
    rules: list[Rule] = []
    if reg.unavailable is not None:
        rules += [_signal_alert(service, "regionUnavailable", reg.unavailable, cv.REGION_UP, r,
                                "is unavailable (no target up)", "region-unavailable")
                  for r in reg.regions]
    if reg.error_spike is not None:
        rules += [_spike_alert(service, reg.error_spike, r) for r in reg.regions]
    if reg.health_check is not None:
        rules += [_signal_alert(service, "healthCheckFailing", reg.health_check, cv.REGION_HEALTH,
                                r, "fails every health check", "region-health")
                  for r in reg.regions]
    if not rules:
        return None
    return Group(cv.group_named(service.name, "regions-alerts"),
                 service.settings.evaluation_interval, tuple(rules))
