"""Errors/total SLIs whose inputs sre-gen cannot synthesise (raw PromQL not of the form
``sum(rate(<selector>[{{window}}]))``, Sloth's raw error ratios and SLI plugins after import): the
proofs feed the recorded base series and run without the rule recording it from the errors query
(whose ``or vector(0)`` would collide with the fed series), so every alert is proved; a broken
downstream rule fails them. With settings.writePromtoolTests the proofs read the whole rule files,
where that rule cannot be left out: those alerts are listed as untested there, and only there."""

from __future__ import annotations

import copy
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sre_gen import proofs
from sre_gen.cli import app
from sre_gen.compile import rules
from sre_gen.pipeline import Context
from sre_gen.proofs import scoped
from sre_gen.spec import load_service

ROOT = Path(__file__).resolve().parents[2]
SLOTH = ROOT / "tests" / "data" / "importers" / "sloth"

SPEC = """\
apiVersion: sre-gen/v1
service:
  name: shop
settings:
  writePromtoolTests: {written}
slos:
  - name: availability
    objective: 99.5
    window: 28d
    sli:
      ratio:
        errors:
          query: 'sum(rate(http_requests_total{{job="shop", code=~"5.."}}[{{{{window}}}}])) * 1'
        total:
          query: 'sum(rate(http_requests_total{{job="shop"}}[{{{{window}}}}])) * 1'
"""


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def _spec(tmp_path: Path, written: bool = False) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(SPEC.format(written="true" if written else "false"))
    return path


def _generate_and_test(spec: Path, out: Path):
    assert invoke("generate", spec.as_posix(), "--out", out.as_posix()).exit_code == 0
    return invoke("test", spec.as_posix(), "--out", out.as_posix())


@pytest.mark.slow
@pytest.mark.parametrize("source", ["spec", "raw-home-wifi.yml", "plugin-getting-started.yml"])
def test_every_alert_is_proved_without_untested_entries(source: str, tmp_path: Path) -> None:
    if source == "spec":
        spec = _spec(tmp_path)
    else:
        got = invoke("import", "sloth", (SLOTH / source).as_posix(), "--out",
                     (tmp_path / "specs").as_posix())
        assert got.exit_code == 0, got.output
        (spec,) = (tmp_path / "specs").glob("*.yaml")
    service = load_service(spec)
    (slo,) = service.slos
    assert slo.sli.events.query is not None and not slo.sli.events_are_good
    run = _generate_and_test(spec, tmp_path / "generated")
    assert run.exit_code == 0, run.output
    assert "untested" not in run.output, run.output
    assert " 0 failed" in run.stdout
    # the proofs of every alert ran: one file per tier, the recorded series and the wiring
    shown = [ln.split("proofs/", 1)[1].split(":")[0] for ln in run.stdout.splitlines()
             if ln.startswith("ok ") and "proofs/" in ln]
    assert f"{slo.name}.yaml" in shown and f"{slo.name}.queries.yaml" in shown
    assert {f"{slo.name}.tier-{t.name}.yaml" for t in slo.tiers} <= set(shown)
    assert slo.tiers


def test_the_fed_proofs_run_without_the_errors_rule_and_say_so(tmp_path: Path) -> None:
    service = load_service(_spec(tmp_path))
    texts = rules.build(service, Context())
    groups = [g for rel in ("prometheus/recording-rules.yaml", "prometheus/alerting-rules.yaml")
              for g in yaml.safe_load(texts[rel])["groups"]]
    scope = scoped.Scope(groups)
    files = {Path(f.path).name: f for f in proofs.test_files(service, whole_rule_files=False)}
    for name, f in files.items():
        if not name.startswith("availability"):
            continue
        kept = [r for g in scope.kept_groups(scope.needed_by(f)) for r in g["rules"]]
        records = {r.get("record") for r in kept}
        if name == "availability.queries.yaml":  # feeds the queries' inputs: needs the rule
            assert "slo:sli_errors:rate5m" in records
            assert not f.left_out
            continue
        assert "slo:sli_errors:rate5m" not in records, name
        assert "slo:sli_total:rate5m" not in records, name
        if name == "availability.yaml":  # the levels and derived windows read the fed series
            assert any(str(r).startswith("slo:sli_errors:rate_step") for r in records)
        assert not f.untested, (name, f.untested)
    main = files["availability.yaml"].render()
    assert "run without the rules that read the raw queries (slo:sli_errors:rate5m, " \
        "slo:sli_total:rate5m, slo:sli_error:ratio_rate" in main
    assert "the raw queries themselves are not exercised" in main


@pytest.mark.slow
def test_written_tests_list_those_alerts_as_untested_and_pass(tmp_path: Path) -> None:
    spec = _spec(tmp_path, written=True)
    run = _generate_and_test(spec, tmp_path / "generated")
    assert run.exit_code == 0, run.output
    service = load_service(spec)
    alerts = [r.alert + (f" tier {r.tier}" if r.tier else "") for r in rules.all_alerts(service)
              if r.slo == "availability"]
    warned = [ln for ln in run.stderr.splitlines() if ln.startswith("warning: untested alert:")]
    assert len(warned) == len(alerts) and alerts
    assert all("while the tests read the whole rule files (settings.writePromtoolTests)" in w
               for w in warned)


def _mutation_helpers():
    path = ROOT / "tests" / "test_rule_mutation.py"
    spec = importlib.util.spec_from_file_location("_rule_mutation", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_a_broken_downstream_rule_fails_the_fed_proofs(tmp_path: Path, promtool: str) -> None:
    """The mutation helpers of tests/test_rule_mutation.py on this SLO's rules: a burn factor off
    by 1.5x or 0.5x, or a window swapped for its neighbour, fails a proof."""
    mut = _mutation_helpers()
    service = load_service(_spec(tmp_path))
    texts = rules.build(service, Context())
    data = {"recording": yaml.safe_load(texts["prometheus/recording-rules.yaml"]),
            "alerting": yaml.safe_load(texts["prometheus/alerting-rules.yaml"])}
    shift = {"recording": 0, "alerting": len(data["recording"]["groups"])}

    def groups_of(d):
        return d["recording"]["groups"] + d["alerting"]["groups"]

    lab = mut.Lab(tmp_path, promtool, service, groups_of(data))
    for name in lab.files:
        ok, why = lab.run(name, groups_of(data))
        assert ok, f"baseline {name} fails: {why}"
    every = mut.mutants(service, data)
    first = service.slos[0].tiers[0].name
    chosen = [m for m in every if m.operator == "threshold"
              and m.focus == f"availability.tier-{first}.yaml"]
    chosen += [m for m in every if m.operator == "window" and "ratio_rate1h" in m.what
               and m.where == "alerting"][:2]
    assert len(chosen) >= 4
    for m in chosen:
        mutated = copy.deepcopy(data)
        mutated[m.where]["groups"][m.group]["rules"][m.rule]["expr"] = m.expr
        readers = lab.readers((m.group + shift[m.where], m.rule))
        readers.sort(key=lambda n: (n != m.focus, n))
        assert any(not lab.run(name, groups_of(mutated))[0] for name in readers), m.describe()


def test_promtool_reads_the_left_out_rule_as_a_collision(tmp_path: Path, promtool: str) -> None:
    """Control: with the errors rule kept, the same proof does not pass (its 0 collides with the
    fed series), which is why it is left out."""
    service = load_service(_spec(tmp_path))
    texts = rules.build(service, Context())
    groups = [g for rel in ("prometheus/recording-rules.yaml", "prometheus/alerting-rules.yaml")
              for g in yaml.safe_load(texts[rel])["groups"]]
    scope = scoped.Scope(groups)
    (f,) = [f for f in proofs.test_files(service, whole_rule_files=False)
            if f.path.endswith(f"/availability.tier-{service.slos[0].tiers[0].name}.yaml")]
    runs = {}
    for keep in (False, True):
        drop = set() if keep else scope.left_out(f.left_out)
        ids = scope.needed_ids({t["alertname"] for g in f.groups for t in g.alert_tests},
                               [t["expr"] for g in f.groups for t in g.expr_tests], drop)
        folder = tmp_path / ("kept" if keep else "left-out")
        test = scoped.materialize(f, scope.kept_groups(ids), folder, list(f.group_order))
        runs[keep] = subprocess.run([promtool, "test", "rules", str(test)], capture_output=True,
                                    text=True)
    assert runs[False].returncode == 0, runs[False].stdout + runs[False].stderr
    assert runs[True].returncode != 0
