"""The postmortem template of a service: ``runbooks/postmortem-template.md``, linked from the
runbook index.

It follows the seed's post-incident review process (``postmortem_process``): the review timeline
(``postmortem.deadlines``: initial report, detailed analysis, action items, follow-up review,
counted from the resolution), its components (incident timeline, root cause analysis,
contributing factors, lessons learned, action items with owners) and culture
(``postmortem.culture``). It is pre-filled with what the spec knows: every SLO (objective,
window, error budget and the query of its remaining budget), the incident classes (response and
escalation times, receiver), the incident response phases as a checklist and the escalation path.

Rendered with ``postmortem.md.j2`` (``--templates DIR`` overrides it) in the runbooks' jinja2
environment: every value from the spec is Markdown-escaped.
"""

from __future__ import annotations

from sre_gen import conventions as cv
from sre_gen import promql
from sre_gen.compile import runbooks
from sre_gen.durations import humanize_duration
from sre_gen.model import Service

TEMPLATE = "postmortem.md.j2"
FILE = f"{cv.RUNBOOKS_DIR}/{cv.POSTMORTEM_TEMPLATE_FILE}"

STEPS = (("initial_report", "Initial report"), ("detailed_analysis", "Detailed analysis"),
         ("action_items", "Action items, each with an owner"),
         ("follow_up_review", "Follow-up review of the action items"))


def _within(seconds: int) -> str:
    """24h -> "24 hours"; 1w -> "7 days"; 30d -> "30 days" (whole units, else compact)."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            if unit == "day" and n == 1:
                return "24 hours"
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return humanize_duration(seconds)


def _budget_query(service: Service, slo: str) -> str:
    return (f"{cv.SLO_BUDGET_REMAINING}{{{cv.LABEL_SERVICE}={promql.quote(service.name)},"
            f"{cv.LABEL_SLO}={promql.quote(slo)}}}")


def context(service: Service) -> dict:
    pm = service.postmortem
    slos = []
    for slo in service.slos:
        view = runbooks._slo_view(service, slo)
        view["query"] = _budget_query(service, slo.name)
        slos.append(view)
    classes = []
    for c in service.incident_classes:
        classes.append({"name": c.name, "title": c.title, "description": c.description,
                        "response": humanize_duration(c.response_time),
                        "escalation": humanize_duration(c.escalation_time),
                        "business_hours_only": c.business_hours_only,
                        "receiver": c.receiver})
    return {
        "service": runbooks._service_view(service),
        "slos": slos,
        "dashboard": cv.dashboard_url(service.dashboard_base_url, service.name,
                                      cv.SLO_DASHBOARD),
        "incident_classes": classes,
        "escalation": list(service.oncall.escalation) if service.oncall else [],
        "deadlines": [{"title": title, "within": _within(getattr(pm, key))}
                      for key, title in STEPS],
        "action_items_within": _within(pm.action_items),
        "phases": [{"title": phase.replace("-", " ").capitalize(), "steps": list(steps)}
                   for phase, steps in service.incident_procedures],
        "culture": list(pm.culture),
        "exhausted_actions": list(service.policy.budget_exhausted_actions),
    }


def build(service: Service, ctx: object) -> dict[str, str]:
    templates = getattr(ctx, "templates", None)
    env = runbooks._packaged_environment() if templates is None else \
        runbooks.environment(templates)
    return {FILE: runbooks.render(env, TEMPLATE, context(service), templates)}
