"""Property test of the generated SLO promtool tests over the parameter space: SLO windows,
rule evaluation intervals, objectives, SLI kinds and tier forms. Every combination validation
accepts is generated and every generated test file is run through the real ``promtool test
rules``, as ``sre-gen test`` runs it by default (each proof with only the rules it reads,
``sre_gen.proofs.scoped``; the written form, every proof over the whole rule files, is run for
the README's spec across windows): all must pass. Every input value must be an integer below
2^53 or a short decimal, and every asserted value must keep at most 10 significant digits, so
float64 cannot flip a result.

Default mode: a fixed covering sample of the grid (every value of every parameter and every
pair of values of any two parameters appears), a few minutes on an idle 2-core machine.
Long mode, the full cross product (hours):

    SRE_GEN_PARAM_FULL=1 .venv/bin/python -m pytest tests/compile/test_promtool_params.py -q

``SRE_GEN_PARAM_JOBS`` sets the number of parallel promtool processes (default: CPU count),
``SRE_GEN_PARAM_SHARD=i/n`` runs every n-th case from the i-th (to split the long mode) and
``SRE_GEN_PARAM_REPORT=FILE`` writes the summary and every failure to FILE.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from sre_gen import proofs
from sre_gen.compile import rules
from sre_gen.errors import SpecError
from sre_gen.pipeline import Context
from sre_gen.spec import load_service

WINDOWS = ("1d", "2d", "7d", "14d", "2w", "21d", "28d", "4w", "30d", "90d")
INTERVALS = ("30s", "1m", "2m")
OBJECTIVES = ("90", "95", "99", "99.5", "99.9", "99.95", "99.99", "99.999")
TIER_FORMS = ("default", "burnRate", "budgetPercent")

_Q = '\\"'  # a double quote inside a YAML double-quoted scalar
SLIS = {
    "ratio-errors": (
        '{ ratio: { errors: { metric: http_requests_total, selector: { job: api, code: '
        '{ regex: "5.." } } }, total: { metric: http_requests_total, selector: { job: api } } } }'),
    "ratio-good": (
        "{ ratio: { good: { metric: jobs_succeeded_total, selector: { queue: main } }, "
        "total: { metric: jobs_total, selector: { queue: main } } } }"),
    "raw-errors": (
        '{ ratio: { errors: { query: "sum(rate(http_requests_total{job=' + _Q + 'api' + _Q
        + ',code=~' + _Q + '5..' + _Q + '}[{{window}}]))" }, total: { query: '
        '"sum(rate(http_requests_total{job=' + _Q + 'api' + _Q + '}[{{window}}]))" } } }'),
    "raw-good": (
        '{ ratio: { good: { query: "sum(rate(cache_hits_total{job=' + _Q + 'api' + _Q
        + '}[{{window}}]))" }, total: { query: "sum(rate(cache_requests_total{job=' + _Q
        + 'api' + _Q + '}[{{window}}]))" } } }'),
    "latency": ("{ latency: { histogram: http_request_duration_seconds, selector: { job: api }, "
                "threshold: 500ms } }"),
    "gauge-metric": ("{ gauge: { metric: active_sessions, selector: { job: api }, aggregation: "
                     'sum, op: "<=", threshold: 50 } }'),
    "gauge-query": ('{ gauge: { query: "sum(rate(http_requests_total{job=' + _Q + 'api' + _Q
                    + '}[5m]))", op: "<=", threshold: 1000 } }'),
    "gauge-query-max": ('{ gauge: { query: "max(kafka_consumergroup_lag{group=' + _Q + 'worker'
                        + _Q + '})", op: "<", threshold: 100 } }'),
}
KINDS = tuple(SLIS)

# The tier forms given explicitly (the default form is the spec without tiers: the workbook's
# four tiers as budget shares).
TIERS = {
    "burnRate": [
        {"name": "fast", "burnRate": 14.4, "longWindow": "1h", "shortWindow": "5m",
         "severity": "critical"},
        {"name": "moderate", "burnRate": 6, "longWindow": "6h", "shortWindow": "30m",
         "severity": "critical"},
        {"name": "slow", "burnRate": 3, "longWindow": "1d", "shortWindow": "2h",
         "severity": "warning"},
        {"name": "very-slow", "burnRate": 1, "longWindow": "3d", "shortWindow": "6h",
         "severity": "warning"},
    ],
    "budgetPercent": [  # short windows left to the default (long / 12)
        {"name": "fast", "budgetPercent": 2, "longWindow": "1h", "severity": "critical"},
        {"name": "moderate", "budgetPercent": 5, "longWindow": "6h", "severity": "critical"},
        {"name": "slow", "budgetPercent": 10, "longWindow": "1d", "severity": "warning"},
    ],
}
DEFAULT_TIER_NAMES = ("fast", "moderate", "slow", "very-slow")


@dataclass(frozen=True)
class Case:
    window: str
    interval: str
    objective: str
    kind: str
    tiers: str

    @property
    def slug(self) -> str:
        return "-".join((self.window, self.interval, self.objective.replace(".", "_"),
                         self.kind, self.tiers)).lower()

    @property
    def example_like(self) -> bool:
        """Like the README's minimal spec and the example: the default tiers must be accepted
        for these (objective >= 99%, window >= 7d)."""
        days = int(self.window[:-1]) * (7 if self.window.endswith("w") else 1)
        return self.tiers == "default" and Decimal(self.objective) >= 99 and days >= 7


def spec_text(case: Case, subset: list[str] | None) -> str:
    lines = ["apiVersion: sre-gen/v1",
             "service: { name: svc, team: sre }",
             f"settings: {{ evaluationInterval: {case.interval} }}"]
    if case.tiers != "default":
        lines.append("errorBudgetPolicy:")
        lines.append("  tiers:")
        for tier in TIERS[case.tiers]:
            lines.append("    - " + yaml.safe_dump(tier, default_flow_style=True,
                                                   sort_keys=False).strip())
    lines += ["slos:",
              "  - name: s",
              f"    objective: {case.objective}",
              f"    window: {case.window}"]
    if subset is not None:
        lines.append(f"    alerting: {{ tiers: [{', '.join(subset)}] }}")
    lines.append(f"    sli: {SLIS[case.kind]}")
    return "\n".join(lines) + "\n"


def _load(folder: Path, text: str):
    path = folder / "svc.yaml"
    path.write_text(text, "utf-8")
    try:
        return load_service(path, "svc.yaml")
    except SpecError:
        return None


def accepted_service(case: Case, folder: Path):
    """(service, tier subset) for the case: all tiers when validation accepts them, else the
    tiers validation accepts one by one (together), else none; None when even no tier is
    rejected."""
    service = _load(folder, spec_text(case, None))
    if service is not None:
        return service, None
    names = [t["name"] for t in TIERS[case.tiers]] if case.tiers in TIERS \
        else list(DEFAULT_TIER_NAMES)
    ok = [n for n in names if _load(folder, spec_text(case, [n])) is not None]
    for subset in (ok, ok[-1:], []):
        service = _load(folder, spec_text(case, subset))
        if service is not None:
            return service, subset
    return None, None


def generate(case: Case, root: Path) -> tuple[list[Path], list[str] | None] | None:
    """Write the case's rules and tests under root/<slug>/; (test files, tier subset)."""
    folder = root / case.slug
    folder.mkdir(parents=True)
    service, subset = accepted_service(case, folder)
    if service is None:
        return None
    from sre_gen.proofs import scoped

    for rel, text in rules.build(service, Context()).items():
        path = folder / "svc" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    # the proofs as `sre-gen test` runs them by default: each with only the rules it reads
    groups = scoped.checked_in_groups(folder / "svc")
    out = [p.path for p in scoped.prepare(service, groups, folder / "svc" / "proofs")]
    return sorted(out), subset


# ---- the grid -----------------------------------------------------------------------------------

AXES = (WINDOWS, INTERVALS, OBJECTIVES, KINDS, TIER_FORMS)


def full_grid() -> list[Case]:
    return [Case(*combo) for combo in itertools.product(*AXES)]


def covering_grid() -> list[Case]:
    """A fixed set of cases in which every pair of values of any two parameters appears
    (greedy pairwise covering; deterministic)."""
    uncovered = {(i, a, j, b) for i, j in itertools.combinations(range(len(AXES)), 2)
                 for a in AXES[i] for b in AXES[j]}
    cases: list[tuple] = []
    while uncovered:
        # seed with the first uncovered pair, then pick each other value covering the most
        i, a, j, b = min(uncovered, key=lambda p: (p[0], AXES[p[0]].index(p[1]), p[2],
                                                   AXES[p[2]].index(p[3])))
        combo: list = [None] * len(AXES)
        combo[i], combo[j] = a, b
        for k in range(len(AXES)):
            if combo[k] is not None:
                continue

            def gain(v, k=k):
                return sum((min(k, m), combo[m] if m < k else v, max(k, m),
                            v if m < k else combo[m]) in uncovered
                           for m in range(len(AXES)) if combo[m] is not None)
            combo[k] = max(AXES[k], key=lambda v: (gain(v), -AXES[k].index(v)))
        for p, q in itertools.combinations(range(len(AXES)), 2):
            uncovered.discard((p, combo[p], q, combo[q]))
        cases.append(tuple(combo))
    return [Case(*c) for c in cases]


def test_covering_grid_covers_every_pair() -> None:
    cases = [tuple(c.__dict__.values()) for c in covering_grid()]
    for i, j in itertools.combinations(range(len(AXES)), 2):
        assert {(c[i], c[j]) for c in cases} == set(itertools.product(AXES[i], AXES[j]))
    assert len(cases) < 120  # the default mode stays cheap


# ---- running promtool ---------------------------------------------------------------------------

_UNIT = re.compile(r"^Unit Testing:\s+(\S+)\s*$")


def run_promtool(promtool: str, files: list[Path], jobs: int) -> dict[str, str]:
    """{file: failure text} of every failing file, running ``promtool test rules`` on batches of
    files in ``jobs`` parallel processes."""
    batches = [files[k::jobs * 4] for k in range(min(len(files), jobs * 4))]

    def one(batch: list[Path]) -> dict[str, str]:
        proc = subprocess.run([promtool, "test", "rules", *map(str, batch)],
                              capture_output=True, text=True)
        text = proc.stdout + proc.stderr
        failed: dict[str, str] = {}
        current, buf = None, []
        for line in text.splitlines() + ["Unit Testing: <end>"]:
            m = _UNIT.match(line.strip())
            if m:
                if current is not None and "SUCCESS" not in "\n".join(buf):
                    failed[current] = "\n".join(buf)
                current, buf = m.group(1), []
            else:
                buf.append(line)
        seen = {m.group(1) for m in map(_UNIT.match, map(str.strip, text.splitlines())) if m}
        for f in batch:
            if str(f) not in seen:
                failed[str(f)] = "not run by promtool:\n" + text[-2000:]
        if proc.returncode != 0 and not failed:
            failed[str(batch[0])] = f"promtool exit {proc.returncode}:\n{text[-2000:]}"
        return failed

    out: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for part in pool.map(one, batches):
            out.update(part)
    return out


# ---- what the files feed and assert -------------------------------------------------------------

LIMIT = 2 ** 53
_TOKEN = re.compile(r"^(-?[0-9.e+]+?)(?:([+-])([0-9.e+]+))?x([0-9]+)$|^(-?[0-9.e+]+)$|^_(x[0-9]+)?$"
                    r"|^NaN$")
_ROUND = re.compile(r"^round\((.*) \* (1e[0-9]+)\) / \2$")


def value_problems(path: Path) -> list[str]:
    """Input values that float64 cannot hold exactly (integers from 2^53 on, decimals with more
    than 15 significant digits) and asserted values with more than 10 significant digits."""
    doc = yaml.safe_load(path.read_text("utf-8"))
    problems = []
    for group in doc.get("tests") or []:
        for s in group.get("input_series") or []:
            for token in str(s["values"]).split():
                m = _TOKEN.match(token)
                assert m, (path, token)
                if token.startswith("_") or token == "NaN":  # a gap, or the unknown-SLI case
                    continue
                if m.group(5) is not None:
                    start, step, n = Decimal(m.group(5)), Decimal(0), 0
                else:
                    start = Decimal(m.group(1))
                    step = Decimal(m.group(3) or 0) * (-1 if m.group(2) == "-" else 1)
                    n = int(m.group(4))
                for v in (start, step, start + step * n):
                    digits = len(v.normalize().as_tuple().digits)
                    if abs(v) >= LIMIT or (v != v.to_integral_value() and digits > 15):
                        problems.append(f"{s['series']}: {token}")
                        break
        for t in group.get("promql_expr_test") or []:
            m = _ROUND.match(t["expr"])
            for sample in t.get("exp_samples") or []:
                value = Decimal(repr(float(sample["value"])))
                if m is None:
                    continue
                scaled = value * Decimal(m.group(2).replace("1e", "1E"))
                if abs(scaled) >= Decimal(10) ** 10:
                    problems.append(f"{t['expr']} = {sample['value']} at {t['eval_time']}")
    return problems


# ---- the test -----------------------------------------------------------------------------------


def _cases() -> list[Case]:
    cases = full_grid() if os.environ.get("SRE_GEN_PARAM_FULL") == "1" else covering_grid()
    shard = os.environ.get("SRE_GEN_PARAM_SHARD")  # "i/n": every n-th case from the i-th
    if shard:
        i, n = map(int, shard.split("/"))
        cases = cases[i::n]
    return cases


def test_generated_tests_pass_over_the_parameter_space(tmp_path: Path, promtool: str) -> None:
    started = time.monotonic()
    cases = _cases()
    files: list[Path] = []
    owner: dict[str, Case] = {}
    rejected, subsets = [], {}
    for case in cases:
        made = generate(case, tmp_path)
        if made is None:
            rejected.append(case)
            continue
        paths, subset = made
        if subset is not None:
            subsets[case] = subset
        for p in paths:
            owner[str(p)] = case
        files += paths
    # example-like specs are accepted with every default tier
    assert not [c for c in cases if c.example_like and (c in rejected or c in subsets)], \
        "example-like specs need a tier subset or are rejected"
    assert len(rejected) < len(cases) / 4, rejected
    kinds_run = {owner[f].kind for f in owner}
    assert kinds_run == {c.kind for c in cases}  # every SLI kind produced test files
    bad_values = {str(p): v for p in files if (v := value_problems(p))}
    jobs = int(os.environ.get("SRE_GEN_PARAM_JOBS", os.cpu_count() or 2))
    failed = run_promtool(promtool, files, jobs)
    elapsed = time.monotonic() - started
    failed_cases = sorted({owner[f].slug for f in failed})
    summary = (f"{len(cases)} cases ({len(rejected)} rejected by validation, {len(subsets)} with "
               f"a tier subset), {len(files)} test files, {len(failed)} failed files in "
               f"{len(failed_cases)} cases, {len(bad_values)} files with inexact or long "
               f"values, {elapsed:.0f}s")
    print(summary)
    report = os.environ.get("SRE_GEN_PARAM_REPORT")
    if report:
        Path(report).write_text(summary + "\n" + "\n".join(
            f"{f}\n{text}" for f, text in sorted(failed.items())) + "\n" + "\n".join(
            f"{p}: {v}" for p, v in sorted(bad_values.items())), "utf-8")
    assert not failed, summary + "\n" + "\n".join(
        f"{f}\n{text[:1500]}" for f, text in sorted(failed.items())[:10])
    assert not bad_values, summary + "\n" + "\n".join(
        f"{p}: {v[:3]}" for p, v in sorted(bad_values.items())[:10])


# ---- targeted checks ----------------------------------------------------------------------------

README_SPEC = """apiVersion: sre-gen/v1
service:
  name: checkout
  team: payments
slos:
  - name: availability
    objective: 99.9          # percent
    window: {window}
    sli:
      ratio:
        errors: {{ metric: http_requests_total, selector: {{ job: checkout, code: {{ regex: "5.." }} }} }}
        total:  {{ metric: http_requests_total, selector: {{ job: checkout }} }}
"""


def test_readme_minimal_spec_passes_for_common_windows(tmp_path: Path, promtool: str) -> None:
    """The README's minimal spec with the windows users pick: every generated test passes (on
    0c02b70, 7d, 14d, 2w, 28d and 4w failed on a base rate near 3.3e6 compared to 9 decimals)."""
    files = []
    for window in ("7d", "14d", "28d"):
        folder = tmp_path / window
        folder.mkdir()
        service = _load(folder, README_SPEC.format(window=window))
        assert service is not None, window
        for rel, text in {**rules.build(service, Context()),
                          **proofs.render(service)}.items():
            path = folder / "checkout" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
            if rel.startswith("prometheus/tests/"):
                files.append(path)
    assert len(files) == 3 * 7  # per window: the SLO's 6 files and _kpis.yaml
    failed = run_promtool(promtool, files, int(os.environ.get("SRE_GEN_PARAM_JOBS",
                                                              os.cpu_count() or 2)))
    assert not failed, "\n".join(f"{f}\n{text[:1500]}" for f, text in sorted(failed.items()))
    assert not [p for p in files if value_problems(p)]


def test_counter_starts_keep_the_zero_point_clamp_out(tmp_path: Path, monkeypatch) -> None:
    """In every rate() the model evaluates over fed counters, the counter's zero point lies at
    least 1.1 average sample spacings before the first sample: Prometheus' zero-point clamp
    cannot change the result, whatever its order with the extrapolation threshold (Prometheus
    2 and 3 differ there)."""
    from sre_gen.proofs import sim as sim

    real = sim.rate
    seen = []

    def checked(series, t, window, left_open):
        pts = series.points(t - window, t, left_open)
        if len(pts) >= 2:
            (_, v0), (_, v1) = pts[0], pts[-1]
            increase = v1 - v0
            if increase > 0:
                seen.append(1)
                # zero point: sampled x v0 / increase >= 1.1 x sampled / (n - 1)
                assert v0 * 10 * (len(pts) - 1) >= 11 * increase, (series.values[:3], t, window)
        return real(series, t, window, left_open)

    monkeypatch.setattr(sim, "rate", checked)
    counter_kinds = ("ratio-errors", "ratio-good", "raw-errors", "latency")
    for case in covering_grid():
        if case.kind in counter_kinds:
            folder = tmp_path / case.slug
            folder.mkdir()
            service, _ = accepted_service(case, folder)
            proofs.render(service)
    assert seen


def test_slo_window_equal_to_a_raw_tier_window_with_raw_good_total_queries(tmp_path):
    """Found by the fuzz test: an SLO window short enough to be computed from the raw queries
    (6h, here also the tier's long window) of a raw-PromQL good/total SLI made the test
    generator divide None (exit 123). Its tests now generate and pass in the real promtool."""
    import subprocess
    import sys

    spec = tmp_path / "s.yaml"
    spec.write_text(
        "apiVersion: sre-gen/v1\nservice: {name: x}\n"
        "errorBudgetPolicy: {tiers: [{name: slow, burnRate: 2, longWindow: 6h, "
        "severity: warning}]}\n"
        "slos: [{name: jobs, objective: 99.9, window: 6h, sli: {ratio: {good: {query: "
        "'sum(rate(g[{{window}}]))'}, total: {query: 'sum(rate(t[{{window}}]))'}}}}]\n")
    exe = [sys.executable, "-m", "sre_gen"]
    for args in (["generate", "s.yaml", "--out", "out"], ["test", "s.yaml", "--out", "out"]):
        run = subprocess.run(exe + args, cwd=tmp_path, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
    assert "0 failed" in run.stdout, run.stdout
