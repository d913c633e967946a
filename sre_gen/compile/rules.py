"""Prometheus rule files and the PrometheusRule object for one service.

- prometheus/recording-rules.yaml: one recording group per SLO, then golden signals, security,
  disaster recovery and capacity recordings;
- prometheus/alerting-rules.yaml: one alert group per SLO, then the other alert groups;
- prometheus/prometheusrule.yaml: the same groups in a monitoring.coreos.com/v1 PrometheusRule.
``settings.ruleFormat`` picks the plain files (default), the PrometheusRule object, or both.
Fields Prometheus 2.42's promtool rejects (query_offset, group labels) are never emitted.
"""

from __future__ import annotations

from sre_gen import conventions as cv
from sre_gen.compile import kpis, regions, service_alerts, slo_rules
from sre_gen.compile.rulebase import Group, Rule, group_dict
from sre_gen.model import Service
from sre_gen.output import yamlfmt


def recording_groups(service: Service) -> list[Group]:
    groups = [slo_rules.recording_group(service, slo) for slo in service.slos]
    for pair in (service_alerts.golden_groups(service), service_alerts.security_groups(service),
                 service_alerts.backup_groups(service), service_alerts.capacity_groups(service)):
        if pair[0] is not None:
            groups.append(pair[0])
    for group in (regions.recording_group(service), kpis.recording_group(service)):
        if group is not None:
            groups.append(group)
    return groups


def alerting_groups(service: Service) -> list[Group]:
    groups = [g for g in (slo_rules.alerting_group(service, slo) for slo in service.slos) if g]
    for pair in (service_alerts.golden_groups(service), service_alerts.security_groups(service),
                 service_alerts.backup_groups(service), service_alerts.capacity_groups(service)):
        if pair[1] is not None:
            groups.append(pair[1])
    for group in (service_alerts.custom_group(service), service_alerts.autoscaling_group(service),
                  regions.alerting_group(service)):
        if group is not None:
            groups.append(group)
    return groups


def all_alerts(service: Service) -> list[Rule]:
    """Every alerting rule, in file order (runbooks, routing and tests iterate this)."""
    return [rule for group in alerting_groups(service) for rule in group.rules]


def prometheus_rule(service: Service, groups: list[Group]) -> dict:
    labels = {
        "app.kubernetes.io/name": service.name,
        "app.kubernetes.io/managed-by": "sre-gen",
        **dict(service.settings.prometheus_rule_labels),
    }
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": f"{service.name}-sre-gen", "namespace": service.namespace,
                     "labels": labels},
        "spec": {"groups": [group_dict(g) for g in groups]},
    }


def build(service: Service, ctx: object) -> dict[str, str]:
    recording = recording_groups(service)
    alerting = alerting_groups(service)
    fmt = service.settings.rule_format
    files = {}
    if fmt in ("files", "both"):
        if recording:
            files[cv.RECORDING_RULES_FILE] = yamlfmt.dump(
                {"groups": [group_dict(g) for g in recording]})
        if alerting:
            files[cv.ALERTING_RULES_FILE] = yamlfmt.dump(
                {"groups": [group_dict(g) for g in alerting]})
    if fmt in ("prometheusRule", "both"):
        files[cv.PROMETHEUS_RULE_FILE] = yamlfmt.dump(
            prometheus_rule(service, recording + alerting))
    return files
