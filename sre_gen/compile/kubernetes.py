"""Kubernetes autoscaling manifests from the spec's ``autoscaling`` section.

Nothing is emitted without ``autoscaling``. Otherwise, under ``generated/<service>/kubernetes/``:

``metricsProvider: prometheus-adapter`` (the default)
    ``hpa.yaml``
        HorizontalPodAutoscaler ``autoscaling/v2``: CPU/memory ``Utilization`` targets, one
        ``Pods`` metric (``AverageValue``) per ``podMetrics`` entry, ``behavior`` as written.
    ``prometheus-adapter-rules.yaml``
        The adapter's config fragment: a top-level ``rules:`` list (custom.metrics.k8s.io) that
        serves each pod metric. Merge its items into the ``rules:`` list of the adapter's
        ``--config`` file (the ConfigMap that holds ``config.yaml``).
    ``prometheus-adapter-values.yaml``
        The same rules as values of the prometheus-community/prometheus-adapter Helm chart, which
        renders ``rules.custom`` verbatim into that config:
        ``helm upgrade --install prometheus-adapter prometheus-community/prometheus-adapter
        -f your-values.yaml -f generated/<service>/kubernetes/prometheus-adapter-values.yaml``.
        Helm merges maps but REPLACES lists: of several ``-f`` files that set ``rules.custom``
        only the last one counts. With several services (or custom rules of your own), paste the
        items of every file into one ``rules.custom`` list instead.

``metricsProvider: keda``
    ``keda-scaledobject.yaml``
        KEDA ``ScaledObject`` (keda.sh/v1alpha1). KEDA creates and owns the HPA, so no
        ``hpa.yaml`` (two HPAs on one workload fight) and no adapter rules (KEDA serves
        external.metrics.k8s.io itself). The HPA name is pinned with
        ``advanced.horizontalPodAutoscalerConfig.name`` to ``conventions.hpa_name``, so the
        kube-state-metrics based scaling alerts select the right object.

Semantics of a pod metric (``name``, ``target``, ``series``, ``selector``, ``aggregation``):
the per-pod value is ``<aggregation> by (pod)`` of ``series{selector}``, and the workload scales so
that the average per-pod value stays at ``target``.

* prometheus-adapter: ``seriesQuery`` discovers ``series{selector,namespace!="",pod!=""}`` (the
  series must carry ``namespace`` and ``pod`` labels, as Kubernetes service discovery adds them);
  ``name`` maps the series to the HPA metric name; ``metricsQuery`` is
  ``<aggregation>(<<.Series>>{selector,<<.LabelMatchers>>}) by (<<.GroupBy>>)``. The selector is
  repeated in ``metricsQuery`` because ``seriesQuery`` only discovers: the adapter's
  ``<<.LabelMatchers>>`` hold just the namespace/pod matchers of the HPA's request.
* KEDA: a ``prometheus`` trigger with ``metricType: AverageValue``. KEDA hands the query's single
  value to the HPA as an external metric, and the HPA divides it by the number of replicas before
  comparing it with ``threshold``: the query must therefore be the TOTAL over all pods and the
  threshold the per-pod target. The query is ``sum(series{selector,namespace="<ns>"})`` for
  ``aggregation: sum`` and ``sum(<aggregation> by (pod) (series{...}))`` otherwise (the sum of the
  per-pod values). The namespace matcher (unless the selector constrains ``namespace`` itself)
  mirrors the adapter, which only sees the HPA's namespace. ``ignoreNullValues: "false"`` makes
  an empty result an error (the HPA then holds its scale and reports ``ScalingActive=False``)
  instead of KEDA's default of reading it as 0, which would scale the workload down to
  ``minReplicaCount`` exactly when its metrics disappear.

Numbers: ``averageValue`` is printed as a canonical Kubernetes quantity (``10``, ``2500m``, ``1k``),
the form the API server stores, so a GitOps diff against the live object is empty; KEDA's
``threshold`` is a plain decimal string (KEDA parses it as a float). Label values from the spec are
escaped with ``promql.quote``; in ``metricsQuery`` (a Go template with ``<<``/``>>`` delimiters)
every ``<`` inside a quoted value is written as the PromQL escape ``\\u003c``, so a value can never
open a template action.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal, localcontext
from typing import TYPE_CHECKING

from sre_gen import conventions, promql
from sre_gen.durations import num
from sre_gen.model import Autoscaling, Matcher, PodMetric, ScalingRules, Service
from sre_gen.output.yamlfmt import dump

if TYPE_CHECKING:
    from sre_gen.pipeline import Context

MANAGED_BY = "sre-gen"

# Adapter template placeholders (Go text/template, delimiters << >>).
SERIES = "<<.Series>>"
LABEL_MATCHERS = "<<.LabelMatchers>>"
GROUP_BY = "<<.GroupBy>>"

_SI_SUFFIX = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
_NANO = Decimal("1e-9")


def build(service: Service, ctx: Context | None) -> dict[str, str]:
    a = service.autoscaling
    if a is None:
        return {}
    if a.provider == "keda":
        return {conventions.KEDA_SCALEDOBJECT_FILE: _keda_file(service, a)}
    files = {conventions.HPA_FILE: dump(hpa(service, a))}
    if a.pod_metrics:
        rules = adapter_rules(a)
        files[conventions.PROMETHEUS_ADAPTER_RULES_FILE] = (
            _adapter_rules_comment(service, a) + dump({"rules": rules}))
        files[conventions.PROMETHEUS_ADAPTER_VALUES_FILE] = (
            _adapter_values_comment(service, a) + dump({"rules": {"custom": rules}}))
    return files


# ---- numbers ------------------------------------------------------------------------------------
def quantity(value: Decimal | int) -> str:
    """Canonical Kubernetes decimal-SI quantity, as the API server prints it.

    10 -> ``10``, 2.5 -> ``2500m``, 1000 -> ``1k``, 1500 -> ``1500``. Like Kubernetes, precision
    below 1n is rounded up (0.0000000001 -> ``1n``).
    """
    d = Decimal(value)
    if d <= 0:
        raise ValueError(f"a quantity target must be positive, got {value}")
    with localcontext() as exact:
        exact.prec = 200  # quantize/normalize must never round a long spec number
        if d.as_tuple().exponent < -9:
            d = d.quantize(_NANO, rounding=ROUND_CEILING)
        _, digits, exp = d.normalize().as_tuple()
    mantissa = int("".join(map(str, digits)))
    exp3 = max(-9, min(18, (exp // 3) * 3))  # largest multiple of 3 <= exp, within n..E
    mantissa *= 10 ** (exp - exp3)
    return f"{mantissa}{_SI_SUFFIX[exp3]}"


# ---- shared pieces ------------------------------------------------------------------------------
def labels(service: Service) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": service.name,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }


def _metadata(service: Service, name: str) -> dict:
    return {"name": name, "namespace": service.namespace, "labels": labels(service)}


def _scale_target(a: Autoscaling) -> dict:
    return {"apiVersion": "apps/v1", "kind": a.kind, "name": a.name}


def _rules(rules: ScalingRules) -> dict:
    out: dict = {}
    if rules.stabilization_seconds is not None:
        out["stabilizationWindowSeconds"] = rules.stabilization_seconds
    if rules.select_policy is not None:
        out["selectPolicy"] = rules.select_policy
    if rules.policies:
        out["policies"] = [
            {"type": p.type, "value": p.value, "periodSeconds": p.period_seconds}
            for p in rules.policies
        ]
    return out


def behavior(a: Autoscaling) -> dict | None:
    """HPA v2 ``behavior`` exactly as the spec gives it (Kubernetes defaults for what it omits)."""
    out = {}
    if a.scale_up is not None:
        out["scaleUp"] = _rules(a.scale_up)
    if a.scale_down is not None:
        out["scaleDown"] = _rules(a.scale_down)
    return out or None


def _resources(a: Autoscaling) -> list[tuple[str, int]]:
    return [(name, value) for name, value in (("cpu", a.cpu_utilization),
                                              ("memory", a.memory_utilization))
            if value is not None]


# ---- HorizontalPodAutoscaler --------------------------------------------------------------------
def hpa(service: Service, a: Autoscaling) -> dict:
    metrics: list[dict] = [
        {"type": "Resource", "resource": {
            "name": name, "target": {"type": "Utilization", "averageUtilization": value}}}
        for name, value in _resources(a)
    ]
    metrics += [
        {"type": "Pods", "pods": {
            "metric": {"name": pm.name},
            "target": {"type": "AverageValue", "averageValue": quantity(pm.target_average_value)},
        }}
        for pm in a.pod_metrics
    ]
    spec: dict = {
        "scaleTargetRef": _scale_target(a),
        "minReplicas": a.min_replicas,
        "maxReplicas": a.max_replicas,
    }
    if metrics:  # none: Kubernetes defaults to 80% average CPU
        spec["metrics"] = metrics
    rules = behavior(a)
    if rules:
        spec["behavior"] = rules
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _metadata(service, conventions.hpa_name(a.name, a.provider)),
        "spec": spec,
    }


# ---- prometheus-adapter -------------------------------------------------------------------------
def _template_safe(matcher_text: str) -> str:
    """Matchers for a Go template with << >> delimiters: '<' only occurs inside quoted values
    (names are validated), where PromQL's escape \\u003c stands for it."""
    return matcher_text.replace("<", "\\u003c")


def adapter_rule(pm: PodMetric) -> dict:
    discover = [Matcher("namespace", "!=", ""), Matcher("pod", "!=", "")]
    own = promql.matchers(pm.matchers)[1:-1]  # without braces; "" when no selector
    inner = f"{_template_safe(own)},{LABEL_MATCHERS}" if own else LABEL_MATCHERS
    return {
        "seriesQuery": f"{pm.series}{promql.matchers(list(pm.matchers) + discover)}",
        "resources": {"overrides": {"namespace": {"resource": "namespace"},
                                    "pod": {"resource": "pod"}}},
        "name": {"matches": f"^{pm.series}$", "as": pm.name},
        "metricsQuery": f"{pm.aggregation}({SERIES}{{{inner}}}) by ({GROUP_BY})",
    }


def adapter_rules(a: Autoscaling) -> list[dict]:
    return [adapter_rule(pm) for pm in a.pod_metrics]


def _adapter_rules_comment(service: Service, a: Autoscaling) -> str:
    hpa_ref = f"{service.namespace}/{conventions.hpa_name(a.name, a.provider)}"
    return (
        f"# prometheus-adapter rules serving the Pods metrics of HPA {hpa_ref}.\n"
        "# Merge the items of rules: into the rules: list of the adapter's --config file.\n"
        "# Helm chart prometheus-community/prometheus-adapter: use prometheus-adapter-values.yaml\n"
        "# (or paste the items under rules.custom in your values).\n"
        "# The source series need namespace and pod labels (Kubernetes service discovery).\n"
    )


def _adapter_values_comment(service: Service, a: Autoscaling) -> str:
    hpa_ref = f"{service.namespace}/{conventions.hpa_name(a.name, a.provider)}"
    return (
        "# Helm values for the prometheus-community/prometheus-adapter chart:\n"
        f"# rules serving the Pods metrics of HPA {hpa_ref}.\n"
        "# helm upgrade --install prometheus-adapter prometheus-community/prometheus-adapter \\\n"
        "#   -f your-values.yaml -f this-file.yaml\n"
        "# Helm replaces lists: only the last -f file that sets rules.custom counts. With several\n"
        "# services or rules of your own, paste all items into one rules.custom list instead.\n"
    )


# ---- KEDA ---------------------------------------------------------------------------------------
def keda_query(service: Service, pm: PodMetric) -> str:
    """The TOTAL of the per-pod values: KEDA/HPA divide it by the replica count (AverageValue)."""
    extra = [] if any(m.name == "namespace" for m in pm.matchers) else [
        Matcher("namespace", "=", service.namespace)]
    selected = f"{pm.series}{promql.matchers(list(pm.matchers) + extra)}"
    if pm.aggregation == "sum":
        return f"sum({selected})"
    return f"sum({pm.aggregation} by (pod) ({selected}))"


def scaled_object(service: Service, a: Autoscaling) -> dict:
    triggers: list[dict] = [
        {"type": name, "metricType": "Utilization", "metadata": {"value": str(value)}}
        for name, value in _resources(a)
    ]
    triggers += [
        {
            "type": "prometheus",
            "name": pm.name,
            "metricType": "AverageValue",
            "metadata": {
                "serverAddress": a.keda_server_address,
                "query": keda_query(service, pm),
                "threshold": num(pm.target_average_value),
                "ignoreNullValues": "false",
            },
        }
        for pm in a.pod_metrics
    ]
    hpa_config: dict = {"name": conventions.hpa_name(a.name, a.provider)}
    rules = behavior(a)
    if rules:
        hpa_config["behavior"] = rules
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": _metadata(service, a.name),
        "spec": {
            "scaleTargetRef": _scale_target(a),
            "minReplicaCount": a.min_replicas,
            "maxReplicaCount": a.max_replicas,
            "advanced": {"horizontalPodAutoscalerConfig": hpa_config},
            "triggers": triggers,
        },
    }


def _keda_file(service: Service, a: Autoscaling) -> str:
    hpa_ref = f"{service.namespace}/{conventions.hpa_name(a.name, a.provider)}"
    comment = (
        f"# KEDA ScaledObject; KEDA creates and owns HPA {hpa_ref} (do not add another HPA).\n"
        "# prometheus triggers: query = total over all pods, threshold = per-pod target\n"
        "# (metricType AverageValue: the HPA divides the total by the replica count).\n"
    )
    return comment + dump(scaled_object(service, a))
