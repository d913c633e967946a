"""One exception hierarchy; ``sre_gen.cli`` maps it to exit codes in one place."""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_FAILED = 1  # check found drift, or a test failed
EXIT_USAGE = 2
EXIT_INVALID_SPEC = 3
EXIT_ENVIRONMENT = 4
EXIT_INTERNAL = 123


class SreGenError(Exception):
    exit_code = EXIT_INTERNAL


class UsageError(SreGenError):
    exit_code = EXIT_USAGE


ECHO_LIMIT = 80  # characters of a user's value quoted in a message
MESSAGE_LIMIT = 600  # a whole problem message, whatever its parts echo


def shown(value: object, limit: int = ECHO_LIMIT) -> str:
    """A value from the spec as quoted in a message: ``repr``, cut to ``limit`` characters with
    an ellipsis and the full length, so a 500,000-character value cannot flood the terminal:
    ``'xxxx...' (500163 characters)``; a huge integer is described by its size."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3 * limit:
        digits = int(value.bit_length() * 0.30103) + 1  # log10(2); str() refuses > 4300 digits
        return f"{'a negative' if value < 0 else 'an'} integer of about {digits} digits"
    if isinstance(value, str) and len(value) > limit:
        head = repr(value[:limit])
        return f"{head[:-1]}...{head[-1]} ({len(value)} characters)"
    text = repr(value)  # a list or mapping of such values
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _capped(message: str, limit: int) -> str:
    if len(message) <= limit:
        return message
    return f"{message[:limit]}... (cut from {len(message)} characters)"


@dataclass(frozen=True, order=True)
class SpecProblem:
    """One problem in a spec, at a position (1-based line and column)."""

    file: str
    line: int
    column: int
    path: str  # dotted field path, e.g. slos[0].sli.ratio.total; "" for the document
    message: str
    warning: bool = False  # accepted (exit 0) but printed: "file:line:col: path: warning: ..."

    def __post_init__(self) -> None:
        # The backstop behind shown(): no message, wherever it echoes user text from, is
        # printed longer than MESSAGE_LIMIT (a path of huge keys neither).
        object.__setattr__(self, "path", _capped(self.path, MESSAGE_LIMIT // 2))
        object.__setattr__(self, "message", _capped(self.message, MESSAGE_LIMIT))

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        kind = "warning: " if self.warning else ""
        return f"{self.file}:{self.line}:{self.column}: {where}{kind}{self.message}"


class SpecError(SreGenError):
    """The spec is invalid; carries every problem found, sorted by position."""

    exit_code = EXIT_INVALID_SPEC

    def __init__(self, problems: list[SpecProblem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class TemplateProblem(SreGenError):
    """A user template (--templates DIR) does not parse or render: ``file:line: message``.

    Exit 3 like an invalid spec: it is bad input in a file the user edits, fixed the same way (go to
    file:line); 4 is for the machine (tools, permissions). A packaged template failing is a bug in
    sre-gen and exits 123 instead."""

    exit_code = EXIT_INVALID_SPEC

    def __init__(self, where: str, line: int | None, message: str):
        self.where = where
        self.line = line
        super().__init__(f"{where}:{line}: {message}" if line else f"{where}: {message}")


class CheckFailed(SreGenError):
    """``sre-gen check`` found drift, or ``sre-gen test`` found failing tests."""

    exit_code = EXIT_FAILED


class EnvironmentProblem(SreGenError):
    """A tool is missing, output is not writable, a subprocess timed out..."""

    exit_code = EXIT_ENVIRONMENT


class ToolFailed(SreGenError):
    """A subprocess (promtool, amtool) ran and failed: print the command, code and output."""

    exit_code = EXIT_FAILED

    def __init__(self, command: list[str], returncode: int, output: str, reason: str = ""):
        from sre_gen.runners.capture import clip

        self.command = command
        self.returncode = returncode
        self.output = clip(output)  # a tool may print megabytes: head and tail are shown
        self.reason = reason  # why an exit 0 still failed, e.g. promtool reported no SUCCESS
        shown = " ".join(command)
        why = f"; {reason}" if reason else ""
        super().__init__(f"command failed (exit {returncode}{why}): {shown}\n"
                         f"{self.output.rstrip() or '(no output)'}")
