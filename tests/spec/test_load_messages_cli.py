"""What ``sre-gen validate`` (the real console script) says about files the loader refuses:
positions an editor shows, values cut to a readable length, size limits that name themselves.

Positions are checked against the file as an editor splits it (lines end at \\n, \\r\\n or \\r),
which is what a user jumps to.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PROBLEM = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$")
SPEC_HEAD = "apiVersion: sre-gen/v1\nservice:\n  name: checkout\n"
SLO = ("slos:\n  - name: availability\n    objective: 99.9\n    sli:\n      ratio:\n"
       "        errors:\n          metric: http_requests_total\n"
       '          selector: {code: {regex: "5.."}}\n'
       "        total:\n          metric: http_requests_total\n")


def sre_gen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / ("sre-gen.exe" if os.name == "nt" else "sre-gen")
    assert script.exists(), f"the sre-gen console script is not installed next to {sys.executable}"
    return subprocess.run([str(script), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONUTF8": "1"})


def editor_lines(text: str) -> list[str]:
    """The lines VS Code shows (also for a final line without a newline)."""
    return re.split(r"\r\n|\r|\n", text)


def problems(proc: subprocess.CompletedProcess) -> list[re.Match]:
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert lines[-1].startswith("invalid spec: ")
    found = [PROBLEM.match(line) for line in lines[:-1]]
    assert all(found), proc.stderr
    return found


def assert_inside(text: str, found: list[re.Match]) -> None:
    lines = editor_lines(text)
    for m in found:
        line, col = int(m["line"]), int(m["col"])
        assert 1 <= line <= len(lines), (m.group(0), len(lines))
        assert 1 <= col <= len(lines[line - 1]) + 1, (m.group(0), lines[line - 1])


# ---- syntax errors at the end of a file without a final newline -------------------------------

UNFINISHED = [
    ("slos: [a", "4:9", "while parsing a flow sequence"),
    ("slos: {a: 1", "4:12", "while parsing a flow mapping"),
    ("slos:\n  - name: a\n   bad: x", "6:4", "did not find expected '-' indicator"),
    ("slos: &", "4:8", "while scanning an anchor"),
    ("slos: *nope", "4:7", "found undefined alias"),
    ("slos:\n- a\n b: 1", "6:3", "mapping values are not allowed"),
    ('slos: "abc', "4:7", "this quoted string is never closed"),
]


@pytest.mark.parametrize(("tail", "where", "what"), UNFINISHED,
                         ids=[t for t, _, _ in UNFINISHED])
def test_an_error_at_the_end_of_a_file_without_final_newline_is_inside_it(
    tmp_path: Path, tail: str, where: str, what: str
) -> None:
    text = SPEC_HEAD + tail  # no "\n" at the end: the file's last line is the tail's
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8", newline="")
    found = problems(sre_gen("validate", "s.yaml", cwd=tmp_path))
    assert_inside(text, found)
    assert f"s.yaml:{where}: " in found[0].group(0) and what in found[0].group(0), found[0].group(0)


def test_an_empty_value_at_the_end_is_on_the_last_line(tmp_path: Path) -> None:
    text = SPEC_HEAD + SLO.replace("    objective: 99.9\n", "") + "    objective:"
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8", newline="")
    found = problems(sre_gen("validate", "s.yaml", cwd=tmp_path))
    assert_inside(text, found)
    assert found[0].group(0).startswith(f"s.yaml:{len(editor_lines(text))}:")


# ---- characters YAML breaks lines at and editors do not ---------------------------------------

@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"], ids=["U+2028", "U+2029", "U+0085"])
def test_line_numbers_match_the_editor_after_yaml_only_line_breaks(
    tmp_path: Path, char: str
) -> None:
    # Two descriptions with the character (quoted, so YAML keeps it as text), then a wrong value:
    # the editor shows the objective on line 8 whatever YAML counts.
    text = (SPEC_HEAD + f'  description: "one{char}two"\n'
            + SLO.replace("objective: 99.9", f'description: "a{char}b"\n    objective: 150'))
    assert editor_lines(text)[7] == "    objective: 150"
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8", newline="")
    found = problems(sre_gen("validate", "s.yaml", cwd=tmp_path))
    assert_inside(text, found)
    # validation may refuse the character in the two descriptions: those problems, too, sit at
    # the lines an editor shows (4 and 7); the objective is on line 8
    shown = [m.group(0) for m in found]
    assert shown[-1].startswith("s.yaml:8:16: slos[0].objective: "), shown
    assert all(x.startswith(("s.yaml:4:16: service.description: control character",
                             "s.yaml:7:18: slos[0].description: control character"))
               for x in shown[:-1]), shown


def test_a_syntax_error_after_a_yaml_only_line_break_names_the_character(tmp_path: Path) -> None:
    text = SPEC_HEAD + "  team: sre\x85ops\n  bad: [\n"
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8", newline="")
    (m,) = problems(sre_gen("validate", "s.yaml", cwd=tmp_path))
    assert_inside(text, [m])
    assert m["line"] == "5", m.group(0)
    assert "line 4 holds U+0085, which YAML reads as a line break" in m["message"]


def test_crlf_and_cr_line_endings_count_like_an_editor(tmp_path: Path) -> None:
    for name, nl in (("crlf.yaml", "\r\n"), ("cr.yaml", "\r")):
        text = (SPEC_HEAD + SLO).replace("objective: 99.9", "objective: 150").replace("\n", nl)
        (tmp_path / name).write_text(text, encoding="utf-8", newline="")
        (m,) = problems(sre_gen("validate", name, cwd=tmp_path))
        assert m.group(0).startswith(f"{name}:6:16: slos[0].objective: "), m.group(0)


# ---- huge values are cut in messages ----------------------------------------------------------

def test_huge_values_are_cut_in_messages(tmp_path: Path) -> None:
    big = "x" * 500_000
    schema = (f"apiVersion: sre-gen/v1\nservice:\n  name: {big}\n  team: sre\n"
              f"  {'k' * 1000}: 1\n" + SLO.replace("name: availability", f"name: '{big}'"))
    loader = f"apiVersion: sre-gen/v1\nservice:\n  name: checkout\n  team: {'1' * 5000}\n"
    (tmp_path / "a.yaml").write_text(schema, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(loader, encoding="utf-8")
    proc = sre_gen("validate", "a.yaml", "b.yaml", cwd=tmp_path)
    found = problems(proc)
    assert_inside(schema, [m for m in found if m["file"] == "a.yaml"])
    assert_inside(loader, [m for m in found if m["file"] == "b.yaml"])
    assert len(found) >= 4
    for m in found:
        assert len(m.group(0)) < 700, m.group(0)[:300]
    assert "...' (500000 characters)" in proc.stderr
    assert "...' (1000 characters)" in proc.stderr  # the unknown key
    assert "...' (5000 characters) as a YAML int (a number of 5000 characters)" in proc.stderr
    assert len(proc.stderr) < 4000


# ---- size limits: aliases apart from plain size -----------------------------------------------

def test_ten_thousand_plain_slos_load(tmp_path: Path) -> None:
    lines = [SPEC_HEAD.rstrip("\n"), "slos:"]
    for i in range(10_000):
        lines += [f"  - name: slo-{i:05d}", "    objective: 99.9", "    sli:", "      ratio:",
                  "        errors:", "          metric: http_requests_total",
                  f'          selector: {{route: r{i}, code: {{regex: "5.."}}}}',
                  "        total:", "          metric: http_requests_total",
                  f"          selector: {{route: r{i}}}"]
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) > 2_000_000
    (tmp_path / "big.yaml").write_text(text, encoding="utf-8")
    proc = sre_gen("validate", "big.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[:2000]
    assert proc.stdout == "big.yaml: ok (checkout: 10000 SLOs)\n"


def test_an_alias_bomb_is_named_as_one(tmp_path: Path) -> None:
    lines = [SPEC_HEAD.rstrip("\n"), 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    text = "\n".join(lines) + "\n"
    (tmp_path / "bomb.yaml").write_text(text, encoding="utf-8")
    (m,) = problems(sre_gen("validate", "bomb.yaml", cwd=tmp_path))
    assert m.group(0) == (
        "bomb.yaml:8:1: a4: aliases (*name) expand to more than 50000 values, the limit for "
        "values built through aliases (a YAML alias bomb?): write the repeated parts out, or "
        "repeat them less")


def test_a_spec_too_big_names_the_limit_and_how_to_split(tmp_path: Path) -> None:
    text = SPEC_HEAD + "labels: [" + ", ".join(["1"] * 520_000) + "]\n"
    (tmp_path / "values.yaml").write_text(text, encoding="utf-8")
    (m,) = problems(sre_gen("validate", "values.yaml", cwd=tmp_path))
    assert m.group(0) == (
        "values.yaml:4:1: labels: the spec has more than 500000 values (scalars, lists and "
        "mappings), the limit per spec: split it: one spec per service, each its own "
        "specs/<service>.yaml (sre-gen validate and generate read them all)")
    (tmp_path / "bytes.yaml").write_text(SPEC_HEAD + "# " + "x" * (4 * 2**20) + "\n")
    (m,) = problems(sre_gen("validate", "bytes.yaml", cwd=tmp_path))
    assert m.group(0).startswith(
        f"bytes.yaml:1:1: file is {4 * 2**20 + len(SPEC_HEAD) + 3} bytes, more than the limit of "
        "4194304 bytes (4 MiB) per spec: split it: one spec per service")
