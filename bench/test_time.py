#!/usr/bin/env python3
"""`sre-gen test` wall time on the example spec: this checkout against an older release.

    .venv/bin/python bench/test_time.py [--rev 0c02b70] [--rounds 3] [--jobs N]

The older release is exported with ``git archive <rev>`` into a temporary folder (its templates
copied into the package, see ``export``) and run with the same interpreter (``python -m
sre_gen`` with that folder first on ``PYTHONPATH``), on its own copy of the example spec (the
spec as it was at that commit), after its own ``generate``. The two ``sre-gen test`` runs
alternate round by round, so load from other jobs on the machine hits both alike; the figure is median(this checkout) / median(the release). Each run must pass (exit 0).
Both use the same ``-j`` (default: the number of CPUs, what a user gets).

Exit status: 0 when the ratio is <= 0.25 (issue 14's target), 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = "specs/autogen-review-bot.yaml"
TARGET = 0.25


def export(rev: str, dest: Path) -> None:
    archive = dest.with_suffix(".tar")
    subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), rev],
                   check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    archive.unlink()
    # the packaged templates live in templates/ (pyproject maps them to sre_gen.templates); the
    # venv's editable install maps that package to this checkout's templates/, so give the
    # export its own sre_gen/templates package, found first on PYTHONPATH
    shutil.copytree(dest / "templates", dest / "sre_gen" / "templates")
    (dest / "sre_gen" / "templates" / "__init__.py").touch()


def sre_gen(tree: Path, *args: str) -> tuple[float, str]:
    """Run sre-gen from ``tree``; (seconds, its last summary line). Fails unless it exits 0."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("SRE_GEN_DEBUG", None)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "sre_gen", *args], cwd=tree, env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"sre-gen {' '.join(args)} in {tree} exited {proc.returncode}:\n"
                         + (proc.stdout + proc.stderr)[-3000:])
    lines = proc.stdout.strip().splitlines()
    return took, lines[-1] if lines else ""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rev", default="0c02b70", help="the release to compare with")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sre-gen-bench-test-") as tmp:
        old = Path(tmp) / "release"
        export(args.rev, old)
        trees = {f"release {args.rev}": old, "this checkout": ROOT}
        outs = {name: Path(tmp) / f"out-{i}" / "generated" for i, name in enumerate(trees)}
        for name, tree in trees.items():
            sre_gen(tree, "generate", SPEC, "--out", str(outs[name]))
        times: dict[str, list[float]] = {name: [] for name in trees}
        summary: dict[str, str] = {}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                took, summary[name] = sre_gen(tree, "test", SPEC, "--out", str(outs[name]),
                                              "-j", str(args.jobs))
                times[name].append(took)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    old_name, new_name = list(trees)
    ratio = med[new_name] / med[old_name]
    print(f"## `sre-gen test {SPEC}`: {args.rounds} alternating rounds, -j {args.jobs}, "
          f"{os.cpu_count()} cores\n")
    print("| tree | runs (s) | median s | what ran |\n|---|---|---:|---|")
    for name in trees:
        runs = ", ".join(f"{t:.1f}" for t in times[name])
        print(f"| {name} | {runs} | {med[name]:.1f} | {summary[name]} |")
    verdict = "holds" if ratio <= TARGET else "MISSED"
    print(f"\nratio this checkout / release {args.rev}: **{ratio:.3f}x** (target <= {TARGET}: "
          f"{verdict})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
