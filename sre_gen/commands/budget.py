"""``sre-gen budget``: the error-budget gate a CI pipeline runs before a feature deploy (and the
chaos pipeline before an experiment, with ``--min-remaining``).

1. Load and validate the specs (exit 3 when one is invalid).
2. Ask the Prometheus at ``--prometheus`` (or ``$SRE_GEN_PROMETHEUS_URL``) for every SLO's
   budget remaining and burn rates, as recorded by the generated rules (``sre_gen.live.budget``).
3. Print a table per run (text and github formats) and what the error-budget policy says:
   for exhausted budgets halt_new_features plus the spec's ``budgetExhausted`` actions; for the
   others the ``budgetHealthy`` ones. SLOs without data are flagged (a warning) but never fail
   the gate. With ``--format json`` one document: ``{"ok", "exit_code", "budgets": [...],
   "problems", "drift", "services"}``.

Exit 0 when no budget is exhausted or below ``--min-remaining``, 1 when one is, 2 for bad
options, 3 for an invalid spec, 4 when Prometheus cannot be reached or rejects a query.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sre_gen import errors

ENV_URL = "SRE_GEN_PROMETHEUS_URL"
Echo = Callable[..., None]


def run(specs: list[Path] | None, url: str | None, *, timeout: float, ca_file: str | None,
        insecure: bool, min_remaining: str | None, at: float | None = None) -> int:
    from sre_gen import pipeline, report
    from sre_gen.live import budget as gate
    from sre_gen.live import client

    rep = report.current
    if not url:
        raise errors.UsageError(f"no Prometheus to ask: pass --prometheus URL or set {ENV_URL}")
    if not 0 < timeout <= 86400:
        raise errors.UsageError(f"--timeout {timeout:g}: expected seconds in (0, 86400]")
    floor = gate.parse_min_remaining(min_remaining)
    services = pipeline.load_services(pipeline.discover(specs))
    for svc in services:
        rep.service(svc.spec_path, svc.name, len(svc.slos), quiet=True)
    api = client.Prometheus(url, timeout=timeout, ca_file=ca_file, insecure=insecure)
    budgets = gate.evaluate(api, services, floor, at=at)
    rep.data["budgets"] = [gate.as_json(b) for b in budgets]
    rep.data["prometheus"] = api.url
    if floor is not None:
        rep.data["minRemainingPercent"] = gate.num(floor)
    rep.say(gate.table(budgets, floor))
    by_service = {svc.name: svc for svc in services}
    for b in budgets:
        where = f"{b.service}/{b.slo}"
        if b.state == gate.EXHAUSTED:
            rep.annotate("error", f"error budget exhausted: {where}",
                         f"{where}: {gate.percent(b.remaining)} of the error budget left over "
                         f"{gate.format_duration(b.window)}: {gate.HALT}")
        elif b.state == gate.LOW:
            rep.annotate("error", f"error budget below {gate.num(floor)}%: {where}",
                         f"{where}: {gate.percent(b.remaining)} of the error budget left, "
                         f"below --min-remaining {gate.num(floor)}%")
        elif b.state == gate.UNKNOWN:
            rep.annotate("warning", f"error budget unknown: {where}",
                         f"{where}: no budget data in Prometheus (no events in the window, or "
                         "the generated rules are not loaded); counted as not exhausted")
    exhausted = [b for b in budgets if b.state == gate.EXHAUSTED]
    low = [b for b in budgets if b.state == gate.LOW]
    rep.say("")
    if exhausted:
        names = ", ".join(f"{b.service}/{b.slo}" for b in exhausted)
        rep.say(f"policy: budget exhausted for {names}: {gate.HALT} (errorBudgetPolicy.actions."
                f"{gate.ACTION_EXHAUSTED})")
        for name in dict.fromkeys(b.service for b in exhausted):
            for action in by_service[name].policy.budget_exhausted_actions:
                rep.say(f"  - {name}: {action}")
    if low:
        names = ", ".join(f"{b.service}/{b.slo}" for b in low)
        rep.say(f"gate: below --min-remaining {gate.num(floor)}% for {names}: not enough error "
                "budget available")
    healthy = [b for b in budgets if b.action == gate.ACTION_HEALTHY]
    if not exhausted and healthy:
        rep.say(f"policy: budgets healthy (errorBudgetPolicy.actions.{gate.ACTION_HEALTHY})")
        for name in dict.fromkeys(b.service for b in healthy):
            for action in by_service[name].policy.budget_healthy_actions:
                rep.say(f"  - {name}: {action}")
    unknown = [b for b in budgets if b.state == gate.UNKNOWN]
    failed = len(exhausted) + len(low)
    rep.say(f"{len(budgets)} SLO(s): {failed} failing the gate"
            + (f", {len(unknown)} unknown (no data; not counted as exhausted)" if unknown else "")
            + f": exit {errors.EXIT_FAILED if failed else 0}")
    return errors.EXIT_FAILED if failed else 0
