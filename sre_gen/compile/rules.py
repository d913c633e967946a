"""Prometheus rule files and the PrometheusRule object for one service.

- prometheus/recording-rules.yaml: one recording group per SLO, then golden signals, security,
  disaster recovery and capacity recordings;
- prometheus/alerting-rules.yaml: one alert group per SLO, then the other alert groups;
- prometheus/prometheusrule.yaml: the same groups in a monitoring.coreos.com/v1 PrometheusRule
  (several objects, one YAML document each, when one would pass kubectl's annotation limit).
``settings.ruleFormat`` picks the plain files (default), the PrometheusRule object, or both.
Fields Prometheus 2.42's promtool rejects (query_offset, group labels) are never emitted, nor is
Thanos' partial_response_strategy outside the PrometheusRule object (promtool and vmalert reject it).

No group holds more than ``settings.maxRulesPerGroup`` rules (default 20, Grafana Mimir's default
ruler limit): a larger group is split, in order, into ``<name>:1``, ``<name>:2``, ... of nearly
equal size. Rules of one group see each other's results of the same evaluation; a rule reading a
series recorded in an earlier part reads it as of that part's last evaluation, at most one
evaluation interval old in Prometheus (groups run on their own timers) and current in promtool
(which evaluates the groups in ``group_eval_order`` at every step).
"""

from __future__ import annotations

from sre_gen import conventions as cv
from sre_gen.compile import kpis, regions, service_alerts, slo_rules
from sre_gen.compile.rulebase import Group, Rule, group_dict
from sre_gen.model import Service
from sre_gen.output import yamlfmt


def split(groups: list[Group], limit: int) -> list[Group]:
    """Each group of more than ``limit`` rules as ceil(n / limit) consecutive parts whose sizes
    differ by at most one, named ``<name>:1``, ``<name>:2``, ... (``cv.group_part``)."""
    out: list[Group] = []
    for group in groups:
        n = len(group.rules)
        if n <= limit:
            out.append(group)
            continue
        parts = -(-n // limit)
        size, extra = divmod(n, parts)
        start = 0
        for i in range(parts):
            end = start + size + (1 if i < extra else 0)
            out.append(Group(cv.group_part(group.name, i + 1), group.interval,
                             group.rules[start:end]))
            start = end
    return out


# The groups of the last few services, by identity: rules, dashboards, runbooks and routing all
# read a service's alerts, and building them is a third of a service's compile time at scale
# (bench/scale.py). Groups and rules are frozen (tuples all the way down), so sharing is safe.
_MEMO: dict[tuple[str, int], tuple[Service, tuple[Group, ...]]] = {}


def _memo(kind: str, service: Service, build) -> list[Group]:
    hit = _MEMO.get((kind, id(service)))
    if hit is None or hit[0] is not service:
        if len(_MEMO) >= 8:
            _MEMO.clear()
        hit = _MEMO[(kind, id(service))] = (service, tuple(build(service)))
    return list(hit[1])


def recording_groups(service: Service) -> list[Group]:
    return _memo("recording", service, lambda s: split(_recording_groups(s),
                                                       s.settings.max_rules_per_group))


def alerting_groups(service: Service) -> list[Group]:
    return _memo("alerting", service, lambda s: split(_alerting_groups(s),
                                                      s.settings.max_rules_per_group))


def _recording_groups(service: Service) -> list[Group]:
    groups = [slo_rules.recording_group(service, slo) for slo in service.slos]
    for pair in (service_alerts.golden_groups(service), service_alerts.security_groups(service),
                 service_alerts.backup_groups(service), service_alerts.capacity_groups(service)):
        if pair[0] is not None:
            groups.append(pair[0])
    for group in (regions.recording_group(service), kpis.recording_group(service)):
        if group is not None:
            groups.append(group)
    return groups


def _alerting_groups(service: Service) -> list[Group]:
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


def prometheus_rule(service: Service, groups: list[Group], name: str | None = None) -> dict:
    labels = {
        "app.kubernetes.io/name": service.name,
        "app.kubernetes.io/managed-by": "sre-gen",
        **dict(service.settings.prometheus_rule_labels),
    }
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name or cv.prometheus_rule_name(service.name),
                     "namespace": service.namespace, "labels": labels},
        "spec": {"groups": [_crd_group(service, g) for g in groups]},
    }


def _crd_group(service: Service, group: Group) -> dict:
    out = group_dict(group)
    if service.settings.partial_response_strategy:
        out["partial_response_strategy"] = service.settings.partial_response_strategy
    return out


def json_size(obj: dict) -> int:
    """Bytes of ``obj`` as kubectl stores it in its last-applied-configuration annotation: Go's
    compact JSON, which writes <, > and & as \\u003c, \\u003e, \\u0026 (PromQL is full of them)."""
    import json

    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    extra = 5 * (text.count("<") + text.count(">") + text.count("&")
                 + text.count("\u2028") + text.count("\u2029"))
    return len(text.encode("utf-8")) + extra


def prometheus_rules(service: Service, recording: list[Group], alerting: list[Group]) -> list[dict]:
    """One PrometheusRule object when its JSON fits ``cv.PROMETHEUS_RULE_MAX_BYTES``; else one
    object per SLO (``<service>-sre-gen-slo-<slo>``, its recording then alerting groups) and one
    for the service's other groups (``<service>-sre-gen``), so an SLO's rules never move between
    objects when other SLOs are added; an object still too large is cut into ``-2``, ``-3``...
    between groups. Client-side ``kubectl apply`` keeps the whole object in an annotation, which
    the API server limits to 256 KiB."""
    whole = prometheus_rule(service, recording + alerting)
    if json_size(whole) <= cv.PROMETHEUS_RULE_MAX_BYTES:
        return [whole]
    units: dict[str | None, list[Group]] = {}
    for group in recording + alerting:
        slo = group.rules[0].slo if group.rules else None
        units.setdefault(slo, []).append(group)
    objects = []
    for slo in [None] + [s.name for s in service.slos]:
        groups = units.get(slo)
        if not groups:
            continue
        base = cv.prometheus_rule_name(service.name, slo)
        parts: list[list[Group]] = [[]]
        for group in groups:
            if parts[-1] and json_size(prometheus_rule(service, parts[-1] + [group], base)) > \
                    cv.PROMETHEUS_RULE_MAX_BYTES:
                parts.append([])
            parts[-1].append(group)
        for i, part in enumerate(parts):
            objects.append(prometheus_rule(service, part, base if i == 0 else f"{base}-{i + 1}"))
    return objects


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
        files[cv.PROMETHEUS_RULE_FILE] = yamlfmt.dump_all(
            prometheus_rules(service, recording, alerting))
    return files
