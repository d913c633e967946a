"""OpenSLO's time-slice samples (examples/budgeting-method/ratio-timeslices.yaml and
timeslices-slo.yaml) read the placeholder query ``Any`` as good and total, so they import nothing
(tests/importers/test_import_cli.py). With real Prometheus queries put in their place (line for
line, so every line number stays the sample's), each imports, validates, generates and passes
``sre-gen test`` with every alert proved, and every part sre-gen does not support is reported at
its line. ``budgetingMethod: Timeslices`` becomes a gauge SLI judging each 1m slice's good ratio
against ``timeSliceTarget``: promtool shows the generated rules count the bad slices."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sre_gen.cli import app
from sre_gen.compile import rules
from sre_gen.model import GaugeSLI
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

DATA = Path(__file__).resolve().parents[1] / "data" / "importers" / "openslo"
GOOD = 'sum(rate(http_requests_total{job="web",code=~"2.."}[{{window}}]))'
TOTAL = 'sum(rate(http_requests_total{job="web"}[{{window}}]))'
UNMAPPED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<path>\S+): not imported: "
                      r"(?P<why>.+)$")

# (line, path, the start of the reason), for each sample
EXPECTED = {
    "ratio-timeslices.yaml": {
        (30, "spec.budgetingMethod", "budgetingMethod RatioTimeslices: sre-gen budgets by "
         "occurrences (events), not time slices; imported as Occurrences"),
        (33, "spec.objectives[0].op", "op gt compares threshold metrics"),
        (34, "spec.objectives[0].timeSliceWindow", "sre-gen does not budget by time slices"),
    },
    "timeslices-slo.yaml": {  # Timeslices: a gauge SLI over 1m slices (not listed)
        (28, "spec.timeWindow[0]", "calendar windows are not supported (sre-gen's windows roll)"),
        (28, "spec.timeWindow[0]", "a 1m window is shorter than the 1h sre-gen accepts"),
        (36, "spec.objectives[0].op", "op gt compares threshold metrics"),
    },
}


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def with_queries(sample: Path, dest: Path) -> Path:
    """The sample with Prometheus sources and real good/total queries, line for line."""
    out, role = [], None
    for line in sample.read_text().split("\n"):
        role = "good" if re.match(r"\s+good:", line) else "total" if re.match(
            r"\s+total:", line) else role
        line = line.replace("type: Any", "type: Prometheus")
        if "query: Any" in line:
            line = line.replace("query: Any", f"query: '{GOOD if role == 'good' else TOTAL}'")
        out.append(line)
    dest.write_text("\n".join(out))
    assert len(out) == len(sample.read_text().split("\n"))
    return dest


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_timeslice_sample_with_real_queries_imports_and_proves(name: str, tmp_path: Path) -> None:
    src = with_queries(DATA / name, tmp_path / name)
    result = invoke("import", "openslo", src.as_posix(), "--out", (tmp_path / "specs").as_posix())
    assert result.exit_code == 0, result.output
    found = [m.groupdict() for m in map(UNMAPPED.match, result.stderr.splitlines()) if m]
    assert all(f["file"] == src.as_posix() for f in found)
    got = {(int(f["line"]), f["path"], f["why"]) for f in found}
    for line, path, why in EXPECTED[name]:  # each expected report, at its line
        assert any(g[0] == line and g[1] == path and g[2].startswith(why) for g in got), (
            line, path, why, sorted(got))
    assert len(got) == len(EXPECTED[name]), sorted(got)
    lines = src.read_text().split("\n")
    for line, path, _ in EXPECTED[name]:  # the line holds the key the path ends with
        key = re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1])
        assert key in lines[line - 1] or lines[line - 1].lstrip().startswith("- "), (line, key)
    (spec,) = sorted((tmp_path / "specs").glob("*.yaml"))
    service = load_service(spec)
    for slo in service.slos:
        if name == "timeslices-slo.yaml":
            assert isinstance(slo.sli, GaugeSLI)
            assert (slo.sli.query, slo.sli.op, slo.sli.threshold) == (
                f"({GOOD.replace('{{window}}', '1m')}) / ({TOTAL.replace('{{window}}', '1m')})",
                ">=", Decimal("0.99"))
        else:  # RatioTimeslices: budgeted by occurrences (listed)
            assert slo.sli.events_are_good
            assert slo.sli.events.selector.metric == "http_requests_total"
    out = tmp_path / "generated"
    assert invoke("validate", spec.as_posix()).exit_code == 0
    assert invoke("generate", spec.as_posix(), "--out", out.as_posix()).exit_code == 0
    run = invoke("test", spec.as_posix(), "--out", out.as_posix())
    assert run.exit_code == 0, run.output
    assert " 0 failed" in run.stdout and "untested" not in run.output


@pytest.mark.slow
def test_timeslices_budget_counts_the_bad_slices(tmp_path: Path, promtool: str) -> None:
    """Requests every 15s for an hour; in (20m, 30m] half of them fail (slice ratio 0.5 < 0.99):
    of the 60 one-minute slices judged (t = 1m..60m; t = 0 has one sample, no rate) exactly the
    10 ending in 21m..30m are bad, under Prometheus 2's closed and 3's left-open ranges alike."""
    src = with_queries(DATA / "timeslices-slo.yaml", tmp_path / "timeslices-slo.yaml")
    assert invoke("import", "openslo", src.as_posix(), "--out",
                  (tmp_path / "specs").as_posix()).exit_code == 0
    service = load_service(tmp_path / "specs" / "web-availability.yaml")
    texts = rules.build(service, Context())
    for rel in ("prometheus/recording-rules.yaml", "prometheus/alerting-rules.yaml"):
        (tmp_path / rel.rsplit("/", 1)[1]).write_text(texts[rel])
    slo = service.slos[0]
    ids = f'{{service="{service.name}",slo="{slo.name}"}}'
    test = tmp_path / "slices.yaml"
    test.write_text(yaml.safe_dump({
        "rule_files": ["recording-rules.yaml", "alerting-rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "15s",
            "input_series": [
                {"series": 'http_requests_total{job="web",code="200"}',
                 "values": "0+100x80 8050+50x39 10100+100x119"},
                {"series": 'http_requests_total{job="web",code="500"}',
                 "values": "0+0x80 50+50x39 2000+0x119"}],
            "promql_expr_test": [
                {"expr": f"sum_over_time(slo:sli_errors:rate5m{ids}[60m])", "eval_time": "60m",
                 "exp_samples": [{"labels": ids, "value": 10}]},
                {"expr": f"sum_over_time(slo:sli_total:rate5m{ids}[60m])", "eval_time": "60m",
                 "exp_samples": [{"labels": ids, "value": 60}]},
                {"expr": f"slo:sli_errors:rate5m{ids}", "eval_time": "21m",
                 "exp_samples": [{"labels": f"slo:sli_errors:rate5m{ids}", "value": 1}]},
                {"expr": f"slo:sli_errors:rate5m{ids}", "eval_time": "31m",
                 "exp_samples": [{"labels": f"slo:sli_errors:rate5m{ids}", "value": 0}]},
            ]}]}, sort_keys=False))
    run = subprocess.run([promtool, "test", "rules", str(test)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_timeslices_variants_bad_metric_longer_slices_and_no_target(tmp_path: Path) -> None:
    src = with_queries(DATA / "timeslices-slo.yaml", tmp_path / "t.yaml")
    text = src.read_text().replace("        good:\n", "        bad:\n", 1)
    text = text.replace("timeSliceWindow: 1m # Rest", "timeSliceWindow: 5 # Rest")
    text = text.replace("      timeSliceTarget: 0.99\n      timeSliceWindow: 1m\n",
                        "      timeSliceWindow: 1m\n")
    src.write_text(text)
    result = invoke("import", "openslo", src.as_posix(), "--out", (tmp_path / "o").as_posix())
    assert result.exit_code == 0, result.output
    first, second = load_service(tmp_path / "o" / "web-availability.yaml").slos
    assert isinstance(first.sli, GaugeSLI)  # bad events: a slice is good when 1 - bad/total is
    assert first.sli.query == (f"1 - ({GOOD.replace('{{window}}', '5m')}) / "
                               f"({TOTAL.replace('{{window}}', '5m')})")
    assert "spec.objectives[0].timeSliceWindow: not imported: time slices of 5m: sre-gen " \
        "judges the trailing 5m at every rule evaluation (1m), so slices overlap" in result.stderr
    assert not isinstance(second.sli, GaugeSLI)  # no timeSliceTarget: occurrences, listed
    assert "spec.budgetingMethod: not imported: budgetingMethod Timeslices needs an " \
        "objective's timeSliceTarget in (0, 1] and a timeSliceWindow: imported as Occurrences" \
        in result.stderr
