"""Mutation test: break the generated rules in small ways and check that the generated promtool
tests notice (fail) for at least 95% of the mutants.

Operators, on the example spec's rules:
- threshold: every burn-rate threshold of every SLO alert, x1.5 and x0.5 (each occurrence: the
  long-window and the short-window condition separately);
- window: every SLO window, swapped for its neighbour in the SLO's sorted window list: each
  ``ratio_rate<W>`` an alert or recording rule reads, and each ``[<W>]`` range of an SLO rule;
- matcher: every label matcher of every rule (recording and alerting, all sections): the value of
  ``=``/``=~`` changed, ``!=``/``!~`` flipped to ``=``/``=~``.

Each mutant runs the proofs exactly as ``sre-gen test`` does (``sre_gen.proofs.scoped``): each
test file with only the rules it needs, computed from the mutated rule groups (so a mutant that
makes a rule read another series gets that series' rules too). A mutant runs only the test files
whose rules include the mutated rule (no other file evaluates it), its tier's file first, and
stops at the first failure; mutants run on as many workers as there are CPUs. A baseline run
proves every proof passes unmutated.

By default a deterministic sample runs (every fourth mutant of each operator, so the operators
keep their proportions); ``SRE_GEN_MUTANTS=2`` runs every second one, ``SRE_GEN_MUTANTS=all``
every mutant (the long mode). The score is printed (-s).

On the example (2 cores): default sample 355 of 366 killed (97.0%, 116 s); all mutants
(``SRE_GEN_MUTANTS=all .venv/bin/python -m pytest tests/test_rule_mutation.py -s``) 1,421 of
1,459 (97.4%: matcher 925/957, threshold 88/88, window 408/414; 452 s). The survivors:
in the slowest tier's suppression, the selectors of the fast tier's recorded condition (a fast
burn also trips the moderate tier, whose condition keeps the slow tier silent as well); in the
SLI-absent alerts, the identity matchers of ``absent(slo:sli_total:rate5m{...})`` (the generated
tests feed the recorded series where the raw ones are absent, and do not assert the absent alert
silent there); and the ``[5m]`` ranges inside the SLI-absent and SLI-unknown guards of the
``throughput`` gauge and the ``cache-hit-rate`` good-events query swapped for ``[2h]``: their
tests feed constant series, so any range reads the same value.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from sre_gen import proofs
from sre_gen.compile import rules
from sre_gen.durations import format_duration, num
from sre_gen.pipeline import Context
from sre_gen.windows import slo_windows

ROOT = Path(__file__).resolve().parent.parent
MIN_SCORE = 0.95
SAMPLE = 4  # by default every fourth mutant of each operator runs (SRE_GEN_MUTANTS=<n>: every n-th)

_MATCHER = re.compile(r'([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_SELECTOR_BODY = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class Mutant:
    operator: str  # threshold | window | matcher
    where: str  # "recording" | "alerting"
    group: int
    rule: int
    expr: str
    owner: str  # slo name or section ("golden-signals", ...)
    focus: str  # test file to try first ("" = cheapest first)
    what: str

    def describe(self) -> str:
        return f"{self.operator}: {self.what}"


def _owner(group_name: str) -> str:
    parts = group_name.split(":")
    if parts[2] == "slo":
        return parts[3]
    return parts[2].removesuffix("-alerts")


def _windows_by_slo(service) -> dict[str, list[int]]:
    return {slo.name: list(slo_windows(slo, service.settings)) for slo in service.slos}


def _neighbours(windows: list[int], w: int) -> list[int]:
    i = windows.index(w)
    return [windows[j] for j in (i - 1, i + 1) if 0 <= j < len(windows)]


def _sub_at(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def mutants(service, data: dict[str, dict]) -> list[Mutant]:
    out: list[Mutant] = []
    windows = _windows_by_slo(service)
    tiers = {(slo.name, t.name): t for slo in service.slos for t in slo.tiers}
    for where, doc in data.items():
        for gi, group in enumerate(doc["groups"]):
            owner = _owner(group["name"])
            for ri, rule in enumerate(group["rules"]):
                expr = rule["expr"]
                name = rule.get("alert") or rule.get("record")
                tier = (rule.get("labels") or {}).get("tier")
                focus = f"{owner}.tier-{tier}.yaml" if tier else ""
                label = f"{group['name']} {name}" + (f" tier {tier}" if tier else "")
                # thresholds of burn-rate alerts
                if tier and (owner, tier) in tiers:
                    rate = num(tiers[(owner, tier)].burn_rate)
                    for m in re.finditer(rf"> {re.escape(rate)}(?![\d.])", expr):
                        for factor in ("1.5", "0.5"):
                            new = num(Decimal(rate) * Decimal(factor))
                            out.append(Mutant("threshold", where, gi, ri,
                                              _sub_at(expr, m.start(), m.end(), f"> {new}"),
                                              owner, focus,
                                              f"{label}: > {rate} -> > {new} at {m.start()}"))
                # windows of SLO rules: ratio_rate<W> names and [<W>] ranges
                if owner in windows:
                    ws = windows[owner]
                    text_of = {format_duration(w): w for w in ws}
                    for m in re.finditer(r"ratio_rate(\d+[smhd])\b|\[(\d+[smhd])\]", expr):
                        token = m.group(1) or m.group(2)
                        if token not in text_of:
                            continue
                        for n in _neighbours(ws, text_of[token]):
                            shown = format_duration(n)
                            new = f"ratio_rate{shown}" if m.group(1) else f"[{shown}]"
                            out.append(Mutant("window", where, gi, ri,
                                              _sub_at(expr, m.start(), m.end(), new), owner,
                                              focus, f"{label}: {m.group(0)} -> {new} at "
                                                     f"{m.start()}"))
                # label matchers
                for body in _SELECTOR_BODY.finditer(expr):
                    for m in _MATCHER.finditer(body.group(0)):
                        lname, op, value = m.groups()
                        if op == "=":
                            new = f'{lname}="{value}-mutant"'
                        elif op == "=~":  # grouped: an alternation must not keep a branch
                            new = f'{lname}=~"(?:{value})-mutant"'
                        else:  # a negative matcher flipped
                            new = f'{lname}{"=~" if op == "!~" else "="}"{value}"'
                        start = body.start() + m.start()
                        out.append(Mutant("matcher", where, gi, ri,
                                          _sub_at(expr, start, body.start() + m.end(), new),
                                          owner, focus, f"{label}: {m.group(0)} -> {new}"))
    return out


def _selected(all_mutants: list[Mutant]) -> list[Mutant]:
    """Every mutant with SRE_GEN_MUTANTS=all, else every SAMPLE-th mutant of each operator (a
    deterministic sample with the operators in the same proportions as the full set)."""
    choice = os.environ.get("SRE_GEN_MUTANTS", "")
    if choice == "all":
        return all_mutants
    sample = int(choice) if choice.isdigit() and int(choice) > 0 else SAMPLE
    seen: dict[str, int] = {}
    keep = []
    for m in all_mutants:
        n = seen[m.operator] = seen.get(m.operator, -1) + 1
        if n % sample == 0:
            keep.append(m)
    return keep


class Lab:
    """Runs proofs the way ``sre-gen test`` does (``sre_gen.proofs.scoped``): each test file with
    only the rules it needs, computed from the (mutated) rule groups."""

    def __init__(self, root: Path, promtool: str, service, groups: list[dict]):
        from sre_gen.proofs import scoped

        self.root, self.promtool, self.service = root, promtool, service
        self.files = {Path(f.path).name: f
                      for f in proofs.test_files(service, whole_rule_files=False)}
        self.order = {name: list(f.group_order) for name, f in self.files.items()}
        baseline = scoped.Scope(groups)
        self.needs = {name: baseline.needed_by(f) for name, f in self.files.items()}

    def readers(self, rid: tuple[int, int]) -> list[str]:
        """The test files whose rules include rule ``rid``: the only ones a mutant of it can
        fail (the others never evaluate it)."""
        return sorted(name for name, needs in self.needs.items() if rid in needs)

    def run(self, name: str, groups: list[dict]) -> tuple[bool, str]:
        """True when test file ``name`` passes against ``groups``."""
        from sre_gen.proofs import scoped

        scope = scoped.Scope(groups)
        f = self.files[name]
        folder = Path(tempfile.mkdtemp(dir=self.root))
        test = scoped.materialize(f, scope.kept_groups(scope.needed_by(f)), folder,
                                  self.order[name])
        proc = subprocess.run([self.promtool, "test", "rules", str(test)], capture_output=True,
                              text=True)
        if proc.returncode != 0:
            return False, name + "\n" + (proc.stdout + proc.stderr)[-2000:]
        return True, ""


@pytest.mark.slow
def test_generated_tests_kill_at_least_95_percent_of_rule_mutants(example_service, tmp_path,
                                                                 promtool, capsys) -> None:
    rule_texts = rules.build(example_service, Context())
    data = {"recording": yaml.safe_load(rule_texts["prometheus/recording-rules.yaml"]),
            "alerting": yaml.safe_load(rule_texts["prometheus/alerting-rules.yaml"])}
    shift = {"recording": 0, "alerting": len(data["recording"]["groups"])}

    def groups_of(d: dict[str, dict]) -> list[dict]:  # what sre-gen test reads: both files
        return d["recording"]["groups"] + d["alerting"]["groups"]

    lab = Lab(tmp_path, promtool, example_service, groups_of(data))
    for name in lab.files:  # baseline: every proof passes with the rules it is given
        ok, why = lab.run(name, groups_of(data))
        assert ok, f"baseline {name} fails: {why}"

    every = mutants(example_service, data)
    chosen = _selected(every)

    def attempt(m: Mutant) -> tuple[Mutant, bool]:
        mutated = copy.deepcopy(data)
        mutated[m.where]["groups"][m.group]["rules"][m.rule]["expr"] = m.expr
        files = lab.readers((m.group + shift[m.where], m.rule))
        order = {f"{m.owner}.yaml": 0, f"{m.owner}.period.yaml": 1}
        files.sort(key=lambda n: (n != m.focus, order.get(n, 2), n))
        for name in files:
            ok, _ = lab.run(name, groups_of(mutated))
            if not ok:
                return m, True
        return m, False

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(attempt, chosen))
    killed = sum(1 for _, k in results if k)
    survivors = [m for m, k in results if not k]
    score = killed / len(results)
    by_op: dict[str, list[int]] = {}
    for m, k in results:
        by_op.setdefault(m.operator, [0, 0])
        by_op[m.operator][0] += k
        by_op[m.operator][1] += 1
    with capsys.disabled():
        print(f"\nmutation score: {killed}/{len(results)} = {score:.1%} "
              f"({len(every)} mutants generated, {len(results)} run)")
        for op, (k, n) in sorted(by_op.items()):
            print(f"  {op}: {k}/{n} killed")
        for m in survivors:
            print(f"  survived: {m.describe()}")
    assert len(results) >= 100
    assert score >= MIN_SCORE, [m.describe() for m in survivors]
