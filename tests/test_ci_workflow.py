"""The GitHub Actions workflow (issue 17 item 7): what a user's CI runs must be the README's test
command, on every Python the package supports, with read-only permissions, a pip cache, and the
package lists refreshed before Debian's promtool/amtool are installed."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _readme_test_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^(bash scripts/\S+)\s+# 2\.", text, re.M)
    assert m, "README quick start has no command 2"
    return m.group(1)


def test_permissions_are_read_only() -> None:
    assert _workflow()["permissions"] == {"contents": "read"}


def test_matrix_covers_every_supported_python_from_the_minimum() -> None:
    job = _workflow()["jobs"]["test"]
    versions = job["strategy"]["matrix"]["python-version"]
    assert versions == ["3.11", "3.12", "3.13"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == f">={versions[0]}"
    setup = next(s for s in job["steps"] if str(s.get("uses", "")).startswith(
        "actions/setup-python"))
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    assert setup["with"]["cache"] == "pip"
    assert setup["with"]["cache-dependency-path"] == "pyproject.toml"


def test_package_lists_are_refreshed_before_the_tests_install_promtool() -> None:
    runs = [s.get("run", "") for s in _workflow()["jobs"]["test"]["steps"]]
    update = next(i for i, r in enumerate(runs) if "apt-get update" in r)
    tests = next(i for i, r in enumerate(runs) if "scripts/test.sh" in r)
    assert update < tests
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert setup.index("apt-get update") < setup.index("apt-get install")


def test_ci_runs_the_readme_test_command() -> None:
    command = _readme_test_command()
    runs = [s.get("run", "") for s in _workflow()["jobs"]["test"]["steps"]]
    assert any(r.startswith(command) for r in runs), (command, runs)
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
