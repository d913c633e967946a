"""Mutation test: break the generated rules in small ways and check that the generated promtool
tests notice (fail) for at least 95% of the mutants.

Operators, on the example spec's rules:
- threshold: every burn-rate threshold of every SLO alert, x1.5 and x0.5 (each occurrence: the
  long-window and the short-window condition separately);
- window: every SLO window, swapped for its neighbour in the SLO's sorted window list: each
  ``ratio_rate<W>`` an alert or recording rule reads, and each ``[<W>]`` range of an SLO rule;
- matcher: every label matcher of every rule (recording and alerting, all sections): the value of
  ``=``/``=~`` changed, ``!=``/``!~`` flipped to ``=``/``=~``.

Each mutant runs only the test files of the section it belongs to (its SLO's files, or e.g.
``_golden-signals.yaml``), with the rule files cut down to that section's groups (custom alerts
keep them all: their raw PromQL may read any): the other groups cannot affect those tests, and
leaving them out makes promtool ~8x faster. A baseline run
proves the cut-down files still pass unmutated. Files run cheapest (or most specific) first and
stop at the first failure; mutants run on two workers in parallel.

By default a deterministic sample runs (every fourth mutant of each operator, so the operators
keep their proportions); ``SRE_GEN_MUTANTS=2`` runs every second one, ``SRE_GEN_MUTANTS=all``
every mutant. The score is printed (-s).

On the example: default sample (every fourth mutant) 354 of 366 killed (96.7%, ~3 min); every
second mutant 712 of 730 (97.5%, ~5 min). The survivors:
in the slowest tier's suppression, the selector of the fast tier's recorded condition (a fast
burn also trips the moderate tier, whose condition keeps the slow tier silent as well); in the
SLI-absent alerts, the identity matchers of ``absent(slo:sli_total:rate5m{...})`` (the generated
tests feed the recorded series where the raw ones are absent, and do not assert the absent alert
silent there); and the ``[5m]`` range inside the ``throughput`` gauge's raw query and the
``cache-hit-rate`` good-events query swapped for ``[2h]``: their tests feed constant rates, so any
range reads the same value.
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

from sre_gen.compile import promtool_tests, rules
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


def _test_files(owner: str, files: dict[str, str]) -> list[str]:
    names = sorted(Path(rel).name for rel in files)
    if owner in {"golden-signals", "security", "disaster-recovery", "capacity", "autoscaling",
                 "custom"}:
        section = "custom-alerts" if owner == "custom" else owner
        return [f"_{section}.yaml"]
    mine = [n for n in names if n.startswith(owner + ".")]
    order = {f"{owner}.yaml": 0, f"{owner}.period.yaml": 1}
    return sorted(mine, key=lambda n: (order.get(n, 2), n))


class Lab:
    """Writes cut-down rule files and test copies for one section, runs promtool on them."""

    def __init__(self, root: Path, promtool: str, data: dict[str, dict], tests: dict[str, str]):
        self.root, self.promtool, self.data, self.tests = root, promtool, data, tests

    def run(self, owner: str, files: list[str], data: dict[str, dict]) -> tuple[bool, str]:
        """True when every file passes."""
        folder = Path(tempfile.mkdtemp(dir=self.root)) / "prometheus"
        (folder / "tests").mkdir(parents=True)
        names = []
        for where, path in (("recording", "recording-rules.yaml"),
                            ("alerting", "alerting-rules.yaml")):
            # custom alerts are raw PromQL over anything (the example's read SLO recordings)
            groups = [g for g in data[where]["groups"]
                      if owner == "custom" or _owner(g["name"]) == owner]
            names += [g["name"] for g in groups]
            (folder / path).write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
        for name in files:
            test = yaml.safe_load(self.tests[name])
            test["group_eval_order"] = [n for n in test.get("group_eval_order", []) if n in names]
            (folder / "tests" / name).write_text(yaml.safe_dump(test, sort_keys=False))
        for name in files:
            proc = subprocess.run([self.promtool, "test", "rules", str(folder / "tests" / name)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                return False, name + "\n" + (proc.stdout + proc.stderr)[-2000:]
        return True, ""


@pytest.mark.slow
def test_generated_tests_kill_at_least_95_percent_of_rule_mutants(example_service, tmp_path,
                                                                 promtool, capsys) -> None:
    rule_texts = rules.build(example_service, Context())
    data = {"recording": yaml.safe_load(rule_texts["prometheus/recording-rules.yaml"]),
            "alerting": yaml.safe_load(rule_texts["prometheus/alerting-rules.yaml"])}
    tests = {Path(rel).name: text
             for rel, text in promtool_tests.build(example_service, Context()).items()}
    lab = Lab(tmp_path, promtool, data, tests)

    owners = sorted({_owner(g["name"]) for d in data.values() for g in d["groups"]})
    for owner in owners:  # baseline: the cut-down files pass unmutated
        ok, why = lab.run(owner, _test_files(owner, tests), data)
        assert ok, f"baseline for {owner} fails: {why}"

    every = mutants(example_service, data)
    chosen = _selected(every)

    def attempt(m: Mutant) -> tuple[Mutant, bool]:
        mutated = copy.deepcopy(data)
        mutated[m.where]["groups"][m.group]["rules"][m.rule]["expr"] = m.expr
        files = _test_files(m.owner, tests)
        if m.focus in files:
            files = [m.focus] + [f for f in files if f != m.focus]
        for name in files:
            ok, _ = lab.run(m.owner, [name], mutated)
            if not ok:
                return m, True
        return m, False

    with ThreadPoolExecutor(max_workers=2) as pool:
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
