"""Custom alerts: the spec's own ``tests:`` cases, as written.

Part of ``sre_gen.proofs.sections``."""

from __future__ import annotations


from sre_gen.proofs import gotmpl
from sre_gen.proofs import model as pm
from sre_gen.compile.rulebase import Rule
from sre_gen.model import Service
from sre_gen.proofs.sections import _firing, _file


# ---- custom alerts ------------------------------------------------------------------------------


def custom_file(service: Service, alerts: list[Rule]) -> pm.PromtoolFile | None:
    rules = {r.alert: r for r in alerts if r.kind == "custom"}
    if not rules:
        return None
    E = service.settings.evaluation_interval
    f = _file(service, "custom-alerts", E, [
        "Custom alerts are raw PromQL: sre-gen cannot synthesise their inputs, so these cases "
        "are the spec's own `tests:` blocks (alerts[].tests), with the expected labels and "
        "annotations filled in from the generated rule. Where an annotation depends on the "
        "alert's value, a firing case checks the ALERTS series (all labels) instead.",
    ])
    for alert in service.custom_alerts:
        rule = rules.get(alert.name)
        if rule is None:
            continue
        if not alert.tests:
            f.untested.append(f"{alert.name} (add tests: to the spec)")
            continue
        kinds = {t.expect for t in alert.tests}
        for missing in sorted({"firing", "silent"} - kinds):
            f.untested.append(f"{alert.name} has no {missing} case (add one to its tests:)")
        for case in alert.tests:
            g = pm.Group(name=f"{alert.name}: {case.name}", interval=case.interval)
            g.inputs = [(s.series, s.values) for s in case.input_series]
            if case.expect == "silent":
                g.alert_tests.append(pm.alert_test(alert.name, case.eval_time, []))
            else:
                labels = dict(case.exp_labels)
                entry = _firing(rule, labels, None)
                if "alerts_series" in entry:
                    try:
                        g.expr_tests.append(pm.alerts_series_test(rule, labels, case.eval_time,
                                                                  True))
                    except gotmpl.Unsupported:
                        f.untested.append(f"{alert.name} case {case.name!r} (its labels use "
                                          "templates sre-gen cannot expand)")
                        continue
                else:
                    g.alert_tests.append(pm.alert_test(alert.name, case.eval_time, [entry]))
            f.groups.append(g)
    return f
