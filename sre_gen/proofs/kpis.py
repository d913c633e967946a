"""SRE KPI recording rules (``sre_gen.compile.kpis``): compliance, budget utilization and burn
rate over a service's SLOs, with one SLO that meets its objective, one that does not and one
that is unknown.

Part of ``sre_gen.proofs.sections``. The inputs are the SLO series the KPIs read, fed in place of
the SLO recording rules' output (those record nothing without their raw inputs):
``slo:period_burn_rate:ratio`` (the share of the budget spent over the SLO window; the SLO
rules derive the budget remaining from it) and ``slo:current_burn_rate:ratio``. Every SLO's
``sre_gen_slo_info`` is recorded by its rule (``vector(1)``), so ``slos_defined`` counts the
spec's SLOs, and the SLOs not fed are unknown too.
"""

from __future__ import annotations

from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.compile.rulebase import Rule
from sre_gen.model import GaugeSLI, LatencySLI, Service
from sre_gen.proofs import feed
from sre_gen.proofs import model as pm
from sre_gen.proofs.sections import _file

# (name, spent share of the budget over the window, current burn rate); None = NaN (unknown)
CASES = (("met", Fraction(3, 5), Fraction(2)), ("missed", Fraction(3, 2), Fraction(1, 2)),
         ("unknown", None, None))


def _feedable(slo) -> bool:
    """The SLO's rules record nothing without inputs (so fed series do not collide)."""
    sli = slo.sli
    if isinstance(sli, LatencySLI):
        return True
    if isinstance(sli, GaugeSLI):
        return not pm.outputs_without_inputs(sli.query)
    return all(src.query is None or not pm.outputs_without_inputs(src.query.replace(
        "{{window}}", "5m")) for src in (sli.events, sli.total))


def kpi_file(service: Service, alerts: list[Rule]) -> pm.PromtoolFile | None:
    slos = [s for s in service.slos if _feedable(s)]
    if len(service.slos) < 1 or not slos:
        return None
    E = service.settings.evaluation_interval
    f = _file(service, "kpis", E, [
        f"Inputs: {cv.SLO_PERIOD_BURN_RATE} (the share of the budget spent over the SLO window; "
        f"the SLO rules derive {cv.SLO_BUDGET_REMAINING} from it) and {cv.SLO_CURRENT_BURN_RATE}"
        ", fed in place of the SLO rules' output (they record nothing without raw inputs). "
        f"Every SLO's {cv.SLO_INFO} is recorded by its rule, so slos_defined counts the spec's "
        "SLOs; SLOs not fed have no data (unknown)."])
    f.comments[0] = f"promtool tests of the SRE KPI recording rules of {service.name}."
    at = 10 * E
    n = at // E + 1
    chosen = list(zip(CASES, slos))
    ident = {cv.LABEL_SERVICE: service.name}
    sel = feed.series("", ident)
    g = pm.Group(name="KPIs: one SLO met, one missed, one unknown (NaN), the rest without data",
                 interval=E)
    for (case, spent, burn), slo in chosen:
        ids = {**ident, cv.LABEL_SLO: slo.name}
        for metric, value in ((cv.SLO_PERIOD_BURN_RATE, spent),
                              (cv.SLO_CURRENT_BURN_RATE, burn)):
            g.inputs.append((feed.series(metric, ids),
                             " ".join(["NaN"] * (n + 1)) if value is None else f"{feed.show(value)}x{n}"))
        g.comments.append(f"{slo.name} ({case}): budget spent "
                          f"{'NaN' if spent is None else feed.show(spent)}, burn rate "
                          f"{'NaN' if burn is None else feed.show(burn)}.")
        met_sel = feed.series(cv.SLO_OBJECTIVE_MET, ids)
        if spent is None:
            g.expr_tests.append({"expr": met_sel, "eval_time": pm.dur(at), "exp_samples": []})
        else:
            g.expr_tests.append(pm.exact_test(met_sel, cv.SLO_OBJECTIVE_MET, ids, at,
                                              1 if spent <= 1 else 0))
    known = [(s, b) for (_, s, b), _ in chosen if s is not None]
    met = sum(1 for s, _ in known if s <= 1)
    expect = {cv.KPI_SLOS_MET: Fraction(met), cv.KPI_SLOS_KNOWN: Fraction(len(known)),
              cv.KPI_SLOS_DEFINED: Fraction(len(service.slos))}
    if known:
        expect[cv.KPI_SLO_COMPLIANCE] = Fraction(met, len(known))
        expect[cv.KPI_BUDGET_UTILIZATION_MAX] = max(s for s, _ in known)
        expect[cv.KPI_BUDGET_UTILIZATION_AVG] = sum(s for s, _ in known) / len(known)
        expect[cv.KPI_BURN_RATE_MAX] = max(b for _, b in known)
    for metric, value in expect.items():
        test = pm.value_test(f"{metric}{sel}", ident, at, value)
        if test is not None:
            g.expr_tests.append(test)
    f.groups.append(g)
    # nothing known: counts are 0, the ratios absent (unknown), never 0 or 1
    u = pm.Group(name="KPIs: no SLO known: 0 met of 0 known, compliance and utilization absent",
                 interval=E)
    for (_, _, _), slo in chosen:
        ids = {**ident, cv.LABEL_SLO: slo.name}
        for metric in (cv.SLO_PERIOD_BURN_RATE, cv.SLO_CURRENT_BURN_RATE):
            u.inputs.append((feed.series(metric, ids), " ".join(["NaN"] * (n + 1))))
    u.comments.append("Every fed SLO reads NaN (no traffic over its window); the others have no "
                      "data.")
    for metric in (cv.KPI_SLOS_MET, cv.KPI_SLOS_KNOWN):
        u.expr_tests.append(pm.exact_test(f"{metric}{sel}", metric, ident, at, 0))
    for metric in (cv.KPI_SLO_COMPLIANCE, cv.KPI_BUDGET_UTILIZATION_MAX,
                   cv.KPI_BUDGET_UTILIZATION_AVG, cv.KPI_BURN_RATE_MAX):
        u.expr_tests.append({"expr": f"{metric}{sel}", "eval_time": pm.dur(at),
                             "exp_samples": []})
    f.groups.append(u)
    return f
