"""Fixtures of the spec tests: the reference JSON Schema validator."""

from __future__ import annotations

import math
import re

import pytest

from sre_gen.spec import schema_check


def ecma_regex(pattern: str) -> re.Pattern:
    """JSON Schema regexes are ECMA-262, where a final ``$`` matches only at the very end of the
    text; Python's ``$`` also matches before a trailing newline. Every pattern of the spec schema
    ends in ``$`` and has no other (test_schema_equivalence checks), so ``\\Z`` is exact."""
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


@pytest.fixture(scope="session")
def reference():
    """python-jsonschema's Draft202012Validator, made to follow JSON and ECMA-262 where it
    follows Python: "number" excludes NaN and infinities (JSON has neither) and ``pattern``
    anchors ``$`` at the very end. Everything else is jsonschema's own code."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "number",
        lambda checker, value: base.TYPE_CHECKER.is_type(value, "number")
        and not (isinstance(value, float) and not math.isfinite(value)),
    )

    def pattern(validator, patrn, instance, schema):
        if validator.is_type(instance, "string") and not ecma_regex(patrn).search(instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")

    cls = jsonschema.validators.extend(base, validators={"pattern": pattern},
                                       type_checker=checker)
    return cls(schema_check.spec_schema())
