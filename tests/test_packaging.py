"""`pip install .` (not only editable) works from any directory: the wheel carries the schema and
the templates, and the installed package finds them without the source tree."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (path,) = out.glob("sre_gen-*.whl")
    return path


def test_wheel_ships_schema_and_templates(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "sre_gen/schema/spec-v1.schema.json" in names
    templates = sorted(n for n in names if n.startswith("sre_gen/templates/"))
    sources = sorted(p.relative_to(ROOT / "templates").as_posix()
                     for p in (ROOT / "templates").rglob("*") if p.is_file()
                     and "__pycache__" not in p.parts)
    assert [f"sre_gen/templates/{s}" for s in sources] == templates
    assert not [n for n in names if n.startswith(("tests/", "specs/", "generated/"))]
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "sre_gen").rglob("*.py")
                     if "__pycache__" not in p.parts)
    missing = [m for m in modules if m not in names]
    assert not missing, f"modules missing from the wheel (add their package to pyproject): {missing}"
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "sre-gen = sre_gen.entry:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_installed_wheel_runs_from_another_directory(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "PYTHONSAFEPATH": "1"}
    schema = subprocess.run([sys.executable, "-m", "sre_gen", "schema"], cwd=work, env=env,
                            capture_output=True, text=True)
    assert schema.returncode == 0, schema.stderr
    assert json.loads(schema.stdout)["title"] == "sre-gen service spec v1"
    spec = ROOT / "specs" / "autogen-review-bot.yaml"
    out = tmp_path / "generated"
    gen = subprocess.run([sys.executable, "-m", "sre_gen", "generate", str(spec), "--out",
                          str(out)], cwd=work, env=env, capture_output=True, text=True)
    assert gen.returncode == 0, gen.stderr
    assert (out / "autogen-review-bot" / "prometheus" / "alerting-rules.yaml").is_file()
    where = subprocess.run([sys.executable, "-c", "import sre_gen; print(sre_gen.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True)
    assert where.stdout.startswith(str(site)), "the test must import the unpacked wheel"
