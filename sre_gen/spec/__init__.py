"""Spec pipeline: load (YAML with marks) -> schema check -> semantic checks -> typed model."""

from __future__ import annotations

from pathlib import Path

from sre_gen.errors import SpecError
from sre_gen.model import Service


def load_service(path: Path, display: str | None = None) -> Service:
    """Read, validate and build one spec; raise SpecError with every problem found."""
    from sre_gen.spec import build, load, schema_check, semantic

    doc = load.load(path, display)
    problems = [
        doc.problem(err_path, message, key=at_key)
        for err_path, message, at_key in schema_check.validate(doc.data)
    ]
    problems += semantic.check(doc)
    if problems:
        raise SpecError(problems)
    return build.build(doc)
