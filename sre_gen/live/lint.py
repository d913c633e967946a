"""``sre-gen lint``: check the series a spec reads against a live Prometheus.

promtool proves the generated rules against sre-gen's own model of the inputs; it cannot know
that the service's series carry ``code``, not ``status``, or that its histogram has no 200 ms
bucket. Lint asks the server (``sre_gen.live.checks``) about every selector of the spec
(``sre_gen.live.uses``) and reports each problem at the spec line that wrote it, in validate's
format: ``file:line:col: path: message``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sre_gen.errors import SpecProblem
from sre_gen.live.checks import Checker
from sre_gen.live.uses import collect
from sre_gen.spec.load import Document


def lint_service(checker: Checker, service, doc: Document) -> list[SpecProblem]:
    uses, thresholds = collect(service, doc)
    found = []
    for u in uses:
        found += checker.use(u)
    for t in thresholds:
        found += checker.threshold(t)
    problems = {replace(doc.problem(f.path, f.message), warning=f.warning) for f in found}
    return sorted(problems)


def lint_specs(checker: Checker, paths: list[Path]) -> tuple[list[SpecProblem], list[str]]:
    """(problems of every spec, the services linted). Invalid specs raise SpecError (exit 3)
    before Prometheus is asked anything."""
    from sre_gen import pipeline
    from sre_gen.spec import load

    services = pipeline.load_services(paths)
    problems: list[SpecProblem] = []
    for svc in services:
        doc = load.load(Path(svc.spec_path), svc.spec_path)
        problems += lint_service(checker, svc, doc)
    return problems, [svc.name for svc in services]
