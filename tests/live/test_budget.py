"""Issue 18 item 2: ``sre-gen budget``, the error-budget gate, through the real CLI against a real
Prometheus 2.42 on 127.0.0.1 holding backfilled history of the series the generated rules record
(names from sre_gen.conventions, so renaming a recorded series breaks this test), and its pure
parts (states, formatting) over their parameter space."""

from __future__ import annotations

import json
import math
import re
import socket
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from sre_gen import conventions as cv
from sre_gen.cli import app
from sre_gen.live import budget as gate
from sre_gen.spec import load_service

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import livestack  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "autogen-review-bot.yaml"
SMALL = ROOT / "tests" / "specs" / "rules" / "ratio-30d-defaults.yaml"  # service checkout

EXHAUSTED = "availability"  # of the example: -50% left, burning 15x
UNKNOWN = "latency-p50"  # of the example: no series at all
HEALTHY_LEFT = 0.8  # the example's other SLOs
CHECKOUT_LEFT = 0.9  # checkout/availability, burning 0.2x


def _series(service, left: dict[str, float | None], burn: dict[str, float]) -> dict:
    """What the rules would have recorded every minute over the last 2 hours (and 30 minutes
    ahead, so an instant query 'now' finds a sample however slow the machine is)."""
    now = math.floor(time.time() / 60) * 60
    times = range(now - 7200, now + 1800 + 1, 60)
    out = {}
    for slo in service.slos:
        if left.get(slo.name, HEALTHY_LEFT) is None:
            continue
        ident = f'{{{cv.LABEL_SERVICE}="{service.name}",{cv.LABEL_SLO}="{slo.name}"}}'
        value = left.get(slo.name, HEALTHY_LEFT)
        out[cv.SLO_BUDGET_REMAINING + ident] = [(t, value) for t in times]
        ratio = float(slo.error_budget) * burn.get(slo.name, 0.2)
        for w in gate.burn_windows(slo, service.settings.base_window):
            out[cv.sli_error_ratio(w) + ident] = [(t, ratio) for t in times]
    return out


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    example = load_service(EXAMPLE, "specs/autogen-review-bot.yaml")
    small = load_service(SMALL, "checkout.yaml")
    series = {**_series(example, {EXHAUSTED: -0.5, UNKNOWN: None}, {EXHAUSTED: 15}),
              **_series(small, {"availability": CHECKOUT_LEFT}, {})}
    with livestack.BackfilledPrometheus(tmp_path_factory.mktemp("budget"), series) as p:
        yield p.prom_url


def _budget(*args: str, env: dict | None = None):
    result = CliRunner().invoke(app, ["budget", *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _rows(stdout: str) -> dict[str, list[str]]:
    """The table: 'service/slo' -> its cells (separated by two or more spaces)."""
    lines = stdout.splitlines()
    assert lines[0].split() == list(gate.HEADER), stdout
    rows = {}
    for line in lines[1:]:
        if not line.strip():
            break
        cells = re.split(r"\s{2,}", line)
        rows[f"{cells[0]}/{cells[1]}"] = cells
    return rows


@pytest.mark.slow
def test_a_healthy_budget_passes_the_gate(prom):
    result = _budget("--prometheus", prom, str(SMALL))
    assert result.exit_code == 0, result.output
    burns = ", ".join(f"{w} 0.2x" for w in ("1h", "6h", "1d", "3d"))
    assert _rows(result.stdout) == {"checkout/availability": [
        "checkout", "availability", "99.9%", "30d", "90.00%", burns, "healthy", "budgetHealthy"]}
    assert "policy: budgets healthy" in result.stdout
    assert "1 SLO(s): 0 failing the gate: exit 0" in result.stdout


@pytest.mark.slow
def test_an_exhausted_budget_fails_the_gate_with_halt_new_features(prom):
    result = _budget("--prometheus", prom, str(EXAMPLE))
    assert result.exit_code == 1, result.output
    rows = _rows(result.stdout)
    service = load_service(EXAMPLE, "x")
    assert list(rows) == [f"{service.name}/{slo.name}" for slo in service.slos]
    assert rows[f"{service.name}/{EXHAUSTED}"] == [
        service.name, EXHAUSTED, "99.95%", "30d", "-50.00%", "1h 15x, 6h 15x, 1d 15x",
        "exhausted", "budgetExhausted"]
    assert rows[f"{service.name}/{UNKNOWN}"][4:] == ["unknown", "5m unknown",
                                                      "unknown (no data)", "-"]
    healthy = [r for key, r in rows.items() if key.split("/")[1] not in (EXHAUSTED, UNKNOWN)]
    assert healthy and all(r[4:] == ["80.00%", r[5], "healthy", "budgetHealthy"] for r in healthy)
    assert all(re.fullmatch(r"(\d+[mhd] 0\.2x)(, \d+[mhd] 0\.2x)*", r[5]) for r in healthy)
    out = result.stdout
    assert (f"policy: budget exhausted for {service.name}/{EXHAUSTED}: halt_new_features "
            "(errorBudgetPolicy.actions.budgetExhausted)") in out
    for action in service.policy.budget_exhausted_actions:
        assert f"  - {service.name}: {action}" in out
    assert "policy: budgets healthy" not in out
    assert f"{len(rows)} SLO(s): 1 failing the gate, 1 unknown" in out
    # the SLO without data is flagged, never counted as exhausted
    assert f"warning: {service.name}/{UNKNOWN}: no budget data" in result.stderr


@pytest.mark.slow
def test_min_remaining_fails_a_budget_below_it_in_both_spellings(prom):
    for floor in ("95%", "95"):
        result = _budget("--prometheus", prom, "--min-remaining", floor, str(SMALL))
        assert result.exit_code == 1, result.output
        assert _rows(result.stdout)["checkout/availability"][6:] == ["low (< 95%)",
                                                                    "budgetHealthy"]
        assert "below --min-remaining 95% for checkout/availability" in result.stdout
    ok = _budget("--prometheus", prom, "--min-remaining", "25%", str(SMALL))
    assert ok.exit_code == 0, ok.output


@pytest.mark.slow
def test_json_and_github_formats_and_the_url_from_the_environment(prom):
    result = _budget("--format", "json", str(EXAMPLE), env={"SRE_GEN_PROMETHEUS_URL": prom})
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["exit_code"] == 1
    by_slo = {b["slo"]: b for b in doc["budgets"]}
    assert by_slo[EXHAUSTED]["state"] == "exhausted"
    assert by_slo[EXHAUSTED]["remainingPercent"] == "-50.00"
    assert by_slo[EXHAUSTED]["action"] == "budgetExhausted"
    assert by_slo[UNKNOWN]["state"] == "unknown" and by_slo[UNKNOWN]["remainingRatio"] is None
    gh = _budget("--format", "github", "--prometheus", prom, str(EXAMPLE))
    assert gh.exit_code == 1
    assert "::error title=error budget exhausted%3A autogen-review-bot/availability::" \
        in gh.stderr
    assert "::warning title=error budget unknown%3A autogen-review-bot/latency-p50::" \
        in gh.stderr


@pytest.mark.slow
def test_an_unreachable_prometheus_is_exit_4():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = _budget("--prometheus", f"http://127.0.0.1:{port}", str(SMALL))
    assert result.exit_code == 4
    assert f"cannot reach Prometheus at http://127.0.0.1:{port}" in result.stderr


def test_usage_errors_and_an_invalid_spec(tmp_path):
    assert _budget(str(SMALL)).exit_code == 2  # no URL
    bad = _budget("--prometheus", "http://127.0.0.1:9", "--min-remaining", "120%", str(SMALL))
    assert bad.exit_code == 2 and "--min-remaining '120%'" in bad.stderr
    for option in (["--timeout", "0"], ["--prometheus", "ftp://x"]):
        args = ["--prometheus", "http://127.0.0.1:9", *option, str(SMALL)]
        assert _budget(*args).exit_code == 2, option
    spec = tmp_path / "bad.yaml"
    spec.write_text(SMALL.read_text().replace("objective: 99.9", "objective: 120"))
    invalid = _budget("--prometheus", "http://127.0.0.1:9", str(spec))
    assert invalid.exit_code == 3 and "objective" in invalid.stderr


# ---- pure parts ---------------------------------------------------------------------------------
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(finite, st.none() | st.decimals(min_value=0, max_value=100, places=2))
def test_states_follow_the_remaining_budget(remaining, floor):
    state = gate.classify(remaining, floor)
    if remaining <= 0:
        assert state == gate.EXHAUSTED
    elif floor is not None and Decimal(repr(remaining)) * 100 < floor:
        assert state == gate.LOW
    else:
        assert state == gate.HEALTHY
    assert gate.classify(None, floor) == gate.UNKNOWN


@given(finite)
def test_percent_and_rate_print_no_float_artefacts(value):
    text = gate.percent(value)
    assert re.fullmatch(r"-?\d+\.\d{2}%", text) and text != "-0.00%"
    assert abs(float(text[:-1]) - value * 100) <= 0.005 + abs(value) * 1e-12
    burn = gate.rate(abs(value))
    assert re.fullmatch(r"\d+(\.\d+)?x", burn), burn
    assert len(burn[:-1].replace(".", "").strip("0")) <= 3, burn  # 3 significant digits
    assert float(burn[:-1]) == pytest.approx(abs(value), rel=5e-3, abs=1e-300)


@pytest.mark.parametrize("text,expected", [("25%", "25"), ("25", "25"), (" 0.5 % ", "0.5"),
                                           ("100", "100"), ("0%", "0")])
def test_min_remaining_spellings(text, expected):
    assert gate.parse_min_remaining(text) == Decimal(expected)
