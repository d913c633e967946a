"""The typed model: what every compiler sees after validation.

Nothing after ``sre_gen.spec.build`` touches a raw dict. All classes are frozen; collections are
tuples; durations are whole seconds (``int``); objectives and thresholds are ``Decimal`` so that
numbers print exactly as the user wrote them (0.9995, never 0.9994999999999999).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

MatchOp = Literal["=", "!=", "=~", "!~"]
CompareOp = Literal[">", ">=", "<", "<="]


@dataclass(frozen=True)
class Matcher:
    """One label matcher of a structured selector: ``name op "value"``."""

    name: str
    op: MatchOp
    value: str


@dataclass(frozen=True)
class MetricSelector:
    """A metric name plus label matchers, rendered with escaping by ``sre_gen.promql``."""

    metric: str
    matchers: tuple[Matcher, ...] = ()


@dataclass(frozen=True)
class EventSource:
    """Counts events: either a counter (``selector``) or raw PromQL with a ``{{window}}`` placeholder.

    Exactly one of ``selector`` and ``query`` is set.
    """

    selector: MetricSelector | None = None
    query: str | None = None


@dataclass(frozen=True)
class RatioSLI:
    """errors/total or good/total. ``bad_is_good`` tells that ``events`` counts good events."""

    events: EventSource
    total: EventSource
    events_are_good: bool = False


@dataclass(frozen=True)
class LatencySLI:
    """Histogram latency: good = requests at or under ``threshold_seconds``."""

    histogram: MetricSelector  # base name: <metric>_bucket / <metric>_count are derived
    threshold_seconds: Decimal


@dataclass(frozen=True)
class GaugeSLI:
    """Fraction of time a gauge meets a bound: good while ``value op threshold`` holds."""

    query: str  # rendered PromQL returning one series (structured selectors are rendered at build)
    op: CompareOp
    threshold: Decimal
    aggregation: str | None = None  # for documentation only


SLI = RatioSLI | LatencySLI | GaugeSLI


@dataclass(frozen=True)
class BurnTier:
    """One multi-window multi-burn-rate tier, resolved for one SLO."""

    name: str
    burn_rate: Decimal  # resolved factor (given, or budget_share * period / long_window)
    long_window: int  # seconds
    short_window: int  # seconds
    severity: str
    budget_share_percent: Decimal | None = None  # as given in the spec, if given that way
    for_seconds: int = 0  # pending duration (the workbook advises none)
    labels: tuple[tuple[str, str], ...] = ()  # extra labels on its burn alerts (over the SLO's)
    annotations: tuple[tuple[str, str], ...] = ()  # extra annotations (templates), same order


@dataclass(frozen=True)
class SLO:
    name: str
    description: str
    objective_percent: Decimal  # e.g. Decimal("99.95")
    window: int  # seconds
    sli: SLI
    tiers: tuple[BurnTier, ...]
    min_event_rate: Decimal | None  # low-traffic guard, events/s averaged over the long window
    labels: tuple[tuple[str, str], ...] = ()  # metadata labels (mutable; never on SLI series)
    runbook: str | None = None  # name of a spec runbook
    line: int = 0  # line in the spec, for messages
    alert_name: str | None = None  # name of its burn-rate alerts (default: conventions')
    alert_labels: tuple[tuple[str, str], ...] = ()  # extra labels on its burn-rate alerts
    alert_annotations: tuple[tuple[str, str], ...] = ()  # extra annotations (templates)
    # Pyrra's grouping: SLI series, budget and alerts per value of these labels (validated label
    # names, none of sre-gen's own); () = one SLI for the whole SLO
    grouping: tuple[str, ...] = ()

    @property
    def objective_ratio(self) -> Decimal:
        return self.objective_percent / 100

    @property
    def error_budget(self) -> Decimal:
        return (100 - self.objective_percent) / 100


@dataclass(frozen=True)
class BudgetAlertSettings:
    """Error-budget-exhausted and SLI-absent alerts (each optional)."""

    exhausted_enabled: bool = True
    exhausted_severity: str = "warning"
    absent_enabled: bool = True
    absent_for: int = 600
    absent_severity: str = "warning"
    unknown_enabled: bool = True
    unknown_for: int = 600
    unknown_severity: str = "warning"


@dataclass(frozen=True)
class ErrorBudgetPolicy:
    budget_exhausted_actions: tuple[str, ...] = ()
    budget_healthy_actions: tuple[str, ...] = ()
    alerts: BudgetAlertSettings = field(default_factory=BudgetAlertSettings)


@dataclass(frozen=True)
class GoldenSignal:
    name: str
    signal: str  # latency | traffic | errors | saturation
    description: str
    query: str
    unit: str
    warning: Decimal | None
    critical: Decimal | None
    low: Decimal | None  # traffic only
    high: Decimal | None  # traffic only
    for_seconds: int
    runbook: str | None
    warning_severity: str = "warning"
    critical_severity: str = "critical"
    line: int = 0


@dataclass(frozen=True)
class InputSeries:
    series: str  # promtool series notation: metric{label="value"}
    values: str  # promtool expanding notation: "0+1x60"


@dataclass(frozen=True)
class AlertTestCase:
    """A user-supplied promtool case for an alert sre-gen cannot synthesize inputs for."""

    name: str
    expect: Literal["firing", "silent"]
    eval_time: int  # seconds
    interval: int  # seconds between input samples
    input_series: tuple[InputSeries, ...]
    exp_labels: tuple[tuple[str, str], ...] = ()  # extra labels expected on a firing alert


@dataclass(frozen=True)
class CustomAlert:
    name: str  # Prometheus alert name as written (CamelCase)
    expr: str
    for_seconds: int
    severity: str
    summary: str
    description: str
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...]  # extra annotations (impact, action, ...)
    runbook: str | None  # spec runbook name
    runbook_url: str | None  # explicit external URL
    tests: tuple[AlertTestCase, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class SecurityRule:
    name: str
    description: str
    counter: EventSource  # a counter selector or raw query with {{window}}
    threshold: Decimal  # events per ``per``
    per: int  # seconds
    severity: str
    action: str
    runbook: str | None = None


@dataclass(frozen=True)
class BackupTarget:
    name: str  # data kind (database, configuration, logs)
    rpo: int  # seconds
    last_success: str  # PromQL returning a unix timestamp of the last good backup/replication
    severity: str
    frequency: str = ""  # text, for runbooks
    retention: str = ""
    runbook: str | None = None


@dataclass(frozen=True)
class RecoveryTarget:
    name: str
    rto: int  # seconds


@dataclass(frozen=True)
class DisasterRecovery:
    backups: tuple[BackupTarget, ...] = ()
    rto: tuple[RecoveryTarget, ...] = ()
    procedures: tuple[str, ...] = ()


REGION_ROLES = ("primary", "secondary", "disaster-recovery")  # role label values, in order


@dataclass(frozen=True)
class Region:
    name: str  # the region as its series label it (us-east-1)
    role: str  # primary | secondary | disaster-recovery


@dataclass(frozen=True)
class Replication:
    data: str  # data kind (database, application-data, configuration)
    mode: Literal["synchronous", "asynchronous", "real-time"]
    to: tuple[str, ...]  # roles receiving replicas: secondary, disaster-recovery


@dataclass(frozen=True)
class RegionSignal:
    """A per-target 0/1 series (up, probe_success); the region matcher is added per region."""

    selector: MetricSelector
    for_seconds: int
    severity: str


@dataclass(frozen=True)
class ErrorSpike:
    """The region's current error ratio (base window) against ``factor`` x its baseline: the same
    region's request-weighted error ratio over ``baseline`` seconds, never below ``floor``."""

    slo: str
    sli: RatioSLI | LatencySLI  # the SLO's SLI (selectors only), computed per region
    factor: Decimal
    baseline: int  # seconds
    floor: Decimal  # ratio
    for_seconds: int
    severity: str


@dataclass(frozen=True)
class Regions:
    regions: tuple[Region, ...]  # primary first, then secondary, disaster recovery
    label: str = "region"
    replication: tuple[Replication, ...] = ()
    unavailable: RegionSignal | None = None
    health_check: RegionSignal | None = None
    error_spike: ErrorSpike | None = None
    failover_command: str = ""
    runbook: str | None = None
    line: int = 0

    def role_of(self, role: str) -> Region | None:
        return next((r for r in self.regions if r.role == role), None)


@dataclass(frozen=True)
class CapacityResource:
    name: str
    usage: str  # PromQL of current usage
    limit: str  # PromQL of the capacity (or a number)
    growth_percent_per_quarter: Decimal
    severity: str
    runbook: str | None = None


@dataclass(frozen=True)
class CapacityHorizon:
    name: str  # short | medium | long
    seconds: int


@dataclass(frozen=True)
class CapacityPlanning:
    lookback: int
    horizons: tuple[CapacityHorizon, ...]
    alert_horizon: int  # predict_linear horizon for the alert
    resources: tuple[CapacityResource, ...]
    growth: tuple[tuple[str, Decimal], ...] = ()  # growth projections (name -> % per quarter)
    review_cadence: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ScalingPolicy:
    type: Literal["Pods", "Percent"]
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScalingRules:
    stabilization_seconds: int | None
    select_policy: Literal["Max", "Min", "Disabled"] | None
    policies: tuple[ScalingPolicy, ...]


@dataclass(frozen=True)
class PodMetric:
    name: str  # metric name the HPA asks for (e.g. active_reviews_per_pod)
    target_average_value: Decimal
    series: str  # source series in Prometheus (e.g. autogen_active_reviews)
    matchers: tuple[Matcher, ...]  # selector on the source series
    aggregation: str  # sum | avg | max


@dataclass(frozen=True)
class Autoscaling:
    kind: str  # Deployment | StatefulSet
    name: str
    min_replicas: int
    max_replicas: int
    cpu_utilization: int | None
    memory_utilization: int | None
    pod_metrics: tuple[PodMetric, ...]
    scale_up: ScalingRules | None
    scale_down: ScalingRules | None
    provider: Literal["prometheus-adapter", "keda"]
    keda_server_address: str = "http://prometheus-operated.monitoring.svc:9090"
    at_max_for: int = 900
    unable_to_scale_for: int = 900
    line: int = 0


@dataclass(frozen=True)
class IncidentClass:
    name: str  # sev1 ...
    title: str
    description: str
    response_time: int  # seconds
    escalation_time: int  # seconds
    response_text: str  # as written ("15 minutes", "1 business day")
    escalation_text: str
    examples: tuple[str, ...]
    severities: tuple[str, ...]  # alert severities mapped to this class
    receiver: str  # name of a receiver
    business_hours_only: bool = False


@dataclass(frozen=True)
class Receiver:
    name: str
    kind: Literal["pagerduty", "slack", "webhook", "email", "none"]
    target: str  # url, channel, address or key file, depending on kind
    description: str = ""
    secret_file: str = ""  # slack: file holding the webhook URL


@dataclass(frozen=True)
class Oncall:
    receivers: tuple[Receiver, ...]
    escalation: tuple[str, ...]  # ordered escalation path (text), e.g. primary, secondary, manager
    default_receiver: str
    rotation: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RunbookStep:
    title: str
    command: str | None
    note: str | None = None


@dataclass(frozen=True)
class Runbook:
    name: str
    title: str
    description: str
    steps: tuple[RunbookStep, ...]


@dataclass(frozen=True)
class ChaosImpact:
    """The expected effect of a chaos experiment on one SLO: the share of its events that fail
    (or miss the latency/gauge bound) while the experiment runs."""

    slo: str
    error_ratio: Decimal
    assumed: bool  # True: derived from the blast radius (no expectedErrorRatio in the spec)


@dataclass(frozen=True)
class ChaosFault:
    """What the experiment breaks. ``kind``: network-timeout (packets to ``hosts`` dropped),
    connection-loss (the same toward one host:port), memory-stress, cpu-stress, node-failure."""

    kind: Literal["network-timeout", "connection-loss", "memory-stress", "cpu-stress",
                  "node-failure"]
    hosts: tuple[str, ...] = ()  # network faults: host, IP or CIDR, optionally :port
    workers: int = 1  # stress faults: stress-ng workers per pod
    memory_size: str = ""  # memory-stress: bytes per worker ("256MB", "80%")
    cpu_load: int = 100  # cpu-stress: percent load per worker


@dataclass(frozen=True)
class ChaosExperiment:
    name: str
    description: str
    category: str  # the seed's grouping (network-failures, resource-exhaustion, ...)
    fault: ChaosFault
    namespace: str  # of the target pods
    labels: tuple[tuple[str, str], ...]  # label selector of the target pods
    blast_radius: int  # percent of the target's pods
    duration: int  # seconds
    impacts: tuple[ChaosImpact, ...]
    abort_when: tuple[str, ...] = ()
    rollback: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class ChaosProgram:
    """The ``chaos`` section: experiments, the weekly schedule that runs them one after another
    with a cool-down in between, and the seed's pipeline steps around each."""

    schedule: str  # cron (Chaos Mesh Schedule syntax)
    cooldown: int  # seconds between two experiments of a scheduled run
    history_limit: int
    pre_experiment: tuple[str, ...]
    during_experiment: tuple[str, ...]
    post_experiment: tuple[str, ...]
    experiments: tuple[ChaosExperiment, ...]


@dataclass(frozen=True)
class Settings:
    evaluation_interval: int = 60  # rule group interval, seconds
    base_window: int = 300  # short base rate window the long windows are derived from
    raw_window_max: int = 21600  # windows <= this are computed from raw counters
    coarse_levels: bool = True  # longer windows sum 5m/1h level series (windows.Level)
    prometheus_rule_labels: tuple[tuple[str, str], ...] = ()
    rule_format: str = "files"  # files | prometheusRule | both
    write_promtool_tests: bool = False  # else sre-gen test generates them in a temporary folder
    dashboard_refresh: str = "1m"
    alert_prefix: str = ""  # CamelCase prefix of every generated alert name (default: service name)
    max_rules_per_group: int = 20  # larger groups are split (Grafana Mimir's default ruler limit)
    partial_response_strategy: str = ""  # Thanos Ruler: abort | warn, on the PrometheusRule only
    sloth_compat: bool = False  # Sloth's sloth_* labels on the series its dashboards read


@dataclass(frozen=True)
class PostmortemPolicy:
    """The post-incident review process (the seed's postmortem_process): deadlines counted from
    the incident's resolution, and the review's culture (principles, as written)."""

    initial_report: int = 86400  # seconds: initial report within 24h
    detailed_analysis: int = 7 * 86400  # detailed analysis within 1 week
    action_items: int = 14 * 86400  # action items (with owners) within 2 weeks
    follow_up_review: int = 30 * 86400  # follow-up review within 1 month
    culture: tuple[str, ...] = ()


@dataclass(frozen=True)
class Service:
    name: str
    team: str
    namespace: str
    description: str
    labels: tuple[tuple[str, str], ...]
    runbook_base_url: str
    dashboard_base_url: str
    settings: Settings
    slos: tuple[SLO, ...]
    policy: ErrorBudgetPolicy
    golden_signals: tuple[GoldenSignal, ...]
    custom_alerts: tuple[CustomAlert, ...]
    security: tuple[SecurityRule, ...]
    disaster_recovery: DisasterRecovery
    capacity: CapacityPlanning | None
    autoscaling: Autoscaling | None
    incident_classes: tuple[IncidentClass, ...]
    oncall: Oncall | None
    runbooks: tuple[Runbook, ...]
    incident_procedures: tuple[tuple[str, tuple[str, ...]], ...] = ()
    regions: Regions | None = None
    postmortem: PostmortemPolicy = field(default_factory=PostmortemPolicy)
    spec_path: str = ""  # as given on the command line, posix, relative when possible
    chaos: ChaosProgram | None = None

    def incident_class_for(self, severity: str) -> IncidentClass | None:
        for cls in self.incident_classes:
            if severity in cls.severities:
                return cls
        return None

    def runbook_named(self, name: str | None) -> Runbook | None:
        for rb in self.runbooks:
            if rb.name == name:
                return rb
        return None
