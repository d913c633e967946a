"""OpenSLO's time-slice samples (examples/budgeting-method/ratio-timeslices.yaml and
timeslices-slo.yaml) read the placeholder query ``Any`` as good and total, so they import nothing
(tests/importers/test_import_cli.py). With real Prometheus queries put in their place (line for
line, so every line number stays the sample's), each imports, validates, generates and passes
``sre-gen test``, and every part sre-gen does not support is reported at its line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sre_gen.cli import app
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
    "timeslices-slo.yaml": {
        (28, "spec.timeWindow[0]", "calendar windows are not supported (sre-gen's windows roll)"),
        (28, "spec.timeWindow[0]", "a 1m window is shorter than the 1h sre-gen accepts"),
        (33, "spec.budgetingMethod", "budgetingMethod Timeslices: sre-gen budgets by "
         "occurrences"),
        (36, "spec.objectives[0].op", "op gt compares threshold metrics"),
        (38, "spec.objectives[0].timeSliceTarget", "sre-gen does not budget by time slices"),
        (39, "spec.objectives[0].timeSliceWindow", "sre-gen does not budget by time slices"),
        (42, "spec.objectives[1].timeSliceTarget", "sre-gen does not budget by time slices"),
        (43, "spec.objectives[1].timeSliceWindow", "sre-gen does not budget by time slices"),
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
        assert slo.sli.events_are_good and slo.sli.events.selector.metric == "http_requests_total"
    out = tmp_path / "generated"
    assert invoke("validate", spec.as_posix()).exit_code == 0
    assert invoke("generate", spec.as_posix(), "--out", out.as_posix()).exit_code == 0
    run = invoke("test", spec.as_posix(), "--out", out.as_posix())
    assert run.exit_code == 0, run.output
    assert " 0 failed" in run.stdout and "untested" not in run.output
