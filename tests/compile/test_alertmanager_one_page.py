"""One incident pages once (issue 11 item 6), shown live: a real Prometheus scrapes a synthetic
exporter and evaluates the generated rules, a real Alertmanager routes and inhibits with the
generated config, and a local webhook receiver counts the notifications.

The spec is a fast copy of the workbook's two page tiers (fast 14.4x over 20s/4s, moderate 6x
over 2m/20s, rules every 1s) so the whole incident takes about two minutes: a healthy minute,
30% errors for 25s, then none. Both tiers trip; the fast tier fires first and resolves a few seconds after the
errors stop, while the moderate tier's 20s short window still holds the burn. Alertmanager's
inhibition ends with the fast tier, so rules without the tier suppression page a second time
(the control run, today's main: two pages); the generated rules page once.

Slow (about 130 s, both runs in parallel): ``pytest -m slow tests/compile/test_alertmanager_one_page.py``.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from sre_gen.compile import alertmanager, rules, slo_rules
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

SPEC = """\
apiVersion: sre-gen/v1
service:
  name: live
  team: t
settings:
  evaluationInterval: 1s
  baseWindow: 4s
errorBudgetPolicy:
  tiers:
    - { name: fast, burnRate: 14.4, longWindow: 20s, shortWindow: 4s, severity: critical }
    - { name: moderate, burnRate: 6, longWindow: 2m, shortWindow: 20s, severity: critical }
  alerts:
    budgetExhausted: { enabled: false }
    sliAbsent: { enabled: false }
slos:
  - name: availability
    objective: 99
    window: 1d
    sli:
      ratio:
        errors: { metric: http_requests_total, selector: { job: live, code: { regex: "5.." } } }
        total:  { metric: http_requests_total, selector: { job: live } }
incidentClasses:
  - { name: sev1, title: Critical, description: Outage., responseTime: 5m, escalationTime: 1h,
      severities: [critical], receiver: hook }
oncall:
  defaultReceiver: hook
  receivers:
    - { name: hook, webhook: { url: "http://127.0.0.1:%(hook)d/hook" } }
"""
RATE = 100  # requests per second
ERRORS = 0.3  # the burn's error ratio: 30x the 1% budget
# seconds: no errors, then the burn, then no errors again. The healthy minute keeps the
# moderate tier's 2m window from reading a few seconds of burn as its whole window: the fast
# tier trips after about 10s of burn, the moderate one after about 15s.
HEALTHY, BURN, AFTER = 60.0, 25.0, 35.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Exporter:
    """http_requests_total{code} growing at RATE/s; ERRORS of them 500s during the burn."""

    def __init__(self, start: float):
        self.start = start

    def counts(self) -> tuple[int, int]:
        t = time.monotonic() - self.start
        bad_t = min(max(t - HEALTHY, 0.0), BURN)
        return int(RATE * t - RATE * ERRORS * bad_t), int(RATE * ERRORS * bad_t)

    def handler(self):
        exporter = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                ok, bad = exporter.counts()
                body = ("# TYPE http_requests_total counter\n"
                        f'http_requests_total{{code="200"}} {ok}\n'
                        f'http_requests_total{{code="500"}} {bad}\n').encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return H


class _Hook:
    def __init__(self):
        self.notifications: list[dict] = []
        hook = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.notifications.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.handler = H

    def pages(self) -> list[str]:
        """Tiers as they are paged: a tier firing in a notification where the previous one of
        its group did not have it firing."""
        out, before = [], set()
        for n in self.notifications:
            firing = {a["labels"]["tier"] for a in n["alerts"] if a["status"] == "firing"}
            out += sorted(firing - before)
            before = firing
        return out


def _serve(handler) -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def _wait_ready(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not become ready")


def _rule_files(tmp: Path, suppress: bool) -> dict[str, str]:
    spec = tmp / "rules-spec.yaml"
    spec.write_text(SPEC % {"hook": 9}, "utf-8")
    service = load_service(spec, "live.yaml")
    if suppress:
        return rules.build(service, Context())
    original = slo_rules.tier_suppression  # today's main: the rules without the suppression
    slo_rules.tier_suppression = lambda *a: ""
    try:
        return rules.build(service, Context())
    finally:
        slo_rules.tier_suppression = original


def _incident(tmp: Path, rule_files: dict[str, str]) -> tuple[list[str], list[dict]]:
    """Run one incident; the tiers paged and the raw notifications."""
    hook = _Hook()
    hook_server, hook_port = _serve(hook.handler)
    spec = tmp / "live.yaml"
    spec.write_text(SPEC % {"hook": hook_port}, "utf-8")
    service = load_service(spec, "live.yaml")
    for rel, text in rule_files.items():
        (tmp / Path(rel).name).write_text(text, "utf-8")
    am_config = yaml.safe_load(alertmanager.build(service, Context())[
        "alertmanager/alertmanager.yml"])
    for route in am_config["route"]["routes"][0]["routes"]:
        route.update(group_wait="1s", group_interval="2s")  # the class timings, sped up
    (tmp / "alertmanager.yml").write_text(yaml.safe_dump(am_config), "utf-8")
    am_port, prom_port = _free_port(), _free_port()
    exporter = _Exporter(time.monotonic())
    exporter_server, exporter_port = _serve(exporter.handler())
    (tmp / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["recording-rules.yaml", "alerting-rules.yaml"],
        "alerting": {"alertmanagers": [{"static_configs": [
            {"targets": [f"127.0.0.1:{am_port}"]}]}]},
        "scrape_configs": [{"job_name": "live", "static_configs": [
            {"targets": [f"127.0.0.1:{exporter_port}"]}]}],
    }), "utf-8")
    procs = []
    try:
        procs.append(subprocess.Popen([
            shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager",
            f"--config.file={tmp / 'alertmanager.yml'}", f"--storage.path={tmp / 'am'}",
            f"--web.listen-address=127.0.0.1:{am_port}", "--cluster.listen-address="],
            stdout=subprocess.DEVNULL, stderr=open(tmp / "am.log", "w")))
        procs.append(subprocess.Popen([
            shutil.which("prometheus") or "/usr/bin/prometheus",
            f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}", "--rules.alert.resend-delay=2s"],
            stdout=subprocess.DEVNULL, stderr=open(tmp / "prometheus.log", "w")))
        deadline = time.monotonic() + 30
        _wait_ready(f"http://127.0.0.1:{am_port}/-/ready", deadline)
        _wait_ready(f"http://127.0.0.1:{prom_port}/-/ready", deadline)
        end = exporter.start + HEALTHY + BURN + AFTER
        while time.monotonic() < end:
            time.sleep(0.5)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        exporter_server.shutdown()
        hook_server.shutdown()
    return hook.pages(), hook.notifications


@pytest.mark.slow
@pytest.mark.realtime
def test_one_incident_pages_once_with_a_real_prometheus_and_alertmanager(tmp_path) -> None:
    (tmp_path / "fixed").mkdir()
    (tmp_path / "main").mkdir()
    fixed_rules, main_rules = _rule_files(tmp_path, True), _rule_files(tmp_path, False)
    assert "unless on" in fixed_rules["prometheus/alerting-rules.yaml"]
    assert "unless on" not in main_rules["prometheus/alerting-rules.yaml"]
    with ThreadPoolExecutor(2) as pool:
        fixed = pool.submit(_incident, tmp_path / "fixed", fixed_rules)
        main = pool.submit(_incident, tmp_path / "main", main_rules)
        fixed_pages, fixed_sent = fixed.result()
        main_pages, main_sent = main.result()
    # the control shows the defect the harness must see: fast, then moderate after recovery
    assert main_pages == ["fast", "moderate"], main_sent
    assert fixed_pages == ["fast"], fixed_sent
    # and the incident's end is announced (the fast tier's resolved notification)
    assert fixed_sent[-1]["status"] == "resolved", fixed_sent
