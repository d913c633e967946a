"""promtool tests of the non-SLO alerts: golden signals, security, backups against their RPO,
capacity forecasts, autoscaling, and the custom alerts' own ``tests:`` from the spec: one module
each (``golden_signals``, ``security``, ``backups``, ``capacity``, ``custom_alerts``); the
shared helpers here.

Each alert gets at least one firing and one silent case. Inputs are the raw series when the rule
reads a plain selector or counter (``metric{...}``, ``sum(rate(metric{...}[w]))``), otherwise the
section's recorded series (``service:golden_signal:value`` ...) is fed in place of the rule's
output: the rule records nothing when its raw inputs are absent. A rule whose query can return
a sample without any input (``vector(1)``, ``absent(x)``) cannot be stood in for and is listed
as untested.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.proofs import model as pm
from sre_gen.compile.rulebase import Rule
from sre_gen.model import Service

WOBBLE = (Fraction(1), 1 + Fraction(1, 10 ** 9), 1 - Fraction(1, 10 ** 9))


def _f(value: Decimal | int | str) -> Fraction:
    return Fraction(Decimal(str(value)))


def _expected(rule: Rule, labels: dict, value: Fraction | None) -> dict | None:
    """Fully expanded alert, or None if the text is unstable around ``value`` or unsupported."""
    texts = set()
    got = None
    for w in (WOBBLE if value is not None else (Fraction(1),)):
        got = pm.expected_alert(rule, labels, float(value * w) if value is not None else None)
        if got is None:
            return None
        texts.add(repr(got))
    return got if len(texts) == 1 else None


def _firing(rule: Rule, labels: dict, value: Fraction | None) -> dict:
    """One exp_alerts entry, or the ALERTS-series form (as a marker dict) when the annotations
    cannot be expanded."""
    got = _expected(rule, labels, value)
    if got is not None:
        return got
    return {"alerts_series": True, "rule": rule, "labels": labels, "value": value}


def _add_checks(g: pm.Group, at: int, by_name: dict[str, list[Rule]],
                firing: dict[str, list[dict]]) -> None:
    """alert_rule_test per alert name at ``at``: ``firing[name]`` (entries from ``_firing``)."""
    for name in sorted(by_name):
        entries = firing.get(name, [])
        if any("alerts_series" in e for e in entries):
            for rule in by_name[name]:
                entry = next((e for e in entries if e.get("rule") is rule), None)
                if entry is None:
                    continue
                g.expr_tests.append(pm.alerts_series_test(
                    rule, entry["labels"], at, True,
                    None if entry["value"] is None else float(entry["value"]),
                    select=tuple(k for k in (cv.LABEL_LEVEL,) if rule.label(k))))
            continue
        g.alert_tests.append(pm.alert_test(name, at, entries))


def _group_by_name(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {}
    for r in rules:
        out.setdefault(r.alert, []).append(r)
    return out


def _file(service: Service, section: str, every: int, comments: list[str]) -> pm.PromtoolFile:
    f = pm.PromtoolFile(path=cv.promtool_section_test_file(section), evaluation_interval=every)
    f.comments = [f"promtool tests of the {section} alerts of {service.name}.",
                  "Run: sre-gen test (or: promtool test rules <this file>).", *comments]
    return f


def _stand_in_ok(query: str) -> bool:
    return not pm.outputs_without_inputs(query)


# ---- wiring checks (shared) ----------------------------------------------------------------------


def wiring_group(name: str, comment: str, checks: list[tuple[str, str]],
                 every: int) -> pm.Group | None:
    """Feed the inputs of raw queries (every selector gets a series) and check that each
    recording rule over them records one sample: it reads the series it should. ``checks``:
    (query, recorded series selector)."""
    at = pm.ceil_to(300 + 5 * every, every)
    inputs = pm.wiring_inputs([q for q, _ in checks], 60, at // 60 + 1)
    if inputs is None:
        return None
    g = pm.Group(name=name, interval=60, comments=[comment], inputs=inputs)
    for _, recorded in checks:
        g.expr_tests.append({"expr": f"count({recorded})", "eval_time": pm.dur(at),
                             "exp_samples": [{"labels": "{}", "value": 1}]})
    return g


def _wirable(queries: list[str]) -> bool:
    return all(_stand_in_ok(q) and pm.query_selectors(q) for q in queries)


def _firing_map(rules: list[Rule], labels: dict, value: Fraction) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rules:
        out.setdefault(r.alert, []).append(_firing(r, labels, value))
    return out


def section_test_files(service: Service, alerts: list[Rule]) -> list[pm.PromtoolFile]:
    from sre_gen.proofs import (backups, capacity, custom_alerts, golden_signals, kpis, regions,
                                security)

    out = []
    for build in (golden_signals.golden_file, security.security_file, backups.backup_file,
                  capacity.capacity_file, capacity.autoscaling_file, regions.regions_file,
                  kpis.kpi_file, custom_alerts.custom_file):
        got = build(service, alerts)
        if got is not None:
            out.append(got)
    return out
