"""The library behind the CLI: find specs, load them, compile every target, write or compare.

The CLI is a thin adapter over these functions; tests and benchmarks call them directly.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from pathlib import Path

from sre_gen.errors import SpecError, UsageError
from sre_gen.model import Service

DEFAULT_SPEC_DIR = Path("specs")
DEFAULT_OUT_DIR = Path("generated")

# One module per target; each exposes build(service, ctx) -> {relative path: text}.
# (sre_gen.proofs writes prometheus/tests/ only with settings.writePromtoolTests.)
PROMETHEUS_TARGETS = ("sre_gen.compile.rules", "sre_gen.proofs")
TARGETS = (
    *PROMETHEUS_TARGETS,
    "sre_gen.compile.kubernetes",
    "sre_gen.compile.dashboards",
    "sre_gen.compile.runbooks",
    "sre_gen.compile.postmortem",
    "sre_gen.compile.alertmanager",
    "sre_gen.compile.chaos",
)


@dataclass(frozen=True)
class Context:
    """What compilers may need beyond the model."""

    templates: Path | None = None  # --templates DIR overriding the packaged templates


def discover(specs: list[Path] | None) -> list[Path]:
    """The given spec files, or every specs/*.yaml|yml, sorted so order never matters."""
    if specs:
        return sorted(dict.fromkeys(specs), key=lambda p: p.as_posix())
    if not DEFAULT_SPEC_DIR.is_dir():
        raise UsageError(
            "no spec given and no specs/ folder here: pass spec files, e.g. "
            "sre-gen validate specs/my-service.yaml"
        )
    found = sorted(
        [*DEFAULT_SPEC_DIR.glob("*.yaml"), *DEFAULT_SPEC_DIR.glob("*.yml")],
        key=lambda p: p.as_posix(),
    )
    if not found:
        raise UsageError(f"no *.yaml spec in {DEFAULT_SPEC_DIR}/")
    return found


def display_path(path: Path) -> str:
    """How a spec is named in messages: relative to the working directory when inside it."""
    try:
        return Path(os.path.relpath(path)).as_posix() if not path.is_absolute() or \
            Path.cwd() in Path(os.path.abspath(path)).parents else path.as_posix()
    except ValueError:  # other drive on Windows
        return path.as_posix()


def load_services(paths: list[Path]) -> list[Service]:
    """Load every spec; report the problems of all files together; reject duplicate services."""
    from sre_gen.spec import load_service

    services: list[Service] = []
    problems = []
    for path in paths:
        try:
            services.append(load_service(path, display_path(path)))
        except SpecError as exc:
            problems.extend(exc.problems)
    seen: dict[str, Service] = {}
    for svc in services:
        if svc.name in seen:
            from sre_gen.errors import SpecProblem

            problems.append(SpecProblem(svc.spec_path, 1, 1, "service.name",
                                        f"service {svc.name!r} is also defined in "
                                        f"{seen[svc.name].spec_path}"))
        seen[svc.name] = svc
    if problems:
        raise SpecError(problems)
    return services


def compile_service(service: Service, ctx: Context,
                    targets: tuple[str, ...] = TARGETS) -> dict[str, str]:
    """Every generated file of one service: relative path -> text (without the header)."""
    files: dict[str, str] = {}
    for name in targets:
        module = importlib.import_module(name)
        for rel, text in module.build(service, ctx).items():
            if rel in files:
                raise AssertionError(f"{name} and another target both write {rel}")
            files[rel] = text
    return files


def spec_reference(spec_path: str, out_dir: Path) -> str:
    """The spec as named in generated headers: relative to the output's parent (the repo root),
    so the bytes do not depend on the working directory. The path is taken as given (absolute,
    normalised, never resolved through symlinks): a spec that is a link is named as the link."""
    spec = os.path.abspath(spec_path)
    root = os.path.dirname(os.path.abspath(out_dir))
    rel = os.path.relpath(spec, root) if os.path.splitdrive(spec)[0] == \
        os.path.splitdrive(root)[0] else ".."
    if rel == ".." or rel.startswith(".." + os.sep):
        return f"{os.path.basename(os.path.dirname(spec))}/{os.path.basename(spec)}"
    return Path(rel).as_posix()


def render_service(service: Service, out_dir: Path, ctx: Context,
                   targets: tuple[str, ...] = TARGETS) -> dict[str, bytes]:
    """Every file of one service as written: ``{relative path: bytes}`` with headers and the
    ownership manifest (of these targets' files only, when not all)."""
    from sre_gen.output import write

    files = compile_service(service, ctx, targets)
    return write.with_headers(files, spec_reference(service.spec_path, out_dir))


def render_each(specs: list[Path] | None, out_dir: Path, ctx: Context,
                targets: tuple[str, ...] = TARGETS, jobs: int | None = None):
    """Validate every spec first (raises SpecError before anything is compiled), then yield
    ``(service, {path: bytes})`` one service at a time (see ``render_many``)."""
    services = load_services(discover(specs))
    return services, render_many(services, out_dir, ctx, targets, jobs)


# Dashboards (grafanalib's import alone is ~a third of a one-service run) are computed apart
# from the other targets when there are fewer services than cores.
_APART = ("sre_gen.compile.dashboards",)


def render_many(services: list[Service], out_dir: Path, ctx: Context,
                targets: tuple[str, ...] = TARGETS, jobs: int | None = None):
    """``(service, {path: bytes})`` for each service, in order, the same bytes as
    ``render_service``. The compiling is shared among ``jobs`` processes (default
    ``sre_gen.parallel.default_jobs()``: SRE_GEN_JOBS or the CPU count): whole services when
    there are enough of them, else each service's targets in two parts. At most a few
    services' output is held in memory (results are handed over in order, a few ahead)."""
    from sre_gen import parallel
    from sre_gen.output import write

    jobs = parallel.default_jobs() if jobs is None else jobs
    split = jobs > 1 and len(services) < jobs and any(t in _APART for t in targets)
    parts: list[tuple[int, tuple[str, ...]]] = []
    for i in range(len(services)):
        if split:
            parts.append((i, tuple(t for t in targets if t not in _APART)))
            parts.append((i, tuple(t for t in targets if t in _APART)))
        else:
            parts.append((i, targets))

    def work(part: tuple[int, tuple[str, ...]]) -> dict[str, str] | dict[str, dict[str, str]]:
        i, names = part
        if not split:
            return compile_service(services[i], ctx, names)
        return {name: compile_service(services[i], ctx, (name,)) for name in names}

    results = parallel.ordered_map(work, parts, jobs)
    try:
        for svc in services:
            files = next(results)
            if split:  # both parts, merged in the targets' order (as compile_service)
                by_target = {**files, **next(results)}
                files = {}
                for name in targets:
                    for rel, text in by_target[name].items():
                        if rel in files:
                            raise AssertionError(f"{name} and another target both write {rel}")
                        files[rel] = text
            yield svc, write.with_headers(files, spec_reference(svc.spec_path, out_dir))
    finally:
        results.close()  # stops the workers when the caller stops early


def render_all(specs: list[Path] | None, out_dir: Path, ctx: Context):
    """Load and compile everything in memory. Returns [(service, {path: bytes})] (for tests and
    small runs; the commands use ``render_each``)."""
    _services, each = render_each(specs, out_dir, ctx)
    return list(each)


def render_fleet(services: list[Service], out_dir: Path) -> dict[str, bytes]:
    """The fleet folder ``<out>/_fleet/`` (the fleet dashboard over ``services``, the services of
    the run) as written: ``{relative path: bytes}`` with its ownership manifest."""
    from sre_gen.compile import fleet
    from sre_gen.output import write

    refs = ", ".join(spec_reference(s.spec_path, out_dir) for s in services)
    return write.with_headers(fleet.build(services), refs)


def fleet_mode(services: list[Service], specs: list[Path] | None) -> str:
    """What a run does with the fleet folder ``<out>/_fleet/``: ``write`` the fleet of the run's
    services when there are two or more; with one service a fleet would only repeat its SLO
    dashboard, so a run over every spec (no spec given) ``remove``s a fleet left from earlier
    specs, and a run over the spec files given (often one of several) ``leave``s it as it is."""
    if len(services) >= 2:
        return "write"
    return "remove" if not specs else "leave"


def fleet_inputs(services: list[Service], out_dir: Path) -> list[tuple[str, str]]:
    """What the fleet folder depends on: each service's name and spec reference (cache key)."""
    return [(s.name, spec_reference(s.spec_path, out_dir)) for s in services]
