"""The hand-written validator (sre_gen.spec.schema_check) against the real ``jsonschema``.

Both must agree on validity (valid iff no error) for the example spec and for every corpus spec
that parses as YAML; tests/spec/test_mutation.py checks the same on random mutants. The schema
itself must be valid draft 2020-12, use only keywords schema_check supports, describe every
property and close every object.

The reference is python-jsonschema with two corrections (tests/spec/conftest.py): JSON has no NaN
or Infinity, so "number" is a finite number; and patterns are ECMA-262, where ``$`` does not
match before a trailing newline (python-jsonschema uses Python's re.search as is).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sre_gen.errors import SpecError
from sre_gen.spec import load, schema_check

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "sre_gen" / "schema" / "spec-v1.schema.json"
CORPUS = sorted((ROOT / "tests" / "specs" / "invalid").glob("*.yaml"))
OTHER_SPECS = sorted((ROOT / "specs").glob("*.yaml")) + sorted((ROOT / "tests" / "specs").glob(
    "*.yaml"))


def assert_agree(reference, data: object, what: str) -> None:
    mine = schema_check.validate(data)
    theirs = sorted(reference.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert (not mine) == (not theirs), (
        f"{what}: schema_check says {'valid' if not mine else 'invalid'}, jsonschema says "
        f"{'valid' if not theirs else 'invalid'}\n"
        f"schema_check: {[(load.format_path(p), m) for p, m, _ in mine][:5]}\n"
        f"jsonschema: {[(list(e.absolute_path), e.message[:200]) for e in theirs][:5]}"
    )


def test_example_and_sample_specs_agree(reference) -> None:
    assert OTHER_SPECS, "no spec found"
    for path in OTHER_SPECS:
        data = load.load(path).data
        assert_agree(reference, data, path.name)
    example = load.load(ROOT / "specs" / "autogen-review-bot.yaml").data
    assert schema_check.validate(example) == []
    assert reference.is_valid(example)


def _parsed_corpus() -> Iterator[tuple[str, dict]]:
    for path in CORPUS:
        try:
            yield path.name, load.load(path).data
        except SpecError:
            continue  # not YAML, or not one mapping: nothing for a schema to see


def test_corpus_specs_agree(reference) -> None:
    parsed = list(_parsed_corpus())
    assert len(parsed) >= 25, "most corpus files should parse as YAML"
    for name, data in parsed:
        assert_agree(reference, data, name)


def test_corpus_has_both_schema_invalid_and_only_semantically_invalid_specs() -> None:
    """The agreement above is only meaningful if both outcomes occur."""
    outcomes = {bool(schema_check.validate(data)) for _, data in _parsed_corpus()}
    assert outcomes == {True, False}


def test_trailing_newline_is_refused_by_both(reference) -> None:
    """Python's $ matches before a final newline; a name 'checkout\\n' would reach file names."""
    example = load.load(ROOT / "specs" / "autogen-review-bot.yaml").data
    example["service"]["name"] = "checkout\n"
    assert not reference.is_valid(example)
    assert schema_check.validate(example) == [
        (("service", "name"), "expected a name of lowercase letters, digits and '-', starting "
         "and ending with a letter or digit, at most 63 characters; got the string "
         "'checkout\\n'", False)]


def test_every_pattern_is_anchored_with_one_final_dollar() -> None:
    """What makes the $ -> \\Z translation of the reference (and of schema_check) exact."""
    for _, node in _schemas(schema_check.spec_schema()):
        if "pattern" in node:
            assert re.fullmatch(r"\^[^$]*\$", node["pattern"]), node["pattern"]


def test_nan_is_refused_by_both(reference) -> None:
    example = load.load(ROOT / "specs" / "autogen-review-bot.yaml").data
    gauge = next(slo["sli"]["gauge"] for slo in example["slos"] if "gauge" in slo["sli"])
    gauge["threshold"] = float("nan")
    assert not reference.is_valid(example)
    assert schema_check.validate(example)


# ---- the schema itself ------------------------------------------------------------------------


def _schemas(node: dict, path: str = "#") -> Iterator[tuple[str, dict]]:
    """Every subschema, with a JSON-pointer-ish path."""
    yield path, node
    for name, sub in node.get("properties", {}).items():
        yield from _schemas(sub, f"{path}/properties/{name}")
    for key in ("items", "additionalProperties", "propertyNames"):
        if isinstance(node.get(key), dict):
            yield from _schemas(node[key], f"{path}/{key}")
    for i, sub in enumerate(node.get("oneOf", [])):
        yield from _schemas(sub, f"{path}/oneOf/{i}")


def test_packaged_schema_is_the_one_schema_check_uses() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == schema_check.spec_schema()


def test_schema_is_valid_draft_2020_12() -> None:
    import jsonschema

    schema = schema_check.spec_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_uses_only_supported_keywords() -> None:
    used = {key for _, node in _schemas(schema_check.spec_schema()) for key in node}
    assert used <= schema_check.SUPPORTED_KEYWORDS, used - schema_check.SUPPORTED_KEYWORDS


def test_walk_covers_the_whole_schema() -> None:
    """Every dict in the schema file is a subschema or a 'properties' table: the keyword checks
    above saw all of it."""
    schema = schema_check.spec_schema()
    seen = {id(node) for _, node in _schemas(schema)}
    seen |= {id(node["properties"]) for _, node in _schemas(schema) if "properties" in node}

    def dicts(node: object) -> Iterator[dict]:
        if isinstance(node, dict):
            yield node
            for value in node.values():
                yield from dicts(value)
        elif isinstance(node, list):
            for value in node:
                yield from dicts(value)

    missed = [d for d in dicts(schema) if id(d) not in seen]
    assert not missed, missed[:3]


def test_every_property_has_a_description() -> None:
    missing = [
        f"{path}/properties/{name}"
        for path, node in _schemas(schema_check.spec_schema())
        for name, sub in node.get("properties", {}).items()
        if not str(sub.get("description", "")).strip()
    ]
    assert not missing, missing


def test_every_object_is_closed() -> None:
    """Objects with named properties refuse unknown keys; free-form maps (labels, selectors)
    constrain their values with an additionalProperties schema."""
    problems = []
    for path, node in _schemas(schema_check.spec_schema()):
        if node.get("type") != "object":
            continue
        extra = node.get("additionalProperties")
        if "properties" in node and extra is not False:
            problems.append(f"{path}: additionalProperties must be false")
        if "properties" not in node and not isinstance(extra, dict):
            problems.append(f"{path}: a map needs an additionalProperties schema")
    assert not problems, problems


def test_every_pattern_has_a_hint_in_words() -> None:
    patterns = {node["pattern"] for _, node in _schemas(schema_check.spec_schema())
                if "pattern" in node}
    assert patterns <= set(schema_check.PATTERN_HINTS), patterns - set(schema_check.PATTERN_HINTS)
