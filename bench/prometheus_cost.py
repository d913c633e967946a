#!/usr/bin/env python3
"""What our SLO rules cost in a real Prometheus, against Sloth's rules for the same SLOs.

    .venv/bin/python bench/prometheus_cost.py [--slos 20] [--series 1,50] [--interval 5]
                                              [--evals 12] [--warmup 3] [--rounds 2]

For each raw-series layout (1 series per SLI selector, and 50: 10 status codes x 5 pods):

1. Synthetic data. ``--slos`` availability SLOs with spiky traffic: a steady 2-4 req/s, and one hour
   a day at 60x the traffic with far fewer errors (0.02%), the last spike 8 h+ before "now"; steady
   error ratios of 0.05%, 0.5% or 2% depending on the SLO (no alert / ticket / page). Counters are
   integers sampled every minute for 31 days up to ``t_end`` (now, aligned to the minute; epoch
   seconds), written as OpenMetrics and backfilled with
   ``promtool tsdb create-blocks-from openmetrics``. Into the same blocks go the recorded series the
   long windows read, each at its own interval, as Prometheus would have recorded them (rules
   evaluated every 1m, the generated group interval):

   * ours ``slo:sli_errors:rate5m`` / ``slo:sli_total:rate5m`` and Sloth's
     ``slo:sli_error:ratio_rate5m`` every minute (a rate over 5m of minute-aligned samples is
     exactly (c(t) - c(t-5m)) / 300);
   * our 5m level ``slo:sli_errors:rate_step5m`` / ``slo:sli_total:rate_step5m`` only at
     t % 300 == 0, the base rate at that minute (the rule passes the base through at the first
     evaluation of each 5 minutes);
   * our 1h level ``slo:sli_errors:rate_step1h`` / ``slo:sli_total:rate_step1h`` only at
     t % 3600 == 0, the mean of the twelve 5m-level values at t-55m..t (the rule's
     ``avg_over_time(...[59m59s])``).

   The script checks the backfill against Prometheus itself at several past aligned times: each base
   series against the rule's own ``rate`` expression, each level against the level rule's
   expression evaluated over the backfilled series below it (max relative difference reported), and
   the samples per day of each (1440 / 288 / 24). After the backfill, a small exporter on 127.0.0.1
   serves the same counters live, so the windows that end "now" are full.
2. Rules. Ours: ``sre-gen generate`` of ``specgen.cost_spec`` (30d SLOs, Sloth's four alert
   windows and factors, no low-traffic guard, no budget-exhausted or SLI-absent alert: the same
   alert conditions as Sloth), i.e. prometheus/recording-rules.yaml + alerting-rules.yaml, as
   generated: windows <= 6h from the raw counters, 1d and 3d from the 5m level, 30d from the 1h
   level. Sloth's: ``specgen.sloth_rules``, shaped on Sloth's real output (7 raw windows 5m..3d,
   the optimized 30d average of 5m ratios, 7 meta rules, page and ticket alerts).
3. Runs. ``--rounds`` Prometheus runs per rule set on the same blocks (127.0.0.1, temporary
   storage, stopped at the end even on error), alternating the rule sets. For these runs every group
   interval is set to ``--interval`` seconds (default 5) so that many evaluations fit in a short
   run. The level rules select their evaluation by ``vector(time()) % 300 < 60`` (and
   ``% 3600 < 60``), whose constant is the rules' interval (1m): the rewrite sets it to
   ``--interval`` as well (``% 300 < 5``), so that exactly one evaluation per 5m (per 1h) still
   passes; every rewritten file is checked with ``promtool check rules``.
4. Samples, the targets (deterministic, unlike time): at the end of the first run of each rule set,
   every rule expression is run once through ``/api/v1/query?stats=all`` at one moment and its
   ``totalQueryableSamples`` summed: the samples one evaluation cycle of all groups reads (also
   per kind of rule). Time, reported only: after ``--warmup`` evaluations of every group, the mean
   of ``prometheus_rule_group_last_duration_seconds`` over ``--evals`` evaluations per group,
   summed over groups = rule evaluation time per cycle; per-rule times from ``/api/v1/rules``.
   Alerts at the end of the first run: our tiers' recorded burn conditions mapped to Sloth's
   page/ticket against Sloth's firing alerts, and our firing alerts against Sloth's with our
   suppression applied (a slower tier is silent while a faster one burns).
5. Accuracy at ``t_end``: our 1d, 3d and 30d error ratios (request-weighted, from the levels) and
   Sloth's (1d, 3d raw; 30d time-weighted) against the exact ratio of the raw counters' increases
   over (t_end - window, t_end]; for ours also against the exact ratio over the window the rule
   actually covers: the levels lag, the 30d covers the last whole hour-aligned 30 days
   (h - 30d, h] with h = t_end rounded down to the hour, the 1d and 3d the windows ending at the
   last multiple of 5m. The synthetic traffic repeats every day and is steady at both ends of the
   window, so the lag costs little accuracy here; an incident in the last hour would show in the
   plain error and not in the covered one.

Targets (exit status 0 when all hold): our samples per evaluation cycle <= 0.1x Sloth's at 50 raw
series per SLI and <= 0.6x at 1; our 30d within 0.1% of the exact ratio over
(t_end - 30d, t_end]. Evaluation time and the alert comparison are reported, not targets.
Runtime: about 13 minutes for the defaults (data generation and backfill ~2 minutes at 50 series,
eight Prometheus runs of ~1-2 minutes).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import specgen  # noqa: E402
from livestack import PromClient  # noqa: E402

from sre_gen import conventions as cv  # noqa: E402
from sre_gen.durations import parse_duration  # noqa: E402

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
DAYS = 31  # raw history: the 30d window plus a day of margin
LIVE_MINUTES = 240  # how long the exporter's counters keep growing after the backfill
BASE = 300  # base window, seconds
SPIKE_FACTOR = 60
SPIKE_ERROR_RATIO = 0.0002
STEADY_ERROR_RATIOS = (0.0005, 0.005, 0.02)  # burn rates 0.5x, 5x, 20x a 99.9% objective
SERIES_LAYOUT = {1: "single", 50: "wide"}
TARGET_SAMPLES = {"wide": 0.1, "single": 0.6}  # our samples per cycle / Sloth's
TARGET_ACCURACY = 0.001  # our 30d vs the exact ratio over (t_end - 30d, t_end]
WINDOWS = (("1d", 86400), ("3d", 3 * 86400), ("30d", 30 * 86400))
# Our recorded series: the base (every evaluation), and the levels (one sample per step), each
# level sampling the series below it.
OUR_BASE = (cv.sli_errors(BASE), cv.sli_total(BASE))
LEVELS = {  # level record -> (step seconds, the series it samples)
    cv.sli_errors_step(300): (300, cv.sli_errors(BASE)),
    cv.sli_total_step(300): (300, cv.sli_total(BASE)),
    cv.sli_errors_step(3600): (3600, cv.sli_errors_step(300)),
    cv.sli_total_step(3600): (3600, cv.sli_total_step(300)),
}
SLOTH_BASE = "slo:sli_error:ratio_rate5m"
RULE_INTERVAL = 60  # the generated groups' interval (1m): the base is recorded every minute
# Sloth's alert of each of our tiers (the same windows and factors).
TIER_CLASS = {name: sev for name, _s, _l, _f, sev in specgen.SLOTH_TIERS}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---- synthetic data ---------------------------------------------------------------------------
class Synthetic:
    """Integer counters per series, one value per minute, deterministic.

    Minute m is at ``t_start + 60 m``; the backfill holds minutes 0..hist-1 (the last is
    ``t_end``); the exporter serves later minutes."""

    def __init__(self, slos: int, layout: str, t_end: int):
        self.slos, self.layout, self.t_end = slos, layout, t_end
        self.hist = DAYS * 1440 + 1
        self.t_start = t_end - (self.hist - 1) * 60
        self.minutes = self.hist + LIVE_MINUTES
        self._sums: dict[int, tuple[list[int], list[int]]] = {}
        # per SLO: cumulative expected errors and good events per minute (floats)
        self.cum_err: list[list[float]] = []
        self.cum_good: list[list[float]] = []
        for k in range(slos):
            base_rate = 2.0 + (k % 3)
            steady = STEADY_ERROR_RATIOS[k % len(STEADY_ERROR_RATIOS)]
            shift = 8 * 3600 + (k % 4) * 1800  # the newest spike ends 8h-9.5h before t_end
            ce, cg, e, g = [], [], 0.0, 0.0
            for m in range(self.minutes):
                age = t_end - (self.t_start + 60 * m)
                spike = age >= shift and (age - shift) % 86400 < 3600
                total = base_rate * 60 * (SPIKE_FACTOR if spike else 1)
                ratio = SPIKE_ERROR_RATIO if spike else steady
                e += total * ratio
                g += total * (1 - ratio)
                ce.append(e)
                cg.append(g)
            self.cum_err.append(ce)
            self.cum_good.append(cg)

    def series(self, k: int) -> list[tuple[str, str, bool, float]]:
        """(metric, labels text, counts errors, weight) of SLO k's raw series."""
        job = specgen.cost_job(k)
        if self.layout == "single":
            # bench_requests_total counts every request: errors + good
            return [("bench_errors_total", f'job="{job}"', True, 1.0),
                    ("bench_requests_total", f'job="{job}"', False, -1.0)]
        out = []
        for code, wc in {**specgen.WIDE_GOOD_CODES, **specgen.WIDE_BAD_CODES}.items():
            bad = code in specgen.WIDE_BAD_CODES
            for pod, wp in specgen.WIDE_PODS.items():
                out.append(("http_requests_total", f'job="{job}",code="{code}",pod="{pod}"', bad,
                            wc * wp))
        return out

    def values(self, k: int, bad: bool, weight: float) -> list[int]:
        if weight < 0:  # the single layout's total counter
            return [math.floor(e + g) for e, g in zip(self.cum_err[k], self.cum_good[k])]
        src = self.cum_err[k] if bad else self.cum_good[k]
        return [math.floor(weight * v) for v in src]

    def sums(self, k: int) -> tuple[list[int], list[int]]:
        """Per minute: sum over the errors selector's series, and over the total selector's."""
        if k in self._sums:
            return self._sums[k]
        err = [0] * self.minutes
        tot = [0] * self.minutes
        for _metric, _labels, bad, weight in self.series(k):
            vals = self.values(k, bad, weight)
            if self.layout == "single":
                target = err if bad else tot
                for i, v in enumerate(vals):
                    target[i] += v
            else:
                for i, v in enumerate(vals):
                    tot[i] += v
                    if bad:
                        err[i] += v
        self._sums[k] = (err, tot)
        return err, tot

    def exact_ratio(self, k: int, window: int, end: int | None = None) -> float:
        """Errors / total of the raw counters' increases over (end - window, end] (end: a
        minute-aligned timestamp of the backfill, default t_end)."""
        err, tot = self.sums(k)
        m1 = self.hist - 1 if end is None else (end - self.t_start) // 60
        m0 = m1 - window // 60
        if m0 < 0 or m1 >= self.hist:
            raise ValueError(f"({end} - {window}, {end}] is outside the backfill")
        return (err[m1] - err[m0]) / (tot[m1] - tot[m0])


def recorded_series(syn: Synthetic, k: int) -> dict[str, list[tuple[int, float]]]:
    """SLO k's recorded series as Prometheus would have recorded them with the rules evaluated
    every minute, ``{record: [(timestamp, value)]}`` (ours: base and levels; Sloth's 5m ratio)."""
    err, tot = syn.sums(k)
    first = BASE // 60  # first minute with a full 5m window
    out = {}
    for record, c in zip(OUR_BASE, (err, tot)):
        out[record] = [(syn.t_start + 60 * m, (c[m] - c[m - first]) / BASE)
                       for m in range(first, syn.hist)]
    out[SLOTH_BASE] = [(t, e / n) for (t, e), (_t, n) in zip(*(out[r] for r in OUR_BASE))]
    for level, (step, below) in LEVELS.items():  # in order: the 5m levels before the 1h ones
        points = out[below]
        if step == 300:  # the base rate at t % 300 == 0
            out[level] = [(t, v) for t, v in points if t % step == 0]
            continue
        # the mean of the twelve 5m-level values at t-55m..t, at t % 3600 == 0
        per = step // 300
        out[level] = []
        for i, (t, _v) in enumerate(points):
            if t % step == 0 and i >= per - 1:
                assert points[i - per + 1][0] == t - step + 300  # consecutive 5m values
                out[level].append((t, sum(v for _t, v in points[i - per + 1:i + 1]) / per))
    return out


def write_openmetrics(path: Path, syn: Synthetic, our_labels: dict[int, str],
                      sloth_labels: dict[int, str]) -> dict[str, int]:
    """Raw counters for the backfill range plus both rule sets' recorded series, each at its own
    interval. Returns the samples written per kind (raw, base series, levels)."""
    n = {"raw": 0, "base series": 0, "levels": 0}
    ts = [syn.t_start + 60 * m for m in range(syn.hist)]
    ts_text = [f" {t}\n" for t in ts]
    with path.open("w", encoding="utf-8") as f:
        families: dict[str, list] = {}
        for k in range(syn.slos):
            for metric, labels, bad, weight in syn.series(k):
                families.setdefault(metric, []).append((k, labels, bad, weight))
        for metric, members in families.items():
            f.write(f"# TYPE {metric.removesuffix('_total')} counter\n")
            for k, labels, bad, weight in members:
                prefix = f"{metric}{{{labels}}} "
                vals = syn.values(k, bad, weight)
                f.write("".join(prefix + str(vals[m]) + ts_text[m] for m in range(syn.hist)))
                n["raw"] += syn.hist
        recorded: dict[str, list[tuple[str, list[tuple[int, float]]]]] = {}
        for k in range(syn.slos):
            for record, points in recorded_series(syn, k).items():
                labels = sloth_labels[k] if record == SLOTH_BASE else our_labels[k]
                recorded.setdefault(record, []).append((labels, points))
        for record, rows in recorded.items():
            f.write(f"# TYPE {record} gauge\n")
            for labels, points in rows:
                prefix = f"{record}{{{labels}}} "
                f.write("".join(f"{prefix}{v!r} {t}\n" for t, v in points))
                n["levels" if record in LEVELS else "base series"] += len(points)
        f.write("# EOF\n")
    return n


def label_text(labels: dict[str, str]) -> str:
    return ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))


# ---- live exporter ----------------------------------------------------------------------------
class Exporter:
    """Serves the synthetic counters at the current minute on 127.0.0.1 (Prometheus scrapes it)."""

    def __init__(self, syn: Synthetic):
        self.syn = syn
        self.cache: dict[int, bytes] = {}
        self.first = syn.hist - 1  # only the live minutes are kept (memory)
        self.values = {}
        for k in range(syn.slos):
            for metric, labels, bad, weight in syn.series(k):
                self.values[(metric, labels)] = syn.values(k, bad, weight)[self.first:]
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                body = outer.body()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def body(self) -> bytes:
        m = min(int((time.time() - self.syn.t_start) // 60), self.syn.minutes - 1) - self.first
        m = max(m, 0)
        if m not in self.cache:
            lines = [f"{metric}{{{labels}}} {vals[m]}" for (metric, labels), vals in
                     self.values.items()]
            self.cache = {m: ("\n".join(lines) + "\n").encode()}
        return self.cache[m]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# ---- Prometheus -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus(PromClient):
    """A Prometheus on 127.0.0.1 with its own storage; always stopped on exit. Queries go through
    ``livestack.PromClient``."""

    def __init__(self, workdir: Path, blocks: Path, rule_files: list[Path], exporter_port: int,
                 interval: int):
        self.port = free_port()
        self.prom_url = f"http://127.0.0.1:{self.port}"
        self.data = workdir / "data"
        self.data.mkdir(parents=True)
        for block in blocks.iterdir():  # hard links: Prometheus never writes into a block
            shutil.copytree(block, self.data / block.name, copy_function=os.link)
        config = {
            "global": {"scrape_interval": "15s", "evaluation_interval": f"{interval}s"},
            "rule_files": [str(p) for p in rule_files],
            "scrape_configs": [{
                "job_name": "synthetic",
                "honor_labels": True,  # keep the exported job label
                "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}],
                # same identity as the backfilled series, so windows run across the seam
                "metric_relabel_configs": [{"action": "labeldrop", "regex": "instance"}],
            }],
        }
        self.config = workdir / "prometheus.yml"
        self.config.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.log = workdir / "prometheus.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self):
        with self.log.open("w") as log_file:
            self.proc = subprocess.Popen(
                [PROMETHEUS, f"--config.file={self.config}", f"--storage.tsdb.path={self.data}",
                 "--storage.tsdb.retention.time=3650d",
                 f"--web.listen-address=127.0.0.1:{self.port}",
                 "--log.level=warn", "--query.max-samples=200000000"],
                stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"prometheus exited {self.proc.returncode}:\n"
                                 f"{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.prom_url}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.5)
        self.__exit__()
        raise SystemExit("prometheus did not become ready in 120 s")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def samples(self, expr: str, at: float) -> int:
        """totalQueryableSamples of an instant query of ``expr`` at ``at``."""
        data = self.api("/api/v1/query", query=expr, time=f"{at:.3f}", stats="all")
        return data["stats"]["samples"]["totalQueryableSamples"]

    def scalar(self, expr: str, at: float) -> float | None:
        result = self.query(expr, at)
        if not result:
            return None
        if len(result) != 1:
            raise RuntimeError(f"{expr} returned {len(result)} series")
        return float(result[0]["value"][1])

    def rule_times(self) -> dict[str, float]:
        """Seconds of the last evaluation per kind of rule (``rule_kind``), summed over SLOs."""
        with urllib.request.urlopen(f"{self.prom_url}/api/v1/rules", timeout=30) as r:
            body = json.load(r)
        out: dict[str, float] = {}
        for g in body["data"]["groups"]:
            for rule in g["rules"]:
                kind = rule_kind(rule["name"], rule["type"] == "alerting")
                out[kind] = out.get(kind, 0.0) + rule["evaluationTime"]
        return out

    def metrics(self) -> dict[tuple[str, str], float]:
        """(metric name, rule group) -> value, for the rule-group metrics and process CPU."""
        with urllib.request.urlopen(f"{self.prom_url}/metrics", timeout=10) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line.startswith("prometheus_rule_group_") or line.startswith(
                    "prometheus_rule_evaluation_failures_total"):
                name, _, rest = line.partition("{")
                labels, _, value = rest.rpartition("} ")
                if 'rule_group="' not in labels:
                    continue
                group = labels.split('rule_group="', 1)[1].split('"', 1)[0]
                out[(name, group)] = float(value)
            elif line.startswith("process_cpu_seconds_total "):
                out[("process_cpu_seconds_total", "")] = float(line.split()[1])
        return out


def rule_kind(name: str, alert: bool) -> str:
    """A recorded window (by its record name), our base series, our levels, other recordings
    (meta), alerts."""
    if alert:
        return "alerts"
    if name.startswith("slo:sli_error:ratio_rate"):
        return "ratio " + name[len("slo:sli_error:ratio_rate"):]
    if name in LEVELS:
        return "levels"
    if name.startswith(("slo:sli_errors", "slo:sli_total")):
        return "base series"
    return "meta"


def measure_evaluations(prom: Prometheus, groups: list[str], warmup: int, evals: int,
                        interval: int) -> tuple[dict[str, float], dict[str, float], float, float,
                                                dict[str, float]]:
    """Mean last_duration per group over ``evals`` evaluations after ``warmup`` ones; CPU seconds
    of the Prometheus process per evaluation cycle over the measured span; failures; mean per-rule
    evaluation time by kind of rule (from /api/v1/rules, one snapshot per measured cycle)."""
    seen: dict[str, list[tuple[float, float]]] = {g: [] for g in groups}
    snapshots: list[dict[str, float]] = []
    last_snap = 0
    deadline = time.time() + (warmup + evals + 4) * interval + 120
    cpu_start = cpu_end = None
    t_cpu0 = t_cpu1 = 0.0
    while time.time() < deadline:
        m = prom.metrics()
        for g in groups:
            ts = m.get(("prometheus_rule_group_last_evaluation_timestamp_seconds", g), 0)
            if ts > 0 and (not seen[g] or seen[g][-1][0] != ts):
                seen[g].append((ts, m[("prometheus_rule_group_last_duration_seconds", g)]))
        done_warm = min(len(v) for v in seen.values())
        if warmup < done_warm <= warmup + evals and done_warm != last_snap:
            snapshots.append(prom.rule_times())
            last_snap = done_warm
        if cpu_start is None and done_warm >= warmup:
            cpu_start, t_cpu0 = m[("process_cpu_seconds_total", "")], time.time()
        if done_warm >= warmup + evals:
            cpu_end, t_cpu1 = m[("process_cpu_seconds_total", "")], time.time()
            failures = sum(v for (name, _g), v in m.items()
                           if name == "prometheus_rule_evaluation_failures_total")
            break
        time.sleep(0.5)
    else:
        raise SystemExit(f"rule groups did not evaluate {warmup + evals} times in time: "
                         f"{ {g: len(v) for g, v in seen.items() if len(v) < warmup + evals} }")
    means = {g: statistics.mean(d for _t, d in v[warmup:warmup + evals]) for g, v in seen.items()}
    medians = {g: statistics.median(d for _t, d in v[warmup:warmup + evals])
               for g, v in seen.items()}
    cycles = (t_cpu1 - t_cpu0) / interval
    cpu_per_cycle = (cpu_end - cpu_start) / cycles if cycles > 0 else float("nan")
    kinds = {k: statistics.mean(s.get(k, 0.0) for s in snapshots) for k in snapshots[-1]}
    return means, medians, cpu_per_cycle, failures, kinds


# ---- rule sets --------------------------------------------------------------------------------
def our_rules(workdir: Path, slos: int, layout: str) -> tuple[list[dict], dict[int, str]]:
    """Generate our rules with the CLI; return their groups and each SLO's base-series labels."""
    spec = workdir / "specs" / f"{specgen.COST_SERVICE}.yaml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(yaml.safe_dump(specgen.cost_spec(slos, layout), sort_keys=False),
                    encoding="utf-8")
    out = workdir / "generated"
    sre_gen = Path(sys.executable).parent / "sre-gen"
    proc = subprocess.run([str(sre_gen), "generate", str(spec), "--out", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"sre-gen generate failed:\n{proc.stderr}")
    prom = out / specgen.COST_SERVICE / "prometheus"
    groups = []
    for name in ("recording-rules.yaml", "alerting-rules.yaml"):
        groups += yaml.safe_load((prom / name).read_text(encoding="utf-8"))["groups"]
    labels = {}
    records: dict[str, int] = {}
    for g in groups:
        if "alerts" not in g["name"] and parse_duration(g.get("interval", "1m")) != RULE_INTERVAL:
            raise SystemExit(f"group {g['name']}: interval {g.get('interval')}, the backfill "
                             f"assumes {RULE_INTERVAL}s")
        for r in g["rules"]:
            records[r.get("record", "")] = records.get(r.get("record", ""), 0) + 1
            if r.get("record") == "slo:sli_errors:rate5m":
                k = int(r["labels"]["slo"].split("-")[1])
                labels[k] = label_text(r["labels"])
    missing = [r for r in (*OUR_BASE, *LEVELS) if records.get(r) != slos]
    if missing:  # the backfill writes these series: they must be what sre-gen records
        raise SystemExit(f"sre-gen's rules do not record {missing} once per SLO")
    return groups, labels


def sloth_groups(slos: int, layout: str) -> tuple[list[dict], dict[int, str]]:
    groups = specgen.sloth_rules(slos, layout)["groups"]
    labels = {}
    for g in groups:
        for r in g["rules"]:
            if r.get("record") == SLOTH_BASE:
                labels[int(r["labels"]["sloth_slo"].split("-")[1])] = label_text(r["labels"])
    return groups, labels


# The level rules' alignment: `vector(time()) % <step> < <the rules' interval>`.
ALIGNMENT = re.compile(r"(vector\(time\(\)\) % (\d+) < )(\d+)\b")


def retimed(groups: list[dict], interval: int) -> list[dict]:
    """The groups with every interval set to ``interval`` seconds and, in the level rules, the
    alignment constant (the generated rules' interval) set to ``interval`` too, so that exactly one
    evaluation per step still passes."""
    out = []
    for g in copy.deepcopy(groups):
        rule_interval = parse_duration(g.get("interval", "1m"))
        g["interval"] = f"{interval}s"
        for r in g["rules"]:
            def sub(m: re.Match) -> str:
                step, constant = int(m.group(2)), int(m.group(3))
                if constant != rule_interval or step % interval or step % rule_interval:
                    raise SystemExit(f"{r.get('record')}: unexpected alignment {m.group(0)!r} "
                                     f"(group interval {rule_interval}s, --interval {interval})")
                return f"{m.group(1)}{interval}"

            r["expr"], n = ALIGNMENT.subn(sub, r["expr"])
            if n != (1 if r.get("record") in LEVELS else 0):
                raise SystemExit(f"{r.get('record') or r.get('alert')}: {n} alignment "
                                 "conditions, expected one in each level rule and none elsewhere")
        out.append(g)
    return out


def write_rule_file(path: Path, groups: list[dict]) -> list[str]:
    """Write the groups, check them with promtool; return Prometheus' group keys."""
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False, width=10_000),
                    encoding="utf-8")
    check = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True,
                           text=True)
    if check.returncode != 0:
        raise SystemExit(f"promtool check rules {path} failed:\n{check.stdout}{check.stderr}")
    return [f"{path};{g['name']}" for g in groups]


def rule_window(groups: list[dict], k: int, window: str, sloth: bool) -> str:
    """The expression recording SLO k's error ratio over ``window``."""
    key = "sloth_slo" if sloth else "slo"
    for g in groups:
        for r in g["rules"]:
            labels = r.get("labels", {})
            if (r.get("record") == f"slo:sli_error:ratio_rate{window}"
                    and labels.get(key) == specgen.cost_slo_name(k)):
                return r["expr"]
    raise KeyError((k, window, sloth))


# ---- one layout -------------------------------------------------------------------------------
def run_layout(args, series: int, tmp: Path) -> dict:
    layout = SERIES_LAYOUT[series]
    work = tmp / layout
    work.mkdir()
    ours, ours_base = our_rules(work, args.slos, layout)
    sloth, sloth_base = sloth_groups(args.slos, layout)

    t_end = int(time.time()) // 60 * 60
    log(f"{layout}: synthesizing {args.slos} SLOs x {series} series over {DAYS} days")
    syn = Synthetic(args.slos, layout, t_end)
    om = work / "data.om"
    samples = write_openmetrics(om, syn, ours_base, sloth_base)
    log(f"{layout}: {sum(samples.values()):,} samples ({om.stat().st_size / 1e6:.0f} MB "
        "OpenMetrics); backfilling")
    blocks = work / "blocks"
    proc = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics",
                           "--max-block-duration=1500h", str(om), str(blocks)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"backfill failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    om.unlink()
    block_mb = sum(f.stat().st_size for f in blocks.rglob("*") if f.is_file()) / 1e6

    rules_dir = work / "rules"
    rules_dir.mkdir()
    result = {"layout": layout, "series": series, "samples": samples, "block_mb": block_mb,
              "t_end": t_end, "runs": {}}
    rule_files, keys, timed = {}, {}, {}
    sets = [("sre-gen", ours), ("sloth", sloth)]
    for name, groups in sets:
        timed[name] = retimed(groups, args.interval)
        rule_files[name] = rules_dir / f"{name}.yaml"
        keys[name] = write_rule_file(rule_files[name], timed[name])
    runs: dict[str, list[dict]] = {name: [] for name, _g in sets}
    with Exporter(syn) as exporter:
        for rnd in range(args.rounds):  # alternate the rule sets: drift hits all alike
            for name, groups in sets:
                nrules = sum(len(g["rules"]) for g in groups)
                log(f"{layout}/{name} round {rnd + 1}/{args.rounds}: starting Prometheus "
                    f"({len(keys[name])} groups, {nrules} rules)")
                with Prometheus(work / f"prom-{name}-{rnd}", blocks, [rule_files[name]],
                                exporter.port, args.interval) as prom:
                    run = {"groups": len(keys[name]), "rules": nrules}
                    if name == "sre-gen" and rnd == 0:
                        run["base_check"] = check_base(prom, syn, ours)
                    means, medians, cpu, failures, kinds = measure_evaluations(
                        prom, keys[name], args.warmup, args.evals, args.interval)
                    run["eval_seconds"] = sum(means.values())
                    run["eval_seconds_median"] = sum(medians.values())
                    run["by_group_kind"] = by_kind(means)
                    run["by_rule_kind"] = kinds
                    run["cpu_per_cycle"] = cpu
                    run["failures"] = failures
                    if rnd == 0:  # after the evaluations: every recorded series exists
                        run["samples_by_kind"] = samples_by_kind(prom, timed[name])
                        run["samples_per_cycle"] = sum(run["samples_by_kind"].values())
                        run["alerts"] = firing(prom, name == "sloth")
                        if name == "sre-gen":
                            run["conditions"] = conditions(prom)
                        run["accuracy"] = accuracy(prom, syn, groups, name == "sloth")
                    runs[name].append(run)
                log(f"{layout}/{name} round {rnd + 1}: {run['eval_seconds'] * 1000:.1f} ms per "
                    "cycle")
    for name, rs in runs.items():
        merged = dict(rs[0])
        merged["rounds"] = [r["eval_seconds"] for r in rs]
        for key in ("eval_seconds", "eval_seconds_median", "cpu_per_cycle"):
            merged[key] = statistics.mean(r[key] for r in rs)
        merged["failures"] = sum(r["failures"] for r in rs)
        for key in ("by_group_kind", "by_rule_kind"):
            merged[key] = {k: statistics.mean(r[key].get(k, 0.0) for r in rs)
                           for k in rs[0][key]}
        result["runs"][name] = merged
    return result


def samples_by_kind(prom: Prometheus, groups: list[dict]) -> dict[str, int]:
    """totalQueryableSamples of every rule expression run once at one moment, summed per kind of
    rule: the samples one evaluation cycle of all groups reads."""
    now = time.time()
    out: dict[str, int] = {}
    for g in groups:
        for r in g["rules"]:
            kind = rule_kind(r.get("record") or r.get("alert"), "alert" in r)
            out[kind] = out.get(kind, 0) + prom.samples(r["expr"], now)
    return out


def by_kind(means: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, v in means.items():
        group = key.split(";", 1)[1]
        if group.startswith("sloth-slo-"):
            kind = group.split("-")[2]  # sli / meta / alerts
        else:
            kind = group.rsplit(":", 1)[1]  # recordings / alerts
        out[kind] = out.get(kind, 0.0) + v
    return out


def check_base(prom: Prometheus, syn: Synthetic, groups: list[dict]) -> dict[str, float]:
    """The backfilled recorded series against what Prometheus computes from the series below them,
    at past aligned times (must be ~0: the backfill is what Prometheus would have recorded): the
    base series against the rule's own ``rate``, the 5m level against its rule over the base, the
    1h level against its rule (``avg_over_time`` of the 5m level). Largest relative difference per
    kind; also checks the samples per day of each (1440, 288, 24); SystemExit when wrong."""
    worst = {"base series": 0.0, "5m level": 0.0, "1h level": 0.0}
    per_day = {"base series": 1440, "5m level": 288, "1h level": 24}
    checked = {(r["record"], r["labels"]["slo"]): r["expr"] for g in groups for r in g["rules"]
               if r.get("record") in (*OUR_BASE, *LEVELS)
               and r["labels"]["slo"] in {specgen.cost_slo_name(k) for k in range(3)}}
    for (record, slo), expr in sorted(checked.items()):
        step = LEVELS[record][0] if record in LEVELS else RULE_INTERVAL
        kind = {RULE_INTERVAL: "base series", 300: "5m level", 3600: "1h level"}[step]
        for age in (3600, 5 * 86400, 20 * 86400 + 1800, 29 * 86400):
            at = (syn.t_end - age) // step * step
            direct = prom.scalar(expr, at)
            stored = prom.scalar(f'{record}{{slo="{slo}"}}', at)
            if direct is None or stored is None:
                raise SystemExit(f"no value for {record} {slo} at {at}: rule {direct}, "
                                 f"backfilled {stored}")
            if direct != stored:
                worst[kind] = max(worst[kind], abs(direct - stored) / max(abs(direct), 1e-12))
        at = (syn.t_end - 10 * 86400) // 3600 * 3600
        count = prom.scalar(f'count_over_time({record}{{slo="{slo}"}}[23h59m59s])', at)
        if count != per_day[kind]:
            raise SystemExit(f"{record} {slo}: {count} samples in the day before {at}, expected "
                             f"{per_day[kind]}")
    return worst


def firing(prom: Prometheus, sloth: bool) -> dict[str, list[str]]:
    """SLO -> sorted alert classes (page/ticket) firing now."""
    out: dict[str, set[str]] = {}
    for s in prom.query('ALERTS{alertstate="firing"}', time.time()):
        m = s["metric"]
        if sloth:
            out.setdefault(m["sloth_slo"], set()).add(m["sloth_severity"])
        else:
            out.setdefault(m["slo"], set()).add(TIER_CLASS[m["tier"]])
    return {k: sorted(v) for k, v in sorted(out.items())}


def conditions(prom: Prometheus) -> dict[str, list[str]]:
    """SLO -> sorted alert classes (page/ticket) of our tiers whose recorded burn condition
    (``slo:burn_condition:bool``, before the slower tiers' suppression) holds now."""
    out: dict[str, set[str]] = {}
    for s in prom.query("slo:burn_condition:bool == 1", time.time()):
        out.setdefault(s["metric"]["slo"], set()).add(TIER_CLASS[s["metric"]["tier"]])
    return {k: sorted(v) for k, v in sorted(out.items())}


def suppressed(classes: dict[str, list[str]]) -> dict[str, list[str]]:
    """Sloth's firing classes as our alerts fire them: a slower tier is suppressed while a faster
    one burns, so where a page (fast or moderate tier) fires, no ticket (slow, slower) does."""
    return {k: ["page"] if "page" in v else v for k, v in classes.items()}


def covered_step(expr: str) -> int:
    """The step of the recorded series a window's expression reads (the window it covers ends at
    the last multiple of it); 60 when it reads the raw counters or the every-minute base."""
    steps = {LEVELS[name][0] for name in LEVELS if name + "{" in expr}
    if len(steps) > 1:
        raise ValueError(f"expression reads levels of several steps: {expr}")
    return steps.pop() if steps else 60


def accuracy(prom: Prometheus, syn: Synthetic, groups: list[dict], sloth: bool) -> dict:
    """Per window, at t_end: the largest relative error over SLOs against the exact ratio over
    (t_end - window, t_end] and against the exact ratio over the window the rule covers
    ((e - window, e], e = t_end rounded down to the step of the levels it reads)."""
    out = {}
    for window, seconds in WINDOWS:
        errs, errs_cov, example, step = [], [], None, 60
        for k in range(syn.slos):
            expr = rule_window(groups, k, window, sloth)
            step = 60 if sloth else covered_step(expr)
            got = prom.scalar(expr, syn.t_end)
            exact = syn.exact_ratio(k, seconds)
            covered = syn.exact_ratio(k, seconds, syn.t_end // step * step)
            errs.append(abs(got - exact) / exact)
            errs_cov.append(abs(got - covered) / covered)
            if k == 1:
                example = (got, exact)
        out[window] = {"max_rel_error": max(errs), "max_rel_error_covered": max(errs_cov),
                       "covered_end": syn.t_end // step * step, "example": example}
    return out


def report(results: list[dict], args) -> bool:
    ok = True
    print(f"## Prometheus rule cost: sre-gen vs Sloth-shaped rules, {args.slos} SLOs (30d, "
          f"4 burn-rate tiers), Prometheus {prom_version()}")
    print("\n### Samples read per evaluation cycle (every rule expression run once through "
          "/api/v1/query?stats=all, totalQueryableSamples summed)\n")
    print("| raw series per SLI | rule set | groups | rules | samples per cycle | ratio to Sloth | "
          "target |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for res in results:
        sloth = res["runs"]["sloth"]
        target = TARGET_SAMPLES[res["layout"]]
        for name, run in (("sre-gen", res["runs"]["sre-gen"]), ("Sloth", sloth)):
            mine = name != "Sloth"
            ratio = run["samples_per_cycle"] / sloth["samples_per_cycle"]
            if mine:
                ok &= ratio <= target
            print(f"| {res['series']} | {name} | {run['groups']} | {run['rules']} | "
                  f"{run['samples_per_cycle']:,} | {f'{ratio:.3f}' if mine else '1'} | "
                  f"{_verdict(ratio, target) if mine else ''} |")
    print("\nWhere the samples go: samples per cycle by kind of rule, summed over SLOs:\n")
    _kind_table(results, "samples_by_kind", lambda v: f"{v:,}")

    print(f"\n### Evaluation time (reported, not a target): group interval {args.interval}s, "
          f"mean of {args.evals} evaluations per group after {args.warmup} warm-up ones, "
          f"{args.rounds} alternating Prometheus runs per rule set (mean; each run in "
          "brackets)\n")
    print("| raw series per SLI | rule set | eval ms per cycle (sum of groups' means) | "
          "ratio to Sloth | sum of groups' medians, ms | ratio | Prometheus CPU ms per cycle | "
          "failures |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for res in results:
        sloth = res["runs"]["sloth"]
        for name, run in (("sre-gen", res["runs"]["sre-gen"]), ("Sloth", sloth)):
            mine = name != "Sloth"
            ratio = run["eval_seconds"] / sloth["eval_seconds"]
            mratio = run["eval_seconds_median"] / sloth["eval_seconds_median"]
            print(f"| {res['series']} | {name} | {run['eval_seconds'] * 1000:.1f} ("
                  f"{', '.join(f'{x * 1000:.1f}' for x in run['rounds'])}) | "
                  f"{f'{ratio:.2f}' if mine else '1'} | "
                  f"{run['eval_seconds_median'] * 1000:.1f} | "
                  f"{f'{mratio:.2f}' if mine else '1'} | "
                  f"{run['cpu_per_cycle'] * 1000:.0f} | {run['failures']:.0f} |")
    print("\nWhere the time goes: per-rule evaluation time (/api/v1/rules), summed over SLOs, "
          "ms per cycle:\n")
    _kind_table(results, "by_rule_kind", lambda v: f"{v * 1000:.2f}")

    print("\n### Accuracy of the long windows at the end of the backfill t_end (max relative error "
          "over SLOs vs the exact ratio of the raw counters' increases)\n")
    print("Our levels lag: the 1d and 3d cover the window ending at the last 5m-aligned time, the "
          "30d the one ending at the last whole hour (t_end rounded down). The target is on the "
          "30d against (t_end - 30d, t_end].\n")
    print("| raw series per SLI | window | sre-gen vs (t_end - window, t_end] | sre-gen vs the "
          "window the rule covers | end of the covered window | Sloth vs (t_end - window, t_end] "
          "| example SLO: exact / sre-gen / Sloth |")
    print("|---:|---|---:|---:|---|---:|---|")
    for res in results:
        for window, _seconds in WINDOWS:
            ours = res["runs"]["sre-gen"]["accuracy"][window]
            sloth = res["runs"]["sloth"]["accuracy"][window]
            verdict = ""
            if window == "30d":  # the target is on the SLO window; 1d/3d are shown for context
                held = ours["max_rel_error"] <= TARGET_ACCURACY
                ok &= held
                verdict = f" (<= {TARGET_ACCURACY:.1%} {'holds' if held else 'MISSED'})"
            lag = (res["t_end"] - ours["covered_end"]) // 60
            kind = "raw" if window != "30d" else "time-weighted"
            exact = ours["example"][1]
            print(f"| {res['series']} | {window} | {_pct(ours['max_rel_error'])}{verdict} | "
                  f"{_pct(ours['max_rel_error_covered'])} | t_end - {lag} min | "
                  f"{sloth['max_rel_error']:.1%} ({kind}) | "
                  f"{exact:.5f} / {ours['example'][0]:.5f} / {sloth['example'][0]:.5f} |")

    print("\n### Alert behaviour at the end of the first run of each rule set (ours per tier "
          "mapped to Sloth's page/ticket)\n")
    print("Our tiers' recorded burn conditions against Sloth's firing alerts (the same windows "
          "and factors: must match), and our firing alerts against Sloth's with our suppression "
          "applied (a slower tier is silent while a faster one burns: no ticket where a page "
          "fires).\n")
    for res in results:
        a, b = res["runs"]["sre-gen"]["alerts"], res["runs"]["sloth"]["alerts"]
        cond = res["runs"]["sre-gen"]["conditions"]
        same_cond, same_firing = cond == b, a == suppressed(b)
        print(f"- {res['series']} series: burn conditions "
              f"{'identical' if same_cond else 'DIFFERENT'} to Sloth's firing alerts (sre-gen "
              f"{_class_counts(cond)}; Sloth {_class_counts(b)}); firing alerts "
              f"{'identical' if same_firing else 'DIFFERENT'} to Sloth's after suppression "
              f"(sre-gen {_class_counts(a)})")
        if not (same_cond and same_firing):
            print(f"  - sre-gen conditions: {cond}\n  - sre-gen firing: {a}\n  - Sloth: {b}")

    print("\n### Backfill\n")
    for res in results:
        check = res["runs"]["sre-gen"]["base_check"]
        data = ", ".join(f"{v:,} {k}" for k, v in res["samples"].items())
        print(f"- {res['series']} series: backfilled series vs what Prometheus computes from the "
              "series below them at past aligned times, max relative difference: "
              + ", ".join(f"{k} {v:.1e}" for k, v in check.items())
              + f"; samples per day 1440 / 288 / 24 as expected; data: {data} samples, "
              f"{res['block_mb']:.0f} MB of blocks")
    return ok


def _kind_table(results: list[dict], key: str, fmt) -> None:
    kinds = sorted({k for res in results for run in res["runs"].values() for k in run[key]},
                   key=_kind_order)
    print("| raw series per SLI | rule set | " + " | ".join(kinds) + " |")
    print("|---:|---|" + "---:|" * len(kinds))
    for res in results:
        for name, run in res["runs"].items():
            row = run[key]
            print(f"| {res['series']} | {name} | " + " | ".join(
                fmt(row[k]) if k in row else "-" for k in kinds) + " |")


def _class_counts(classes: dict[str, list[str]]) -> str:
    counts: dict[str, int] = {}
    for v in classes.values():
        counts[",".join(v)] = counts.get(",".join(v), 0) + 1
    return ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "none"


def _pct(x: float) -> str:
    return f"{x:.4%}" if x >= 5e-7 else f"< 0.0001% ({x:.0e})"


def _verdict(ratio: float, target: float) -> str:
    return f"<= {target:g} {'holds' if ratio <= target else 'MISSED'}"


def _kind_order(kind: str) -> tuple:
    if kind.startswith("ratio "):
        w = kind.split()[1]
        return (1, int(w[:-1]) * {"m": 60, "h": 3600, "d": 86400}[w[-1]])
    return ({"base series": 0, "levels": 0.5, "meta": 2, "alerts": 3}[kind], 0)


def prom_version() -> str:
    out = subprocess.run([PROMETHEUS, "--version"], capture_output=True, text=True)
    return (out.stdout or out.stderr).split()[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slos", type=int, default=20, help="SLOs (each with its own job)")
    ap.add_argument("--series", default="1,50", help="raw series per SLI to run: 1, 50 or 1,50")
    ap.add_argument("--interval", type=int, default=5,
                    help="rule group interval of the timed runs, seconds (also the level rules' "
                         "alignment constant); must divide 300")
    ap.add_argument("--warmup", type=int, default=3, help="evaluations per group not measured")
    ap.add_argument("--evals", type=int, default=12, help="evaluations per group measured")
    ap.add_argument("--rounds", type=int, default=2,
                    help="Prometheus runs per rule set, alternating sre-gen and Sloth (mean)")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    series = [int(s) for s in args.series.split(",")]
    if any(s not in SERIES_LAYOUT for s in series):
        ap.error("--series takes 1, 50 or 1,50")
    if args.interval <= 0 or 300 % args.interval:
        ap.error("--interval must divide 300 (one evaluation per 5m step)")
    for tool in (PROMETHEUS, PROMTOOL):
        if not Path(tool).exists():
            raise SystemExit(f"{tool} not found: apt-get install prometheus")

    tmp = Path(tempfile.mkdtemp(prefix="sre-gen-bench-prom-"))
    started = time.time()
    try:
        results = [run_layout(args, s, tmp) for s in series]
        ok = report(results, args)
        print(f"\ntotal runtime {time.time() - started:.0f} s")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
        return 0 if ok else 1
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
