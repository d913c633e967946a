#!/usr/bin/env python3
"""What our SLO rules cost in a real Prometheus, against Sloth's rules for the same SLOs.

    .venv/bin/python bench/prometheus_cost.py [--slos 20] [--series 1,50] [--interval 10]
                                              [--evals 8] [--warmup 3]

For each raw-series layout (1 series per SLI selector, and 50: 10 status codes x 5 pods):

1. Synthetic data. ``--slos`` availability SLOs with spiky traffic: a steady 2-4 req/s, and one hour
   a day at 60x the traffic with far fewer errors (0.02%), the last spike 8 h+ before "now"; steady
   error ratios of 0.05%, 0.5% or 2% depending on the SLO (no alert / ticket / page). Counters are
   integers sampled every minute for 31 days up to now, written as OpenMetrics and backfilled with
   ``promtool tsdb create-blocks-from openmetrics``. Into the same blocks go the base series each
   rule set's long window reads, as Prometheus would have recorded them every minute (a rate over
   5m of minute-aligned samples is exactly (c(t) - c(t-5m)) / 300; the script checks this against
   Prometheus' own ``rate`` at several past times): ours ``slo:sli_errors:rate5m`` and
   ``slo:sli_total:rate5m``, Sloth's ``slo:sli_error:ratio_rate5m``. After the backfill, a small
   exporter on 127.0.0.1 serves the same counters live, so the windows that end "now" are full.
2. Rules. Ours: ``sre-gen generate`` of ``specgen.cost_spec`` (30d SLOs, Sloth's four alert
   windows and factors, no low-traffic guard, no budget-exhausted or SLI-absent alert: the same alert
   behaviour as Sloth), i.e. prometheus/recording-rules.yaml + alerting-rules.yaml. Sloth's:
   ``specgen.sloth_rules``, shaped on Sloth's real output (7 raw windows 5m..3d, the optimized 30d
   average of 5m ratios, 7 meta rules, page and ticket alerts). Group intervals are set to
   ``--interval`` in both, only so that several evaluations fit in a short run.
3. Two Prometheus runs on the same blocks (127.0.0.1, temporary storage, stopped at the end even on
   error), one per rule set: after ``--warmup`` evaluations of every group, the mean of
   ``prometheus_rule_group_last_duration_seconds`` over ``--evals`` evaluations per group, summed
   over groups = rule evaluation time per cycle. Samples: every rule expression is run once through
   ``/api/v1/query?stats=all`` at the same moment and its ``totalQueryableSamples`` summed (the
   samples a rule evaluation reads). Alerts firing at the end are compared (ours per tier mapped to
   Sloth's page/ticket).
4. Accuracy at the end of the backfill: our 1d, 3d and 30d error ratios (derived from the base
   series, request-weighted) and Sloth's (1d, 3d raw; 30d time-weighted) against the exact ratio of
   the raw counters' increases.

Targets: our rule evaluation time <= 0.3x Sloth's at 50 series per SLI, <= 1x at 1; our long
windows within 1% of the exact ratio. Exit status 0 when all hold. Runtime: about 3 minutes per
Prometheus run plus data generation (~2 minutes for 20 SLOs x 50 series).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import specgen  # noqa: E402

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
DAYS = 31  # raw history: the 30d window plus a day of margin
LIVE_MINUTES = 240  # how long the exporter's counters keep growing after the backfill
BASE = 300  # base window, seconds
SPIKE_FACTOR = 60
SPIKE_ERROR_RATIO = 0.0002
STEADY_ERROR_RATIOS = (0.0005, 0.005, 0.02)  # burn rates 0.5x, 5x, 20x a 99.9% objective
SERIES_LAYOUT = {1: "single", 50: "wide"}
TARGET_RATIO = {"wide": 0.3, "single": 1.0}
TARGET_ACCURACY = 0.01
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

    def exact_ratio(self, k: int, window: int) -> float:
        """Errors / total of the raw counters' increases over (t_end - window, t_end]."""
        err, tot = self.sums(k)
        m1, m0 = self.hist - 1, self.hist - 1 - window // 60
        return (err[m1] - err[m0]) / (tot[m1] - tot[m0])


def write_openmetrics(path: Path, syn: Synthetic, our_labels: dict[int, str],
                      sloth_labels: dict[int, str], coarse: bool = False) -> int:
    """Raw counters for the backfill range plus both rule sets' base series. Returns samples."""
    n = 0
    ts = [syn.t_start + 60 * m for m in range(syn.hist)]
    ts_text = [f" {t}\n" for t in ts]
    with path.open("w", encoding="utf-8") as f:
        families: dict[str, list[str]] = {}
        for k in range(syn.slos):
            for metric, labels, bad, weight in syn.series(k):
                families.setdefault(metric, []).append((k, labels, bad, weight))
        for metric, members in families.items():
            f.write(f"# TYPE {metric.removesuffix('_total')} counter\n")
            for k, labels, bad, weight in members:
                prefix = f"{metric}{{{labels}}} "
                vals = syn.values(k, bad, weight)
                f.write("".join(prefix + str(vals[m]) + ts_text[m] for m in range(syn.hist)))
                n += syn.hist
        first = BASE // 60  # first minute with a full 5m window
        base = {"slo:sli_errors:rate5m": [], "slo:sli_total:rate5m": [],
                "slo:sli_error:ratio_rate5m": []}
        for k in range(syn.slos):
            err, tot = syn.sums(k)
            re_ = [(err[m] - err[m - first]) / BASE for m in range(first, syn.hist)]
            rt = [(tot[m] - tot[m - first]) / BASE for m in range(first, syn.hist)]
            base["slo:sli_errors:rate5m"].append((our_labels[k], re_))
            base["slo:sli_total:rate5m"].append((our_labels[k], rt))
            base["slo:sli_error:ratio_rate5m"].append(
                (sloth_labels[k], [a / b for a, b in zip(re_, rt)]))
            if coarse:  # the same base, recorded every 5m (the --coarse experiment)
                base.setdefault(COARSE["slo:sli_errors:rate5m"], []).append((our_labels[k], re_))
                base.setdefault(COARSE["slo:sli_total:rate5m"], []).append((our_labels[k], rt))
        for metric, rows in base.items():
            step = BASE // 60 if metric in COARSE.values() else 1
            f.write(f"# TYPE {metric} gauge\n")
            for labels, vals in rows:
                prefix = f"{metric}{{{labels}}} "
                picked = [m for m in range(len(vals)) if (m + first) % step == 0]
                f.write("".join(prefix + repr(vals[m]) + ts_text[m + first] for m in picked))
                n += len(picked)
        f.write("# EOF\n")
    return n


# --coarse: our 1d/3d/30d windows read a copy of the base series recorded every 5m (a separate
# group with interval 5m in a real deployment), 5x fewer samples; not what sre-gen generates today.
COARSE = {"slo:sli_errors:rate5m": "slo:sli_errors_every5m:rate5m",
          "slo:sli_total:rate5m": "slo:sli_total_every5m:rate5m"}
COARSE_WINDOWS = ("1d", "3d", "30d")


def coarse_variant(groups: list[dict]) -> list[dict]:
    """Our rules with the long windows on a 5m-interval copy of the base series."""
    import copy

    out = []
    for g in copy.deepcopy(groups):
        extra = []
        for r in g["rules"]:
            if r.get("record") in COARSE:
                extra.append({**r, "record": COARSE[r["record"]]})
            if r.get("record", "").removeprefix("slo:sli_error:ratio_rate") in COARSE_WINDOWS:
                for fine, coarse_name in COARSE.items():
                    r["expr"] = r["expr"].replace(fine + "{", coarse_name + "{")
        out.append(g)
        if extra:
            out.append({"name": g["name"].replace(":recordings", ":base-every5m"),
                        "interval": "5m", "rules": extra})
    return out


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


class Prometheus:
    """A Prometheus on 127.0.0.1 with its own storage; always stopped on exit."""

    def __init__(self, workdir: Path, blocks: Path, rule_files: list[Path], exporter_port: int,
                 interval: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
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
                 "--storage.tsdb.retention.time=3650d", f"--web.listen-address=127.0.0.1:{self.port}",
                 "--log.level=warn", "--query.max-samples=200000000"],
                stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"prometheus exited {self.proc.returncode}:\n"
                                 f"{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as r:
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

    def query(self, expr: str, at: float, stats: bool = False) -> dict:
        params = {"query": expr, "time": f"{at:.3f}"}
        if stats:
            params["stats"] = "all"
        data = urllib.parse.urlencode(params).encode()
        with urllib.request.urlopen(f"{self.url}/api/v1/query", data=data, timeout=120) as r:
            body = json.load(r)
        if body.get("status") != "success":
            raise RuntimeError(f"query failed: {expr}: {body}")
        return body["data"]

    def scalar(self, expr: str, at: float) -> float | None:
        result = self.query(expr, at)["result"]
        if not result:
            return None
        if len(result) != 1:
            raise RuntimeError(f"{expr} returned {len(result)} series")
        return float(result[0]["value"][1])

    def rule_times(self) -> dict[str, float]:
        """Seconds of the last evaluation per kind of rule, summed over SLOs: a recorded window
        (by its record name), other recordings by name, alerts."""
        with urllib.request.urlopen(f"{self.url}/api/v1/rules", timeout=30) as r:
            body = json.load(r)
        out: dict[str, float] = {}
        for g in body["data"]["groups"]:
            for rule in g["rules"]:
                labels = rule.get("labels", {})
                if rule["type"] == "alerting":
                    kind = "alerts"
                elif rule["name"].startswith("slo:sli_error:ratio_rate"):
                    kind = "ratio " + rule["name"][len("slo:sli_error:ratio_rate"):]
                elif rule["name"].startswith(("slo:sli_errors", "slo:sli_total")):
                    kind = "base series"
                else:
                    kind = "meta"
                out[kind] = out.get(kind, 0.0) + rule["evaluationTime"]
        return out

    def metrics(self) -> dict[tuple[str, str], float]:
        """(metric name, rule group) -> value, for the rule-group metrics and process CPU."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as r:
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
    for g in groups:
        for r in g["rules"]:
            if r.get("record") == "slo:sli_errors:rate5m":
                k = int(r["labels"]["slo"].split("-")[1])
                labels[k] = label_text(r["labels"])
    return groups, labels


def sloth_groups(slos: int, layout: str) -> tuple[list[dict], dict[int, str]]:
    groups = specgen.sloth_rules(slos, layout)["groups"]
    labels = {}
    for g in groups:
        for r in g["rules"]:
            if r.get("record") == "slo:sli_error:ratio_rate5m":
                labels[int(r["labels"]["sloth_slo"].split("-")[1])] = label_text(r["labels"])
    return groups, labels


def write_rule_file(path: Path, groups: list[dict], interval: int) -> list[str]:
    """Write the groups with every interval set to ``interval``; return Prometheus' group keys."""
    out = []
    for g in groups:
        g = dict(g)
        g["interval"] = f"{interval}s"
        out.append(g)
    path.write_text(yaml.safe_dump({"groups": out}, sort_keys=False, width=10_000),
                    encoding="utf-8")
    check = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True,
                           text=True)
    if check.returncode != 0:
        raise SystemExit(f"promtool check rules {path} failed:\n{check.stdout}{check.stderr}")
    return [f"{path};{g['name']}" for g in out]


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
    samples = write_openmetrics(om, syn, ours_base, sloth_base, coarse=args.coarse)
    log(f"{layout}: {samples:,} samples ({om.stat().st_size / 1e6:.0f} MB OpenMetrics); backfilling")
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
              "runs": {}}
    rule_files, keys = {}, {}
    sets = [("sre-gen", ours), ("sloth", sloth)]
    if args.coarse:
        sets.append(("sre-gen-coarse", coarse_variant(ours)))
    for name, groups in sets:
        rule_files[name] = rules_dir / f"{name}.yaml"
        keys[name] = write_rule_file(rule_files[name], groups, args.interval)
    runs: dict[str, list[dict]] = {name: [] for name, _g in sets}
    with Exporter(syn) as exporter:
        for rnd in range(args.rounds):  # alternate the rule sets: drift hits all alike
            for name, groups in sets:
                log(f"{layout}/{name} round {rnd + 1}/{args.rounds}: starting Prometheus "
                    f"({len(keys[name])} groups, {sum(len(g['rules']) for g in groups)} rules)")
                with Prometheus(work / f"prom-{name}-{rnd}", blocks, [rule_files[name]],
                                exporter.port, args.interval) as prom:
                    run = {"groups": len(keys[name]),
                           "rules": sum(len(g["rules"]) for g in groups)}
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
                    if rnd == 0:
                        now = time.time()
                        run["samples_per_cycle"] = sum(
                            prom.query(r.get("expr"), now, stats=True)["stats"]["samples"]
                            ["totalQueryableSamples"] for g in groups for r in g["rules"])
                        run["alerts"] = firing(prom, name == "sloth")
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


def check_base(prom: Prometheus, syn: Synthetic, groups: list[dict]) -> float:
    """Largest relative difference between the backfilled base series and Prometheus' own rate at
    minute-aligned past times (must be ~0: the backfill is what Prometheus would have recorded)."""
    worst = 0.0
    rules = {(r["record"], r["labels"]["slo"]): r["expr"] for g in groups for r in g["rules"]
             if r.get("record") in ("slo:sli_errors:rate5m", "slo:sli_total:rate5m")}
    for (record, slo), expr in sorted(rules.items())[:6]:
        for age in (3600, 5 * 86400, 20 * 86400 + 1800):
            at = syn.t_end - age
            direct = prom.scalar(expr, at)
            stored = prom.scalar(f'{record}{{slo="{slo}"}}', at)
            if direct is None or stored is None:
                raise SystemExit(f"no value for {record} {slo} at {at}")
            if direct != stored:
                worst = max(worst, abs(direct - stored) / max(abs(direct), 1e-12))
    return worst


def firing(prom: Prometheus, sloth: bool) -> dict[str, list[str]]:
    """SLO -> sorted alert classes (page/ticket) firing now."""
    out: dict[str, set[str]] = {}
    for s in prom.query('ALERTS{alertstate="firing"}', time.time())["result"]:
        m = s["metric"]
        if sloth:
            out.setdefault(m["sloth_slo"], set()).add(m["sloth_severity"])
        else:
            out.setdefault(m["slo"], set()).add(TIER_CLASS[m["tier"]])
    return {k: sorted(v) for k, v in sorted(out.items())}


def accuracy(prom: Prometheus, syn: Synthetic, groups: list[dict], sloth: bool) -> dict:
    """Per window: the largest relative error over SLOs against the exact ratio, at t_end."""
    out = {}
    for window, seconds in (("1d", 86400), ("3d", 3 * 86400), ("30d", 30 * 86400)):
        errs, example = [], None
        for k in range(syn.slos):
            got = prom.scalar(rule_window(groups, k, window, sloth), syn.t_end)
            exact = syn.exact_ratio(k, seconds)
            errs.append(abs(got - exact) / exact)
            if k == 1:
                example = (got, exact)
        out[window] = {"max_rel_error": max(errs), "example": example}
    return out


def report(results: list[dict], args) -> bool:
    ok = True
    print(f"## Prometheus rule cost: sre-gen vs Sloth-shaped rules, {args.slos} SLOs (30d, "
          f"4 burn-rate tiers), Prometheus {prom_version()}, group interval {args.interval}s, "
          f"mean of {args.evals} evaluations per group after {args.warmup} warm-up ones, "
          f"{args.rounds} alternating Prometheus runs per rule set (mean; each run in brackets)")
    print("\n| raw series per SLI | rule set | groups | rules | eval ms per cycle (sum of "
          "groups' means) | ratio to Sloth | target | sum of groups' medians, ms | ratio | "
          "samples per cycle | ratio | Prometheus CPU ms per cycle | failures |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for res in results:
        ours, sloth = res["runs"]["sre-gen"], res["runs"]["sloth"]
        ratio = ours["eval_seconds"] / sloth["eval_seconds"]
        sratio = ours["samples_per_cycle"] / sloth["samples_per_cycle"]
        mratio = ours["eval_seconds_median"] / sloth["eval_seconds_median"]
        target = TARGET_RATIO[res["layout"]]
        held = ratio <= target
        ok &= held
        rows = [("sre-gen", ours), ("Sloth", sloth)]
        if "sre-gen-coarse" in res["runs"]:
            rows.append(("experiment: sre-gen, 1d/3d/30d on a 5m-interval base",
                         res["runs"]["sre-gen-coarse"]))
        for name, run in rows:
            mine = name != "Sloth"
            if mine:
                ratio = run["eval_seconds"] / sloth["eval_seconds"]
                sratio = run["samples_per_cycle"] / sloth["samples_per_cycle"]
                mratio = run["eval_seconds_median"] / sloth["eval_seconds_median"]
            print(f"| {res['series']} | {name} | {run['groups']} | {run['rules']} | "
                  f"{run['eval_seconds'] * 1000:.1f} ("
                  f"{', '.join(f'{x * 1000:.1f}' for x in run['rounds'])}) | "
                  f"{f'{ratio:.2f}' if mine else '1'} | "
                  f"{_verdict(ratio, target) if mine else ''} | "
                  f"{run['eval_seconds_median'] * 1000:.1f} | "
                  f"{f'{mratio:.2f}' if mine else '1'} | "
                  f"{run['samples_per_cycle']:,} | {f'{sratio:.2f}' if mine else '1'} | "
                  f"{run['cpu_per_cycle'] * 1000:.0f} | {run['failures']:.0f} |")
    print("\nWhere the time goes: per-rule evaluation time (/api/v1/rules), summed over SLOs, "
          "ms per cycle:\n")
    kinds = sorted({k for res in results for run in res["runs"].values()
                    for k in run["by_rule_kind"]}, key=_kind_order)
    print("| raw series per SLI | rule set | " + " | ".join(kinds) + " |")
    print("|---:|---|" + "---:|" * len(kinds))
    for res in results:
        for name in res["runs"]:
            row = res["runs"][name]["by_rule_kind"]
            print(f"| {res['series']} | {name} | " + " | ".join(
                f"{row[k] * 1000:.2f}" if k in row else "-" for k in kinds) + " |")
    print("\n### Accuracy of the long windows at the end of the backfill (max relative error over "
          "SLOs vs the exact ratio of the raw counters' increases)\n")
    print("| raw series per SLI | window | sre-gen (request-weighted, derived) | Sloth | "
          "example SLO: exact / sre-gen / Sloth |")
    print("|---:|---|---:|---:|---|")
    for res in results:
        for window in ("1d", "3d", "30d"):
            ours = res["runs"]["sre-gen"]["accuracy"][window]
            sloth = res["runs"]["sloth"]["accuracy"][window]
            held = ours["max_rel_error"] <= TARGET_ACCURACY
            if window == "30d":  # the target is on the SLO window; 1d/3d are shown for context
                ok &= held
                verdict = f" ({'holds' if held else 'MISSED'})"
            else:
                verdict = ""
            kind = "raw" if window != "30d" else "time-weighted"
            exact = ours["example"][1]
            extra = ""
            if "sre-gen-coarse" in res["runs"]:
                c = res["runs"]["sre-gen-coarse"]["accuracy"][window]
                extra = f" (experiment, 5m-interval base: {c['max_rel_error']:.3%})"
            print(f"| {res['series']} | {window} | {ours['max_rel_error']:.3%}{verdict}{extra} | "
                  f"{sloth['max_rel_error']:.1%} ({kind}) | "
                  f"{exact:.5f} / {ours['example'][0]:.5f} / {sloth['example'][0]:.5f} |")
    print("\n### Alert behaviour (classes firing at the end of each run: ours per tier mapped to "
          "Sloth's page/ticket)\n")
    for res in results:
        a, b = res["runs"]["sre-gen"]["alerts"], res["runs"]["sloth"]["alerts"]
        same = a == b
        ok &= same
        summary = {}
        for classes in a.values():
            summary[",".join(classes)] = summary.get(",".join(classes), 0) + 1
        print(f"- {res['series']} series: {'identical' if same else 'DIFFERENT'} "
              f"(sre-gen {summary or 'none'}; Sloth {len(b)} SLOs firing); backfilled base series "
              f"vs Prometheus' own rate: max relative difference "
              f"{res['runs']['sre-gen']['base_check']:.1e}; data: {res['samples']:,} samples, "
              f"{res['block_mb']:.0f} MB of blocks")
        if not same:
            print(f"  - sre-gen: {a}\n  - Sloth: {b}")
        if "sre-gen-coarse" in res["runs"]:
            c = res["runs"]["sre-gen-coarse"]["alerts"]
            print(f"  - experiment (5m-interval base): {'identical' if c == b else 'DIFFERENT'}")
    return ok


def _verdict(ratio: float, target: float) -> str:
    return f"<= {target:g} {'holds' if ratio <= target else 'MISSED'}"


def _kind_order(kind: str) -> tuple:
    if kind.startswith("ratio "):
        w = kind.split()[1]
        return (1, int(w[:-1]) * {"m": 60, "h": 3600, "d": 86400}[w[-1]])
    return ({"base series": 0, "meta": 2, "alerts": 3}[kind], 0)


def prom_version() -> str:
    out = subprocess.run([PROMETHEUS, "--version"], capture_output=True, text=True)
    return (out.stdout or out.stderr).split()[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--slos", type=int, default=20, help="SLOs (each with its own job)")
    ap.add_argument("--series", default="1,50", help="raw series per SLI to run: 1, 50 or 1,50")
    ap.add_argument("--interval", type=int, default=5, help="rule group interval, seconds")
    ap.add_argument("--warmup", type=int, default=3, help="evaluations per group not measured")
    ap.add_argument("--evals", type=int, default=12, help="evaluations per group measured")
    ap.add_argument("--rounds", type=int, default=2,
                    help="Prometheus runs per rule set, alternating sre-gen and Sloth (mean)")
    ap.add_argument("--coarse", action="store_true",
                    help="also run an experiment: our rules with the 1d/3d/30d windows reading a "
                         "5m-interval copy of the base series (not what sre-gen generates)")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    series = [int(s) for s in args.series.split(",")]
    if any(s not in SERIES_LAYOUT for s in series):
        ap.error("--series takes 1, 50 or 1,50")
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
