"""Chaos Mesh objects from the spec's ``chaos`` section (chaos-mesh.org/v1alpha1).

Under ``generated/<service>/chaos/``:

``<experiment>.yaml``
    One object per experiment, to run it once (``kubectl apply -f``; ``kubectl delete -f`` ends
    it early and Chaos Mesh restores the pods). Every experiment selects the target's pods with
    ``selector.namespaces`` + ``labelSelectors`` and hits ``blastRadius`` percent of them
    (``mode: fixed-percent``) for ``duration``. The kinds, by fault:

    - ``networkTimeout``: NetworkChaos ``partition``, ``direction: to`` the ``externalTargets``
      hosts: their packets are dropped, so every call to them hangs until the client's timeout.
      That is a timeout (no answer), not a delay: a service whose timeout is longer than a slow
      dependency's answers would need ``delay`` instead.
    - ``connectionLoss``: the same partition toward one ``host:port`` (the database): open
      connections stall and new ones cannot connect. Chaos Mesh drops packets; it sends no RST,
      so the client sees a timeout rather than an immediate "connection refused".
    - ``memoryStress`` / ``cpuStress``: StressChaos ``memory`` / ``cpu`` stressors (stress-ng
      inside the pods' cgroups: the memory counts toward the container's limit, the CPU load
      competes for its quota).
    - ``nodeFailure``: approximated. Chaos Mesh has no node shutdown in PodChaos (node-level
      faults need chaosd or a cloud chaos kind). PodChaos ``pod-failure`` makes ``blastRadius``
      percent of the target's pods unavailable for ``duration`` (their containers are replaced by
      a pause image), like the pods of a node that went down, while Kubernetes does not
      reschedule them (as before the node's pod-eviction timeout). It differs from a real node
      failure: the chosen pods need not share a node, and the node's other workloads and its
      kubelet keep running.

``_schedule.yaml``
    A Chaos Mesh ``Schedule`` (``schedule``: the cron of ``chaos.schedule``, ``concurrencyPolicy:
    Forbid``, ``historyLimit``) of ``type: Workflow``: one run executes the experiments one
    after another (a ``Serial`` template), each followed by a ``Suspend`` of ``chaos.cooldown``
    so the next starts with clean burn-rate windows, as its expected alerts assume. A workflow's
    chaos template has no ``duration``: its ``deadline`` ends it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sre_gen import conventions as cv
from sre_gen.model import ChaosExperiment, Service
from sre_gen.output.yamlfmt import dump

if TYPE_CHECKING:
    from sre_gen.pipeline import Context

API_VERSION = "chaos-mesh.org/v1alpha1"

# fault kind -> (Chaos Mesh kind, the spec key of its body in Schedule/Workflow templates)
KINDS = {
    "network-timeout": ("NetworkChaos", "networkChaos"),
    "connection-loss": ("NetworkChaos", "networkChaos"),
    "memory-stress": ("StressChaos", "stressChaos"),
    "cpu-stress": ("StressChaos", "stressChaos"),
    "node-failure": ("PodChaos", "podChaos"),
}
APPROXIMATED = {"node-failure": "PodChaos pod-failure of blastRadius percent of the target's "
                                "pods (Chaos Mesh cannot shut a node down)"}


def go_duration(seconds: int) -> str:
    """A duration Go's time.ParseDuration reads (Chaos Mesh's): hours at most, no days."""
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if v) or "0s"


def kind(experiment: ChaosExperiment) -> str:
    return KINDS[experiment.fault.kind][0]


def _labels(service: Service) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": "sre-gen", "app.kubernetes.io/part-of": service.name}


def chaos_spec(experiment: ChaosExperiment) -> dict[str, Any]:
    """The spec of the experiment's chaos object, without ``duration``."""
    f = experiment.fault
    spec: dict[str, Any] = {
        "selector": {"namespaces": [experiment.namespace],
                     "labelSelectors": dict(experiment.labels)},
        "mode": "fixed-percent",
        "value": str(experiment.blast_radius),
    }
    if f.kind in ("network-timeout", "connection-loss"):
        spec = {"action": "partition", **spec, "direction": "to",
                "externalTargets": list(f.hosts)}
    elif f.kind == "memory-stress":
        spec["stressors"] = {"memory": {"workers": f.workers, "size": f.memory_size}}
    elif f.kind == "cpu-stress":
        spec["stressors"] = {"cpu": {"workers": f.workers, "load": f.cpu_load}}
    else:
        spec = {"action": "pod-failure", **spec}
    return spec


def experiment_object(service: Service, experiment: ChaosExperiment) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": kind(experiment),
        "metadata": {"name": experiment.name, "namespace": experiment.namespace,
                     "labels": _labels(service)},
        "spec": {**chaos_spec(experiment), "duration": go_duration(experiment.duration)},
    }


def schedule_object(service: Service) -> dict[str, Any]:
    chaos = service.chaos
    assert chaos is not None
    entry = "weekly-run"
    children: list[str] = []
    templates: list[dict[str, Any]] = []
    for i, e in enumerate(chaos.experiments):
        children.append(e.name)
        templates.append({"name": e.name, "templateType": kind(e),
                          "deadline": go_duration(e.duration),
                          KINDS[e.fault.kind][1]: chaos_spec(e)})
        if i + 1 < len(chaos.experiments) and chaos.cooldown > 0:
            pause = f"cooldown-after-{e.name}"[:63].rstrip("-")
            children.append(pause)
            templates.append({"name": pause, "templateType": "Suspend",
                              "deadline": go_duration(chaos.cooldown)})
    return {
        "apiVersion": API_VERSION,
        "kind": "Schedule",
        "metadata": {"name": f"{service.name}-chaos"[:63].rstrip("-"),
                     "namespace": service.namespace, "labels": _labels(service)},
        "spec": {
            "schedule": chaos.schedule,
            "type": "Workflow",
            "concurrencyPolicy": "Forbid",
            "historyLimit": chaos.history_limit,
            "workflow": {"entry": entry,
                         "templates": [{"name": entry, "templateType": "Serial",
                                        "children": children}, *templates]},
        },
    }


def build(service: Service, ctx: Context | None) -> dict[str, str]:
    if service.chaos is None:
        return {}
    files = {cv.chaos_experiment_file(e.name): dump(experiment_object(service, e))
             for e in service.chaos.experiments}
    files[cv.CHAOS_SCHEDULE_FILE] = dump(schedule_object(service))
    return files
