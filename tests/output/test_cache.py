"""sre_gen.output.cache: an unchanged service is not regenerated, anything else is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "specs" / "rules" / "ratio-30d-defaults.yaml"


def _project(tmp_path: Path) -> Path:
    (tmp_path / "specs").mkdir()
    shutil.copy(SMALL, tmp_path / "specs" / "checkout.yaml")
    return tmp_path


def _gen(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "sre_gen", "generate", *args], cwd=cwd,
                          capture_output=True, text=True,
                          env={**os.environ, "XDG_CACHE_HOME": str(cwd / "cache"), **env})
    assert proc.returncode == 0, proc.stderr
    return proc


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_an_unchanged_service_is_up_to_date_and_untouched(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    first = _gen(repo)
    assert "specs/checkout.yaml: wrote " in first.stdout
    before = _snapshot(repo / "generated" / "checkout")
    assert not (repo / "generated" / "_fleet").exists()  # one service: no fleet dashboard
    second = _gen(repo)
    n = len(before)
    assert second.stdout == f"specs/checkout.yaml: up to date ({n} files in generated/checkout/)\n"
    assert _snapshot(repo / "generated" / "checkout") == before  # not even rewritten
    assert subprocess.run([sys.executable, "-m", "sre_gen", "check"], cwd=repo).returncode == 0


def test_edited_deleted_or_changed_inputs_regenerate(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    _gen(repo)
    out = repo / "generated" / "checkout"
    want = _snapshot(out)
    rules = out / "prometheus" / "alerting-rules.yaml"
    # a hand edit of a generated file is undone
    rules.write_text(rules.read_text().replace("14.4", "1.44"))
    assert "wrote" in _gen(repo).stdout
    assert {k: v[0] for k, v in _snapshot(out).items()} == {k: v[0] for k, v in want.items()}
    # a deleted file comes back
    rules.unlink()
    assert "wrote" in _gen(repo).stdout and rules.is_file()
    # an edited spec (even a comment: the header names the spec, the bytes are the input)
    spec = repo / "specs" / "checkout.yaml"
    spec.write_text(spec.read_text().replace("objective: 99.9", "objective: 99.5"))
    assert "wrote" in _gen(repo).stdout
    assert "0.005" in (out / "prometheus" / "recording-rules.yaml").read_text()
    # another output folder is its own record
    assert "wrote" in _gen(repo, "--out", "elsewhere").stdout
    assert "up to date" in _gen(repo, "--out", "elsewhere").stdout
    # SRE_GEN_NO_CACHE=1: always generated
    assert "wrote" in _gen(repo, SRE_GEN_NO_CACHE="1").stdout


def test_edited_user_templates_regenerate(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    templates = repo / "my-templates"
    shutil.copytree(ROOT / "templates", templates, ignore=shutil.ignore_patterns("__pycache__",
                                                                                 "*.py"))
    _gen(repo, "--templates", str(templates))
    assert "up to date" in _gen(repo, "--templates", str(templates)).stdout
    page = next(templates.rglob("*.md.j2"))
    stat = page.stat()
    page.write_text(page.read_text() + "\nLocal note.\n")
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime: content counts
    assert "wrote" in _gen(repo, "--templates", str(templates)).stdout


def test_an_unusable_cache_never_fails_generate(tmp_path: Path) -> None:
    repo = _project(tmp_path)
    (repo / "cache").write_text("a file where the cache folder would be")
    assert "wrote" in _gen(repo).stdout
    assert "wrote" in _gen(repo).stdout  # nothing recorded, so generated again
    shutil.rmtree(repo / "generated")
    (repo / "cache").unlink()
    _gen(repo)
    for record in (repo / "cache" / "sre-gen" / "outputs").iterdir():
        record.write_text("{not json")
    assert "wrote" in _gen(repo).stdout
