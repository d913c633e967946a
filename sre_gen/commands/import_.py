"""``sre-gen import sloth|openslo FILE... [--out specs] [--force]``: translate another tool's SLO
documents into sre-gen specs, one ``<out>/<service>.yaml`` per service.

Each spec is validated before anything is written (a spec that would not validate is a bug of
the importer: nothing is written); an existing spec is replaced only with ``--force``. What has
no sre-gen equivalent is listed in the spec and printed on standard error as
``file:line:col: path: not imported: why``. Exit 0 when imported, 2 when a spec exists (no
``--force``), 3 when an input is not a document of that kind or not readable YAML, 4 when the
output cannot be written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from sre_gen import errors

KINDS = ("sloth", "openslo")


def run(kind: str, files: list[Path], out: Path, force: bool,
        echo: Callable[..., None], sloth_rules: list[Path] = ()) -> int:
    import importlib

    from sre_gen.importers import source, writer

    if kind not in KINDS:
        raise errors.UsageError(f"unknown format {kind!r}: expected one of {', '.join(KINDS)}")
    if not files:
        raise errors.UsageError("give the files to import: sre-gen import "
                                f"{kind} FILE... [--out specs]")
    docs = []
    for path in files:
        docs += source.read(path)  # SpecError (exit 3) for unreadable YAML
    if sloth_rules and kind != "sloth":
        raise errors.UsageError("--sloth-rules goes with sre-gen import sloth")
    rules_docs = [d for path in sloth_rules for d in source.read(path)]
    try:
        module = importlib.import_module(f"sre_gen.importers.{kind}")
        outputs = module.import_docs(docs, rules_docs) if rules_docs else module.import_docs(docs)
    except source.NotImportable as exc:
        raise errors.SpecError([errors.SpecProblem(exc.file, exc.line, exc.col, "",
                                                   exc.message)]) from None
    names = [o.service for o in outputs]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        raise errors.UsageError(f"service {dup!r} comes from more than one kind of document; "
                                "import them separately, into separate folders")
    texts = []
    for o in outputs:  # an indicator shared by several objectives is reported once
        o.unmapped = list(dict.fromkeys(o.unmapped))
    empty = [o for o in outputs if not _has_content(o)]
    for o in empty:  # every SLO skipped: nothing sre-gen could generate, so no spec
        for item in sorted(o.unmapped, key=lambda u: (u.file, u.line, u.col)):
            echo(item.text(), err=True)
        echo(f"{o.service}: nothing imported (every SLO was skipped, see above): no spec "
             "written", err=True)
    outputs = [o for o in outputs if _has_content(o)]
    if not outputs:
        raise errors.SpecError([errors.SpecProblem(
            files[0].as_posix(), 1, 1, "", f"nothing in {len(files)} file(s) could be imported "
            "as an sre-gen SLO (the reasons are listed above)")])
    for o in outputs:
        o.unmapped.sort(key=lambda u: (u.file, u.line, u.col))
        text = writer.render(o)
        _validate(text, out / f"{o.service}.yaml")
        texts.append((o, text))
    targets = [(o, out / f"{o.service}.yaml", text) for o, text in texts]
    existing = [str(t) for _, t, _ in targets if t.exists()]
    if existing and not force:
        verb = "exists" if len(existing) == 1 else "exist"
        raise errors.UsageError(f"{', '.join(existing)} already {verb}: not overwritten (use "
                                "--force to replace)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for o, target, text in targets:
            _write(target, text)
    except OSError as exc:
        raise errors.EnvironmentProblem(f"cannot write to {out}: {exc.strerror}") from None
    for o, target, _ in targets:
        for item in o.unmapped:
            echo(f"{item.text()}", err=True)
        slos = len(o.data.get("slos") or ())
        echo(f"wrote {target} ({o.service}: {slos} SLO{'s' if slos != 1 else ''}"
             f"{f', {len(o.unmapped)} item(s) not imported' if o.unmapped else ''})")
    return 0


def _has_content(o) -> bool:
    return bool(o.data.get("slos"))


def _validate(text: str, target: Path) -> None:
    """The spec as sre-gen will read it: schema and semantic checks (an error is a bug here)."""
    from sre_gen.spec import build, load, schema_check, semantic

    doc = load.load_text(text, target.as_posix())
    problems = [doc.problem(p, m, key=k) for p, m, k in schema_check.validate(doc.data)]
    problems += semantic.check(doc)
    bad = [p for p in problems if not p.warning]
    if bad:
        raise errors.SpecError(bad)
    build.build(doc)


def _write(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
