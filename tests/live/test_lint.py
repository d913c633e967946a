"""``sre-gen lint`` against a real Prometheus 2.42 on 127.0.0.1.

History is backfilled (``promtool tsdb create-blocks-from openmetrics``) from the series the
live-stack exporter (bench/livestack.py) serves for the example spec, plus planted ones (a stale
gauge, a high-cardinality counter, two label pairs). Metadata (counter/gauge) exists only for
scraped targets, so those checks use a Prometheus that scrapes a tiny exporter for a few seconds.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sre_gen.cli import app

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import livestack  # noqa: E402

pytestmark = pytest.mark.slow
SRE_GEN = str(Path(sys.executable).with_name("sre-gen"))
EXAMPLE = ROOT / "specs" / "autogen-review-bot.yaml"
MANY = 30  # series of the planted high-cardinality counter (lint runs with --max-series 20)


def _exporter_series() -> list[str]:
    exporter = livestack.Exporter()
    try:
        keys = [*exporter._rates(), *exporter.gauges()]
    finally:
        exporter.close()
    # the HPA's Pods metric carries the pod labels Kubernetes service discovery adds
    return [k.replace("}", ',namespace="autogen-review-bot",pod="bot-0"}')
            if k.startswith("autogen_active_reviews{") else k for k in keys]


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    now = float(int(time.time()))
    hour = [now - 3600 + 60 * i for i in range(61)]
    series = {key: [(t, float(i)) for i, t in enumerate(hour)] for key in _exporter_series()}
    series['autogen_stale_gauge{job="autogen-review-bot"}'] = [
        (now - 3 * 3600 + 60 * i, 1.0) for i in range(61)]  # last sample 2 h ago
    series['autogen_pairs{a="1",b="1"}'] = [(t, 1.0) for t in hour]
    series['autogen_pairs{a="2",b="2"}'] = [(t, 1.0) for t in hour]
    for i in range(MANY):
        series[f'autogen_many_total{{id="{i}"}}'] = [(t, float(i)) for t in hour]
    with livestack.BackfilledPrometheus(tmp_path_factory.mktemp("lint"), series) as p:
        yield p.prom_url


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def lint(*args: str, env: dict | None = None, real: bool = False) -> Ran:
    """``sre-gen lint --stale-after 30m ARGS``: in-process through typer's CliRunner (``env``:
    variables to set, None to unset), or ``real``: the console script in a subprocess."""
    argv = ["lint", "--stale-after", "30m", *args]
    if real:
        done = subprocess.run([SRE_GEN, *argv], capture_output=True, text=True, timeout=60,
                              cwd=ROOT, env={k: v for k, v in {**os.environ, **(env or {})}.items()
                                             if v is not None})
        return Ran(done.returncode, done.stdout, done.stderr)
    result = CliRunner().invoke(app, argv, env=env)
    return Ran(result.exit_code, result.stdout, result.stderr)


def fixed_example(tmp_path: Path) -> Path:
    """The example spec with the three problems lint finds in it fixed (see
    test_the_example_spec_s_live_problems)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for old, new in (('status=~"5.."}[5m])) > 0.001', 'code=~"5.."}[5m])) > 0.001'),
                     ('",status="500"}', '",code="500"}'), ('",status="200"}', '",code="200"}'),
                     ("        threshold: 200ms\n", "        threshold: 250ms\n"),
                     ("        threshold: 300s\n", "        threshold: 10s\n")):
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "autogen-review-bot.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_correct_spec_passes(prom, tmp_path):
    spec = fixed_example(tmp_path)
    result = lint("--prometheus", prom, "--max-series", "20", str(spec), real=True)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"lint: ok: 1 service\(s\) against Prometheus 2\.42\S* at "
                        r"http://127\.0\.0\.1:\d+, 1 warning\n", result.stdout)
    # the only warning: no 403 has been answered yet, so that label value does not exist yet
    (warning,) = result.stderr.splitlines()
    assert "security[1].counter.selector.code: warning: no series of http_requests_total has " \
           'code="403" in the last 1d; code has 200, 500' in warning


def test_the_example_spec_s_live_problems(prom, monkeypatch):
    """What the issue saw live: HighErrorRate reads a label the service does not export, and
    the 200 ms latency SLO has no bucket on the default buckets (so does the 300 s one)."""
    monkeypatch.chdir(ROOT)
    result = lint("--prometheus", prom, "specs/autogen-review-bot.yaml")
    assert result.returncode == 1
    errors = [ln for ln in result.stderr.splitlines() if ": warning: " not in ln][:-1]
    assert len(errors) == 3
    assert errors[0] == (
        'specs/autogen-review-bot.yaml:95:20: slos[1].sli.latency.threshold: no bucket le="0.2" '
        'in http_request_duration_seconds_bucket{job="autogen-review-bot"}; it has 0.005, 0.01, '
        "0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, +Inf: the SLI's "
        "rules read the bucket of the threshold, so without it the SLI is unknown; use one of "
        "these bounds, or add the bucket")
    assert errors[1].startswith(
        'specs/autogen-review-bot.yaml:176:20: slos[7].sli.latency.threshold: no bucket le="300" '
        "in autogen_review_duration_seconds_bucket")
    # at the column of the matcher in the alert's expression
    assert errors[2] == ("specs/autogen-review-bot.yaml:295:65: alerts[0].expr: "
                         "http_requests_total has no label status; it has code, job")
    assert result.stderr.splitlines()[-1].startswith("lint: 3 problems, 1 warning in 1 service")


PLANTED = """\
apiVersion: sre-gen/v1
service:
  name: planted
  namespace: autogen-review-bot
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors:
          metric: http_request_total # P:absent
          selector:
            job: autogen-review-bot
        total:
          metric: http_requests_total
          selector:
            job: autogen-reviewbot # P:value
  - name: errors-by-status
    objective: 99.9
    sli:
      ratio:
        errors:
          metric: http_requests_total
          selector:
            status: { regex: "5.." } # P:label
        total:
          metric: http_requests_total
  - name: latency
    objective: 99
    sli:
      latency:
        histogram: http_request_duration_seconds
        selector:
          job: autogen-review-bot
        threshold: 200ms # P:bucket
  - name: freshness
    objective: 99
    sli:
      gauge:
        metric: autogen_stale_gauge # P:stale
        op: "<"
        threshold: 10
  - name: pairs
    objective: 99
    sli:
      gauge:
        query: max(autogen_pairs{a="1",b="2"}) # P:combination
        op: "<"
        threshold: 10
goldenSignals:
  traffic:
    - name: http-6xx
      query: sum(rate(http_requests_total{code=~"6.."}[5m])) # P:regex
  errors:
    - name: http-403
      query: sum(rate(http_requests_total{code="403"}[5m])) # P:rare
      warning: 0.1
security:
  - name: many
    counter:
      metric: autogen_many_total # P:cardinality
    threshold: 10
    per: 1m
    severity: warning
autoscaling:
  target:
    name: bot-x # P:hpa
  minReplicas: 1
  maxReplicas: 5
  podMetrics:
    - name: queue_per_pod
      target: 10
      series: autogen_review_queue_depth # P:pod-labels
alerts:
  - alert: MultiLine
    expr: |
      sum(rate(http_requests_total{job="autogen-review-bot", statuscode="500"}[5m]))
        /
      sum(rate(http_requests_total{job="autogen-review-bot", statuscode="500"}[5m]))
        > 0.1
    severity: warning
    summary: Planted in a multi-line query.
"""

EXPECTED = {  # planted problem -> (path, start of the message)
    "absent": ("slos[0].sli.ratio.errors.metric",
               "no series named http_request_total in the last 1d; did you mean "
               "http_requests_total?"),
    "value": ("slos[0].sli.ratio.total.selector.job",
              'no series of http_requests_total has job="autogen-reviewbot" in the last 1d; '
              "job has autogen-review-bot"),
    "label": ("slos[1].sli.ratio.errors.selector.status",
              "http_requests_total has no label status; it has code, job"),
    "bucket": ("slos[2].sli.latency.threshold",
               'no bucket le="0.2" in http_request_duration_seconds_bucket{job="autogen-review-'
               'bot"}; it has 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0'),
    "stale": ("slos[3].sli.gauge.metric",
              "autogen_stale_gauge is stale: its newest sample is 2h old, more than "
              "--stale-after 30m"),
    "combination": ("slos[4].sli.gauge.query",
                    'autogen_pairs{a="1",b="2"} matches no series in the last 1d (together, its '
                    "matchers exclude every series of autogen_pairs)"),
    "regex": ("goldenSignals.traffic[0].query",
              'code=~"6.." matches no value of code of http_requests_total in the last 1d; it '
              "has 200, 500"),
    "cardinality": ("security[0].counter.metric",
                    f"autogen_many_total matches {MANY} series in the last 1d, more than "
                    "--max-series 20"),
    "hpa": ("autoscaling.target.name",
            "no series of kube_horizontalpodautoscaler_status_current_replicas has "
            'horizontalpodautoscaler="bot-x" in the last 1d (the generated HPA alerts read '
            "kube-state-metrics' series of HPA bot-x); horizontalpodautoscaler has "
            "autogen-review-bot"),
    # the problems of a multi-line query are put on the line and column of their matcher
    "multiline": [("alerts[0].expr", "http_requests_total has no label statuscode; it has code, "
                                     "job")] * 2,
    "pod-labels": [("autoscaling.podMetrics[0].series",
                    f"autogen_review_queue_depth has no label {label} (the prometheus-adapter "
                    "rule finds pods by their namespace and pod labels); it has job")
                   for label in ("namespace", "pod")],
}


N_EXPECTED = sum(len(e) if isinstance(e, list) else 1 for e in EXPECTED.values())
# an errors golden signal's label value that does not exist yet (no 403 answered so far)
RARE = ("goldenSignals.errors[0].query", 'warning: no series of http_requests_total has '
        'code="403" in the last 1d; code has 200, 500')


def _planted(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    spec = tmp_path / "planted.yaml"
    spec.write_text(PLANTED, encoding="utf-8")
    lines = {m.group(1): i for i, ln in enumerate(PLANTED.splitlines(), 1)
             for m in [re.search(r"# P:([\w-]+)", ln)] if m}
    lines["multiline"] = next(i for i, ln in enumerate(PLANTED.splitlines(), 1)
                              if "statuscode" in ln)
    assert set(lines) == {*EXPECTED, "rare"}
    return spec, lines


def test_each_planted_problem_is_reported_at_its_line(prom, tmp_path):
    spec, lines = _planted(tmp_path)
    result = lint("--prometheus", prom, "--max-series", "20", str(spec))
    assert result.returncode == 1, result.stderr
    reported = result.stderr.splitlines()
    assert reported[-1] == (f"lint: {N_EXPECTED} problems, 1 warning in 1 service(s) against "
                            f"Prometheus {reported[-1].split('Prometheus ')[1]}")
    problems = reported[:-1]
    for name, expected in {**EXPECTED, "rare": RARE}.items():
        hits = [p for p in problems if p.startswith(f"{spec}:{lines[name]}:")
                or name == "multiline" and "statuscode" in p]
        expected = expected if isinstance(expected, list) else [expected]
        assert len(hits) == len(expected), (name, problems)
        for hit, (path, message) in zip(hits, expected):
            rest = hit.split(":", 3)[3]
            assert rest.startswith(f" {path}: {message}"), (name, hit)
    assert len(problems) == N_EXPECTED + 1
    first = lines["multiline"]
    text = PLANTED.splitlines()
    assert [p.split(": ")[0] for p in problems if "statuscode" in p] == [
        f"{spec}:{line}:{text[line - 1].index('statuscode') + 1}" for line in (first, first + 2)]


def test_json_and_github_formats(prom, tmp_path):
    spec, lines = _planted(tmp_path)
    result = lint("--prometheus", prom, "--max-series", "20", "--format", "json", str(spec))
    assert result.returncode == 1 and result.stderr == ""
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["exit_code"] == 1
    want = [(lines[name], path, "error") for name, expected in EXPECTED.items()
            if name != "multiline"
            for path, _ in (expected if isinstance(expected, list) else [expected])]
    want += [(lines["multiline"] + i, "alerts[0].expr", "error") for i in (0, 2)]
    want.append((lines["rare"], RARE[0], "warning"))
    assert sorted((p["line"], p["path"], p["severity"]) for p in doc["problems"]) == sorted(want)
    result = lint("--prometheus", prom, "--max-series", "20", "--format", "github", str(spec))
    assert result.returncode == 1
    assert (f"::error file={spec},line={lines['label']},col=21,"
            "title=slos[1].sli.ratio.errors.selector.status::http_requests_total has no label "
            "status; it has code, job") in result.stderr.splitlines()


def test_unreachable_and_timeout_exit_4(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    result = lint("--prometheus", f"http://127.0.0.1:{closed}", str(EXAMPLE), real=True)
    assert result.returncode == 4
    assert result.stderr.startswith(f"error: cannot reach Prometheus at http://127.0.0.1:{closed}")
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        result = lint("--prometheus", f"http://127.0.0.1:{port}", "--timeout", "0.5",
                      str(EXAMPLE))
        assert time.monotonic() - started < 10
    assert result.returncode == 4
    assert "no answer within 0.5 s (timeout)" in result.stderr
    result = lint("--prometheus", f"http://127.0.0.1:{closed}", "--format", "json",
                  str(EXAMPLE))
    assert result.returncode == 4
    assert json.loads(result.stdout)["error"].startswith("cannot reach Prometheus")


def test_usage_errors_exit_2_and_an_invalid_spec_3(tmp_path):
    env = {"SRE_GEN_PROMETHEUS_URL": None}
    result = lint(str(EXAMPLE), env=env)
    assert result.returncode == 2
    assert "pass --prometheus URL or set SRE_GEN_PROMETHEUS_URL" in result.stderr
    result = lint("--prometheus", "localhost:9090", str(EXAMPLE), env=env)
    assert result.returncode == 2 and "expected an http:// or https:// URL" in result.stderr
    result = lint("--prometheus", "http://127.0.0.1:1", "--lookback", "1x", str(EXAMPLE),
                  env=env)
    assert result.returncode == 2 and "--lookback: '1x' is not a duration" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: sre-gen/v1\nservice: {name: x}\nslos: 3\n", encoding="utf-8")
    result = lint("--prometheus", "http://127.0.0.1:1", str(bad), env=env)
    assert result.returncode == 3 and result.stderr.startswith(f"{bad}:3:7: slos: ")


def test_the_url_and_credentials_come_from_the_environment(prom, tmp_path):
    """SRE_GEN_PROMETHEUS_URL stands for --prometheus; the bearer token (or basic auth) of the
    environment is sent with every request, seen by a forwarding proxy in front of Prometheus."""
    import base64
    import urllib.request

    seen: list[str | None] = []

    class Forward(BaseHTTPRequestHandler):
        def _forward(self):
            seen.append(self.headers.get("Authorization"))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            request = urllib.request.Request(prom + self.path, data=body, method=self.command,
                                             headers={"Content-Type": self.headers.get(
                                                 "Content-Type", "text/plain")})
            with urllib.request.urlopen(request, timeout=10) as resp:
                data, status = resp.read(), resp.status
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _forward

        def log_message(self, *args):
            pass

    proxy = livestack._LocalServer()
    proxy._serve(Forward)
    try:
        url = f"http://127.0.0.1:{proxy.port}"
        spec = str(fixed_example(tmp_path))
        env = {"SRE_GEN_PROMETHEUS_URL": url, "SRE_GEN_PROMETHEUS_TOKEN": "t0ken",
               "SRE_GEN_PROMETHEUS_TOKEN_FILE": None, "SRE_GEN_PROMETHEUS_USER": None}
        result = lint(spec, env=env)
        assert result.returncode == 0, result.stderr
        assert url in result.stdout and len(seen) > 10
        assert set(seen) == {"Bearer t0ken"}
        seen.clear()
        env.update(SRE_GEN_PROMETHEUS_TOKEN=None, SRE_GEN_PROMETHEUS_USER="bot",
                   SRE_GEN_PROMETHEUS_PASSWORD="s3cret")
        result = lint(spec, env=env)
        assert result.returncode == 0, result.stderr
        assert set(seen) == {"Basic " + base64.b64encode(b"bot:s3cret").decode()}
    finally:
        proxy.close()


# ---- metadata: a Prometheus scraping an exporter that declares its types ------------------------
EXPOSITION = """\
# TYPE demo_requests_total counter
demo_requests_total{code="200"} 100
# TYPE demo_inflight gauge
demo_inflight 3
"""

TYPED = """\
apiVersion: sre-gen/v1
service:
  name: typed
slos:
  - name: counter-as-gauge
    objective: 99
    sli:
      gauge:
        metric: demo_requests_total # P:counter-value
        op: "<"
        threshold: 10
  - name: gauge-as-events
    objective: 99
    sli:
      ratio:
        errors:
          metric: demo_inflight # P:gauge-events
        total:
          metric: demo_requests_total
goldenSignals:
  traffic:
    - name: rate-of-gauge
      query: sum(rate(demo_inflight[5m])) # P:rate-gauge
    - name: rate-of-counter
      query: sum(rate(demo_requests_total[5m]))
"""


@pytest.fixture(scope="module")
def scraping(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("scrape")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = EXPOSITION.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    exporter = livestack._LocalServer()
    exporter._serve(Handler)
    port = livestack.free_port()
    (workdir / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: demo\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter.port}']}}]\n")
    url = f"http://127.0.0.1:{port}"
    proc = livestack.Process("prometheus", [
        livestack.PROMETHEUS, f"--config.file={workdir / 'prometheus.yml'}",
        f"--storage.tsdb.path={workdir / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn"], workdir / "prometheus.log", f"{url}/-/ready")
    try:
        proc.wait_ready()
        from sre_gen.live.client import Prometheus

        api, deadline = Prometheus(url), time.time() + 20
        while len(api.metadata()) < 2 or not api.query("demo_inflight"):
            assert time.time() < deadline, "Prometheus did not scrape the exporter"
            time.sleep(0.3)
        yield url
    finally:
        proc.stop()
        exporter.close()


def test_counter_and_gauge_misuse_from_metadata(scraping, tmp_path):
    spec = tmp_path / "typed.yaml"
    spec.write_text(TYPED, encoding="utf-8")
    lines = {m.group(1): i for i, ln in enumerate(TYPED.splitlines(), 1)
             for m in [re.search(r"# P:([\w-]+)", ln)] if m}
    result = lint("--prometheus", scraping, str(spec))
    assert result.returncode == 1, result.stderr
    problems = result.stderr.splitlines()[:-1]
    assert problems == [
        f"{spec}:{lines['counter-value']}:17: slos[0].sli.gauge.metric: demo_requests_total is "
        "a counter (its metadata): its raw value only grows, so comparing it with a threshold "
        "is meaningless; use rate() in a query, or a ratio SLI",
        f"{spec}:{lines['gauge-events']}:19: slos[1].sli.ratio.errors.metric: demo_inflight is a "
        "gauge (its metadata), but this SLI counts events with rate()/increase(), which need a "
        "counter",
        f"{spec}:{lines['rate-gauge']}:23: goldenSignals.traffic[0].query: rate() of "
        "demo_inflight, a gauge (its metadata): rate() is for counters; a gauge's own value (or "
        "deriv()/delta()) says what it measures",
    ]


# ---- TLS ---------------------------------------------------------------------------------------
def test_tls_ca_file_and_insecure_skip_verify(tmp_path):
    """A Prometheus serving HTTPS with a self-signed certificate (--web.config.file): not
    verified, exit 4; with --ca-file, SRE_GEN_PROMETHEUS_CA_FILE or --insecure-skip-verify lint
    talks to it (exit 1: the empty server has none of the spec's series)."""
    import ssl
    import urllib.request

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    (tmp_path / "web.yml").write_text(
        f"tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n")
    (tmp_path / "prometheus.yml").write_text("global: {}\n")
    port = livestack.free_port()
    url = f"https://127.0.0.1:{port}"
    proc = livestack.Process("prometheus", [
        livestack.PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
        f"--web.config.file={tmp_path / 'web.yml'}", "--log.level=warn"],
        tmp_path / "prometheus.log", f"{url}/-/ready")
    try:
        context = ssl.create_default_context(cafile=str(cert))
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=2, context=context).close()
                break
            except OSError:
                assert time.time() < deadline and proc.proc.poll() is None, \
                    (tmp_path / "prometheus.log").read_text()
                time.sleep(0.2)
        spec = tmp_path / "typed.yaml"
        spec.write_text(TYPED, encoding="utf-8")
        result = lint("--prometheus", url, str(spec), env={"SRE_GEN_PROMETHEUS_CA_FILE": None})
        assert result.returncode == 4
        assert result.stderr.startswith(f"error: cannot reach Prometheus at {url}: ")
        assert "CERTIFICATE_VERIFY_FAILED" in result.stderr
        for args, env in ((["--ca-file", str(cert)], None),
                          ([], {"SRE_GEN_PROMETHEUS_CA_FILE": str(cert)}),
                          (["--insecure-skip-verify"], {"SRE_GEN_PROMETHEUS_CA_FILE": None})):
            result = lint("--prometheus", url, *args, str(spec), env=env)
            assert result.returncode == 1, (args, result.stderr)
            assert "typed.yaml:9:17: slos[0].sli.gauge.metric: no series named " \
                   "demo_requests_total in the last 1d" in result.stderr
    finally:
        proc.stop()
