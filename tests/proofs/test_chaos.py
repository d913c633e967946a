"""sre_gen.proofs.chaos: the experiments' promtool proofs (validate_alerting_systems).

- every tier the runbook page expects to page has a firing check, and a silent check once its
  condition has reset; every tier expected silent has only silent checks;
- the proofs of the example pass with the real promtool against the checked-in rules, scoped as
  ``sre-gen test`` runs them, and fail when a burn-rate threshold of the rules is changed.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from sre_gen import conventions as cv
from sre_gen import experiments as ex
from sre_gen.compile import rules
from sre_gen.durations import parse_duration
from sre_gen.proofs import chaos as chaos_proofs
from sre_gen.proofs import scoped

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_OUT = ROOT / "generated" / "autogen-review-bot"


@pytest.fixture(scope="module")
def files(example_service):
    return chaos_proofs.chaos_test_files(example_service, rules.all_alerts(example_service))


def _checks(group) -> list[tuple[str, int, bool]]:
    """(tier, eval seconds, firing) of each burn-alert check of a test group."""
    out = []
    for t in group.expr_tests:
        m = re.search(r'tier="([^"]+)"', t["expr"])
        if m:
            out.append((m.group(1), parse_duration(t["eval_time"]), bool(t["exp_samples"])))
    return out


def test_checks_follow_the_expected_alerts(example_service, files) -> None:
    assert [f.path for f in files] == [cv.promtool_chaos_test_file(e.name)
                                       for e in example_service.chaos.experiments]
    assert all(f.untested == [] for f in files), [f.untested for f in files]
    alerts = rules.all_alerts(example_service)
    for f, e in zip(files, example_service.chaos.experiments):
        outcomes = ex.outcomes(example_service, e)
        assert len(f.groups) == len(outcomes)  # one group per affected SLO
        for o in outcomes:
            proof = chaos_proofs.ChaosSloProof(example_service, e, o, alerts)
            group, untested = proof.group()
            assert untested == []
            checks = _checks(group)
            for x in o.tiers:
                mine = [(at - proof.t0, firing) for tier, at, firing in checks
                        if tier == x.tier.name]
                assert mine, (e.name, o.slo.name, x.tier.name)
                fired = [at for at, firing in mine if firing]
                if x.fires_at is None:
                    assert not fired, (e.name, o.slo.name, x.tier.name)
                    continue
                # fires no earlier than the workbook's detection time, within the experiment
                # or its short-window tail, and is silent again after the reset
                assert len(fired) == 1 and x.fires_at <= fired[0] < x.resolves_at + 60
                assert any(not firing and at > x.resolves_at for at, firing in mine)


@pytest.mark.slow
def test_example_proofs_pass_and_catch_a_changed_threshold(example_service, files, promtool,
                                                           tmp_path: Path) -> None:
    groups = scoped.checked_in_groups(EXAMPLE_OUT)
    assert groups is not None
    scope = scoped.Scope(groups)
    order = [g.name for g in rules.recording_groups(example_service)] + \
        [g.name for g in rules.alerting_groups(example_service)]
    paths = [scoped.materialize(f, scope.kept_groups(scope.needed_by(f)), tmp_path, order)
             for f in files]
    run = subprocess.run([promtool, "test", "rules", *map(str, paths)], capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    # the fast tier of availability at 14.4x becomes 30x: the GitHub timeout (200x for 5m) no
    # longer pages within the experiment, and the proof says so
    github = tmp_path / "rules" / Path(cv.promtool_chaos_test_file("github-api-timeout")).name
    text = github.read_text()
    assert "/ 0.0005 > 14.4" in text
    github.write_text(text.replace("/ 0.0005 > 14.4", "/ 0.0005 > 30"))
    test = tmp_path / "tests" / github.name
    run = subprocess.run([promtool, "test", "rules", str(test)], capture_output=True, text=True,
                         timeout=600)
    assert run.returncode != 0
    assert 'alertname=\\"AutogenReviewBotAvailabilityErrorBudgetBurn\\"' in run.stderr
