"""The benchmarks' inputs are valid; the speed-ups they led to change nothing: the CLI fast path
(sre_gen.entry) behaves exactly like the typer CLI, and sre_gen.output.fastyaml writes the same
bytes as yaml.dump. No timing here: speed is measured only by bench/*.py."""

from __future__ import annotations

import itertools

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sre_gen import entry, pipeline
from sre_gen.model import GaugeSLI, LatencySLI, RatioSLI

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SPEC = ROOT / "specs" / "autogen-review-bot.yaml"
INVALID_SPECS = Path(__file__).resolve().parent / "specs" / "invalid"
sys.path.insert(0, str(ROOT / "bench"))
import specgen  # noqa: E402


def test_scale_specs_are_valid_and_cover_every_sli_kind(tmp_path: Path) -> None:
    paths = specgen.write_scale_specs(tmp_path, 3)
    services = pipeline.load_services(paths)
    assert [s.name for s in services] == [specgen.service_name(i) for i in range(3)]
    for svc in services:
        assert len(svc.slos) == 5
        kinds = {type(slo.sli) for slo in svc.slos}
        assert kinds == {RatioSLI, LatencySLI, GaugeSLI}
        ratios = [slo.sli for slo in svc.slos if isinstance(slo.sli, RatioSLI)]
        assert any(r.events.selector is not None and not r.events_are_good for r in ratios)
        assert any(r.events.query is not None and "{{window}}" in r.events.query for r in ratios)
        assert any(r.events_are_good for r in ratios)
        assert pipeline.compile_service(svc, pipeline.Context())


@pytest.mark.parametrize("layout", specgen.LAYOUTS)
def test_cost_spec_matches_sloth_windows(tmp_path: Path, layout: str) -> None:
    path = tmp_path / "cost.yaml"
    path.write_text(yaml.safe_dump(specgen.cost_spec(3, layout), sort_keys=False))
    (svc,) = pipeline.load_services([path])
    for slo in svc.slos:
        windows = {(t.short_window, t.long_window, float(t.burn_rate)) for t in slo.tiers}
        assert windows == {(300, 3600, 14.4), (1800, 21600, 6.0), (7200, 86400, 3.0),
                           (21600, 259200, 1.0)}
        assert slo.window == 30 * 86400
        assert slo.min_event_rate is None
    assert not svc.policy.alerts.exhausted_enabled
    assert not svc.policy.alerts.absent_enabled


@pytest.mark.slow
@pytest.mark.parametrize("layout", specgen.LAYOUTS)
def test_sloth_rules_pass_promtool(tmp_path: Path, layout: str, promtool: str) -> None:
    rules = specgen.sloth_rules(2, layout)
    assert len(rules["groups"]) == 6
    assert [len(g["rules"]) for g in rules["groups"][:3]] == [8, 7, 2]  # 17 rules per SLO
    path = tmp_path / "sloth.yaml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False))
    proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---- the CLI fast path (sre_gen.entry) ----------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["validate"], ["validate", "a.yaml", "b.yaml"], ["generate"], ["generate", "a.yaml"],
    ["generate", "a.yaml", "--out", "o"], ["generate", "-o", "o", "a.yaml"],
    ["generate", "--out=o", "a.yaml"],
])
def test_fast_path_takes_plain_forms(argv: list[str]) -> None:
    assert entry.fast_action(argv) is not None


@pytest.mark.parametrize("argv", [
    [], ["--help"], ["--version"], ["--debug", "validate"], ["validate", "--help"],
    ["validate", "-"], ["validate", "--", "a.yaml"], ["validate", ""], ["check"], ["schema"],
    ["generate", "--templates", "t"], ["generate", "--out", "a", "--out", "b"],
    ["generate", "--out"], ["generate", "-oo"], ["generate", "--out", "--help"], ["test"],
])
def test_everything_else_goes_to_typer(argv: list[str]) -> None:
    assert entry.fast_action(argv) is None


def _run(module_main: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    code = f"import sys; sys.argv = ['sre-gen', *sys.argv[1:]]; from {module_main} import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                          text=True)


@pytest.mark.slow
def test_fast_path_matches_typer(tmp_path: Path) -> None:
    invalid = sorted(INVALID_SPECS.glob("*.yaml"))[:2]
    one_slo = tmp_path / "one-slo.yaml"
    one_slo.write_text(yaml.safe_dump(specgen.cost_spec(1), sort_keys=False))
    cases = [
        ["validate", str(EXAMPLE_SPEC)],
        ["validate", str(one_slo), str(EXAMPLE_SPEC)],
        ["generate", str(one_slo), "--out=OUT"],
        ["validate", *map(str, invalid)],
        ["validate", str(tmp_path / "missing.yaml")],
        ["validate"],  # no specs/ folder in tmp_path: a usage error
        ["generate", str(EXAMPLE_SPEC), "--out", "OUT"],
        ["generate", str(invalid[0]), "-o", "OUT"],
    ]
    for args in cases:
        results = []
        for module in ("sre_gen.entry", "sre_gen.cli"):
            out = tmp_path / module
            out.mkdir(exist_ok=True)
            argv = [a.replace("OUT", str(out / "gen")) for a in args]
            proc = _run(module, argv, tmp_path)
            files = sorted((p.relative_to(out).as_posix(), p.read_bytes())
                           for p in out.rglob("*") if p.is_file())
            results.append((proc.returncode, proc.stdout.replace(str(out), "<out>"),
                            proc.stderr.replace(str(out), "<out>"), files))
        assert results[0] == results[1], args
        assert results[0][0] in (0, 2, 3), results[0]


# ---- sre_gen.output.fastyaml: the same bytes as yaml.dump ---------------------------------------
def _both(data):
    """fastyaml with yamlfmt's dumper, and plain yaml.dump with the same dumper minus its
    speed-ups (PyYAML's own analyze_scalar and writers)."""
    from yaml.emitter import Emitter

    from sre_gen.output import fastyaml, yamlfmt

    class Reference(yamlfmt._Dumper):
        analyze_scalar = Emitter.analyze_scalar
        write_plain = Emitter.write_plain
        write_single_quoted = Emitter.write_single_quoted
        write_literal = Emitter.write_literal

    fast = fastyaml.dump(data, yamlfmt._Dumper, direct=True, **yamlfmt._OPTIONS)
    driver = fastyaml.dump(data, yamlfmt._Dumper, **yamlfmt._OPTIONS)
    slow = yaml.dump(data, Dumper=Reference, **yamlfmt._OPTIONS)
    assert driver == slow
    return fast, slow


def _direct_writes(data) -> bool:
    """Whether fastyaml's direct writer handles ``data`` itself (no fallback to the driver)."""
    import io

    from sre_gen.output import fastyaml, yamlfmt

    d = yamlfmt._Dumper(io.StringIO(), **yamlfmt._OPTIONS)
    d.tag_prefixes = d.DEFAULT_TAG_PREFIXES.copy()
    try:
        fastyaml._Direct(d).document(data)
        return True
    except fastyaml.Unsupported:
        return False


def test_fastyaml_matches_pyyaml_on_generated_files(tmp_path: Path, monkeypatch) -> None:
    from sre_gen.output import yamlfmt

    documents = []
    real = yamlfmt.dump
    monkeypatch.setattr(yamlfmt, "dump", lambda data: documents.append(data) or real(data))
    paths = [EXAMPLE_SPEC, *specgen.write_scale_specs(tmp_path, 2)]
    for svc in pipeline.load_services(paths):
        pipeline.compile_service(svc, pipeline.Context())
    assert len(documents) > 5
    for data in documents:
        fast, slow = _both(data)
        assert fast == slow
    # the direct writer (not its fallback) writes nearly all of them: what makes it fast
    assert sum(map(_direct_writes, documents)) >= 0.9 * len(documents)


TRICKY = ["", " ", "yes", "No", "null", "~", "1", "1.0", "0x1f", "1e3", ".inf", "2024-01-01",
          "- x", "a: b", "#c", "x #y", "{a}", "[b]", "'q'", '"dq"', "a\nb", "a\n", "\n", " a",
          "a ", "tab\t", "x\r\ny", "é ü ✓", "\u2028", "\x85", "\ufeff", "line1\n\n  line3",
          "k: v\n- item", "|", ">", "&a", "*b", "!t", "%", "@", "`", "x" * 130, ("word " * 30),
          "it's", "'", "a 'b' c", "\n\na\n\n", "a\n\n\n", " x\ny", "x\n y", "a\u2028b\nc",
          "a b " * 3000, "it's a\nb " * 1500, "x: y " * 2500, "q'" * 6000]


def test_fastyaml_matches_pyyaml_on_tricky_scalars() -> None:
    for s in TRICKY:
        data = {"key": s, s or "e": [s, {"n": s}], "list": [[s], {}], "nums": [0, -1, 2.5, True,
                                                                              None]}
        fast, slow = _both(data)
        assert fast == slow, repr(s)
        for root in (s, [s], {s: s}):
            fast, slow = _both(root)
            assert fast == slow, repr(root)


def test_fastyaml_matches_pyyaml_on_random_data() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    scalars = (st.sampled_from(TRICKY) | st.text(max_size=40) | st.integers()
               | st.floats(allow_nan=False) | st.booleans() | st.none())
    data = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=12) | st.sampled_from(TRICKY), inner,
                                          max_size=4), max_leaves=25)

    @settings(max_examples=300, deadline=None)
    @given(data)
    def check(value):
        fast, slow = _both(value)
        assert fast == slow

    check()


def test_scalar_analysis_matches_pyyaml() -> None:
    """yamlfmt.analyze (regular expressions) gives PyYAML's analyze_scalar flags for any text:
    the characters that matter to YAML (indicators, whitespace, breaks, BOM, surrogate and
    private ranges) are drawn often."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from yaml import SafeDumper

    from sre_gen.output import yamlfmt

    alphabet = list("#,[]{}&*!|>'\"%@`?:- \t\r\n\x00\x85\u2028\u2029\ufeff\xa0\ud7ff\ue000"
                    "\ufffd\ufffe\U0001f600\U0010ffff.x")
    emitter = {u: SafeDumper(None, allow_unicode=u) for u in (True, False)}
    for n in range(4):  # every string of up to 3 of these characters
        for chars in itertools.product(alphabet, repeat=n):
            text = "".join(chars)
            for unicode in (True, False):
                got, want = yamlfmt.analyze(text, unicode), emitter[unicode].analyze_scalar(text)
                assert vars(got) == vars(want), (text, unicode)
    special = st.sampled_from(alphabet)
    texts = st.lists(special | st.characters(), max_size=12).map("".join) | st.sampled_from(TRICKY)

    @settings(max_examples=3000, deadline=None)
    @given(texts, st.booleans())
    def check(text, unicode):
        assert vars(yamlfmt.analyze(text, unicode)) == vars(emitter[unicode].analyze_scalar(text))

    check()


def test_fastyaml_refuses_other_types() -> None:
    from decimal import Decimal

    from sre_gen.output import fastyaml, yamlfmt

    for value in ({"a": (1, 2)}, {"a": Decimal("1")}, {"a": {1, 2}}):
        with pytest.raises(fastyaml.Unsupported):
            fastyaml.dump(value, yamlfmt._Dumper, **yamlfmt._OPTIONS)
