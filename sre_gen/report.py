"""How ``validate`` and ``check`` report: ``--format text|github|json``.

- ``text`` (default): ``file:line:col: field.path: message`` lines on standard error, the
  summary on standard output.
- ``github``: GitHub Actions workflow commands, so problems appear on the pull request's lines:
  ``::error file=specs/x.yaml,line=3,col=5,title=slos[0].objective::message`` (``::warning``
  for warnings; drift is ``::error file=<generated file>,title=changed::...``), escaped as the
  runner expects (``%``, CR and LF in the message; also ``:`` and ``,`` in properties). The
  text summary follows.
- ``json``: one JSON document on standard output when the command ends, whatever the outcome:
  ``{"ok", "exit_code", "problems": [{"file", "line", "column", "path", "message",
  "severity"}], "drift": [{"kind", "path"}], "services": [...], "error"}``; nothing else is
  printed.

The exit codes do not depend on the format.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

FORMATS = ("text", "github", "json")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass
class Reporter:
    format: str = "text"
    problems: list[dict] = field(default_factory=list)
    drift: list[dict] = field(default_factory=list)
    services: list[dict] = field(default_factory=list)
    data: dict = field(default_factory=dict)  # a command's own keys of the json document
    _error: str = ""

    def problem(self, p) -> None:
        """A spec problem (``errors.SpecProblem``): an error or a warning."""
        severity = "warning" if p.warning else "error"
        if self.format == "json":
            self.problems.append({"file": p.file, "line": p.line, "column": p.column,
                                  "path": p.path, "message": p.message, "severity": severity})
        elif self.format == "github":
            title = f",title={_escape_property(p.path)}" if p.path else ""
            _err(f"::{severity} file={_escape_property(p.file)},line={p.line},col={p.column}"
                 f"{title}::{_escape_data(p.message)}")
        else:
            _err(str(p))

    def drifted(self, kind: str, path: str) -> None:
        """A generated file that is ``changed``, ``missing`` or ``stale``."""
        if self.format == "json":
            self.drift.append({"kind": kind, "path": path})
            return
        if self.format == "github":
            _err(f"::error file={_escape_property(path)},title={kind}::{_escape_data(path)} is "
                 f"{kind}: run sre-gen generate and commit the result")
        _out(f"{kind}: {path}")

    def service(self, spec: str, name: str, slos: int, quiet: bool = False) -> None:
        """A valid spec (``quiet``: listed in the json document only)."""
        if self.format == "json":
            self.services.append({"spec": spec, "service": name, "slos": slos})
        elif not quiet:
            _out(f"{spec}: ok ({name}: {slos} SLO{'' if slos == 1 else 's'})")

    def annotate(self, severity: str, title: str, message: str) -> None:
        """A finding not at a spec position (``sre-gen budget``): github: an ``::error`` or
        ``::warning`` annotation; text: warnings on standard error (errors are in the command's
        own output); json: left out (the command's data holds it)."""
        if self.format == "github":
            _err(f"::{severity} title={_escape_property(title)}::{_escape_data(message)}")
        elif self.format == "text" and severity == "warning":
            _err(f"warning: {message}")

    def say(self, text: str, err: bool = False, end: str = "\n") -> None:
        """Text output (json: left out)."""
        if self.format != "json":
            (_err if err else _out)(text, end)

    def error(self, text: str, prefix: str = "error: ") -> None:
        """An error that is not at a spec position (usage, environment, internal)."""
        if self.format == "json":
            self._error = text
        elif self.format == "github":
            _err(f"::error::{_escape_data(text)}")
        else:
            _err(f"{prefix}{text}")

    def finish(self, exit_code: int) -> None:
        if self.format != "json":
            return
        import json

        doc = {"ok": exit_code == 0, "exit_code": exit_code, "problems": self.problems,
               "drift": self.drift, "services": self.services}
        doc.update(self.data)
        if self._error:
            doc["error"] = self._error
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def _out(text: str, end: str = "\n") -> None:
    sys.stdout.write(text + end)
    sys.stdout.flush()


def _err(text: str, end: str = "\n") -> None:
    sys.stderr.write(text + end)
    sys.stderr.flush()


current = Reporter()  # the running command's reporter (set by the CLI for --format)
