"""Semantic checks of ``regions`` (multi-region failover) the JSON Schema cannot express.

Called from ``sre_gen.spec.semantic.check`` with its checker; every problem names the field
(file:line:col: regions.failover.errorRateSpike.slo: ...)."""

from __future__ import annotations

from decimal import Decimal

from sre_gen import conventions
from sre_gen.durations import format_duration, to_decimal

ROLE_KEYS = ("primary", "secondary", "disasterRecovery")
TRIGGERS = ("regionUnavailable", "errorRateSpike", "healthCheckFailing")
MAX_BASELINE = 7 * 86400  # sum_over_time of a per-minute series: 10,080 samples at most


def check(c, runbooks: list[str]) -> None:
    reg = c.data.get("regions")
    if not isinstance(reg, dict):
        return
    with c.guard():
        _check_names(c, reg)
    with c.guard():
        _check_replication(c, reg)
    failover = reg.get("failover")
    if not isinstance(failover, dict):
        return
    if isinstance(failover.get("runbook"), str) and failover["runbook"] not in runbooks:
        from sre_gen.spec.semantic import _missing

        c.add(("regions", "failover", "runbook"), _missing("runbook", failover["runbook"],
                                                           runbooks))
    label = reg.get("label", "region")
    for key in ("regionUnavailable", "healthCheckFailing"):
        trig = failover.get(key)
        if isinstance(trig, dict):
            with c.guard():
                c.duration(("regions", "failover", key, "for"), trig.get("for"))
                sel = (trig.get("signal") or {}).get("selector") or {}
                if isinstance(label, str) and label in sel:
                    c.add(("regions", "failover", key, "signal", "selector", label),
                          f"do not select {label}: sre-gen adds the region matcher for each "
                          "region itself", key=True)
    spike = failover.get("errorRateSpike")
    if isinstance(spike, dict):
        with c.guard():
            _check_spike(c, spike, label)


def _check_names(c, reg: dict) -> None:
    seen: dict[str, str] = {}
    for key in ROLE_KEYS:
        name = reg.get(key)
        if not isinstance(name, str):
            continue
        if name in seen:
            c.add(("regions", key), f"region {name!r} is also the {seen[name]} region: each role "
                                    "needs its own region")
        else:
            seen[name] = key
    label = reg.get("label")
    if isinstance(label, str) and label in conventions.RESERVED_LABELS:
        c.add(("regions", "label"), f"label {label!r} is set by sre-gen itself on the recorded "
                                    "series; name the label your series carry the region in")
    metadata = [("service", "labels")] + [p + ("labels",) for p, _ in c.items(("slos",))]
    label = label if isinstance(label, str) else "region"
    for path in metadata:
        node = c.data
        with c.guard():
            for part in path:
                node = node[part]
            if label in node:
                c.add(path + (label,), f"label {label!r} names the region on the failover "
                                       "alerts (regions.label); choose another name for this "
                                       "metadata label", key=True)


def _check_replication(c, reg: dict) -> None:
    entries = c.items(("regions", "replication"))
    c.unique(entries, "data", "data kind")
    for path, item in entries:
        for i, role in enumerate(item.get("to") or ()):
            if isinstance(role, str) and role in ROLE_KEYS and role not in reg:
                c.add(path + ("to", i), f"replicates to the {role} region, but regions.{role} "
                                        "is not set")


def _check_spike(c, spike: dict, label: object) -> None:
    path = ("regions", "failover", "errorRateSpike")
    c.duration(path + ("for",), spike.get("for"))
    baseline = c.duration(path + ("baseline",), spike.get("baseline"))
    settings = c.data.get("settings") if isinstance(c.data.get("settings"), dict) else {}
    base = c.duration(("settings", "baseWindow"), settings.get("baseWindow", "5m")) or 300
    if baseline is not None and not base * 12 <= baseline <= MAX_BASELINE:
        c.add(path + ("baseline",), f"the baseline must span at least 12 base windows "
                                    f"({format_duration(base * 12)}) and at most "
                                    f"{format_duration(MAX_BASELINE)}, got "
                                    f"{format_duration(baseline)}")
    name = spike.get("slo")
    slos = {s.get("name"): (p, s) for p, s in c.items(("slos",))}
    if not isinstance(name, str):
        return
    if name not in slos:
        from sre_gen.spec.semantic import _missing

        c.add(path + ("slo",), _missing("SLO", name, [k for k in slos if isinstance(k, str)]))
        return
    slo_path, slo = slos[name]
    sli = slo.get("sli") or {}
    sources = []
    if isinstance(sli.get("ratio"), dict):
        sources = [v for v in sli["ratio"].values() if isinstance(v, dict)]
    elif isinstance(sli.get("latency"), dict):
        sources = [sli["latency"]]
    if not sources or any("query" in s for s in sources):
        c.add(path + ("slo",), f"SLO {name!r} must have a ratio or latency SLI given as metric "
                               "and selector: sre-gen computes its error ratio per region by "
                               "adding the region matcher (a gauge or raw-query SLI cannot be "
                               "split by region)")
        return
    for s in sources:
        sel = s.get("selector") or {}
        if isinstance(label, str) and label in sel:
            c.add(path + ("slo",), f"SLO {name!r} selects {label} itself; the region error "
                                   "ratio needs an SLI over every region")
            return
    factor = to_decimal(spike.get("factor", 10))
    if "floor" in spike:
        floor = to_decimal(spike["floor"])
    else:
        objective = to_decimal(slo.get("objective"))
        floor = (100 - objective) / 100
    if factor * floor >= 1:
        where = path + ("floor",) if "floor" in spike else path + ("factor",)
        c.add(where, f"factor x floor is {_show(factor * floor)}: an error ratio can never exceed "
                     f"it, so the alert could never fire; lower the factor or the floor")


def _show(value: Decimal) -> str:
    from sre_gen.durations import num

    return num(value)
