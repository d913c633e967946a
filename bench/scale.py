#!/usr/bin/env python3
"""Scale benchmark: validate and generate 200 services x 5 SLOs (1,000 SLOs), then the same doubled
(400 x 5 = 2,000 SLOs), and report the times and the doubling ratio.

    .venv/bin/python bench/scale.py [--services 200] [--repeats 3] [--mode both|cli|library]

Specs come from bench/specgen.py (``scale_spec``): every SLI kind (ratio of selectors, ratio of raw
queries with {{window}}, good/total, latency histogram, gauge), plus golden signals and a custom
alert per service. Two ways of running, both measured by default:

- ``cli``: the console script, as a user or CI runs it, one process per command:
  ``sre-gen validate <specs...>`` and ``sre-gen generate <specs...> --out <tmp>`` (generate
  validates too; the output folder is emptied before each run, so every run writes everything);
- ``library``: one fresh ``python`` process per run calling sre_gen.pipeline in-process
  (``load_services`` = validate, ``compile_service`` per service, then ``write.with_headers`` +
  ``write.write_service``), timing each phase; import time is excluded.

Each figure is the median of ``--repeats`` runs. Target: generate (CLI, end to end) of 1,000 SLOs
< 3 s, and the doubled set costs <= 2.1x. Exit status 0 when both hold.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import specgen  # noqa: E402

SLOS_PER_SERVICE = 5
TARGET_SECONDS = 3.0
TARGET_DOUBLING = 2.1

LIBRARY_CHILD = r"""
import json, sys, time
from pathlib import Path
from sre_gen import pipeline
from sre_gen.output import write
import importlib
modules = [importlib.import_module(name) for name in pipeline.TARGETS]  # import time is not scale
paths = [Path(p) for p in json.loads(sys.argv[1])]
out = Path(sys.argv[2])
t0 = time.perf_counter()
services = pipeline.load_services(paths)
t1 = time.perf_counter()
per_target = {m.__name__.rsplit(".", 1)[-1]: 0.0 for m in modules}
compiled = []
for svc in services:  # what pipeline.compile_service does, timed per target
    files = {}
    for m in modules:
        a = time.perf_counter()
        files.update(m.build(svc, pipeline.Context()))
        per_target[m.__name__.rsplit(".", 1)[-1]] += time.perf_counter() - a
    compiled.append((svc, files))
t2 = time.perf_counter()
n_files = 0
for svc, files in compiled:
    data = write.with_headers(files, pipeline.spec_reference(svc.spec_path, out))
    write.write_service(out, svc.name, data)
    n_files += len(data)
t3 = time.perf_counter()
print(json.dumps({"validate": t1 - t0, "compile": t2 - t1, "write": t3 - t2, "total": t3 - t0,
                  "files": n_files, "slos": sum(len(s.slos) for s in services),
                  "bytes": sum(len(d) for _s, f in compiled for d in f.values()),
                  **{f"target {k}": v for k, v in per_target.items()}}))
"""


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.pop("SRE_GEN_DEBUG", None)
    return e


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env(), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} {cmd[1]} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return elapsed


def run_cli(paths: list[Path], out: Path, repeats: int) -> dict[str, float]:
    sre_gen = str(Path(sys.executable).parent / "sre-gen")
    rel = [str(p) for p in paths]
    validate, generate = [], []
    for _ in range(repeats):
        validate.append(timed([sre_gen, "validate", *rel], ROOT))
        shutil.rmtree(out, ignore_errors=True)
        generate.append(timed([sre_gen, "generate", *rel, "--out", str(out)], ROOT))
    return {"validate": statistics.median(validate), "generate": statistics.median(generate)}


def run_library(paths: list[Path], out: Path, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        shutil.rmtree(out, ignore_errors=True)
        proc = subprocess.run([sys.executable, "-c", LIBRARY_CHILD,
                               json.dumps([str(p) for p in paths]), str(out)],
                              cwd=ROOT, env=env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"library run failed:\n{proc.stderr[-3000:]}")
        runs.append(json.loads(proc.stdout))
    keys = [k for k in runs[0] if k not in ("files", "slos", "bytes")]
    out_fig = {k: statistics.median(r[k] for r in runs) for k in keys}
    for k in ("files", "slos", "bytes"):
        out_fig[k] = runs[0][k]
    return out_fig


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--services", type=int, default=200, help="services of the base set (x5 SLOs)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    ap.add_argument("--mode", choices=("both", "cli", "library"), default="both")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sre-gen-bench-scale-"))
    try:
        sizes = (args.services, 2 * args.services)
        results: dict[int, dict[str, dict[str, float]]] = {}
        for n in sizes:
            paths = specgen.write_scale_specs(tmp / f"specs-{n}", n)
            results[n] = {}
            if args.mode in ("both", "library"):
                results[n]["library"] = run_library(paths, tmp / f"lib-out-{n}", args.repeats)
            if args.mode in ("both", "cli"):
                results[n]["cli"] = run_cli(paths, tmp / f"cli-out-{n}", args.repeats)
        small, big = sizes
        print(f"## scale: {small} and {big} services x {SLOS_PER_SERVICE} SLOs, median of "
              f"{args.repeats} runs; {sys.implementation.name} {sys.version.split()[0]}, "
              f"{os.cpu_count()} cores")
        print(f"\n| run | {small * SLOS_PER_SERVICE:,} SLOs (s) | "
              f"{big * SLOS_PER_SERVICE:,} SLOs (s) | doubling ratio |")
        print("|---|---:|---:|---:|")
        rows = []
        if "cli" in results[small]:
            rows += [("CLI `sre-gen validate`", "cli", "validate"),
                     ("CLI `sre-gen generate` (validates, compiles, writes)", "cli", "generate")]
        if "library" in results[small]:
            rows += [("library: load_services (validate)", "library", "validate"),
                     ("library: compile (all targets)", "library", "compile")]
            rows += [(f"library: &nbsp; compile, {k.split()[1]}", "library", k)
                     for k in results[small]["library"] if k.startswith("target ")]
            rows += [("library: with_headers + write_service", "library", "write"),
                     ("library: total", "library", "total")]
        for label, mode, key in rows:
            a, b = results[small][mode][key], results[big][mode][key]
            print(f"| {label} | {a:.2f} | {b:.2f} | {b / a:.2f} |")
        if "library" in results[small]:
            lib_s, lib_b = results[small]["library"], results[big]["library"]
            print(f"\nfiles written: {lib_s['files']:,} ({lib_s['bytes'] / 1e6:.0f} MB) and "
                  f"{lib_b['files']:,} ({lib_b['bytes'] / 1e6:.0f} MB); per service "
                  f"{1000 * lib_s['total'] / small:.0f} ms in-process; targets: "
                  f"{', '.join(_targets())}")
        mode = "cli" if "cli" in results[small] else "library"
        key = "generate" if mode == "cli" else "total"
        t_small, t_big = results[small][mode][key], results[big][mode][key]
        ok_time = t_small < TARGET_SECONDS
        ok_ratio = t_big / t_small <= TARGET_DOUBLING
        print(f"\n{mode} {key}, {small * SLOS_PER_SERVICE:,} SLOs: {t_small:.2f} s "
              f"(target < {TARGET_SECONDS:g} s: {'holds' if ok_time else 'MISSED'}); doubling "
              f"{t_big / t_small:.2f}x (target <= {TARGET_DOUBLING}: "
              f"{'holds' if ok_ratio else 'MISSED'})")
        return 0 if ok_time and ok_ratio else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _targets() -> list[str]:
    from sre_gen import pipeline

    return [t.rsplit(".", 1)[-1] for t in pipeline.TARGETS]


if __name__ == "__main__":
    sys.exit(main())
