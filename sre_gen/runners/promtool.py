"""The promtool wrapper: find the binary, report its version, run it with a timeout.

Lookup order: an explicit path (``--promtool PATH``), the ``PROMTOOL`` environment variable, then
``promtool`` on PATH. A missing binary or a timeout raises ``errors.EnvironmentProblem`` (exit 4);
a run that fails raises ``errors.ToolFailed`` with the command, exit code and output (exit 1).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sre_gen.errors import EnvironmentProblem, ToolFailed

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
    output: str  # stdout and stderr, interleaved as promtool wrote them

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass(frozen=True)
class Promtool:
    path: str
    timeout: float = DEFAULT_TIMEOUT

    def run(self, *args: str, check: bool = True, cwd: str | Path | None = None) -> Result:
        """Run ``promtool args...``; raise ToolFailed on a non-zero exit when ``check``."""
        command = [self.path, *args]
        try:
            proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, errors="replace", timeout=self.timeout, cwd=cwd,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise EnvironmentProblem(
                f"promtool did not finish within {self.timeout:g} s: {' '.join(command)} "
                "(raise --timeout if the machine is slow)") from None
        except OSError as exc:
            raise EnvironmentProblem(f"cannot run {self.path}: {exc.strerror or exc}") from None
        result = Result(command, proc.returncode, proc.stdout or "")
        if check and not result.ok:
            raise ToolFailed(command, result.returncode, result.output)
        return result

    def version(self) -> str:
        """``2.42.0+ds`` (the first line of ``promtool --version``)."""
        out = self.run("--version").output
        match = _VERSION.search(out)
        return match.group(1) if match else (out.splitlines() or ["unknown"])[0].strip()

    def check_rules(self, *files: str | Path) -> Result:
        return self.run("check", "rules", *[str(f) for f in files])

    def test_rules(self, *files: str | Path, check: bool = True,
                   cwd: str | Path | None = None) -> Result:
        return self.run("test", "rules", *[str(f) for f in files], check=check, cwd=cwd)


def find(explicit: str | Path | None = None, timeout: float = DEFAULT_TIMEOUT) -> Promtool:
    """The promtool to use: ``explicit``, else ``$PROMTOOL``, else PATH."""
    if timeout <= 0:
        raise EnvironmentProblem(f"--timeout must be positive, got {timeout:g}")
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
