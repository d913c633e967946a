"""Alertmanager routing from the incident classes and on-call receivers (amtool 0.25 compatible).

Files (only when the spec has ``oncall``; without receivers there is nothing to route to):

- ``alertmanager/routes.yaml``: the service's fragment. Each top-level key is a list to append to
  the list of the same name in an Alertmanager config (``routes`` -> ``route.routes``;
  ``receivers``, ``inhibit_rules``, ``time_intervals`` as they are). Names are prefixed with the
  service (``<service>/<receiver>``), so the fragments of several services merge without clashes.
- ``alertmanager/alertmanager.yml``: a complete minimal config that includes the fragment, for
  ``amtool check-config`` and trying it out; its root receiver is ``oncall.defaultReceiver``.

Routing: one route matches ``service="<name>"`` (every generated alert carries that label) and
falls back to the default receiver; below it one child route per incident class matches the
class's alert severities and sends to the class's receiver. Timings come from the class:

- ``group_wait``  = response time / 30, clamped to [10s, 5m] (whole seconds): the first
  notification leaves well within the response time; 15m -> 30s, 30m -> 1m, 2h -> 4m, 1d -> 5m;
- ``group_interval`` = response time / 3, clamped to [1m, 1h], whole minutes: a new alert joining
  a firing group is announced within a third of the response time; 15m -> 5m, 2h -> 40m;
- ``repeat_interval`` = the class's escalation time, rounded up to a multiple of group_interval
  (Alertmanager only repeats on group_interval ticks): an unresolved alert is re-sent when it is
  due for escalation; 30m, 1h, 4h, 3d for the example.

Business-hours-only classes get ``active_time_intervals: [<service>/business-hours]``, Monday to
Friday 09:00-17:00 UTC: outside it their notifications wait (alerts still firing then are sent
when it opens; alerts resolved meanwhile are never sent).

Inhibition (0.25 has no inhibit-rule ``name``, so none is emitted):

- burn tiers: per SLO, a firing tier mutes every tier with a lower burn rate (same service, slo
  and alertname, and for a grouped SLO the same grouping labels). That ends when the faster tier resolves; the rules themselves keep the slower
  tiers silent after it, so one incident pages once (slo_rules.tier_suppression);
- golden-signal twins: a firing ``level="critical"`` alert mutes its ``level="warning"`` twin
  (same service, alertname and indicator); traffic low/high are not twins and are never muted.

Receivers: pagerduty -> ``routing_key_file``, slack -> ``api_url_file`` + ``channel``, webhook ->
``url``, email -> ``to`` (the complete config then sets placeholder ``global.smtp_smarthost`` and
``smtp_from``, which amtool requires); a receiver without an integration is a blackhole. All
integrations send resolved notifications except email. Matcher values are double-quoted and
escaped; severity alternatives are regex-escaped.
"""

from __future__ import annotations

import re

from sre_gen import conventions as cv
from sre_gen.durations import format_duration
from sre_gen.model import IncidentClass, Receiver, Service
from sre_gen.output import yamlfmt

GROUP_BY = [cv.LABEL_SERVICE, "alertname", cv.LABEL_SLO]
ROOT_GROUP_BY = ["alertname", cv.LABEL_SERVICE]
BUSINESS_HOURS = {
    "weekdays": ["monday:friday"],
    "times": [{"start_time": "09:00", "end_time": "17:00"}],
    "location": "UTC",
}
# Placeholders for the try-out config only: amtool rejects email receivers without them.
SMTP_PLACEHOLDERS = {"smtp_smarthost": "localhost:25", "smtp_from": "alertmanager@localhost"}


# ---- matchers -----------------------------------------------------------------------------------
def _quote(value: str) -> str:
    """A matcher value as Alertmanager parses it: double-quoted, \\ " and newline escaped."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{out}"'


_RE2_SPECIAL = re.compile(r"([\\.+*?()|\[\]{}^$])")


def _regex_escape(value: str) -> str:
    return _RE2_SPECIAL.sub(r"\\\1", value)


def eq(name: str, value: str) -> str:
    return f"{name}={_quote(value)}"


def one_of(name: str, values: list[str]) -> str:
    """``name="v"`` for one value, ``name=~"a|b"`` for several (regex-escaped)."""
    if len(values) == 1:
        return eq(name, values[0])
    return f"{name}=~{_quote('|'.join(_regex_escape(v) for v in values))}"


# ---- timings ------------------------------------------------------------------------------------
def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def timings(cls: IncidentClass) -> dict[str, str]:
    """group_wait, group_interval, repeat_interval of a class (formula in the module doc)."""
    response = cls.response_time
    group_wait = _clamp(response // 30, 10, 300)
    group_interval = _clamp(response // 3 // 60 * 60, 60, 3600)
    repeat = max(cls.escalation_time, group_interval)
    repeat = -(-repeat // group_interval) * group_interval  # round up to a multiple
    return {
        "group_wait": format_duration(group_wait),
        "group_interval": format_duration(group_interval),
        "repeat_interval": format_duration(repeat),
    }


# ---- fragment -----------------------------------------------------------------------------------
def receiver_config(service: Service, r: Receiver) -> dict:
    out: dict = {"name": cv.alertmanager_receiver(service.name, r.name)}
    if r.kind == "pagerduty":
        out["pagerduty_configs"] = [{"routing_key_file": r.target, "send_resolved": True}]
    elif r.kind == "slack":
        out["slack_configs"] = [{"api_url_file": r.secret_file, "channel": r.target,
                                 "send_resolved": True}]
    elif r.kind == "webhook":
        out["webhook_configs"] = [{"url": r.target, "send_resolved": True}]
    elif r.kind == "email":
        out["email_configs"] = [{"to": r.target}]
    return out  # kind "none": a blackhole


def class_route(service: Service, cls: IncidentClass) -> dict:
    route: dict = {
        "matchers": [one_of(cv.LABEL_SEVERITY, list(cls.severities))],
        "receiver": cv.alertmanager_receiver(service.name, cls.receiver),
        **timings(cls),
    }
    if cls.business_hours_only:
        route["active_time_intervals"] = [cv.business_hours_interval(service.name)]
    return route


def service_route(service: Service) -> dict:
    assert service.oncall is not None
    route: dict = {
        "matchers": [eq(cv.LABEL_SERVICE, service.name)],
        "receiver": cv.alertmanager_receiver(service.name, service.oncall.default_receiver),
        "group_by": list(GROUP_BY),
    }
    children = [class_route(service, c) for c in service.incident_classes
                if c.severities and c.receiver]
    if children:
        route["routes"] = children
    return route


def _burn_inhibitions(service: Service) -> list[dict]:
    out = []
    prefix = service.settings.alert_prefix
    for slo in service.slos:
        if len(slo.tiers) < 2:
            continue
        name = cv.slo_alert_burn(prefix, slo.name, slo.alert_name)
        ordered = sorted(slo.tiers, key=lambda t: (-t.burn_rate, t.name))
        for tier in ordered:
            slower = [t.name for t in ordered if t.burn_rate < tier.burn_rate]
            if not slower:
                continue
            common = [eq(cv.LABEL_SERVICE, service.name), eq("alertname", name),
                      eq(cv.LABEL_SLO, slo.name)]
            out.append({
                "source_matchers": common + [eq(cv.LABEL_TIER, tier.name)],
                "target_matchers": common + [one_of(cv.LABEL_TIER, slower)],
                # a grouped SLO's tiers mute each other within one group only
                "equal": [cv.LABEL_SERVICE, cv.LABEL_SLO, "alertname", *slo.grouping],
            })
    return out


def _golden_inhibitions(service: Service) -> list[dict]:
    twins = [g for g in service.golden_signals
             if g.signal != "traffic" and g.warning is not None and g.critical is not None]
    if not twins:
        return []
    return [{
        "source_matchers": [eq(cv.LABEL_SERVICE, service.name), eq(cv.LABEL_LEVEL, "critical")],
        "target_matchers": [eq(cv.LABEL_SERVICE, service.name), eq(cv.LABEL_LEVEL, "warning")],
        "equal": [cv.LABEL_SERVICE, "alertname", cv.LABEL_INDICATOR],
    }]


def fragment(service: Service) -> dict:
    assert service.oncall is not None
    out: dict = {
        "routes": [service_route(service)],
        "receivers": [receiver_config(service, r) for r in service.oncall.receivers],
    }
    inhibit = _burn_inhibitions(service) + _golden_inhibitions(service)
    if inhibit:
        out["inhibit_rules"] = inhibit
    if any(c.business_hours_only for c in service.incident_classes):
        out["time_intervals"] = [{"name": cv.business_hours_interval(service.name),
                                  "time_intervals": [dict(BUSINESS_HOURS)]}]
    return out


def full_config(service: Service, frag: dict) -> dict:
    """A complete config: the fragment under a root route whose receiver is the default one."""
    assert service.oncall is not None
    out: dict = {}
    if any(r.kind == "email" for r in service.oncall.receivers):
        out["global"] = dict(SMTP_PLACEHOLDERS)
    out["route"] = {
        "receiver": cv.alertmanager_receiver(service.name, service.oncall.default_receiver),
        "group_by": list(ROOT_GROUP_BY),
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": "4h",
        "routes": frag["routes"],
    }
    for key in ("receivers", "inhibit_rules", "time_intervals"):
        if key in frag:
            out[key] = frag[key]
    return out


def build(service: Service, ctx: object) -> dict[str, str]:
    if service.oncall is None:
        return {}
    frag = fragment(service)
    return {
        cv.ALERTMANAGER_ROUTES_FILE: yamlfmt.dump(frag),
        cv.ALERTMANAGER_CONFIG_FILE: yamlfmt.dump(full_config(service, frag)),
    }

