"""The fleet folder ``generated/_fleet/`` beside the service folders: written with the services
of the run, atomically, cached, and compared by ``sre-gen check``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sre_gen import conventions as cv

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "specs" / "rules" / "ratio-30d-defaults.yaml"  # service checkout
OTHER = ROOT / "tests" / "specs" / "rules" / "latency-7d.yaml"


def _project(tmp_path: Path) -> Path:
    (tmp_path / "specs").mkdir()
    shutil.copy(SMALL, tmp_path / "specs" / "a.yaml")
    shutil.copy(OTHER, tmp_path / "specs" / "b.yaml")
    return tmp_path


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sre_gen", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "XDG_CACHE_HOME": str(cwd / "cache")})


def _fleet_services(repo: Path) -> list[str]:
    dash = json.loads((repo / "generated" / cv.FLEET_DIR / cv.FLEET_DASHBOARD_FILE).read_text())
    return [link["title"].removesuffix(" SLOs") for link in dash["links"]]


def _names(repo: Path) -> list[str]:
    from sre_gen.spec import load_service

    return [load_service(p, p.name).name for p in sorted((repo / "specs").glob("*.yaml"))]


def test_fleet_covers_the_services_of_the_run_and_check_compares_it(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    names = _names(repo)
    assert len(set(names)) == 2
    assert _run(repo, "generate").returncode == 0
    assert _fleet_services(repo) == names
    assert "fleet dashboard: up to date (3 files in generated/_fleet/)" in \
        _run(repo, "generate").stdout
    assert _run(repo, "check").returncode == 0
    # a run over one spec given leaves the fleet of all services as it is (a fleet of one would
    # only repeat the service's SLO dashboard, and it would replace the fleet of every spec)
    fleet = (repo / "generated" / cv.FLEET_DIR / cv.FLEET_DASHBOARD_FILE).read_bytes()
    proc = _run(repo, "generate", "specs/a.yaml")
    assert proc.returncode == 0 and "fleet" not in proc.stdout
    assert (repo / "generated" / cv.FLEET_DIR / cv.FLEET_DASHBOARD_FILE).read_bytes() == fleet
    assert _run(repo, "check").returncode == 0
    assert _run(repo, "check", "specs/a.yaml").returncode == 0
    # a hand edit is found by the full check, and the full run puts the fleet back
    (repo / "generated" / cv.FLEET_DIR / cv.FLEET_DASHBOARD_FILE).write_text("{}\n")
    proc = _run(repo, "check")
    assert proc.returncode == 1
    assert f"changed: generated/{cv.FLEET_DIR}/{cv.FLEET_DASHBOARD_FILE}" in proc.stdout + \
        proc.stderr
    assert "fleet dashboard: wrote" in _run(repo, "generate").stdout
    assert _fleet_services(repo) == names


def test_hand_edits_removed_specs_and_invalid_specs(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    assert _run(repo, "generate").returncode == 0
    path = repo / "generated" / cv.FLEET_DIR / cv.FLEET_DASHBOARD_FILE
    good = path.read_bytes()
    path.write_text("{}\n")
    proc = _run(repo, "check")
    assert proc.returncode == 1 and "_fleet" in proc.stdout + proc.stderr
    assert "fleet dashboard: wrote" in _run(repo, "generate").stdout  # the cache sees the edit
    assert path.read_bytes() == good
    # an invalid spec: nothing is written, the fleet folder included
    (repo / "specs" / "b.yaml").write_text((repo / "specs" / "b.yaml").read_text()
                                           .replace("objective:", "objectiv:", 1))
    assert _run(repo, "generate").returncode == 3
    assert path.read_bytes() == good
    # a removed spec leaves one service: a full check reports the fleet as stale, a full
    # generate removes it (files sre-gen does not own stay)
    (repo / "specs" / "b.yaml").unlink()
    mine = repo / "generated" / cv.FLEET_DIR / "notes.txt"
    mine.write_text("mine\n")
    proc = _run(repo, "check")
    assert proc.returncode == 1 and f"stale: generated/{cv.FLEET_DIR}/" in proc.stdout + \
        proc.stderr
    proc = _run(repo, "generate")
    assert proc.returncode == 0 and "fleet dashboard: removed" in proc.stdout
    assert sorted(p.name for p in (repo / "generated" / cv.FLEET_DIR).rglob("*")) == ["notes.txt"]
    assert _run(repo, "check").returncode == 0
    mine.unlink()
    assert _run(repo, "generate").returncode == 0
    assert not list((repo / "generated").glob(".*"))  # no staging folders left behind
