"""Random mutants of the example spec: validation never crashes and always says where.

Each mutant is the example's parsed data with a few edits, dumped back to YAML: structural ones
(delete, rename or retype a key, replace a value with a random scalar - huge ints, NaN, unicode -
or nested junk, empty or duplicate something) or same-type value changes (other durations,
numbers, names), which keep the spec mostly schema-valid so the semantic checks and the model
builder run too. ``sre-gen validate`` must exit 0 or 3, never 123, print no traceback, and start every
problem line with ``<file>:<line>:<col>:`` inside the file. The hand-written schema validator must
also agree with ``jsonschema`` on every mutant (see test_schema_equivalence.py).
"""

from __future__ import annotations

import copy
import math
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sre_gen.cli import app
from sre_gen.spec import load, schema_check

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = load.load(ROOT / "specs" / "autogen-review-bot.yaml").data

MUTANTS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TRICKY_STRINGS = [
    "", " ", "5 minutes", "0m", "1h5", "5m1h", "30d", "1h", "{{window}}", "sum(", "up == ",
    "rate(x[5m])", "__name__", "bad-label", "\x07bell", "\x1b[31m", "line\nbreak", "tab\there",
    "99.95", "yes", "no", "on", "null", "~", "2024-01-01", "2024-13-45", "-1", "1e400", ".nan",
    "<<", "=", "*alias", "&anchor", "!tag", "#comment", "key: value", "- item", "'", '"',
    "\u00e9t\u00e9", "\u2028", "\ufeff", "\U0001f525", "critical", "fast", "slack-sre",
    "high-latency", "Pods", "keda", "sre-gen/v1", "x" * 300,
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, 1, -1, 100, 150, 2**63, -(2**63), 10**100]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -0.0, 99.95, 1e-300, 1e300]),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(TRICKY_STRINGS),
)
KEYS = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=0, max_size=12),
    st.sampled_from(["name", "objective", "sli", "query", "window", "tiers", "severity",
                     "<<", "=", "yes", "1", "__x", "labels"]),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=4),
    ),
    max_leaves=8,
)


def _paths(node: object, path: tuple = ()) -> Iterator[tuple]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))


def _get(node: object, path: tuple) -> object:
    for part in path:
        node = node[part]  # type: ignore[index]
    return node


def _typo(key: str, draw) -> str:
    if not key:
        return "x"
    i = draw(st.integers(min_value=0, max_value=len(key) - 1))
    return draw(st.sampled_from([key[:i] + key[i + 1:], key.lower(), key.upper(), key + "s",
                                 key[:i] + key[i] * 2 + key[i + 1:]])) or "x"


@st.composite
def structural_mutants(draw) -> object:
    data: object = copy.deepcopy(EXAMPLE)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = list(_paths(data))
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["delete", "rename", "replace", "replace", "retype", "empty",
                                   "duplicate", "junk"]))
        if not path:  # the root itself
            if op in ("replace", "retype", "junk"):
                data = draw(JUNK)
            continue
        parent, last = _get(data, path[:-1]), path[-1]
        value = parent[last]
        if op == "delete":
            del parent[last]
        elif op == "rename" and isinstance(parent, dict):
            new = draw(st.one_of(st.just(_typo(last, draw)), KEYS))
            items = [(new if k == last else k, v) for k, v in parent.items()]
            parent.clear()
            parent.update(items)
        elif op == "replace":
            parent[last] = draw(SCALARS)
        elif op == "retype":
            parent[last] = draw(st.sampled_from([
                str(value), [value], {"value": value}, None,
                int(value) if isinstance(value, (int, float)) and math.isfinite(value) else 0,
            ]))
        elif op == "empty":
            parent[last] = type(value)() if isinstance(value, (dict, list, str)) else None
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(last, copy.deepcopy(value))
        else:
            parent[last] = draw(JUNK)
    return data


DURATIONS = st.builds(lambda n, unit: f"{n}{unit}", st.integers(min_value=0, max_value=400),
                      st.sampled_from("wdhms"))
NEARBY_STRINGS = st.sampled_from([
    "critical", "warning", "high", "page", "fast", "slow", "very-slow", "high-cpu", "nope",
    "sum(up)", "up{a=\"b\"}[5m]", "rate(x[{{window}}])", "200ms", "0ms", "1.5s", "Pods",
    "Percent", "keda", "avg", "<", ">=", "silent", "firing", "#chan", "https://x.example.com",
])


def _same_type(value: object) -> st.SearchStrategy:
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(st.integers(min_value=-5, max_value=200), st.sampled_from([0, 10**20]))
    if isinstance(value, float):
        return st.one_of(st.floats(min_value=-1, max_value=1000, allow_nan=False),
                         st.sampled_from([0.0, 99.999999, 1e-9]))
    if isinstance(value, str):
        return st.one_of(DURATIONS, NEARBY_STRINGS, st.text(max_size=10))
    return st.just(value)


@st.composite
def value_mutants(draw) -> object:
    """Same shape, other values: mostly schema-valid specs that exercise the semantic checks
    and the model builder (windows, objectives, tiers, references, PromQL)."""
    data = copy.deepcopy(EXAMPLE)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        leaves = [p for p in _paths(data) if p and not isinstance(_get(data, p), (dict, list))]
        path = draw(st.sampled_from(leaves))
        parent = _get(data, path[:-1])
        parent[path[-1]] = draw(_same_type(parent[path[-1]]))
    return data


def mutants() -> st.SearchStrategy:
    return st.one_of(structural_mutants(), value_mutants())


def _dump(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="sre-gen-mutants-") as tmp:
        yield Path(tmp)


PROBLEM = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): \S")
SUMMARY = re.compile(r"^invalid spec: (\d+) problems?$")


@MUTANTS
@given(data=mutants())
def test_mutants_validate_without_crashing(data: object, workdir: Path) -> None:
    path = workdir / "mutant.yaml"
    text = _dump(data)
    path.write_text(text, encoding="utf-8")
    shown = path.as_posix()
    result = CliRunner().invoke(app, ["validate", shown])
    note = f"--- spec ---\n{text[:3000]}\n--- stderr ---\n{result.stderr}"
    assert result.exit_code in (0, 3), note
    assert "Traceback" not in result.output and "internal error" not in result.output, note
    if result.exit_code == 0:
        assert result.stdout.startswith(f"{shown}: ok ("), note
        assert result.stderr == ""
        return
    *problems, summary = result.stderr.splitlines()
    count = SUMMARY.match(summary)
    assert count and int(count.group(1)) == len(problems) >= 1, note
    n_lines = text.count("\n") + 1
    for line in problems:
        match = PROBLEM.match(line)
        assert match and match["file"] == shown, f"{line!r}\n{note}"
        assert 1 <= int(match["line"]) <= n_lines and int(match["col"]) >= 1, f"{line!r}\n{note}"


@MUTANTS
@given(data=mutants())
def test_mutants_schema_check_agrees_with_jsonschema(data: object, reference) -> None:
    mine = schema_check.validate(data)
    theirs = list(reference.iter_errors(data))
    assert (not mine) == (not theirs), (
        f"schema_check: {[(load.format_path(p), m) for p, m, _ in mine][:5]}\n"
        f"jsonschema: {[(list(e.absolute_path), e.message[:200]) for e in theirs][:5]}"
    )


def test_the_mutator_produces_both_valid_and_invalid_specs(reference) -> None:
    """Guard against a mutator that only ever produces one outcome (the tests above would then
    check little)."""
    seen: set[bool] = set()

    @settings(max_examples=60, deadline=None, derandomize=True, database=None)
    @given(data=mutants())
    def collect(data: object) -> None:
        seen.add(reference.is_valid(data))

    collect()
    assert seen == {True, False}
