"""``sre-gen test``: run promtool on the generated rules and on their proofs, for every service.

1. Load the specs and compile their Prometheus rules in memory; the files on disk under
   ``<out>/<service>/prometheus/`` must match (else: "run sre-gen generate", exit 1). Tests run
   against the files that are deployed, never against a fresh copy that might differ from them.
2. ``promtool check rules`` on the checked-in rule files (the plain files, else the groups of the
   PrometheusRule object in one temporary file).
3. ``promtool test rules`` on every proof: by default generated now into a temporary folder
   (``--keep DIR`` leaves them there), each reading only the checked-in rules it exercises
   (``sre_gen.proofs.scoped``); with ``settings.writePromtoolTests`` the checked-in
   ``prometheus/tests/*.yaml`` instead, as reviewed. promtool runs on ``--jobs`` files at a time
   (default: the number of CPUs), starting on the first proof while the next is generated. Then
   the user's own tests next to the spec: ``<spec dir>/<spec stem>.tests/*.yaml``. In a user
   test, ``rule_files`` is replaced by the service's checked-in rule files (so it can be written
   as ``rule_files: [recording-rules.yaml, alerting-rules.yaml]`` or left out), and
   ``group_eval_order`` is set to "recording groups first" unless the file sets it.
4. A summary (files, test groups, failures), for each failure the promtool command, its exit
   code and its output (clipped to head and tail), and a warning per alert the proofs could not
   cover (``# untested:`` lines). A file passes only when promtool exits 0 AND reports
   ``SUCCESS`` for it: a promtool that exits 0 without running the tests fails the run.

Exit 0 when everything passes, 1 on a failure or stale output, 2 for a ``--timeout`` that is not
a number of seconds in (0, 86400] or a ``--keep`` folder that is not empty, 4 when promtool is
missing or a run exceeds ``--timeout``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sre_gen import conventions as cv
from sre_gen import errors

Echo = Callable[..., None]


@dataclass
class FileRun:
    service: str
    shown: str  # path as printed
    path: Path  # file promtool runs
    groups: int
    user: bool = False
    ok: bool = False
    output: str = ""  # promtool's output, clipped to its head and tail
    failure: str = ""  # command, exit code and why, when not ok


@dataclass
class Report:
    version: str = ""
    files: list[FileRun] = field(default_factory=list)
    untested: list[str] = field(default_factory=list)
    rule_checks: int = 0

    @property
    def failed(self) -> list[FileRun]:
        return [f for f in self.files if not f.ok]

    @property
    def groups(self) -> int:
        return sum(f.groups for f in self.files)


def user_tests_dir(spec_path: str | Path) -> Path:
    """Where a spec's own promtool tests live: ``specs/my-svc.yaml`` -> ``specs/my-svc.tests/``."""
    spec = Path(spec_path)
    return spec.with_name(spec.stem + cv.USER_TESTS_SUFFIX)


def _count_groups(text: str) -> int:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return 0
    tests = data.get("tests") if isinstance(data, dict) else None
    return len(tests) if isinstance(tests, list) else 0


def _stale(out_dir: Path, service: str, files: dict[str, bytes]) -> list[str]:
    from sre_gen.output import write

    prom = {rel: data for rel, data in files.items() if rel.startswith(cv.PROMETHEUS_DIR + "/")}
    drift = write.compare(out_dir, service, prom, want_diff=False)
    prefix = f"{out_dir.as_posix()}/{service}/{cv.PROMETHEUS_DIR}/"
    return ([f"missing: {p}" for p in drift.missing]
            + [f"changed: {p}" for p in drift.changed]
            + [f"stale: {p}" for p in drift.stale if p.startswith(prefix)])


def _user_test(src: Path, rule_files: list[Path], group_order: list[str], tmp: Path,
               service: str) -> tuple[Path, int]:
    """A copy of a user test whose rule_files are the generated ones."""
    import yaml

    try:
        data = yaml.safe_load(src.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise errors.UsageError(f"{src.as_posix()}: not a readable promtool test file: {exc}") \
            from None
    if not isinstance(data, dict) or not isinstance(data.get("tests"), list):
        raise errors.UsageError(f"{src.as_posix()}: a promtool test file needs a `tests:` list")
    data["rule_files"] = [str(p.resolve()) for p in rule_files]
    data.setdefault("group_eval_order", group_order)
    folder = tmp / service / "user-tests"
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / src.name
    dest.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
    return dest, len(data["tests"])


def collect(specs: list[Path] | None, out_dir: Path, tmp: Path,
            start: Callable[[FileRun], None] = lambda item: None,
            rules_ready: Callable[[list[Path]], None] = lambda files: None,
            ) -> tuple[Report, list[Path]]:
    """The test files to run and the rule files to check (raises CheckFailed when stale).
    ``rules_ready(files)`` is called once the rule files to check are known, before any proof is
    generated; ``start(item)`` as soon as each test file is ready to run."""
    from sre_gen import pipeline
    from sre_gen.proofs import scoped, untested

    services, rendered = pipeline.render_each(specs, out_dir, pipeline.Context(),
                                              pipeline.PROMETHEUS_TARGETS)
    problems: list[str] = []
    report = Report()
    written: dict[str, list[tuple[str, str]]] = {}  # service -> [(rel, text)] checked-in tests
    for svc, files in rendered:  # one service's output in memory at a time
        problems += _stale(out_dir, svc.name, files)
        written[svc.name] = [(rel, files[rel].decode("utf-8")) for rel in sorted(files)
                             if rel.startswith(cv.PROMTOOL_TESTS_DIR + "/")
                             and rel.endswith(".yaml")]
        del files
    if problems:
        raise errors.CheckFailed(
            "the generated Prometheus files are missing or out of date; run `sre-gen generate"
            + (f" --out {out_dir.as_posix()}" if out_dir != pipeline.DEFAULT_OUT_DIR else "")
            + "` first:\n" + "\n".join(problems))
    rule_files: list[Path] = []
    groups_of: dict[str, list[dict]] = {}
    plain_of: dict[str, list[Path]] = {}
    for svc in services:
        folder = out_dir / svc.name
        plain = [folder / rel for rel in (cv.RECORDING_RULES_FILE, cv.ALERTING_RULES_FILE)
                 if (folder / rel).is_file()]
        groups_of[svc.name] = groups = scoped.checked_in_groups(folder) or []
        if groups and not plain:  # only the PrometheusRule object is checked in: its groups
            plain = [scoped.write_all_groups(groups, tmp / svc.name)]
        plain_of[svc.name] = plain
        rule_files += plain
    rules_ready(rule_files)

    def add(item: FileRun) -> None:
        report.files.append(item)
        start(item)

    for svc in services:
        folder = out_dir / svc.name
        groups = groups_of[svc.name]
        if svc.settings.write_promtool_tests:  # the checked-in tests, as reviewed
            for rel, text in written[svc.name]:
                shown = f"{out_dir.as_posix()}/{svc.name}/{rel}"
                report.untested += [f"{u} [{shown}]" for u in untested(text)]
                add(FileRun(svc.name, shown, folder / rel, _count_groups(text)))
        else:  # generated now, each with the checked-in rules it exercises
            for p in scoped.prepare(svc, groups, tmp / svc.name):
                shown = f"{svc.name}: proofs/{p.name}"
                report.untested += [f"{u} [{shown}]" for u in p.untested]
                add(FileRun(svc.name, shown, p.path, p.groups))
        if not groups:
            continue
        plain = plain_of[svc.name]
        user_dir = user_tests_dir(svc.spec_path)
        if user_dir.is_dir():
            order = [g["name"] for g in groups]
            for src in sorted([*user_dir.glob("*.yaml"), *user_dir.glob("*.yml")]):
                dest, count = _user_test(src, plain, order, tmp, svc.name)
                add(FileRun(svc.name, src.as_posix(), dest, count, user=True))
    return report, rule_files


def run(specs: list[Path] | None, out_dir: Path, *, promtool: str | Path | None = None,
        timeout: float = 300.0, jobs: int | None = None, keep: Path | None = None,
        echo: Echo = print) -> int:
    from sre_gen.runners import promtool as runner

    tool = runner.find(promtool, timeout)
    if keep is not None:
        if keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
            raise errors.UsageError(f"--keep {keep.as_posix()}: not an empty folder (the proofs "
                                    "are written there and left for you to read or rerun)")
        keep.mkdir(parents=True, exist_ok=True)
    workers = max(1, jobs or os.cpu_count() or 1)

    def one(item: FileRun) -> FileRun:
        result = tool.test_rules(item.path, check=False)
        item.ok, item.output = result.ok, result.output
        if not result.ok:
            item.failure = _failure(result.command, result.returncode, result.reason,
                                    result.output)
        return item

    def check(files: list[Path]) -> None:  # raises ToolFailed: no proof is generated then
        if files:
            tool.check_rules(*files)

    with tempfile.TemporaryDirectory(prefix="sre-gen-test-") as scratch, \
            ThreadPoolExecutor(max_workers=workers) as pool:
        tmp = keep if keep is not None else Path(scratch)
        version = tool.version()
        echo(f"promtool {version} ({tool.path})")
        futures = []
        try:
            report, rule_files = collect(specs, out_dir, tmp,
                                         lambda item: futures.append(pool.submit(one, item)),
                                         check)
        except errors.ToolFailed as exc:  # promtool check rules (test runs do not raise)
            echo(f"FAILED promtool check rules: exit {exc.returncode}", err=True)
            echo(_indent(_failure(exc.command, exc.returncode, exc.reason, exc.output)), err=True)
            return errors.EXIT_FAILED
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
        report.version = version
        if rule_files:
            report.rule_checks = len(rule_files)
            echo(f"rules ok: {len(rule_files)} file(s) pass promtool check rules")
        for future in futures:
            item = future.result()
            tag = "ok" if item.ok else "FAILED"
            kind = " (user test)" if item.user else ""
            echo(f"{tag:6} {item.shown}{kind}: {item.groups} test group(s)")
            if not item.ok:
                echo(_indent(item.failure), err=True)
    for line in report.untested:
        echo(f"warning: untested alert: {line}", err=True)
    n, g, bad = len(report.files), report.groups, len(report.failed)
    echo(f"{n} test file(s), {g} test group(s): {n - bad} passed, {bad} failed"
         + (f"; {len(report.untested)} alert(s) untested" if report.untested else ""))
    return errors.EXIT_FAILED if bad else 0


def _failure(command: list[str], returncode: int, reason: str, output: str) -> str:
    """What a user needs to reproduce a failed promtool run: the command, its exit code, why
    an exit 0 still failed, and promtool's (clipped) output."""
    lines = [f"command: {' '.join(command)}", f"exit code: {returncode}"]
    if reason:
        lines.append(f"failed: {reason}")
    lines.append("output:" if output.strip() else "output: (none)")
    text = "\n".join(lines)
    if output.strip():
        text += "\n" + _indent(output)
    return text


def _indent(text: str) -> str:
    return "\n".join(f"    {ln}" for ln in text.rstrip().splitlines())
