"""SRE KPIs per service, recorded from the SLO series every SLO group already records.

Group ``sre-gen:<service>:kpis`` (after the SLO groups; it reads their series of the previous
evaluation in Prometheus, of the same one under promtool's group_eval_order):

- ``slo:objective_met:bool`` per SLO: 1 while the error ratio over the SLO window is within the
  error budget (``slo:period_error_budget_remaining:ratio >= 0``), else 0;
- ``service:sre_gen_slo_compliance:ratio``: the share of the service's *known* SLOs that meet
  their objective; ``service:sre_gen_slos_met:count``, ``service:sre_gen_slos_known:count`` and
  ``service:sre_gen_slos_defined:count`` (every SLO of the spec, from its info series);
- ``service:sre_gen_error_budget_utilization:max`` / ``:avg``: the budget consumed over the SLO
  window (``slo:period_burn_rate:ratio``; 1 = all of it), the worst and the mean SLO;
- ``service:sre_gen_burn_rate:max``: the fastest current burn rate (base window).

Unknown is neither met nor burning: an SLO without an evaluable error ratio over its window (no
data, no traffic: its ratio is absent or NaN) records no ``slo:objective_met:bool`` sample and
is left out of every aggregate (``x == x`` drops NaN), so it counts in ``slos_defined`` only;
with no known SLO ``slos_met`` and ``slos_known`` read 0 and the compliance, utilization and
burn-rate series are absent (unknown), never 0 or 1.
"""

from __future__ import annotations

from sre_gen import promql
from sre_gen import conventions as cv
from sre_gen.compile.rulebase import Group, Rule
from sre_gen.model import Service


def _known(series: str) -> str:
    """The series without NaN samples (NaN == NaN is false)."""
    return f"({series} == {series})"


def recording_group(service: Service) -> Group | None:
    if not service.slos:
        return None
    sel = promql.matchers([(cv.LABEL_SERVICE, service.name)])
    ids = ((cv.LABEL_SERVICE, service.name),)
    remaining = f"{cv.SLO_BUDGET_REMAINING}{sel}"
    met = f"{cv.SLO_OBJECTIVE_MET}{sel}"
    by = f"by ({cv.LABEL_SERVICE})"
    defined = f"count {by} ({cv.SLO_INFO}{sel})"
    none = f"0 * {defined}"  # 0 met / 0 known while no SLO is known (not "no data")
    # per SLO: met when every group of a grouped SLO is (min), and only sre-gen's identity labels
    # (none of slothCompat's sloth_* labels)
    objective_met = (f"min by ({cv.LABEL_SERVICE}, {cv.LABEL_SLO}) (\n"
                     f"  ({remaining} >= bool 0)\n  and\n  {_known(remaining)}\n)")
    rules = (
        Rule(record=cv.SLO_OBJECTIVE_MET, expr=objective_met),
        Rule(record=cv.KPI_SLOS_MET, expr=f"sum {by} ({met})\nor\n{none}", labels=ids),
        Rule(record=cv.KPI_SLOS_KNOWN, expr=f"count {by} ({met})\nor\n{none}", labels=ids),
        Rule(record=cv.KPI_SLOS_DEFINED, expr=defined, labels=ids),
        Rule(record=cv.KPI_SLO_COMPLIANCE, expr=f"avg {by} ({met})", labels=ids),
        Rule(record=cv.KPI_BUDGET_UTILIZATION_MAX,
             expr=f"max {by} {_known(f'{cv.SLO_PERIOD_BURN_RATE}{sel}')}", labels=ids),
        Rule(record=cv.KPI_BUDGET_UTILIZATION_AVG,
             expr=f"avg {by} {_known(f'{cv.SLO_PERIOD_BURN_RATE}{sel}')}", labels=ids),
        Rule(record=cv.KPI_BURN_RATE_MAX,
             expr=f"max {by} {_known(f'{cv.SLO_CURRENT_BURN_RATE}{sel}')}", labels=ids),
    )
    return Group(cv.group_named(service.name, "kpis"), service.settings.evaluation_interval,
                 rules)
