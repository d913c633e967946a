"""Checks of the alert naming and extra labels/annotations an SLO's burn-rate alerts take
(``slos[].alerting.name|labels|annotations``, ``errorBudgetPolicy.tiers[].labels|annotations``)
and of settings.slothCompat: what the schema cannot say."""

from __future__ import annotations

from sre_gen import conventions

# Annotations sre-gen links itself: replacing them would break the runbook and dashboard links.
_LINK_ANNOTATIONS = ("runbook_url", "dashboard_url")


def check(c) -> None:
    """``c`` is semantic._Checker."""
    maps = [p + ("alerting",) for p, _ in c.items(("slos",))]
    maps += [p for p, _ in c.items(("errorBudgetPolicy", "tiers"))]
    for path in maps:
        node = _at(c.data, path)
        if not isinstance(node, dict):
            continue
        labels, annotations = node.get("labels"), node.get("annotations")
        for key in labels if isinstance(labels, dict) else ():
            if key.startswith("__"):
                c.add(path + ("labels", key), "label names starting with __ are reserved",
                      key=True)
            elif key in conventions.RESERVED_LABELS:
                c.add(path + ("labels", key),
                      f"label {key!r} is set by sre-gen itself (reserved: "
                      f"{', '.join(sorted(conventions.RESERVED_LABELS))}); choose another name"
                      + ("; a tier's severity is its severity field" if key == "severity"
                         else ""), key=True)
        for key, text in (annotations.items() if isinstance(annotations, dict) else ()):
            if key in _LINK_ANNOTATIONS:
                c.add(path + ("annotations", key),
                      f"{key!r} is set by sre-gen (service.runbookBaseUrl, "
                      "service.dashboardBaseUrl); it cannot be replaced", key=True)
            elif isinstance(text, str) and "{{" in text:
                from sre_gen.spec import gotemplate

                problem = gotemplate.check(text)
                if problem:
                    c.add(path + ("annotations", key), f"invalid Prometheus template: {problem}")
    _check_names(c)


def _check_names(c) -> None:
    """An SLO's alert name is its own: not another SLO's, not another generated alert's
    (runbook pages, Alertmanager inhibitions and the proofs key alerts by name); a custom alert
    taking it is reported at the custom alert (semantic._check_alert_names)."""
    service = c.data["service"]["name"]
    settings = c.data.get("settings") if isinstance(c.data.get("settings"), dict) else {}
    prefix = conventions.alert_prefix(service, settings.get("alertPrefix", ""))
    others: dict[str, str] = {}
    for _, slo in c.items(("slos",)):
        name = str(slo.get("name", ""))
        for fn in (conventions.slo_alert_exhausted, conventions.slo_alert_absent,
                   conventions.slo_alert_unknown):
            others[fn(prefix, name)] = f"the generated alert of SLO {name!r}"
        if not _explicit(slo):
            others[conventions.slo_alert_burn(prefix, name)] = \
                f"the burn-rate alert of SLO {name!r}"
    seen: dict[str, tuple] = {}
    for path, slo in c.items(("slos",)):
        name = _explicit(slo)
        if not name:
            continue
        where = path + ("alerting", "name")
        if name in seen:
            line = c.doc.where(seen[name])[0]
            c.add(where, f"alert name {name!r} is already the alert name of another SLO (line "
                         f"{line}); each SLO's burn-rate alerts need their own name")
        elif name in others:
            c.add(where, f"alert name {name!r} is already {others[name]}")
        else:
            seen[name] = where


def _explicit(slo: dict) -> str | None:
    alerting = slo.get("alerting")
    name = alerting.get("name") if isinstance(alerting, dict) else None
    return name if isinstance(name, str) and name else None


def _at(data, path: tuple):
    try:
        for part in path:
            data = data[part]
    except (KeyError, IndexError, TypeError):
        return None
    return data
