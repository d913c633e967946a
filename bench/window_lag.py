#!/usr/bin/env python3
"""How late each burn tier's condition turns true against the SRE workbook's detection time,
measured in the real promtool at the rules' own evaluation interval (1m).

    .venv/bin/python bench/window_lag.py [--rev REV] [--ratio 1]

The README's minimal spec (tests/data/minimal-spec.yaml): a 99.9% / 30d SLO with the workbook's four tiers (14.4x 1h/5m, 6x 6h/30m, 3x 1d/2h, 1x 3d/6h).
Input: clean traffic for 3 days and 10 minutes, then every request fails (``--ratio`` sets the
error ratio), starting at each of the five minutes of a 5-minute step (the 5m level records at the
first evaluation of each step, so the phase matters). promtool evaluates the generated rules every
minute; the first minute at which ``slo:burn_condition:bool{tier=...}`` is 1 is compared with the
workbook's detection time (1 - S) / e x W x b. ``--rev`` measures the rules of another commit
(checked out into a temporary folder with ``git worktree``), so before and after come from one
run on one machine. No timing is involved: the figures are exact and deterministic.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import yaml

from sre_gen.durations import parse_duration

ROOT = Path(__file__).resolve().parent.parent
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
SPEC = ROOT / "tests" / "data" / "minimal-spec.yaml"  # the README's minimal spec
TIERS = (("fast", 14.4, 3600), ("moderate", 6, 6 * 3600), ("slow", 3, 86400),
         ("very-slow", 1, 3 * 86400))
PER_MINUTE = 1000
CLEAN = 3 * 86400 + 600  # seconds of clean traffic before the first onset
WATCH = 20 * 60  # minutes of evaluations watched after the workbook's detection time


def rules_of(checkout: Path, work: Path) -> Path:
    spec = SPEC
    out = work / "generated"
    proc = subprocess.run([sys.executable, "-m", "sre_gen", "generate", str(spec), "--out",
                           str(out)], cwd=checkout, capture_output=True, text=True,
                          env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"})
    if proc.returncode:
        raise SystemExit(f"generate failed in {checkout}:\n{proc.stderr}")
    return out / "checkout" / "prometheus"


def first_true(prom: Path, work: Path, onset: int, ratio: Fraction) -> dict[str, int | None]:
    """Seconds after ``onset`` at which each tier's recorded condition is first 1."""
    bad = int(PER_MINUTE * ratio)
    end = onset + max(int(Fraction(1, 1000) * w * Fraction(str(b)) / ratio)
                      for _, b, w in TIERS) + WATCH
    n = end // 60
    clean_n = onset // 60
    # minutes 0..clean_n-1 clean, then from minute clean_n on ``bad`` errors a minute
    errors = f"0+0x{clean_n - 1} 0+{bad}x{n - clean_n}"
    good = (f"0+{PER_MINUTE}x{clean_n - 1} {clean_n * PER_MINUTE}+{PER_MINUTE - bad}"
            f"x{n - clean_n}")
    checks = []
    for name, b, w in TIERS:
        detect = int(Fraction(1, 1000) * w * Fraction(str(b)) / ratio)
        for t in range(onset, onset + detect + WATCH + 1, 60):
            checks.append({"expr": f'slo:burn_condition:bool{{tier="{name}"}} == 1',
                           "eval_time": f"{t}s", "exp_samples": []})
    test = {"rule_files": [str(prom / "recording-rules.yaml")], "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": [
                {"series": 'http_requests_total{job="checkout",code="500"}', "values": errors},
                {"series": 'http_requests_total{job="checkout",code="200"}', "values": good}],
                "promql_expr_test": checks}]}
    path = work / f"lag-{onset}.yaml"
    path.write_text(yaml.safe_dump(test, sort_keys=False, width=1 << 20), "utf-8")
    proc = subprocess.run([PROMTOOL, "test", "rules", str(path)], capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    if "err:" in out:
        raise SystemExit(out[-3000:])
    found: dict[str, int | None] = {name: None for name, _, _ in TIERS}
    for name, t in re.findall(r'tier=\\"([\w-]+)\\"} == 1", time: ([\w]+),', out):
        sec = parse_duration(t) - onset
        if found[name] is None or sec < found[name]:
            found[name] = sec
    return found


def measure(checkout: Path, label: str, ratio: Fraction) -> list[list[str]]:
    with tempfile.TemporaryDirectory(prefix="sre-gen-lag-") as tmp:
        work = Path(tmp)
        prom = rules_of(checkout, work)
        onsets = [CLEAN + 60 * k for k in range(5)]
        runs = [first_true(prom, work, o, ratio) for o in onsets]
    rows = []
    for name, b, w in TIERS:
        detect = Fraction(1, 1000) * w * Fraction(str(b)) / ratio
        lags = [None if r[name] is None else r[name] - detect for r in runs]
        shown = ", ".join("never" if x is None else f"{float(x) / 60:+.2f}" for x in lags)
        known = [x for x in lags if x is not None]
        worst = f"{float(max(known)) / 60:+.2f}" if known else "never"
        rows.append([label, name, f"{float(detect) / 60:.2f}", shown, worst])
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rev", help="also measure this commit's rules (before/after in one run)")
    ap.add_argument("--ratio", default="1", help="error ratio of the burn (default 1)")
    args = ap.parse_args()
    ratio = Fraction(args.ratio)
    rows = []
    if args.rev:
        with tempfile.TemporaryDirectory(prefix="sre-gen-rev-") as tmp:
            tree = Path(tmp) / "tree"
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.rev],
                           cwd=ROOT, check=True, capture_output=True)
            try:
                rows += measure(tree, args.rev, ratio)
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                               capture_output=True)
    rows += measure(ROOT, "working tree", ratio)
    print(f"### Burn condition onset vs the workbook's detection time, error ratio {args.ratio}, "
          "99.9% / 30d, rules evaluated every 1m by promtool\n")
    print("| rules | tier | workbook detection (min) | lag per onset minute 0..4 of a 5m step "
          "(min) | worst lag (min) |")
    print("|---|---|---:|---|---:|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
