"""What the rule compilers produce: rules with the metadata runbooks and tests need, and the
label/annotation conventions every generated alert follows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sre_gen import conventions as cv
from sre_gen.durations import format_duration
from sre_gen.model import SLO, Service


@dataclass(frozen=True)
class Rule:
    """One recording or alerting rule. ``kind`` and the fields after it are not emitted: they tell
    runbooks, dashboards and the test generator what the rule is about."""

    expr: str
    record: str | None = None
    alert: str | None = None
    for_seconds: int = 0
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    kind: str = "recording"  # slo-burn slo-exhausted slo-absent slo-unknown golden custom security backup
    #                          capacity hpa-max hpa-unable recording
    slo: str | None = None
    tier: str | None = None
    subject: str | None = None  # indicator / rule / data kind / resource name
    level: str | None = None  # warning | critical | low | high (golden twins)
    threshold: str | None = None  # the threshold as printed in the expression
    runbook: str | None = None  # spec runbook name whose steps apply

    def label(self, name: str) -> str | None:
        return dict(self.labels).get(name)

    def annotation(self, name: str) -> str | None:
        return dict(self.annotations).get(name)


@dataclass(frozen=True)
class Group:
    name: str
    interval: int
    rules: tuple[Rule, ...] = field(default_factory=tuple)


_TEMPLATE_DELIMS = re.compile(r"\{\{|\}\}")


def literal(text: str) -> str:
    """Text from the spec placed in a label or annotation that Prometheus expands as a Go
    template: ``{{``/``}}`` become template literals, so the text means what the spec says."""
    return _TEMPLATE_DELIMS.sub(lambda m: '{{ "' + m.group(0) + '" }}', text)


def metadata_labels(service: Service, slo: SLO | None = None) -> dict[str, str]:
    """The metadata labels of a service's (or an SLO's) alerts and info series, as the spec
    writes them: team, the service's labels, then the SLO's, which override the service's on
    conflict. Reserved label names never get here (the validator rejects them)."""
    out: dict[str, str] = {}
    if service.team:
        out[cv.LABEL_TEAM] = service.team
    for k, v in service.labels:
        out.setdefault(k, v)
    for k, v in slo.labels if slo is not None else ():
        out[k] = v
    return out


def alert_labels(service: Service, severity: str, extra: tuple = (),
                 slo: SLO | None = None) -> tuple:
    """severity, incident class, service, then the metadata labels (``metadata_labels``,
    escaped for Prometheus' templates), then ``extra``.

    ``service`` is set on every alert (not only those whose expression keeps it): Alertmanager
    routes a service's alerts by it, and custom or kube-state-metrics alerts lack or mislabel it."""
    labels: dict[str, str] = {cv.LABEL_SEVERITY: severity}
    cls = service.incident_class_for(severity)
    if cls is not None:
        labels[cv.LABEL_INCIDENT] = cls.name
    labels[cv.LABEL_SERVICE] = service.name
    for k, v in metadata_labels(service, slo).items():
        labels[k] = literal(v)
    for k, v in extra:
        labels[k] = v
    return tuple(labels.items())


def alert_annotations(service: Service, alertname: str, summary: str, description: str,
                      dashboard: str, extra: tuple = (), runbook_url: str | None = None) -> tuple:
    out = [("summary", summary), ("description", description)]
    out.extend(extra)
    out.append(("runbook_url", runbook_url or cv.runbook_url(service.runbook_base_url, alertname)))
    out.append(("dashboard_url", cv.dashboard_url(service.dashboard_base_url, service.name,
                                                  dashboard)))
    return tuple(out)


def rule_dict(rule: Rule) -> dict:
    """The rule as Prometheus reads it (field order: record/alert, expr, for, labels, annot.)."""
    out: dict = {"record": rule.record} if rule.record else {"alert": rule.alert}
    out["expr"] = rule.expr
    if rule.alert and rule.for_seconds:
        out["for"] = format_duration(rule.for_seconds)
    if rule.labels:
        out["labels"] = dict(rule.labels)
    if rule.alert and rule.annotations:
        out["annotations"] = dict(rule.annotations)
    return out


def group_dict(group: Group) -> dict:
    return {
        "name": group.name,
        "interval": format_duration(group.interval),
        "rules": [rule_dict(r) for r in group.rules],
    }
