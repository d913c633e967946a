"""Runbook pages: one Markdown page per alert name, and an index, rendered with jinja2.

- ``runbooks/<kebab(alert)>.md``: exactly where the alert's ``runbook_url`` annotation points
  (``conventions.runbook_url``); its H1 is the alert name, so the URL's anchor resolves. The burn
  tiers of one SLO (and the warning/critical twins of a golden signal) share a name and a page,
  with a section per tier or level. Custom alerts with their own ``runbookUrl`` get no page.
- ``runbooks/README.md``: the service, its SLOs (with the error budget as time), incident classes,
  on-call, error-budget policy, incident response, the post-incident review (a link to
  ``postmortem-template.md``, written by ``sre_gen.compile.postmortem``), disaster recovery and
  every alert.

Templates are ``runbook.md.j2`` and ``index.md.j2``: from ``--templates DIR`` when it has them,
else from the packaged ``sre_gen.templates``. The compiler builds plain data (texts, queries,
numbers); templates only lay it out. Every printed value is Markdown-escaped unless a filter of
``sre_gen.compile.markdown`` built it (see ``finalize`` there), so spec text cannot break a page.
A template that fails to parse or render raises ``TemplateProblem`` (``file:line: message``).
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from types import TracebackType

from sre_gen import burnrate, prose, promql
from sre_gen import conventions as cv
from sre_gen.compile import markdown, region_runbooks, slo_rules
from sre_gen.compile.rulebase import Rule
from sre_gen.compile.rules import all_alerts
from sre_gen.compile.service_alerts import _humanize as humanize_value
from sre_gen.durations import format_duration, humanize_duration, num
from sre_gen.errors import SpecError, SpecProblem, TemplateProblem
from sre_gen.model import SLO, GaugeSLI, LatencySLI, RatioSLI, Service

RUNBOOK_TEMPLATE = "runbook.md.j2"
INDEX_TEMPLATE = "index.md.j2"
PACKAGED_PREFIX = "sre_gen/templates"

KIND_TITLES = {
    "slo-burn": "SLO error-budget burn rate",
    "slo-exhausted": "SLO error budget exhausted",
    "slo-absent": "SLO data missing",
    "slo-unknown": "SLO cannot be evaluated",
    "golden": "Golden signal",
    "custom": "Hand-written",
    "security": "Security",
    "backup": "Backup age (disaster recovery)",
    "capacity": "Capacity forecast",
    "hpa-max": "Autoscaling (HPA at max replicas)",
    "hpa-unable": "Autoscaling (HPA unable to scale)",
    **region_runbooks.KINDS,
}


# ---- numbers and times --------------------------------------------------------------------------
_TIME_UNITS = (("days", 86400), ("hours", 3600), ("minutes", 60), ("seconds", 1))


def budget_time(slo: SLO) -> str:
    """The error budget as time per window: ``21.6 minutes per 30d`` (2 decimals at most)."""
    seconds = Decimal(slo.window) * slo.error_budget
    for unit, size in _TIME_UNITS:
        if seconds >= size or size == 1:
            shown = prose.number(seconds / size)
            if shown == "1":
                unit = unit[:-1]
            return f"{shown} {unit} per {format_duration(slo.window)}"
    raise AssertionError("unreachable")


def _percent(value: Decimal) -> str:
    return prose.percent(value)


def _sli_text(slo: SLO) -> str:
    sli = slo.sli
    if isinstance(sli, LatencySLI):
        return (f"share of {sli.histogram.metric} requests slower than "
                f"{humanize_value(sli.threshold_seconds, 's')}")
    if isinstance(sli, GaugeSLI):
        return f"share of time the condition {sli.query} {sli.op} {num(sli.threshold)} fails"
    if sli.events_are_good:
        return "share of events that are not good (1 - good / total)"
    return "share of events that are errors (errors / total)"


def _sli_kind(slo: SLO) -> str:
    return {RatioSLI: "ratio", LatencySLI: "latency", GaugeSLI: "gauge"}[type(slo.sli)]


# ---- view model ---------------------------------------------------------------------------------
def _receiver(service: Service, name: str | None) -> dict | None:
    if service.oncall is None or not name:
        return None
    for r in service.oncall.receivers:
        if r.name == name:
            return {
                "name": r.name,
                "alertmanager_name": cv.alertmanager_receiver(service.name, r.name),
                "kind": r.kind,
                "target": r.target,
                "secret_file": r.secret_file,
                "description": r.description,
            }
    return None


def _incident(service: Service, severity: str) -> dict | None:
    cls = service.incident_class_for(severity)
    if cls is None:
        return None
    return {
        "name": cls.name,
        "title": cls.title,
        "description": cls.description,
        "response": humanize_duration(cls.response_time),
        "escalation": humanize_duration(cls.escalation_time),
        "business_hours_only": cls.business_hours_only,
        "examples": list(cls.examples),
        "severities": list(cls.severities),
        "receiver": _receiver(service, cls.receiver),
    }


def _default_receiver(service: Service) -> dict | None:
    return _receiver(service, service.oncall.default_receiver) if service.oncall else None


def _variant_label(rule: Rule, service: Service) -> str:
    if rule.kind in region_runbooks.KINDS:
        return region_runbooks.variant_label(rule, service)
    if rule.kind == "slo-burn":
        return f"Tier {rule.tier}"
    if rule.kind == "golden":
        return f"Level {rule.level}"
    return ""


def _slo_named(service: Service, name: str | None) -> SLO | None:
    return next((s for s in service.slos if s.name == name), None)


def _tier_facts(slo: SLO, tier_name: str | None) -> list[tuple[str, str]]:
    tier = next((t for t in slo.tiers if t.name == tier_name), None)
    if tier is None:
        return []
    ratio = burnrate.error_ratio_threshold(tier.burn_rate, slo.error_budget)
    exhaust = burnrate.exhaustion_seconds(tier.burn_rate, slo.window)
    consumed = burnrate.budget_consumed_at_fire(tier.burn_rate, tier.long_window, slo.window)
    return [
        ("Burn rate above", f"{prose.number(tier.burn_rate)}x"),
        ("Windows", f"{format_duration(tier.long_window)} and {format_duration(tier.short_window)}"),
        ("Error ratio above", _percent(ratio)),
        ("Budget lasts at this rate", humanize_duration(float(exhaust))),
        ("Budget spent when it fires", _percent(consumed)),
    ]


def _facts(service: Service, rule: Rule) -> list[tuple[str, str]]:
    if rule.kind in region_runbooks.KINDS:
        return region_runbooks.facts(service, rule)
    if rule.kind == "golden":
        gs = _golden(service, rule.subject)
        value = None if gs is None else {"warning": gs.warning, "critical": gs.critical,
                                         "low": gs.low, "high": gs.high}.get(rule.level or "")
        if gs is not None and value is not None:
            shown = humanize_value(value, gs.unit)
            if shown != num(value):
                shown += f" ({num(value)})"
            return [("Threshold", shown),
                    ("Pending for", humanize_duration(gs.for_seconds) if gs.for_seconds
                     else "none")]
    if rule.kind == "security":
        sec = next((x for x in service.security if x.name == rule.subject), None)
        if sec is not None:
            return [("Threshold", f"{num(sec.threshold)} events per {format_duration(sec.per)}")]
    if rule.kind == "backup":
        b = next((x for x in service.disaster_recovery.backups if x.name == rule.subject), None)
        if b is not None:
            return [("Recovery point objective", format_duration(b.rpo))]
    if rule.kind == "capacity" and service.capacity is not None:
        return [("Forecast horizon", format_duration(service.capacity.alert_horizon)),
                ("Fit over", format_duration(service.capacity.lookback)),
                ("Fires at", "100% of capacity")]
    return []


def _variant(service: Service, rule: Rule) -> dict:
    severity = rule.label(cv.LABEL_SEVERITY) or ""
    incident = _incident(service, severity)
    slo = _slo_named(service, rule.slo)
    facts = _tier_facts(slo, rule.tier) if rule.kind == "slo-burn" and slo else _facts(service, rule)
    return {
        "label": _variant_label(rule, service),
        "expr": rule.expr,
        "for": humanize_duration(rule.for_seconds) if rule.for_seconds else "",
        "severity": severity,
        "incident": incident,
        "receiver": incident["receiver"] if incident else _default_receiver(service),
        "labels": list(rule.labels),
        "facts": facts,
    }


def _golden(service: Service, name: str | None):
    return next((g for g in service.golden_signals if g.name == name), None)


def _meaning(service: Service, rules: list[Rule]) -> list[str]:
    """What the alert means, in plain words (paragraphs of plain text)."""
    out = _meaning_text(service, rules)
    slo = _slo_named(service, rules[0].slo)
    if slo is not None and slo.grouping and rules[0].kind in (
            "slo-burn", "slo-exhausted", "slo-unknown"):
        labels, plural = ", ".join(slo.grouping), "s" if len(slo.grouping) > 1 else ""
        out.append(f"This SLO is grouped by {labels}: every value of {labels} has its own SLI, "
                   f"error budget and alerts, and the alert's {labels} label{plural} name the "
                   "affected group; the other groups are fine unless they alert too.")
    return out


def _meaning_text(service: Service, rules: list[Rule]) -> list[str]:
    r = rules[0]
    slo = _slo_named(service, r.slo)
    if r.kind in region_runbooks.KINDS:
        return region_runbooks.meaning(service, rules)
    if r.kind == "slo-burn" and slo is not None:
        tiers = ", ".join(x.tier or "" for x in rules)
        goal = slo.description or (f"{num(slo.objective_percent)}% over "
                                   f"{format_duration(slo.window)}.")
        return [
            f"The {slo.name} SLO of {service.name} is spending its error budget faster than it can "
            f"afford. The SLO: {goal}",
            "A burn rate of 1 spends exactly the whole budget over the SLO window. The alert fires "
            "when the error ratio is above the tier's burn rate times the error budget over both a "
            "long and a short window: the long window proves the problem is significant, the "
            "short one that it is still happening, so the alert resolves soon after a fix. "
            f"Tiers on this page: {tiers}. Faster tiers mean less time before the budget is gone; "
            "while a faster tier fires, Alertmanager mutes the slower ones.",
        ]
    if r.kind == "slo-exhausted" and slo is not None:
        return [
            f"The {slo.name} SLO of {service.name} has spent its whole error budget for the "
            f"current {format_duration(slo.window)} window: the service has been less reliable "
            f"than its objective of {num(slo.objective_percent)}%.",
            "The error-budget policy's actions for an exhausted budget apply until the budget "
            "recovers (old errors leave the window).",
        ]
    if r.kind == "slo-absent" and slo is not None:
        return [
            f"No events were recorded for the {slo.name} SLO of {service.name} for "
            f"{humanize_duration(r.for_seconds)}: the metrics behind its SLI are missing (target "
            "down, scrape failing, metric or label renamed). While this fires, the SLO's "
            "burn-rate alerts cannot fire: treat it as a monitoring outage.",
        ]
    if r.kind == "slo-unknown" and slo is not None:
        return [
            f"The {slo.name} SLO of {service.name} cannot be evaluated: "
            f"{slo_rules.unknown_reason(slo.sli)}.",
            "While this fires the SLI records nothing: no budget burns and the SLO's burn-rate "
            "and budget alerts cannot fire. Fix the spec (threshold, selector) or the exporter; "
            "the SLO then resumes from the next evaluation on.",
        ]
    if r.kind == "golden":
        gs = _golden(service, r.subject)
        if gs is not None:
            what = prose.clause(gs.description or gs.name)
            parts = []
            for x in rules:
                value = {"warning": gs.warning, "critical": gs.critical, "low": gs.low,
                         "high": gs.high}.get(x.level or "")
                words = "below" if x.level == "low" else "above"
                if value is not None:
                    parts.append(f"{words} {humanize_value(value, gs.unit)} ({x.level})")
            during = f" for {humanize_duration(gs.for_seconds)}" if gs.for_seconds else ""
            return [
                f"The {gs.signal} golden signal {gs.name} of {service.name} ({what}) has been "
                f"{' or '.join(parts)}{during}.",
            ]
    if r.kind == "custom":
        custom = next((a for a in service.custom_alerts if a.name == r.alert), None)
        if custom is not None:
            return [p for p in (custom.summary, custom.description) if p]
    if r.kind == "security":
        rule = next((s for s in service.security if s.name == r.subject), None)
        if rule is not None:
            text = (f"{prose.clause(rule.description or rule.name)}: more than {num(rule.threshold)} events "
                    f"per {format_duration(rule.per)} for {service.name}.")
            return [text] + ([f"Action: {rule.action}"] if rule.action else [])
    if r.kind == "backup":
        b = next((x for x in service.disaster_recovery.backups if x.name == r.subject), None)
        if b is not None:
            return [
                f"The newest good {b.name} backup or replica of {service.name} is older than its "
                f"recovery point objective (RPO) of {format_duration(b.rpo)}, or its metric is "
                "missing. In a disaster now, more data than the RPO allows would be lost.",
            ]
    if r.kind == "capacity" and service.capacity is not None:
        cap = service.capacity
        res = next((x for x in cap.resources if x.name == r.subject), None)
        if res is not None:
            return [
                f"A linear fit of {res.name} usage of {service.name} over the last "
                f"{format_duration(cap.lookback)} reaches 100% of capacity within "
                f"{format_duration(cap.alert_horizon)}. Planned growth: "
                f"{num(res.growth_percent_per_quarter)}% per quarter. Plan capacity now.",
            ]
    if r.kind in ("hpa-max", "hpa-unable") and service.autoscaling is not None:
        a = service.autoscaling
        if r.kind == "hpa-max":
            return [
                f"The HorizontalPodAutoscaler {service.namespace}/{r.subject} has run at its "
                f"maximum of {a.max_replicas} replicas for {humanize_duration(r.for_seconds)}: "
                "demand may exceed what it is allowed to scale to.",
            ]
        return [
            f"The HorizontalPodAutoscaler {service.namespace}/{r.subject} has wanted more "
            f"replicas than it has for {humanize_duration(r.for_seconds)}: quota, pending pods "
            "or scheduling limits keep it from scaling.",
        ]
    summary = r.annotation("summary")
    return [summary] if summary else []


def _sel(*pairs: tuple[str, str]) -> str:
    return promql.matchers(pairs)


def _diagnosis(service: Service, rules: list[Rule]) -> list[dict]:
    """Ready-to-run PromQL, most telling first: {title, query}."""
    r = rules[0]
    st = service.settings
    out: list[dict] = []
    slo = _slo_named(service, r.slo)
    if r.kind in region_runbooks.KINDS:
        return region_runbooks.diagnosis(service, rules)
    if r.kind.startswith("slo-") and slo is not None:
        ident = slo_rules.identity(service, slo)
        budget = num(slo.error_budget)
        out.append({"title": "Burn rate now (1 = spending exactly the budget)",
                    "query": f"{cv.SLO_CURRENT_BURN_RATE}{ident}"})
        windows = []
        for x in rules:
            tier = next((t for t in slo.tiers if t.name == x.tier), None)
            if tier is not None:
                windows += [tier.long_window, tier.short_window]
        for w in sorted(set(windows)):
            out.append({"title": f"Burn rate over {format_duration(w)}",
                        "query": f"{cv.sli_error_ratio(w)}{ident} / {budget}"})
        out.append({"title": f"Error budget remaining over {format_duration(slo.window)} "
                             "(1 = untouched, 0 = spent)",
                    "query": f"{cv.SLO_BUDGET_REMAINING}{ident}"})
        out.append({"title": "SLI events per second (recorded; missing = no data)",
                    "query": f"{cv.sli_total(st.base_window)}{ident}"})
        if isinstance(slo.sli, GaugeSLI):
            raw = slo.sli.query
        else:
            raw = slo_rules.source_total(slo.sli, st.base_window, slo.grouping)
        out.append({"title": "SLI source series (raw; empty = the metric is missing)",
                    "query": raw})
        unknown = slo_rules.unknown_condition(slo.sli, st.base_window, slo.grouping)
        if r.kind == "slo-unknown" and unknown is not None:
            out.insert(0, {"title": "Unknown now (a sample = the inputs exist but the SLI cannot "
                                    "be evaluated)", "query": unknown})
    elif r.kind == "golden":
        gs = _golden(service, r.subject)
        if gs is not None:
            out.append({"title": f"{gs.name} ({gs.signal}) as recorded",
                        "query": f"{cv.GOLDEN_SIGNAL_VALUE}"
                                 f"{_sel((cv.LABEL_SERVICE, service.name), (cv.LABEL_SIGNAL, gs.signal), (cv.LABEL_INDICATOR, gs.name))}"})  # noqa: E501
            out.append({"title": "Source query", "query": gs.query})
    elif r.kind == "security":
        out.append({"title": "Events per period, as recorded",
                    "query": f"{cv.SECURITY_EVENTS}"
                             f"{_sel((cv.LABEL_SERVICE, service.name), (cv.LABEL_RULE, r.subject or ''))}"})  # noqa: E501
    elif r.kind == "backup":
        b = next((x for x in service.disaster_recovery.backups if x.name == r.subject), None)
        if b is not None:
            out.append({"title": "Age of the newest good backup, seconds",
                        "query": f"{cv.BACKUP_AGE}"
                                 f"{_sel((cv.LABEL_SERVICE, service.name), (cv.LABEL_DATA, b.name))}"})  # noqa: E501
            out.append({"title": "Timestamp of the last success (source)",
                        "query": b.last_success})
    elif r.kind == "capacity" and service.capacity is not None:
        res = next((x for x in service.capacity.resources if x.name == r.subject), None)
        if res is not None:
            ids = _sel((cv.LABEL_SERVICE, service.name), (cv.LABEL_RESOURCE, res.name))
            out += [
                {"title": "Usage as a share of capacity", "query": f"{cv.CAPACITY_USAGE}{ids}"},
                {"title": "Forecast share of capacity per horizon",
                 "query": f"{cv.CAPACITY_FORECAST}{ids}"},
                {"title": "Usage (source)", "query": res.usage},
                {"title": "Capacity (source)", "query": res.limit},
            ]
    elif r.kind in ("hpa-max", "hpa-unable"):
        sel = _sel(("namespace", service.namespace), ("horizontalpodautoscaler", r.subject or ""))
        out += [
            {"title": "Current replicas", "query": f"{cv.KSM_HPA_CURRENT}{sel}"},
            {"title": "Desired replicas", "query": f"{cv.KSM_HPA_DESIRED}{sel}"},
            {"title": "Maximum replicas", "query": f"{cv.KSM_HPA_MAX}{sel}"},
        ]
    elif r.kind == "custom":
        out.append({"title": "The alert's expression", "query": r.expr})
    return out


def _slo_view(service: Service, slo: SLO) -> dict:
    return {
        "name": slo.name,
        "description": slo.description,
        "objective": f"{num(slo.objective_percent)}%",
        "window": format_duration(slo.window),
        "budget": _percent(slo.error_budget),
        "budget_time": budget_time(slo),
        "sli_kind": _sli_kind(slo),
        "sli": _sli_text(slo),
        "tiers": [t.name for t in slo.tiers],
    }


def _runbook_view(service: Service, name: str | None) -> dict | None:
    rb = service.runbook_named(name)
    if rb is None:
        return None
    return {
        "name": rb.name,
        "title": rb.title,
        "description": rb.description,
        "steps": [{"title": s.title, "command": s.command or "", "note": s.note or ""}
                  for s in rb.steps],
    }


def _dr_view(service: Service, rules: list[Rule]) -> dict | None:
    r = rules[0]
    if r.kind != "backup":
        return None
    dr = service.disaster_recovery
    b = next((x for x in dr.backups if x.name == r.subject), None)
    if b is None:
        return None
    return {
        "data": b.name,
        "rpo": format_duration(b.rpo),
        "frequency": b.frequency,
        "retention": b.retention,
        "rto": [(t.name, format_duration(t.rto)) for t in dr.rto],
        "procedures": list(dr.procedures),
    }


def _dashboard(rule: Rule) -> dict:
    url = rule.annotation("dashboard_url") or ""
    title = "SLO dashboard" if rule.kind.startswith("slo-") else "Golden-signals dashboard"
    return {"url": url, "title": title}


def _service_view(service: Service) -> dict:
    oncall = service.oncall
    return {
        "name": service.name,
        "team": service.team,
        "namespace": service.namespace,
        "description": service.description,
        "escalation": list(oncall.escalation) if oncall else [],
        "rotation": list(oncall.rotation) if oncall else [],
        "receivers": [_receiver(service, r.name) for r in oncall.receivers] if oncall else [],
        "default_receiver": _default_receiver(service),
        "exhausted_actions": list(service.policy.budget_exhausted_actions),
        "healthy_actions": list(service.policy.budget_healthy_actions),
        "index": cv.RUNBOOK_INDEX_FILE,
        "postmortem": cv.POSTMORTEM_TEMPLATE_FILE,
    }


def _own_page(service: Service, rule: Rule) -> bool:
    assert rule.alert is not None
    return rule.annotation("runbook_url") == cv.runbook_url(service.runbook_base_url, rule.alert)


def alerts_by_name(service: Service) -> dict[str, list[Rule]]:
    """Every alert name (file order) with its rules (tiers, levels)."""
    out: dict[str, list[Rule]] = {}
    for rule in all_alerts(service):
        assert rule.alert is not None
        out.setdefault(rule.alert, []).append(rule)
    return out


def _check_page_names(service: Service, pages: list[str]) -> None:
    seen: dict[str, str] = {cv.RUNBOOK_INDEX_FILE.lower(): "the runbook index",
                            cv.POSTMORTEM_TEMPLATE_FILE.lower(): "the postmortem template"}
    problems = []
    for name in pages:
        key = cv.runbook_file(name).lower()
        if key in seen:
            custom = next((a for a in service.custom_alerts if a.name == name), None)
            problems.append(SpecProblem(
                service.spec_path, custom.line if custom else 1, 1,
                "alerts" if custom else "",
                f"alert {name!r} would get the runbook page {cv.RUNBOOKS_DIR}/"
                f"{cv.runbook_file(name)}, which is also {seen[key]}'s: rename the alert"))
        else:
            seen[key] = f"alert {name!r}"
    if problems:
        raise SpecError(problems)


def _unique(items) -> list[dict]:
    """Non-empty dicts, first of each name, in order."""
    out: dict[str, dict] = {}
    for item in items:
        if item:
            out.setdefault(item["name"], item)
    return list(out.values())


def page_context(service: Service, rules: list[Rule]) -> dict:
    r = rules[0]
    slo = _slo_named(service, r.slo)
    variants = [_variant(service, x) for x in rules]
    return {
        "service": _service_view(service),
        "alert": {
            "name": r.alert,
            "kind": r.kind,
            "kind_title": KIND_TITLES.get(r.kind, r.kind),
            "meaning": _meaning(service, rules),
            "runbook_url": r.annotation("runbook_url") or "",
            "dashboard": _dashboard(r),
        },
        "variants": variants,
        "incidents": _unique(v["incident"] for v in variants),
        "receivers": _unique(v["receiver"] for v in variants),
        "slo": _slo_view(service, slo) if slo is not None else None,
        "diagnosis": _diagnosis(service, rules),
        "runbook": _runbook_view(service, r.runbook),
        "dr": _dr_view(service, rules),
        "regions": region_runbooks.view(service) if r.kind in region_runbooks.KINDS else None,
    }


def _postmortem_view(service: Service) -> dict:
    from sre_gen.compile import postmortem  # it builds on this module

    ctx = postmortem.context(service)
    return {"page": cv.POSTMORTEM_TEMPLATE_FILE, "deadlines": ctx["deadlines"],
            "culture": ctx["culture"]}


def index_context(service: Service, groups: dict[str, list[Rule]]) -> dict:
    alerts = []
    for name, rules in groups.items():
        r = rules[0]
        own = _own_page(service, r)
        severities = list(dict.fromkeys(x.label(cv.LABEL_SEVERITY) or "" for x in rules))
        classes = list(dict.fromkeys(
            x.label(cv.LABEL_INCIDENT) for x in rules if x.label(cv.LABEL_INCIDENT)))
        alerts.append({
            "name": name,
            "kind_title": KIND_TITLES.get(r.kind, r.kind),
            "severities": severities,
            "incidents": classes,
            "page": f"{cv.runbook_file(name)}#{cv.github_anchor(name)}" if own else "",
            "external_url": "" if own else (r.annotation("runbook_url") or ""),
            "runbook": r.runbook or "",
        })
    classes = [_incident(service, c.severities[0]) if c.severities else None
               for c in service.incident_classes]
    dr = service.disaster_recovery
    return {
        "service": _service_view(service),
        "slos": [_slo_view(service, s) for s in service.slos],
        "longest_window": format_duration(max(s.window for s in service.slos))
        if service.slos else "",
        "alerts": alerts,
        "incident_classes": [c for c in classes if c is not None],
        "incident_response": [(phase, list(steps)) for phase, steps in
                              service.incident_procedures],
        "postmortem": _postmortem_view(service),
        "dr": {
            "rto": [(t.name, format_duration(t.rto)) for t in dr.rto],
            "backups": [{"data": b.name, "rpo": format_duration(b.rpo), "frequency": b.frequency,
                         "retention": b.retention} for b in dr.backups],
            "procedures": list(dr.procedures),
        },
        "regions": region_runbooks.view(service),
        "chaos": _chaos_index(service),
        "runbooks": [{"name": rb.name, "title": rb.title, "description": rb.description,
                      "alerts": [a["name"] for a in alerts if a["runbook"] == rb.name]}
                     for rb in service.runbooks],
    }


def _chaos_index(service: Service) -> list[dict]:
    if service.chaos is None:
        return []
    from sre_gen.compile import chaos_runbooks

    return chaos_runbooks.index_entries(service)


# ---- templates ----------------------------------------------------------------------------------
def environment(templates: Path | None):
    """jinja2 environment: --templates DIR first, then the packaged templates."""
    import jinja2
    from importlib import resources
    from jinja2.loaders import split_template_path

    packaged = resources.files("sre_gen.templates")
    loaded: set[str] = set()  # file names handed to jinja2, to find template frames

    class Loader(jinja2.BaseLoader):
        def get_source(self, environment, template):
            parts = split_template_path(template)  # rejects "..": no escaping the folder
            if templates is not None:
                path = templates.joinpath(*parts)
                if path.is_file():
                    try:
                        source = path.read_text("utf-8")
                    except (OSError, UnicodeDecodeError) as exc:
                        raise TemplateProblem(path.as_posix(), None,
                                              f"cannot read template: {exc}") from None
                    loaded.add(path.as_posix())
                    return source, path.as_posix(), lambda: False
            node = packaged.joinpath(*parts)
            if node.is_file():
                where = f"{PACKAGED_PREFIX}/{'/'.join(parts)}"
                loaded.add(where)
                return node.read_text("utf-8"), where, lambda: True
            raise jinja2.TemplateNotFound(template)

    env = jinja2.Environment(
        loader=Loader(),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=markdown.finalize,
        auto_reload=False,
    )
    env.filters.update(markdown.FILTERS)
    env.globals["Md"] = markdown.Md
    env.sre_gen_files = loaded  # type: ignore[attr-defined]
    return env


def _bytecode_cache():
    """Compiled templates kept between runs (like Python's .pyc files): compiling the four
    packaged templates is most of a runbook build's time when the spec changed (bench/startup.py).
    jinja2 keys each entry by template name and file name and checks the source's SHA-1 and its
    own version on load, so an edited template (packaged or --templates) is compiled again.
    ``$XDG_CACHE_HOME/sre-gen/templates/``; ``SRE_GEN_NO_CACHE=1`` turns it off with the output
    cache; a folder that cannot be used only means templates are compiled each run."""
    from sre_gen.output import cache

    if not cache.enabled():
        return None
    import jinja2

    class Cache(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket):
            try:
                super().load_bytecode(bucket)
            except Exception:  # noqa: BLE001 - a broken entry is compiled again
                bucket.reset()

        def dump_bytecode(self, bucket):
            try:
                super().dump_bytecode(bucket)
            except Exception:  # noqa: BLE001 - a cache that cannot be written is no cache
                pass

    folder = cache.folder("templates")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return Cache(str(folder))


def _template_line(tb: TracebackType | None, files: set[str]) -> tuple[str, int] | None:
    """The innermost template frame of a traceback: (template file, line). jinja2 rewrites
    tracebacks so that template frames carry the loader's file name and the template's line."""
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in files:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def render(env, name: str, context: dict, templates: Path | None) -> str:
    """Render one template; any failure becomes TemplateProblem (user template) or a bug
    report naming the packaged template."""
    import jinja2

    try:
        return env.get_template(name).render(context)
    except TemplateProblem:
        raise
    except jinja2.TemplateSyntaxError as exc:
        where, line, message = exc.filename or name, exc.lineno, exc.message or str(exc)
    except jinja2.TemplateNotFound as exc:
        where, line = name, None
        message = f"template not found (looked in {templates.as_posix() + ' and ' if templates else ''}the packaged templates): {exc.name}"  # noqa: E501
    except Exception as exc:  # noqa: BLE001 - runtime error inside a template
        frame = _template_line(sys.exc_info()[2], env.sre_gen_files)
        if frame is None:
            raise
        where, line = frame
        message = f"{type(exc).__name__}: {exc}" if not isinstance(
            exc, jinja2.TemplateError) else (str(exc) or type(exc).__name__)
    if templates is None or where.startswith(PACKAGED_PREFIX):
        raise RuntimeError(f"packaged template {where}:{line}: {message}")
    raise TemplateProblem(where, line, message)


_PACKAGED_ENV: list = []


def _packaged_environment():
    """One environment per process for the packaged templates (they cannot change while it
    runs): compiling them costs ~40 ms, paid once instead of once per service (bench/scale.py).
    A --templates folder still gets a fresh environment per service, so edits are seen."""
    if not _PACKAGED_ENV:
        _PACKAGED_ENV.append(environment(None))
    return _PACKAGED_ENV[0]


def build(service: Service, ctx: object) -> dict[str, str]:
    templates = getattr(ctx, "templates", None)
    groups = alerts_by_name(service)
    pages = [name for name, rules in groups.items() if _own_page(service, rules[0])]
    _check_page_names(service, pages)
    env = _packaged_environment() if templates is None else environment(templates)
    files = {}
    for name in pages:
        text = render(env, RUNBOOK_TEMPLATE, page_context(service, groups[name]), templates)
        files[f"{cv.RUNBOOKS_DIR}/{cv.runbook_file(name)}"] = text
    if service.chaos is not None:
        from sre_gen.compile import chaos_runbooks

        alerts = [r for rules in groups.values() for r in rules]
        taken = {cv.runbook_file(name).lower() for name in pages}
        for e in service.chaos.experiments:
            page = cv.chaos_runbook_file(e.name)
            if page.lower() in taken:
                raise SpecError([SpecProblem(
                    service.spec_path, e.line, 1, "chaos.experiments",
                    f"experiment {e.name!r} would get the runbook page {cv.RUNBOOKS_DIR}/{page}, "
                    "which is also an alert's: rename the experiment")])
            files[f"{cv.RUNBOOKS_DIR}/{page}"] = render(
                env, chaos_runbooks.TEMPLATE,
                chaos_runbooks.experiment_context(service, e, alerts), templates)
    files[f"{cv.RUNBOOKS_DIR}/{cv.RUNBOOK_INDEX_FILE}"] = render(
        env, INDEX_TEMPLATE, index_context(service, groups), templates)
    return files
