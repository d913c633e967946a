"""The fleet dashboard: one Grafana dashboard over every service of the run, written beside the
service folders as ``<out>/_fleet/grafana/fleet.json`` (uid ``sre-gen-fleet``).

With ``grafana/provisioning/dashboards/fleet.yaml``, a provider that loads it. One table row per
service: SLOs met (of those known), SLO compliance, error budget left (the
worst SLO's: ``1 - service:sre_gen_error_budget_utilization:max``), the fastest current burn
rate and the firing alerts (``ALERTS{service, alertstate="firing"}``), then the services'
compliance and budget utilization over time. It reads only the KPI series
``sre_gen.compile.kpis`` records for each service and ``ALERTS``; every service name goes
through ``promql.quote``. A service whose SLOs are all unknown shows its counts (0 of 0 known)
and empty compliance, budget and burn cells: unknown, never "met" or "burning".

"The run" is the services of the command: every ``specs/*.yaml`` by default, else the spec files
given; ``sre-gen check`` compares the fleet dashboard of the same set.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sre_gen import conventions as cv
from sre_gen import promql
from sre_gen.model import Matcher, Service

TIME_RANGE = ("now-7d", "now")


def build(services: list[Service]) -> dict[str, str]:
    """The fleet folder's files (relative to ``<out>/_fleet``)."""
    from sre_gen.compile import dashboards

    return {cv.FLEET_DASHBOARD_FILE: dashboards.render(fleet_dashboard(services)),
            cv.FLEET_PROVISIONING_FILE: provisioning()}


def provisioning() -> str:
    """A Grafana dashboard provider loading ``_fleet/grafana/`` (mounted at
    ``/var/lib/grafana/dashboards/_fleet``) into the folder "sre-gen fleet"."""
    from sre_gen.compile import dashboards
    from sre_gen.output import yamlfmt

    mount = cv.dashboard_mount_path(cv.FLEET_DIR)
    doc = {"apiVersion": 1, "providers": [{
        "name": "sre-gen-fleet", "orgId": 1, "folder": "sre-gen fleet", "type": "file",
        "disableDeletion": False, "allowUiUpdates": False,
        "updateIntervalSeconds": dashboards.PROVIDER_UPDATE_SECONDS,
        "options": {"path": mount, "foldersFromFilesStructure": False}}]}
    return (f"# Grafana dashboard provider for the fleet dashboard. Assumes the _fleet/grafana/ "
            f"folder\n# is mounted read-only at {mount} and this file is in\n"
            f"# {cv.GRAFANA_PROVISIONING_DIR}/.\n" + yamlfmt.dump(doc))


def _each(services: list[Service], template: str) -> str:
    """``template`` (with ``{svc}``: a ``{service="..."}`` selector) once per service, joined
    with ``or``."""
    return "\nor\n".join(template.format(svc=promql.matchers([(cv.LABEL_SERVICE, s.name)]))
                         for s in services)


FLEET_SECTION = ("fleet",)  # panel ids: row 0, table 1, compliance 2, budget 3 (never reuse)


def fleet_dashboard(services: list[Service]) -> dict[str, Any]:
    from sre_gen.compile import dashboards as d
    from sre_gen.compile import grafana_fixups

    g = d._grafanalib()
    by = f"max by ({cv.LABEL_SERVICE})"
    firing = "\nor\n".join(
        f"count by ({cv.LABEL_SERVICE}) ({cv.ALERTS}"
        f"{promql.matchers([Matcher(cv.LABEL_SERVICE, '=', s.name), Matcher(cv.LABEL_ALERTSTATE, '=', 'firing')])})"  # noqa: E501
        for s in services)
    firing += "\nor\n" + _each(services, f"{by} (0 * {cv.KPI_SLOS_DEFINED}{{svc}})")
    budget_steps = [("red", None), ("orange", Decimal(0)), ("green", Decimal("0.25"))]
    columns = [  # (refId, expr, title, unit, decimals, thresholds)
        ("A", _each(services, f"{by} ({cv.KPI_SLOS_MET}{{svc}})"), "SLOs met", "short", 0, None),
        ("B", _each(services, f"{by} ({cv.KPI_SLOS_KNOWN}{{svc}})"), "SLOs known", "short", 0,
         None),
        ("C", _each(services, f"{by} ({cv.KPI_SLOS_DEFINED}{{svc}})"), "SLOs defined", "short",
         0, None),
        ("D", _each(services, f"{by} ({cv.KPI_SLO_COMPLIANCE}{{svc}})"), "SLO compliance",
         "percentunit", 1, [("red", None), ("green", Decimal(1))]),
        ("E", _each(services, f"{by} (1 - {cv.KPI_BUDGET_UTILIZATION_MAX}{{svc}})"),
         "Budget left (worst SLO)", "percentunit", 1, budget_steps),
        ("F", _each(services, f"{by} ({cv.KPI_BURN_RATE_MAX}{{svc}})"), "Burn rate (fastest)",
         "short", 2, [("green", None), ("orange", Decimal(1)), ("red", Decimal(10))]),
        ("G", firing, "Firing alerts", "short", 0, [("green", None), ("red", Decimal(1))]),
    ]
    targets = [d._target(g, expr, ref, instant=True, table=True) for ref, expr, *_ in columns]
    overrides = [d._override("byName", cv.LABEL_SERVICE, displayName="Service")]
    for ref, _expr, title, unit, decimals, steps in columns:
        props: dict[str, Any] = {"displayName": title, "unit": unit, "decimals": decimals}
        if steps:
            props["thresholds"] = d._steps_json(steps)
            props["custom.cellOptions"] = {"type": "color-text"}
        overrides.append(d._override("byName", f"Value #{ref}", **props))
    order = {cv.LABEL_SERVICE: 0,
             **{f"Value #{ref}": i for i, (ref, *_r) in enumerate(columns, 1)}}
    table = d._table(
        g, "Services",
        "One row per service: SLOs meeting their objective over their window (of the SLOs "
        "with data, and of all defined), the share met, the error budget left of the worst "
        "SLO (negative: overspent), the fastest current burn rate (1 = spending exactly the "
        "budget) and firing alerts. SLOs without data are unknown: counted in neither.",
        targets, w=24, h=max(6, len(services) + 3), overrides=overrides,
        transformations=[{"id": "merge", "options": {}},
                         {"id": "organize", "options": {"excludeByName": {"Time": True},
                                                        "indexByName": order}}])
    legend = "{{" + cv.LABEL_SERVICE + "}}"
    panels = [
        d._row(g, "Fleet"), table,
        d._timeseries(g, "SLO compliance per service",
                      "Share of each service's SLOs (with data) that meet their objective.",
                      [d._target(g, _each(services, f"{by} ({cv.KPI_SLO_COMPLIANCE}{{svc}})"),
                                 "A", legend)],
                      unit="percentunit", w=12, min_=0, max_=1, decimals=0),
        d._timeseries(g, "Error budget utilization per service (worst SLO)",
                      "Share of the worst SLO's budget spent over its window: 1 = all of it.",
                      [d._target(g, _each(services,
                                          f"{by} ({cv.KPI_BUDGET_UTILIZATION_MAX}{{svc}})"),
                                 "A", legend)],
                      unit="percentunit", w=12, decimals=0,
                      steps=[("green", None), ("red", Decimal(1))], thresholds_style="dashed"),
    ]
    panels = [d._keyed(p, FLEET_SECTION, role) for role, p in enumerate(panels)]
    links = [d._link(g, f"{s.name} SLOs", cv.dashboard_url("", s.name, cv.SLO_DASHBOARD),
                     icon="dashboard", dashboard=True, tooltip=f"The SLO dashboard of {s.name}")
             for s in services]
    variable = g.Template(name=d.DATASOURCE_VARIABLE, query="prometheus", type="datasource",
                          label="Data source", hide=0, refresh=1, regex="")
    refresh = services[0].settings.dashboard_refresh if services else "1m"
    names = ", ".join(s.name for s in services)
    dash = g.Dashboard(
        title="sre-gen fleet / SLOs",
        uid=cv.FLEET_DASHBOARD_UID,
        description=(f"SRE KPIs of {len(services)} service(s): {d.md(names)}. Generated by "
                     "sre-gen from the specs of the run; do not edit."),
        tags=[*d.TAGS, "fleet"],
        editable=False, graphTooltip=1, refresh=refresh, time=g.Time(*TIME_RANGE),
        timezone="utc", templating=g.Templating(list=[variable]), links=links, panels=panels,
    )
    return grafana_fixups.normalize(d._data(dash))
