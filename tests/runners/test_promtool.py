"""The promtool wrapper and `sre-gen test`, with the real promtool (a fake one only stands in for
a hanging binary and for a missing one)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sre_gen import errors
from sre_gen.runners import promtool as runner

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "autogen-review-bot.yaml"
SMALL = ROOT / "tests" / "specs" / "rules" / "low-traffic-guard.yaml"


def _cli(*args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "sre_gen", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env={**os.environ, **(env or {})})


def _fake(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "fake-promtool"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


# ---- the wrapper --------------------------------------------------------------------------------


def test_finds_promtool_on_path_and_reports_its_version(promtool) -> None:
    tool = runner.find()
    assert Path(tool.path).resolve() == Path(promtool).resolve()
    assert tool.version().startswith("2.")


def test_explicit_path_wins_over_the_environment(promtool, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(runner.ENV_VAR, str(tmp_path / "nowhere"))
    assert runner.find(promtool).path == promtool
    with pytest.raises(errors.EnvironmentProblem, match="from PROMTOOL"):
        runner.find()
    monkeypatch.setenv(runner.ENV_VAR, promtool)
    assert runner.find().path == promtool


def test_missing_promtool_explains_how_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv(runner.ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(errors.EnvironmentProblem) as exc:
        runner.find()
    assert "apt-get install prometheus" in str(exc.value)
    assert exc.value.exit_code == errors.EXIT_ENVIRONMENT
    not_executable = tmp_path / "promtool"
    not_executable.write_text("")
    with pytest.raises(errors.EnvironmentProblem, match="not found at"):
        runner.find(not_executable)


def test_failure_carries_command_code_and_output(promtool, tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("groups:\n  - name: g\n    rules:\n      - record: x\n        expr: sum(\n")
    with pytest.raises(errors.ToolFailed) as exc:
        runner.find(promtool).check_rules(bad)
    assert exc.value.command == [promtool, "check", "rules", str(bad)]
    assert exc.value.returncode == 1
    assert "bad.yaml" in exc.value.output and "FAILED" in exc.value.output
    assert exc.value.exit_code == errors.EXIT_FAILED
    result = runner.find(promtool).run("check", "rules", str(bad), check=False)
    assert not result.ok and result.returncode == 1


def test_timeout_is_an_environment_problem(tmp_path) -> None:
    fake = _fake(tmp_path, "sleep 30")
    with pytest.raises(errors.EnvironmentProblem, match="did not finish within 0.2 s"):
        runner.find(fake, timeout=0.2).run("test", "rules", "x.yaml")
    for bad in (0, -1.5, float("nan"), float("inf"), 1e308):
        with pytest.raises(errors.UsageError, match="--timeout must be a number of seconds"):
            runner.find(fake, timeout=bad)


def test_exit_0_without_success_lines_is_a_failure(tmp_path) -> None:
    silent = runner.find(_fake(tmp_path, "exit 0"))
    with pytest.raises(errors.ToolFailed) as exc:
        silent.check_rules("a.yaml")
    assert exc.value.returncode == 0 and "printed no output" in exc.value.reason
    result = silent.test_rules("t.yaml", check=False)
    assert not result.ok and "did not confirm that it ran" in result.reason
    liar = runner.find(_fake(tmp_path, 'echo "Unit Testing:  other.yaml"; echo "  SUCCESS"'))
    assert "without a SUCCESS line for t.yaml" in liar.test_rules("t.yaml", check=False).reason


def test_real_promtool_output_confirms_success(promtool, tmp_path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text("groups:\n  - name: g\n    rules:\n      - record: x\n        expr: up\n")
    test = tmp_path / "t.yaml"
    test.write_text(yaml.safe_dump({"rule_files": [str(rules)], "tests": [{
        "interval": "1m", "input_series": [{"series": "up", "values": "1x3"}],
        "promql_expr_test": [{"expr": "x", "eval_time": "1m",
                              "exp_samples": [{"labels": "x", "value": 1}]}]}]}))
    tool = runner.find(promtool)
    assert tool.check_rules(rules).ok
    assert tool.test_rules(test).ok


def test_huge_output_is_clipped_to_head_and_tail(tmp_path) -> None:
    from sre_gen.runners import capture

    noisy = runner.find(_fake(tmp_path, "echo FIRST; yes 0123456789 | head -c 30000000; "
                                        "echo; echo LAST; exit 3"))
    with pytest.raises(errors.ToolFailed) as exc:
        noisy.check_rules("a.yaml")
    text = str(exc.value)
    assert len(text.encode()) < capture.HEAD_BYTES + capture.TAIL_BYTES + 1000
    assert text.count("\nFIRST\n") == 1 and text.rstrip().endswith("LAST")
    assert "bytes of output not shown" in text
    # ToolFailed clips whatever it is given, too
    assert len(errors.ToolFailed(["x"], 1, "y" * 10_000_000).output) < 40_000


# ---- sre-gen test -------------------------------------------------------------------------------


def _generate(spec: Path, out: Path) -> None:
    proc = _cli("generate", str(spec), "--out", str(out))
    assert proc.returncode == 0, proc.stderr


def _proofs(spec: Path) -> tuple[int, int]:
    """(test files, test groups) sre-gen generates for ``spec``'s proofs."""
    from sre_gen import proofs
    from sre_gen.spec import load_service

    files = proofs.test_files(load_service(spec), whole_rule_files=False)
    return len(files), sum(len(f.groups) for f in files)


@pytest.mark.slow
def test_sre_gen_test_passes_on_the_generated_example(tmp_path: Path, promtool) -> None:
    """The example spec's generated output passes with the real promtool; the proofs are
    generated when the test runs, none is checked in."""
    out = tmp_path / "generated"
    _generate(EXAMPLE, out)
    assert not (out / "autogen-review-bot" / "prometheus" / "tests").exists()
    proc = _cli("test", str(EXAMPLE), "--out", str(out), "--promtool", promtool)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    files, groups = _proofs(EXAMPLE)
    assert files > 40 and groups > 150
    assert f"{files} test file(s), {groups} test group(s): {files} passed, 0 failed" \
        in proc.stdout
    assert "rules ok: 2 file(s)" in proc.stdout
    assert "warning" not in proc.stderr  # no untested alert in the example
    assert proc.stdout.count("\nok ") == files


def test_keep_leaves_the_proofs_and_each_reads_only_its_groups(tmp_path: Path, promtool) -> None:
    """``--keep DIR``: the proofs stay for the user to read and rerun with promtool; each test
    file reads only the checked-in groups of the part it proves."""
    out, keep = tmp_path / "generated", tmp_path / "proofs"
    _generate(SMALL, out)
    proc = _cli("test", str(SMALL), "--out", str(out), "--promtool", promtool, "--keep", str(keep))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tests = sorted((keep / "admin" / "tests").glob("*.yaml"))
    assert len(tests) == _proofs(SMALL)[0]
    login = yaml.safe_load((keep / "admin" / "tests" / "login.yaml").read_text())
    assert login["rule_files"] == ["../rules/login.yaml"]
    groups = yaml.safe_load((keep / "admin" / "rules" / "login.yaml").read_text())["groups"]
    assert {g["name"] for g in groups} == set(login["group_eval_order"])
    assert all(":slo:login:" in g["name"] for g in groups)
    rerun = subprocess.run([promtool, "test", "rules", *map(str, tests)], capture_output=True,
                           text=True)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    # a folder that is not empty is refused: the proofs would be mixed with other files
    proc = _cli("test", str(SMALL), "--out", str(out), "--promtool", promtool, "--keep", str(keep))
    assert proc.returncode == 2 and "--keep" in proc.stderr and "not an empty folder" in proc.stderr


def _variant(tmp_path: Path, settings: str) -> Path:
    spec = tmp_path / "specs" / "admin.yaml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(SMALL.read_text().replace("service:\n  name: admin\n",
                                              f"service:\n  name: admin\nsettings: {settings}\n"))
    return spec


@pytest.mark.parametrize("settings, written", [
    ("{ writePromtoolTests: true }", ["alerting-rules.yaml", "recording-rules.yaml", "tests"]),
    ("{ ruleFormat: prometheusRule }", ["prometheusrule.yaml"]),
    ("{ ruleFormat: both, writePromtoolTests: true }",
     ["alerting-rules.yaml", "prometheusrule.yaml", "recording-rules.yaml", "tests"]),
])
def test_rule_formats_and_written_proofs_all_pass(tmp_path: Path, promtool, settings,
                                                  written) -> None:
    """What is written follows ruleFormat and writePromtoolTests, and sre-gen test proves the
    rules in whichever form is checked in."""
    spec = _variant(tmp_path, settings)
    out = tmp_path / "generated"
    _generate(spec, out)
    assert sorted(p.name for p in (out / "admin" / "prometheus").iterdir()) == written
    proc = _cli("test", str(spec), "--out", str(out), "--promtool", promtool)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files, groups = _proofs(SMALL)
    assert f"{files} test file(s), {groups} test group(s): {files} passed" in proc.stdout
    if "writePromtoolTests" in settings:  # the checked-in tests run, as reviewed
        assert f"ok     {out.as_posix()}/admin/prometheus/tests/login.yaml:" in proc.stdout
        assert len(list((out / "admin" / "prometheus" / "tests").glob("*.yaml"))) == files
    else:
        assert "ok     admin: proofs/login.yaml:" in proc.stdout
    assert "rules ok: " in proc.stdout


@pytest.mark.slow
def test_user_tests_next_to_the_spec_run_against_the_generated_rules(tmp_path: Path,
                                                                     promtool) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    spec = specs / "admin.yaml"
    shutil.copy(SMALL, spec)
    user = specs / "admin.tests"
    user.mkdir()
    # rule_files is replaced by the generated files, whatever the user wrote
    (user / "fast-burn.yaml").write_text(yaml.safe_dump({
        "rule_files": ["recording-rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [{
            "name": "a total outage pages",
            "interval": "1m",
            "input_series": [
                {"series": 'admin_requests_total', "values": "0+600x70"},
                {"series": 'admin_errors_total', "values": "0+600x70"},
            ],
            "promql_expr_test": [{
                "expr": 'count(ALERTS{alertname="AdminAvailabilityErrorBudgetBurn",'
                        'alertstate="firing"})',
                "eval_time": "65m",
                "exp_samples": [{"labels": "{}", "value": 1}],
            }],
        }],
    }))
    out = tmp_path / "generated"
    _generate(spec, out)
    proc = _cli("test", str(spec), "--out", str(out), "--promtool", promtool)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"ok     {spec.parent.as_posix()}/admin.tests/fast-burn.yaml (user test): " \
           "1 test group(s)" in proc.stdout
    # a failing user test fails the run and shows promtool's own output
    (user / "wrong.yaml").write_text((user / "fast-burn.yaml").read_text().replace(
        "value: 1", "value: 7"))
    proc = _cli("test", str(spec), "--out", str(out), "--promtool", promtool, "--jobs", "1")
    assert proc.returncode == 1
    assert "FAILED " in proc.stdout and "wrong.yaml" in proc.stdout
    assert "exp: {} 7E+00" in proc.stderr  # promtool's report, indented
    assert "1 failed" in proc.stdout


def test_stale_or_missing_output_asks_for_generate(tmp_path: Path, promtool) -> None:
    out = tmp_path / "generated"
    proc = _cli("test", str(SMALL), "--out", str(out), "--promtool", promtool)
    assert proc.returncode == 1
    assert "run `sre-gen generate --out" in proc.stderr and "missing: " in proc.stderr
    _generate(SMALL, out)
    rules_file = out / "admin" / "prometheus" / "alerting-rules.yaml"
    rules_file.write_text(rules_file.read_text().replace("> 14.4", "> 1.44"))
    proc = _cli("test", str(SMALL), "--out", str(out), "--promtool", promtool)
    assert proc.returncode == 1
    assert "changed: " in proc.stderr and "alerting-rules.yaml" in proc.stderr


def test_missing_promtool_exits_4_with_an_install_hint(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    _generate(SMALL, out)
    proc = _cli("test", str(SMALL), "--out", str(out), "--promtool", str(tmp_path / "none"))
    assert proc.returncode == 4
    assert "apt-get install prometheus" in proc.stderr


def test_timeout_exits_4(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    _generate(SMALL, out)
    fake = _fake(tmp_path, 'case "$1" in --version) echo "promtool, version 9.9.9";; '
                           '*) sleep 30;; esac')
    proc = _cli("test", str(SMALL), "--out", str(out), "--promtool", str(fake), "--timeout",
                "0.5")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "did not finish within 0.5 s" in proc.stderr


def test_untested_alerts_are_listed_as_warnings(tmp_path: Path, promtool) -> None:
    spec = ROOT / "tests" / "specs" / "rules" / "escaping.yaml"
    out = tmp_path / "generated"
    _generate(spec, out)
    proc = _cli("test", str(spec), "--out", str(out), "--promtool", promtool)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning: untested alert: Hostile (add tests: to the spec)" in proc.stderr
    assert "1 alert(s) untested" in proc.stdout


# ---- a broken promtool, huge output, bad --timeout (through the real CLI) ----------------------

_CHECK_OK = ('case "$1" in --version) echo "promtool, version 2.42.0";; '
             'check) shift 2; for f in "$@"; do echo "Checking $f"; '
             'echo "  SUCCESS: 1 rules found"; echo; done;; '
             'test) {test};; esac')


def test_a_promtool_that_exits_0_silently_passes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    _generate(SMALL, out)
    n = _proofs(SMALL)[0]
    silent = _fake(tmp_path, "exit 0")
    proc = _cli("test", str(SMALL), "--out", str(out), "--promtool", str(silent))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED promtool check rules: exit 0" in proc.stderr
    assert "printed no output: it did not confirm that it ran" in proc.stderr
    assert f"command: {silent} check rules " in proc.stderr
    (tmp_path / "t").mkdir()
    no_tests = _fake(tmp_path / "t", _CHECK_OK.format(test="exit 0"))
    proc = _cli("test", str(SMALL), "--out", str(out), "--promtool", str(no_tests))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "rules ok: 2 file(s)" in proc.stdout
    assert proc.stdout.count("\nFAILED ") == n and "\nok " not in proc.stdout
    assert proc.stderr.count("    exit code: 0\n    failed: promtool exited 0 but printed no "
                             "output") == n
    assert f"    command: {no_tests} test rules " in proc.stderr
    assert proc.stderr.count("/admin/tests/") == n  # the proofs, generated in a temporary folder
    assert f"{n} test file(s)" in proc.stdout and f"0 passed, {n} failed" in proc.stdout


def test_30_mb_of_tool_output_is_clipped(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    _generate(SMALL, out)
    n = _proofs(SMALL)[0]
    noisy = _fake(tmp_path, _CHECK_OK.format(
        test="echo FIRST; yes 'promtool says' | head -c 30000000; echo LAST; exit 1"))
    proc = _cli("test", str(SMALL), "--out", str(out), "--promtool", str(noisy), "--jobs", "1")
    assert proc.returncode == 1
    assert proc.stderr.count("bytes of output not shown") == n
    assert len(proc.stderr) < n * 100_000  # 2 x 16 KiB per file, plus indentation
    assert proc.stderr.count("        FIRST\n") == n and proc.stderr.count("LAST\n") == n
    assert "exit code: 1" in proc.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "1e308"])
def test_a_timeout_that_is_not_a_duration_is_a_usage_error(tmp_path: Path, value: str) -> None:
    out = tmp_path / "generated"
    proc = _cli("test", str(SMALL), "--out", str(out), f"--timeout={value}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert "error: --timeout must be a number of seconds greater than 0 and at most 86400" \
        in proc.stderr
