"""sre_gen.live.client against a real Prometheus 2.42 on 127.0.0.1 (backfilled history), and
its error paths: a closed port, a server that never answers, credentials from the environment."""

from __future__ import annotations

import http.server
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from sre_gen.live import client

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import livestack  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    now = float(int(time.time()))
    times = [now - 3600 + 60 * i for i in range(61)]
    series = {'demo_requests_total{code="200",job="demo"}': [(t, 10.0 * i) for i, t in
                                                           enumerate(times)],
              'demo_requests_total{code="500",job="demo"}': [(t, 1.0 * i) for i, t in
                                                           enumerate(times)]}
    with livestack.BackfilledPrometheus(tmp_path_factory.mktemp("client"), series) as p:
        yield p, now


def test_instant_and_range_queries_series_labels(prom):
    p, now = prom
    api = client.Prometheus(p.prom_url)
    got = api.query("sum by (code) (demo_requests_total)", at=now)
    assert {s.labels["code"]: s.value for s in got} == {"200": 600.0, "500": 60.0}
    assert api.query("scalar(vector(NaN))", at=now)[0].value != api.query(
        "scalar(vector(NaN))", at=now)[0].value  # NaN read as float NaN
    rng = api.query_range('demo_requests_total{code="500"}', now - 600, now, 60)
    assert [v for _, v in rng[0].points] == [50.0, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60]
    assert sorted(s["code"] for s in api.series(["demo_requests_total"], now - 3600, now)) == [
        "200", "500"]
    assert api.label_names(["demo_requests_total"], now - 3600, now) == ["__name__", "code", "job"]
    assert api.label_values("code", ["demo_requests_total"], now - 3600, now) == ["200", "500"]
    assert api.buildinfo()["version"].startswith("2.")


def test_raw_samples_in_a_half_open_range(prom):
    """``samples``: the raw samples in (start, end], unresampled, one series per label set."""
    p, now = prom
    api = client.Prometheus(p.prom_url)
    got = api.samples('{__name__="demo_requests_total",code="500"}', now - 300, now)
    assert [dict(s.labels) for s in got] == [
        {"__name__": "demo_requests_total", "code": "500", "job": "demo"}]
    assert got[0].points == tuple((now - 240 + 60 * i, 56.0 + i) for i in range(5))
    assert api.samples("demo_requests_total", now, now) == []


def test_a_rejected_query_says_what_prometheus_said(prom):
    p, _ = prom
    with pytest.raises(client.QueryRejected, match=r"bad_data: .*parse error"):
        client.Prometheus(p.prom_url).query("sum(")


def test_a_closed_port_is_unreachable_exit_4():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(client.Unreachable, match=f"cannot reach Prometheus at http://127.0.0.1:"
                                                 f"{port}: .*refused") as exc:
        client.Prometheus(f"http://127.0.0.1:{port}").query("up")
    assert exc.value.exit_code == 4


def test_a_silent_server_times_out():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)  # accepts the connection, never answers
        port = s.getsockname()[1]
        with pytest.raises(client.Unreachable, match=r"no answer within 0.5 s \(timeout\)"):
            client.Prometheus(f"http://127.0.0.1:{port}", timeout=0.5).query("up")


def _recording_server():
    seen: list[str | None] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("Authorization"))
            body = b'{"status":"success","data":{"resultType":"vector","result":[]}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.mark.parametrize("env, header", [
    ({}, None),
    ({client.ENV_TOKEN: "s3cret"}, "Bearer s3cret"),
    ({client.ENV_USER: "ann", client.ENV_PASSWORD: "pw"}, "Basic YW5uOnB3"),
])
def test_credentials_come_from_the_environment(env, header):
    server, seen = _recording_server()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert client.Prometheus(url, env=env).query("up") == []
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [header]


def test_a_token_file(tmp_path):
    (tmp_path / "t").write_text("from-file\n")
    server, seen = _recording_server()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        client.Prometheus(url, env={client.ENV_TOKEN_FILE: str(tmp_path / "t")}).query("up")
    finally:
        server.shutdown()
        server.server_close()
    assert seen == ["Bearer from-file"]


def test_a_url_that_is_no_url_is_a_usage_error():
    with pytest.raises(client.errors.UsageError, match="expected an http:// or https:// URL"):
        client.Prometheus("localhost:9090")
