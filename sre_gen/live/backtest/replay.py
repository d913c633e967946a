"""Replay a service's generated rules over the history of the user's Prometheus with vmalert.

The engine is vmalert's ``-replay`` mode (VictoriaMetrics 1.79, Debian's ``victoria-metrics``
package), writing into a single-node ``victoria-metrics`` that sre-gen starts on 127.0.0.1 with a
temporary ``-storageDataPath`` and stops again (also on errors and Ctrl-C):

1. the raw series the rules read (every vector selector of a metric that no rule records) are
   copied, raw samples unchanged, from the user's Prometheus into victoria-metrics for the
   period plus the longest range a rule reads them over (``Prometheus.samples``:
   ``selector[range]`` instant queries, one day at a time; ``/api/v1/import``);
2. the rules are split into dependency layers: a rule is in layer 0 when it reads no recorded
   series, else one above the deepest rule recording a series it reads. Each layer is one
   vmalert ``-replay`` run (``-datasource.url`` and ``-remoteWrite.url`` both victoria-metrics),
   and victoria-metrics is flushed (``/internal/force_flush``) before the next layer starts, so a
   rule reading another rule's series sees all of it. (vmalert replays the rules of a group one
   after the other against a datasource that is not the write target; its
   ``-replay.rulesDelay`` only waits and hopes the write is visible. Layers make the order
   exact.) Rules keep their group's name and interval; ALERTS / ALERTS_FOR_STATE come from
   vmalert's own alerting state machine (``for`` included).

Limits (README "sre-gen backtest"):
- the PromQL is evaluated by VictoriaMetrics' MetricsQL engine, not Prometheus': ``rate()``
  does not extrapolate and reads the sample before the window, so a replayed ratio can differ
  from what Prometheus records by the edge of one scrape interval (ratios of counters scraped
  together agree: tests/live/test_backtest.py compares every replayed series of an SLO with
  Prometheus 2.42 evaluating the same expressions, to 1e-9; VictoriaMetrics stores values to
  about 12 significant digits);
- recorded series exist only from the start of the replay: a long window (the SLO window) read
  from recorded series covers the replayed part only, as after a fresh deployment;
- vmalert restarts an alert's ``for`` at each request boundary; sre-gen asks for the whole
  period in one request (``-replay.maxDatapointsPerQuery``) up to ``MAX_POINTS`` evaluations;
- non-finite raw samples (NaN) are not copied: VictoriaMetrics' import has no NaN;
- the ``query`` template function is not available in replay (annotations are not replayed).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sre_gen import errors, promql
from sre_gen.live.client import Prometheus, Series

DAY = 86400
LOOKBACK = 300  # Prometheus' lookback delta: an instant selector reads 5 minutes back
MAX_POINTS = 100_000  # evaluations per vmalert request (the `for` state restarts between them)
INSTALL_HINT = ("install VictoriaMetrics' vmalert and victoria-metrics (Debian/Ubuntu: "
                "`apt-get install victoria-metrics`; scripts/setup.sh does it), or put them on "
                "PATH")
_RANGE = re.compile(r"\[((?:\d+(?:ms|[smhdwy]))+)(?::[^\]]*)?\]")


@dataclass(frozen=True)
class Layer:
    """Rule groups (``{"name", "interval", "rules"}`` as in a rule file) replayed in one run."""

    groups: tuple[dict, ...]

    @property
    def rules(self) -> int:
        return sum(len(g["rules"]) for g in self.groups)


@dataclass
class Replayed:
    """What a replay produced: where to read it while the store runs, and what it did."""

    store: Prometheus
    start: float
    end: float
    interval: int
    inputs: list[str] = field(default_factory=list)  # selectors of the raw series copied
    samples_copied: int = 0
    samples_written: int = 0
    layers: int = 0
    seconds: float = 0.0


def recorded_names(groups: list[dict]) -> set[str]:
    return {r["record"] for g in groups for r in g["rules"] if "record" in r}


def layers(groups: list[dict]) -> list[Layer]:
    """Split the groups into dependency layers (see the module docstring); rule order inside a
    group is kept within each layer."""
    recorded = recorded_names(groups)
    reads = [[promql.metric_names(r["expr"]) & recorded for r in g["rules"]] for g in groups]
    depth_of_name = {name: 0 for name in recorded}
    for _ in range(sum(len(g["rules"]) for g in groups) + 1):  # a fixed point: rules are acyclic
        changed = False
        for g, deps in zip(groups, reads):
            for rule, names in zip(g["rules"], deps):
                depth = 1 + max((depth_of_name[n] for n in names), default=-1)
                if "record" in rule and depth > depth_of_name[rule["record"]]:
                    depth_of_name[rule["record"]] = depth
                    changed = True
        if not changed:
            break
    else:
        raise errors.EnvironmentProblem("the recording rules read each other in a cycle")
    by_layer: dict[int, list[dict]] = {}
    for g, deps in zip(groups, reads):
        per: dict[int, list[dict]] = {}
        for rule, names in zip(g["rules"], deps):
            depth = 1 + max((depth_of_name[n] for n in names), default=-1)
            per.setdefault(depth, []).append(rule)
        for depth, rules in per.items():
            by_layer.setdefault(depth, []).append(
                {"name": g["name"], "interval": g["interval"], "rules": rules})
    return [Layer(tuple(by_layer[d])) for d in sorted(by_layer)]


def raw_inputs(groups: list[dict]) -> tuple[list[str], int]:
    """The selectors of raw series the rules read (their vector selectors over metrics no rule
    records, offsets left out), and the longest range (seconds) a rule reading them selects,
    plus the lookback."""
    recorded = recorded_names(groups) | {"ALERTS", "ALERTS_FOR_STATE"}
    selectors: set[str] = set()
    longest = 0
    for g in groups:
        for rule in g["rules"]:
            raw = [n for n in promql.vector_selectors(promql.parse(rule["expr"]))
                   if (n.name or _name_matcher(n)) not in recorded]
            if raw:
                selectors.update(_selector(n) for n in raw)
                longest = max([longest, *(_seconds(m) for m in _RANGE.findall(rule["expr"]))])
    return sorted(selectors), longest + LOOKBACK


_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~",
        "MatchOp.NotRe": "!~"}


def _name_matcher(node) -> str | None:
    for m in node.matchers.matchers:
        if m.name == "__name__" and str(m.op) == "MatchOp.Equal":
            return m.value
    return None


def _selector(node) -> str:
    parts = [f"__name__={promql.quote(node.name)}"] if node.name else []
    parts += [f"{m.name}{_OPS[str(m.op)]}{promql.quote(m.value)}" for m in node.matchers.matchers]
    return "{" + ",".join(parts) + "}"


def _seconds(text: str) -> int:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return int(math.ceil(sum(int(n) * units[u]
                             for n, u in re.findall(r"(\d+)(ms|[smhdwy])", text))))


# ---- processes ----------------------------------------------------------------------------------
def tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise errors.EnvironmentProblem(f"{name} not found: {INSTALL_HINT}")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """A process in its own process group; ``stop`` ends the group (TERM, then KILL)."""

    def __init__(self, argv: list[str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise errors.EnvironmentProblem(
                    f"victoria-metrics exited {self.proc.returncode}: {self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise errors.EnvironmentProblem(f"victoria-metrics not ready after {timeout:g} s: "
                                        f"{self.tail()}")

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)


@contextmanager
def victoria_metrics(workdir: Path, timeout: float = 3600) -> Iterator[Prometheus]:
    """A single-node victoria-metrics on 127.0.0.1 over ``workdir``/vm-data, stopped on exit;
    one query may take ``timeout`` seconds (its default is 30 s)."""
    binary = tool("victoria-metrics")
    port = _free_port()
    server = _Server([
        binary, f"-storageDataPath={workdir / 'vm-data'}", f"-httpListenAddr=127.0.0.1:{port}",
        "-retentionPeriod=100y", "-search.disableCache", "-search.latencyOffset=0s",
        f"-search.maxPointsPerTimeseries={MAX_POINTS + 10}",
        f"-search.maxQueryDuration={int(math.ceil(timeout))}s", "-loggerLevel=ERROR"],
        workdir / "victoria-metrics.log")
    try:
        server.wait_ready(f"http://127.0.0.1:{port}/health")
        yield Prometheus(f"http://127.0.0.1:{port}", timeout=timeout)
    finally:
        server.stop()


# ---- progress -----------------------------------------------------------------------------------
class Progress:
    """A progress bar on ``stream``: redrawn in place on a terminal, else a line per 10%."""

    def __init__(self, stream: TextIO | None = None, total: int = 1) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = max(1.0, float(total))
        self.done = 0.0
        self.last_tenth = -1

    def step(self, what: str, n: float = 1) -> None:
        self.done = min(self.total, self.done + n)
        share = self.done / self.total
        if self.tty:
            bar = "#" * int(share * 30)
            self.stream.write(f"\rreplay [{bar:<30}] {share:4.0%} {what[:40]:<40}")
            if self.done == self.total:
                self.stream.write("\n")
        elif int(share * 10) > self.last_tenth:
            self.last_tenth = int(share * 10)
            self.stream.write(f"replay: {share:.0%} ({what})\n")
        self.stream.flush()


# ---- the replay ---------------------------------------------------------------------------------
def copy_inputs(source: Prometheus, store: Prometheus, selectors: list[str], start: float,
                end: float, progress: Progress) -> int:
    """Copy the raw samples of the series ``selectors`` select in (start, end], a day at a
    time (a series two selectors match is copied once); the sample count."""
    copied = 0
    at = start
    days = max(1, math.ceil((end - start) / DAY))
    while at < end:
        upto = min(end, at + DAY)
        merged: dict[tuple, tuple[dict, dict[float, float]]] = {}
        for selector in selectors:
            for s in source.samples(selector, at, upto):
                key = tuple(sorted(s.labels.items()))
                points = merged.setdefault(key, (dict(s.labels), {}))[1]
                points.update((t, v) for t, v in s.points if math.isfinite(v))
        store.import_series(Series(labels, tuple(sorted(points.items())))
                            for labels, points in merged.values())
        copied += sum(len(points) for _labels, points in merged.values())
        at = upto
        progress.step(f"copied inputs up to {_rfc3339(upto)}", len(selectors) / days)
    store.force_flush()
    return copied


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def _rfc3339(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


_IMPORTED = re.compile(r"Imported (\d+) samples")


def run_layer(layer: Layer, store: Prometheus, workdir: Path, index: int, start: float,
              end: float, interval: int, progress: Progress, timeout: float) -> int:
    """One vmalert -replay run over ``layer``; the samples it wrote."""
    import yaml

    rules = workdir / f"layer-{index}.yaml"
    rules.write_text(yaml.safe_dump({"groups": list(layer.groups)}, sort_keys=False),
                     encoding="utf-8")
    points = int((end - start) // interval) + 2
    argv = [tool("vmalert"), f"-rule={rules}", f"-datasource.url={store.url}",
            f"-remoteWrite.url={store.url}", f"-replay.timeFrom={_rfc3339(start)}",
            f"-replay.timeTo={_rfc3339(end)}",
            f"-replay.maxDatapointsPerQuery={min(points, MAX_POINTS)}",
            "-replay.rulesDelay=0s", "-replay.ruleRetryAttempts=1",
            "-replay.disableProgressBar", "-remoteWrite.flushInterval=100ms",
            "-disableAlertgroupLabel", "-datasource.queryTimeAlignment=false",
            "-datasource.queryStep=0s",  # the step is the group's interval (default: 5m)
            f"-httpListenAddr=127.0.0.1:{_free_port()}", "-loggerLevel=INFO"]
    log = workdir / f"vmalert-{index}.log"
    written = 0
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        expired = threading.Event()

        def kill() -> None:  # the watchdog: a vmalert that hangs silently is stopped too
            expired.set()
            _kill_group(proc)

        watchdog = threading.Timer(timeout, kill)
        watchdog.start()
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                out.write(line)
                if line.startswith("> Rule "):
                    progress.step(line[len("> Rule "):].split(" (ID", 1)[0].strip('"'))
                found = _IMPORTED.search(line)
                if found:
                    written = int(found.group(1))
            code = proc.wait()
        finally:
            watchdog.cancel()
            _kill_group(proc)
    if expired.is_set():
        raise errors.EnvironmentProblem(
            f"vmalert -replay did not finish within --timeout {timeout:g} s (layer {index + 1})")
    if code != 0:
        raise errors.EnvironmentProblem(
            f"vmalert -replay failed (exit {code}): {' '.join(argv)}\n"
            f"{log.read_text(encoding='utf-8', errors='replace')[-3000:]}")
    store.force_flush()
    return written


def replay(groups: list[dict], source: Prometheus, start: float, end: float, interval: int,
           *, workdir: Path | None = None, stream: TextIO | None = None,
           timeout: float = 3600, then: Callable[[Replayed], Any]) -> Any:
    """Copy the inputs, replay every layer, call ``then(replayed)`` while victoria-metrics still
    runs (it reads the results), stop everything, and return what ``then`` returned."""
    names, lookback = raw_inputs(groups)
    plan = layers(groups)
    progress = Progress(stream, len(names) + sum(layer.rules for layer in plan))
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sre-gen-backtest-", dir=workdir) as tmp:
        work = Path(tmp)
        with victoria_metrics(work, timeout) as store:
            done = Replayed(store, start, end, interval, names, layers=len(plan))
            done.samples_copied = copy_inputs(source, store, names, start - lookback, end,
                                              progress)
            for i, layer in enumerate(plan):
                done.samples_written += run_layer(layer, store, work, i, start, end, interval,
                                                  progress, timeout)
            done.seconds = time.monotonic() - t0
            return then(done)
