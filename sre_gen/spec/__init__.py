"""Spec pipeline: load (YAML with marks) -> schema check -> semantic checks -> typed model."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from sre_gen.errors import SpecError, SpecProblem
from sre_gen.model import Service


def print_warning(problem: SpecProblem) -> None:
    """A warning, reported in the running command's ``--format`` (``sre_gen.report``)."""
    from sre_gen import report

    report.current.problem(problem)


def load_service(path: Path, display: str | None = None,
                 warn: Callable[[SpecProblem], None] = print_warning) -> Service:
    """Read, validate and build one spec; raise SpecError with every error found.

    Warnings (accepted but probably not meant: a burn tier that can never spend the budget, an
    escalation before the response time...) go to ``warn``, by default standard error as
    ``file:line:col: path: warning: message``; they never change the exit code. They are
    reported only once the spec has no errors (fix those first)."""
    from sre_gen.spec import build, load, schema_check, semantic

    doc = load.load(path, display)
    problems = [
        doc.problem(err_path, message, key=at_key)
        for err_path, message, at_key in schema_check.validate(doc.data)
    ]
    problems += semantic.check(doc)
    errors = [p for p in problems if not p.warning]
    if errors:
        raise SpecError(errors)
    service = build.build(doc)
    for problem in sorted(set(problems)):
        warn(problem)
    return service
