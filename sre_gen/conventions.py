"""Every metric, label, group, alert, file and URL name that sre-gen emits, in one place.

Compilers never spell a series or label name themselves: they call these functions, so the rules,
the promtool tests, the dashboards, the runbooks and the Alertmanager routes agree by construction.
Recording-rule names follow Prometheus' ``level:metric:operations`` convention.
"""

from __future__ import annotations

import re

from sre_gen.durations import format_duration

# ---- labels -------------------------------------------------------------------------------------
# Identity labels: stable, on every recorded series. Metadata (team, tier...) never goes on them,
# so editing a team label does not start new long-window series (Sloth #311).
LABEL_SERVICE = "service"
LABEL_SLO = "slo"
LABEL_WINDOW = "window"
# Alert routing labels.
LABEL_SEVERITY = "severity"
LABEL_TIER = "tier"
LABEL_INCIDENT = "incident"
LABEL_TEAM = "team"
LABEL_LONG_WINDOW = "long_window"
LABEL_SHORT_WINDOW = "short_window"
# Labels of the non-SLO recorded series.
LABEL_SIGNAL = "signal"
LABEL_INDICATOR = "indicator"
LABEL_RULE = "rule"
LABEL_DATA = "data"
LABEL_RESOURCE = "resource"
LABEL_HORIZON = "horizon"
LABEL_LEVEL = "level"
# Failover alerts: the region's role (primary, secondary, disaster-recovery); the region itself is
# in the label the spec names (regions.label, default region).
LABEL_REGION_ROLE = "region_role"

IDENTITY_LABELS = (LABEL_SERVICE, LABEL_SLO)
# Sloth's labels (settings.slothCompat): its dashboards select SLO series by these.
LABEL_SLOTH_ID = "sloth_id"
LABEL_SLOTH_SERVICE = "sloth_service"
LABEL_SLOTH_SLO = "sloth_slo"
LABEL_SLOTH_WINDOW = "sloth_window"
LABEL_SLOTH_OBJECTIVE = "sloth_objective"
# Label names sre-gen sets itself; metadata labels from the spec may not use them.
RESERVED_LABELS = frozenset({
    LABEL_SERVICE, LABEL_SLO, LABEL_WINDOW, LABEL_SEVERITY, LABEL_TIER, LABEL_INCIDENT,
    LABEL_LONG_WINDOW, LABEL_SHORT_WINDOW, "signal", "indicator", "rule", "data", "resource",
    "horizon", "level", LABEL_REGION_ROLE, "alertname", "alertstate", "objective", "sli", "le",
    "job", "instance",
    LABEL_SLOTH_ID, LABEL_SLOTH_SERVICE, LABEL_SLOTH_SLO, LABEL_SLOTH_WINDOW, LABEL_SLOTH_OBJECTIVE,
})


def sloth_identity(service: str, slo: str) -> tuple[tuple[str, str], ...]:
    """Sloth's identity labels of an SLO's series: ``sloth_id`` is ``<service>-<slo>``."""
    return ((LABEL_SLOTH_ID, f"{service}-{slo}"), (LABEL_SLOTH_SERVICE, service),
            (LABEL_SLOTH_SLO, slo))

# ---- SLO recording rules ------------------------------------------------------------------------
SLO_INFO = "slo:info:const"  # level:metric:operations, as mimirtool rules check --strict wants
SLO_OBJECTIVE = "slo:objective:ratio"
SLO_ERROR_BUDGET = "slo:error_budget:ratio"
SLO_TIME_WINDOW = "slo:time_window:seconds"
SLO_TIME_PERIOD_DAYS = "slo:time_period:days"  # Sloth's (settings.slothCompat only)
SLOTH_SLO_INFO = "sloth_slo_info"  # Sloth's info series (settings.slothCompat only)
SLO_CURRENT_BURN_RATE = "slo:current_burn_rate:ratio"
SLO_PERIOD_BURN_RATE = "slo:period_burn_rate:ratio"
SLO_BUDGET_REMAINING = "slo:period_error_budget_remaining:ratio"
# 1 while a burn tier's two-window condition (and its event-rate guard) holds, else 0; label tier
SLO_BURN_CONDITION = "slo:burn_condition:bool"


def sli_errors(base_window: int) -> str:
    """Base series: bad events per second over the base window (derivation input)."""
    return f"slo:sli_errors:rate{format_duration(base_window)}"


def sli_total(base_window: int) -> str:
    """Base series: all events per second over the base window (derivation input)."""
    return f"slo:sli_total:rate{format_duration(base_window)}"


def sli_errors_step(step: int) -> str:
    """Level series: bad events per second averaged over the ``step`` ending at each sample,
    one sample per step (windows.Level)."""
    return f"slo:sli_errors:rate_step{format_duration(step)}"


def sli_total_step(step: int) -> str:
    """Level series: all events per second averaged over the ``step`` ending at each sample,
    one sample per step (windows.Level)."""
    return f"slo:sli_total:rate_step{format_duration(step)}"


def sli_error_ratio(window: int) -> str:
    """Error ratio over ``window`` (seconds): ``slo:sli_error:ratio_rate1h``."""
    return f"slo:sli_error:ratio_rate{format_duration(window)}"


# ---- other recorded series ----------------------------------------------------------------------
GOLDEN_SIGNAL_VALUE = "service:golden_signal:value"
SECURITY_EVENTS = "service:security_events:increase"
BACKUP_AGE = "service:backup_age:seconds"
CAPACITY_USAGE = "service:capacity_usage:ratio"
CAPACITY_FORECAST = "service:capacity_usage:forecast_ratio"

# Multi-region failover (sre_gen.compile.regions), per region (labels service, <region label>):
REGION_UP = "region:up:max"  # 1 while any target of the region is up
REGION_HEALTH = "region:health_check_success:max"  # 1 while any health check of it succeeds
# ... and per region and SLO (labels service, slo, <region label>):


def region_errors(base_window: int) -> str:
    """Bad events per second in one region over the base window (0 while it has traffic and no
    errors)."""
    return f"region:sli_errors:rate{format_duration(base_window)}"


def region_total(base_window: int) -> str:
    """All events per second in one region over the base window."""
    return f"region:sli_total:rate{format_duration(base_window)}"


def region_error_ratio(base_window: int) -> str:
    """The region's current error ratio over the base window."""
    return f"region:sli_error:ratio_rate{format_duration(base_window)}"


def region_error_baseline(window: int) -> str:
    """The region's request-weighted error ratio over the baseline window before now."""
    return f"region:sli_error:ratio_baseline{format_duration(window)}"


# ---- SRE KPIs per service (sre_gen.compile.kpis) -------------------------------------------------
# per SLO: 1 while its error ratio over its window is within its budget, 0 when not, no sample
# while the SLO has no known error ratio (no evaluable data in the window)
SLO_OBJECTIVE_MET = "slo:objective_met:bool"
KPI_SLO_COMPLIANCE = "service:sre_gen_slo_compliance:ratio"  # met / known SLOs
KPI_SLOS_MET = "service:sre_gen_slos_met:count"
KPI_SLOS_KNOWN = "service:sre_gen_slos_known:count"
KPI_SLOS_DEFINED = "service:sre_gen_slos_defined:count"
KPI_BUDGET_UTILIZATION_MAX = "service:sre_gen_error_budget_utilization:max"
KPI_BUDGET_UTILIZATION_AVG = "service:sre_gen_error_budget_utilization:avg"
KPI_BURN_RATE_MAX = "service:sre_gen_burn_rate:max"

# kube-state-metrics series used by the autoscaling alerts.
KSM_HPA_CURRENT = "kube_horizontalpodautoscaler_status_current_replicas"
KSM_HPA_DESIRED = "kube_horizontalpodautoscaler_status_desired_replicas"
KSM_HPA_MAX = "kube_horizontalpodautoscaler_spec_max_replicas"
KSM_HPA_MIN = "kube_horizontalpodautoscaler_spec_min_replicas"
# Their identifying labels (the HPA object's namespace and name).
KSM_LABEL_NAMESPACE = "namespace"
KSM_LABEL_HPA = "horizontalpodautoscaler"
# Labels Prometheus and its Kubernetes service discovery put on every series of a scrape target:
# a security counter reads 0 while its metric exists on the targets these matchers pick.
TARGET_LABELS = frozenset({"job", "instance", "namespace", "pod", "container", "service",
                           "endpoint"})

# Prometheus' own series of pending and firing alerts, and its labels.
ALERTS = "ALERTS"
LABEL_ALERTNAME = "alertname"
LABEL_ALERTSTATE = "alertstate"

# ---- names --------------------------------------------------------------------------------------
_WORD = re.compile(r"[A-Za-z0-9]+")


def pascal(name: str) -> str:
    """``autogen-review-bot`` -> ``AutogenReviewBot``; keeps inner capitals (``p99`` -> ``P99``)."""
    return "".join(w[:1].upper() + w[1:] for w in _WORD.findall(name))


def kebab(name: str) -> str:
    """``AutogenReviewBotHighCPU`` -> ``autogen-review-bot-high-cpu``."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", s)
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def alert_prefix(service_name: str, configured: str) -> str:
    return configured if configured else pascal(service_name)


def slo_alert_burn(prefix: str, slo: str, name: str | None = None) -> str:
    """One name for all burn tiers of an SLO (labels tell the tiers apart): the spec's
    ``alerting.name`` when given (Sloth's), else derived from the prefix and the SLO name."""
    return name if name else f"{prefix}{pascal(slo)}ErrorBudgetBurn"


def slo_alert_exhausted(prefix: str, slo: str) -> str:
    return f"{prefix}{pascal(slo)}ErrorBudgetExhausted"


def slo_alert_absent(prefix: str, slo: str) -> str:
    return f"{prefix}{pascal(slo)}SLIAbsent"


def slo_alert_unknown(prefix: str, slo: str) -> str:
    """The SLI's inputs exist but cannot be evaluated (e.g. no bucket at the threshold)."""
    return f"{prefix}{pascal(slo)}SLIUnknown"


GOLDEN_ALERT_SUFFIX = {
    "latency": "LatencyHigh",
    "errors": "ErrorsHigh",
    "saturation": "SaturationHigh",
}


def golden_alert(prefix: str, signal: str, indicator: str, level: str) -> str:
    """Warning and critical twins share a name (critical inhibits warning); traffic has Low/High."""
    if signal == "traffic":
        return f"{prefix}{pascal(indicator)}Traffic{'Low' if level == 'low' else 'High'}"
    return f"{prefix}{pascal(indicator)}{GOLDEN_ALERT_SUFFIX[signal]}"


def security_alert(prefix: str, rule: str) -> str:
    return f"{prefix}{pascal(rule)}"


def backup_alert(prefix: str, data: str) -> str:
    return f"{prefix}{pascal(data)}BackupTooOld"


def capacity_alert(prefix: str, resource: str) -> str:
    return f"{prefix}{pascal(resource)}CapacityForecastExhausted"


REGION_ALERT_SUFFIX = {
    "regionUnavailable": "RegionUnavailable",
    "errorRateSpike": "RegionErrorRateSpike",
    "healthCheckFailing": "RegionHealthChecksFailing",
}


def region_alert(prefix: str, trigger: str) -> str:
    """One alert name per failover trigger; its rules differ by region (one per region)."""
    return f"{prefix}{REGION_ALERT_SUFFIX[trigger]}"


def hpa_at_max_alert(prefix: str) -> str:
    return f"{prefix}HPAAtMaxReplicas"


def hpa_unable_alert(prefix: str) -> str:
    return f"{prefix}HPAUnableToScale"


# ---- rule groups --------------------------------------------------------------------------------
def group_slo_recordings(service: str, slo: str) -> str:
    return f"sre-gen:{service}:slo:{slo}:recordings"


def group_slo_meta(service: str, slo: str) -> str:
    return f"sre-gen:{service}:slo:{slo}:meta"


def group_slo_alerts(service: str, slo: str) -> str:
    return f"sre-gen:{service}:slo:{slo}:alerts"


def group_part(name: str, part: int) -> str:
    """A group split at settings.maxRulesPerGroup: ``<name>:1``, ``<name>:2``, ..."""
    return f"{name}:{part}"


def group_named(service: str, section: str) -> str:
    """golden-signals, custom, security, disaster-recovery, capacity, autoscaling."""
    return f"sre-gen:{service}:{section}"


# ---- files and URLs -----------------------------------------------------------------------------
PROMETHEUS_DIR = "prometheus"
RECORDING_RULES_FILE = "prometheus/recording-rules.yaml"
PROMETHEUS_RULE_MAX_BYTES = 200 * 1024  # JSON of one PrometheusRule; kubectl's annotation: 256 KiB


def prometheus_rule_name(service: str, slo: str | None = None) -> str:
    return f"{service}-sre-gen" + (f"-slo-{slo}" if slo else "")



ALERTING_RULES_FILE = "prometheus/alerting-rules.yaml"
PROMETHEUS_RULE_FILE = "prometheus/prometheusrule.yaml"
PROMTOOL_TESTS_DIR = "prometheus/tests"
USER_TESTS_SUFFIX = ".tests"  # user promtool tests: <spec dir>/<spec stem>.tests/*.yaml
GRAFANA_DIR = "grafana"
KUBERNETES_DIR = "kubernetes"
RUNBOOKS_DIR = "runbooks"
ALERTMANAGER_DIR = "alertmanager"
OWNERSHIP_MANIFEST = ".sre-gen-manifest"


def promtool_slo_test_file(slo: str) -> str:
    """Recorded series and budget alerts of one SLO (SLO names never contain dots)."""
    return f"{PROMTOOL_TESTS_DIR}/{slo}.yaml"


def promtool_slo_period_test_file(slo: str) -> str:
    return f"{PROMTOOL_TESTS_DIR}/{slo}.period.yaml"


def promtool_slo_groups_test_file(slo: str) -> str:
    """A grouped SLO's groups side by side (one failing, one healthy)."""
    return f"{PROMTOOL_TESTS_DIR}/{slo}.groups.yaml"


def promtool_slo_tier_test_file(slo: str, tier: str) -> str:
    return f"{PROMTOOL_TESTS_DIR}/{slo}.tier-{tier}.yaml"


FLEET_DIR = "_fleet"  # beside the service folders; no service name starts with '_'
FLEET_DASHBOARD_FILE = "grafana/fleet.json"  # relative to FLEET_DIR
FLEET_DASHBOARD_UID = "sre-gen-fleet"
FLEET_PROVISIONING_FILE = "grafana/provisioning/dashboards/fleet.yaml"


def promtool_section_test_file(section: str) -> str:
    """Tests of a non-SLO section (golden-signals, security...): '_' keeps them apart from SLOs."""
    return f"{PROMTOOL_TESTS_DIR}/_{section}.yaml"


def runbook_file(alertname: str) -> str:
    """Runbook page of one alert, relative to the service's runbooks/ folder."""
    return f"{kebab(alertname)}.md"


def github_anchor(heading: str) -> str:
    """GitHub's heading anchor: lowercase, drop punctuation except '-' and '_', spaces -> '-'."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def runbook_url(base_url: str, alertname: str) -> str:
    """Exactly what the alert's runbook_url annotation holds; the runbook page's H1 is the name."""
    return f"{base_url.rstrip('/')}/{runbook_file(alertname)}#{github_anchor(alertname)}"


CHAOS_DIR = "chaos"
CHAOS_SCHEDULE_FILE = "chaos/_schedule.yaml"  # the weekly Schedule (a leading _: no experiment)


def chaos_experiment_file(experiment: str) -> str:
    """generated/<service>/chaos/<experiment>.yaml: the experiment's Chaos Mesh object."""
    return f"{CHAOS_DIR}/{experiment}.yaml"


def chaos_runbook_file(experiment: str) -> str:
    """runbooks/chaos-<experiment>.md (alert pages are kebab-case alert names, which start with
    the service's CamelCase prefix; the index checks they never collide)."""
    return f"chaos-{experiment}.md"


def promtool_chaos_test_file(experiment: str) -> str:
    """The proof of an experiment's expected alerts (validate_alerting_systems)."""
    return f"{PROMTOOL_TESTS_DIR}/_chaos-{experiment}.yaml"


RUNBOOK_INDEX_FILE = "README.md"  # runbooks/README.md: services, SLOs, every alert
# runbooks/postmortem-template.md: the service's post-incident review, pre-filled
POSTMORTEM_TEMPLATE_FILE = "postmortem-template.md"
ALERTMANAGER_ROUTES_FILE = "alertmanager/routes.yaml"  # fragment to merge into a config
ALERTMANAGER_CONFIG_FILE = "alertmanager/alertmanager.yml"  # complete config including it


def alertmanager_receiver(service: str, receiver: str) -> str:
    """Receiver name in Alertmanager: namespaced, so fragments of many services merge."""
    return f"{service}/{receiver}"


def business_hours_interval(service: str) -> str:
    """Name of the time interval business-hours-only incident classes are active in."""
    return f"{service}/business-hours"


def dashboard_uid(service: str, kind: str) -> str:
    """Stable Grafana uid (<= 40 chars, [A-Za-z0-9-_])."""
    uid = f"{service}-{kind}"
    if len(uid) <= 40:
        return uid
    import hashlib  # lazy: 2 ms of start-up, needed only for long uids

    digest = hashlib.sha256(uid.encode()).hexdigest()[:8]
    return f"{uid[: 40 - 9]}-{digest}"


def dashboard_url(base_url: str, service: str, kind: str) -> str:
    return f"{base_url.rstrip('/')}/d/{dashboard_uid(service, kind)}"


SLO_DASHBOARD = "slo"
GOLDEN_DASHBOARD = "golden-signals"

# Grafana file provisioning (sre_gen.compile.dashboards): where the provisioning file expects the
# service's grafana/ folder to be mounted inside the Grafana container or pod.
GRAFANA_DASHBOARDS_MOUNT = "/var/lib/grafana/dashboards"
GRAFANA_PROVISIONING_DIR = "/etc/grafana/provisioning/dashboards"


def dashboard_file(service: str, kind: str) -> str:
    """Dashboard JSON, relative to the service folder: ``grafana/<service>-slo.json``."""
    return f"{GRAFANA_DIR}/{service}-{kind}.json"


def dashboard_provisioning_file(service: str) -> str:
    """Grafana dashboard provider file: ``grafana/provisioning/dashboards/<service>.yaml``."""
    return f"{GRAFANA_DIR}/provisioning/dashboards/{service}.yaml"


def dashboard_mount_path(service: str) -> str:
    """Where the provider reads the JSON: the service's grafana/ folder mounted here."""
    return f"{GRAFANA_DASHBOARDS_MOUNT}/{service}"


def hpa_name(workload: str, provider: str) -> str:
    """Name of the HorizontalPodAutoscaler object: KEDA names the HPA it owns keda-hpa-<name>."""
    return f"keda-hpa-{workload}" if provider == "keda" else workload


# Autoscaling manifests (sre_gen.compile.kubernetes): hpa + adapter files, or the KEDA file alone.
HPA_FILE = f"{KUBERNETES_DIR}/hpa.yaml"
PROMETHEUS_ADAPTER_RULES_FILE = f"{KUBERNETES_DIR}/prometheus-adapter-rules.yaml"
PROMETHEUS_ADAPTER_VALUES_FILE = f"{KUBERNETES_DIR}/prometheus-adapter-values.yaml"
KEDA_SCALEDOBJECT_FILE = f"{KUBERNETES_DIR}/keda-scaledobject.yaml"
