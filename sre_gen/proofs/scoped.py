"""The proofs as ``sre-gen test`` runs them by default: generated into a temporary folder, each
test file reading only the checked-in rules it exercises.

promtool evaluates every rule of a test file's ``rule_files`` at every step of every test group,
so the whole rule set of a service in each of its test files was most of the cost. A test file
needs the rules its tests assert on (each alert of an ``alert_rule_test``, each recorded series a
``promql_expr_test`` selects) and, transitively, the rules whose series those read (a custom
alert's raw PromQL may read SLO recordings; ``ALERTS{alertname=...}`` reads that alert): a
selector reads a recording rule when the names agree and no matcher contradicts the rule's static
labels. The result of a kept rule depends only on its inputs and on kept rules, so it is what the
whole rule set computes. A test file may name rules to leave out (``PromtoolFile.left_out``): it
feeds their series itself, in place of an output sre-gen cannot drive (a raw errors query's
``or vector(0)``); those are neither kept nor followed. Kept rules are copied unchanged, in their
groups (same name, interval and order), from the checked-in files (``recording-rules.yaml`` +
``alerting-rules.yaml``, else the PrometheusRule's ``spec.groups``), so the rules proved are the
rules deployed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sre_gen import conventions as cv
from sre_gen.model import Service

ALL_GROUPS_FILE = "_all.yaml"  # every group, for promtool check rules and the user's own tests


@dataclass
class Prepared:
    path: Path  # the test file promtool runs
    name: str  # its name, e.g. availability.tier-fast.yaml
    groups: int  # test groups in it
    untested: list[str]


def checked_in_groups(folder: Path) -> list[dict] | None:
    """The rule groups of a service's checked-in output folder: recording then alerting groups
    of the plain files, else those of the PrometheusRule object; None when neither exists."""
    plain = [folder / cv.RECORDING_RULES_FILE, folder / cv.ALERTING_RULES_FILE]
    if any(p.is_file() for p in plain):
        groups: list[dict] = []
        for p in plain:
            if p.is_file():
                groups += (_load(p.read_text("utf-8")) or {}).get("groups") or []
        return groups
    obj = folder / cv.PROMETHEUS_RULE_FILE
    if obj.is_file():  # one object, or several (a large service: one YAML document each)
        import yaml

        docs = yaml.load_all(obj.read_text("utf-8"),
                             Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return [{k: v for k, v in g.items() if k != "partial_response_strategy"}
                for doc in docs for g in ((doc or {}).get("spec") or {}).get("groups") or []]
    return None


def _load(text: str):
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _reads(expr: str) -> list[tuple[str | None, list[tuple[str, str, str]]]]:
    """Each selector of a rule: (metric name or None, [(label, op, value)])."""
    import promql_parser

    from sre_gen import promql

    op = promql_parser.MatchOp
    ops = [(op.Equal, "="), (op.NotEqual, "!="), (op.Re, "=~"), (op.NotRe, "!~")]

    def shown(m) -> str:
        return next((text for o, text in ops if m.op == o), "=~")

    out = []
    for node in promql.vector_selectors(promql.parse(expr)):
        matchers = [(m.name, shown(m), m.value) for m in node.matchers.matchers]
        name = node.name or next((v for k, op, v in matchers if k == "__name__" and op == "="),
                                 None)
        out.append((name, matchers))
    return out


def _may_match(matchers: list[tuple[str, str, str]], labels: dict[str, str]) -> bool:
    for key, op, value in matchers:
        if key not in labels:
            continue  # the series' other labels come from the rule's input: may match
        have = labels[key]
        try:
            hit = value == have if op in ("=", "!=") else re.fullmatch(value, have) is not None
        except re.error:
            return True
        if hit != (op in ("=", "=~")):
            return False
    return True


class Scope:
    """Which rules each test file needs: the rules its tests assert on (alerts by name, recorded
    series by selector) and, transitively, the rules whose series those read."""

    def __init__(self, groups: list[dict]):
        self.groups = groups
        # rule ids are (group index, rule index); records: name -> [(id, static labels)]
        self.records: dict[str, list[tuple[tuple[int, int], dict[str, str]]]] = {}
        self.alerts: dict[str, list[tuple[int, int]]] = {}
        for gi, g in enumerate(groups):
            for ri, rule in enumerate(g.get("rules") or ()):
                if "record" in rule:
                    self.records.setdefault(str(rule["record"]), []).append(
                        ((gi, ri), {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}))
                elif "alert" in rule:
                    self.alerts.setdefault(str(rule["alert"]), []).append((gi, ri))
        self._reads: dict[tuple[int, int], list] = {}

    def _rule_reads(self, rid: tuple[int, int]) -> list:
        if rid not in self._reads:
            rule = self.groups[rid[0]]["rules"][rid[1]]
            self._reads[rid] = _reads(str(rule["expr"]))
        return self._reads[rid]

    def _targets(self, name: str | None, matchers) -> list[tuple[int, int]]:
        """The rules whose output a selector may read."""
        if name == "ALERTS" or name == "ALERTS_FOR_STATE":
            wanted = next((v for k, op, v in matchers if k == "alertname" and op == "="), None)
            return [rid for alert, rids in self.alerts.items()
                    if wanted is None or alert == wanted for rid in rids]
        candidates = (self.records.get(name, ()) if name is not None
                      else [c for cs in self.records.values() for c in cs])
        return [rid for rid, labels in candidates if _may_match(matchers, labels)]

    def left_out(self, records: list[tuple[str, dict[str, str]]]) -> set[tuple[int, int]]:
        """The recording rules named by ``records``, (record, labels): a rule of that record
        whose static labels include every one of ``labels``."""
        return {rid for name, labels in records for rid, have in self.records.get(name, ())
                if all(have.get(k) == v for k, v in labels.items())}

    def needed_ids(self, alertnames: set[str], exprs: list[str],
                   drop: set[tuple[int, int]] = frozenset()) -> set[tuple[int, int]]:
        """The rules (group index, rule index) that tests asserting on ``alertnames`` and
        evaluating ``exprs`` need, without the rules ``drop`` (whose series the tests feed:
        neither kept nor followed)."""
        keep = {rid for a in alertnames for rid in self.alerts.get(a, ())} - drop
        for expr in exprs:
            for name, matchers in _reads(expr):
                keep.update(set(self._targets(name, matchers)) - drop)
        todo = sorted(keep)
        while todo:
            for name, matchers in self._rule_reads(todo.pop()):
                for rid in self._targets(name, matchers):
                    if rid not in keep and rid not in drop:
                        keep.add(rid)
                        todo.append(rid)
        return keep

    def kept_groups(self, keep: set[tuple[int, int]]) -> list[dict]:
        """The groups (in order, each with only the kept rules, in order)."""
        out = []
        for gi, g in enumerate(self.groups):
            rules = [r for ri, r in enumerate(g.get("rules") or ()) if (gi, ri) in keep]
            if rules:
                out.append({**g, "rules": rules})
        return out

    def needed_by(self, f) -> set[tuple[int, int]]:
        """The rules a test file (``proofs.model.PromtoolFile``) needs."""
        return self.needed_ids({t["alertname"] for g in f.groups for t in g.alert_tests},
                               [t["expr"] for g in f.groups for t in g.expr_tests],
                               self.left_out(list(getattr(f, "left_out", ()))))


def _dump(groups: list[dict]) -> str:
    from sre_gen.output import yamlfmt

    return yamlfmt.dump({"groups": groups})


def write_all_groups(groups: list[dict], folder: Path) -> Path:
    """Every group in one plain rule file, ``folder/rules/_all.yaml`` (when only the
    PrometheusRule object is checked in: for promtool check rules and the user's own tests)."""
    path = folder / "rules" / ALL_GROUPS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_dump(groups), "utf-8")
    return path


def materialize(f, groups: list[dict], folder: Path, order: list[str]) -> Path:
    """Write test file ``f`` into ``folder/tests/`` and the rule ``groups`` it reads into
    ``folder/rules/`` (same name); ``order``: the service's group order. Returns the test file."""
    name = f.path.rsplit("/", 1)[-1]
    (folder / "rules").mkdir(parents=True, exist_ok=True)
    (folder / "tests").mkdir(exist_ok=True)
    (folder / "rules" / name).write_text(_dump(groups), "utf-8")
    f.rule_files = [f"../rules/{name}"]
    names = {g["name"] for g in groups}
    f.group_order = [g for g in order if g in names]
    dest = folder / "tests" / name
    dest.write_text(f.render(), "utf-8")
    return dest


def prepare(service: Service, groups: list[dict], folder: Path):
    """Write the service's test files into ``folder/tests/`` and, for each, the rules it reads
    into ``folder/rules/`` (same name). Yields each test file (``Prepared``) once written."""
    from sre_gen import proofs

    scope = Scope(groups)
    for f in proofs.iter_test_files(service, whole_rule_files=False):
        dest = materialize(f, scope.kept_groups(scope.needed_by(f)), folder, list(f.group_order))
        yield Prepared(dest, dest.name, len(f.groups), list(f.untested))
