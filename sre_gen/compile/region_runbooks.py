"""What the runbook pages and the index say about multi-region failover (``regions``): the
region roles, replication, the trigger of each alert in plain words, ready-to-run PromQL, the
manual failover command and the disaster-recovery procedures to follow. Used by
``sre_gen.compile.runbooks``."""

from __future__ import annotations

from sre_gen import conventions as cv
from sre_gen import promql
from sre_gen.compile.rulebase import Rule
from sre_gen.durations import format_duration, humanize_duration, num
from sre_gen.model import Service

KINDS = {
    "region-unavailable": "Multi-region failover (region unavailable)",
    "region-spike": "Multi-region failover (error-rate spike)",
    "region-health": "Multi-region failover (health checks failing)",
}
_MODES = {"synchronous": "synchronous (a write is acknowledged once replicated: nothing "
                         "committed is lost on failover)",
          "asynchronous": "asynchronous (replicas lag: the newest writes may be lost)",
          "real-time": "real-time sync (continuous; seconds behind)"}


def variant_label(rule: Rule, service: Service) -> str:
    return f"Region {rule.subject} ({rule.label(cv.LABEL_REGION_ROLE)})"


def facts(service: Service, rule: Rule) -> list[tuple[str, str]]:
    reg = service.regions
    if rule.kind == "region-spike" and reg.error_spike is not None:
        s = reg.error_spike
        return [("Factor", f"{num(s.factor)}x the baseline"),
                ("Baseline", f"the region's error ratio over the {format_duration(s.baseline)} "
                             f"before the last {format_duration(s.baseline)}"),
                ("Floor", f"{num(s.floor * 100)}% (smallest error ratio that pages: "
                          f"{num(s.factor * s.floor * 100)}%)"),
                ("Pending for", humanize_duration(s.for_seconds))]
    return [("Pending for", humanize_duration(rule.for_seconds))]


def meaning(service: Service, rules: list[Rule]) -> list[str]:
    reg = service.regions
    r = rules[0]
    if r.kind == "region-unavailable":
        sig = promql.selector(reg.unavailable.selector)
        first = (f"A region of {service.name} is unavailable: every {sig} series of the region "
                 f"(label {reg.label}) has read 0 for {humanize_duration(r.for_seconds)}, so no "
                 "target there answers its scrapes. This is a failover trigger.")
    elif r.kind == "region-health":
        sig = promql.selector(reg.health_check.selector)
        first = (f"Every health check of a region of {service.name} has failed continuously for "
                 f"{humanize_duration(r.for_seconds)} (every {sig} series of the region read 0). "
                 "This is a failover trigger.")
    else:
        s = reg.error_spike
        first = (f"The {s.slo} error ratio of {service.name} in one region spiked: over the last "
                 f"{format_duration(service.settings.base_window)} it is more than "
                 f"{num(s.factor)} times the same region's error ratio over the "
                 f"{format_duration(s.baseline)} before the last {format_duration(s.baseline)} "
                 f"(the baseline, never taken below {num(s.floor * 100)}%), and has been for "
                 f"{humanize_duration(s.for_seconds)}. This is a failover trigger.")
    return [first, "Missing data never fires it: a region without series (not deployed, not "
                   "scraped) or without traffic is unknown, not down. Check from outside the "
                   "region that the signal is still collected."]


def diagnosis(service: Service, rules: list[Rule]) -> list[dict]:
    reg = service.regions
    r = rules[0]
    ids = [(cv.LABEL_SERVICE, service.name)]
    if r.kind == "region-unavailable":
        return [{"title": "Availability per region (1 = a target is up)",
                 "query": f"{cv.REGION_UP}{promql.matchers(ids)}"},
                {"title": "Targets down (source)",
                 "query": f"{promql.selector(reg.unavailable.selector)} == 0"}]
    if r.kind == "region-health":
        return [{"title": "Health checks per region (1 = a check succeeds)",
                 "query": f"{cv.REGION_HEALTH}{promql.matchers(ids)}"},
                {"title": "Failing health checks (source)",
                 "query": f"{promql.selector(reg.health_check.selector)} == 0"}]
    s = reg.error_spike
    sel = promql.matchers(ids + [(cv.LABEL_SLO, s.slo)])
    base = service.settings.base_window
    return [{"title": "Error ratio per region now",
             "query": f"{cv.region_error_ratio(base)}{sel}"},
            {"title": "Baseline error ratio per region",
             "query": f"{cv.region_error_baseline(s.baseline)}{sel}"},
            {"title": "Current ratio as a multiple of the baseline (with the floor)",
             "query": f"{cv.region_error_ratio(base)}{sel}\n/ on (service, slo, {reg.label})\n"
                      f"clamp_min({cv.region_error_baseline(s.baseline)}{sel}, "
                      f"{num(s.floor)})"}]


def view(service: Service) -> dict | None:
    """The regions section of a page and of the index (None without ``regions``)."""
    reg = service.regions
    if reg is None:
        return None
    dr = service.disaster_recovery
    by_role = {r.role: r.name for r in reg.regions}
    return {
        "regions": [(r.role, r.name) for r in reg.regions],
        "replication": [{"data": x.data, "mode": _MODES[x.mode],
                         "to": ", ".join(f"{by_role.get(role, role)} ({role})" for role in x.to)}
                        for x in reg.replication],
        "command": reg.failover_command,
        "rto": [(t.name, format_duration(t.rto)) for t in dr.rto],
        "procedures": list(dr.procedures),
    }
