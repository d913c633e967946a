"""Grafana dashboards from the spec, built with grafanalib 0.7.1, plus a provisioning file.

Under ``generated/<service>/grafana/``:

``<service>-slo.json`` (uid ``conventions.dashboard_uid(service, SLO_DASHBOARD)``)
    Row "Overview": the service and its error-budget policy (text), and a table of every SLO:
    objective, window, SLI over the window, error budget remaining, current burn rate, firing
    alerts. Then one row per SLO:

    * SLI vs objective: ``1 - ratio_rate<base>``, ``1 - ratio_rate<SLO window>`` and the
      recorded objective; the area below the objective is shaded red;
    * error budget remaining: stat of ``slo:period_error_budget_remaining:ratio``;
    * data in the SLO window: stat of how much of the window the recorded base series covers
      (``count_over_time(slo:sli_total:rate<base>[<SLO window>])`` x the evaluation interval),
      orange until the window is full: a young rule set, or a retention shorter than the window
      (Prometheus keeps 15d by default, so a 30d window is silently a 15d one);
    * error budget burn-down over the last SLO window (the panel's own relative time range):
      the share of the budget left since the start of the chart, against the ideal linear burn
      (1 at the first data of the chart, 0 at its end). Spent(t) = sum of bad events from the
      chart's start to t / (error budget x all events of the chart), from the recorded base
      series, sampled once per rule evaluation interval; the chart's start and end come from PromQL's
      ``@ start()`` / ``@ end()`` (Prometheus >= 2.33) on ``vector(time())``, which always has a
      value, so the lines start at the first evaluation, however young the data (Grafana's
      ``$__from``/``$__to`` would not follow the panel's own time range);
    * burn rate per recorded window (``ratio_rate<W> / error budget``) with each tier's burn-rate
      factor drawn as a dashed threshold line;
    * the SLO's pending and firing alerts (``ALERTS{service, slo}``).

``<service>-golden-signals.json`` (uid ``conventions.dashboard_uid(service, GOLDEN_DASHBOARD)``)
    Row "Overview": text and the service's pending and firing alerts. Rows "Latency", "Traffic",
    "Errors", "Saturation": one time series per indicator of ``service:golden_signal:value``
    with its warning/critical (traffic: low/high) thresholds as dashed lines; with
    ``autoscaling``, HPA current/desired/max replicas (kube-state-metrics) under "Saturation".

``provisioning/dashboards/<service>.yaml``
    A Grafana dashboard provider (``apiVersion: 1``, ``type: file``) loading the JSON files from
    ``conventions.dashboard_mount_path(service)`` (``/var/lib/grafana/dashboards/<service>``) into
    a folder named after the service.

Both dashboards: a ``datasource`` variable (type datasource, Prometheus) used by every panel and
query (no ``__inputs``, which file provisioning does not substitute); an annotation of the
service's firing alerts (``ALERTS``) on every time series; links to each other and to the
runbooks; panels on the 24-column grid. Panel ids follow what a panel shows, not where it is
(``sre_gen.panel_ids``): each panel is keyed by its section, ``("slo", <SLO name>)``,
``("indicator", <signal>, <indicator name>)`` (names are unique per signal), ``("signal",
<signal>)`` (a golden-signals row),
``("autoscaling",)`` or ``("overview",)``, and its role number (``SLO_ROLES``, ``OVERVIEW_ROLES``),
so adding, removing, reordering or editing other SLOs never changes its id. Queries only
read series the rules compiler records (``conventions``), ``ALERTS`` and kube-state-metrics'
HPA series; every label value from the spec goes through ``promql.quote``; text from the spec in
markdown (text panels, panel descriptions) is escaped, including Grafana's ``$variable`` syntax.

grafanalib is imported inside ``build`` only, so ``sre-gen validate`` never loads it.
"""

from __future__ import annotations

import json
import math
import os
import re
from decimal import Decimal
from json.encoder import encode_basestring as _encode_str  # json.dumps' (ensure_ascii=False)
from pathlib import Path
from typing import Any

from sre_gen import conventions as cv
from sre_gen import panel_ids, prose, promql
from sre_gen.durations import format_duration, humanize_duration, num
from sre_gen.model import SLO, GoldenSignal, Matcher, Service
from sre_gen.output import yamlfmt
from sre_gen.windows import slo_windows

DATASOURCE_VARIABLE = "datasource"
DATASOURCE = {"type": "prometheus", "uid": "${" + DATASOURCE_VARIABLE + "}"}
TAGS = ("sre-gen",)
SIGNALS = (("latency", "Latency"), ("traffic", "Traffic"), ("errors", "Errors"),
           ("saturation", "Saturation"))
# Dashboard time ranges: a week shows the rolling SLO windows' trends; golden signals are about now.
SLO_TIME_RANGE = ("now-7d", "now")
GOLDEN_TIME_RANGE = ("now-6h", "now")
# Colours of the burn-rate tiers, slowest to fastest: the fastest tier is always red.
TIER_COLORS = ("yellow", "orange", "red")
PROVIDER_UPDATE_SECONDS = 60
# Panel roles within a section (sre_gen.panel_ids.PanelKey): the panel id is derived from the
# section and this number, so these numbers never change; a new kind of panel takes a new number.
ROLE_ROW = 0
OVERVIEW_ROLES = {"row": 0, "about": 1, "table": 2}  # section ("overview",)
SLO_ROLES = {"row": 0, "sli": 1, "budget": 2, "data": 3, "burn-down": 4, "burn-rate": 5,
             "alerts": 6}  # section ("slo", <SLO name>)
OVERVIEW = ("overview",)


# ---- entry point --------------------------------------------------------------------------------
def build(service: Service, ctx: object) -> dict[str, str]:
    files = {cv.dashboard_file(service.name, cv.SLO_DASHBOARD): render(slo_dashboard(service))}
    if has_golden_dashboard(service):
        files[cv.dashboard_file(service.name, cv.GOLDEN_DASHBOARD)] = \
            render(golden_dashboard(service))
    files[cv.dashboard_provisioning_file(service.name)] = provisioning(service)
    return files


def has_golden_dashboard(service: Service) -> bool:
    """The golden-signals dashboard is written when it shows something the SLO dashboard does
    not: golden signals, the HPA, or alerts that are not an SLO's (custom, security, backups,
    capacity, regions: their dashboard_url points at it). A service with SLOs alone gets none."""
    if service.golden_signals or service.autoscaling is not None:
        return True
    return any(not (rule.kind or "").startswith("slo-") for rule in _all_alerts(service))


RENDER_WIDTH = 100


def render(dashboard: dict[str, Any], width: int = RENDER_WIDTH) -> str:
    """Canonical JSON: sorted keys, UTF-8 kept, trailing newline; an object or array that fits
    in ``width`` columns where it starts is written on one line, a larger one one member per
    line with a two-space indent (small diffs, a third of the bytes of a fully indented file)."""
    flats: dict[int, str] = {}
    _flat(dashboard, flats)
    return _render(dashboard, 0, 0, width, flats) + "\n"


def _flat(value: Any, flats: dict[int, str]) -> str:
    """``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))``, built
    bottom-up once, remembering each container's one-line form by id (render reuses them instead
    of dumping every subtree again at each level)."""
    if isinstance(value, dict):
        if not all(type(k) is str for k in value):
            flat = _dumps(value)
        else:
            flat = "{" + ", ".join(f"{_encode_str(k)}: {_flat(value[k], flats)}"
                                   for k in sorted(value)) + "}"
    elif isinstance(value, (list, tuple)):
        flat = "[" + ", ".join(_flat(v, flats) for v in value) + "]"
    else:
        return _dumps(value)
    flats[id(value)] = flat
    return flat


def _dumps(value: Any) -> str:
    """json.dumps of one value as above; scalars without building an encoder each time."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if kind is int or (kind is float and math.isfinite(value)):
        return repr(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def _render(value: Any, level: int, column: int, width: int, flats: dict[int, str]) -> str:
    flat = flats.get(id(value)) if isinstance(value, (dict, list, tuple)) else None
    if flat is None:
        flat = _dumps(value)
    if not isinstance(value, (dict, list, tuple)) or not value or column + len(flat) <= width:
        return flat
    pad = "  " * (level + 1)
    if isinstance(value, dict):
        items = []
        for key in sorted(value):
            head = f"{pad}{_dumps(key)}: "
            items.append(head + _render(value[key], level + 1, len(head), width, flats))
        open_, close = "{", "}"
    else:
        items = [pad + _render(item, level + 1, len(pad), width, flats) for item in value]
        open_, close = "[", "]"
    return open_ + "\n" + ",\n".join(items) + "\n" + "  " * level + close


def provisioning(service: Service) -> str:
    mount = cv.dashboard_mount_path(service.name)
    doc = {
        "apiVersion": 1,
        "providers": [{
            "name": f"sre-gen-{service.name}",
            "orgId": 1,
            "folder": service.name,
            "type": "file",
            "disableDeletion": False,
            "allowUiUpdates": False,
            "updateIntervalSeconds": PROVIDER_UPDATE_SECONDS,
            "options": {"path": mount, "foldersFromFilesStructure": False},
        }],
    }
    note = (
        f"# Grafana dashboard provider for {service.name}. Assumes this service's grafana/ folder\n"
        f"# is mounted read-only at {mount} and this file is in\n"
        f"# {cv.GRAFANA_PROVISIONING_DIR}/ (Grafana reads only the *.json files under the path).\n"
    )
    return note + yamlfmt.dump(doc)


# ---- the SLO dashboard --------------------------------------------------------------------------
def slo_dashboard(service: Service) -> dict[str, Any]:
    g = _grafanalib()
    panels: list[Any] = [_keyed(_row(g, "Overview"), OVERVIEW, OVERVIEW_ROLES["row"])]
    height = max(8, len(service.slos) + 3)
    panels.append(_keyed(_text(g, f"{service.name} SLOs", _slo_about(service), w=8, h=height),
                         OVERVIEW, OVERVIEW_ROLES["about"]))
    if service.slos:
        panels.append(_keyed(_slo_table(g, service, w=16, h=height), OVERVIEW,
                             OVERVIEW_ROLES["table"]))
    alerts = _alerts_by_slo(service)
    variables = group_variables(service)
    for slo in service.slos:
        panels.extend(_slo_row(g, service, slo, alerts.get(slo.name, []), variables))
    return _dashboard(
        g, service, cv.SLO_DASHBOARD, f"{service.name} / SLOs",
        f"SLOs of {service.name}: SLI vs objective, error budget remaining and burn-down, burn "
        "rate per alert window and alerts, from the recording rules sre-gen generates.",
        panels, SLO_TIME_RANGE,
        other=(cv.GOLDEN_DASHBOARD, "Golden signals") if has_golden_dashboard(service) else None,
        variables=[_group_template(g, service, slo, label, name)
                   for (slo_name, label), name in variables.items()
                   for slo in service.slos if slo.name == slo_name])


def group_variables(service: Service) -> dict[tuple[str, str], str]:
    """(SLO name, grouping label) -> the name of its dashboard variable, for every grouped SLO:
    ``<slo>_<label>`` with ``-`` as ``_`` (Grafana variable names are [A-Za-z0-9_]), made unique
    with a number in the rare case two spellings meet."""
    out: dict[tuple[str, str], str] = {}
    taken = {DATASOURCE_VARIABLE}
    for slo in service.slos:
        for label in slo.grouping:
            name = base = f"{slo.name.replace('-', '_')}_{label}"
            n = 2
            while name in taken:
                name, n = f"{base}_{n}", n + 1
            taken.add(name)
            out[(slo.name, label)] = name
    return out


def _group_template(g: Any, service: Service, slo: SLO, label: str, name: str) -> Any:
    """A multi-value variable of a grouping label's values, from the SLO's base series."""
    series = f"{cv.sli_total(service.settings.base_window)}{_ident(service, slo)}"
    return g.Template(name=name, query=f"label_values({series}, {label})",
                      dataSource=dict(DATASOURCE), label=f"{slo.name}: {label}", multi=True,
                      includeAll=True, refresh=2, hide=0, sort=1, regex="")


def _group_ident(service: Service, slo: SLO, variables: dict[tuple[str, str], str]) -> str:
    """The SLO's matchers, and for a grouped SLO each grouping label matched against its
    variable (Grafana writes the selected values as an escaped regex)."""
    pairs = [Matcher(cv.LABEL_SERVICE, "=", service.name), Matcher(cv.LABEL_SLO, "=", slo.name)]
    pairs += [Matcher(label, "=~", "${" + variables[(slo.name, label)] + "}")
              for label in slo.grouping]
    return promql.matchers(pairs)


def _group_legend(slo: SLO, legend: str) -> str:
    """A legend that names the group of a grouped SLO's series (``{{handler}}``)."""
    if not slo.grouping:
        return legend
    return f"{legend} " + " ".join("{{" + label + "}}" for label in slo.grouping)


def _slo_about(service: Service) -> str:
    lines = [md(service.description) if service.description else "", ""]
    facts = [f"**Team:** {md(service.team)}" if service.team else "",
             f"**Namespace:** {md(service.namespace)}" if service.namespace else ""]
    lines += [" · ".join(f for f in facts if f), ""]
    lines.append(
        f"{len(service.slos)} SLOs. One row per SLO: its SLI against the objective, the error "
        "budget left over the SLO window, the budget burn-down since the start of the window "
        "against the ideal linear burn, the burn rate per alert window with each tier's "
        "threshold, and its alerts.")
    policy = service.policy
    for title, actions in (("When an error budget is exhausted", policy.budget_exhausted_actions),
                           ("While error budgets are healthy", policy.budget_healthy_actions)):
        if actions:
            lines += ["", f"**{title}:**", ""] + [f"- {md(a)}" for a in actions]
    lines += ["", _md_links(service, cv.GOLDEN_DASHBOARD, "Golden signals dashboard")
              if has_golden_dashboard(service) else
              f"[Runbooks]({_md_url(_url(service.runbook_base_url))})"]
    return "\n".join(lines).strip("\n")


def _slo_table(g: Any, service: Service, w: int, h: int) -> Any:
    svc = _matchers((cv.LABEL_SERVICE, service.name))
    by = f"max by ({cv.LABEL_SLO})"
    # a grouped SLO shows its worst group: the lowest SLI and budget (the highest burn rate)
    grouped = any(slo.grouping for slo in service.slos)
    worst = f"min by ({cv.LABEL_SLO})" if grouped else by
    sli = "\nor\n".join(
        f"{worst if slo.grouping else by} (1 - {cv.sli_error_ratio(slo.window)}"
        f"{_ident(service, slo)})"
        for slo in service.slos)
    firing = promql.matchers([Matcher(cv.LABEL_SERVICE, "=", service.name),
                              Matcher(cv.LABEL_ALERTSTATE, "=", "firing"),
                              Matcher(cv.LABEL_SLO, "!=", "")])
    columns = [  # (refId, expr, column title, unit, decimals, thresholds)
        ("A", f"{by} ({cv.SLO_OBJECTIVE}{svc})", "Objective", "percentunit",
         _pct_decimals(service.slos), None),
        ("B", f"{by} ({cv.SLO_TIME_WINDOW}{svc})", "Window", "dtdurations", None, None),
        ("C", sli, "SLI over the window", "percentunit", _pct_decimals(service.slos), None),
        ("D", f"{worst} ({cv.SLO_BUDGET_REMAINING}{svc})", "Error budget remaining",
         "percentunit", 1,
         _budget_steps()),
        ("E", f"{by} ({cv.SLO_CURRENT_BURN_RATE}{svc})",
         f"Burn rate ({format_duration(service.settings.base_window)})", "short", 2,
         [("green", None), ("orange", Decimal(1))]),
        ("F", f"count by ({cv.LABEL_SLO}) ({cv.ALERTS}{firing})\nor\n"
              f"{by} (0 * {cv.SLO_OBJECTIVE}{svc})",
         "Firing alerts", "short", 0, [("green", None), ("red", Decimal(1))]),
    ]
    targets = [_target(g, expr, ref, instant=True, table=True) for ref, expr, *_ in columns]
    overrides = [_override("byName", cv.LABEL_SLO, displayName="SLO")]
    for ref, _expr, title, unit, decimals, steps in columns:
        props: dict[str, Any] = {"displayName": title, "unit": unit}
        if decimals is not None:
            props["decimals"] = decimals
        if steps:
            props["thresholds"] = _steps_json(steps)
            props["custom.cellOptions"] = {"type": "color-text"}
        overrides.append(_override("byName", f"Value #{ref}", **props))
    order = {cv.LABEL_SLO: 0, **{f"Value #{ref}": i for i, (ref, *_r) in enumerate(columns, 1)}}
    transformations = [
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": {"Time": True}, "indexByName": order}},
    ]
    return _table(
        g, "SLOs",
        "Every SLO of the service now: objective, window, SLI over the window, share of the "
        "window's error budget left (negative: overspent), burn rate over the base window "
        "(1 = spending exactly the budget) and firing alerts."
        + (" A grouped SLO shows its worst group." if grouped else ""),
        targets, w=w, h=h, overrides=overrides, transformations=transformations)


def _slo_row(g: Any, service: Service, slo: SLO, alerts: list[tuple[str, str]],
             variables: dict[tuple[str, str], str]) -> list[Any]:
    ident = _group_ident(service, slo, variables)  # the constants are one series per SLO
    whole = _ident(service, slo)
    legend = lambda text: _group_legend(slo, text)  # noqa: E731
    base = service.settings.base_window
    window = format_duration(slo.window)
    budget = num(slo.error_budget)
    objective = num(slo.objective_percent)
    links = [_link(g, f"Runbook: {name}", url) for name, url in alerts]
    decimals = _pct_decimals([slo])
    section = panel_ids.slo_section(slo.name)
    out = [_row(g, f"SLO {slo.name}: {objective}% over {window}")]

    sli_targets = [_target(g, f"1 - {cv.sli_error_ratio(base)}{ident}", "A",
                           legend(f"SLI ({format_duration(base)})"))]
    if slo.window != base:
        sli_targets.append(_target(g, f"1 - {cv.sli_error_ratio(slo.window)}{ident}", "B",
                                   legend(f"SLI (rolling {window})")))
    sli_targets.append(_target(g, f"{cv.SLO_OBJECTIVE}{whole}", "C", "objective"))
    out.append(_timeseries(
        g, f"{slo.name}: SLI vs objective",
        _join(md(slo.description) if slo.description else "",
              f"Good events / all events over the base window ({format_duration(base)}) and over "
              f"the rolling SLO window ({window}), against the {objective}% objective (dashed); "
              "the area below the objective is shaded."),
        sli_targets, unit="percentunit", w=8, decimals=decimals, max_=1,
        steps=[("red", None), ("green", slo.objective_ratio)], thresholds_style="area",
        overrides=[_dashed_series("C", "orange")], links=links))

    out.append(_stat(
        g, f"{slo.name}: error budget remaining",
        f"Share of the {window} error budget ({budget} of events may fail) not yet spent over "
        "the rolling window: 100% = untouched, 0 = spent, negative = overspent.",
        [_target(g, f"{cv.SLO_BUDGET_REMAINING}{ident}", "A", legend("remaining"))],
        unit="percentunit", decimals=1, w=4, h=8, steps=_budget_steps()))

    out.append(_stat(
        g, f"{slo.name}: data in the {window} window",
        f"How much of the {window} SLO window the recorded SLI covers ({cv.sli_total(base)} "
        f"samples, one per {format_duration(service.settings.evaluation_interval)} evaluation). "
        f"Below {window}, the SLI over the window, the budget remaining and the burn-down are "
        "computed over this shorter history only: the rules started recording recently, or "
        "Prometheus keeps less than the window (--storage.tsdb.retention.time, default 15d, "
        "must exceed the longest SLO window plus margin).",
        [_target(g, coverage_expr(service, slo, ident), "A", legend("history"), instant=True)],
        unit="dtdurations", w=4, h=8,
        steps=[("orange", None), ("green", Decimal(slo.window) * Decimal("0.99"))]))

    remaining, ideal = burn_down_exprs(service, slo, ident)
    out.append(_timeseries(
        g, f"{slo.name}: error budget burn-down ({window})",
        f"Budget left over the last {window} (panel time range), from the first evaluation in "
        "it on: 1 - bad events since then / (error budget x all events of the range). The dashed "
        "line is the ideal linear burn that spends exactly the budget by the end of the range, "
        "from the first data on; below it, the budget goes faster than planned. When the data "
        f"covers less than {window} (see the data panel), both start at the first data.",
        [_target(g, remaining, "A", legend("budget remaining")),
         _target(g, ideal, "B", "ideal linear burn")],
        unit="percentunit", w=8, decimals=1, time_from=window,
        steps=[("red", None), ("green", Decimal(0))], thresholds_style="area",
        overrides=[_dashed_series("B", "text")]))

    windows = slo_windows(slo, service.settings)
    burn_targets = [
        _target(g, f"{cv.sli_error_ratio(w)}{ident} / {budget}", _ref(i),
                legend(_window_legend(service, slo, w)))
        for i, w in enumerate(windows)]
    tiers = sorted(slo.tiers, key=lambda t: (t.burn_rate, t.long_window))
    colors = (TIER_COLORS[:1] * len(tiers) + TIER_COLORS)[-len(tiers):] if tiers else ()
    tier_text = "; ".join(
        f"{t.name} ({t.severity}): {prose.number(t.burn_rate)}x over {format_duration(t.long_window)} and "
        f"{format_duration(t.short_window)}" for t in slo.tiers)
    out.append(_timeseries(
        g, f"{slo.name}: burn rate per alert window",
        _join("Error ratio over each recorded window divided by the error budget: 1 spends "
              f"exactly the budget over {window}.",
              f"Dashed lines: the tiers' burn-rate thresholds; a tier fires when both its long "
              f"and its short window are above its line. Tiers: {tier_text}." if tiers else
              "This SLO has no burn-rate alert tiers."),
        burn_targets, unit="short", w=16,
        steps=[("green", None)] + [(c, t.burn_rate) for c, t in zip(colors, tiers)],
        thresholds_style="dashed" if tiers else "off", min_=0,
        soft_max=max(t.burn_rate for t in tiers) * Decimal("1.2") if tiers else None))

    out.append(_alerts_table(
        g, f"{slo.name}: alerts",
        "Pending and firing alerts of this SLO (burn-rate tiers, budget exhausted, SLI absent).",
        [(cv.LABEL_SERVICE, service.name), (cv.LABEL_SLO, slo.name)],
        (cv.LABEL_ALERTNAME, cv.LABEL_ALERTSTATE, cv.LABEL_SEVERITY, cv.LABEL_TIER,
         *slo.grouping), w=8, h=8,
        links=links))
    roles = ("row", "sli", "budget", "data", "burn-down", "burn-rate", "alerts")
    assert len(out) == len(roles)
    return [_keyed(panel, section, SLO_ROLES[role]) for panel, role in zip(out, roles)]


def coverage_expr(service: Service, slo: SLO, ident: str | None = None) -> str:
    """Seconds of the SLO window the recorded base series covers: its samples in the window
    times the rule evaluation interval (gaps do not count); per group of a grouped SLO.
    ``ident``: the series' matchers (default: the SLO's)."""
    ident = ident or _ident(service, slo)
    return (f"count_over_time({cv.sli_total(service.settings.base_window)}{ident}"
            f"[{format_duration(slo.window)}]) * {service.settings.evaluation_interval}")


def burn_down_exprs(service: Service, slo: SLO, ident: str | None = None) -> tuple[str, str]:
    """(budget remaining, ideal linear burn) over the query's range, with values from the first
    evaluation in the range on: nothing hinges on a sample at the range's start.

    Samples of the recorded base series, once per rule evaluation interval (``[W:interval]``, the
    rate at which the rules record them), count from the range start on (``start`` = the last
    interval step at or before ``@ start()``, from ``vector(time())``, which always has a value);
    the events of the range come from ``@ end()``. At the range's end both count the same
    samples: a start on an evaluation step is a sample of both in Prometheus 2's closed ranges and
    of neither in Prometheus 3's left-open ones; a start between steps leaves the step before it
    out of both. Before the end, the errors may count one sample of the step before the start. The ideal line goes from 1 at the first sample of the range (``first``) to 0 at
    its end, i.e. it spends exactly the budget of the events the range holds. A grouped SLO has
    a budget line per group; its ideal line starts at the first data of any group (one line,
    so ``on ()`` joins one series). ``ident``: the series' matchers (default: the SLO's)."""
    ident = ident or _ident(service, slo)
    base = service.settings.base_window
    every = format_duration(service.settings.evaluation_interval)
    window = format_duration(slo.window)
    step = f"[{every}:{every}]"
    start = f"last_over_time(vector(time()){step} @ start())"
    end = f"last_over_time(vector(time()){step} @ end())"
    sub = f"[{window}:{every}]"
    first = f"min_over_time(timestamp({cv.sli_total(base)}{ident}){sub} @ end())"
    if slo.grouping:
        first = f"min({first})"
    spent = (f"sum_over_time(({cv.sli_errors(base)}{ident}"
             f" * on () group_left () (vector(time()) >= bool on () {start})){sub})\n/\n"
             f"sum_over_time({cv.sli_total(base)}{ident}{sub} @ end())")
    remaining = f"1 - (\n{spent}\n) / {num(slo.error_budget)}"
    ideal = (f"(\n  1 - (vector(time()) - on () {first})\n"
             f"  / on () ({end} - on () {first})\n) <= 1")
    return remaining, ideal


def _window_legend(service: Service, slo: SLO, window: int) -> str:
    roles = ["base"] if window == service.settings.base_window else []
    for tier in slo.tiers:
        if window == tier.long_window:
            roles.append(f"{tier.name} long")
        if window == tier.short_window:
            roles.append(f"{tier.name} short")
    if window == slo.window:
        roles.append("SLO window")
    return f"{format_duration(window)} ({', '.join(roles)})"


def _budget_steps() -> list[tuple[str, Decimal | None]]:
    return [("red", None), ("orange", Decimal(0)), ("green", Decimal("0.25"))]


# ---- the golden-signals dashboard ---------------------------------------------------------------
def golden_dashboard(service: Service) -> dict[str, Any]:
    g = _grafanalib()
    panels: list[Any] = [_keyed(_row(g, "Overview"), OVERVIEW, OVERVIEW_ROLES["row"])]
    panels.append(_keyed(
        _text(g, f"{service.name} golden signals", _golden_about(service), w=8, h=8),
        OVERVIEW, OVERVIEW_ROLES["about"]))
    panels.append(_keyed(_alerts_table(
        g, "Alerts", f"Pending and firing alerts of {service.name} (all of its rules).",
        [(cv.LABEL_SERVICE, service.name)],
        (cv.LABEL_ALERTNAME, cv.LABEL_ALERTSTATE, cv.LABEL_SEVERITY), w=16, h=8),
        OVERVIEW, OVERVIEW_ROLES["table"]))
    alerts = _alerts_by_subject(service)
    for signal, title in SIGNALS:
        indicators = [gs for gs in service.golden_signals if gs.signal == signal]
        hpa = signal == "saturation" and service.autoscaling is not None
        count = len(indicators) + hpa
        if not count:
            continue
        width = 24 // count if count <= 4 else 8  # at most four per line; three from five on
        panels.append(_keyed(_row(g, title), ("signal", signal), ROLE_ROW))
        for gs in indicators:
            panels.append(_keyed(_golden_panel(g, service, gs, alerts.get(gs.name, []), width),
                                 panel_ids.indicator_section(gs.signal, gs.name), 0))
        if hpa:
            panels.append(_keyed(_hpa_panel(g, service, alerts.get(_HPA_SUBJECT, []), width),
                                 ("autoscaling",), 0))
    return _dashboard(
        g, service, cv.GOLDEN_DASHBOARD, f"{service.name} / Golden signals",
        f"Golden signals of {service.name} (latency, traffic, errors, saturation) against their "
        "alert thresholds, from the recording rules sre-gen generates.",
        panels, GOLDEN_TIME_RANGE, other=(cv.SLO_DASHBOARD, "SLOs"))


def _golden_about(service: Service) -> str:
    lines = [md(service.description) if service.description else "", ""]
    counts = [f"{sum(gs.signal == s for gs in service.golden_signals)} {s}" for s, _ in SIGNALS]
    lines.append(f"Indicators: {', '.join(counts)}. Each panel shows the value the alerting "
                 "rules evaluate, with their thresholds as dashed lines.")
    if service.autoscaling is not None:
        lines += ["", "HPA replicas (current, desired, max) are under Saturation."]
    lines += ["", _md_links(service, cv.SLO_DASHBOARD, "SLO dashboard")]
    return "\n".join(lines).strip("\n")


def _golden_panel(g: Any, service: Service, gs: GoldenSignal, alerts: list[tuple[str, str]],
                  width: int) -> Any:
    sel = _matchers((cv.LABEL_SERVICE, service.name), (cv.LABEL_SIGNAL, gs.signal),
                    (cv.LABEL_INDICATOR, gs.name))
    if gs.signal == "traffic":
        steps: list[tuple[str, Decimal | None]] = [("red" if gs.low is not None else "green", None)]
        if gs.low is not None:
            steps.append(("green", gs.low))
        if gs.high is not None:
            steps.append(("red", gs.high))
        bounds = [f"low {num(gs.low)}" if gs.low is not None else "",
                  f"high {num(gs.high)}" if gs.high is not None else ""]
    else:
        steps = [("green", None)]
        if gs.warning is not None:
            steps.append(("orange", gs.warning))
        if gs.critical is not None:
            steps.append(("red", gs.critical))
        bounds = [f"warning above {num(gs.warning)}" if gs.warning is not None else "",
                  f"critical above {num(gs.critical)}" if gs.critical is not None else ""]
    bounds = [b for b in bounds if b]
    limits = [v for _c, v in steps if v is not None]
    thresholds = (f"Alert thresholds ({gs.unit}): {', '.join(bounds)}, sustained for "
                  f"{humanize_duration(gs.for_seconds)}." if bounds else "No alert thresholds.")
    return _timeseries(
        g, f"{gs.name} ({gs.signal})",
        _join(md(gs.description) if gs.description else "", thresholds),
        [_target(g, f"{cv.GOLDEN_SIGNAL_VALUE}{sel}", "A", gs.name)],
        unit=gs.unit, w=width, steps=steps, thresholds_style="dashed" if limits else "off",
        soft_min=Decimal(0), soft_max=max(limits) * Decimal("1.2") if limits else None,
        links=[_link(g, f"Runbook: {name}", url) for name, url in alerts])


_HPA_SUBJECT = object()


def _hpa_panel(g: Any, service: Service, alerts: list[tuple[str, str]], width: int) -> Any:
    a = service.autoscaling
    assert a is not None
    hpa = cv.hpa_name(a.name, a.provider)
    sel = _matchers((cv.KSM_LABEL_NAMESPACE, service.namespace), (cv.KSM_LABEL_HPA, hpa))
    return _timeseries(
        g, "HPA replicas",
        f"Replicas of the HorizontalPodAutoscaler {md(service.namespace)}/{md(hpa)} "
        f"({a.kind} {md(a.name)}, {a.min_replicas} to {a.max_replicas}) from kube-state-metrics: "
        "current, desired and the maximum (dashed). Desired above current means the HPA cannot "
        "scale; current at max means demand may exceed what it may scale to.",
        [_target(g, f"{cv.KSM_HPA_CURRENT}{sel}", "A", "current"),
         _target(g, f"{cv.KSM_HPA_DESIRED}{sel}", "B", "desired"),
         _target(g, f"{cv.KSM_HPA_MAX}{sel}", "C", "max")],
        unit="short", w=width, decimals=0, min_=0, overrides=[_dashed_series("C", "red")],
        links=[_link(g, f"Runbook: {name}", url) for name, url in alerts])


# ---- alerts of the rules compiler (for runbook links) -------------------------------------------
def _alerts_by_slo(service: Service) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for rule in _all_alerts(service):
        if rule.slo:
            _add_alert(out.setdefault(rule.slo, []), rule)
    return out


def _alerts_by_subject(service: Service) -> dict[Any, list[tuple[str, str]]]:
    out: dict[Any, list[tuple[str, str]]] = {}
    for rule in _all_alerts(service):
        if rule.kind == "golden" and rule.subject:
            _add_alert(out.setdefault(rule.subject, []), rule)
        elif rule.kind.startswith("hpa-"):
            _add_alert(out.setdefault(_HPA_SUBJECT, []), rule)
    return out


def _all_alerts(service: Service) -> list[Any]:
    from sre_gen.compile import rules

    return rules.all_alerts(service)


def _add_alert(items: list[tuple[str, str]], rule: Any) -> None:
    url = rule.annotation("runbook_url")
    if rule.alert and url and (rule.alert, url) not in items:
        items.append((rule.alert, url))


# ---- dashboard and panel builders (grafanalib) --------------------------------------------------
def _grafanalib() -> Any:
    from grafanalib import core

    return core


def _dashboard(g: Any, service: Service, kind: str, title: str, purpose: str, panels: list[Any],
               time_range: tuple[str, str], other: tuple[str, str] | None,
               variables: list[Any] = ()) -> dict[str, Any]:
    from sre_gen.compile import grafana_fixups

    links = []
    if other is not None:
        other_kind, other_title = other
        links.append(_link(g, other_title, _url(cv.dashboard_url("", service.name, other_kind)),
                           icon="dashboard", dashboard=True,
                           tooltip=f"The {other_title.lower()} dashboard of {service.name}"))
    links.append(_link(g, "Runbooks", _url(service.runbook_base_url), icon="doc",
                       tooltip=f"Runbooks of {service.name}'s alerts"))
    annotation = {
        "name": "Firing alerts",
        "datasource": dict(DATASOURCE),
        "enable": True,
        "hide": False,
        "iconColor": "red",
        # the query as a target (Grafana 10+ and its published types; the top-level expr/step
        # of older dashboards is only migrated when Grafana loads them)
        "target": {
            "refId": "Anno",
            "expr": f"{cv.ALERTS}" + promql.matchers([(cv.LABEL_SERVICE, service.name),
                                                      (cv.LABEL_ALERTSTATE, "firing")]),
            "interval": format_duration(service.settings.evaluation_interval),
        },
        "titleFormat": "{{" + cv.LABEL_ALERTNAME + "}}",
        "textFormat": "{{" + cv.LABEL_SEVERITY + "}}",
        "tagKeys": ",".join((cv.LABEL_SEVERITY, cv.LABEL_SLO, cv.LABEL_TIER, cv.LABEL_INDICATOR)),
        "useValueForTime": False,
    }
    variable = g.Template(name=DATASOURCE_VARIABLE, query="prometheus", type="datasource",
                          label="Data source", hide=0, refresh=1, regex="")
    dash = g.Dashboard(
        title=title,
        uid=cv.dashboard_uid(service.name, kind),
        description=f"{purpose} Generated by sre-gen from {_spec_ref(service)}; do not edit.",
        tags=[*TAGS, service.name, kind],
        editable=False,
        graphTooltip=1,
        refresh=service.settings.dashboard_refresh,
        time=g.Time(*time_range),
        timezone="utc",
        templating=g.Templating(list=[variable, *variables]),
        annotations=g.Annotations(list=[annotation]),
        links=links,
        panels=panels,
    )
    return grafana_fixups.normalize(_data(dash))


def _keyed(panel: Any, section: tuple[str, ...], role: int) -> Any:
    """Give a panel its identity (``grafana_fixups.assign_ids`` turns it into the panel id)."""
    panel.id = panel_ids.PanelKey(section, role)
    return panel


def _row(g: Any, title: str) -> Any:
    return g.RowPanel(title=title, gridPos=_grid(g, 24, 1))


def _text(g: Any, title: str, content: str, w: int, h: int) -> Any:
    return g.Text(title=title, content=content, mode="markdown", gridPos=_grid(g, w, h))


def _timeseries(g: Any, title: str, description: str, targets: list[Any], *, unit: str, w: int,
                h: int = 8, steps: list[tuple[str, Decimal | None]] | None = None,
                thresholds_style: str = "off", min_: Decimal | int | None = None,
                max_: Decimal | int | None = None, soft_min: Decimal | None = None,
                soft_max: Decimal | None = None, decimals: int | None = None,
                time_from: str | None = None, overrides: list[dict] | None = None,
                links: list[Any] | None = None) -> Any:
    """A modern time series; grafanalib validates min/max/soft bounds as int only, so the exact
    numbers go through extraJson."""
    custom: dict[str, Any] = {}
    if soft_min is not None:
        custom["axisSoftMin"] = _number(soft_min)
    if soft_max is not None:
        custom["axisSoftMax"] = _number(soft_max)
    defaults: dict[str, Any] = {"custom": custom}
    if min_ is not None:
        defaults["min"] = _number(min_)
    if max_ is not None:
        defaults["max"] = _number(max_)
    return g.TimeSeries(
        title=title, description=description, dataSource=dict(DATASOURCE), targets=targets,
        gridPos=_grid(g, w, h), unit=unit, valueDecimals=decimals,
        thresholds=_thresholds(g, steps or [("green", None)]), thresholdsStyleMode=thresholds_style,
        fillOpacity=10, lineWidth=1, showPoints="never", legendCalcs=["lastNotNull"],
        tooltipMode="multi", tooltipSort="desc", timeFrom=time_from,
        overrides=list(overrides or []), links=list(links or []),
        extraJson={"fieldConfig": {"defaults": defaults}, "options": {"legend": {
            "showLegend": True}}},
    )


def _stat(g: Any, title: str, description: str, targets: list[Any], *, unit: str, w: int, h: int,
          steps: list[tuple[str, Decimal | None]], decimals: int | None = None,
          links: list[Any] | None = None) -> Any:
    return g.Stat(
        title=title, description=description, dataSource=dict(DATASOURCE), targets=targets,
        gridPos=_grid(g, w, h), format=unit, decimals=decimals, reduceCalc="lastNotNull",
        graphMode="area", colorMode="value", textMode="auto", orientation="auto",
        alignment="auto", noValue="No data", color={"mode": "thresholds"},
        thresholds=_thresholds(g, steps), links=list(links or []),
        # Stat options of Grafana 10.4+ that grafanalib does not know.
        extraJson={"options": {"wideLayout": True, "showPercentChange": False,
                                "percentChangeColorMode": "standard"}},
    )


def _table(g: Any, title: str, description: str, targets: list[Any], *, w: int, h: int,
           overrides: list[dict] | None = None, transformations: list[dict] | None = None,
           mappings: list[dict] | None = None, links: list[Any] | None = None,
           color: dict | None = None) -> Any:
    # frameIndex and custom.inspect: required by Grafana's published table types (their defaults)
    extra: dict[str, Any] = {"options": {"frameIndex": 0},
                             "fieldConfig": {"defaults": {"custom": {"inspect": False}}}}
    if mappings:
        extra["fieldConfig"]["defaults"]["mappings"] = mappings
    if color:
        extra["fieldConfig"]["defaults"]["color"] = color
    return g.Table(
        title=title, description=description, dataSource=dict(DATASOURCE), targets=targets,
        gridPos=_grid(g, w, h), unit="short", displayMode="color-text", filterable=False,
        overrides=list(overrides or []), transformations=list(transformations or []),
        links=list(links or []), extraJson=extra,
    )


def _alerts_table(g: Any, title: str, description: str, selector: list[tuple[str, str]],
                  columns: tuple[str, ...], *, w: int, h: int,
                  links: list[Any] | None = None) -> Any:
    expr = f"count by ({', '.join(columns)}) ({cv.ALERTS}{promql.matchers(selector)})"
    return _table(
        g, title, description, [_target(g, expr, "A", instant=True, table=True)], w=w, h=h,
        transformations=[{"id": "organize", "options": {
            "excludeByName": {"Time": True, "Value": True},
            "indexByName": {c: i for i, c in enumerate(columns)}}}],
        mappings=[{"type": "value", "options": {
            "firing": {"text": "firing", "color": "red", "index": 0},
            "pending": {"text": "pending", "color": "orange", "index": 1}}}],
        color={"mode": "fixed", "fixedColor": "text"}, links=links)


def _target(g: Any, expr: str, ref: str, legend: str = "", *, instant: bool = False,
            table: bool = False) -> Any:
    return g.Target(expr=expr, refId=ref, legendFormat=legend, instant=instant,
                    format="table" if table else "time_series", datasource=dict(DATASOURCE))


def _thresholds(g: Any, steps: list[tuple[str, Decimal | None]]) -> list[Any]:
    """grafanalib's Threshold objects (Graph-era shape; grafana_fixups rewrites them)."""
    return [g.Threshold(color, i, 0.0 if value is None else float(value))
            for i, (color, value) in enumerate(steps)]


def _steps_json(steps: list[tuple[str, Decimal | None]]) -> dict[str, Any]:
    """Thresholds in an override (raw JSON: grafanalib has no type for them)."""
    return {"mode": "absolute", "steps": [
        {"color": color, "value": None if value is None else _number(value)}
        for color, value in steps]}


def _override(matcher: str, options: str, **properties: Any) -> dict[str, Any]:
    return {"matcher": {"id": matcher, "options": options},
            "properties": [{"id": k, "value": v} for k, v in properties.items()]}


def _dashed_series(ref: str, color: str) -> dict[str, Any]:
    return {"matcher": {"id": "byFrameRefID", "options": ref}, "properties": [
        {"id": "color", "value": {"mode": "fixed", "fixedColor": color}},
        {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
    ]}


def _link(g: Any, title: str, url: str, *, icon: str = "doc", tooltip: str = "",
          dashboard: bool = False) -> Any:
    """A link; dashboard links keep the time range and the datasource variable."""
    return g.DashboardLink(type="link", title=title, uri=_url(url), icon=icon, tooltip=tooltip,
                           targetBlank=not dashboard, keepTime=dashboard, includeVars=dashboard)


def _grid(g: Any, w: int, h: int) -> Any:
    """Size only: grafana_fixups.layout computes x and y."""
    return g.GridPos(h=h, w=w, x=0, y=0)


def _data(obj: Any) -> Any:
    """grafanalib objects -> plain JSON data (what grafanalib's private DashboardEncoder does)."""
    if hasattr(obj, "to_json_data"):
        return _data(obj.to_json_data())
    if isinstance(obj, dict):
        return {k: _data(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_data(v) for v in obj]
    return obj


# ---- small helpers ------------------------------------------------------------------------------
def _ident(service: Service, slo: SLO) -> str:
    return _matchers((cv.LABEL_SERVICE, service.name), (cv.LABEL_SLO, slo.name))


def _matchers(*pairs: tuple[str, str]) -> str:
    return promql.matchers(list(pairs))


def _ref(index: int) -> str:
    """Query refIds A..Z, then AA, AB..."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def _number(value: Decimal | int) -> int | float:
    """JSON number without float artefacts: ints stay ints, decimals print as written."""
    d = Decimal(value)
    return int(d) if d == d.to_integral_value() else float(num(d))


def _pct_decimals(slos: Any) -> int:
    """Decimals to show an SLI as a percentage: one more than the objective has (99.95 -> 3)."""
    places = [max(0, -slo.objective_percent.normalize().as_tuple().exponent) for slo in slos]
    return max(places, default=0) + 1


def _join(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


def _spec_ref(service: Service) -> str:
    """The spec as ``<folder>/<file>``: the same bytes whatever the working directory."""
    path = Path(os.path.abspath(service.spec_path or "spec.yaml"))
    return f"{path.parent.name}/{path.name}"


def _url(url: str) -> str:
    """A URL for Grafana, which expands ``$var``/``${var}`` in links: ``$`` is percent-encoded."""
    return url.replace("$", "%24")


def _md_links(service: Service, kind: str, title: str) -> str:
    runbooks = _md_url(_url(service.runbook_base_url))
    dashboard = _md_url(cv.dashboard_url("", service.name, kind))
    return f"[Runbooks]({runbooks}) · [{title}]({dashboard})"


_URL_ESCAPES = {"(": "%28", ")": "%29", "<": "%3C", ">": "%3E", " ": "%20", "\\": "%5C",
                "`": "%60", '"': "%22"}


def _md_url(url: str) -> str:
    return "".join(_URL_ESCAPES.get(ch, ch) for ch in url)


# Markdown: punctuation that can start markup anywhere is backslash-escaped; <, >, & and $ become
# HTML entities (Grafana expands $variables in text panels and descriptions before rendering).
_MD_ALWAYS = set("\\`*_{}[]()#+!|~")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "$": "&#36;"}
_MD_LINE_START = re.compile(r"^(\d+)([.)])(?=\s|$)")


def md(text: str) -> str:
    """Text from the spec shown literally in Grafana's markdown (text panels, descriptions)."""
    lines = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip()
        out = "".join(_MD_ENTITIES.get(ch) or (f"\\{ch}" if ch in _MD_ALWAYS else ch)
                      for ch in line)
        if out[:1] in ("-", "=", ".", ":"):  # list item, setext underline, table alignment
            out = "\\" + out
        out = _MD_LINE_START.sub(r"\1\\\2", out)  # "1." would start an ordered list
        lines.append(out)
    return "\n".join(lines)
