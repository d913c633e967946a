"""sre_gen.spec.schema_check: the small validator's messages, on toy schemas and the real one."""

from __future__ import annotations

import copy

import pytest

from sre_gen.spec import load, schema_check
from sre_gen.spec.schema_check import describe, validate

NAME = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
TOY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": NAME},
        "count": {"type": "integer", "minimum": 1, "maximum": 10},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "mode": {"type": "string", "enum": ["fast", "slow"]},
        "version": {"const": "v1"},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True, "minItems": 1},
        "labels": {
            "type": "object",
            "propertyNames": {"pattern": r"^[a-zA-Z_][a-zA-Z0-9_]*$"},
            "additionalProperties": {"type": "string"},
        },
        "kind": {
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "additionalProperties": False,
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        },
        "source": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"metric": {"type": "string"}, "query": {"type": "string",
                                                                   "minLength": 1}},
            "oneOf": [{"required": ["metric"]}, {"required": ["query"]}],
        },
        "threshold": {
            "oneOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(ms|s)$"},
            ]
        },
    },
}


def messages(data: object, schema: dict = TOY) -> list[tuple[str, str, bool]]:
    return [(load.format_path(path), message, at_key) for path, message, at_key in
            validate(data, schema)]


def test_valid_data_has_no_errors() -> None:
    data = {"name": "a", "count": 3, "ratio": 0.5, "mode": "fast", "version": "v1",
            "tags": ["x", "y"], "labels": {"team": "sre"}, "kind": {"a": "x"},
            "source": {"query": "up"}, "threshold": "200ms"}
    assert messages(data) == []


def test_types() -> None:
    assert messages({"name": 5, "count": "3", "ratio": True, "tags": "x"}) == [
        ("name", "expected a string, got the number 5; put it in quotes to make it text", False),
        ("count", "expected an integer, got the string '3'", False),
        ("ratio", "expected a number, got a boolean", False),
        ("tags", "expected a list, got the string 'x'", False),
    ]
    assert messages([]) == [("", "expected a mapping, got a list", False)]


def test_integer_accepts_whole_floats_like_json_schema() -> None:
    assert messages({"name": "a", "count": 3.0}) == []
    assert messages({"name": "a", "count": 3.5}) == [
        ("count", "expected an integer, got the number 3.5", False)]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(float("nan"), ".nan"), (float("inf"), ".inf"), (float("-inf"), "-.inf")],
)
def test_non_finite_numbers_are_not_numbers(value: float, shown: str) -> None:
    assert messages({"name": "a", "ratio": value}) == [
        ("ratio", f"expected a number, got {shown} (not a finite number)", False)]


def test_bounds() -> None:
    assert messages({"name": "a", "count": 0, "ratio": 1}) == [
        ("count", "must be at least 1, got 0", False),
        ("ratio", "must be less than 1, got 1", False),
    ]
    assert messages({"name": "a", "count": 11, "ratio": 0}) == [
        ("count", "must be at most 10, got 11", False),
        ("ratio", "must be greater than 0, got 0", False),
    ]


def test_required_and_unknown_keys_with_suggestions() -> None:
    # a misspelt required key is one problem (at the misspelling), not also "missing"
    assert messages({"nmae": "a", "colour": 1}) == [
        ("nmae", "unknown key 'nmae' (did you mean 'name'? it is required)", True),
        ("colour", "unknown key 'colour' (allowed: name, count, ratio, mode, version, tags, "
                   "labels, kind, source, threshold)", True),
    ]


def test_a_required_key_missing_without_a_misspelling_is_reported() -> None:
    assert messages({"colour": 1}) == [
        ("", "missing required key 'name'", False),
        ("colour", "unknown key 'colour' (allowed: name, count, ratio, mode, version, tags, "
                   "labels, kind, source, threshold)", True),
    ]
    # a misspelling of a key that is present is an unknown key only
    assert messages({"name": "a", "nmae": "b"}) == [
        ("nmae", "unknown key 'nmae' (did you mean 'name'?)", True)]


def test_unknown_key_differing_only_in_case_is_suggested() -> None:
    assert messages({"name": "a", "THRESHOLD": 1}) == [
        ("THRESHOLD", "unknown key 'THRESHOLD' (did you mean 'threshold'?)", True)]


def test_enum_and_const() -> None:
    assert messages({"name": "a", "mode": "fats", "version": "v2"}) == [
        ("mode", "expected one of: fast, slow; got the string 'fats' (did you mean 'fast'?)",
         False),
        ("version", "expected 'v1', got the string 'v2'", False),
    ]


def test_pattern_hint_in_words() -> None:
    assert messages({"name": "Bad_Name"}) == [
        ("name", "expected a name of lowercase letters, digits and '-', starting and ending with a "
                 "letter or digit, at most 63 characters; got the string 'Bad_Name'", False)]


def test_pattern_without_hint_shows_the_pattern() -> None:
    schema = {"type": "string", "pattern": "^x+$"}
    assert messages("y", schema) == [("", "expected text matching ^x+$; got the string 'y'",
                                      False)]


def test_property_names() -> None:
    assert messages({"name": "a", "labels": {"ok": "1", "bad-name": "2", "n": 3}}) == [
        ("labels.bad-name", "bad key 'bad-name': expected a Prometheus label name "
                            "([a-zA-Z_][a-zA-Z0-9_]*)", True),
        ("labels.n", "expected a string, got the number 3; put it in quotes to make it text",
         False),
    ]


def test_arrays() -> None:
    assert messages({"name": "a", "tags": []}) == [("tags", "must have at least one item", False)]
    assert messages({"name": "a", "tags": ["x", 1, "x"]}) == [
        ("tags[1]", "expected a string, got the number 1; put it in quotes to make it text",
         False),
        ("tags[2]", "duplicate item 'x'", False),
    ]
    assert messages([1], {"type": "array", "minItems": 2}) == [
        ("", "must have at least 2 items", False)]


def test_exactly_one_key() -> None:
    assert messages({"name": "a", "kind": {}}) == [
        ("kind", "expected exactly one of: a, b", False)]
    assert messages({"name": "a", "kind": {"a": "x", "b": "y"}}) == [
        ("kind", "expected exactly one of: a, b; got a, b", False)]


def test_one_of_required_branches() -> None:
    assert messages({"name": "a", "source": {}}) == [
        ("source", "missing required key: one of 'metric' or 'query'", False)]
    assert messages({"name": "a", "source": {"metric": "m", "query": "q"}}) == [
        ("source", "give only one of the keys 'metric', 'query'", False)]


def test_one_of_typed_branches_reports_the_branch_that_fits() -> None:
    assert messages({"name": "a", "threshold": -1}) == [
        ("threshold", "must be greater than 0, got -1", False)]
    assert messages({"name": "a", "threshold": "1 s"}) == [
        ("threshold", "expected a latency such as 200ms or 1.5s; got the string '1 s'", False)]
    assert messages({"name": "a", "threshold": [1]}) == [
        ("threshold", "expected a number or a string; got a list", False)]


def test_one_of_matching_several_branches_is_ambiguous() -> None:
    schema = {"oneOf": [{"type": "number"}, {"type": "number", "minimum": 0}]}
    assert messages(5, schema) == [("", "ambiguous value: matches several forms", False)]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "a boolean"),
        ({}, "a mapping"),
        ([], "a list"),
        (3, "the number 3"),
        (2.5, "the number 2.5"),
        ("x" * 90, "the string '" + "x" * 80 + "...' (90 characters)"),
        (10**400, "an integer of about 401 digits"),
        ("a\nb", "the string 'a\\nb'"),
    ],
)
def test_describe(value: object, text: str) -> None:
    assert describe(value) == text


def test_describe_dates() -> None:
    import datetime

    assert describe(datetime.date(2024, 1, 2)) == "the date 2024-01-02"


def test_the_spec_schema_is_cached_and_loaded_from_the_package() -> None:
    assert schema_check.spec_schema() is schema_check.spec_schema()
    assert schema_check.spec_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_example_spec_is_valid(example_data: dict) -> None:
    assert validate(example_data) == []


def test_errors_on_the_example_spec_point_at_the_field(example_data: dict) -> None:
    data = copy.deepcopy(example_data)
    data["slos"][1]["objective"] = "fifty"
    data["autoscaling"]["behavior"]["scaleUp"]["policies"][0]["type"] = "pods"
    slack = data["oncall"]["receivers"][1]["slack"]
    slack["chanel"] = slack.pop("channel")
    assert messages(data, schema_check.spec_schema()) == [
        ("slos[1].objective", "expected a number, got the string 'fifty'", False),
        ("autoscaling.behavior.scaleUp.policies[0].type",
         "expected one of: Pods, Percent; got the string 'pods' (did you mean 'Pods'?)", False),
        ("oncall.receivers[1].slack.chanel",
         "unknown key 'chanel' (did you mean 'channel'? it is required)", True),
    ]


@pytest.fixture(scope="module")
def example_data() -> dict:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    return load.load(root / "specs" / "autogen-review-bot.yaml").data
