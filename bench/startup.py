#!/usr/bin/env python3
"""CLI start-up benchmark: `sre-gen validate` and `sre-gen generate` of the example spec, each as a
ratio to `python -c pass` with the same interpreter.

    .venv/bin/python bench/startup.py [--runs 20] [--no-bytecode-cache] [--top 15]

What is measured:
- the console script of the venv (``<venv>/bin/sre-gen``), run from the repository root, exactly as
  a user runs it; the baseline is the same venv's ``python -c pass`` (same interpreter, same site:
  the editable-install finder is loaded by both);
- ``generate`` as a pre-commit hook runs it: into the same folder every round, the spec unchanged,
  so the output cache (``sre_gen.output.cache``) finds the folder up to date after the warm-up;
  ``generate, spec changed`` runs on a copy of the spec whose last comment changes every round
  (what a commit that edits the spec pays: compile and write everything), also on one process
  (``SRE_GEN_JOBS=1``); ``generate, full run`` is the command with every cache off
  (``SRE_GEN_NO_CACHE=1``), reported without a target;
- commands are interleaved round by round (pass, validate, generate, ..., rotated) so drift from
  other jobs on the machine hits all alike; the figure is median(command) / median(pass) (the
  ratio of the minima is printed too, as a cross-check on a busy machine);
- byte-code: by default the runs use a private byte-code cache (PYTHONPYCACHEPREFIX in a temporary
  folder, PYTHONDONTWRITEBYTECODE removed) warmed by untimed runs: the steady state of an installed
  tool. ``--no-bytecode-cache`` keeps PYTHONDONTWRITEBYTECODE=1 and an empty cache instead, so
  every run compiles sre_gen from source (what a checkout with that variable set sees).

Then where ``generate``'s time goes, phase by phase in one process (imports, load + validate, each
target's import and first build, writing), and ``python -X importtime`` runs of the same two
commands (median of 5 per module): the top import costs, by module (self time) and by top-level
package (sum of self times).

Exit status: 0 when the targets hold (validate <= 4x, generate up to date and spec changed
<= 10x), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = "specs/autogen-review-bot.yaml"
TARGETS = {"validate": 4.0, "generate": 10.0}


def venv_bin() -> Path:
    """The bin/ folder of the interpreter running this script (the project venv)."""
    return Path(sys.executable).parent


def make_env(cache: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if cache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    env.pop("SRE_GEN_DEBUG", None)
    return env


def run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}")
    return elapsed


CHANGED = ("generate, spec changed", "generate, spec changed, 1 job")


def commands(out_dir: Path) -> dict[str, list[str]]:
    python = str(venv_bin() / "python")
    sre_gen = str(venv_bin() / "sre-gen")
    cmds = {
        "pass": [python, "-c", "pass"],
        "validate": [sre_gen, "validate", SPEC],
        "generate": [sre_gen, "generate", SPEC, "--out", str(out_dir)],
        "generate, full run": [sre_gen, "generate", SPEC, "--out", str(out_dir) + "-full"],
    }
    for i, name in enumerate(CHANGED):
        spec = out_dir.parent / f"specs-{i}" / Path(SPEC).name
        cmds[name] = [sre_gen, "generate", str(spec), "--out", str(out_dir) + f"-changed-{i}"]
    return cmds


_round = [0]


def prepare(name: str, cmd: list[str]) -> None:
    """Before a "spec changed" run: the example spec with a new last comment line, so the output
    cache misses (compile and write all, as after an edit) while compiled templates stay."""
    if name in CHANGED:
        _round[0] += 1
        spec = Path(cmd[2])
        spec.parent.mkdir(parents=True, exist_ok=True)
        spec.write_text((ROOT / SPEC).read_text("utf-8") + f"# edit {_round[0]}\n", "utf-8")


# "generate" runs as a pre-commit hook does: the spec unchanged since the last run, so the output
# cache (sre_gen.output.cache) finds the folder up to date. "generate, spec changed" is what a
# commit that edits the spec pays (compile and write all; sre_gen.parallel shares the compiling
# among the CPUs), "..., 1 job" the same on one process. "generate, full run" turns every cache
# off (SRE_GEN_NO_CACHE=1: also the compiled runbook templates).
EXTRA_ENV = {"generate, full run": {"SRE_GEN_NO_CACHE": "1"},
             "generate, spec changed, 1 job": {"SRE_GEN_JOBS": "1"}}
TARGETS["generate, spec changed"] = 10.0


def importtime(cmd: list[str], env: dict[str, str], repeats: int = 5):
    """Median self and cumulative microseconds per imported module over ``repeats`` runs."""
    python = str(venv_bin() / "python")
    script = cmd[0]
    per_module: dict[str, list[tuple[int, int]]] = defaultdict(list)
    depth: dict[str, int] = {}
    line_re = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
    for _ in range(repeats):
        proc = subprocess.run([python, "-X", "importtime", script, *cmd[1:]], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr.splitlines():
            m = line_re.match(line)
            if m:
                per_module[m.group(4)].append((int(m.group(1)), int(m.group(2))))
                depth.setdefault(m.group(4), len(m.group(3)))
    rows = []
    for name, vals in per_module.items():
        rows.append((name, statistics.median(v[0] for v in vals),
                     statistics.median(v[1] for v in vals), depth[name]))
    return rows


def baseline_modules(env: dict[str, str]) -> set[str]:
    """Modules `python -c pass` imports anyway (site, the editable finder): not the CLI's cost."""
    proc = subprocess.run([str(venv_bin() / "python"), "-X", "importtime", "-c", "pass"],
                          cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    return {m.group(1) for m in re.finditer(r"\|\s*(\S+)\s*$", proc.stderr, re.M)}


def report_imports(label: str, cmd: list[str], env: dict[str, str], top: int) -> None:
    rows = importtime(cmd, env)
    base = baseline_modules(env)
    rows = [r for r in rows if r[0] not in base]
    total = sum(r[1] for r in rows)
    print(f"\n### import time of `sre-gen {label}` (python -X importtime, median of 5 runs; "
          f"modules `python -c pass` does not import: {total / 1000:.1f} ms self in total, "
          "importtime inflates absolute times)")
    by_pkg: dict[str, float] = defaultdict(float)
    for name, self_us, _cum, _d in rows:
        by_pkg[name.split(".")[0]] += self_us
    print("\n| top-level package | self ms (sum) | share |\n|---|---:|---:|")
    for pkg, us in sorted(by_pkg.items(), key=lambda kv: -kv[1])[:top]:
        print(f"| {pkg} | {us / 1000:.1f} | {us / total:.0%} |")
    print("\n| module | self ms | cumulative ms |\n|---|---:|---:|")
    for name, self_us, cum_us, _d in sorted(rows, key=lambda r: -r[1])[:top]:
        print(f"| {name} | {self_us / 1000:.1f} | {cum_us / 1000:.1f} |")


PHASES_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from sre_gen import pipeline
from sre_gen.output import write
import importlib
t1 = time.perf_counter()
spec, out = Path(sys.argv[1]), Path(sys.argv[2])
services = pipeline.load_services([spec])
t2 = time.perf_counter()
rows = [["import sre_gen.pipeline + output.write", t1 - t0], ["load + validate the spec", t2 - t1]]
files = {}
for name in pipeline.TARGETS:
    a = time.perf_counter()
    module = importlib.import_module(name)
    b = time.perf_counter()
    files.update(module.build(services[0], pipeline.Context()))
    c = time.perf_counter()
    short = name.rsplit(".", 1)[-1]
    rows += [[f"{short}: import", b - a], [f"{short}: build (first call: lazy imports, template "
                                            "compilation)", c - b]]
a = time.perf_counter()
data = write.with_headers(files, pipeline.spec_reference(services[0].spec_path, out))
write.write_service(out, services[0].name, data)
rows.append([f"write {len(data)} files", time.perf_counter() - a])
print(json.dumps(rows))
"""


def report_phases(env: dict[str, str], out: Path, runs: int = 5) -> None:
    """Where `generate`'s time goes, in-process (median of ``runs`` fresh processes)."""
    results = []
    for _ in range(runs):
        proc = subprocess.run([str(venv_bin() / "python"), "-c", PHASES_CHILD, SPEC, str(out)],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"\n(phase breakdown failed: {proc.stderr.strip()[-500:]})")
            return
        results.append(json.loads(proc.stdout))
    labels = [r[0] for r in results[0]]
    medians = [statistics.median(run[i][1] for run in results) for i in range(len(labels))]
    total = sum(medians)
    print(f"\n### where `generate`'s time goes (in-process, median of {runs} fresh processes; "
          f"{total * 1000:.0f} ms after the interpreter's start-up)")
    print("\n| phase | ms | share |\n|---|---:|---:|")
    for label, value in zip(labels, medians):
        print(f"| {label} | {value * 1000:.1f} | {value / total:.0%} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20, help="timed runs per command (>= 10)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed runs per command first")
    ap.add_argument("--no-bytecode-cache", action="store_true",
                    help="compile from source on every run (PYTHONDONTWRITEBYTECODE=1)")
    ap.add_argument("--top", type=int, default=12, help="rows of the import-time tables")
    ap.add_argument("--no-importtime", action="store_true", help="skip the import profile")
    args = ap.parse_args()
    if args.runs < 10:
        ap.error("--runs must be at least 10")
    sre_gen = venv_bin() / "sre-gen"
    if not sre_gen.exists():
        raise SystemExit(f"{sre_gen} not found: run this with the project venv's python "
                         "(.venv/bin/python bench/startup.py) after `pip install -e .`")

    tmp = Path(tempfile.mkdtemp(prefix="sre-gen-bench-startup-"))
    try:
        cache = None if args.no_bytecode_cache else tmp / "pycache"
        env = make_env(cache)
        env["XDG_CACHE_HOME"] = str(tmp / "xdg-cache")  # the output cache's records: private
        cmds = commands(tmp / "generated")
        envs = {name: {**env, **EXTRA_ENV.get(name, {})} for name in cmds}
        for _ in range(args.warmup):
            for name, cmd in cmds.items():
                prepare(name, cmd)
                run(cmd, envs[name])
        times: dict[str, list[float]] = {name: [] for name in cmds}
        order = list(cmds)
        for i in range(args.runs):
            # rotate the order every round so no command always follows another
            k = i % len(order)
            for name in order[k:] + order[:k]:
                prepare(name, cmds[name])
                times[name].append(run(cmds[name], envs[name]))
        base = statistics.median(times["pass"])
        mode = ("no byte-code cache (compiled from source every run)" if cache is None
                else "warm byte-code cache")
        print(f"## start-up: {args.runs} interleaved runs each, median; {mode}; "
              f"{sys.implementation.name} {sys.version.split()[0]}, {os.cpu_count()} cores")
        print("\n| command | median ms | min ms | ratio to `python -c pass` (medians) | ratio of "
              "minima | target | verdict |")
        print("|---|---:|---:|---:|---:|---:|---|")
        print(f"| `python -c pass` | {base * 1000:.1f} | {min(times['pass']) * 1000:.1f} | 1.00 | "
              "1.00 | | |")
        ok = True
        for name in ("validate", "generate", *CHANGED, "generate, full run"):
            med = statistics.median(times[name])
            ratio = med / base
            target = TARGETS.get(name)
            held = target is None or ratio <= target
            ok &= held
            shown = "sre-gen " + " ".join(cmds[name][1:]).replace(str(tmp), "<tmp>")
            shown = " ".join(f"{k}={v}" for k, v in EXTRA_ENV.get(name, {}).items()) + \
                (" " if name in EXTRA_ENV else "") + shown
            low = min(times[name]) / min(times["pass"])
            verdict = "(reported)" if target is None else "holds" if held else "MISSED"
            print(f"| `{shown}` | {med * 1000:.1f} | {min(times[name]) * 1000:.1f} | "
                  f"{ratio:.2f} | {low:.2f} | {'' if target is None else f'<= {target:g}'} | "
                  f"{verdict} |")
        report_phases(env, tmp / "phases")
        if not args.no_importtime:
            for name in ("validate", "generate"):
                report_imports(name, cmds[name], env, args.top)
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
