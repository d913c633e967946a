"""What the commands do, and the one place that maps exceptions to messages and exit codes.

Both front ends call these: ``sre_gen.cli`` (typer: help, options, every command) and
``sre_gen.entry`` (the console script's typer-free fast path for plain validate/generate, which
run in pre-commit hooks). Keeping the actions and the error mapping here means the two can only
differ in argument parsing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path


def echo(text: str, err: bool = False, nl: bool = True) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(text + ("\n" if nl else ""))
    stream.flush()


def run(action: Callable[[], int | None], debug: bool = False) -> int:
    """Run ``action``; turn sre-gen's exceptions into messages and exit codes (see errors.py):
    0 ok, 1 check/test failed, 2 usage, 3 invalid spec or template, 4 environment, 123 bug."""
    from sre_gen import report

    code = _run(action, debug, report.current)
    report.current.finish(code)
    return code


def _run(action: Callable[[], int | None], debug: bool, rep) -> int:
    from sre_gen import errors

    try:
        return action() or 0
    except errors.SpecError as exc:
        for problem in exc.problems:
            rep.problem(problem)
        n = len(exc.problems)
        rep.say(f"invalid spec: {n} problem{'s' if n != 1 else ''}", err=True)
        return exc.exit_code
    except errors.SreGenError as exc:
        rep.error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        rep.error("interrupted", prefix="")
        return 130
    except Exception as exc:  # noqa: BLE001 - the internal-error path
        if debug or os.environ.get("SRE_GEN_DEBUG"):
            import traceback

            traceback.print_exc()
        rep.error(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in sre-gen; please report it with the spec that triggers it "
            "(run with --debug for the traceback).", prefix=""
        )
        return errors.EXIT_INTERNAL


def validate(specs: list[Path] | None) -> None:
    from sre_gen import pipeline, report

    for svc in pipeline.load_services(pipeline.discover(specs)):
        report.current.service(svc.spec_path, svc.name, len(svc.slos))


def generate(specs: list[Path] | None, out: Path, templates: Path | None = None,
             jobs: int | None = None) -> None:
    """Validate every spec (nothing is written unless all are valid), then compile the services
    (on ``jobs`` processes, ``sre_gen.parallel``) and stage them in order into hidden siblings
    of their folders (memory holds a few services' output), and the fleet folder
    (``<out>/_fleet/``: the fleet dashboard over the services of the run, see
    ``pipeline.fleet_mode``), then swap them in. A failure before the swaps removes the staged folders and
    leaves <out>/ as it was; each swap replaces one folder atomically. A folder already holding
    what would be written (``sre_gen.output.cache``) is left alone."""
    from sre_gen import conventions as cv
    from sre_gen import pipeline
    from sre_gen.output import cache, write

    ctx = pipeline.Context(templates=templates)
    services = pipeline.load_services(pipeline.discover(specs))
    for name in [svc.name for svc in services] + [cv.FLEET_DIR]:
        for line in write.recover(out, name):
            echo(line, err=True)
    keys = {svc.name: cache.key(svc.spec_path, pipeline.spec_reference(svc.spec_path, out),
                                templates, pipeline.TARGETS) for svc in services}
    fleet = pipeline.fleet_mode(services, specs)
    keys[cv.FLEET_DIR] = cache.fleet_key(pipeline.fleet_inputs(services, out))
    todo = []
    for svc in services:
        n = cache.fresh(out / svc.name, keys[svc.name])
        if n is None:
            todo.append(svc)
        else:
            echo(f"{svc.spec_path}: up to date ({n} files in {out.as_posix()}/{svc.name}/)")
    fleet_fresh = cache.fresh(out / cv.FLEET_DIR, keys[cv.FLEET_DIR]) if fleet == "write" \
        else None
    staged: list[tuple[str, str, Path, dict[str, str]]] = []  # (name, shown, folder, digests)
    try:
        rendered = pipeline.render_many(todo, out, ctx, jobs=jobs)
        try:
            for svc, files in rendered:
                staged.append((svc.name, svc.spec_path,
                               write.stage_service(out, svc.name, files), cache.digests(files)))
                del files
        finally:
            rendered.close()
        if fleet != "write":
            pass
        elif fleet_fresh is None:
            files = pipeline.render_fleet(services, out)
            staged.append((cv.FLEET_DIR, "fleet dashboard",
                           write.stage_service(out, cv.FLEET_DIR, files), cache.digests(files)))
        else:
            echo(f"fleet dashboard: up to date ({fleet_fresh} files in "
                 f"{out.as_posix()}/{cv.FLEET_DIR}/)")
        while staged:
            name, shown, tmp, digests = staged[0]
            cache.forget(out / name)
            write.swap_in(tmp, out / name)
            cache.record(out / name, keys[name], digests)
            staged.pop(0)
            echo(f"{shown}: wrote {len(digests)} files to {out.as_posix()}/{name}/")
    finally:
        for _name, _shown, tmp, _digests in staged:
            write.discard(tmp)
    if fleet == "remove":
        cache.forget(out / cv.FLEET_DIR)
        removed = write.remove_service(out, cv.FLEET_DIR)
        if removed:
            echo(f"fleet dashboard: removed {out.as_posix()}/{cv.FLEET_DIR}/ ({removed} files; "
                 "one service has no fleet dashboard)")


def check(specs: list[Path] | None, out: Path, templates: Path | None, diff: bool,
          jobs: int | None = None) -> int:
    """Regenerate in memory, one service at a time, then the fleet folder of the same services,
    and compare with ``out``."""
    from sre_gen import conventions as cv
    from sre_gen import errors, pipeline, report
    from sre_gen.output import write

    def drifted(name: str, files: dict[str, bytes]) -> bool:
        drift = write.compare(out, name, files, diff)
        for label, paths in (("changed", drift.changed), ("missing", drift.missing),
                             ("stale", drift.stale)):
            for path in paths:
                report.current.drifted(label, path)
        for text in drift.diffs:
            report.current.say(text, end="")
        return bool(drift)

    services, rendered = pipeline.render_each(specs, out, pipeline.Context(templates=templates),
                                              jobs=jobs)
    failed = False
    for svc, files in rendered:  # one service in memory at a time
        failed = drifted(svc.name, files) or failed
    fleet = pipeline.fleet_mode(services, specs)
    if fleet != "leave":
        fleet_files = pipeline.render_fleet(services, out) if fleet == "write" else {}
        failed = drifted(cv.FLEET_DIR, fleet_files) or failed
    if failed:
        report.current.say("generated output is out of date: run `sre-gen generate` and commit",
                           err=True)
        return errors.EXIT_FAILED
    report.current.say(f"up to date: {len(services)} service(s)")
    return 0
