"""Kubernetes autoscaling output (sre_gen.compile.kubernetes).

- goldens for the example spec (prometheus-adapter) and tests/specs/keda-variant.yaml (KEDA);
- the HPA carries the seed numbers of the spec, parsed back from the YAML;
- every HPA validates strictly (unknown fields fail) against the Kubernetes OpenAPI schemas of
  several minor versions shipped with kubernetes-validate;
- the KEDA ScaledObject (a CRD kubernetes-validate has no schema for) validates against
  SCALED_OBJECT_SCHEMA below, written from KEDA's v1alpha1 Go types (apis/keda/v1alpha1/
  scaledobject_types.go, scaletriggers_types.go) and the prometheus scaler's metadata
  (pkg/scalers/prometheus_scaler.go); its behavior is checked against Kubernetes' own
  HorizontalPodAutoscalerBehavior definition, which is the type KEDA embeds;
- the adapter's metricsQuery, with its Go-template placeholders filled, and the KEDA query parse
  as PromQL, also with hostile selector values;
- the spec checks of the autoscaling section point at the right lines.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import re
from decimal import Decimal
from pathlib import Path

import jsonschema
import kubernetes_validate
import promql_parser
import pytest
import yaml
from referencing import Registry, Resource

from sre_gen import conventions, pipeline, promql
from sre_gen.compile import kubernetes as k8s
from sre_gen.errors import SpecError
from sre_gen.spec import load_service

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SPEC = ROOT / "specs" / "autogen-review-bot.yaml"
KEDA_SPEC = ROOT / "tests" / "specs" / "keda-variant.yaml"

# Recent minor versions whose strict OpenAPI schemas kubernetes-validate ships.
K8S_VERSIONS = ("1.33", "1.34", "1.35", "1.36", "1.37")

ADAPTER_FILES = {
    conventions.HPA_FILE,
    conventions.PROMETHEUS_ADAPTER_RULES_FILE,
    conventions.PROMETHEUS_ADAPTER_VALUES_FILE,
}
KEDA_FILES = {conventions.KEDA_SCALEDOBJECT_FILE}

# Kubernetes quantity (apimachinery's serialization pattern, as in CRDs' int-or-string fields).
QUANTITY = re.compile(
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))"
    r"(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
_SI = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
# Kubernetes label values: at most 63 chars, alphanumerics and -_. inside.
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def parse_quantity(text: str) -> Decimal:
    """Decimal-SI quantities only (what sre-gen emits)."""
    assert QUANTITY.match(text), text
    m = re.fullmatch(r"([0-9.]+)([numkMGTPE]?)", text)
    assert m, f"not a decimal-SI quantity: {text}"
    return Decimal(m.group(1)).scaleb(_SI[m.group(2)])


def load_yaml(text: str):
    return yaml.safe_load(text)


# ---- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def example_files(example_service) -> dict[str, str]:
    return k8s.build(example_service, pipeline.Context())


@pytest.fixture(scope="module")
def keda_service():
    return load_service(KEDA_SPEC, "tests/specs/keda-variant.yaml")


@pytest.fixture(scope="module")
def keda_files(keda_service) -> dict[str, str]:
    return k8s.build(keda_service, pipeline.Context())


def with_autoscaling(service, **changes):
    return dataclasses.replace(
        service, autoscaling=dataclasses.replace(service.autoscaling, **changes))


@pytest.fixture(scope="module")
def all_hpas(example_files, keda_service) -> list[dict]:
    """Every HPA shape the tests produce: the example's, and the KEDA variant compiled for
    prometheus-adapter (StatefulSet, selectPolicy, a fractional quantity, no memory target),
    and one without metrics or behavior (Kubernetes defaults)."""
    variant = with_autoscaling(keda_service, provider="prometheus-adapter")
    bare = with_autoscaling(keda_service, provider="prometheus-adapter", cpu_utilization=None,
                            pod_metrics=(), scale_up=None, scale_down=None)
    return [
        load_yaml(example_files[conventions.HPA_FILE]),
        load_yaml(k8s.build(variant, pipeline.Context())[conventions.HPA_FILE]),
        load_yaml(k8s.build(bare, pipeline.Context())[conventions.HPA_FILE]),
    ]


def write_spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


SPEC_HEAD = """\
apiVersion: sre-gen/v1
service:
  name: checkout
  namespace: shop
alerts:
  - alert: Down
    expr: up{job="checkout"} == 0
    severity: critical
    summary: Checkout is down.
"""


# ---- goldens and file sets ----------------------------------------------------------------------
def test_example_golden(example_files, golden):
    assert set(example_files) == ADAPTER_FILES
    for rel, text in sorted(example_files.items()):
        golden(f"kubernetes/autogen-review-bot/{Path(rel).name}", text)


def test_keda_golden(keda_files, golden):
    assert set(keda_files) == KEDA_FILES  # KEDA owns the HPA: no hpa.yaml, no adapter rules
    for rel, text in sorted(keda_files.items()):
        golden(f"kubernetes/review-queue/{Path(rel).name}", text)


def test_one_autoscaler_per_workload(example_service, keda_service):
    for service in (example_service, keda_service):
        for provider in ("prometheus-adapter", "keda"):
            files = set(k8s.build(with_autoscaling(service, provider=provider), None))
            assert (conventions.HPA_FILE in files) != (conventions.KEDA_SCALEDOBJECT_FILE in files)
            assert files == (KEDA_FILES if provider == "keda" else ADAPTER_FILES)


def test_no_autoscaling_no_kubernetes_files(example_service):
    service = dataclasses.replace(example_service, autoscaling=None)
    assert k8s.build(service, pipeline.Context()) == {}


def test_registered_as_target():
    assert "sre_gen.compile.kubernetes" in pipeline.TARGETS


def test_output_is_deterministic(example_service, example_files):
    again = load_service(EXAMPLE_SPEC, "specs/autogen-review-bot.yaml")
    assert k8s.build(again, pipeline.Context()) == example_files


# ---- the seed numbers ---------------------------------------------------------------------------
def test_hpa_numbers_equal_the_seed(example_files):
    hpa = load_yaml(example_files[conventions.HPA_FILE])
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["kind"] == "HorizontalPodAutoscaler"
    assert hpa["metadata"]["name"] == "autogen-review-bot"
    assert hpa["metadata"]["namespace"] == "autogen-review-bot"
    assert hpa["metadata"]["labels"] == {
        "app.kubernetes.io/name": "autogen-review-bot",
        "app.kubernetes.io/managed-by": "sre-gen",
    }
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "autogen-review-bot"}
    assert spec["minReplicas"] == 3
    assert spec["maxReplicas"] == 50
    resource = {m["resource"]["name"]: m["resource"]["target"]
                for m in spec["metrics"] if m["type"] == "Resource"}
    assert resource == {
        "cpu": {"type": "Utilization", "averageUtilization": 70},
        "memory": {"type": "Utilization", "averageUtilization": 80},
    }
    pods = [m["pods"] for m in spec["metrics"] if m["type"] == "Pods"]
    assert len(pods) == 1
    assert pods[0]["metric"] == {"name": "active_reviews_per_pod"}
    assert pods[0]["target"]["type"] == "AverageValue"
    assert isinstance(pods[0]["target"]["averageValue"], str)  # a quantity string, not a number
    assert parse_quantity(pods[0]["target"]["averageValue"]) == 10
    assert spec["behavior"] == {
        "scaleUp": {"stabilizationWindowSeconds": 60,
                    "policies": [{"type": "Pods", "value": 5, "periodSeconds": 60}]},
        "scaleDown": {"stabilizationWindowSeconds": 300,
                      "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}]},
    }


def test_keda_numbers_equal_the_spec(keda_files):
    so = load_yaml(keda_files[conventions.KEDA_SCALEDOBJECT_FILE])
    spec = so["spec"]
    assert so["metadata"]["name"] == "review-worker"
    assert so["metadata"]["namespace"] == "reviews"
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "StatefulSet", "name": "review-worker"}
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (2, 20)
    config = spec["advanced"]["horizontalPodAutoscalerConfig"]
    assert config["name"] == conventions.hpa_name("review-worker", "keda") == \
        "keda-hpa-review-worker"
    assert config["behavior"] == {
        "scaleUp": {"selectPolicy": "Max", "policies": [
            {"type": "Percent", "value": 100, "periodSeconds": 30},
            {"type": "Pods", "value": 4, "periodSeconds": 30}]},
        "scaleDown": {"stabilizationWindowSeconds": 600, "selectPolicy": "Min",
                      "policies": [{"type": "Pods", "value": 1, "periodSeconds": 120}]},
    }
    cpu, prom = spec["triggers"]
    assert cpu == {"type": "cpu", "metricType": "Utilization", "metadata": {"value": "75"}}
    assert prom["type"] == "prometheus"
    assert prom["metricType"] == "AverageValue"
    assert prom["name"] == "queued_reviews_per_pod"
    meta = prom["metadata"]
    assert meta["serverAddress"] == "http://thanos-query.monitoring.svc:9090"
    assert Decimal(meta["threshold"]) == Decimal("2.5")  # per-pod target: AverageValue semantics
    assert meta["ignoreNullValues"] == "false"


@pytest.mark.parametrize(("value", "text"), [
    ("10", "10"), ("2.5", "2500m"), ("0.5", "500m"), ("1000", "1k"), ("1500", "1500"),
    ("12000", "12k"), ("1500000", "1500k"), ("0.0011", "1100u"), ("3.0", "3"),
    ("0.0000000001", "1n"),  # below nano: rounded up, as Kubernetes does
])
def test_quantity_is_canonical(value, text):
    assert k8s.quantity(Decimal(value)) == text
    assert QUANTITY.match(text)


def test_fractional_target_is_an_exact_quantity(keda_service):
    variant = with_autoscaling(keda_service, provider="prometheus-adapter")
    hpa = load_yaml(k8s.build(variant, None)[conventions.HPA_FILE])
    (pods,) = [m["pods"] for m in hpa["spec"]["metrics"] if m["type"] == "Pods"]
    assert pods["target"]["averageValue"] == "2500m"
    assert parse_quantity(pods["target"]["averageValue"]) == Decimal("2.5")


# ---- Kubernetes OpenAPI validation --------------------------------------------------------------
def test_kubernetes_validate_ships_the_versions():
    shipped = {kubernetes_validate.utils.major_minor(v)
               for v in kubernetes_validate.utils.all_versions()}
    assert set(K8S_VERSIONS) <= shipped


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_hpas_validate_strictly(all_hpas, version):
    for hpa in all_hpas:
        assert kubernetes_validate.validate(hpa, version, strict=True) == version
        for metric in hpa["spec"].get("metrics", []):
            if metric["type"] == "Pods":
                assert QUANTITY.match(metric["pods"]["target"]["averageValue"])
        for value in hpa["metadata"]["labels"].values():
            assert len(value) <= 63 and LABEL_VALUE.match(value)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_strict_validation_rejects_unknown_fields(example_files, version):
    """The validation above can fail: strict mode rejects a field Kubernetes does not know."""
    hpa = load_yaml(example_files[conventions.HPA_FILE])
    hpa["spec"]["behavior"]["scaleUp"]["stabilizationWindow"] = 60  # spec spelling, not the API's
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, version, strict=True)


# ---- KEDA ScaledObject schema -------------------------------------------------------------------
K8S_DEFS = "https://kubernetes.io/api/_definitions.json#/$defs/"
INT32 = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
STRING = {"type": "string"}
FLOAT_STRING = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}
TRIGGER_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "metadata"],
    "properties": {
        "type": STRING,
        "name": STRING,
        "useCachedMetrics": {"type": "boolean"},
        "metadata": {"type": "object", "additionalProperties": STRING},
        "authenticationRef": {
            "type": "object", "additionalProperties": False, "required": ["name"],
            "properties": {"name": STRING, "kind": STRING},
        },
        "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
    },
    "allOf": [
        {   # cpu/memory scalers (keda-docs scalers/cpu, memory): metricType + metadata.value
            "if": {"properties": {"type": {"enum": ["cpu", "memory"]}}},
            "then": {
                "required": ["metricType"],
                "properties": {
                    "metricType": {"enum": ["Utilization", "AverageValue"]},
                    "metadata": {"required": ["value"], "additionalProperties": False,
                                 "properties": {"value": FLOAT_STRING, "containerName": STRING}},
                },
            },
        },
        {   # prometheus scaler: prometheusMetadata's keda:"name=..." fields
            "if": {"properties": {"type": {"const": "prometheus"}}},
            "then": {
                "properties": {
                    "metricType": {"enum": ["AverageValue", "Value"]},
                    "metadata": {
                        "required": ["serverAddress", "query", "threshold"],
                        "additionalProperties": False,
                        "properties": {
                            "serverAddress": {"type": "string", "pattern": r"^https?://\S+$"},
                            "query": STRING,
                            "queryParameters": STRING,
                            "threshold": FLOAT_STRING,
                            "activationThreshold": FLOAT_STRING,
                            "namespace": STRING,
                            "customHeaders": STRING,
                            "ignoreNullValues": {"enum": ["true", "false"]},
                            "unsafeSsl": {"enum": ["true", "false"]},
                            "timeout": STRING,
                            "authModes": STRING,
                        },
                    },
                },
            },
        },
    ],
}
SCALED_OBJECT_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "metadata": {"$ref": K8S_DEFS + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["scaleTargetRef", "triggers"],
            "properties": {
                "scaleTargetRef": {
                    "type": "object", "additionalProperties": False, "required": ["name"],
                    "properties": {"name": STRING, "apiVersion": STRING, "kind": STRING,
                                   "envSourceContainerName": STRING},
                },
                "pollingInterval": INT32,
                "initialCooldownPeriod": INT32,
                "cooldownPeriod": INT32,
                "idleReplicaCount": INT32,
                "minReplicaCount": INT32,
                "maxReplicaCount": INT32,
                "advanced": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "horizontalPodAutoscalerConfig": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "name": STRING,
                                "behavior": {"$ref": K8S_DEFS + "io.k8s.api.autoscaling.v2."
                                                                "HorizontalPodAutoscalerBehavior"},
                            },
                        },
                        "restoreToOriginalReplicaCount": {"type": "boolean"},
                        "scalingModifiers": {
                            "type": "object", "additionalProperties": False,
                            "properties": {"formula": STRING, "target": STRING,
                                           "activationTarget": STRING,
                                           "metricType": {"enum": ["AverageValue", "Value"]}},
                        },
                    },
                },
                "triggers": {"type": "array", "minItems": 1, "items": TRIGGER_SCHEMA},
                "fallback": {
                    "type": "object", "additionalProperties": False,
                    "required": ["failureThreshold", "replicas"],
                    "properties": {"failureThreshold": INT32, "replicas": INT32,
                                   "behavior": {"enum": ["static", "currentReplicas",
                                                         "currentReplicasIfHigher",
                                                         "currentReplicasIfLower"]}},
                },
            },
        },
    },
}


def scaled_object_validator(version: str) -> jsonschema.Draft202012Validator:
    """The schema above, with Kubernetes' strict definitions (ObjectMeta, HPA behavior) of one
    version resolved from kubernetes-validate's data."""
    defs_file = (importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
                 / f"v{version}.0-local-strict" / "_definitions.json")
    definitions = json.loads(defs_file.read_text(encoding="utf-8"))
    registry = Registry().with_resource(definitions["$id"], Resource.from_contents(definitions))
    return jsonschema.Draft202012Validator(SCALED_OBJECT_SCHEMA, registry=registry)


def check_scaled_object(so: dict, version: str) -> None:
    scaled_object_validator(version).validate(so)
    spec = so["spec"]
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]  # KEDA's bounds check
    names = [t["name"] for t in spec["triggers"] if "name" in t]
    assert len(names) == len(set(names))  # KEDA's ValidateTriggers: unique trigger names


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_scaled_object_validates(keda_files, example_service, version):
    jsonschema.Draft202012Validator.check_schema(SCALED_OBJECT_SCHEMA)
    example_keda = with_autoscaling(example_service, provider="keda")
    for so_text in (keda_files[conventions.KEDA_SCALEDOBJECT_FILE],
                    k8s.build(example_keda, None)[conventions.KEDA_SCALEDOBJECT_FILE]):
        check_scaled_object(load_yaml(so_text), version)


@pytest.mark.parametrize("mutate", [
    lambda so: so["spec"].update(minReplicas=2),  # HPA spelling, unknown to KEDA
    lambda so: so["spec"]["triggers"][0]["metadata"].update(value=75),  # not a string
    lambda so: so["spec"]["triggers"][1]["metadata"].pop("threshold"),
    lambda so: so["spec"]["triggers"][1].update(metricType="Utilization"),
    lambda so: so["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleUp"]
    .update(stabilizationWindow=60),  # caught by Kubernetes' strict behavior definition
    lambda so: so["spec"]["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]
    ["policies"][0].pop("periodSeconds"),
])
def test_scaled_object_schema_rejects_mistakes(keda_files, mutate):
    so = load_yaml(keda_files[conventions.KEDA_SCALEDOBJECT_FILE])
    mutate(so)
    with pytest.raises(jsonschema.ValidationError):
        scaled_object_validator(K8S_VERSIONS[-1]).validate(so)


# ---- PromQL -------------------------------------------------------------------------------------
PODS = "autogen-review-bot-7d9f-abcde|autogen-review-bot-7d9f-fghij"
POD_MATCHERS = f'namespace="autogen-review-bot",pod=~"{PODS}"'
_ACTION = re.compile(r"<<(.*?)>>", re.S)


def fill_adapter_template(template: str, series: str) -> str:
    """What prometheus-adapter's text/template (delimiters << >>) makes of metricsQuery for a
    Pods request: .Series, .LabelMatchers and .GroupBy only; any other action fails."""
    values = {".Series": series, ".LabelMatchers": POD_MATCHERS, ".GroupBy": "pod"}

    def action(m: re.Match) -> str:
        assert m.group(1) in values, f"unexpected template action {m.group(0)!r}"
        return values[m.group(1)]

    return _ACTION.sub(action, template)


def vector_selectors(node) -> list:
    if isinstance(node, promql_parser.VectorSelector):
        return [node]
    found = []
    for attr in ("expr", "lhs", "rhs", "param"):
        child = getattr(node, attr, None)
        if child is not None and not isinstance(child, (str, int, float)):
            found += vector_selectors(child)
    return found


def matcher_set(selector) -> set[tuple[str, str, str]]:
    return {(m.name, str(m.op).rsplit(".", 1)[-1], m.value) for m in selector.matchers.matchers}


def adapter_rule(files: dict[str, str]) -> dict:
    (rule,) = load_yaml(files[conventions.PROMETHEUS_ADAPTER_RULES_FILE])["rules"]
    return rule


def test_adapter_rule_shape(example_files):
    rule = adapter_rule(example_files)
    values = load_yaml(example_files[conventions.PROMETHEUS_ADAPTER_VALUES_FILE])
    assert values == {"rules": {"custom": [rule]}}  # the Helm form holds the same rule
    assert rule["resources"] == {"overrides": {"namespace": {"resource": "namespace"},
                                               "pod": {"resource": "pod"}}}
    assert rule["name"] == {"matches": "^autogen_active_reviews$", "as": "active_reviews_per_pod"}
    assert re.fullmatch(rule["name"]["matches"], "autogen_active_reviews")
    series = promql.parse(rule["seriesQuery"])
    assert series.name == "autogen_active_reviews"
    assert matcher_set(series) == {("job", "Equal", "autogen-review-bot"),
                                   ("namespace", "NotEqual", ""), ("pod", "NotEqual", "")}


def test_adapter_metrics_query_parses_when_filled(example_files):
    template = adapter_rule(example_files)["metricsQuery"]
    assert {m.group(0) for m in _ACTION.finditer(template)} == {
        "<<.Series>>", "<<.LabelMatchers>>", "<<.GroupBy>>"}
    expr = promql.parse(fill_adapter_template(template, "autogen_active_reviews"))
    assert isinstance(expr, promql_parser.AggregateExpr)
    assert str(expr.op) == "sum"
    assert list(expr.modifier.labels) == ["pod"]
    (selector,) = vector_selectors(expr)
    assert selector.name == "autogen_active_reviews"
    assert matcher_set(selector) == {
        ("job", "Equal", "autogen-review-bot"),
        ("namespace", "Equal", "autogen-review-bot"),
        ("pod", "Re", PODS),
    }


def test_keda_query_parses(keda_files):
    so = load_yaml(keda_files[conventions.KEDA_SCALEDOBJECT_FILE])
    (prom,) = [t for t in so["spec"]["triggers"] if t["type"] == "prometheus"]
    expr = promql.parse(prom["metadata"]["query"])
    # total over pods of the per-pod max: sum(max by (pod) (...)), one value for KEDA
    assert isinstance(expr, promql_parser.AggregateExpr) and str(expr.op) == "sum"
    assert expr.modifier is None
    inner = expr.expr
    assert isinstance(inner, promql_parser.AggregateExpr) and str(inner.op) == "max"
    assert list(inner.modifier.labels) == ["pod"]
    (selector,) = vector_selectors(expr)
    assert selector.name == "review_queue_depth"
    assert matcher_set(selector) == {("job", "Equal", "review-worker"),
                                     ("queue", "Re", "high|normal"),
                                     ("namespace", "Equal", "reviews")}


def test_keda_query_for_sum_is_the_plain_total(example_service):
    so = load_yaml(k8s.build(with_autoscaling(example_service, provider="keda"), None)
                   [conventions.KEDA_SCALEDOBJECT_FILE])
    (prom,) = [t for t in so["spec"]["triggers"] if t["type"] == "prometheus"]
    assert prom["metadata"]["query"] == (
        'sum(autogen_active_reviews{job="autogen-review-bot",namespace="autogen-review-bot"})')
    assert prom["metadata"]["threshold"] == "10"
    promql.parse(prom["metadata"]["query"])


HOSTILE = 'say "hi" \\ back\\slash <<.Series>> {{ x }} >> <'


def test_hostile_selector_values_render_valid_promql(tmp_path):
    spec = write_spec(tmp_path, SPEC_HEAD + """\
autoscaling:
  minReplicas: 1
  maxReplicas: 4
  podMetrics:
    - name: jobs_per_pod
      target: 3
      series: queue_jobs
      selector:
        job: 'say "hi" \\ back\\slash <<.Series>> {{ x }} >> <'
        namespace: shop-blue
      aggregation: avg
""")
    service = load_service(spec)
    (matcher, _) = service.autoscaling.pod_metrics[0].matchers
    assert matcher.value == HOSTILE  # the YAML above spells the value we mean
    expected = ("job", "Equal", HOSTILE)

    files = k8s.build(service, None)
    rule = adapter_rule(files)
    assert expected in matcher_set(promql.parse(rule["seriesQuery"]))
    template = rule["metricsQuery"]
    # the value cannot open a template action: only the three placeholders contain '<<'
    assert [m.group(0) for m in _ACTION.finditer(template)] == [
        "<<.Series>>", "<<.LabelMatchers>>", "<<.GroupBy>>"]
    (selector,) = vector_selectors(promql.parse(fill_adapter_template(template, "queue_jobs")))
    assert expected in matcher_set(selector)

    keda = with_autoscaling(service, provider="keda")
    so = load_yaml(k8s.build(keda, None)[conventions.KEDA_SCALEDOBJECT_FILE])
    query = so["spec"]["triggers"][0]["metadata"]["query"]
    (selector,) = vector_selectors(promql.parse(query))
    # the selector's own namespace matcher is kept and no second one (service namespace) is added
    assert len(selector.matchers.matchers) == 2
    assert matcher_set(selector) == {expected, ("namespace", "Equal", "shop-blue")}


# ---- spec checks of the autoscaling section -----------------------------------------------------
def line_of(text: str, needle: str) -> int:
    (line,) = [i for i, ln in enumerate(text.splitlines(), 1) if needle in ln]
    return line


def test_autoscaling_errors_point_at_their_lines(tmp_path):
    text = SPEC_HEAD + """\
autoscaling:
  minReplicas: 10
  maxReplicas: 3
  cpuUtilization: 70
  behavior:
    scaleUp:
      stabilizationWindow: 61m
      policies:
        - type: Pods
          value: 4
          period: 31m
    scaleDown:
      stabilizationWindow: 1h
      policies:
        - type: Percent
          value: 10
          period: 30m
"""
    with pytest.raises(SpecError) as caught:
        load_service(write_spec(tmp_path, text))
    found = {(p.path, p.line) for p in caught.value.problems}
    assert found == {
        ("autoscaling.maxReplicas", line_of(text, "maxReplicas: 3")),
        ("autoscaling.behavior.scaleUp.stabilizationWindow", line_of(text, "61m")),
        ("autoscaling.behavior.scaleUp.policies[0].period", line_of(text, "31m")),
    }  # 1h and 30m (scaleDown) are the limits, allowed
    messages = {p.path: p.message for p in caught.value.problems}
    assert "minReplicas" in messages["autoscaling.maxReplicas"]
    assert "1h" in messages["autoscaling.behavior.scaleUp.stabilizationWindow"]
    assert "30m" in messages["autoscaling.behavior.scaleUp.policies[0].period"]


def test_autoscaling_limits_are_inclusive(tmp_path):
    service = load_service(write_spec(tmp_path, SPEC_HEAD + """\
autoscaling:
  minReplicas: 3
  maxReplicas: 3
  behavior:
    scaleDown:
      stabilizationWindow: 1h
      policies:
        - type: Pods
          value: 1
          period: 30m
"""))
    hpa = load_yaml(k8s.build(service, None)[conventions.HPA_FILE])
    assert hpa["spec"]["behavior"] == {"scaleDown": {
        "stabilizationWindowSeconds": 3600,
        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 1800}]}}
    assert "metrics" not in hpa["spec"]  # none given: Kubernetes' default (80% CPU)
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(hpa, version, strict=True)


# ---- the CLI ------------------------------------------------------------------------------------
def test_generate_writes_the_kubernetes_files(tmp_path, example_files):
    from typer.testing import CliRunner

    from sre_gen.cli import app

    out = tmp_path / "generated"
    result = CliRunner().invoke(app, ["generate", str(EXAMPLE_SPEC), "--out", str(out)])
    assert result.exit_code == 0, result.output
    folder = out / "autogen-review-bot"
    written = {p.relative_to(folder).as_posix()
               for p in (folder / conventions.KUBERNETES_DIR).iterdir()}
    assert written == ADAPTER_FILES
    for rel in sorted(written):
        text = (folder / rel).read_text(encoding="utf-8")
        optout, header, body = text.split("\n", 2)
        assert optout == "# yamllint disable-file"
        assert header.startswith("# Generated by sre-gen from ") and "do not edit" in header
        assert body == example_files[rel]
        assert yaml.safe_load(text) == load_yaml(example_files[rel])
    manifest = (folder / conventions.OWNERSHIP_MANIFEST).read_text(encoding="utf-8").splitlines()
    assert ADAPTER_FILES <= set(manifest)
