"""Runbook pages of the chaos experiments: ``runbooks/chaos-<experiment>.md``, one per
experiment, rendered with ``chaos.md.j2`` (same environment and escaping as the alert pages).

Each page holds the seed's pipeline around the experiment: pre-experiment checks (system health,
error budget available, notifying the team, rollback ready), what to watch (the affected SLOs'
error ratios against the expected one), the expected alerts with their times
(``sre_gen.experiments``: the workbook's detection math), abort conditions (any page that is not
expected, an error ratio far above the expected one, the spec's own), rollback and the
post-experiment steps. Known pipeline steps get generated content; other step names are listed
as written.
"""

from __future__ import annotations

from decimal import Decimal

from sre_gen import conventions as cv
from sre_gen import experiments as ex
from sre_gen import promql
from sre_gen.compile import chaos
from sre_gen.compile.rulebase import Rule
from sre_gen.durations import format_duration, humanize_duration, num
from sre_gen.model import ChaosExperiment, Service

TEMPLATE = "chaos.md.j2"
ABORT_FACTOR = 2  # abort when an affected SLO's 5m error ratio exceeds twice the expected one

FAULT_TEXT = {
    "network-timeout": "calls to {hosts} time out (their packets are dropped)",
    "connection-loss": "connections to {hosts} drop (packets dropped, no reset)",
    "memory-stress": "stress-ng allocates {size} per worker ({workers} worker(s)) in each pod",
    "cpu-stress": "stress-ng runs {workers} worker(s) at {load}% CPU in each pod",
    "node-failure": "the pods are unavailable (their containers replaced by a pause image)",
}

KNOWN_STEPS = {
    "validate_system_health", "ensure_error_budget_available", "notify_team_of_experiment",
    "prepare_rollback_procedures", "monitor_sli_metrics", "track_user_impact",
    "validate_alerting_systems", "document_system_behavior", "analyze_results",
    "identify_improvements", "update_runbooks", "schedule_follow_up_experiments",
}


def _t(seconds: Decimal | None) -> str:
    """Seconds after the start, for prose: 4m19s (the workbook's exact value rounds)."""
    return "-" if seconds is None else humanize_duration(float(seconds))


def _percent(share: Decimal) -> str:
    return f"{num((share * 100).quantize(Decimal('0.1')).normalize())}%"


def _ids(service: Service, slo: str) -> str:
    return promql.matchers(((cv.LABEL_SERVICE, service.name), (cv.LABEL_SLO, slo)))


def _burn_alert(alerts: list[Rule], slo: str, tier: str) -> Rule | None:
    return next((r for r in alerts if r.kind == "slo-burn" and r.slo == slo and r.tier == tier),
                None)


def _exhausted(alerts: list[Rule], slo: str) -> Rule | None:
    return next((r for r in alerts if r.kind == "slo-exhausted" and r.slo == slo), None)


def experiment_context(service: Service, experiment: ChaosExperiment,
                       alerts: list[Rule]) -> dict:
    program = service.chaos
    assert program is not None
    f = experiment.fault
    obj_file = cv.chaos_experiment_file(experiment.name)
    kind = chaos.kind(experiment)
    slos = []
    expected, silent = [], []
    for o in ex.outcomes(service, experiment):
        name = o.slo.name
        ids = _ids(service, name)
        rows = []
        for t in o.tiers:
            rule = _burn_alert(alerts, name, t.tier.name)
            if rule is None:
                continue
            row = {
                "tier": t.tier.name, "alert": rule.alert, "severity": rule.label(cv.LABEL_SEVERITY),
                "threshold": num(t.threshold), "factor": num(t.tier.burn_rate),
                "long": format_duration(t.tier.long_window),
                "short": format_duration(t.tier.short_window),
                "condition_at": _t(t.condition_at), "fires_at": _t(t.fires_at),
                "resolves_at": _t(t.resolves_at), "fires": t.fires_at is not None,
                "why": t.reason if t.fires_at is None else (
                    f"pages until tier {t.held_by}'s condition takes over" if t.held_by else ""),
                "detection": (f"{num(t.threshold)} / {num(o.impact.error_ratio)} x "
                              f"{format_duration(t.tier.long_window)}"),
            }
            rows.append(row)
            (expected if row["fires"] else silent).append(
                f"{rule.alert} (tier {t.tier.name}, SLO {name})")
        exhausted = _exhausted(alerts, name)
        exhausted_at = None
        if exhausted is not None and o.budget_spent >= 1:
            exhausted_at = _t(o.slo.error_budget * o.slo.window / o.impact.error_ratio)
            expected.append(f"{exhausted.alert} (SLO {name})")
        elif exhausted is not None:
            silent.append(f"{exhausted.alert} (SLO {name})")
        slos.append({
            "name": name,
            "objective": f"{num(o.slo.objective_percent)}%",
            "window": format_duration(o.slo.window),
            "budget": num(o.slo.error_budget),
            "ratio": num(o.impact.error_ratio),
            "assumed": o.impact.assumed,
            "burn_rate": num(o.burn_rate.quantize(Decimal("0.01")).normalize()),
            "spent": _percent(o.budget_spent),
            "spent_ratio": num(o.budget_spent.quantize(Decimal("0.0001"),
                                                       rounding="ROUND_UP").normalize()),
            "overspends": o.budget_spent >= 1,
            "exhausted_alert": exhausted.alert if exhausted is not None else "",
            "exhausted_at": exhausted_at,
            "tiers": rows,
            "ratio_query": f"{cv.sli_error_ratio(service.settings.base_window)}{ids}",
            "remaining_query": f"{cv.SLO_BUDGET_REMAINING}{ids}",
            "abort_query": (f"{cv.sli_error_ratio(service.settings.base_window)}{ids} > "
                            f"{num(min(Decimal(1), o.impact.error_ratio * ABORT_FACTOR))}")
            if o.impact.error_ratio * ABORT_FACTOR < 1 else "",
            "guard": num(o.slo.min_event_rate) if o.slo.min_event_rate is not None else "",
        })
    hosts = ", ".join(f.hosts)
    ns = experiment.namespace
    firing = cv.ALERTS + promql.matchers(((cv.LABEL_SERVICE, service.name),
                                          (cv.LABEL_ALERTSTATE, "firing")))
    return {
        "service": {"name": service.name, "namespace": service.namespace,
                    "index": cv.RUNBOOK_INDEX_FILE},
        "experiment": {
            "name": experiment.name,
            "description": experiment.description,
            "category": experiment.category,
            "kind": kind,
            "fault": FAULT_TEXT[f.kind].format(hosts=hosts, size=f.memory_size,
                                               workers=f.workers, load=f.cpu_load),
            "approximated": chaos.APPROXIMATED.get(f.kind, ""),
            "namespace": ns,
            "labels": ", ".join(f"{k}={v}" for k, v in experiment.labels),
            "blast_radius": experiment.blast_radius,
            "duration": format_duration(experiment.duration),
            "object_file": f"../{obj_file}",
            "apply": f"kubectl apply -f generated/{service.name}/{obj_file}",
            "delete": f"kubectl delete -f generated/{service.name}/{obj_file}",
            "proof": cv.promtool_chaos_test_file(experiment.name),
            "abort_when": list(experiment.abort_when),
            "rollback": list(experiment.rollback),
        },
        "schedule": {
            "cron": program.schedule,
            "name": chaos.schedule_object(service)["metadata"]["name"],
            "file": f"../{cv.CHAOS_SCHEDULE_FILE}",
            "cooldown": format_duration(program.cooldown) if program.cooldown else "none",
        },
        "pipeline": {
            "pre": [(s, s in KNOWN_STEPS) for s in program.pre_experiment],
            "during": [(s, s in KNOWN_STEPS) for s in program.during_experiment],
            "post": [(s, s in KNOWN_STEPS) for s in program.post_experiment],
        },
        "firing_query": firing,
        "slos": slos,
        "expected": expected,
        "silent": silent,
        "abort_factor": ABORT_FACTOR,
    }


def index_entries(service: Service) -> list[dict]:
    if service.chaos is None:
        return []
    return [{"name": e.name, "page": cv.chaos_runbook_file(e.name), "kind": chaos.kind(e),
             "duration": format_duration(e.duration), "blast_radius": e.blast_radius,
             "slos": [i.slo for i in e.impacts]} for e in service.chaos.experiments]
