"""What the replayed series say: per alert its firing episodes, per SLO its budget and burns.

Definitions (README "sre-gen backtest"):
- a firing episode is an unbroken run of evaluations at which vmalert wrote
  ``ALERTS{alertstate="firing"}`` (a gap of more than 1.5 evaluation intervals ends it); it lasts
  from its first firing evaluation to one interval after its last; each episode of an alert
  whose severity pages is one page;
- an alert pages when its severity's incident class routes to a PagerDuty receiver; a spec
  without incident classes and on-call receivers pages for ``critical`` only;
- pages per week: pages / (period / 7 days);
- budget spent: the errors of the period (the base series ``slo:sli_errors:rate<base>`` summed
  over the evaluations, as the long windows sum them) divided by the budget the period's traffic
  allowed, ``error budget x events``: 1 = the period's traffic used exactly its budget;
- worst burn: per tier window the largest recorded ``slo:sli_error:ratio_rate<W>`` / budget;
- time to detect a burn an alert caught: from the start of the burn (the first evaluation of the
  unbroken stretch before the firing in which the base-window burn rate was above 1) to the
  first firing evaluation;
- an SLO had no data when its base total series has no sample in the period (its SLI was never
  evaluated: absent or unknown inputs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sre_gen import conventions as cv
from sre_gen.durations import num
from sre_gen.live.client import Prometheus
from sre_gen.model import SLO, Service

WEEK = 7 * 86400
GAP = 1.5  # evaluation intervals between two firing samples of one episode


@dataclass(frozen=True)
class Episode:
    start: float
    end: float  # one interval after the last firing evaluation

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class AlertResult:
    alertname: str
    labels: tuple[tuple[str, str], ...]  # the ALERTS series' labels but name and state
    severity: str
    pages: bool
    episodes: tuple[Episode, ...]
    per_week: float  # episodes per week
    over: bool  # pages more than the threshold per week

    @property
    def total_seconds(self) -> float:
        return sum(e.seconds for e in self.episodes)

    @property
    def longest_seconds(self) -> float:
        return max((e.seconds for e in self.episodes), default=0.0)

    def label(self, name: str) -> str:
        return dict(self.labels).get(name, "")


@dataclass(frozen=True)
class Detection:
    tier: str
    burn_start: float
    fired: float

    @property
    def seconds(self) -> float:
        return self.fired - self.burn_start


@dataclass(frozen=True)
class Burn:
    tier: str
    window: int
    factor: float
    worst: float  # largest burn rate recorded over the window (NaN: none)
    at: float


@dataclass
class SLOResult:
    name: str
    objective: str
    window: int
    budget: float
    has_data: bool
    coverage: float  # share of the period's evaluations with a base total sample
    error_ratio: float | None
    budget_spent: float | None
    burns: list[Burn] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)
    # plot data
    burn_down: list[tuple[float, float]] = field(default_factory=list)  # budget left (period)
    recorded_remaining: list[tuple[float, float]] = field(default_factory=list)
    window_burn: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    firing: dict[str, list[Episode]] = field(default_factory=dict)  # tier -> episodes


@dataclass
class Result:
    service: str
    start: float
    end: float
    interval: int
    threshold: float
    alerts: list[AlertResult]
    slos: list[SLOResult]
    by_severity: list[tuple[str, bool, int, float]]  # severity, pages, episodes, per week

    @property
    def weeks(self) -> float:
        return (self.end - self.start) / WEEK

    @property
    def noisy(self) -> list[AlertResult]:
        return [a for a in self.alerts if a.over]

    @property
    def no_data(self) -> list[SLOResult]:
        return [s for s in self.slos if not s.has_data]


def pages(service: Service, severity: str) -> bool:
    """Whether an alert of ``severity`` pages (see the module docstring)."""
    if service.incident_classes and service.oncall:
        cls = service.incident_class_for(severity)
        if cls is None:
            return False
        kinds = {r.name: r.kind for r in service.oncall.receivers}
        return kinds.get(cls.receiver) == "pagerduty"
    return severity == "critical"


def episodes(points: list[tuple[float, float]], interval: int) -> list[Episode]:
    out: list[Episode] = []
    first = last = None
    for at, _value in sorted(points):
        if last is not None and at - last > GAP * interval:
            out.append(Episode(first, last + interval))
            first = None
        if first is None:
            first = at
        last = at
    if first is not None:
        out.append(Episode(first, last + interval))
    return out


def _points(store: Prometheus, selector: str, start: float,
            end: float) -> list[tuple[float, float]]:
    """The samples of ``selector`` in [start, end] (one series expected)."""
    return sorted(p for s in store.samples(selector, start - 1, end) for p in s.points)


def analyze(service: Service, store: Prometheus, start: float, end: float, interval: int,
            threshold: float, intervals: dict[str, int] | None = None) -> Result:
    """``interval``: the replay's step; ``intervals``: an alert's own group interval by name
    (default ``interval``), which its episodes are measured in."""
    weeks = (end - start) / WEEK
    intervals = intervals or {}
    alerts = []
    for s in store.samples(f'{cv.ALERTS}{{alertstate="firing"}}', start - 1, end):
        labels = tuple(sorted((k, v) for k, v in s.labels.items()
                              if k not in ("__name__", cv.LABEL_ALERTSTATE)))
        name = s.labels.get(cv.LABEL_ALERTNAME, "")
        eps = tuple(episodes(list(s.points), intervals.get(name, interval)))
        sev = dict(labels).get(cv.LABEL_SEVERITY, "")
        paging = pages(service, sev)
        per_week = len(eps) / weeks if weeks > 0 else 0.0
        alerts.append(AlertResult(name, labels, sev, paging,
                                  eps, per_week, paging and per_week > threshold))
    alerts.sort(key=lambda a: (a.alertname, a.labels))
    severities: dict[str, list[int]] = {}
    for a in alerts:
        severities.setdefault(a.severity, [0])[0] += len(a.episodes)
    by_severity = [(sev, pages(service, sev), n[0], n[0] / weeks if weeks > 0 else 0.0)
                   for sev, n in sorted(severities.items())]
    slos = [_slo(service, slo, store, start, end, service.settings.evaluation_interval, alerts)
            for slo in service.slos]
    return Result(service.name, start, end, interval, threshold, alerts, slos, by_severity)


def _slo(service: Service, slo: SLO, store: Prometheus, start: float, end: float, interval: int,
         alerts: list[AlertResult]) -> SLOResult:
    st = service.settings
    ident = f'{{{cv.LABEL_SERVICE}="{_esc(service.name)}",{cv.LABEL_SLO}="{_esc(slo.name)}"}}'
    budget = float(slo.error_budget)
    errs = dict(_points(store, cv.sli_errors(st.base_window) + ident, start, end))
    total = dict(_points(store, cv.sli_total(st.base_window) + ident, start, end))
    common = sorted(set(errs) & set(total))
    evaluations = int((end - start) // interval) + 1
    result = SLOResult(slo.name, num(slo.objective_percent), slo.window, budget,
                       has_data=bool(total), coverage=min(1.0, len(total) / evaluations),
                       error_ratio=None, budget_spent=None)
    all_events = sum(total[t] for t in common)
    if common and all_events > 0:
        bad = sum(errs[t] for t in common)
        result.error_ratio = bad / all_events
        result.budget_spent = result.error_ratio / budget
        cumulative = 0.0
        for t in common:
            cumulative += errs[t]
            result.burn_down.append((t, 1 - cumulative / (budget * all_events)))
    result.recorded_remaining = _points(store, cv.SLO_BUDGET_REMAINING + ident, start, end)
    windows = sorted({w for tier in slo.tiers for w in (tier.long_window, tier.short_window)}
                     | {st.base_window})
    for w in windows:
        result.window_burn[w] = [(t, v / budget) for t, v in
                                 _points(store, cv.sli_error_ratio(w) + ident, start, end)]
    for tier in slo.tiers:
        pts = result.window_burn.get(tier.long_window, [])
        worst = max(pts, key=lambda p: p[1], default=(float("nan"), float("nan")))
        result.burns.append(Burn(tier.name, tier.long_window, float(tier.burn_rate), worst[1],
                                 worst[0]))
    prefix = cv.alert_prefix(service.name, st.alert_prefix)
    burn_alert = cv.slo_alert_burn(prefix, slo.name)
    base_burn = sorted(result.window_burn.get(st.base_window, []))
    for a in alerts:
        if a.alertname != burn_alert or a.label(cv.LABEL_SLO) != slo.name:
            continue
        tier = a.label(cv.LABEL_TIER)
        result.firing.setdefault(tier, []).extend(a.episodes)
        for ep in a.episodes:
            result.detections.append(Detection(tier, _burn_start(base_burn, ep.start, interval),
                                               ep.start))
    result.detections.sort(key=lambda d: (d.fired, d.tier))
    return result


def _burn_start(burn: list[tuple[float, float]], fired: float, interval: int) -> float:
    """The first evaluation of the unbroken run of base-window burn rates above 1 that ends at
    ``fired`` (``fired`` itself when the base window was not burning then)."""
    start = fired
    before = [p for p in burn if p[0] <= fired]
    for at, value in reversed(before):
        if value <= 1 or start - at > GAP * interval:
            break
        start = at
    return start


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
