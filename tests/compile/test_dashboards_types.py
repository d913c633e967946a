"""The generated dashboards type-check against Grafana's published TypeScript types.

tests/data/grafana-types/dashboard.ts gives a generated dashboard's shape in the types of
@grafana/schema and @grafana/prometheus (installed with typescript by scripts/setup.sh into
.cache/grafana-types); each dashboard is written as ``const d: SreGenDashboard = <its JSON>;`` and
``tsc --noEmit --strict`` checks it: an object literal gets TypeScript's excess property checks,
so an unknown key fails like a wrong type or a missing required key. Mutated dashboards prove
that the check fails where it should. One tsc run (about 10 s) checks every file.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from sre_gen import conventions as cv
from sre_gen.compile import dashboards
from sre_gen.spec import load_service

ROOT = Path(__file__).resolve().parents[2]
TYPES = ROOT / ".cache" / "grafana-types"
SHAPE = ROOT / "tests" / "data" / "grafana-types" / "dashboard.ts"
SPECS = [
    ROOT / "specs" / "autogen-review-bot.yaml",
    *sorted((ROOT / "tests" / "specs" / "rules").glob("*.yaml")),
    ROOT / "tests" / "specs" / "keda-variant.yaml",
]
TSCONFIG = {"compilerOptions": {
    "strict": True, "noEmit": True, "target": "es2022", "module": "esnext",
    "moduleResolution": "bundler", "types": [],
    # @grafana/prometheus's declarations import UI packages that are not installed (only its
    # PromQuery is used): skip checking declaration files, never the dashboards
    "skipLibCheck": True,
}}


@cache
def _dashboards() -> dict[str, dict]:
    out = {}
    for spec in SPECS:
        service = load_service(spec, spec.relative_to(ROOT).as_posix())
        for rel, text in dashboards.build(service, None).items():
            if rel.endswith(".json"):
                out[f"{spec.stem}/{Path(rel).name}"] = json.loads(text)
    from sre_gen.compile import fleet  # the fleet dashboard over the services of the specs

    services = {s.name: s for s in (load_service(p, p.name) for p in SPECS)}
    out["fleet/fleet.json"] = json.loads(
        fleet.build(list(services.values()))[cv.FLEET_DASHBOARD_FILE])
    return out


def _example_slo() -> dict:
    name = Path(cv.dashboard_file("autogen-review-bot", cv.SLO_DASHBOARD)).name
    return copy.deepcopy(_dashboards()[f"autogen-review-bot/{name}"])


def _panel(dash: dict, kind: str) -> dict:
    return next(p for p in dash["panels"] if p["type"] == kind)


def _mutants() -> dict[str, tuple[dict, str]]:
    """name -> (a broken copy of the example's SLO dashboard, what tsc must say about it)."""
    out = {}

    d = _example_slo()
    _panel(d, "stat")["id"] = "7"
    out["string-panel-id"] = (d, "Type 'string' is not assignable to type 'number'")

    d = _example_slo()
    [annotation] = d["annotations"]["list"]
    annotation["expr"] = annotation.pop("target")["expr"]  # the legacy top-level form
    out["annotation-top-level-expr"] = (d, "'\"expr\"' does not exist in type")

    d = _example_slo()
    target = _panel(d, "timeseries")["targets"][0]
    target["query"] = target.pop("expr")
    out["target-query-instead-of-expr"] = (d, "'\"query\"' does not exist in type")

    d = _example_slo()
    _panel(d, "timeseries")["fieldConfig"]["defaults"]["custom"]["lineWidht"] = 2
    out["unknown-field-option"] = (d, "'\"lineWidht\"' does not exist in type")

    d = _example_slo()
    _panel(d, "stat")["fieldConfig"]["defaults"]["thresholds"]["mode"] = "relative"
    out["unknown-enum-value"] = (d, "Type '\"relative\"' is not assignable to type")

    d = _example_slo()
    del _panel(d, "stat")["options"]["reduceOptions"]
    out["missing-required-option"] = (d, "Property 'reduceOptions' is missing")

    d = _example_slo()
    _panel(d, "table")["options"]["frameIndex"] = "0"
    out["table-option-type"] = (d, "Type 'string' is not assignable to type 'number'")
    return out


def _module(name: str, dash: dict) -> str:
    return ("import type { SreGenDashboard } from './dashboard';\n\n"
            f"// {name}\nexport const dashboard: SreGenDashboard = "
            f"{json.dumps(dash, indent=1, ensure_ascii=False)};\n")


@pytest.fixture(scope="module")
def tsc_errors(require_tool, tmp_path_factory) -> dict[str, list[str]]:
    """Run tsc once over every generated dashboard and every mutant: file stem -> its errors."""
    node = require_tool("node")
    tsc = TYPES / "node_modules" / "typescript" / "bin" / "tsc"
    assert tsc.is_file(), (f"{tsc} is missing: run scripts/setup.sh (it installs Grafana's "
                           "published types and tsc with npm)")
    work = tmp_path_factory.mktemp("grafana-types")
    (work / "node_modules").symlink_to(TYPES / "node_modules", target_is_directory=True)
    (work / "dashboard.ts").write_text(SHAPE.read_text("utf-8"), "utf-8")
    files = {}
    for i, (name, dash) in enumerate(_dashboards().items()):
        files[f"generated_{i}"] = _module(name, dash)
    for name, (dash, _expected) in _mutants().items():
        files[f"mutant_{name.replace('-', '_')}"] = _module(name, dash)
    for stem, text in files.items():
        (work / f"{stem}.ts").write_text(text, "utf-8")
    config = dict(TSCONFIG, files=[f"{stem}.ts" for stem in files])
    (work / "tsconfig.json").write_text(json.dumps(config), "utf-8")
    proc = subprocess.run([node, str(tsc), "-p", str(work / "tsconfig.json"), "--pretty", "false"],
                          cwd=work, capture_output=True, text=True, timeout=300)
    errors: dict[str, list[str]] = {stem: [] for stem in [*files, "dashboard"]}
    for line in proc.stdout.splitlines():
        m = re.match(r"^(\w+)\.ts\(\d+,\d+\): error (.*)", line)
        if m:
            errors[m.group(1)].append(m.group(2))
        elif line.strip() and not line.startswith(" "):
            errors.setdefault("", []).append(line)
    assert proc.returncode in (0, 2), proc.stdout + proc.stderr  # 2: errors in the files
    return errors


@pytest.mark.slow
def test_generated_dashboards_type_check_against_grafana_types(tsc_errors):
    names = list(_dashboards())
    services = [load_service(p, p.name) for p in SPECS]
    want = sum(1 + dashboards.has_golden_dashboard(s) for s in services) + 1  # + the fleet
    assert len(names) == want and want > len(SPECS) + 1
    assert not tsc_errors.get("") and not tsc_errors["dashboard"], tsc_errors
    bad = {names[int(stem.split("_")[1])]: errs for stem, errs in tsc_errors.items()
           if stem.startswith("generated_") and errs}
    assert not bad, json.dumps(bad, indent=1)[:4000]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(_mutants()))
def test_the_type_check_rejects_a_broken_dashboard(tsc_errors, name):
    _dash, expected = _mutants()[name]
    errors = tsc_errors[f"mutant_{name.replace('-', '_')}"]
    assert any(expected in e for e in errors), errors
