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

The CLI runs also run ``sre-gen check`` on the output, and report each command's peak RSS (the
child's own ``ru_maxrss`` from ``os.wait4``, as ``/usr/bin/time -v`` reports it).

Each time is the median of ``--repeats`` runs, each RSS the maximum. Every run compiles and
writes everything (``SRE_GEN_NO_CACHE=1``: no output cache). Targets: generate (CLI, end to end)
of 1,000 SLOs <= 5 s (issue 14), the doubled set costs <= 2.1x, and generate's peak RSS is
<= 150 MB for 1,000 SLOs and grows <= 2.1x for the doubled set. Exit status 0 when all hold.
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
TARGET_SECONDS = 5.0  # issue 14 (issue 12 asked < 3 s)
TARGET_DOUBLING = 2.1
TARGET_RSS_MB = 150  # peak RSS of `sre-gen generate` for 1,000 SLOs; it must grow linearly

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
    e["SRE_GEN_NO_CACHE"] = "1"  # every run compiles and writes everything (no output cache)
    return e


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one run of ``cmd``: os.wait4 returns the child's own rusage,
    so ru_maxrss is this process's peak (what /usr/bin/time -v reports as "Maximum resident
    set size")."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env(), stdout=subprocess.DEVNULL, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read()[-3000:].decode("utf-8", "replace")
            raise SystemExit(f"{cmd[0]} {cmd[1]} exited {proc.returncode}:\n{tail}")
    return elapsed, usage.ru_maxrss / 1024  # Linux: kilobytes


def run_cli(paths: list[Path], out: Path, repeats: int) -> dict[str, float]:
    sre_gen = str(Path(sys.executable).parent / "sre-gen")
    rel = [str(p) for p in paths]
    runs: dict[str, list[tuple[float, float]]] = {"validate": [], "generate": [], "check": []}
    for _ in range(repeats):
        runs["validate"].append(timed([sre_gen, "validate", *rel], ROOT))
        shutil.rmtree(out, ignore_errors=True)
        runs["generate"].append(timed([sre_gen, "generate", *rel, "--out", str(out)], ROOT))
        runs["check"].append(timed([sre_gen, "check", *rel, "--out", str(out)], ROOT))
    fig = {k: statistics.median(t for t, _rss in v) for k, v in runs.items()}
    fig.update({f"rss {k}": max(rss for _t, rss in v) for k, v in runs.items()})
    return fig


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
                     ("CLI `sre-gen generate` (validates, compiles, writes)", "cli", "generate"),
                     ("CLI `sre-gen check` (validates, compiles, compares)", "cli", "check")]
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
        if "cli" in results[small]:
            print(f"\n| peak RSS of the process (max of {args.repeats} runs) | "
                  f"{small * SLOS_PER_SERVICE:,} SLOs (MB) | {big * SLOS_PER_SERVICE:,} SLOs (MB) "
                  "| ratio |")
            print("|---|---:|---:|---:|")
            for command in ("validate", "generate", "check"):
                key = f"rss {command}"
                a, b = results[small]["cli"][key], results[big]["cli"][key]
                print(f"| CLI `sre-gen {command}` | {a:.0f} | {b:.0f} | {b / a:.2f} |")
        if "library" in results[small]:
            lib_s, lib_b = results[small]["library"], results[big]["library"]
            print(f"\nfiles written: {lib_s['files']:,} ({lib_s['bytes'] / 1e6:.0f} MB) and "
                  f"{lib_b['files']:,} ({lib_b['bytes'] / 1e6:.0f} MB); per service "
                  f"{1000 * lib_s['total'] / small:.0f} ms in-process; targets: "
                  f"{', '.join(_targets())}")
        mode = "cli" if "cli" in results[small] else "library"
        key = "generate" if mode == "cli" else "total"
        t_small, t_big = results[small][mode][key], results[big][mode][key]
        ok_time = t_small <= TARGET_SECONDS
        ok_ratio = t_big / t_small <= TARGET_DOUBLING
        ok_rss = True
        if mode == "cli":
            r_small, r_big = (results[n]["cli"]["rss generate"] for n in sizes)
            ok_rss = r_small <= TARGET_RSS_MB and r_big / r_small <= TARGET_DOUBLING
            print(f"\npeak RSS of `sre-gen generate`: {r_small:.0f} MB for "
                  f"{small * SLOS_PER_SERVICE:,} SLOs (target <= {TARGET_RSS_MB} MB), "
                  f"{r_big:.0f} MB for {big * SLOS_PER_SERVICE:,} ({r_big / r_small:.2f}x, target "
                  f"<= {TARGET_DOUBLING}x): {'holds' if ok_rss else 'MISSED'}")
        print(f"\n{mode} {key}, {small * SLOS_PER_SERVICE:,} SLOs: {t_small:.2f} s "
              f"(target <= {TARGET_SECONDS:g} s: {'holds' if ok_time else 'MISSED'}); doubling "
              f"{t_big / t_small:.2f}x (target <= {TARGET_DOUBLING}: "
              f"{'holds' if ok_ratio else 'MISSED'})")
        return 0 if ok_time and ok_ratio and ok_rss else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _targets() -> list[str]:
    from sre_gen import pipeline

    return [t.rsplit(".", 1)[-1] for t in pipeline.TARGETS]


if __name__ == "__main__":
    sys.exit(main())
