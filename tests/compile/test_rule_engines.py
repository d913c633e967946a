"""Issue 17 item 2-3: the rules load in other rule engines and fit their limits.

- vmalert (VictoriaMetrics 1.79, Debian's ``victoria-metrics`` package) parses every generated rule
  file with ``-dryRun`` (its own MetricsQL parser and template check);
- no group holds more than ``settings.maxRulesPerGroup`` rules (default 20, Grafana Mimir's default
  ruler limit), the split keeps the rules' order, and the proofs still pass on split groups;
- every recording rule name is ``level:metric:operations`` (mimirtool ``rules check --strict``
  wants at least two colons);
- a 40-SLO service's PrometheusRule objects each stay under kubectl's 256 KiB annotation, pass
  prometheus-operator 0.93's CRD schema and hold exactly the plain files' groups;
- Thanos' ``partial_response_strategy`` is on the PrometheusRule's groups only.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sre_gen import conventions as cv
from sre_gen.compile import rules
from sre_gen.pipeline import Context
from sre_gen.proofs import scoped
from sre_gen.spec import load_service

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "specs" / "autogen-review-bot.yaml"
RULE_SPECS = sorted((ROOT / "tests" / "specs" / "rules").glob("*.yaml"))
SPECS = [EXAMPLE, *RULE_SPECS, ROOT / "tests" / "specs" / "keda-variant.yaml"]
CRD = ROOT / "tests" / "data" / "crds" / "monitoring.coreos.com_prometheusrules.yaml"
KUBECTL_ANNOTATION_LIMIT = 256 * 1024  # the API server's limit on all annotations of an object


def _spec(tmp_path: Path, data: dict, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _with_settings(src: Path, tmp_path: Path, **settings) -> Path:
    data = yaml.safe_load(src.read_text())
    data.setdefault("settings", {}).update(settings)
    return _spec(tmp_path, data, src.name)


def _groups(text: str) -> list[dict]:
    return [g for doc in yaml.safe_load_all(text) for g in
            (doc.get("groups") or (doc.get("spec") or {}).get("groups") or [])]


# ---- vmalert ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vmalert() -> str:
    path = shutil.which("vmalert")
    assert path, "vmalert is not installed (Debian package victoria-metrics); run scripts/setup.sh"
    return path


def _dry_run(vmalert: str, files: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([vmalert, "-dryRun", "-loggerLevel=ERROR",
                           *[f"-rule={f}" for f in files]],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_vmalert_dry_run_loads_every_generated_rule_file(spec: Path, tmp_path: Path,
                                                         vmalert: str) -> None:
    service = load_service(_with_settings(spec, tmp_path, ruleFormat="both"), spec.name)
    files = []
    for rel, text in rules.build(service, Context()).items():
        path = tmp_path / Path(rel).name
        if rel == cv.PROMETHEUS_RULE_FILE:  # the object's groups, as a rule file
            text = yaml.safe_dump({"groups": _groups(text)}, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        files.append(path)
    assert len(files) >= 2
    for path in files:
        proc = _dry_run(vmalert, [path])
        assert proc.returncode == 0, f"vmalert -dryRun {path.name}:\n{proc.stdout}{proc.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("rule, why", [
    ({"alert": "A", "expr": "sum("}, "bad prometheus expr"),
    ({"alert": "A", "expr": "up", "annotations": {"s": "{{ $value | nosuchfunc }}"}},
     "nosuchfunc"),
])
def test_vmalert_dry_run_rejects_a_broken_file(rule: dict, why: str, tmp_path: Path,
                                               vmalert: str) -> None:
    """The check above can fail: vmalert refuses a bad expression and an unknown function."""
    path = _spec(tmp_path, {"groups": [{"name": "g", "rules": [rule]}]}, "bad.yaml")
    proc = _dry_run(vmalert, [path])
    assert proc.returncode != 0 and why in proc.stdout + proc.stderr


# ---- group size ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
@pytest.mark.parametrize("limit", [None, 1, 2, 3, 7, 19])
def test_no_group_exceeds_the_limit_and_the_split_keeps_the_rules_in_order(
        spec: Path, limit: int | None, tmp_path: Path) -> None:
    settings = {} if limit is None else {"maxRulesPerGroup": limit}
    service = load_service(_with_settings(spec, tmp_path, **settings), spec.name)
    (tmp_path / "whole").mkdir()
    whole = load_service(_with_settings(spec, tmp_path / "whole", maxRulesPerGroup=10000),
                         spec.name)
    limit = limit or 20
    for split, unsplit in ((rules.recording_groups(service), rules.recording_groups(whole)),
                           (rules.alerting_groups(service), rules.alerting_groups(whole))):
        names = [g.name for g in split]
        assert len(set(names)) == len(names)
        assert all(1 <= len(g.rules) <= limit for g in split)
        for group in unsplit:
            parts = [g for g in split if g.name == group.name
                     or re.fullmatch(re.escape(group.name) + r":[0-9]+", g.name)]
            assert [r for g in parts for r in g.rules] == list(group.rules)  # same order
            assert {g.interval for g in parts} == {group.interval}
            sizes = [len(g.rules) for g in parts]
            assert max(sizes) - min(sizes) <= 1
            if len(group.rules) <= limit:
                assert [g.name for g in parts] == [group.name]  # a small group keeps its name
            else:
                assert [g.name for g in parts] == [cv.group_part(group.name, i + 1)
                                                   for i in range(len(parts))]


def test_the_example_needs_and_gets_a_split_by_default(example_service) -> None:
    """The example's SLO recording groups have up to 23 rules: split at the default 20."""
    sizes = [len(g.rules) for g in rules.recording_groups(example_service)
             + rules.alerting_groups(example_service)]
    assert max(sizes) == 20
    assert any(g.name.endswith(":2") for g in rules.recording_groups(example_service))


@pytest.mark.slow
def test_the_proofs_pass_on_groups_split_small(tmp_path: Path) -> None:
    """promtool evaluates the parts in group_eval_order, so a rule reading a series recorded in
    an earlier part sees this evaluation's value and every proof still holds."""
    spec = _with_settings(RULE_SPECS[0], tmp_path, maxRulesPerGroup=3)
    env = {**os.environ, "SRE_GEN_NO_CACHE": "1"}
    cli = [sys.executable, "-m", "sre_gen"]
    out = tmp_path / "out"
    gen = subprocess.run([*cli, "generate", str(spec), "--out", str(out)], capture_output=True,
                         text=True, env=env, cwd=tmp_path)
    assert gen.returncode == 0, gen.stderr
    assert max(len(g["rules"]) for g in _groups(
        next(out.glob("*/prometheus/recording-rules.yaml")).read_text())) <= 3
    test = subprocess.run([*cli, "test", str(spec), "--out", str(out)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=600)
    assert test.returncode == 0, test.stdout + test.stderr
    assert " 0 failed" in test.stdout or "passed" in test.stdout


# ---- names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_recording_rule_names_are_level_metric_operations(spec: Path) -> None:
    """mimirtool's ``rules check`` splits a record name at ':' and wants at least 2 parts, 3 with
    --strict (``level:metric:operations``); a name must also be a valid metric name."""
    service = load_service(spec, spec.name)
    names = {r.record for g in rules.recording_groups(service) for r in g.rules}
    assert names or not service.slos
    for name in names:
        assert len(name.split(":")) >= 3, name
        assert re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", name), name


# ---- the PrometheusRule object ------------------------------------------------------------------

@pytest.fixture(scope="module")
def crd_schema() -> dict:
    crd = yaml.safe_load(CRD.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    return version["schema"]["openAPIV3Schema"]


def _validate(obj: dict, schema: dict) -> None:
    """The CRD's openAPIV3Schema, its patterns compiled as the API server does (Go's RE2: the
    CRD writes ``^(?i)(abort|warn)?$``, which Python's re refuses)."""
    import jsonschema
    import re2

    def pattern(validator, patrn, instance, schema):
        if validator.is_type(instance, "string") and not re2.search(patrn, instance):
            yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")

    cls = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": pattern})
    errs = sorted(cls(schema).iter_errors(json.loads(json.dumps(obj))), key=str)
    assert not errs, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errs[:10])


def _forty_slos(tmp_path: Path, n: int = 40, **settings) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    base = data["slos"]
    data["slos"] = base + [dict(copy.deepcopy(base[i % len(base)]),
                                name=f"{base[i % len(base)]['name']}-copy{i}")
                           for i in range(n - len(base))]
    data.setdefault("settings", {}).update({"ruleFormat": "both", **settings})
    return _spec(tmp_path, data, f"forty-{n}.yaml")


def _objects(service) -> list[dict]:
    return list(yaml.safe_load_all(rules.build(service, Context())[cv.PROMETHEUS_RULE_FILE]))


def test_one_object_while_it_fits(example_service, crd_schema) -> None:
    objs = _objects(example_service)
    assert len(objs) == 1 and objs[0]["metadata"]["name"] == "autogen-review-bot-sre-gen"
    assert rules.json_size(objs[0]) <= cv.PROMETHEUS_RULE_MAX_BYTES
    _validate(objs[0], crd_schema)


def test_a_40_slo_service_is_split_into_objects_under_kubectls_limit(tmp_path: Path,
                                                                    crd_schema) -> None:
    service = load_service(_forty_slos(tmp_path), "forty.yaml")
    texts = rules.build(service, Context())
    objs = list(yaml.safe_load_all(texts[cv.PROMETHEUS_RULE_FILE]))
    whole = rules.prometheus_rule(service, rules.recording_groups(service)
                                  + rules.alerting_groups(service))
    assert rules.json_size(whole) > KUBECTL_ANNOTATION_LIMIT  # one object would not apply
    assert len(objs) == 41  # the service's own groups, then one object per SLO
    names = [o["metadata"]["name"] for o in objs]
    assert len(set(names)) == len(names)
    for obj in objs:
        compact = json.dumps(obj, separators=(",", ":"))
        go_escaped = re.sub(r"[<>&]", lambda m: "\\u%04x" % ord(m.group(0)), compact)
        assert len(go_escaped.encode()) == rules.json_size(obj)
        assert rules.json_size(obj) <= cv.PROMETHEUS_RULE_MAX_BYTES < KUBECTL_ANNOTATION_LIMIT
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?", obj["metadata"]["name"])
        assert obj["metadata"]["namespace"] == service.namespace
        _validate(obj, crd_schema)
    # together, exactly the plain files' groups, in their order within each object
    plain = _groups(texts[cv.RECORDING_RULES_FILE]) + _groups(texts[cv.ALERTING_RULES_FILE])
    split = [g for o in objs for g in o["spec"]["groups"]]
    assert sorted(json.dumps(g) for g in split) == sorted(json.dumps(g) for g in plain)
    # and sre-gen test reads them all back when only the object is checked in
    folder = tmp_path / "svc"
    (folder / "prometheus").mkdir(parents=True)
    (folder / cv.PROMETHEUS_RULE_FILE).write_text(texts[cv.PROMETHEUS_RULE_FILE])
    assert scoped.checked_in_groups(folder) == split


def test_adding_an_slo_moves_no_other_slos_rules_between_objects(tmp_path: Path) -> None:
    before = {o["metadata"]["name"]: o for o in
              _objects(load_service(_forty_slos(tmp_path, 40), "forty.yaml"))}
    after = {o["metadata"]["name"]: o for o in
             _objects(load_service(_forty_slos(tmp_path, 41), "forty.yaml"))}
    added = set(after) - set(before)
    assert len(added) == 1 and added.pop().endswith("-copy29")  # the 41st SLO
    assert set(before) <= set(after)
    for name, obj in before.items():
        if name != "autogen-review-bot-sre-gen":  # the service's own groups list no SLO
            assert after[name] == obj, name


def test_partial_response_strategy_is_on_the_prometheusrule_groups_only(
        tmp_path: Path, crd_schema) -> None:
    spec = _with_settings(EXAMPLE, tmp_path, ruleFormat="both", partialResponseStrategy="warn")
    service = load_service(spec, spec.name)
    texts = rules.build(service, Context())
    objs = list(yaml.safe_load_all(texts[cv.PROMETHEUS_RULE_FILE]))
    groups = [g for o in objs for g in o["spec"]["groups"]]
    assert groups and all(g["partial_response_strategy"] == "warn" for g in groups)
    for obj in objs:
        _validate(obj, crd_schema)
    for rel in (cv.RECORDING_RULES_FILE, cv.ALERTING_RULES_FILE):
        assert "partial_response_strategy" not in texts[rel]
    # promtool rejects the field: the groups sre-gen test proves come without it
    folder = tmp_path / "svc"
    (folder / "prometheus").mkdir(parents=True)
    (folder / cv.PROMETHEUS_RULE_FILE).write_text(texts[cv.PROMETHEUS_RULE_FILE])
    assert all("partial_response_strategy" not in g for g in scoped.checked_in_groups(folder))


def test_partial_response_strategy_without_the_object_is_a_warning(tmp_path: Path) -> None:
    spec = _with_settings(EXAMPLE, tmp_path, ruleFormat="files", partialResponseStrategy="abort")
    proc = subprocess.run([sys.executable, "-m", "sre_gen", "validate", str(spec)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r":\d+:\d+: settings\.partialResponseStrategy: warning: "
                     r"partialResponseStrategy has no effect", proc.stderr), proc.stderr


@pytest.mark.parametrize("value", ["{{ .Boss }}", "a }} b", "{{"])
def test_a_metadata_label_with_template_delimiters_is_refused(value: str, tmp_path: Path) -> None:
    """Prometheus keeps a recording rule's labels as written, vmalert expands them as templates:
    such a value on slo:info:const could not mean the same in both, so it is refused at its line."""
    data = yaml.safe_load((ROOT / "tests" / "data" / "minimal-spec.yaml").read_text())
    data["slos"][0]["labels"] = {"owner": value}
    spec = _spec(tmp_path, data)
    proc = subprocess.run([sys.executable, "-m", "sre_gen", "validate", str(spec)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 3
    assert re.search(r"spec\.yaml:\d+:\d+: slos\[0\]\.labels\.owner: a metadata label value may "
                     r"not contain '\{\{' or '\}\}'", proc.stderr), proc.stderr
