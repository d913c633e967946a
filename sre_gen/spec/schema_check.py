"""Validate spec data against the packaged JSON Schema, with messages written for people.

This is a small validator for the subset of draft 2020-12 the spec schema uses (type, properties,
additionalProperties, required, propertyNames, pattern, enum, const, minimum/maximum and their
exclusive forms, minLength, items, minItems, uniqueItems, minProperties, maxProperties, oneOf).
It starts in a millisecond where ``jsonschema`` takes ~60 ms to import: the CLI runs as a pre-commit
hook. The test suite checks it against ``jsonschema`` on every spec in the corpus
(tests/spec/test_schema_equivalence.py), and a test asserts the schema uses no other keyword.

Every error carries the path of the value; unknown keys get "did you mean ...?".
"""

from __future__ import annotations

import json
import math
import re
from functools import cache

from sre_gen.errors import shown

SUPPORTED_KEYWORDS = frozenset(
    {
        "$schema", "$id", "title", "description", "type", "properties", "additionalProperties",
        "required", "propertyNames", "pattern", "enum", "const", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "minLength", "items", "minItems", "uniqueItems",
        "minProperties", "maxProperties", "oneOf",
        "default",  # an annotation (editors show it): nothing to check
    }
)  # fmt: skip

# Patterns of the schema, said in words.
PATTERN_HINTS = {
    r"^([0-9]+[wdhms])+$": "expected a duration such as 30s, 5m, 1h, 1h30m, 7d",
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$": (
        "expected a name of lowercase letters, digits and '-', starting and ending with a letter "
        "or digit, at most 63 characters"
    ),
    r"^[a-zA-Z_:][a-zA-Z0-9_:]*$": "expected a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)",
    r"^[a-zA-Z_][a-zA-Z0-9_]*$": "expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)",
    r"^[a-z][a-z0-9_-]{0,30}$": "expected a severity of lowercase letters, digits, '_' or '-'",
    r"^[A-Z][A-Za-z0-9]*$": "expected a CamelCase name (letters and digits, starting uppercase)",
    r"^https?://[^\s]+$": "expected an http(s) URL without spaces",
    r"^[0-9]+(\.[0-9]+)?(ms|s)$": "expected a latency such as 200ms or 1.5s",
    r"^[#@][A-Za-z0-9._-]+$": "expected a Slack channel such as #sre-alerts",
    r"^[^@\s]+@[^@\s]+$": "expected an e-mail address",
    r"^[a-zA-Z][a-zA-Z0-9]*$": "expected a camelCase key (letters and digits)",
    r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$": (
        "expected a region name such as us-east-1 (letters, digits, '.', '_' and '-', starting "
        "and ending with a letter or digit, at most 63 characters)"
    ),
    # chaos experiments
    r"^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9*,/-]+( [0-9*,/-]+){4})$": (
        "expected a cron schedule of five fields (minute hour day-of-month month day-of-week, "
        "such as '0 10 * * 2') or a descriptor such as @weekly"
    ),
    r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(/[0-9]{1,3})?(:[0-9]{1,5})?$": (
        "expected a host name, IPv4 address or CIDR, optionally with :port (such as "
        "api.github.com or 10.0.0.0/8:5432)"
    ),
    r"^[1-9][0-9]*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB|%)$": (
        "expected a size such as 256MB or 1GiB, or a share of the memory such as 80%"
    ),
    r"^[a-z][a-z0-9_]*$": "expected a step name of lowercase letters, digits and '_'",
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$": (
        "expected a Kubernetes label name such as app or app.kubernetes.io/name"
    ),
    r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$": (
        "expected a Kubernetes label value: at most 63 letters, digits, '-', '_' or '.', "
        "starting and ending with a letter or digit"
    ),
}

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}


@cache
def spec_schema() -> dict:
    # pkgutil reads through the package's loader (zip-safe like importlib.resources) without
    # importing importlib.resources' tempfile/zipfile/shutil chain: ~5 ms of CLI start-up.
    import pkgutil

    data = pkgutil.get_data("sre_gen.schema", "spec-v1.schema.json")
    assert data is not None, "sre_gen.schema has no loader"
    return json.loads(data.decode("utf-8"))


def describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float) and not math.isfinite(value):
        word = ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
        return f"{word} (not a finite number)"
    if isinstance(value, (int, float)):
        text = shown(value)
        return text if " " in text else f"the number {text}"  # huge ints come described
    if isinstance(value, str):
        return f"the string {shown(value)}"
    if hasattr(value, "isoformat"):  # YAML timestamps: 2024-01-01
        return f"the date {value.isoformat()}"
    return type(value).__name__


def _is_type(value: object, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float)) and not (
            isinstance(value, float) and (math.isnan(value) or math.isinf(value))
        )
    return False


class Error(tuple):
    """(path, message, at_key): at_key means the position is the key, not the value."""

    __slots__ = ()

    def __new__(cls, path: tuple, message: str, at_key: bool = False):
        return super().__new__(cls, (path, message, at_key))


def validate(data: object, schema: dict | None = None) -> list[Error]:
    schema = schema if schema is not None else spec_schema()
    errors: list[Error] = []
    _check(data, schema, (), errors)
    return errors


def _check(value: object, schema: dict, path: tuple, errors: list[Error]) -> None:
    if "oneOf" in schema and not _one_of(value, schema, path, errors):
        return
    if "const" in schema and value != schema["const"]:
        errors.append(Error(path, f"expected {schema['const']!r}, got {describe(value)}"))
        return
    kind = schema.get("type")
    if kind is not None and not _is_type(value, kind):
        quote = kind == "string" and (isinstance(value, int) or hasattr(value, "isoformat"))
        hint = "; put it in quotes to make it text" if quote else ""
        errors.append(Error(path, f"expected {_TYPE_NAMES[kind]}, got {describe(value)}{hint}"))
        return
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(str(c) for c in schema["enum"])
        hint = _suggest(str(value), [str(c) for c in schema["enum"]])
        errors.append(Error(path, f"expected one of: {choices}; got {describe(value)}{hint}"))
        return
    if isinstance(value, str):
        _check_string(value, schema, path, errors)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(value, schema, path, errors)
    elif isinstance(value, dict):
        _check_object(value, schema, path, errors)
    elif isinstance(value, list):
        _check_array(value, schema, path, errors)


def _check_string(value: str, schema: dict, path: tuple, errors: list[Error]) -> None:
    if len(value) < schema.get("minLength", 0):
        errors.append(Error(path, "must not be empty"))
        return
    pattern = schema.get("pattern")
    if pattern is not None and not _regex(pattern).search(value):
        hint = PATTERN_HINTS.get(pattern, f"expected text matching {pattern}")
        errors.append(Error(path, f"{hint}; got {describe(value)}"))


@cache
def _regex(pattern: str) -> re.Pattern:
    """JSON Schema patterns are ECMA-262: a final ``$`` matches only at the very end, where
    Python's ``$`` also matches before a trailing newline (``"name\\n"`` would pass)."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _check_number(value: float, schema: dict, path: tuple, errors: list[Error]) -> None:
    checks = (
        ("minimum", lambda v, b: v >= b, "at least"),
        ("exclusiveMinimum", lambda v, b: v > b, "greater than"),
        ("maximum", lambda v, b: v <= b, "at most"),
        ("exclusiveMaximum", lambda v, b: v < b, "less than"),
    )
    for key, ok, words in checks:
        if key in schema and not ok(value, schema[key]):
            errors.append(Error(path, f"must be {words} {schema[key]}, got {shown(value)}"))
            return


def _check_object(value: dict, schema: dict, path: tuple, errors: list[Error]) -> None:
    props: dict = schema.get("properties", {})
    missing = [name for name in schema.get("required", []) if name not in value]
    misspelt: set[str] = set()  # missing keys an unknown key is a misspelling of: one report
    first = len(errors)  # the missing keys are reported first, as the object's own problems
    names = schema.get("propertyNames")
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        child = path + (key,)
        if names is not None:
            before = len(errors)
            _check(key, names, child, errors)
            if len(errors) > before:
                p, msg, _ = errors.pop()
                msg = msg.rsplit("; got ", 1)[0]  # the key is already quoted
                errors.append(Error(p, f"bad key {shown(key)}: {msg}", True))
                continue
        if key in props:
            _check(item, props[key], child, errors)
        elif extra is False:
            close = _closest(key, list(props))
            allowed = ", ".join(props) if len(props) <= 12 else None
            if close in missing:
                misspelt.add(close)
                tail = f" (did you mean {close!r}? it is required)"
            else:
                tail = (f" (did you mean {close!r}?)" if close
                        else f" (allowed: {allowed})" if allowed else "")
            errors.append(Error(child, f"unknown key {shown(key)}{tail}", True))
        elif isinstance(extra, dict):
            _check(item, extra, child, errors)
    if len(value) < schema.get("minProperties", 0):
        if schema.get("maxProperties") == 1:
            errors.append(Error(path, f"expected exactly one of: {', '.join(props)}"))
        else:
            errors.append(Error(path, f"must have at least {schema['minProperties']} entries"))
    elif "maxProperties" in schema and len(value) > schema["maxProperties"]:
        if schema["maxProperties"] == 1 and props:
            given = ", ".join(k if k.isprintable() and len(k) <= 80 else shown(k) for k in value)
            errors.append(Error(path, f"expected exactly one of: {', '.join(props)}; got {given}"))
        else:
            errors.append(Error(path, f"too many keys: at most {schema['maxProperties']}"))
    errors[first:first] = [Error(path, f"missing required key {name!r}")
                           for name in missing if name not in misspelt]


def _check_array(value: list, schema: dict, path: tuple, errors: list[Error]) -> None:
    if len(value) < schema.get("minItems", 0):
        n = schema["minItems"]
        errors.append(Error(path, "must have at least one item" if n == 1
                            else f"must have at least {n} items"))
    items = schema.get("items")
    if items is not None:
        for i, item in enumerate(value):
            _check(item, items, path + (i,), errors)
    if schema.get("uniqueItems"):
        seen: list = []
        for i, item in enumerate(value):
            if item in seen:
                errors.append(Error(path + (i,), f"duplicate item {shown(item)}"))
            seen.append(item)


def _one_of(value: object, schema: dict, path: tuple, errors: list[Error]) -> bool:
    """oneOf over ``required`` branches (exactly one of several keys) or over typed branches."""
    branches = schema["oneOf"]
    if all(set(b) == {"required"} for b in branches):
        if not isinstance(value, dict):
            return True  # the type check reports it
        keys = [b["required"][0] for b in branches]
        present = [k for k in keys if k in value]
        if len(present) == 1:
            return True
        if not present:
            wanted = " or ".join(repr(k) for k in keys)
            errors.append(Error(path, f"missing required key: one of {wanted}"))
        else:
            given = ", ".join(shown(k) for k in present)
            errors.append(Error(path, f"give only one of the keys {given}"))
        return False
    results = []
    for branch in branches:
        sub: list[Error] = []
        _check(value, branch, path, sub)
        results.append(sub)
    passing = [r for r in results if not r]
    if len(passing) == 1:
        return True
    if len(passing) > 1:
        errors.append(Error(path, "ambiguous value: matches several forms"))
        return False
    # Report the branch whose type fits (deepest errors), else a summary of the accepted forms.
    fitting = [
        r for b, r in zip(branches, results) if b.get("type") is None or _is_type(value, b["type"])
    ]
    if len(fitting) == 1:
        errors.extend(fitting[0])
    else:
        forms = " or ".join(
            b.get("description") or _TYPE_NAMES.get(b.get("type", ""), "another form")
            for b in branches
        )
        errors.append(Error(path, f"expected {forms}; got {describe(value)}"))
    return False


def _closest(word: str, choices: list[str]) -> str | None:
    import difflib  # lazy: only unknown keys need it

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    return close[0] if close else None


def _suggest(word: str, choices: list[str]) -> str:
    close = _closest(word, choices)
    return f" (did you mean {close!r}?)" if close else ""
