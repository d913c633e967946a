"""The proofs: promtool unit tests for every generated alert (target of ``sre_gen.pipeline``).

Per SLO (``sre_gen.proofs.slo``): ``<slo>.yaml`` (recorded series, budget alerts),
``<slo>.period.yaml`` (the SLO window) and ``<slo>.tier-<tier>.yaml`` (each burn-rate tier);
per section (``sre_gen.proofs.sections``): ``_golden-signals.yaml``, ``_security.yaml``,
``_disaster-recovery.yaml``, ``_capacity.yaml``, ``_autoscaling.yaml``, ``_custom-alerts.yaml``;
per chaos experiment (``sre_gen.proofs.chaos``): ``_chaos-<experiment>.yaml`` (the alerts its
runbook page expects).

Two ways to run them:
- by default nothing is written: ``sre-gen test`` generates the files in a temporary folder,
  each with only the checked-in rules it exercises (``sre_gen.proofs.scoped``);
- with ``settings.writePromtoolTests: true`` they are written to ``prometheus/tests/`` for
  review, reading the whole ``../recording-rules.yaml`` and ``../alerting-rules.yaml``; series
  that keep the other parts' SLI-absent and backup alerts quiet are added (``_add_quiet``).

An alert sre-gen cannot test (a custom alert without ``tests:`` in the spec, an SLI whose inputs
cannot be synthesised) is listed in a ``# untested: <alert> (<reason>)`` comment of the file its
tests would be in; ``sre-gen test`` prints those as warnings.
"""

from __future__ import annotations

from sre_gen.model import Service

UNTESTED_PREFIX = "# untested: "


def test_files(service: Service, whole_rule_files: bool = True) -> list:
    """Every test file of the service (``proofs.model.PromtoolFile``), in a stable order.
    ``whole_rule_files``: the tests read every rule of the service (the written tests), so
    quiet series for the other parts' alerts are added."""
    return list(iter_test_files(service, whole_rule_files))


def iter_test_files(service: Service, whole_rule_files: bool = True):
    """``test_files`` one at a time, each generated when asked for (``sre-gen test`` runs
    promtool on the first while the next is generated). The sections come first: the capacity
    forecasts are the slowest file for promtool, best started early."""
    from sre_gen.compile import rules
    from sre_gen.proofs import sections
    from sre_gen.proofs import slo as slo_proofs

    alerts = rules.all_alerts(service)
    recording = rules.recording_groups(service)
    order = [g.name for g in recording] + [g.name for g in rules.alerting_groups(service)]
    quiet = _quiet_series(service, recording) if whole_rule_files else []
    parts = [lambda: sections.section_test_files(service, alerts)]
    scoped = not whole_rule_files  # a proof may then run without a rule whose series it feeds
    parts += [lambda slo=slo: slo_proofs.slo_test_files(service, slo, alerts, scoped)
              for slo in service.slos]
    if service.chaos is not None:
        from sre_gen.proofs import chaos as chaos_proofs

        parts.append(lambda: chaos_proofs.chaos_test_files(service, alerts, scoped))
    for part in parts:
        for f in part():
            f.group_order = order
            for group in f.groups:
                _add_quiet(f.path, group, quiet)
            yield f


def _quiet_series(service: Service, recording) -> list[tuple[str, str, set[str], str]]:
    """Series that keep the SLI-absent and backup alerts of *other* parts of the service from
    firing in a test: promtool evaluates every rule of the rule files at every step, and firing
    alerts (with their annotations) are what costs most. Each entry: (owner test-file prefix,
    series, metric names whose presence would make the rule record it too, value kind)."""
    from sre_gen import conventions as cv
    from sre_gen import promql
    from sre_gen.proofs import model as pm
    from sre_gen.proofs.feed import labels_for, series

    out = []
    total = cv.sli_total(service.settings.base_window)
    for group in recording:
        for rule in group.rules:
            if rule.record != total:
                continue
            if service.policy.alerts.absent_enabled:
                out.append((f"{cv.PROMTOOL_TESTS_DIR}/{rule.slo}.", series(total, rule.labels),
                            promql.metric_names(rule.expr), "one"))
    for b in service.disaster_recovery.backups:
        shape = pm.gauge_selector(b.last_success)
        sel = shape[0] if shape else None
        labels = labels_for(sel) if sel is not None else None
        if sel is not None and labels is not None:
            out.append((cv.promtool_section_test_file("disaster-recovery"),
                        series(sel.metric, labels), {sel.metric}, "now"))
    return out


def _add_quiet(path: str, group, quiet) -> None:
    from sre_gen.proofs import model as pm

    if path.endswith("/_custom-alerts.yaml"):
        return  # the spec's own cases: left exactly as written
    if path.endswith("/_kpis.yaml"):
        return  # feeds SLO series itself; quiet SLI totals would make the SLO rules record them
    fed = {s.split("{", 1)[0] for s, _ in group.inputs}
    times = [pm._seconds(t["eval_time"]) for t in group.alert_tests + group.expr_tests]
    if not times:
        return
    n = max(times) // group.interval + 1
    added = []
    for owner, text, reads, kind in quiet:
        if path.startswith(owner) or reads & fed or text.split("{", 1)[0] in fed:
            continue
        values = f"1x{n - 1}" if kind == "one" else f"0+{group.interval}x{n - 1}"
        group.inputs.append((text, values))
        added.append(text)
    if added:
        group.comments.append(
            f"The last {len(added)} input series only keep other SLOs' SLI-absent alerts and the "
            "backup alerts quiet (fewer firing alerts for promtool to evaluate); nothing here "
            "reads them.")


def render(service: Service) -> dict[str, str]:
    """The test files as written with ``writePromtoolTests``: relative path -> text."""
    return {f.path: f.render() for f in test_files(service)}


def build(service: Service, ctx: object) -> dict[str, str]:
    return render(service) if service.settings.write_promtool_tests else {}


def untested(text: str) -> list[str]:
    """The ``# untested:`` entries of a generated test file."""
    return [ln[len(UNTESTED_PREFIX):] for ln in text.splitlines() if ln.startswith(UNTESTED_PREFIX)]
