"""``sre-gen validate`` runs as a pre-commit hook: it must not import the heavy modules that only
generation needs (grafanalib, jinja2) nor jsonschema (the hand-written validator replaces it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import importlib, json, sys
for name in json.loads(sys.argv[2]):
    importlib.import_module(name)
main = importlib.import_module(sys.argv[3]).main
sys.argv = ["sre-gen"] + json.loads(sys.argv[1])
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("\\n@@modules@@" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

HEAVY = ("grafanalib", "jinja2", "jsonschema")


def modules_after(args: list[str], also_import: tuple[str, ...] = (),
                  entry: str = "sre_gen.cli") -> tuple[int, list[str]]:
    """Run ``<entry>.main()`` with argv ``sre-gen <args>``; its exit code and sys.modules."""
    proc = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args),
                           json.dumps(list(also_import)), entry], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert "@@modules@@" in proc.stdout, proc.stderr
    report = json.loads(proc.stdout.rsplit("@@modules@@", 1)[1])
    return report["code"], report["modules"]


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY]


# sre_gen.cli is the typer app; sre_gen.entry is what the sre-gen console script runs.
ENTRIES = ["sre_gen.cli", "sre_gen.entry"]


@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES)
def test_validate_imports_no_heavy_module(entry: str) -> None:
    code, modules = modules_after(["validate", "specs/autogen-review-bot.yaml"], entry=entry)
    assert code == 0
    assert "sre_gen.spec.schema_check" in modules  # the probe really validated
    assert heavy(modules) == []


@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES)
def test_validate_of_an_invalid_spec_imports_no_heavy_module(entry: str) -> None:
    spec = "tests/specs/invalid/02-unknown-key-did-you-mean.yaml"
    code, modules = modules_after(["validate", spec], entry=entry)
    assert code == 3
    assert heavy(modules) == []


@pytest.mark.slow
def test_the_probe_would_see_a_heavy_import() -> None:
    """The probe reports what was imported: a module imported on purpose shows up."""
    code, modules = modules_after(["validate", "specs/autogen-review-bot.yaml"],
                                  also_import=("jinja2",))
    assert code == 0
    assert "jinja2" in heavy(modules)
