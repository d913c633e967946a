"""`--format text|github|json` of validate and check, through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "specs" / "rules" / "ratio-30d-defaults.yaml"


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sre_gen", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "XDG_CACHE_HOME": str(cwd / "cache")})


def _repo(tmp_path: Path, text: str | None = None) -> Path:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "checkout.yaml").write_text(text or SMALL.read_text())
    return tmp_path


def _misspelt(tmp_path: Path) -> Path:
    text = SMALL.read_text().replace("objective:", "objectve:", 1)
    assert text != SMALL.read_text()
    text = text.replace("service:\n", "service:\n  'own,er:x': 1\n", 1)
    return _repo(tmp_path, text)


def test_json_of_a_valid_spec_and_of_its_warnings(tmp_path: Path) -> None:
    text = SMALL.read_text().replace(
        "service:\n", "settings: { prometheusRuleLabels: { release: prom } }\nservice:\n", 1)
    repo = _repo(tmp_path, text)
    proc = _cli(repo, "validate", "--format", "json")
    assert proc.returncode == 0 and proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True and doc["exit_code"] == 0 and doc["drift"] == []
    assert doc["services"] == [{"spec": "specs/checkout.yaml", "service": "checkout", "slos": 1}]
    [warning] = doc["problems"]
    assert warning["severity"] == "warning" and warning["path"] == "settings.prometheusRuleLabels"
    assert warning["file"] == "specs/checkout.yaml" and warning["line"] == 3  # the settings line
    assert "ruleFormat is files" in warning["message"]


def test_json_and_github_of_an_invalid_spec(tmp_path: Path) -> None:
    repo = _misspelt(tmp_path)
    text = _cli(repo, "validate")
    assert text.returncode == 3
    lines = text.stderr.splitlines()
    proc = _cli(repo, "validate", "--format", "json")
    assert proc.returncode == 3 and proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert doc["ok"] is False and doc["exit_code"] == 3
    assert [f"{p['file']}:{p['line']}:{p['column']}: {p['path']}: {p['message']}"
            for p in doc["problems"]] == lines[:-1]
    assert any("did you mean 'objective'? it is required" in p["message"]
               for p in doc["problems"])
    gh = _cli(repo, "validate", "--format", "github")
    assert gh.returncode == 3 and gh.stdout == ""
    annotations = [ln for ln in gh.stderr.splitlines() if ln.startswith("::")]
    assert len(annotations) == len(doc["problems"])
    for p, line in zip(doc["problems"], annotations):
        assert line.startswith(f"::error file=specs/checkout.yaml,line={p['line']},"
                               f"col={p['column']},title=")
    # a key with ',' and ':' in the title is escaped, the message keeps them
    [odd] = [ln for ln in annotations if "own%2Cer" in ln]
    assert ",title=service.own%2Cer%3Ax::" in odd
    assert odd.split("::", 2)[2].startswith("unknown key 'own,er:x'")
    assert gh.stderr.splitlines()[-1] == text.stderr.splitlines()[-1]  # the text summary


def test_check_drift_as_json_and_github(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    assert _cli(repo, "generate").returncode == 0
    rules = repo / "generated" / "checkout" / "prometheus" / "alerting-rules.yaml"
    rules.write_text(rules.read_text() + "# edited\n")
    shutil.rmtree(repo / "generated" / "checkout" / "runbooks")
    proc = _cli(repo, "check", "--format", "json")
    assert proc.returncode == 1 and proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert {"kind": "changed", "path": "generated/checkout/prometheus/alerting-rules.yaml"} \
        in doc["drift"]
    assert {d["kind"] for d in doc["drift"]} == {"changed", "missing"}
    gh = _cli(repo, "check", "--format", "github")
    assert gh.returncode == 1
    assert ("::error file=generated/checkout/prometheus/alerting-rules.yaml,title=changed::"
            in gh.stderr)
    assert "changed: generated/checkout/prometheus/alerting-rules.yaml" in gh.stdout
    assert _cli(repo, "generate").returncode == 0
    ok = _cli(repo, "check", "--format", "json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True


def test_errors_without_a_position_and_a_bad_format(tmp_path: Path) -> None:
    proc = _cli(tmp_path, "validate", "--format", "json")  # no specs/ here
    assert proc.returncode == 2 and proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert doc["exit_code"] == 2 and "no spec given" in doc["error"]
    gh = _cli(tmp_path, "validate", "--format", "github")
    assert gh.returncode == 2 and gh.stderr.startswith("::error::no spec given")
    bad = _cli(tmp_path, "validate", "--format", "yaml")
    assert bad.returncode == 2
    assert "'yaml' is not one of text, github, json" in bad.stderr
