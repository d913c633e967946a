"""promtool unit tests for every generated alert (target of ``sre_gen.pipeline``).

Writes ``prometheus/tests/*.yaml`` (promtool ``test rules`` format; ``rule_files`` point at
``../recording-rules.yaml`` and ``../alerting-rules.yaml``):

- per SLO: ``<slo>.yaml``, ``<slo>.period.yaml`` and ``<slo>.tier-<tier>.yaml``
  (``sre_gen.compile.promtool_slo``);
- per section: ``_golden-signals.yaml``, ``_security.yaml``, ``_disaster-recovery.yaml``,
  ``_capacity.yaml``, ``_autoscaling.yaml`` and ``_custom-alerts.yaml``
  (``sre_gen.compile.promtool_sections``).

An alert sre-gen cannot test (a custom alert without ``tests:`` in the spec, an SLI whose inputs
cannot be synthesised) is listed in a ``# untested: <alert> (<reason>)`` comment of the file its
tests would be in; ``sre-gen test`` prints those lines as warnings.
"""

from __future__ import annotations

from sre_gen.model import Service

UNTESTED_PREFIX = "# untested: "


def test_files(service: Service):
    """Every test file of the service (``promtool_model.PromtoolFile``), in a stable order."""
    from sre_gen.compile import promtool_sections, promtool_slo, rules

    alerts = rules.all_alerts(service)
    files = []
    for slo in service.slos:
        files.extend(promtool_slo.slo_test_files(service, slo, alerts))
    files.extend(promtool_sections.section_test_files(service, alerts))
    recording = rules.recording_groups(service)
    order = [g.name for g in recording] + [g.name for g in rules.alerting_groups(service)]
    quiet = _quiet_series(service, recording)
    for f in files:
        f.group_order = order
        for group in f.groups:
            _add_quiet(f.path, group, quiet)
    return files


def _quiet_series(service: Service, recording) -> list[tuple[str, str, set[str], str]]:
    """Series that keep the SLI-absent and backup alerts of *other* parts of the service from
    firing in a test: promtool evaluates every rule of the rule files at every step, and firing
    alerts (with their annotations) are what costs most. Each entry: (owner test-file prefix,
    series, metric names whose presence would make the rule record it too, value kind)."""
    from sre_gen import conventions as cv
    from sre_gen import promql
    from sre_gen.compile import promtool_model as pm
    from sre_gen.compile.promtool_feed import labels_for, series

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
    from sre_gen.compile import promtool_model as pm

    if path.endswith("/_custom-alerts.yaml"):
        return  # the spec's own cases: left exactly as written
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


def build(service: Service, ctx: object) -> dict[str, str]:
    return {f.path: f.render() for f in test_files(service)}


def untested(text: str) -> list[str]:
    """The ``# untested:`` entries of a generated test file."""
    return [ln[len(UNTESTED_PREFIX):] for ln in text.splitlines() if ln.startswith(UNTESTED_PREFIX)]
