"""The promtool wrapper: find the binary, report its version, run it with a timeout.

Lookup order: an explicit path (``--promtool PATH``), the ``PROMTOOL`` environment variable, then
``promtool`` on PATH. A missing binary or a timeout raises ``errors.EnvironmentProblem`` (exit
4), a bad ``--timeout`` ``errors.UsageError`` (exit 2); a run that fails raises
``errors.ToolFailed`` with the command, exit code and output (exit 1). ``check rules`` and
``test rules`` pass only when promtool's output reports SUCCESS for every file, not on its exit
code alone. Output is clipped to its head and tail (``capture.py``).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sre_gen.errors import EnvironmentProblem, ToolFailed, UsageError
from sre_gen.runners import capture

ENV_VAR = "PROMTOOL"
INSTALL_HINT = ("install it (Debian/Ubuntu: apt-get install prometheus, which provides promtool; "
                "or a release from https://prometheus.io/download/), or pass --promtool PATH "
                f"or set {ENV_VAR}")
DEFAULT_TIMEOUT = 300.0
_VERSION = re.compile(r"promtool,\s+version\s+(\S+)")


@dataclass(frozen=True)
class Result:
    command: list[str]
    returncode: int
    output: str  # stdout and stderr, interleaved as promtool wrote them; clipped (capture.py)
    reason: str = ""  # set when promtool exited 0 but did not report success for every file

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.reason


@dataclass(frozen=True)
class Promtool:
    path: str
    timeout: float = DEFAULT_TIMEOUT

    def run(self, *args: str, check: bool = True, cwd: str | Path | None = None) -> Result:
        """Run ``promtool args...``; raise ToolFailed on a non-zero exit when ``check``."""
        return self._run(list(args), check, cwd, None)

    def _run(self, args: list[str], check: bool, cwd: str | Path | None,
             confirm: Callable[[str], str] | None) -> Result:
        """Run promtool; ``confirm(output)`` says what is missing from a successful run's output
        ("" when nothing): an exit code of 0 alone proves nothing (a broken or fake binary)."""
        command = [self.path, *args]
        try:
            with tempfile.TemporaryFile() as sink:
                proc = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, timeout=self.timeout, cwd=cwd,
                                      check=False)
                output = capture.read(sink)
        except subprocess.TimeoutExpired:
            raise EnvironmentProblem(
                f"promtool did not finish within {self.timeout:g} s: {' '.join(command)} "
                "(raise --timeout if the machine is slow)") from None
        except OSError as exc:
            raise EnvironmentProblem(f"cannot run {self.path}: {exc.strerror or exc}") from None
        reason = confirm(output) if confirm and proc.returncode == 0 else ""
        result = Result(command, proc.returncode, output, reason)
        if check and not result.ok:
            raise ToolFailed(command, result.returncode, result.output, result.reason)
        return result

    def version(self) -> str:
        """``2.42.0+ds`` (the first line of ``promtool --version``)."""
        out = self.run("--version").output
        match = _VERSION.search(out)
        return match.group(1) if match else (out.splitlines() or ["unknown"])[0].strip()

    def check_rules(self, *files: str | Path) -> Result:
        """``promtool check rules``: every file must be reported ``SUCCESS: N rules found``."""
        names = [str(f) for f in files]
        return self._run(["check", "rules", *names], True, None,
                         lambda out: _unconfirmed(out, names, _CHECKING, _CHECK_OK))

    def test_rules(self, *files: str | Path, check: bool = True,
                   cwd: str | Path | None = None) -> Result:
        """``promtool test rules``: each file must be reported ``Unit Testing: F``, ``SUCCESS``."""
        names = [str(f) for f in files]
        return self._run(["test", "rules", *names], check, cwd,
                         lambda out: _unconfirmed(out, names, _TESTING, _TEST_OK))


# What promtool 2.x prints per file (cmd/promtool/main.go, unittest.go): a heading naming the
# file, then on the next line SUCCESS (or FAILED plus the reasons).
_CHECKING = re.compile(r"Checking (.+)")
_CHECK_OK = re.compile(r"\s+SUCCESS: \d+ rules found")
_TESTING = re.compile(r"Unit Testing:\s+(.+)")
_TEST_OK = re.compile(r"\s+SUCCESS")


def _unconfirmed(output: str, files: list[str], heading: re.Pattern, success: re.Pattern) -> str:
    """Why ``output`` does not show every one of ``files`` passing ("" when it does)."""
    lines = output.splitlines()
    passed = set()
    for i, line in enumerate(lines[:-1]):
        match = heading.fullmatch(line.rstrip())
        if match and success.fullmatch(lines[i + 1].rstrip()):
            passed.add(match.group(1))
    missing = [f for f in files if f not in passed]
    if not missing:
        return ""
    what = "no output" if not output.strip() else "output without a SUCCESS line for " + \
        ", ".join(missing)
    return f"promtool exited 0 but printed {what}: it did not confirm that it ran"


def find(explicit: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT) -> Promtool:
    """The promtool to use: ``explicit``, else ``$PROMTOOL``, else PATH."""
    check_timeout(timeout)
    candidates = []
    if explicit:
        candidates.append(("--promtool", str(explicit)))
    elif os.environ.get(ENV_VAR):
        candidates.append((ENV_VAR, os.environ[ENV_VAR]))
    for origin, value in candidates:
        path = shutil.which(value) if os.sep not in value else value
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return Promtool(path, timeout)
        raise EnvironmentProblem(f"promtool not found at {value} (from {origin}); {INSTALL_HINT}")
    path = shutil.which("promtool")
    if path is None:
        raise EnvironmentProblem(f"promtool is not installed (not on PATH); {INSTALL_HINT}")
    return Promtool(path, timeout)


MAX_TIMEOUT = 86_400.0  # one day: longer is a typo, and subprocess cannot wait past ~2**31 ms


def check_timeout(timeout: float) -> None:
    """``--timeout``: a finite number of seconds in (0, one day]; else a usage error (exit 2)."""
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout)
            and 0 < timeout <= MAX_TIMEOUT):
        raise UsageError(f"--timeout must be a number of seconds greater than 0 and at most "
                         f"{MAX_TIMEOUT:g} (one day), got {timeout!r}")
