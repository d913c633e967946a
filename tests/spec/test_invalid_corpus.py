"""The invalid-spec corpus: tests/specs/invalid/NN-name.yaml, each with deliberate faults, and
NN-name.err, the exact standard error of ``sre-gen validate tests/specs/invalid/NN-name.yaml`` run
from the repository root. ``pytest --update-goldens`` rewrites the .err files; read the diff: every
message must name file:line:col, the field path and what was expected, at the right line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sre_gen.cli import app
from sre_gen.spec import load

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = ROOT / "tests" / "specs" / "invalid"
CORPUS = sorted(CORPUS_DIR.glob("*.yaml"))
SUMMARY = re.compile(r"^invalid spec: (\d+) problems?$")


def _validate(rel: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)
    return CliRunner().invoke(app, ["validate", rel])


def test_corpus_is_complete() -> None:
    assert len(CORPUS) >= 35
    names = [p.name for p in CORPUS]
    assert all(re.fullmatch(r"\d\d-[a-z0-9-]+\.yaml", n) for n in names), names
    numbers = [n[:2] for n in names]
    assert len(set(numbers)) == len(numbers), "two corpus files share a number"
    orphans = {p.stem for p in CORPUS_DIR.glob("*.err")} - {p.stem for p in CORPUS}
    assert not orphans, f".err files without a spec: {sorted(orphans)}"


def test_byte_level_corpus_files_are_intact() -> None:
    """Editors and hooks must not 'repair' the files whose point is their bytes."""
    assert b"\x00" in (CORPUS_DIR / "31-binary-nul-bytes.yaml").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        (CORPUS_DIR / "32-not-utf8.yaml").read_bytes().decode("utf-8")
    assert b"\n\tname:" in (CORPUS_DIR / "26-yaml-tab-indentation.yaml").read_bytes()
    assert b"\x1b" in (CORPUS_DIR / "52-raw-control-character.yaml").read_bytes()
    assert (CORPUS_DIR / "29-empty.yaml").read_bytes() == b""


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: p.stem)
def test_invalid_spec_fails_with_golden_message(
    spec: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    rel = spec.relative_to(ROOT).as_posix()
    result = _validate(rel, monkeypatch)
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    err_file = spec.with_suffix(".err")
    if request.config.getoption("--update-goldens"):
        err_file.write_text(result.stderr, encoding="utf-8", newline="\n")
        return
    assert err_file.is_file(), f"missing {err_file.name}; run pytest --update-goldens"
    assert result.stderr == err_file.read_text(encoding="utf-8"), (
        f"stderr differs from {err_file.name}; if intended, run pytest --update-goldens and "
        "review the diff"
    )


@pytest.mark.parametrize("spec", CORPUS, ids=lambda p: p.stem)
def test_every_problem_points_inside_the_file(
    spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rel = spec.relative_to(ROOT).as_posix()
    result = _validate(rel, monkeypatch)
    *problems, summary = result.stderr.splitlines()
    count = SUMMARY.match(summary)
    assert count, summary
    assert int(count.group(1)) == len(problems) >= 1
    raw = spec.read_bytes()
    n_lines = raw.count(b"\n") + 1
    line_pattern = re.compile(rf"^{re.escape(rel)}:(\d+):(\d+): \S")
    for text in problems:
        match = line_pattern.match(text)
        assert match, f"not file:line:col: message: {text!r}"
        line, col = int(match.group(1)), int(match.group(2))
        assert 1 <= line <= n_lines, text
        assert col >= 1, text
    assert problems == sorted(problems, key=_position), "problems are not in file order"


def _position(text: str) -> tuple[int, int]:
    _, line, col, _ = text.split(":", 3)
    return int(line), int(col)


def test_alias_bomb_is_stopped_by_the_expansion_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Aliases share nodes, so composing is cheap; the builder counts expanded values and stops
    through aliases and stops at MAX_ALIAS_VALUES instead of building 10^9 of them."""
    spec = CORPUS_DIR / "28-alias-bomb.yaml"
    with pytest.raises(load.SpecError) as info:
        load.load(spec, "bomb.yaml")
    (problem,) = info.value.problems
    assert f"aliases (*name) expand to more than {load.MAX_ALIAS_VALUES} values" in problem.message
    # A lower bound stops earlier, proving the count (not some later failure) ends the build.
    monkeypatch.setattr(load, "MAX_ALIAS_VALUES", 100)
    with pytest.raises(load.SpecError) as info:
        load.load(spec, "bomb.yaml")
    assert "more than 100 values" in info.value.problems[0].message


def test_corpus_specs_are_each_rejected_for_their_own_faults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Several files validated together report the problems of each, under its own name."""
    chosen = ["04-bad-duration-words.yaml", "37-wrong-api-version.yaml"]
    monkeypatch.chdir(ROOT)
    rels = [f"tests/specs/invalid/{name}" for name in chosen]
    together = CliRunner().invoke(app, ["validate", *rels])
    assert together.exit_code == 3
    singles = [
        (CORPUS_DIR / name).with_suffix(".err").read_text(encoding="utf-8").splitlines()[:-1]
        for name in chosen
    ]
    expected = [line for lines in singles for line in lines]  # files in name order
    n = len(expected)
    assert together.stderr.splitlines() == [*expected, f"invalid spec: {n} problems"]
