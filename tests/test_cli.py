"""The command line: exit codes, messages, discovery, help; in-process (typer's CliRunner) and as
real processes (``python -m sre_gen`` and the ``sre-gen`` console script)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sre_gen import cli
from sre_gen.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = "specs/autogen-review-bot.yaml"
SCHEMA_FILE = ROOT / "sre_gen" / "schema" / "spec-v1.schema.json"
CORPUS = ROOT / "tests" / "specs" / "invalid"


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


def invoke(*args: str, **kwargs):
    return CliRunner().invoke(app, list(args), **kwargs)


def renamed_example(name: str) -> str:
    text = (ROOT / EXAMPLE).read_text(encoding="utf-8")
    old = "service:\n  name: autogen-review-bot\n"
    assert text.count(old) == 1
    return text.replace(old, f"service:\n  name: {name}\n")


# ---- validate ---------------------------------------------------------------------------------


def test_validate_example(at_root: Path) -> None:
    result = invoke("validate", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert re.fullmatch(rf"{re.escape(EXAMPLE)}: ok \(autogen-review-bot: \d+ SLOs\)\n",
                        result.stdout)
    assert result.stderr == ""


def test_validate_discovers_specs_from_the_repo_root(at_root: Path) -> None:
    expected = sorted(p.as_posix() for p in [*Path("specs").glob("*.yaml"),
                                             *Path("specs").glob("*.yml")])
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert [line.split(": ok ")[0] for line in result.stdout.splitlines()] == expected


def test_validate_discovers_yaml_and_yml_in_name_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "b.yaml").write_text(renamed_example("svc-b"), encoding="utf-8")
    (tmp_path / "specs" / "a.yml").write_text(renamed_example("svc-a"), encoding="utf-8")
    (tmp_path / "specs" / "notes.txt").write_text("not a spec")
    monkeypatch.chdir(tmp_path)
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert [line.split(" (")[0] for line in result.stdout.splitlines()] == [
        "specs/a.yml: ok", "specs/b.yaml: ok"]


def test_the_same_service_in_two_specs_is_invalid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "specs").mkdir()
    for name in ("one.yaml", "two.yaml"):
        (tmp_path / "specs" / name).write_text(renamed_example("svc"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke("validate")
    assert result.exit_code == 3
    assert result.stderr == (
        "specs/two.yaml:1:1: service.name: service 'svc' is also defined in specs/one.yaml\n"
        "invalid spec: 1 problem\n"
    )


def test_validate_without_specs_folder_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("validate")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: no spec given and no specs/ folder here: pass spec files, e.g. "
        "sre-gen validate specs/my-service.yaml\n"
    )
    assert result.stdout == ""


def test_validate_with_an_empty_specs_folder_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "specs").mkdir()
    monkeypatch.chdir(tmp_path)
    result = invoke("validate")
    assert result.exit_code == 2
    assert result.stderr == "error: no *.yaml spec in specs/\n"


def test_validate_missing_file(at_root: Path) -> None:
    result = invoke("validate", "specs/does-not-exist.yaml")
    assert result.exit_code == 3
    assert result.stderr == ("specs/does-not-exist.yaml:1:1: file not found\n"
                             "invalid spec: 1 problem\n")


def test_validate_a_directory(at_root: Path) -> None:
    result = invoke("validate", "specs")
    assert result.exit_code == 3
    assert result.stderr == "specs:1:1: is a directory, not a spec file\ninvalid spec: 1 problem\n"


def test_validate_reports_every_file_and_prints_nothing_for_the_valid_ones(at_root: Path) -> None:
    bad = "tests/specs/invalid/37-wrong-api-version.yaml"
    result = invoke("validate", EXAMPLE, bad)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (CORPUS / "37-wrong-api-version.err").read_text(encoding="utf-8")


def test_validate_names_a_file_outside_the_working_directory_by_its_path(
    tmp_path: Path, at_root: Path
) -> None:
    spec = tmp_path / "outside.yaml"
    spec.write_text("- 1\n")
    result = invoke("validate", str(spec))
    assert result.exit_code == 3
    assert result.stderr.startswith(f"{spec.as_posix()}:1:1: expected a mapping")


# ---- schema -----------------------------------------------------------------------------------


def test_schema_prints_the_packaged_schema() -> None:
    result = invoke("schema")
    assert result.exit_code == 0
    assert result.stdout == SCHEMA_FILE.read_text(encoding="utf-8")
    assert json.loads(result.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("flag", ["-o", "--output"])
def test_schema_to_a_file(tmp_path: Path, flag: str) -> None:
    out = tmp_path / "spec.schema.json"
    result = invoke("schema", flag, str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert out.read_bytes() == SCHEMA_FILE.read_bytes()


def test_schema_to_an_unwritable_place_is_an_environment_error(tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "spec.schema.json"
    result = invoke("schema", "-o", str(out))
    assert result.exit_code == 4
    assert result.stderr == f"error: cannot write {out}: No such file or directory\n"


# ---- help, version, usage ---------------------------------------------------------------------


def test_main_help_lists_every_exit_code() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    codes = text.split("Exit codes:", 1)[1]
    for code, meaning in [("0", "ok"), ("1", "check"), ("2", "usage"), ("3", "invalid spec"),
                          ("4", "environment"), ("123", "internal error")]:
        assert re.search(rf"\b{code} {meaning}", codes), f"exit code {code} is not explained"
    for command in _commands():
        assert command in result.stdout


def _commands() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)


def test_every_command_is_listed() -> None:
    assert {"validate", "schema", "generate", "check"} <= set(_commands())


@pytest.mark.parametrize("command", _commands())
def test_command_help_mentions_its_exit_codes(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert text.startswith(f"Usage: sre-gen {command} ")
    assert re.search(r"\bExit 0\b", text), f"{command} --help does not mention its exit codes"
    assert re.search(r"\b[1-4]\b when\b", text), f"{command} --help names no failure exit code"


def test_version() -> None:
    from importlib.metadata import version

    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"sre-gen {version('sre-gen')}\n"


def test_no_arguments_shows_usage() -> None:
    result = invoke()
    assert result.exit_code == 2
    assert "Usage: sre-gen [OPTIONS] COMMAND [ARGS]..." in result.output


def test_unknown_command_and_option_are_usage_errors() -> None:
    assert invoke("frobnicate").exit_code == 2
    assert invoke("validate", "--frobnicate").exit_code == 2


# ---- the error handler ------------------------------------------------------------------------


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


def test_internal_error_prints_no_traceback(at_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sre_gen import pipeline

    monkeypatch.delenv("SRE_GEN_DEBUG", raising=False)
    monkeypatch.setattr(pipeline, "load_services", _boom)
    result = invoke("validate", EXAMPLE)
    assert result.exit_code == 123
    assert result.stderr == (
        "internal error: RuntimeError: boom\n"
        "This is a bug in sre-gen; please report it with the spec that triggers it (run with "
        "--debug for the traceback).\n"
    )
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_debug_shows_the_traceback(at_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sre_gen import pipeline

    monkeypatch.setattr(pipeline, "load_services", _boom)
    result = invoke("--debug", "validate", EXAMPLE)
    assert result.exit_code == 123
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert "RuntimeError: boom\n" in result.stderr
    assert "internal error: RuntimeError: boom" in result.stderr


def test_debug_from_the_environment(at_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sre_gen import pipeline

    monkeypatch.setattr(pipeline, "load_services", _boom)
    result = invoke("validate", EXAMPLE, env={"SRE_GEN_DEBUG": "1"})
    assert result.exit_code == 123
    assert "Traceback (most recent call last):" in result.stderr


def test_debug_does_not_leak_into_the_next_run(
    at_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sre_gen import pipeline

    monkeypatch.delenv("SRE_GEN_DEBUG", raising=False)
    monkeypatch.setattr(pipeline, "load_services", _boom)
    invoke("--debug", "validate", EXAMPLE)
    assert "Traceback" not in invoke("validate", EXAMPLE).stderr
    assert cli._state["debug"] is False


def test_interrupt_exits_130(at_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sre_gen import pipeline

    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "load_services", interrupt)
    result = invoke("validate", EXAMPLE)
    assert result.exit_code == 130
    assert result.stderr == "interrupted\n"


# ---- real processes ---------------------------------------------------------------------------


def run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SRE_GEN_DEBUG"}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, encoding="utf-8",
                          env=env, timeout=120, check=False)


@pytest.mark.slow
def test_python_dash_m_validate() -> None:
    proc = run([sys.executable, "-m", "sre_gen", "validate", EXAMPLE])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{EXAMPLE}: ok (autogen-review-bot: ")
    assert proc.stderr == ""


@pytest.mark.slow
@pytest.mark.parametrize("name", ["02-unknown-key-did-you-mean", "31-binary-nul-bytes",
                                  "32-not-utf8"])
def test_python_dash_m_invalid_spec_matches_the_golden(name: str) -> None:
    rel = f"tests/specs/invalid/{name}.yaml"
    proc = run([sys.executable, "-m", "sre_gen", "validate", rel])
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert proc.stderr == (CORPUS / f"{name}.err").read_text(encoding="utf-8")


@pytest.mark.slow
def test_python_dash_m_without_specs_folder(tmp_path: Path) -> None:
    proc = run([sys.executable, "-m", "sre_gen", "validate"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "no specs/ folder here" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_python_dash_m_help() -> None:
    proc = run([sys.executable, "-m", "sre_gen", "--help"])
    assert proc.returncode == 0
    assert "123 internal error" in " ".join(proc.stdout.split())


def _console_script() -> Path:
    script = Path(sys.executable).parent / ("sre-gen.exe" if os.name == "nt" else "sre-gen")
    if not script.exists():
        pytest.skip("the sre-gen console script is not installed next to this Python")
    return script


@pytest.mark.slow
def test_console_script() -> None:
    script = _console_script()
    proc = run([str(script), "validate", EXAMPLE])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{EXAMPLE}: ok ")
    help_proc = run([str(script), "validate", "--help"])
    assert help_proc.returncode == 0
    assert "Exit 0 when valid, 3 when not" in " ".join(help_proc.stdout.split())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["03-misspelt-enum", "09-unreachable-tier",
                                  "25-yaml-unclosed-quote", "29-empty", "32-not-utf8"])
def test_console_script_invalid_spec_matches_the_golden(name: str) -> None:
    """The console script may take a fast path around typer; its stderr is the same."""
    proc = run([str(_console_script()), "validate", f"tests/specs/invalid/{name}.yaml"])
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert proc.stderr == (CORPUS / f"{name}.err").read_text(encoding="utf-8")


@pytest.mark.slow
def test_console_script_schema(tmp_path: Path) -> None:
    script = _console_script()
    out = tmp_path / "schema.json"
    proc = run([str(script), "schema", "-o", str(out)])
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == SCHEMA_FILE.read_bytes()
    printed = run([str(script), "schema"])
    assert printed.stdout == SCHEMA_FILE.read_text(encoding="utf-8")


def _complete(words: str, cword: int) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "SRE_GEN_DEBUG"}
    env.update({"_SRE_GEN_COMPLETE": "complete_bash", "COMP_WORDS": words,
                "COMP_CWORD": str(cword)})
    proc = subprocess.run([str(_console_script())], cwd=ROOT, capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split()


@pytest.mark.slow
def test_console_script_shows_its_completion_script() -> None:
    """``--show-completion`` prints the script for the shell it runs in (here bash)."""
    proc = run(["bash", "-c", f"'{_console_script()}' --show-completion"])
    assert proc.returncode == 0, proc.stderr
    assert "complete -o default -F _sre_gen_completion sre-gen" in proc.stdout


@pytest.mark.slow
def test_console_script_completes_commands_and_options() -> None:
    """What the completion script asks the console script for (the fast path leaves it to
    typer): commands, then a command's options."""
    assert _complete("sre-gen val", 1) == ["validate"]
    assert set(_complete("sre-gen ", 1)) >= {"validate", "schema", "generate", "check", "test"}
    assert "--out" in _complete("sre-gen generate --o", 2)
