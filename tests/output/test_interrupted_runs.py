"""`sre-gen generate` killed mid-write, specs read through symlinks, and services compiled and
written one at a time (through the real CLI, in subprocesses)."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from sre_gen.conventions import FLEET_DIR, OWNERSHIP_MANIFEST

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "autogen-review-bot.yaml"
SMALL = ROOT / "tests" / "specs" / "rules" / "ratio-30d-defaults.yaml"  # service "checkout"


def _run(cwd: Path, *args: str,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sre_gen", *args], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, **(env or {})})


FULL_RUN = {"SRE_GEN_NO_CACHE": "1"}  # write even when the output is up to date


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _hidden(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


def _example_copies(specs: Path, n: int) -> list[str]:
    """``n`` services with the example's output (118 files each), so writing takes a while."""
    specs.mkdir(parents=True)
    text = EXAMPLE.read_text()
    names = []
    for i in range(n):
        name = f"bot-{i}"
        (specs / f"{name}.yaml").write_text(
            text.replace("  name: autogen-review-bot\n", f"  name: {name}\n", 1))
        names.append(name)
    return names


def _kill_while_writing(cwd: Path, out: Path, deadline: float) -> bool:
    """Start `sre-gen generate`, SIGKILL it as soon as a hidden staging or old folder shows up
    in ``out``; True when it died leaving one behind."""
    # SRE_GEN_NO_CACHE: the spec is unchanged, and an up-to-date run would write nothing to kill
    proc = subprocess.Popen([sys.executable, "-m", "sre_gen", "generate"], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "SRE_GEN_NO_CACHE": "1"})
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if any(name.startswith(".") for name in os.listdir(out)):
                    proc.send_signal(signal.SIGKILL)
                    break
            except FileNotFoundError:
                pass
        proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode == -signal.SIGKILL and bool(_hidden(out))


def test_a_run_killed_mid_write_is_cleaned_up_by_the_next_run(tmp_path: Path) -> None:
    names = _example_copies(tmp_path / "specs", 2)
    out = tmp_path / "generated"
    first = _run(tmp_path, "generate")
    assert first.returncode == 0, first.stderr
    good = {name: _tree(out / name) for name in names}
    (out / names[0] / "NOTES.md").write_text("kept: not sre-gen's\n")  # a user file

    deadline = time.monotonic() + 600
    while not _kill_while_writing(tmp_path, out, deadline):
        assert time.monotonic() < deadline, "never caught generate while it was writing"
        for name in _hidden(out):  # a run that finished before the kill: try again
            shutil.rmtree(out / name)
    leftovers = _hidden(out)
    assert leftovers and all(n.endswith((".tmp", ".old")) for n in leftovers), leftovers

    again = _run(tmp_path, "generate")
    assert again.returncode == 0, again.stderr
    assert _hidden(out) == [], f"left behind: {_hidden(out)} (before: {leftovers})"
    assert "left by an interrupted run" in again.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([*names, FLEET_DIR])
    assert (out / names[0] / "NOTES.md").read_text() == "kept: not sre-gen's\n"
    for name in names:
        tree = _tree(out / name)
        tree.pop("NOTES.md", None)
        assert tree == good[name]


def test_killed_between_the_two_renames_the_old_output_is_restored(tmp_path: Path) -> None:
    """The state a kill between `rename(out/svc, .svc.old)` and `rename(.svc.X.tmp, out/svc)`
    leaves: the service folder is missing, its previous output (with a user file) is `.old`."""
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(SMALL, specs / SMALL.name)
    out = tmp_path / "generated"
    assert _run(tmp_path, "generate").returncode == 0
    (out / "checkout" / "mine.txt").write_text("user file\n")
    good = _tree(out / "checkout")
    os.rename(out / "checkout", out / ".checkout.old")
    staged = out / ".checkout.k9x_2abc.tmp"
    shutil.copytree(out / ".checkout.old", staged)

    again = _run(tmp_path, "generate")
    assert again.returncode == 0, again.stderr
    assert _hidden(out) == []
    assert _tree(out / "checkout") == good  # the user file survived


def test_only_folders_sre_gen_made_are_cleaned(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(SMALL, specs / SMALL.name)
    out = tmp_path / "generated"
    assert _run(tmp_path, "generate").returncode == 0
    # a user's folders whose names look like sre-gen's leftovers, without sre-gen's files
    (out / ".checkout.abcdefgh.tmp").mkdir()
    (out / ".checkout.abcdefgh.tmp" / "draft.yaml").write_text("my: draft\n")
    (out / ".checkout.old").mkdir()
    (out / ".checkout.old" / "backup.yaml").write_text("my: backup\n")
    # swapping needs .checkout.old: refused, kept (a full run: an up-to-date one swaps nothing)
    refused = _run(tmp_path, "generate", env=FULL_RUN)
    assert refused.returncode == 4
    assert "generated/.checkout.old is in the way and is not sre-gen's" in refused.stderr
    assert (out / ".checkout.old" / "backup.yaml").read_text() == "my: backup\n"
    assert _hidden(out) == [".checkout.abcdefgh.tmp", ".checkout.old"]
    shutil.rmtree(out / ".checkout.old")
    # other names: another service's leftovers, other patterns
    (out / ".billing.abcdefgh.tmp").mkdir()
    (out / ".billing.abcdefgh.tmp" / OWNERSHIP_MANIFEST).write_text("# Files sre-gen\n")
    (out / ".checkout.tmp").mkdir()
    # an interrupted write of this service: generated files only, no manifest yet
    partial = out / ".checkout.q1w2e3r4.tmp"
    (partial / "prometheus").mkdir(parents=True)
    shutil.copy(out / "checkout" / "prometheus" / "alerting-rules.yaml", partial / "prometheus")
    (partial / "prometheus" / "recording-rules.yaml").write_bytes(b"")  # killed at open()

    again = _run(tmp_path, "generate")
    assert again.returncode == 0, again.stderr
    assert _hidden(out) == [".billing.abcdefgh.tmp", ".checkout.abcdefgh.tmp", ".checkout.tmp"]
    assert (out / ".checkout.abcdefgh.tmp" / "draft.yaml").read_text() == "my: draft\n"
    assert again.stderr.count("left by an interrupted run") == 1


def test_a_spec_read_through_a_symlink_is_named_as_the_link(tmp_path: Path) -> None:
    """Headers name the spec as given (the link), relative to the repository root."""
    (tmp_path / "vendor" / "shared-specs").mkdir(parents=True)
    target = tmp_path / "vendor" / "shared-specs" / "checkout-v7.yaml"
    shutil.copy(SMALL, target)
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "checkout.yaml").symlink_to("../vendor/shared-specs/checkout-v7.yaml")
    want = "Generated by sre-gen from specs/checkout.yaml; do not edit."
    for args in (("generate",), ("generate", "specs/checkout.yaml"),
                 ("generate", str(tmp_path / "specs" / "checkout.yaml"))):
        proc = _run(tmp_path, *args)
        assert proc.returncode == 0, proc.stderr
        files = [p for p in (tmp_path / "generated" / "checkout").rglob("*") if p.is_file()]
        assert len(files) >= 10  # rules, dashboards, runbooks, alertmanager, kubernetes
        for path in files:
            text = path.read_text()
            if path.suffix in (".yaml", ".md"):
                head = text.removeprefix("# yamllint disable-file\n")
                assert want in head.split("\n", 1)[0], path
            assert "checkout-v7" not in text and "vendor" not in text, path
        assert _run(tmp_path, "check").returncode == 0


def test_generate_and_check_hold_one_service_in_memory_at_a_time(tmp_path: Path) -> None:
    """With one job, each service is compiled and staged on disk before the next one is compiled
    (memory grows with one service's output, not all of them; with more jobs a few services
    ahead, tests/test_parallel.py), and a failure in a later service removes what was staged:
    generated/ stays as it was."""
    specs = tmp_path / "specs"
    specs.mkdir()
    for i in range(4):
        (specs / f"svc-{i}.yaml").write_text(
            SMALL.read_text().replace("  name: checkout\n", f"  name: svc-{i}\n", 1))
    out = tmp_path / "generated"
    probe = tmp_path / "probe.py"
    probe.write_text(f"""
import os, sys
from pathlib import Path
from sre_gen import pipeline, entry
seen = []
real = pipeline.compile_service
def spy(service, ctx, *args, **kwargs):
    out = Path({str(out)!r})
    staged = sorted(n for n in os.listdir(out) if n.endswith(".tmp")) if out.is_dir() else []
    seen.append(f"{{service.name}}: {{len(staged)}} staged")
    if service.name == os.environ.get("FAIL_AT"):
        raise OSError(28, "No space left on device")
    return real(service, ctx, *args, **kwargs)
pipeline.compile_service = spy
sys.argv = ["sre-gen", *sys.argv[1:]]
try:
    entry.main()
finally:
    print("|".join(seen), file=sys.stderr)
""")

    def run(*args: str, fail_at: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(probe), *args], cwd=tmp_path,
                              capture_output=True, text=True,
                              env={**os.environ, **FULL_RUN, "FAIL_AT": fail_at,
                                   "SRE_GEN_JOBS": "1"})

    gen = run("generate")
    assert gen.returncode == 0, gen.stderr
    assert gen.stderr.strip().splitlines()[-1] == \
        "svc-0: 0 staged|svc-1: 1 staged|svc-2: 2 staged|svc-3: 3 staged"
    before = _tree(out)
    failed = run("generate", fail_at="svc-2")
    assert failed.returncode == 123 and "No space left" in failed.stderr
    assert _tree(out) == before and _hidden(out) == []
    check = run("check")
    assert check.returncode == 0, check.stdout + check.stderr
