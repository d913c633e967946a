"""Build the typed model from a validated spec. The only place that reads the spec's raw dicts."""

from __future__ import annotations

from decimal import Decimal

from sre_gen import conventions, model, promql
from sre_gen.durations import parse_duration, to_decimal
from sre_gen.spec import values
from sre_gen.spec.load import Document


def _pairs(mapping: dict | None) -> tuple[tuple[str, str], ...]:
    return tuple((k, str(v)) for k, v in (mapping or {}).items())


def _dur(text: str | None, default: str) -> int:
    return parse_duration(text if text is not None else default)


def _event_source(src: dict) -> model.EventSource:
    if "query" in src:
        return model.EventSource(query=src["query"])
    return model.EventSource(selector=values.metric_selector(src["metric"], src.get("selector")))


def _sli(sli: dict, grouping: tuple[str, ...] = ()) -> model.SLI:
    if "ratio" in sli:
        r = sli["ratio"]
        good = "good" in r
        return model.RatioSLI(
            events=_event_source(r["good"] if good else r["errors"]),
            total=_event_source(r["total"]),
            events_are_good=good,
        )
    if "latency" in sli:
        lat = sli["latency"]
        return model.LatencySLI(
            histogram=values.metric_selector(lat["histogram"], lat.get("selector")),
            threshold_seconds=values.latency_seconds(lat["threshold"]),
        )
    g = sli["gauge"]
    agg = None
    if "query" in g:
        query = g["query"]
    else:
        agg = g.get("aggregation", "avg")
        by = f" by ({', '.join(grouping)}) " if grouping else ""
        query = f"{agg}{by}({promql.selector(values.metric_selector(g['metric'], g.get('selector')))})"
    return model.GaugeSLI(query=query, op=g["op"], threshold=to_decimal(g["threshold"]),
                          aggregation=agg)


def _tiers(policy: dict, slo: dict, window: int) -> tuple[model.BurnTier, ...]:
    alerting = slo.get("alerting") or {}
    chosen = alerting.get("tiers")
    out = []
    for tier in values.tier_specs(policy):
        if chosen is not None and tier["name"] not in chosen:
            continue
        rate, long_w, short_w = values.resolve_tier(tier, window)
        share = to_decimal(tier["budgetPercent"]) if "budgetPercent" in tier else None
        for_s = parse_duration(tier["for"]) if "for" in tier else 0
        out.append(model.BurnTier(tier["name"], rate, long_w, short_w, tier["severity"], share,
                                  for_s, _pairs(tier.get("labels")),
                                  _pairs(tier.get("annotations"))))
    return tuple(out)


def _slos(doc: Document, spec: dict) -> tuple[model.SLO, ...]:
    policy = spec.get("errorBudgetPolicy") or {}
    default_guard = (policy.get("lowTrafficGuard") or {}).get("minEventRate")
    out = []
    for i, slo in enumerate(spec.get("slos") or ()):
        window = _dur(slo.get("window"), values.DEFAULT_SLO_WINDOW)
        grouping = tuple(slo.get("grouping") or ())
        guard = ((slo.get("alerting") or {}).get("lowTrafficGuard") or {}).get(
            "minEventRate", default_guard)
        out.append(model.SLO(
            name=slo["name"],
            description=slo.get("description", ""),
            objective_percent=to_decimal(slo["objective"]),
            window=window,
            sli=_sli(slo["sli"], grouping),
            tiers=_tiers(policy, slo, window),
            min_event_rate=to_decimal(guard) if guard is not None else None,
            labels=_pairs(slo.get("labels")),
            runbook=slo.get("runbook"),
            line=doc.where(("slos", i))[0],
            alert_name=(slo.get("alerting") or {}).get("name"),
            alert_labels=_pairs((slo.get("alerting") or {}).get("labels")),
            alert_annotations=_pairs((slo.get("alerting") or {}).get("annotations")),
            grouping=grouping,
        ))
    return tuple(out)


def _policy(spec: dict) -> model.ErrorBudgetPolicy:
    policy = spec.get("errorBudgetPolicy") or {}
    alerts = policy.get("alerts") or {}
    ex = alerts.get("budgetExhausted") or {}
    ab = alerts.get("sliAbsent") or {}
    un = alerts.get("sliUnknown") or {}
    actions = policy.get("actions") or {}
    return model.ErrorBudgetPolicy(
        budget_exhausted_actions=tuple(actions.get("budgetExhausted") or ()),
        budget_healthy_actions=tuple(actions.get("budgetHealthy") or ()),
        alerts=model.BudgetAlertSettings(
            exhausted_enabled=ex.get("enabled", True),
            exhausted_severity=ex.get("severity", "warning"),
            absent_enabled=ab.get("enabled", True),
            absent_for=_dur(ab.get("for"), "10m"),
            absent_severity=ab.get("severity", "warning"),
            unknown_enabled=un.get("enabled", True),
            unknown_for=_dur(un.get("for"), "10m"),
            unknown_severity=un.get("severity", "warning"),
        ),
    )


def _golden(doc: Document, spec: dict) -> tuple[model.GoldenSignal, ...]:
    out = []
    gs = spec.get("goldenSignals") or {}
    severities = gs.get("severities") or {}
    default_units = {"latency": "s", "traffic": "reqps", "errors": "percentunit",
                     "saturation": "percentunit"}
    for signal in ("latency", "traffic", "errors", "saturation"):
        for i, ind in enumerate(gs.get(signal) or ()):
            def dec(key: str) -> Decimal | None:
                return to_decimal(ind[key]) if key in ind else None  # noqa: B023

            out.append(model.GoldenSignal(
                name=ind["name"], signal=signal, description=ind.get("description", ""),
                query=ind["query"], unit=ind.get("unit", default_units[signal]),
                warning=dec("warning"), critical=dec("critical"), low=dec("low"),
                high=dec("high"), for_seconds=_dur(ind.get("for"), "5m"),
                runbook=ind.get("runbook"),
                warning_severity=severities.get("warning", "warning"),
                critical_severity=severities.get("critical", "critical"),
                line=doc.where(("goldenSignals", signal, i))[0],
            ))
    return tuple(out)


def _custom(doc: Document, spec: dict) -> tuple[model.CustomAlert, ...]:
    out = []
    for i, a in enumerate(spec.get("alerts") or ()):
        tests = tuple(
            model.AlertTestCase(
                name=t["name"], expect=t["expect"], eval_time=parse_duration(t["evalTime"]),
                interval=_dur(t.get("interval"), "1m"),
                input_series=tuple(model.InputSeries(s["series"], s["values"])
                                   for s in t["inputSeries"]),
                exp_labels=_pairs(t.get("labels")),
            )
            for t in a.get("tests") or ()
        )
        out.append(model.CustomAlert(
            name=a["alert"], expr=a["expr"], for_seconds=_dur(a.get("for"), "0s") if a.get(
                "for") else 0,
            severity=a["severity"], summary=a["summary"], description=a.get("description", ""),
            labels=_pairs(a.get("labels")), annotations=_pairs(a.get("annotations")),
            runbook=a.get("runbook"), runbook_url=a.get("runbookUrl"), tests=tests,
            line=doc.where(("alerts", i))[0],
        ))
    return tuple(out)


def _security(spec: dict) -> tuple[model.SecurityRule, ...]:
    return tuple(
        model.SecurityRule(
            name=r["name"], description=r.get("description", ""),
            counter=_event_source(r["counter"]), threshold=to_decimal(r["threshold"]),
            per=parse_duration(r["per"]), severity=r["severity"], action=r.get("action", ""),
            runbook=r.get("runbook"),
        )
        for r in spec.get("security") or ()
    )


def _dr(spec: dict) -> model.DisasterRecovery:
    dr = spec.get("disasterRecovery") or {}
    backups = []
    for b in dr.get("backups") or ():
        src = b["lastSuccess"]
        query = src["query"] if "query" in src else (
            f"max({promql.selector(values.metric_selector(src['metric'], src.get('selector')))})")
        backups.append(model.BackupTarget(
            name=b["data"], rpo=parse_duration(b["rpo"]), last_success=query,
            severity=b.get("severity", "critical"), frequency=b.get("frequency", ""),
            retention=b.get("retention", ""), runbook=b.get("runbook"),
        ))
    return model.DisasterRecovery(
        backups=tuple(backups),
        rto=tuple(model.RecoveryTarget(k, parse_duration(v)) for k, v in (dr.get("rto") or {}).items()),
        procedures=tuple(dr.get("procedures") or ()),
    )


_ROLE_KEYS = (("primary", "primary"), ("secondary", "secondary"),
              ("disasterRecovery", "disaster-recovery"))


def _region_signal(trigger: dict | None, default_for: str) -> model.RegionSignal | None:
    if trigger is None:
        return None
    sig = trigger["signal"]
    return model.RegionSignal(selector=values.metric_selector(sig["metric"], sig.get("selector")),
                              for_seconds=_dur(trigger.get("for"), default_for),
                              severity=trigger.get("severity", "critical"))


def _regions(doc: Document, spec: dict, slos: tuple[model.SLO, ...]) -> model.Regions | None:
    reg = spec.get("regions")
    if not reg:
        return None
    failover = reg.get("failover") or {}
    spike = None
    if failover.get("errorRateSpike") is not None:
        s = failover["errorRateSpike"]
        slo = next(x for x in slos if x.name == s["slo"])  # the semantic check made sure
        spike = model.ErrorSpike(
            slo=slo.name, sli=slo.sli, factor=to_decimal(s.get("factor", 10)),
            baseline=_dur(s.get("baseline"), "1d"),
            floor=to_decimal(s["floor"]) if "floor" in s else slo.error_budget,
            for_seconds=_dur(s.get("for"), "5m"), severity=s.get("severity", "critical"))
    roles = {"disasterRecovery": "disaster-recovery"}
    return model.Regions(
        regions=tuple(model.Region(reg[key], role) for key, role in _ROLE_KEYS if key in reg),
        label=reg.get("label", "region"),
        replication=tuple(model.Replication(r["data"], r["mode"],
                                            tuple(roles.get(x, x) for x in r["to"]))
                          for r in reg.get("replication") or ()),
        unavailable=_region_signal(failover.get("regionUnavailable"), "5m"),
        health_check=_region_signal(failover.get("healthCheckFailing"), "15m"),
        error_spike=spike,
        failover_command=failover.get("command", ""),
        runbook=failover.get("runbook"),
        line=doc.where(("regions",))[0],
    )


def _capacity(spec: dict) -> model.CapacityPlanning | None:
    cap = spec.get("capacity")
    if not cap:
        return None
    growth = {k: to_decimal(v) for k, v in (cap.get("growth") or {}).items()}
    horizons = tuple(model.CapacityHorizon(k, parse_duration(v))
                     for k, v in (cap.get("horizons") or {"short-term": "90d"}).items())
    resources = []
    for r in cap["resources"]:
        driver = growth.get(r.get("driver", ""), Decimal(0))
        factor = to_decimal(r.get("scalingFactor", 1))
        resources.append(model.CapacityResource(
            name=r["name"], usage=r["usage"], limit=r["limit"],
            growth_percent_per_quarter=(driver * factor).normalize(),
            severity=r.get("severity", "warning"), runbook=r.get("runbook"),
        ))
    alert_horizon = (parse_duration(cap["alertHorizon"]) if "alertHorizon" in cap
                     else min(h.seconds for h in horizons))
    return model.CapacityPlanning(
        lookback=_dur(cap.get("lookback"), "7d"), horizons=horizons,
        alert_horizon=alert_horizon, resources=tuple(resources),
        growth=tuple(growth.items()), review_cadence=_pairs(cap.get("reviewCadence")),
    )


def _scaling_rules(rules: dict | None) -> model.ScalingRules | None:
    if rules is None:
        return None
    return model.ScalingRules(
        stabilization_seconds=(parse_duration(rules["stabilizationWindow"])
                               if "stabilizationWindow" in rules else None),
        select_policy=rules.get("selectPolicy"),
        policies=tuple(model.ScalingPolicy(p["type"], p["value"], parse_duration(p["period"]))
                       for p in rules.get("policies") or ()),
    )


def _autoscaling(doc: Document, spec: dict, service: str) -> model.Autoscaling | None:
    a = spec.get("autoscaling")
    if not a:
        return None
    target = a.get("target") or {}
    behavior = a.get("behavior") or {}
    alerts = a.get("alerts") or {}
    return model.Autoscaling(
        kind=target.get("kind", "Deployment"), name=target.get("name", service),
        min_replicas=a["minReplicas"], max_replicas=a["maxReplicas"],
        cpu_utilization=a.get("cpuUtilization"), memory_utilization=a.get("memoryUtilization"),
        pod_metrics=tuple(
            model.PodMetric(name=m["name"], target_average_value=to_decimal(m["target"]),
                            series=m["series"], matchers=values.matchers_of(m.get("selector")),
                            aggregation=m.get("aggregation", "sum"))
            for m in a.get("podMetrics") or ()
        ),
        scale_up=_scaling_rules(behavior.get("scaleUp")),
        scale_down=_scaling_rules(behavior.get("scaleDown")),
        provider=a.get("metricsProvider", "prometheus-adapter"),
        keda_server_address=a.get("kedaServerAddress",
                                  "http://prometheus-operated.monitoring.svc:9090"),
        at_max_for=_dur(alerts.get("atMaxFor"), "15m"),
        unable_to_scale_for=_dur(alerts.get("unableToScaleFor"), "15m"),
        line=doc.where(("autoscaling",))[0],
    )


def _incidents(spec: dict, default_receiver: str) -> tuple[model.IncidentClass, ...]:
    return tuple(
        model.IncidentClass(
            name=c["name"], title=c.get("title", c["name"]), description=c.get("description", ""),
            response_time=parse_duration(c["responseTime"]),
            escalation_time=parse_duration(c["escalationTime"]),
            response_text=c["responseTime"], escalation_text=c["escalationTime"],
            examples=tuple(c.get("examples") or ()), severities=tuple(c["severities"]),
            receiver=c.get("receiver", default_receiver),
            business_hours_only=c.get("businessHoursOnly", False),
        )
        for c in spec.get("incidentClasses") or ()
    )


def _oncall(spec: dict) -> model.Oncall | None:
    oc = spec.get("oncall")
    if not oc:
        return None
    receivers = []
    for r in oc["receivers"]:
        kind, target = "none", ""
        for key, field_ in (("pagerduty", "routingKeyFile"), ("slack", "channel"),
                            ("webhook", "url"), ("email", "to")):
            if key in r:
                kind, target = key, r[key][field_]
        secret = r["slack"]["apiUrlFile"] if "slack" in r else ""
        receivers.append(model.Receiver(r["name"], kind, target, r.get("description", ""), secret))
    return model.Oncall(
        receivers=tuple(receivers), escalation=tuple(oc.get("escalation") or ()),
        default_receiver=oc.get("defaultReceiver", receivers[0].name),
        rotation=_pairs(oc.get("rotation")),
    )


def _runbooks(spec: dict) -> tuple[model.Runbook, ...]:
    return tuple(
        model.Runbook(
            name=r["name"], title=r["title"], description=r.get("description", ""),
            steps=tuple(model.RunbookStep(s["title"], s.get("command"), s.get("note"))
                        for s in r["steps"]),
        )
        for r in spec.get("runbooks") or ()
    )


_FAULT_KINDS = {"networkTimeout": "network-timeout", "connectionLoss": "connection-loss",
                "memoryStress": "memory-stress", "cpuStress": "cpu-stress",
                "nodeFailure": "node-failure"}


def _fault(fault: dict) -> model.ChaosFault:
    key = next(iter(fault))
    body = fault[key] or {}
    kind = _FAULT_KINDS[key]
    if kind == "connection-loss":
        hosts: tuple[str, ...] = (f"{body['host']}:{body['port']}",)
    else:
        hosts = tuple(body.get("hosts") or ())
    return model.ChaosFault(kind=kind, hosts=hosts, workers=body.get("workers", 1),
                            memory_size=str(body.get("size", "")),
                            cpu_load=body.get("load", 100))


def _chaos(doc: Document, spec: dict, name: str, namespace: str,
           slos: tuple[model.SLO, ...]) -> model.ChaosProgram | None:
    chaos = spec.get("chaos")
    if not chaos:
        return None
    pipeline = chaos.get("pipeline") or {}
    experiments = []
    affected: set[str] = set()
    for i, e in enumerate(chaos.get("experiments") or ()):
        target = e.get("target") or {}
        radius = e["blastRadius"]
        impacts = []
        for a in e.get("affects") or ():
            affected.add(a["slo"])
            given = a.get("expectedErrorRatio")
            impacts.append(model.ChaosImpact(
                a["slo"], to_decimal(given) if given is not None else Decimal(radius) / 100,
                given is None))
        experiments.append(model.ChaosExperiment(
            name=e["name"],
            description=e.get("description", ""),
            category=e.get("category", ""),
            fault=_fault(e["fault"]),
            namespace=target.get("namespace", namespace),
            labels=_pairs(target.get("labels") or {"app": name}),
            blast_radius=radius,
            duration=parse_duration(e["duration"]),
            impacts=tuple(impacts),
            abort_when=tuple(e.get("abortWhen") or ()),
            rollback=tuple(e.get("rollback") or ()),
            line=doc.where(("chaos", "experiments", i))[0],
        ))
    longest = max((t.long_window for s in slos if s.name in affected for t in s.tiers),
                  default=0)
    cooldown = parse_duration(chaos["cooldown"]) if "cooldown" in chaos else longest
    return model.ChaosProgram(
        schedule=chaos["schedule"],
        cooldown=cooldown,
        history_limit=chaos.get("historyLimit", 5),
        pre_experiment=tuple(pipeline.get("preExperiment") or ()),
        during_experiment=tuple(pipeline.get("duringExperiment") or ()),
        post_experiment=tuple(pipeline.get("postExperiment") or ()),
        experiments=tuple(experiments),
    )


def _postmortem(spec: dict) -> model.PostmortemPolicy:
    pm = spec.get("postmortem") or {}
    deadlines = pm.get("deadlines") or {}
    return model.PostmortemPolicy(
        initial_report=_dur(deadlines.get("initialReport"), "24h"),
        detailed_analysis=_dur(deadlines.get("detailedAnalysis"), "1w"),
        action_items=_dur(deadlines.get("actionItems"), "2w"),
        follow_up_review=_dur(deadlines.get("followUpReview"), "30d"),
        culture=tuple(pm.get("culture") or ()),
    )


def build(doc: Document) -> model.Service:
    spec = doc.data
    svc = spec["service"]
    name = svc["name"]
    settings = spec.get("settings") or {}
    oncall = _oncall(spec)
    slos = _slos(doc, spec)
    default_receiver = oncall.default_receiver if oncall else ""
    namespace = svc.get("namespace", name)
    slos = _slos(doc, spec)
    return model.Service(
        name=name,
        team=svc.get("team", ""),
        namespace=namespace,
        description=svc.get("description", ""),
        labels=_pairs(svc.get("labels")),
        runbook_base_url=svc.get("runbookBaseUrl", f"./{conventions.RUNBOOKS_DIR}"),
        dashboard_base_url=svc.get("dashboardBaseUrl", "http://localhost:3000"),
        settings=model.Settings(
            evaluation_interval=_dur(settings.get("evaluationInterval"), "1m"),
            base_window=_dur(settings.get("baseWindow"), "5m"),
            raw_window_max=_dur(settings.get("rawWindowMax"), "6h"),
            coarse_levels=settings.get("coarseLevels", True),
            prometheus_rule_labels=_pairs(settings.get("prometheusRuleLabels")),
            rule_format=settings.get("ruleFormat", "files"),
            write_promtool_tests=settings.get("writePromtoolTests", False),
            alert_prefix=conventions.alert_prefix(name, settings.get("alertPrefix", "")),
            max_rules_per_group=int(settings.get("maxRulesPerGroup", 20)),
            partial_response_strategy=settings.get("partialResponseStrategy", ""),
            sloth_compat=settings.get("slothCompat", False),
        ),
        slos=slos,
        policy=_policy(spec),
        golden_signals=_golden(doc, spec),
        custom_alerts=_custom(doc, spec),
        security=_security(spec),
        disaster_recovery=_dr(spec),
        capacity=_capacity(spec),
        autoscaling=_autoscaling(doc, spec, name),
        incident_classes=_incidents(spec, default_receiver),
        oncall=oncall,
        runbooks=_runbooks(spec),
        incident_procedures=tuple((k, tuple(v)) for k, v in
                                  (spec.get("incidentResponse") or {}).items()),
        postmortem=_postmortem(spec),
        regions=_regions(doc, spec, slos),
        spec_path=doc.file,
        chaos=_chaos(doc, spec, name, namespace, slos),
    )
