"""Which burn-rate alerts a chaos experiment should fire, and when: the SRE workbook's detection
math (``sre_gen.burnrate``) applied to a step of the experiment's error ratio, as pure functions.

An experiment of duration d raises an SLO's error ratio from ~0 to e (``ChaosImpact``) and back.
For a tier with factor b, long window W, short window s and pending time ``for``, threshold
theta = b x (1 - S):

- its condition (both windows above theta) starts when the long window's average reaches theta:
  ``burnrate.detection_seconds`` = theta / e x W after the start (the short window, s < W, got
  there earlier), if that is within d: the long window's average never grows after the end;
- it holds until the short window has dropped below theta again: d + s x (1 - theta / e)
  (``burnrate.clear_seconds``);
- the alert fires ``for`` after the condition starts, unless a faster tier's condition started
  first: the rules hold a slower tier back while a faster one's condition held within the
  slower tier's short window (``slo_rules``), so one incident pages once. A slower tier whose
  condition starts first pages until the faster one's condition starts.

The windows are assumed clean (no errors) when the experiment starts: the scheduled run waits
``chaos.cooldown`` (default: the longest long window) between experiments.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sre_gen import burnrate
from sre_gen.model import SLO, BurnTier, ChaosExperiment, ChaosImpact, Service


@dataclass(frozen=True)
class TierOutcome:
    tier: BurnTier
    threshold: Decimal  # error ratio theta = b x (1 - S)
    condition_at: Decimal | None  # seconds after the start; None: not within the experiment
    condition_until: Decimal | None  # seconds after the start
    fires_at: Decimal | None  # seconds after the start; None: the tier stays silent
    resolves_at: Decimal | None  # when the firing alert resolves (seconds after the start)
    held_by: str | None  # the faster tier that keeps it silent (or resolves it)
    reason: str  # why it stays silent, for the runbook ("" when it fires)


@dataclass(frozen=True)
class SloOutcome:
    slo: SLO
    impact: ChaosImpact
    burn_rate: Decimal  # e / (1 - S)
    budget_spent: Decimal  # share of the SLO window's error budget the experiment spends
    tiers: tuple[TierOutcome, ...]

    @property
    def paging(self) -> tuple[TierOutcome, ...]:
        return tuple(t for t in self.tiers if t.fires_at is not None)


def _condition(tier: BurnTier, slo: SLO, e: Decimal, d: int) -> tuple[Decimal | None,
                                                                      Decimal | None, str]:
    theta = burnrate.error_ratio_threshold(tier.burn_rate, slo.error_budget)
    if e <= theta:
        return None, None, (f"the burn rate stays below {tier.burn_rate}x: the error ratio never "
                            "exceeds the tier's threshold")
    start = burnrate.detection_seconds(tier.burn_rate, slo.error_budget, e, tier.long_window)
    if start > d:
        return None, None, ("the experiment ends before the long window's average reaches the "
                            "threshold")
    until = Decimal(d) + burnrate.clear_seconds(tier.burn_rate, slo.error_budget, e,
                                                tier.short_window)
    return start, until, ""


def slo_outcome(slo: SLO, impact: ChaosImpact, duration: int, tiers: tuple[BurnTier, ...] | None
                = None) -> SloOutcome:
    """The expected alerts of one SLO's tiers (``tiers``: those with an alert, default all)."""
    tiers = slo.tiers if tiers is None else tiers
    e = impact.error_ratio
    conditions = {t.name: _condition(t, slo, e, duration) for t in tiers}
    out = []
    for tier in tiers:
        start, until, reason = conditions[tier.name]
        theta = burnrate.error_ratio_threshold(tier.burn_rate, slo.error_budget)
        fires = resolves = None
        held = None
        if start is not None:
            assert until is not None
            faster = sorted(((conditions[f.name][0], f.name) for f in tiers
                             if f.burn_rate > tier.burn_rate and
                             conditions[f.name][0] is not None))
            end = until
            if faster and faster[0][0] <= start + tier.for_seconds:
                held = faster[0][1]
                reason = (f"held back: tier {held}'s condition holds first (one page per "
                          "incident)")
            else:
                if faster:
                    held, end = faster[0][1], faster[0][0]
                if start + tier.for_seconds < end:
                    fires, resolves = start + tier.for_seconds, end
                elif held is None:
                    reason = f"the condition holds for less than its for ({tier.for_seconds}s)"
                else:
                    reason = (f"held back: tier {held}'s condition holds before this one's for "
                              "ends")
        out.append(TierOutcome(tier, theta, start, until, fires, resolves, held, reason))
    return SloOutcome(slo=slo, impact=impact, burn_rate=e / slo.error_budget,
                      budget_spent=e * duration / (slo.error_budget * slo.window),
                      tiers=tuple(out))


def outcomes(service: Service, experiment: ChaosExperiment) -> tuple[SloOutcome, ...]:
    """The expected alerts of every SLO the experiment affects, in the experiment's order (the
    spec checks guarantee each exists; a service changed after the build, as tests do, may
    have dropped some: those are left out)."""
    slos = {s.name: s for s in service.slos}
    return tuple(slo_outcome(slos[i.slo], i, experiment.duration) for i in experiment.impacts
                 if i.slo in slos)
