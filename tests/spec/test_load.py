"""sre_gen.spec.load: safe YAML with positions, and every way a file can fail to be a spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from sre_gen.errors import SpecError
from sre_gen.spec import load


def problems_of(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        load.load_text(text, "s.yaml")
    return [str(p) for p in info.value.problems]


def test_plain_data_and_positions() -> None:
    doc = load.load_text(
        "apiVersion: sre-gen/v1\n"
        "service:\n"
        "  name: checkout\n"
        "slos:\n"
        "  - name: a\n"
        "    objective: 99.9\n",
        "s.yaml",
    )
    assert doc.data == {
        "apiVersion": "sre-gen/v1",
        "service": {"name": "checkout"},
        "slos": [{"name": "a", "objective": 99.9}],
    }
    assert doc.where(("service", "name")) == (3, 9)
    assert doc.where(("service", "name"), key=True) == (3, 3)
    assert doc.where(("slos", 0)) == (5, 5)
    assert doc.where(("slos", 0, "objective")) == (6, 16)
    assert doc.where(("slos", 0, "objective"), key=True) == (6, 5)
    # A missing key falls back to the nearest existing parent; the root is 1:1.
    assert doc.where(("slos", 0, "sli", "ratio")) == (5, 5)
    assert doc.where(("nope",)) == (1, 1)
    assert doc.where(()) == (1, 1)


def test_problem_carries_file_position_and_path() -> None:
    doc = load.load_text("a:\n  b: [1, 2]\n", "x.yaml")
    problem = doc.problem(("a", "b", 1), "bad")
    assert str(problem) == "x.yaml:2:10: a.b[1]: bad"
    assert str(doc.problem((), "whole")) == "x.yaml:1:1: whole"


def test_format_path() -> None:
    assert load.format_path(()) == ""
    assert load.format_path(("slos", 0, "sli", "ratio")) == "slos[0].sli.ratio"
    assert load.format_path((0, "a")) == "[0].a"
    assert load.format_path(("labels", "cost-center", "__x")) == "labels.cost-center.__x"


@pytest.mark.parametrize(
    ("key", "shown"),
    [("a b", "['a b']"), ("a.b", "['a.b']"), ("", "['']"), ("x\n", "['x\\n']"),
     ("\x1e", "['\\x1e']"), ("\u2028", "['\\u2028']"), ("é", ".é")],
)
def test_format_path_quotes_keys_that_would_be_ambiguous_or_unprintable(key: str,
                                                                        shown: str) -> None:
    assert load.format_path(("labels", key)) == "labels" + shown


def test_duplicate_keys_name_both_lines() -> None:
    assert problems_of("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n") == [
        "s.yaml:4:3: b.c: duplicate key 'c' (first at line 3)",
        "s.yaml:5:1: a: duplicate key 'a' (first at line 1)",
    ]


def test_duplicate_keys_in_flow_mappings() -> None:
    assert problems_of("a: {x: 1, x: 2}\n") == [
        "s.yaml:1:11: a.x: duplicate key 'x' (first at line 1)"]


def test_scalars_resolve_like_yaml_1_1_safe_loader() -> None:
    data = load.load_text(
        "i: 42\nf: 99.95\nt: true\nn: null\ns: '42'\nbig: 123456789012345678901234567890\n"
        "eq: =\n",
        "s.yaml",
    ).data
    assert data == {"i": 42, "f": 99.95, "t": True, "n": None, "s": "42",
                    "big": 123456789012345678901234567890, "eq": "="}


def test_aliases_are_expanded_and_positions_recorded() -> None:
    doc = load.load_text("a: &x {k: v}\nb: *x\n", "s.yaml")
    assert doc.data == {"a": {"k": "v"}, "b": {"k": "v"}}
    assert doc.where(("b",)) == (1, 4)  # the alias shares the anchored node


def test_alias_expansion_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "MAX_ALIAS_VALUES", 50)
    lines = ["a0: &a0 [x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 6)]
    (message,) = problems_of("\n".join(lines) + "\n")
    assert message.startswith("s.yaml:3:1: a2: aliases (*name) expand to more than 50 values, the "
                              "limit for values built through aliases (a YAML alias bomb?)")


def test_plain_size_is_bounded_apart_from_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many plain values are not an alias bomb: the message names the values limit and says how
    to split the spec; the alias limit does not count values written out."""
    monkeypatch.setattr(load, "MAX_ALIAS_VALUES", 3)
    doc = load.load_text("a: [1, 2, 3, 4, 5, 6, 7, 8]\nb: &x [1, 2]\nc: *x\n", "s.yaml")
    assert doc.data["c"] == [1, 2]
    monkeypatch.setattr(load, "MAX_VALUES", 8)
    (message,) = problems_of("a: 1\nb: [1, 2, 3, 4, 5, 6, 7, 8]\n")
    assert message.startswith("s.yaml:2:1: b: the spec has more than 8 values (scalars, lists and "
                              "mappings), the limit per spec: split it: one spec per service")
    assert "alias" not in message


def test_nesting_is_bounded() -> None:
    deep = "a: " + "[" * 80 + "]" * 80 + "\n"
    (message,) = problems_of(deep)
    assert message.endswith(f"nesting deeper than {load.MAX_DEPTH} levels")


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfapiVersion: sre-gen/v1\nservice:\n  name: x\n")
    doc = load.load(path, "bom.yaml")
    assert doc.data["apiVersion"] == "sre-gen/v1"
    assert doc.where(("service", "name")) == (3, 9)


def test_crlf_line_endings_keep_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"a: 1\r\nb:\r\n  c: 2\r\n")
    doc = load.load(path, "crlf.yaml")
    assert doc.data == {"a": 1, "b": {"c": 2}}
    assert doc.where(("b", "c")) == (3, 6)


EMPTY = "f.yaml:1:1: empty spec: expected a mapping with apiVersion and service"
NOT_A_MAPPING = "f.yaml:1:1: expected a mapping (apiVersion, service, slos...), got a "


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", EMPTY),
        (b"  \n\n", EMPTY),
        (b"# only\n  # comments\n", EMPTY),
        (b"---\n...\n", EMPTY),
        (b"a: 1\n\x00", "f.yaml:1:1: binary file (contains NUL bytes): expected a YAML spec"),
        (b"a: 1\nb: caf\xe9\n", "f.yaml:2:7: not UTF-8 text (byte 0xe9): save the spec as UTF-8"),
        (b"- a\n", NOT_A_MAPPING + "list"),
        (b"just text\n", NOT_A_MAPPING + "scalar"),
        (b"~\n", NOT_A_MAPPING + "scalar"),
        (b"a: 1\n---\nb: 2\n", "f.yaml:3:1: several YAML documents: one spec per file"),
    ],
)
def test_files_that_are_not_one_mapping(tmp_path: Path, raw: bytes, expected: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(raw)
    with pytest.raises(SpecError) as info:
        load.load(path, "f.yaml")
    assert [str(p) for p in info.value.problems] == [expected]


def test_unreadable_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SpecError, match="missing.yaml:1:1: file not found"):
        load.load(tmp_path / "missing.yaml", "missing.yaml")
    with pytest.raises(SpecError, match="dir:1:1: is a directory, not a spec file"):
        load.load(tmp_path, "dir")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" * 10)
    monkeypatch.setattr(load, "MAX_BYTES", 20)
    with pytest.raises(SpecError, match="big.yaml:1:1: file is 50 bytes, more than the limit of "
                       "20 bytes .* per spec: split it: one spec per service"):
        load.load(big, "big.yaml")


def test_display_name_defaults_to_the_path(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("- 1\n")
    with pytest.raises(SpecError) as info:
        load.load(path)
    assert info.value.problems[0].file == path.as_posix()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\n\tb: 2\n", "s.yaml:2:1: YAML syntax error: tab character: indent with spaces, "
                           "YAML does not allow tabs"),
        ('a: 1\nb: "open\n', "s.yaml:2:4: YAML syntax error: this quoted string is never closed"),
        ("a: 1\nb: 'it\nc: 2\nd: 'x'\n",
         "s.yaml:2:4: YAML syntax error: this quoted string runs on to line 4, where parsing fails "
         "(did not find expected key): is its closing quote missing?"),
        ("a: b: c\n",
         "s.yaml:1:5: YAML syntax error: mapping values are not allowed in this context "
         "(a key indented deeper than the one above it, or a value with ': ' to quote)"),
        ("a:\n    b: 1\n  c: 2\n",
         "s.yaml:3:3: YAML syntax error: while parsing a block mapping: "
         "did not find expected key (check the indentation of this line)"),
        ("a: *nope\n", "s.yaml:1:4: YAML syntax error: found undefined alias"),
        ("a: 1\nb: x\x1by\n", "s.yaml:2:5: YAML error: control characters are not allowed: "
                              "found U+001B"),
        ("é: 1\nb: x\x1by\n", "s.yaml:2:5: YAML error: control characters are not allowed: "
                             "found U+001B"),
    ],
)
def test_yaml_syntax_errors_point_at_the_cause(text: str, expected: str) -> None:
    assert problems_of(text) == [expected]


def test_legal_multiline_quoted_string_is_not_blamed() -> None:
    (message,) = problems_of('a: "multi\n  line"\nb: [1\n')
    # The end of the file is at the end of line 3, not on a line 4 the file does not have.
    assert message.startswith("s.yaml:3:6: YAML syntax error: while parsing a flow sequence")


def test_merge_keys_are_refused() -> None:
    assert problems_of("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n") == [
        "s.yaml:3:3: c: merge keys (<<) are not supported: write the keys out"
    ]


def test_non_string_keys() -> None:
    assert problems_of("1: a\nyes: b\n~: c\n[x]: d\n{k: v}: e\n2024-01-01: f\n") == [
        "s.yaml:1:1: mapping keys must be strings: '1' reads as a number; put it in quotes",
        "s.yaml:2:1: mapping keys must be strings: 'yes' reads as a boolean; put it in quotes",
        "s.yaml:3:1: mapping keys must be strings: '~' reads as null; put it in quotes",
        "s.yaml:4:1: mapping keys must be plain strings, not a list",
        "s.yaml:5:1: mapping keys must be plain strings, not a mapping",
        "s.yaml:6:1: mapping keys must be strings: '2024-01-01' reads as a date; put it in quotes",
    ]


def test_tags_that_build_objects_or_read_files_are_refused() -> None:
    assert problems_of(
        "a: !!python/object/apply:os.system [echo]\nb: !include x.yaml\nc: !!set {x}\n"
        "d: !!binary aGk=\n"
    ) == [
        f"s.yaml:{n}:4: {key}: unsupported YAML tag {tag!r}: a spec holds plain strings, numbers, "
        "booleans, lists and mappings"
        for n, key, tag in [(1, "a", "!!python/object/apply:os.system"), (2, "b", "!include"),
                            (3, "c", "!!set"), (4, "d", "!!binary")]
    ]


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("2024-13-45", "cannot read '2024-13-45' as a YAML timestamp (month must be in 1..12)"),
        ("!!int many", "cannot read 'many' as a YAML int (invalid literal for int() with base 10: "
                       "'many')"),
        ("!!bool maybe", "cannot read 'maybe' as a YAML bool (not a valid value)"),
        ("!!timestamp soon", "cannot read 'soon' as a YAML timestamp (not a valid value)"),
    ],
)
def test_unreadable_scalars_are_problems_not_crashes(value: str, detail: str) -> None:
    assert problems_of(f"a: {value}\n") == [
        f"s.yaml:1:4: a: {detail}; put it in quotes if you mean text"
    ]


def test_all_load_problems_are_reported_together() -> None:
    messages = problems_of("a: 1\na: 2\nb: !x y\nc: {<<: {}}\n")
    assert [m.split(": ", 1)[0] for m in messages] == ["s.yaml:2:1", "s.yaml:3:4", "s.yaml:4:5"]
