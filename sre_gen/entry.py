"""Console-script entry (``sre-gen``): a fast path for the hot commands, typer for the rest.

Importing typer and building its command (typer >= 0.2x coerces parameters through pydantic)
costs ~100 ms, four times the interpreter's own start-up; ``sre-gen validate`` runs as a
pre-commit hook. So the plain forms

    sre-gen validate [SPEC...]
    sre-gen generate [SPEC...] [--out DIR | -o DIR | --out=DIR]

run here without importing typer. Anything else (--help, --version, --debug, --templates, other
commands, a repeated or unusual option, an argument starting with '-') goes to ``sre_gen.cli``
unchanged, so typer's behaviour and messages are the reference. Both front ends run the same
actions and error mapping (``sre_gen.actions``): only argument parsing differs, and
tests/test_bench_smoke.py runs both on valid and invalid input and compares their output.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from sre_gen import actions


def fast_action(argv: list[str]) -> Callable[[], None] | None:
    """The action for a plain validate/generate command line, or None to let typer handle it."""
    if not argv or argv[0] not in ("validate", "generate"):
        return None
    command, rest = argv[0], argv[1:]
    specs: list[Path] = []
    out: str | None = None
    i = 0
    while i < len(rest):
        arg = rest[i]
        if command == "generate" and arg in ("--out", "-o") and out is None and i + 1 < len(rest):
            out = rest[i + 1]
            i += 2
            continue
        if command == "generate" and arg.startswith("--out=") and out is None:
            out = arg[len("--out="):]
            i += 1
            continue
        if not arg or arg.startswith("-"):
            return None  # an option, '-' or '--': typer's parsing is the reference
        specs.append(Path(arg))
        i += 1
    if out is not None and (not out or out.startswith("-")):
        return None
    paths = specs or None
    if command == "validate":
        return lambda: actions.validate(paths)
    return lambda: actions.generate(paths, Path(out) if out is not None else Path("generated"))


def main() -> None:
    action = fast_action(sys.argv[1:])
    if action is None:
        from sre_gen.cli import main as typer_main

        typer_main()
        return
    sys.exit(actions.run(action))


if __name__ == "__main__":
    main()
