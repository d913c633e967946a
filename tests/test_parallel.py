"""sre_gen.parallel and the parallel compile: the same results in the same order for any number of
jobs, the first failure (in order) raised, no worker left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sre_gen import parallel, pipeline

ROOT = Path(__file__).resolve().parents[1]
SPECS = [ROOT / "specs" / "autogen-review-bot.yaml", ROOT / "tests" / "data" / "minimal-spec.yaml",
         ROOT / "tests" / "specs" / "rules" / "gauge-and-raw.yaml",
         ROOT / "tests" / "specs" / "rules" / "latency-7d.yaml"]

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="needs os.fork")


def _children() -> set[int]:
    """Process ids whose parent is this process (Linux /proc)."""
    me, out = os.getpid(), set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == me:
                        out.add(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def _square(x: int) -> int:
    return x * x


@pytest.mark.parametrize("jobs", [1, 2, 3, 7])
def test_results_in_order_for_any_number_of_jobs(jobs):
    before = _children()
    assert list(parallel.ordered_map(_square, range(23), jobs)) == [x * x for x in range(23)]
    assert _children() == before


def _fail_at(x: int) -> int:
    if x in (5, 9):
        raise ValueError(f"item {x}")
    return x


@pytest.mark.parametrize("jobs", [1, 2, 3])
def test_the_first_failure_in_order_is_raised_and_workers_are_reaped(jobs):
    before = _children()
    got = []
    with pytest.raises(ValueError, match="item 5") as info:
        for value in parallel.ordered_map(_fail_at, range(12), jobs):
            got.append(value)
    assert got == [0, 1, 2, 3, 4]
    if jobs > 1 and 5 % jobs:
        assert any("worker process" in note for note in getattr(info.value, "__notes__", []))
    assert _children() == before


class _Unpicklable(Exception):
    def __init__(self, a, b):
        super().__init__(a)
        self.b = b


def _unpicklable(x: int) -> int:
    if x == 1:
        raise _Unpicklable("cannot travel", lambda: None)
    return x


def test_an_exception_that_cannot_be_pickled_still_reports_what_it_was():
    with pytest.raises(RuntimeError, match="cannot travel"):
        list(parallel.ordered_map(_unpicklable, range(4), 2))


def test_stopping_early_stops_the_workers():
    before = _children()
    results = parallel.ordered_map(_square, range(1000), 3)
    assert next(results) == 0 and next(results) == 1
    results.close()
    assert _children() == before


def test_jobs_from_the_environment(monkeypatch):
    monkeypatch.setenv(parallel.ENV_JOBS, "3")
    assert parallel.default_jobs() == 3
    for bad in ("0", "x", "-2", ""):
        monkeypatch.setenv(parallel.ENV_JOBS, bad)
        assert parallel.default_jobs() >= 1


@pytest.mark.parametrize("jobs", [2, 3, 5])
def test_compiled_bytes_do_not_depend_on_jobs(jobs, tmp_path):
    """Whole services per worker (more services than jobs) and one service's targets split
    (fewer): the same files, bytes and order as one process."""
    services = pipeline.load_services(SPECS)
    ctx = pipeline.Context()
    one = list(pipeline.render_many(services, tmp_path, ctx, jobs=1))
    for subset in (services, services[:1]):
        many = list(pipeline.render_many(subset, tmp_path, ctx, jobs=jobs))
        want = one[:len(subset)]
        assert [s.name for s, _ in many] == [s.name for s, _ in want]
        for (_, got), (_, exp) in zip(many, want):
            assert list(got) == list(exp) and got == exp


def test_the_cli_writes_the_same_folder_with_any_jobs(tmp_path):
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out-{jobs}"
        env = dict(os.environ, SRE_GEN_JOBS=jobs, SRE_GEN_NO_CACHE="1")
        proc = subprocess.run([sys.executable, "-m", "sre_gen.entry", "generate",
                               *map(str, SPECS), "--out", str(out)], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        outs.append({p.relative_to(out).as_posix(): p.read_bytes()
                     for p in sorted(out.rglob("*")) if p.is_file()})
    assert outs[0] == outs[1] and len(outs[0]) > 100


def test_a_spec_error_found_in_a_worker_comes_back_as_itself():
    """Compile-time spec problems (e.g. two alerts' runbook pages colliding, checked by the
    runbooks target) reach the one error handler with their file:line:col, as in one process."""
    from sre_gen.errors import SpecError, SpecProblem

    problem = SpecProblem("specs/a.yaml", 3, 5, "slos[0].name", "clash")

    def boom(x):
        if x == 1:  # item 1 runs in the worker
            raise SpecError([problem])
        return x

    with pytest.raises(SpecError) as info:
        list(parallel.ordered_map(boom, range(3), 2))
    assert info.value.problems == [problem]
