"""``prometheus/tests/_chaos-<experiment>.yaml``: the seed's ``validate_alerting_systems`` step as
a promtool test. Per affected SLO, one group feeds the SLO's inputs healthy traffic (clean long
windows), then the experiment's error ratio for its duration, then healthy traffic again, and
asserts on every burn-rate tier what the experiment's runbook page says
(``sre_gen.experiments``, the SRE workbook's detection times):

- a tier that pages: silent shortly before its detection time, firing by the detection time
  plus the evaluation and window lags (``SloTests.lag``) and its ``for``, silent again once its
  condition has reset (the short window below the threshold after the end, or a faster tier's
  condition holding);
- a tier that stays silent (burn below its factor, experiment too short, held back by a faster
  tier): silent where its condition would be closest to firing (the end of the experiment) and,
  when held back, where its own condition holds;
- the budget-exhausted alert, when the test's history covers the SLO window: firing at the end
  of an experiment that spends the whole budget, else silent.

Each asserted state is first checked against the exact model of the rules (``inputs.Model``,
both range semantics); where the model finds a state too close to call (within 2% of a
threshold) the check moves one evaluation away or is left out, and where the model contradicts
the workbook's expectation the tier is listed as untested with the reason, so a generated test
never asserts what the rules do not do.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen import experiments as ex
from sre_gen.compile.rulebase import Rule
from sre_gen.durations import format_duration, num
from sre_gen.model import ChaosExperiment, Service
from sre_gen.proofs import model as pm
from sre_gen.proofs.feed import show
from sre_gen.proofs.inputs import BaseFeed, CounterFeed, Phase, choose_feed
from sre_gen.proofs.slo import SloTests
from sre_gen.proofs.slo_numbers import MARGIN, Untestable, _decimals, _restep, _state
from sre_gen.windows import HOUR


def _d(seconds: Decimal | Fraction | int) -> str:
    """Seconds for a comment: whole seconds as a duration, else a short decimal."""
    value = Fraction(seconds)
    if value.denominator == 1 and value > 0:
        return format_duration(int(value))
    return f"{float(value):.1f}s"


class ChaosSloProof:
    """The group of one affected SLO in an experiment's test file."""

    def __init__(self, service: Service, experiment: ChaosExperiment,
                 outcome: ex.SloOutcome, alerts: list[Rule], scoped: bool = False):
        self.service, self.e, self.o = service, experiment, outcome
        self.t = SloTests(service, outcome.slo, alerts, scoped)
        self.every = service.settings.evaluation_interval
        self.ratio = Fraction(outcome.impact.error_ratio)
        t = self.t
        per_sample = 10 ** _decimals(self.ratio)
        while t.guard is not None and per_sample < 5 * t.guard * t.step:
            per_sample *= 10
        traffic = Fraction(per_sample, t.step)
        self.choice = choose_feed(service, outcome.slo, traffic, scoped)
        if self.choice.burn is None:
            raise Untestable(self.choice.untested_reason)
        if not isinstance(self.choice.recorded, CounterFeed):
            traffic = Fraction(1)
            while t.guard is not None and traffic < 4 * t.guard:
                traffic *= 10
        feed = self.choice.burn
        self.gauge = isinstance(feed, BaseFeed) and feed.gauge
        if isinstance(feed, BaseFeed):
            feed = _restep(feed, self.every)
        self.feed = feed
        self.traffic = Fraction(1) if self.gauge else traffic
        tiers = [x for x in outcome.tiers if x.tier.name in t.burn]
        self.tiers = tiers
        lags = [t.lag(x.tier.long_window, self.every, feed) for x in tiers] or [0]
        self.history, self.partial = self._history(tiers, experiment.duration)
        self.t0 = pm.ceil_to(self.history + service.settings.base_window + max(lags) +
                             self.every, self.every)
        self.d = experiment.duration

    def _history(self, tiers, d: int) -> tuple[int, list]:
        """Seconds of healthy traffic the test needs before the experiment. A tier that fires
        (or is held back by a faster one) needs its whole long window clean, as the workbook
        assumes. A tier that stays silent because the experiment is too short needs less: with
        H seconds of history its long window averages e x d / (H + d), above the clean
        window's e x d / W, so silence here implies silence with clean windows (the faster
        tiers' windows, all covered, are unchanged). Every short window is covered."""
        st = self.service.settings
        need = [st.base_window] + [x.tier.short_window for x in tiers]
        partial = []
        for x in tiers:
            e, theta, w = self.ratio, Fraction(x.threshold), x.tier.long_window
            if x.fires_at is None and x.condition_at is None and x.held_by is None and e > theta:
                h = pm.ceil_to(e * d / (theta * (1 - 4 * MARGIN)) - d, HOUR // 4)
                if h < w:
                    need.append(h)
                    partial.append(x)
                    continue
            need.append(w)
        history = max(need)
        return history, [x for x in partial if x.tier.long_window > history]

    def _at(self, seconds: Decimal | Fraction | int) -> Fraction:
        return self.t0 + Fraction(seconds)

    def group(self) -> tuple[pm.Group, list[str]]:
        t, every, t0 = self.t, self.every, self.t0
        checks: list[tuple[int, object, bool, str]] = []  # (time, rule-ish, firing, why)
        untested: list[str] = []
        for x in self.tiers:
            tier = x.tier
            lag_long = t.lag(tier.long_window, every, self.feed)
            lag_short = t.lag(tier.short_window, every, self.feed)
            hold = pm.ceil_to(tier.for_seconds, every)
            mine: list[tuple[int, bool, str]] = []
            if x.fires_at is not None:
                assert x.condition_at is not None and x.resolves_at is not None
                before = pm.floor_to(self._at(x.condition_at), every) - 2 * every
                if before > t0:
                    mine.append((before, False, "before the detection time"))
                fired = pm.floor_to(self._at(x.fires_at) + lag_long, every) + every + hold
                mine.append((fired, True, f"detection time {_d(x.condition_at)}"
                             + (f" + for {format_duration(tier.for_seconds)}" if hold else "")
                             + " + one evaluation"
                             + (f" + the window's lag {_d(lag_long)}" if lag_long else "")))
                cleared = pm.ceil_to(self._at(x.resolves_at) + lag_short, every) + 2 * every
                mine.append((cleared, False, "after the condition reset"
                             + (f" (tier {x.held_by}'s condition holds)" if x.held_by else "")))
            else:
                end = pm.floor_to(self._at(self.d), every)
                mine.append((end, False, "at the end of the experiment: " + x.reason))
                if x.condition_at is not None:
                    own = pm.floor_to(self._at(x.condition_at) + lag_long, every) + 2 * every
                    if own < end:
                        mine.append((own, False, "its own condition holds: " + x.reason))
            phases = self.phases(max(m[0] for m in mine))
            model = self.feed.model(phases, max(m[0] for m in mine), every)
            kept = []
            for at, firing, why in mine:
                limit = min([m[0] for m in mine if not m[1] and m[0] > at],
                            default=at + every) - every
                # a state within 2% of a threshold is too close to call: a firing check moves
                # later (while the condition still holds), a silent one earlier
                step = every if firing else -every
                for y in range(at, (limit if firing else t0) + step, step):
                    state = self._state_held(model, tier, y, hold if firing else 0)
                    if state is not None:
                        break
                if state is firing:
                    kept.append((y, firing, why + ("" if y == at else
                                                   f", checked at {_d(y - t0)}: "
                                                   f"{_d(at - t0)} is too close to call")))
                elif state is not None:
                    untested.append(f"{t.burn[tier.name].alert} tier {tier.name} (the rules' "
                                    f"model disagrees with the workbook at "
                                    f"t={format_duration(at)}: not asserted)")
            for at, firing, why in kept:
                checks.append((at, tier, firing, why))
        exhausted = self._exhausted_check()
        if exhausted is not None:
            checks.append(exhausted)
        if not checks:
            raise Untestable("no check the rules' model can call")
        end = max(c[0] for c in checks)
        g = pm.Group(name=f"{self.e.name}: SLO {self.o.slo.name} at error ratio "
                          f"{show(self.ratio)} for {format_duration(self.d)}",
                     interval=self.feed.step)
        g.inputs = self.feed.inputs(self.phases(end), end)
        g.comments = self.comments(checks)
        sel = (cv.LABEL_TIER,)
        for at, what, firing, _why in checks:
            if what == "exhausted":
                rule = t.exhausted
                assert rule is not None
                g.expr_tests.append(pm.alerts_series_test(rule, dict(t.ids), at, firing))
            else:
                g.expr_tests.append(pm.alerts_series_test(t.burn[what.name],
                                                          t.expr_labels(what), at, firing,
                                                          select=sel))
        return g, untested

    def _state_held(self, model, tier, at: int, hold: int) -> bool | None:
        """The alert's state at ``at``: firing needs the expression true at every evaluation of
        the last ``hold`` seconds (its ``for``)."""
        states = [self.alert_state(model, tier, y)
                  for y in range(at - hold, at + 1, self.every)]
        if all(s is True for s in states):
            return True
        if states[-1] is False or any(s is False for s in states):
            return False
        return None

    def alert_state(self, model, tier, at: int) -> bool | None:
        """The tier's alert expression at ``at``: its condition under both range semantics
        (``SloTests._raw_state``: the same state under Prometheus 2 and 3, clear of the
        threshold), unless a faster tier holds it back."""
        state = self.t._raw_state(model, tier, at)
        if state is False:
            return False
        quiet = self.t.suppressed(model, tier, at)
        if quiet is True:
            return False
        return None if state is None or quiet is None else True

    def phases(self, end: int) -> list[Phase]:
        r, t0 = self.traffic, self.t0
        return [Phase(0, t0, r, Fraction(0)), Phase(t0, t0 + self.d, r, self.ratio),
                Phase(t0 + self.d, end + self.every, r, Fraction(0))]

    def _exhausted_check(self):
        """The budget-exhausted alert at the end of the experiment, when the history before it
        covers the SLO window (else the test's window would hold less traffic than the real one
        and overstate the ratio)."""
        t, slo = self.t, self.o.slo
        if t.exhausted is None or slo.window > self.t0 - self.service.settings.base_window:
            return None
        at = pm.floor_to(self.t0 + self.d, self.every) + self.every
        at += t.lag(slo.window, self.every, self.feed)
        at = pm.ceil_to(at, self.every)
        model = self.feed.model(self.phases(at), at, self.every)
        v = model.ratio(slo.window, at, src=t.src(slo.window), fed_ok=True)
        if v is None:
            return None
        state = _state(v, t.budget, strict=False)
        want = self.o.budget_spent >= 1
        if state is None or state != want:
            return None
        return (at, "exhausted", want, "the whole budget is spent" if want else
                "the experiment spends part of the budget")

    def comments(self, checks) -> list[str]:
        o, t = self.o, self.t
        text = [
            f"SLO {o.slo.name} (objective {num(o.slo.objective_percent)}%, error budget "
            f"{show(t.budget)}): healthy traffic ({t._rate(self.traffic)}) until "
            f"t={format_duration(self.t0)} (clean windows), then error ratio "
            f"{show(self.ratio)} (burn rate {num(o.burn_rate)}x"
            + (", assumed from the blast radius" if o.impact.assumed else "")
            + f") for {format_duration(self.d)}, then none.",
            f"Inputs: {self.feed.describe()}.",
        ]
        for x in self.partial:
            text.append(
                f"The {format_duration(x.tier.long_window)} window of tier {x.tier.name} holds "
                f"only {format_duration(self.t0)} of history at the start: its ratio is higher "
                "than over a clean full window, so its silence here implies silence then.")
        for at, what, firing, why in sorted(checks, key=lambda c: (c[0], str(c[1]))):
            name = "budget exhausted" if what == "exhausted" else f"tier {what.name}"
            text.append(f"t={format_duration(at)} ({_d(at - self.t0)} after the start): {name} "
                        f"{'firing' if firing else 'silent'}, {why}.")
        return text


def experiment_file(service: Service, experiment: ChaosExperiment,
                    alerts: list[Rule], scoped: bool = False) -> pm.PromtoolFile:
    f = pm.PromtoolFile(path=cv.promtool_chaos_test_file(experiment.name),
                        evaluation_interval=service.settings.evaluation_interval)
    f.comments = [
        f"promtool tests of chaos experiment {experiment.name} ({service.name}): the alerts its "
        f"runbook page ({cv.RUNBOOKS_DIR}/{cv.chaos_runbook_file(experiment.name)}) expects, "
        f"for {format_duration(experiment.duration)} at a blast radius of "
        f"{experiment.blast_radius}%.",
        "Run: sre-gen test (or: promtool test rules <this file>).",
    ]
    for outcome in ex.outcomes(service, experiment):
        try:
            proof = ChaosSloProof(service, experiment, outcome, alerts, scoped)
            group, untested = proof.group()
        except Untestable as exc:
            f.untested.append(f"chaos {experiment.name} on SLO {outcome.slo.name} ({exc})")
            continue
        f.groups.append(group)
        ids = dict(proof.t.slo_ids)  # rules whose series this SLO's group feeds
        f.left_out += [(record, ids) for record in proof.choice.left_out]
        f.untested.extend(untested)
    return f


def chaos_test_files(service: Service, alerts: list[Rule],
                     scoped: bool = False) -> list[pm.PromtoolFile]:
    if service.chaos is None:
        return []
    return [experiment_file(service, e, alerts, scoped) for e in service.chaos.experiments]
