"""``sre-gen backtest`` end to end: a real Prometheus 2.42 on 127.0.0.1 holding three days of
backfilled history at 1-minute resolution (promtool tsdb create-blocks-from openmetrics) with one
planted incident, the real vmalert -replay and victoria-metrics, real PNGs, and the HTML opened
in Debian's headless chromium.

The spec (tests/data/backtest-spec.yaml): availability 99% over http_requests_total{job="shop"}
at 10 req/s with 0.01% errors, except 50% errors for 30 minutes (the incident); and a latency
SLO over a histogram nobody exports (no data)."""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from sre_gen import burnrate, pipeline, promql
from sre_gen import conventions as cv
from sre_gen.commands import backtest
from sre_gen.live.backtest import analyze, replay
from sre_gen.live.client import Prometheus

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import livestack  # noqa: E402

pytestmark = pytest.mark.slow

SPEC = ROOT / "tests" / "data" / "backtest-spec.yaml"
STEP = 60
RATE = 10.0  # requests per second
HEALTHY, INCIDENT = 0.0001, 0.5
HISTORY = 3 * 86400
REPLAY = 66 * 3600  # the last 66 hours: the raw windows (up to 6h) have data from the start


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    end = math.floor(time.time() / 3600) * 3600 - 3600
    first = end - HISTORY
    t0 = first + 2 * 86400  # the incident: (t0, t1]
    t1 = t0 + 1800
    ok = bad = 0.0
    good_points, bad_points = [], []
    for t in range(first, end + 1, STEP):
        share = INCIDENT if t0 < t <= t1 else HEALTHY
        ok += STEP * RATE * (1 - share)
        bad += STEP * RATE * share
        good_points.append((t, ok))
        bad_points.append((t, bad))
    series = {'http_requests_total{job="shop",code="200"}': good_points,
              'http_requests_total{job="shop",code="500"}': bad_points}
    prom = livestack.BackfilledPrometheus(tmp_path_factory.mktemp("backtest-prom"), series)
    try:
        yield prom, end - REPLAY, end, t0, t1
    finally:
        prom.close()


@pytest.fixture(scope="module")
def service():
    [svc] = pipeline.load_services([SPEC])
    return svc


@pytest.fixture(scope="module")
def replayed(history, service, tmp_path_factory):
    """One replay; the analysis and the checks that need the replayed store run inside it."""
    prom, start, end, _t0, _t1 = history
    source = Prometheus(prom.prom_url)
    groups = backtest.rule_groups(service)
    checks: dict = {}

    def then(done):
        checks["compare"] = _compare(done.store, source, groups, start, end)
        checks["levels"] = _levels(done.store, service, start, end)
        checks["calm"] = analyze.analyze(service, done.store, start, end, STEP, 5)
        checks["chained"] = _chained(done.store, groups, start, end)
        return done, analyze.analyze(service, done.store, start, end, STEP, 2)

    began = time.monotonic()
    done, result = replay.replay(groups, source, start, end, STEP, then=then,
                                 workdir=tmp_path_factory.mktemp("backtest-work"))
    checks["wall"] = time.monotonic() - began
    print(f"replay of {REPLAY / 3600:g} h at {STEP} s: {checks['wall']:.1f} s wall, "
          f"{done.layers} layers, {done.samples_copied} samples copied, "
          f"{done.samples_written} written")
    return done, result, checks


def _compare(store, source, groups, start, end):
    """Every recording rule that reads raw series only (layer 0), as replayed, against the same
    expression evaluated by the user's Prometheus 2.42 (the engine the real rules run on)."""
    [first, *_] = replay.layers(groups)
    out = []
    for group in first.groups:
        for rule in group["rules"]:
            if "record" not in rule:
                continue
            labels = rule.get("labels") or {}
            sel = rule["record"] + "{" + ",".join(f'{k}="{v}"' for k, v in
                                                  sorted(labels.items())) + "}"
            mine = dict(p for s in store.samples(sel, start - 1, end) for p in s.points)
            truth = {t: v for s in source.query_range(rule["expr"], start, end, STEP)
                     for t, v in s.points}
            out.append((sel, mine, truth))
    return out


def _chained(store, groups, start, end):
    """The availability SLO's recorded series as replayed, and its rules that read recorded
    series only (layers 1 and up)."""
    recorded = replay.recorded_names(groups)
    series = {}
    for s in store.samples('{__name__=~"slo:.+",slo="availability"}', start - 1, end):
        key = s.labels["__name__"] + "{" + ",".join(
            f'{k}="{v}"' for k, v in sorted(s.labels.items()) if k != "__name__") + "}"
        series[key] = list(s.points)
    rules = [r for layer in replay.layers(groups)[1:] for g in layer.groups for r in g["rules"]
             if "record" in r and (r.get("labels") or {}).get("slo") == "availability"
             and promql.metric_names(r["expr"]) <= recorded]
    return series, rules


def _levels(store, service, start, end):
    """The 5m level series (layer 1, read from the replayed base series) against the base
    series it samples."""
    base = service.settings.base_window
    ident = '{service="shop",slo="availability"}'
    level = dict(p for s in store.samples(cv.sli_errors_step(base) + ident, start - 1, end)
                 for p in s.points)
    errs = dict(p for s in store.samples(cv.sli_errors(base) + ident, start - 1, end)
                for p in s.points)
    return level, errs


def test_replayed_series_equal_what_prometheus_computes(replayed):
    _done, _result, checks = replayed
    assert checks["compare"], "no raw-reading recording rule compared"
    compared = 0
    for sel, mine, truth in checks["compare"]:
        if not truth:  # the latency SLO: no data in Prometheus, none replayed
            assert not mine, sel
            continue
        assert set(mine) == set(truth), (sel, len(mine), len(truth))
        for t, v in truth.items():
            assert mine[t] == pytest.approx(v, rel=1e-9, abs=1e-12), (sel, t)
        compared += 1
    assert compared >= 6  # errors, total and the four raw windows of availability (+ constants)
    level, errs = checks["levels"]
    assert level and all(t % 300 == 0 for t in level), sorted(level)[:5]
    assert len(level) == pytest.approx(REPLAY / 300, abs=2)
    bad = [(t, level[t], errs.get(t)) for t in sorted(level)
           if errs.get(t) is None or not math.isclose(level[t], errs[t], rel_tol=1e-9)]
    assert not bad, bad[:10]  # chained rules saw their inputs


def test_chained_rules_replayed_equal_prometheus_over_the_same_inputs(replayed, history,
                                                                      tmp_path):
    """Every availability rule that reads other rules' series (levels, long windows summing
    them, burn conditions, budget), as replayed in layers, against Prometheus 2.42 evaluating
    the same expression over the replayed series it reads (backfilled into a second
    Prometheus): the layers gave each rule its complete inputs, and MetricsQL's windows
    (``[23h59m59s]``, ``avg_over_time``, ``time() % step``) agree with PromQL's."""
    _done, _result, checks = replayed
    _prom, start, end, _t0, _t1 = history
    series, rules = checks["chained"]
    assert len(rules) >= 12, [r["record"] for r in rules]
    with livestack.BackfilledPrometheus(tmp_path / "chained", series) as again:
        truth_api = Prometheus(again.prom_url)
        for rule in rules:
            labels = rule.get("labels") or {}
            key = rule["record"] + "{" + ",".join(f'{k}="{v}"' for k, v in
                                                  sorted(labels.items())) + "}"
            mine = dict(series[key])
            truth = {t: v for s in truth_api.query_range(rule["expr"], start, end, STEP)
                     for t, v in s.points}
            assert truth, key
            assert set(mine) == set(truth), (key, len(mine), len(truth),
                                             sorted(set(mine) ^ set(truth))[:5])
            bad = [(t, mine[t], v) for t, v in sorted(truth.items())
                   if not math.isclose(mine[t], v, rel_tol=1e-9, abs_tol=1e-12)]
            assert not bad, (key, bad[:5])


def test_the_incident_fires_the_fast_tier_inside_it_and_nothing_outside(replayed, history,
                                                                         service):
    _done, result, _checks = replayed
    _prom, start, end, t0, t1 = history
    slo = next(s for s in service.slos if s.name == "availability")
    fast = max(slo.tiers, key=lambda t: t.burn_rate)
    burn_alert = cv.slo_alert_burn(cv.alert_prefix(service.name, ""), "availability")
    absent = cv.slo_alert_absent(cv.alert_prefix(service.name, ""), "latency")
    fired = {(a.alertname, a.label("slo"), a.label("tier")) for a in result.alerts}
    # the no-data SLO's absence alert is right to fire; nothing else but the fast tier
    assert fired == {(burn_alert, "availability", fast.name), (absent, "latency", "")}, fired
    [alert] = [a for a in result.alerts if a.alertname == burn_alert]
    [episode] = alert.episodes
    # detection: the first evaluation after the burn-rate math says the long window crosses
    detect = float(burnrate.detection_seconds(fast.burn_rate, slo.error_budget,
                                              Decimal(str(INCIDENT)), fast.long_window))
    assert t0 + detect - STEP <= episode.start <= t0 + detect + STEP, (episode.start - t0, detect)
    # it resets once the short window no longer holds enough of the incident
    assert t1 < episode.end <= t1 + fast.short_window + STEP, (episode.end - t1)
    assert alert.pages and alert.severity == "critical"
    assert alert.per_week == pytest.approx(1 / (REPLAY / analyze.WEEK))
    assert alert.over  # 2.5 pages a week > the threshold of 2
    [slo_result] = [s for s in result.slos if s.name == "availability"]
    [d] = slo_result.detections
    assert d.tier == fast.name and d.burn_start == t0 + STEP  # the first evaluation in it
    assert d.seconds == episode.start - (t0 + STEP)


def test_budget_spent_matches_the_planted_errors(replayed, history):
    _done, result, _checks = replayed
    _prom, start, end, t0, t1 = history
    [slo] = [s for s in result.slos if s.name == "availability"]
    planted = (INCIDENT * (t1 - t0) + HEALTHY * (end - start - (t1 - t0))) / (end - start)
    assert slo.error_ratio == pytest.approx(planted, rel=0.01)
    assert slo.budget_spent == pytest.approx(planted / 0.01, rel=0.01)
    assert slo.has_data and slo.coverage == pytest.approx(1, abs=0.01)
    assert slo.burn_down[-1][1] == pytest.approx(1 - slo.budget_spent, rel=1e-6)
    fast = next(b for b in slo.burns if b.tier == "fast")
    assert fast.worst == pytest.approx((INCIDENT * 1800 + HEALTHY * 1800) / 3600 / 0.01,
                                       rel=0.02)
    assert t1 - STEP <= fast.at <= t1 + STEP


def test_slos_without_data_are_flagged(replayed):
    _done, result, _checks = replayed
    assert [s.name for s in result.no_data] == ["latency"]


def test_replay_is_fast(replayed):
    _done, _result, checks = replayed
    assert checks["wall"] < 60


def _run_cli(history, report: Path, *extra: str) -> subprocess.CompletedProcess:
    prom, start, end, _t0, _t1 = history
    return subprocess.run(
        [sys.executable, "-m", "sre_gen", "backtest", "--prometheus", prom.prom_url,
         "--since", f"{REPLAY // 3600}h", "--until", str(end), "--report", str(report),
         *extra, str(SPEC)], capture_output=True, text=True, timeout=300)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def cli_reports(history, tmp_path_factory):
    base = tmp_path_factory.mktemp("backtest-cli")
    flagged = _run_cli(history, base / "flagged")
    calm = _run_cli(history, base / "calm", "--max-pages-per-week", "5")
    return base, flagged, calm


def test_cli_exit_codes_and_report_files(cli_reports):
    base, flagged, calm = cli_reports
    assert flagged.returncode == 1, flagged.stderr
    assert "OVER THRESHOLD" in flagged.stdout and "more than 2 times a week" in flagged.stderr
    assert calm.returncode == 0, calm.stderr
    assert "replay:" in calm.stderr and "100%" in calm.stderr  # the line-based progress
    assert "NO DATA" in calm.stdout
    files = sorted(p.name for p in (base / "calm").iterdir())
    assert files == ["availability-budget.png", "availability-burn.png", "index.html",
                     "summary.md"]
    summary = (base / "flagged" / "summary.md").read_text()
    assert summary.count("\n") < 40 and ":warning:" in summary and "latency" in summary
    # same replay, same bytes: the PNGs of both runs are identical
    for name in ("availability-budget.png", "availability-burn.png"):
        assert (base / "calm" / name).read_bytes() == (base / "flagged" / name).read_bytes()


def test_same_history_same_report_bytes(cli_reports, replayed, service):
    """The CLI's report (another process, another victoria-metrics) equals the report of the
    in-process replay, byte for byte (the PNGs of two CLI runs are compared above)."""
    base, _flagged, _calm = cli_reports
    from sre_gen.live.backtest import report

    result = replayed[2]["calm"]
    images = {name: (base / "calm" / name).read_bytes()
              for name in ("availability-budget.png", "availability-burn.png")}
    assert (base / "calm" / "summary.md").read_text() == report.summary_md(result)
    assert (base / "calm" / "index.html").read_text() == report.index_html(result, images)


def test_pngs_are_real_images(cli_reports):
    base, _flagged, _calm = cli_reports
    import matplotlib.image

    for name in ("availability-budget.png", "availability-burn.png"):
        data = (base / "calm" / name).read_bytes()
        width, height = _png_size(data)
        assert width >= 600 and height >= 250
        pixels = matplotlib.image.imread(base / "calm" / name)
        assert pixels.shape[:2] == (height, width)
        assert pixels.std() > 0.05  # not a blank canvas: lines, text, bands


def test_html_opens_in_headless_chromium_without_errors(cli_reports, tmp_path):
    base, _flagged, _calm = cli_reports
    chromium = shutil.which("chromium")
    assert chromium, "chromium is not installed; run scripts/setup.sh"
    page = base / "calm" / "index.html"
    text = page.read_text()
    assert "http://" not in text and "https://" not in text and "<script" not in text
    images = text.count("<img ")
    assert images == 2
    # a copy with a probe that counts the decoded images after load
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", "<script>addEventListener('load', () => "
                                  "document.body.dataset.decoded = [...document.images]"
                                  ".filter(i => i.complete && i.naturalWidth > 0).length)"
                                  "</script></body>"))
    args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
            "--v=0", "--virtual-time-budget=5000", f"--user-data-dir={tmp_path / 'profile'}"]
    for target in (page, probe):
        proc = subprocess.run([*args, "--dump-dom", target.as_uri()], capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "sre-gen backtest: shop" in proc.stdout
        console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line
                   or "Uncaught" in line or "Failed to load" in line]
        assert not console, console
    assert f'data-decoded="{images}"' in proc.stdout, proc.stdout[-500:]
    shot = tmp_path / "shot.png"
    subprocess.run([*args, "--window-size=1100,2400", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert _png_size(shot.read_bytes()) == (1100, 2400)


def test_unreachable_prometheus_and_missing_tools_exit_4(tmp_path):
    port = livestack.free_port()
    proc = subprocess.run([sys.executable, "-m", "sre_gen", "backtest", "--prometheus",
                           f"http://127.0.0.1:{port}", "--since", "1h", str(SPEC)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 4 and "cannot reach Prometheus" in proc.stderr, proc.stderr
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "sre_gen", "backtest", "--prometheus",
                           f"http://127.0.0.1:{port}", "--since", "1h", str(SPEC)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 4 and "vmalert not found" in proc.stderr, proc.stderr
    assert "apt-get install victoria-metrics" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "sre_gen", "backtest", "--since", "soon",
                           str(SPEC)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--since" in proc.stderr, proc.stderr


def test_vmalert_replays_every_rule_of_the_example_spec(history, tmp_path, example_service):
    """MetricsQL accepts every rule sre-gen generates (all SLI kinds, golden signals, security,
    backups, capacity, autoscaling): each is replayed, layer by layer, without an error."""
    import io

    prom, _start, end, _t0, _t1 = history
    groups = backtest.rule_groups(example_service)
    total = sum(len(g["rules"]) for g in groups)
    out = io.StringIO()
    done = replay.replay(groups, Prometheus(prom.prom_url), end - 2 * 3600, end, STEP,
                         workdir=tmp_path, stream=out, then=lambda d: d)
    assert done.layers == len(replay.layers(groups)) >= 5
    assert out.getvalue().splitlines()[-1].startswith("replay: 100%")
    assert done.samples_written > total  # the constants alone write one sample per evaluation
    assert not list(tmp_path.iterdir())  # the temporary storage is gone
