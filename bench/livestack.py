"""A live monitoring stack on 127.0.0.1 for the example spec: synthetic exporter, real Prometheus,
real Alertmanager and a webhook receiver that records notifications.

Used by ``bench/live.py`` (the command) and ``tests/live/`` (the slow-marked test). Every process
runs in its own process group with temporary storage and is stopped by ``Stack.close()``, which
the context manager calls also on errors and Ctrl-C.

The exporter serves, in the Prometheus text format, every raw metric the example spec's rules read
(SLIs, golden signals, security, backups, capacity) plus kube-state-metrics' HPA series, with the
Python client's default histogram buckets. Healthy values (chosen inside the spec's thresholds):

* ``http_requests_total``: 100 req/s, 0.01% ``code="500"`` (availability 99.95%: burn 0.2x;
  http-errors warning at 0.1%), no ``code="403"`` series (a client library exports a label
  combination only after its first request);
* ``http_request_duration_seconds``: 100 req/s; share at or below each bucket bound:
  see ``LATENCY_CDF`` (p99 ~0.44 s < the http-p99 warning of 0.5 s; 99.7% within 500 ms, 99.95%
  within 1 s); the same shape for ``autogen_review_duration_seconds`` (2/s) and
  ``autogen_webhook_processing_seconds`` (5/s, all within 10 s);
* reviews 2/s with no failure, webhooks 5/s with no failure, cache 10 lookups/s at a 90% hit
  rate, 20 active reviews (capacity 50), satisfaction 4.7, queue 10 of 100, no failed
  authentication;
* backups: the database replayed 30 s ago (RPO 5m), configuration and logs 60 s ago;
* CPU 1 core of 3 requested, memory 1.2 GiB of 3 GiB requested; nodes 16 cores, 64 GiB; volumes
  10 of 100 GiB; all constant (no growth, so no capacity forecast);
* HPA ``autogen-review-bot``: 3 current, 3 desired, 3..50 replicas.

``Exporter.burst(share)`` switches ``share`` of the HTTP requests to ``code="500"``.
"""

from __future__ import annotations

import json
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
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SPEC = ROOT / "specs" / "autogen-review-bot.yaml"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"

# The Python client's default buckets.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
                   10.0)
# Share of observations at or below each default bucket bound (healthy latency).
LATENCY_CDF = (0.05, 0.15, 0.35, 0.6, 0.75, 0.85, 0.97, 0.997, 0.999, 0.9995, 0.9999, 1.0, 1.0,
               1.0)
JOB = "autogen-review-bot"
NS = "autogen-review-bot"
GIB = 1024 ** 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


# ---- local HTTP servers (exporter, webhook receiver) ----------------------------------------------
class _QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _LocalServer:
    """An HTTP server on 127.0.0.1, a free port, in a daemon thread; ``close`` stops it."""

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---- synthetic exporter -------------------------------------------------------------------------
class Exporter(_LocalServer):
    """Counters integrate their rates over wall-clock time; gauges are constant."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.t0 = self.last = time.time()
        self.error_share = 0.0001  # healthy
        self.counters: dict[str, float] = {}
        self._advance()
        outer = self

        class Handler(_QuietHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                if self.path.startswith("/control"):
                    query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                    outer.burst(float(query.get("error_share", ["0.0001"])[0]))
                    body = b"ok\n"
                else:
                    body = outer.body().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._serve(Handler)

    def burst(self, error_share: float) -> None:
        """From now on, ``error_share`` of the HTTP requests answer 500 (0.0001 = healthy)."""
        with self.lock:
            self._advance()
            self.error_share = error_share

    def _rates(self) -> dict[str, float]:
        http = 100.0
        rates = {
            f'http_requests_total{{job="{JOB}",code="200"}}': http * (1 - self.error_share),
            f'http_requests_total{{job="{JOB}",code="500"}}': http * self.error_share,
            f'autogen_reviews_total{{job="{JOB}"}}': 2.0,
            f'autogen_reviews_failed_total{{job="{JOB}"}}': 0.0,
            f'autogen_webhook_events_total{{job="{JOB}"}}': 5.0,
            f'autogen_webhook_failures_total{{job="{JOB}"}}': 0.0,
            f'autogen_analysis_cache_requests_total{{job="{JOB}"}}': 10.0,
            f'autogen_analysis_cache_hits_total{{job="{JOB}"}}': 9.0,
            f'autogen_auth_failures_total{{job="{JOB}"}}': 0.0,
            f'container_cpu_usage_seconds_total{{namespace="{NS}",container="{JOB}",'
            f'pod="{JOB}-0"}}': 1.0,
        }
        for name, rate in (("http_request_duration_seconds", http),
                           ("autogen_review_duration_seconds", 2.0),
                           ("autogen_webhook_processing_seconds", 5.0)):
            for bound, share in zip((*DEFAULT_BUCKETS, math.inf), (*LATENCY_CDF, 1.0)):
                rates[f'{name}_bucket{{job="{JOB}",le="{_le(bound)}"}}'] = rate * share
            rates[f'{name}_count{{job="{JOB}"}}'] = rate
            rates[f'{name}_sum{{job="{JOB}"}}'] = rate * 0.06
        return rates

    def _advance(self) -> None:
        now = time.time()
        dt = now - self.last
        for key, rate in self._rates().items():
            self.counters[key] = self.counters.get(key, 0.0) + rate * dt
        self.last = now

    def gauges(self) -> dict[str, float]:
        now = time.time()
        return {
            f'autogen_active_reviews{{job="{JOB}"}}': 20,
            f'autogen_review_satisfaction_score{{job="{JOB}"}}': 4.7,
            f'autogen_review_queue_depth{{job="{JOB}"}}': 10,
            f'autogen_review_queue_capacity{{job="{JOB}"}}': 100,
            f'pg_replication_last_replay_timestamp_seconds{{job="{JOB}-postgres"}}': now - 30,
            f'autogen_config_sync_last_success_timestamp_seconds{{job="{JOB}"}}': now - 60,
            f'autogen_log_shipping_last_success_timestamp_seconds{{job="{JOB}"}}': now - 60,
            f'container_memory_working_set_bytes{{namespace="{NS}",container="{JOB}",'
            f'pod="{JOB}-0"}}': 1.2 * GIB,
            f'kube_pod_container_resource_requests{{namespace="{NS}",container="{JOB}",'
            f'resource="cpu"}}': 3,
            f'kube_pod_container_resource_requests{{namespace="{NS}",container="{JOB}",'
            f'resource="memory"}}': 3 * GIB,
            'kube_node_status_allocatable{resource="cpu"}': 16,
            'kube_node_status_allocatable{resource="memory"}': 64 * GIB,
            f'kubelet_volume_stats_used_bytes{{namespace="{NS}"}}': 10 * GIB,
            f'kubelet_volume_stats_capacity_bytes{{namespace="{NS}"}}': 100 * GIB,
            f'kube_horizontalpodautoscaler_status_current_replicas{{namespace="{NS}",'
            f'horizontalpodautoscaler="{JOB}"}}': 3,
            f'kube_horizontalpodautoscaler_status_desired_replicas{{namespace="{NS}",'
            f'horizontalpodautoscaler="{JOB}"}}': 3,
            f'kube_horizontalpodautoscaler_spec_min_replicas{{namespace="{NS}",'
            f'horizontalpodautoscaler="{JOB}"}}': 3,
            f'kube_horizontalpodautoscaler_spec_max_replicas{{namespace="{NS}",'
            f'horizontalpodautoscaler="{JOB}"}}': 50,
        }

    def body(self) -> str:
        with self.lock:
            self._advance()
            samples = {**{k: math.floor(v) for k, v in self.counters.items()}, **self.gauges()}
        return "".join(f"{k} {v}\n" for k, v in samples.items())

    def metric_names(self) -> set[str]:
        return {k.split("{", 1)[0] for k in (*self._rates(), *self.gauges())}


# ---- webhook receiver ---------------------------------------------------------------------------
@dataclass
class Notification:
    at: float
    receiver: str  # the generated receiver the route chose (before our rewrite)
    status: str
    alerts: list[dict]


class WebhookReceiver(_LocalServer):
    """Records every Alertmanager notification; the path names the generated receiver."""

    def __init__(self) -> None:
        self.notifications: list[Notification] = []
        outer = self

        class Handler(_QuietHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                receiver = urllib.parse.unquote(self.path.lstrip("/"))
                outer.notifications.append(Notification(
                    time.time(), receiver, body.get("status", ""), body.get("alerts", [])))
                self.send_response(200)
                self.end_headers()

        self._serve(Handler)


# ---- processes ----------------------------------------------------------------------------------
class Process:
    """A server in its own process group; ``stop`` terminates the group (then kills it)."""

    def __init__(self, name: str, argv: list[str], log: Path, ready_url: str) -> None:
        self.name, self.log, self.ready_url = name, log, ready_url
        with log.open("w") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}:\n"
                                   f"{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout} s:\n"
                           f"{self.log.read_text()[-3000:]}")

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


# ---- generated artefacts ------------------------------------------------------------------------
def generate(workdir: Path, evaluation_interval: str) -> Path:
    """``sre-gen generate`` of a copy of the example spec whose ``settings.evaluationInterval`` is
    ``evaluation_interval`` (so that minutes hold many evaluations) and whose long windows sum the
    every-evaluation base series (``coarseLevels: false``): the coarse levels record once per 5
    minutes and once per hour, so a check of a few minutes would see most long windows empty.
    The levels are checked in a real Prometheus over 31 backfilled days by
    bench/prometheus_cost.py, and over 30 days of evaluations in promtool by
    tests/compile/test_long_windows.py. Returns the output folder of the service; nothing else of
    the spec changes."""
    spec = yaml.safe_load(EXAMPLE_SPEC.read_text(encoding="utf-8"))
    spec["settings"]["evaluationInterval"] = evaluation_interval
    spec["settings"]["coarseLevels"] = False
    path = workdir / "specs" / EXAMPLE_SPEC.name
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    out = workdir / "generated"
    proc = subprocess.run([sys.executable, "-m", "sre_gen", "generate", str(path), "--out",
                           str(out)], capture_output=True, text=True, cwd=workdir)
    if proc.returncode:
        raise RuntimeError(f"sre-gen generate failed ({proc.returncode}):\n{proc.stdout}"
                           f"{proc.stderr}")
    return out / spec["service"]["name"]


def alertmanager_config(generated: Path, webhook_port: int, time_scale: float = 1.0) -> str:
    """The generated alertmanager.yml with every receiver replaced by a webhook to the local
    receiver (path = the generated receiver's name) and, when ``time_scale`` > 1, every route
    timing divided by it; routes, matchers, grouping and inhibitions are unchanged."""
    config = yaml.safe_load((generated / "alertmanager" / "alertmanager.yml").read_text())
    for receiver in config.get("receivers", []):
        name = receiver["name"]
        for key in [k for k in receiver if k.endswith("_configs")]:
            del receiver[key]
        receiver["webhook_configs"] = [{
            "url": f"http://127.0.0.1:{webhook_port}/{urllib.parse.quote(name, safe='')}",
            "send_resolved": True}]
    if time_scale != 1:
        def scale(route: dict) -> None:
            for key in ("group_wait", "group_interval", "repeat_interval"):
                if key in route:
                    route[key] = f"{max(1, round(_seconds(route[key]) / time_scale))}s"
            for child in route.get("routes", []):
                scale(child)
        scale(config["route"])
    return yaml.safe_dump(config, sort_keys=False)


def _seconds(duration: str) -> int:
    from sre_gen.durations import parse_duration

    return parse_duration(duration)


# ---- the stack ----------------------------------------------------------------------------------
class PromClient:
    """Prometheus' HTTP API (instant and range queries)."""

    prom_url: str

    def api(self, path: str, **params: Any) -> Any:
        data = urllib.parse.urlencode(params).encode()
        with urllib.request.urlopen(f"{self.prom_url}{path}", data=data, timeout=60) as r:
            body = json.load(r)
        if body.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {body}")
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict]:
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return self.api("/api/v1/query", **params)["result"]

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict]:
        return self.api("/api/v1/query_range", query=expr, start=f"{start:.3f}",
                        end=f"{end:.3f}", step=f"{step:g}")["result"]


@dataclass
class Stack(PromClient):
    workdir: Path
    generated: Path
    exporter: Exporter
    webhook: WebhookReceiver
    prometheus: Process
    alertmanager: Process
    prom_url: str
    am_url: str
    scrape_interval: int
    evaluation_interval: int
    started: float = field(default_factory=time.time)

    def alerts(self, state: str | None = None) -> list[dict[str, str]]:
        sel = f'{{alertstate="{state}"}}' if state else ""
        return [r["metric"] for r in self.query(f"ALERTS{sel}")]

    def set_error_share(self, share: float) -> None:
        self.exporter.burst(share)

    def close(self) -> None:
        for step in (self.prometheus.stop, self.alertmanager.stop, self.exporter.close,
                     self.webhook.close):
            try:
                step()
            except Exception:  # noqa: BLE001 - stop the rest whatever happens
                pass

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def start(workdir: Path | None = None, *, scrape_interval: int = 2, evaluation_interval: int = 5,
          am_time_scale: float = 1.0) -> Stack:
    """Generate, then start exporter, webhook receiver, Alertmanager and Prometheus; on any error
    everything started so far is stopped again."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="sre-gen-live-"))
    generated = generate(workdir, f"{evaluation_interval}s")
    started: list[Any] = []
    try:
        exporter = Exporter()
        started.append(exporter)
        webhook = WebhookReceiver()
        started.append(webhook)
        am_port = free_port()
        am_dir = workdir / "alertmanager"
        am_dir.mkdir()
        (am_dir / "alertmanager.yml").write_text(
            alertmanager_config(generated, webhook.port, am_time_scale), encoding="utf-8")
        am = Process("alertmanager", [
            ALERTMANAGER, f"--config.file={am_dir / 'alertmanager.yml'}",
            f"--storage.path={am_dir / 'data'}", f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=", "--log.level=warn"],
            workdir / "alertmanager.log", f"http://127.0.0.1:{am_port}/-/ready")
        started.append(am)
        prom_port = free_port()
        rule_files = sorted(str(p) for p in (generated / "prometheus").glob("*-rules.yaml"))
        config = {
            "global": {"scrape_interval": f"{scrape_interval}s",
                       "evaluation_interval": f"{evaluation_interval}s"},
            "rule_files": rule_files,
            "alerting": {"alertmanagers": [{"static_configs": [
                {"targets": [f"127.0.0.1:{am_port}"]}]}]},
            "scrape_configs": [{
                "job_name": "synthetic", "honor_labels": True,
                "static_configs": [{"targets": [f"127.0.0.1:{exporter.port}"]}]}],
        }
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        prom = Process("prometheus", [
            PROMETHEUS, f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={workdir / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"],
            workdir / "prometheus.log", f"http://127.0.0.1:{prom_port}/-/ready")
        started.append(prom)
        am.wait_ready()
        prom.wait_ready()
    except BaseException:
        for item in reversed(started):
            (item.stop if isinstance(item, Process) else item.close)()
        raise
    return Stack(workdir, generated, exporter, webhook, prom, am,
                 f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{am_port}",
                 scrape_interval, evaluation_interval)


# ---- dashboards ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    ref: str
    expr: str
    instant: bool
    time_from: str | None  # the panel's own relative time range (timeFrom), if any


def dashboard_queries(generated: Path) -> list[PanelQuery]:
    out = []
    for path in sorted((generated / "grafana").glob("*.json")):
        dash = json.loads(path.read_text(encoding="utf-8"))
        for panel in _panels(dash.get("panels", [])):
            for target in panel.get("targets", []):
                out.append(PanelQuery(path.name, panel.get("title", ""), target.get("refId", ""),
                                      target["expr"], bool(target.get("instant")),
                                      panel.get("timeFrom")))
    return out


def _panels(panels: list[dict]) -> list[dict]:
    out = []
    for p in panels:
        out.append(p)
        out.extend(_panels(p.get("panels", [])))
    return out


def substitute(expr: str, range_seconds: float, step: float, scrape_interval: int) -> str:
    """Grafana's built-in variables as Grafana would expand them for this range and step."""
    rate_interval = max(step + scrape_interval, 4 * scrape_interval)
    values = {"__range_s": f"{int(range_seconds)}", "__range": f"{int(range_seconds)}s",
              "__interval_ms": f"{int(step * 1000)}", "__interval": f"{int(step)}s",
              "__rate_interval": f"{int(rate_interval)}s"}
    return re.sub(r"\$\{?(__range_s|__range|__interval_ms|__interval|__rate_interval)\}?",
                  lambda m: values[m.group(1)], expr)


def time_from_seconds(value: str) -> int:
    return _seconds(value)


def burning_conditions(service: Any,
                       error_shares: list[tuple[float, float]]) -> set[tuple[str, str]]:
    """(SLO, tier) pairs whose long and short windows both burn above the tier's factor, for the
    SLOs the HTTP 5xx share feeds (ratio SLIs over ``http_requests_total`` with a ``code``
    matcher), given the history ``error_shares`` = [(seconds, 5xx share), ...] oldest first at a
    constant request rate: a window longer than the history covers all of it."""
    from sre_gen import burnrate
    from sre_gen.model import RatioSLI

    def ratio(window: float) -> float:
        left, errors, total = window, 0.0, 0.0
        for seconds, share in reversed(error_shares):
            part = min(seconds, left)
            errors += part * share
            total += part
            left -= part
            if left <= 0:
                break
        return errors / total

    out = set()
    for slo in service.slos:
        sli = slo.sli
        if not isinstance(sli, RatioSLI) or sli.events_are_good:
            continue
        if sli.events.selector is None or sli.events.selector.metric != "http_requests_total":
            continue
        for tier in slo.tiers:
            threshold = float(burnrate.error_ratio_threshold(tier.burn_rate, slo.error_budget))
            if ratio(tier.long_window) > threshold and ratio(tier.short_window) > threshold:
                out.add((slo.name, tier.name))
    return out


def expected_burn_tiers(service: Any, conditions: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Of the tiers whose condition holds, those that fire: per SLO the fastest; a slower tier
    stays silent while a faster tier's condition held within its short window (one incident,
    one page: slo_rules.tier_suppression)."""
    out = set()
    for slo in service.slos:
        holding = [t for t in slo.tiers if (slo.name, t.name) in conditions]
        if holding:
            out.add((slo.name, max(holding, key=lambda t: t.burn_rate).name))
    return out


# ---- the live check -----------------------------------------------------------------------------
HEALTHY_ERROR_SHARE = 0.0001
BURST_ERROR_SHARE = 0.2
WARMUP = 20  # seconds before the first rate windows have two samples


@dataclass
class LiveReport:
    healthy_seconds: float = 0
    burst_seconds: float = 0
    recovery_seconds: float = 0
    queries: int = 0
    healthy_alerts: list[dict] = field(default_factory=list)  # firing after warm-up
    healthy_pending: list[dict] = field(default_factory=list)  # pending (a `for` not yet over)
    empty_queries: list[PanelQuery] = field(default_factory=list)
    unknown_queries: list[PanelQuery] = field(default_factory=list)  # of unknown SLOs: no data
    empty_records: list[str] = field(default_factory=list)  # recorded series without a sample
    unknown_slos: set[str] = field(default_factory=set)  # latency threshold not a bucket bound
    unknown_alerts: set[str] = field(default_factory=set)  # their SLIUnknown alert names
    alert_only_queries: list[PanelQuery] = field(default_factory=list)
    empty_alert_queries: list[PanelQuery] = field(default_factory=list)  # still empty in burst
    healthy_pages: list[Notification] = field(default_factory=list)
    condition_tiers: set[tuple[str, str]] = field(default_factory=set)  # condition holds (math)
    recorded_conditions: set[tuple[str, str]] = field(default_factory=set)  # burn_condition == 1
    expected_tiers: set[tuple[str, str]] = field(default_factory=set)  # fire (the fastest per SLO)
    firing_tiers: set[tuple[str, str]] = field(default_factory=set)
    burst_alerts: list[dict] = field(default_factory=list)
    pages: list[Notification] = field(default_factory=list)
    repeated_pages: dict[str, int] = field(default_factory=dict)
    recovery_pages: list[Notification] = field(default_factory=list)  # burn tiers paging again
    late_pages: list[Notification] = field(default_factory=list)  # other pages after the burst
    pager_receivers: set[str] = field(default_factory=set)
    prefix: str = ""
    expected_pages: set[str] = field(default_factory=set)  # page_alerts() names
    runtime: float = 0


def alert_key(labels: dict[str, str]) -> str:
    keep = {k: v for k, v in sorted(labels.items()) if k not in ("__name__", "alertstate")}
    return ",".join(f"{k}={v}" for k, v in keep.items())


def _pager_receivers(generated: Path) -> set[str]:
    config = yaml.safe_load((generated / "alertmanager" / "alertmanager.yml").read_text())
    return {r["name"] for r in config.get("receivers", []) if r.get("pagerduty_configs")}


def _run_panel_query(stack: Stack, q: PanelQuery, default_range: int, now: float) -> bool:
    """The query as Grafana runs it: instant at now, or a range query over the panel's time
    range (its ``timeFrom`` or the dashboard's) at range/600 steps ending now."""
    if q.instant:
        expr = substitute(q.expr, default_range, 60, stack.scrape_interval)
        return bool(stack.query(expr, at=now))
    span = time_from_seconds(q.time_from) if q.time_from else default_range
    step = span / 600
    expr = substitute(q.expr, span, step, stack.scrape_interval)
    return any(r["values"] for r in stack.query_range(expr, now - span, now, step))


def _dashboard_range(generated: Path, name: str) -> int:
    dash = json.loads((generated / "grafana" / name).read_text(encoding="utf-8"))
    start = dash["time"]["from"]
    return _seconds(start.removeprefix("now-"))


def check_dashboards(stack: Stack, report: LiveReport) -> None:
    """Every panel query returns data; those of an unknown SLO (its panels are titled
    ``<slo>: ...``) are listed apart: an unknown SLI records nothing, by design."""
    now = time.time()
    ranges: dict[str, int] = {}
    for q in dashboard_queries(stack.generated):
        span = ranges.setdefault(q.dashboard, _dashboard_range(stack.generated, q.dashboard))
        report.queries += 1
        from sre_gen import promql

        names = promql.metric_names(q.expr)
        if names and names <= {"ALERTS"}:
            report.alert_only_queries.append(q)
            continue
        if not _run_panel_query(stack, q, span, now):
            slo = q.panel.split(": ", 1)[0]
            (report.unknown_queries if slo in report.unknown_slos else
             report.empty_queries).append(q)


def _pages(stack: Stack, receivers: set[str], since: float, until: float) -> list[Notification]:
    return [n for n in stack.webhook.notifications
            if n.receiver in receivers and n.status == "firing" and since <= n.at < until]


def live_check(*, healthy: float = 75, burst: float = 90, recovery: float = 0,
               workdir: Path | None = None, log: Any = print,
               evaluation_interval: int = 5, scrape_interval: int = 2) -> LiveReport:
    """Healthy traffic, then a 5xx burst (then optionally healthy again): see bench/live.py."""
    from sre_gen import conventions
    from sre_gen.spec import load_service

    t0 = time.time()
    report = LiveReport()
    with start(workdir, scrape_interval=scrape_interval,
               evaluation_interval=evaluation_interval) as stack:
        service = load_service(stack.workdir / "specs" / EXAMPLE_SPEC.name)
        report.pager_receivers = _pager_receivers(stack.generated)
        report.prefix = service.settings.alert_prefix
        log(f"stack up in {time.time() - t0:.0f} s (Prometheus {stack.prom_url}, "
            f"Alertmanager {stack.am_url}, exporter :{stack.exporter.port}, "
            f"evaluation every {evaluation_interval} s); healthy for {healthy:.0f} s")
        up = time.time()
        time.sleep(healthy)
        healthy_end = time.time()
        report.healthy_seconds = healthy_end - up
        for state, into in (("firing", report.healthy_alerts),
                            ("pending", report.healthy_pending)):
            seen: dict[str, dict] = {}
            for r in stack.query_range(f'ALERTS{{alertstate="{state}"}}', up + WARMUP,
                                       healthy_end, evaluation_interval):
                seen.setdefault(alert_key(r["metric"]), r["metric"])
            into.extend(seen.values())
        report.unknown_slos = unknown_slos(service)
        report.unknown_alerts = {slo_alert_unknown(service.settings.alert_prefix, name)
                                 for name in report.unknown_slos}
        check_dashboards(stack, report)
        report.empty_records = empty_records(stack, report.unknown_slos)
        report.healthy_pages = _pages(stack, report.pager_receivers, 0, healthy_end)
        log(f"healthy: {len(report.healthy_alerts)} alerts firing, "
            f"{len(report.healthy_pending)} pending, "
            f"{len(report.empty_queries)} of {report.queries} dashboard queries without data; "
            f"5xx burst ({BURST_ERROR_SHARE:.0%}) for {burst:.0f} s")

        burst_start = time.time()
        stack.set_error_share(BURST_ERROR_SHARE)
        time.sleep(burst)
        burst_end = time.time()
        report.burst_seconds = burst_end - burst_start
        report.condition_tiers = burning_conditions(service, [
            (burst_start - up, HEALTHY_ERROR_SHARE), (burst_end - burst_start, BURST_ERROR_SHARE)])
        report.expected_tiers = expected_burn_tiers(service, report.condition_tiers)
        report.recorded_conditions = {
            (r["metric"]["slo"], r["metric"]["tier"])
            for r in stack.query(f"{conventions.SLO_BURN_CONDITION} == 1")}
        prefix = service.settings.alert_prefix
        report.expected_pages = expected_pages(service, report.expected_tiers,
                                               report.pager_receivers)
        burn_names = {cv_alert_burn(prefix, slo.name): slo.name for slo in service.slos}
        report.burst_alerts = stack.alerts("firing")
        report.firing_tiers = {(burn_names[a["alertname"]], a.get("tier", ""))
                               for a in report.burst_alerts if a["alertname"] in burn_names}
        now = time.time()
        burning = {slo for slo, _tier in report.expected_tiers}
        names = {slo.name for slo in service.slos}
        for q in report.alert_only_queries:
            slo = q.panel.split(": ", 1)[0] if ": " in q.panel else None
            if slo in names and slo not in burning:
                continue  # an SLO the burst does not touch: its alert table may stay empty
            if not _run_panel_query(stack, q, _dashboard_range(stack.generated, q.dashboard), now):
                report.empty_alert_queries.append(q)
        report.pages = _pages(stack, report.pager_receivers, healthy_end, burst_end)
        counts: dict[str, int] = {}
        for n in report.pages:
            for a in n.alerts:
                if a.get("status") == "firing":
                    key = alert_key(a["labels"])
                    counts[key] = counts.get(key, 0) + 1
        report.repeated_pages = {k: c for k, c in counts.items() if c > 1}
        log(f"burst: tiers firing {sorted(report.firing_tiers)}, expected "
            f"{sorted(report.expected_tiers)}; {len(report.pages)} pages")

        if recovery:
            stack.set_error_share(HEALTHY_ERROR_SHARE)
            log(f"recovery: healthy again for {recovery:.0f} s")
            time.sleep(recovery)
            report.recovery_seconds = recovery
            late = _pages(stack, report.pager_receivers, burst_end, time.time())
            paged = {a["labels"].get("slo") for n in report.pages for a in n.alerts
                     if a["labels"].get("alertname") in burn_names}
            for n in late:  # a burn tier of an SLO whose incident already paged: a second page
                again = [a for a in n.alerts if a.get("status") == "firing"
                         and a["labels"].get("alertname") in burn_names
                         and a["labels"].get("slo") in paged]
                (report.recovery_pages if again else report.late_pages).append(n)
    report.runtime = time.time() - t0
    return report


def expected_pages(service: Any, tiers: set[tuple[str, str]], pagers: set[str]) -> set[str]:
    """Of each SLO's firing tiers, the fastest one is not inhibited: it pages when its severity's
    incident class routes to a PagerDuty receiver."""
    out = set()
    for slo in service.slos:
        firing = [t for t in slo.tiers if (slo.name, t.name) in tiers]
        if not firing:
            continue
        tier = max(firing, key=lambda t: t.burn_rate)
        cls = service.incident_class_for(tier.severity)
        if cls is not None and f"{service.name}/{cls.receiver}" in pagers:
            out.add(f"{cv_alert_burn(service.settings.alert_prefix, slo.name)}/{slo.name}/"
                    f"{tier.name}")
    return out


def unknown_slos(service: Any) -> set[str]:
    """SLOs whose latency threshold is no bucket bound of the exporter: their SLI is unknown."""
    from sre_gen.model import LatencySLI

    return {slo.name for slo in service.slos if isinstance(slo.sli, LatencySLI)
            and float(slo.sli.threshold_seconds) not in DEFAULT_BUCKETS}


def slo_alert_unknown(prefix: str, slo: str) -> str:
    from sre_gen import conventions

    return conventions.slo_alert_unknown(prefix, slo)


def empty_records(stack: Stack, unknown: set[str]) -> list[str]:
    """Recording rules whose series has no sample now (an unknown SLI's series excepted: they
    have no sample by design; so are the per-region series: the synthetic exporter runs in no
    region, so no series of it carries the spec's region label and ``up`` has job "synthetic";
    the region rules are proven by their promtool proofs instead)."""
    from sre_gen import promql

    out = []
    for path in sorted((stack.generated / "prometheus").glob("*-rules.yaml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if "record" not in rule:
                    continue
                labels = rule.get("labels") or {}
                if labels.get("slo") in unknown or rule["record"].startswith("region:"):
                    continue
                expr = rule["record"] + promql.matchers(sorted(labels.items()))
                if not stack.query(expr):
                    out.append(expr)
    return out


def cv_alert_burn(prefix: str, slo: str) -> str:
    from sre_gen import conventions

    return conventions.slo_alert_burn(prefix, slo)


def page_alerts(pages: list[Notification]) -> list[str]:
    return sorted({f"{a['labels'].get('alertname')}"
                   f"{'/' + a['labels']['slo'] if 'slo' in a['labels'] else ''}"
                   f"{'/' + a['labels']['tier'] if 'tier' in a['labels'] else ''}"
                   for n in pages for a in n.alerts if a.get("status") == "firing"})


# ---- a Prometheus over backfilled samples -------------------------------------------------------
class BackfilledPrometheus(PromClient):
    """A Prometheus (no rules, no scrapes) over samples written as OpenMetrics and backfilled
    with ``promtool tsdb create-blocks-from openmetrics``: history of any age in seconds."""

    def __init__(self, workdir: Path, series: dict[str, list[tuple[float, float]]]) -> None:
        promtool = shutil.which("promtool") or "/usr/bin/promtool"
        workdir.mkdir(parents=True, exist_ok=True)
        text = workdir / "history.om"
        families: dict[str, list[str]] = {}
        for key, points in series.items():
            families.setdefault(key.split("{", 1)[0], []).extend(
                f"{key} {value!r} {at:.3f}" for at, value in points)
        text.write_text("".join(f"# TYPE {name} gauge\n" + "\n".join(lines) + "\n"
                                for name, lines in families.items()) + "# EOF\n")
        data = workdir / "data"
        proc = subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(text),
                               str(data)], capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f"promtool backfill failed: {proc.stdout}{proc.stderr}")
        (workdir / "prometheus.yml").write_text("global: {}\n")
        port = free_port()
        self.prom_url = f"http://127.0.0.1:{port}"
        self.process = Process("prometheus", [
            PROMETHEUS, f"--config.file={workdir / 'prometheus.yml'}",
            f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=3650d",
            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            workdir / "prometheus.log", f"{self.prom_url}/-/ready")
        try:
            self.process.wait_ready()
        except BaseException:
            self.process.stop()
            raise

    def close(self) -> None:
        self.process.stop()

    def __enter__(self) -> BackfilledPrometheus:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


__all__ = ["LiveReport", "live_check", "BackfilledPrometheus", "PromClient", "Exporter", "Stack", "WebhookReceiver", "dashboard_queries",
           "burning_conditions", "expected_burn_tiers", "start", "substitute"]
