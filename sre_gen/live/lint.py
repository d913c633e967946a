"""``sre-gen lint``: check the series a spec reads against a live Prometheus.

promtool proves the generated rules against sre-gen's own model of the inputs; it cannot know
that the service's series carry ``code``, not ``status``, or that its histogram has no 200 ms
bucket. Lint asks the server (``sre_gen.live.checks``) about every selector of the spec
(``sre_gen.live.uses``) and reports each problem at the spec line that wrote it, in validate's
format: ``file:line:col: path: message``.
"""

from __future__ import annotations

from pathlib import Path

from sre_gen.errors import SpecProblem
from sre_gen.live.checks import Checker
from sre_gen.live.uses import collect
from sre_gen.spec.load import Document, format_path


def lint_service(checker: Checker, service, doc: Document, text: str) -> list[SpecProblem]:
    """Every problem of one service's selectors; ``text`` is the spec's source (to place a
    problem on the line of a multi-line query that holds the selector)."""
    from sre_gen.live.locate import Locator

    uses, thresholds = collect(service, doc)
    found = []
    for u in uses:
        found += checker.use(u)
    for t in thresholds:
        found += checker.threshold(t)
    locator = Locator(doc, text)
    problems = set()
    for f in found:
        if f.use is not None and f.use.raw:
            line, col = locator.where(f.path, f.use.metric, f.use.nth, f.label)
        else:
            line, col = doc.where(f.path)
        problems.add(SpecProblem(doc.file, line, col, format_path(f.path), f.message, f.warning))
    return sorted(problems)


def lint_services(checker: Checker, services) -> list[SpecProblem]:
    """The problems of every (valid, loaded) service, each at its spec's position."""
    from sre_gen.spec import load

    problems: list[SpecProblem] = []
    for svc in services:
        text = load.read_text(Path(svc.spec_path), svc.spec_path)
        problems += lint_service(checker, svc, load.load_text(text, svc.spec_path), text)
    return problems
