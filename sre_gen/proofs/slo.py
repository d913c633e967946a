"""promtool tests of one SLO: its recorded series, its budget alerts and every burn-rate tier.

Files (relative to the service folder):
- ``prometheus/tests/<slo>.yaml`` (the rules' evaluation interval): recorded base rates, window
  ratios (request-weighted), burn rates and budget remaining; budget-exhausted, SLI-absent and
  low-traffic-guard behaviour;
- ``prometheus/tests/<slo>.period.yaml``: the SLO window against its shorter neighbour, over
  more than that neighbour (a coarser test interval keeps promtool fast);
- ``prometheus/tests/<slo>.tier-<tier>.yaml``, one per tier, at an interval fitted to the tier:
  labels and annotations at 1.25x its threshold, silence at 0.8x, and the timing of a burn after
  a clean long window (absorbed, then fired by the workbook's detection time, then cleared).

Expected values come from an exact model of the rule semantics (``inputs.Model``) and
are asserted only where Prometheus 2 (closed ranges) and 3 (left-open ranges) agree. Timing
bounds come from the SRE workbook (``burnrate.detection_seconds``), never from the rules.

Numbers, so that float64 cannot flip a result (promtool 2.42 compares samples exactly):
- inputs are exact: counters count whole events, 10^k per sample where k is the decimals of the
  scenarios' error ratios (tier test levels are rounded to 3 significant digits, ``_short``, to
  keep k small), starting at a small power of ten that keeps rate()'s zero-point clamp out
  (``inputs._counter_start``); every value stays far below 2^53, so promtool's
  repeated additions are exact. Fed base series are decimals of at most 12 significant
  digits, and the model computes on those printed values (``feed.printed``).
- asserted values are bounded in precision, not in magnitude: each is compared after rounding
  to 9 decimals, or to 10 significant digits from 10 on (``model.decimals_for``:
  ``round(x * 1e3) / 1e3`` for 3333333.333). float64 holds about 16 digits, so the few
  roundings of rate() and sum_over_time stay below the last compared digit at any magnitude
  (a base rate of millions of events/s as well as a ratio of 1e-6); a value within a
  thousandth of a rounding boundary is not asserted.
"""


from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.proofs import model as pm
from sre_gen.proofs.feed import show
from sre_gen.proofs.inputs import (BaseFeed, CounterFeed, Feed, choose_feed, counter_step,
                                   with_group)
from sre_gen.compile.rulebase import Rule
from sre_gen.compile import slo_rules
from sre_gen.durations import format_duration, num
from sre_gen.model import SLO, BurnTier, GaugeSLI, Service
from sre_gen.windows import RAW, Level, Source, is_raw, slo_windows, source
from sre_gen.proofs.slo_numbers import Untestable, sim_lookback, _decimals, _state
from sre_gen.proofs.slo_period import PeriodProofs
from sre_gen.proofs.slo_recorded import RecordedProofs
from sre_gen.proofs.slo_groups import GroupProofs
from sre_gen.proofs.slo_tiers import TierProofs


def group_labels(slo: SLO, index: int) -> dict[str, str]:
    """The labels of the ``index``-th test group of a grouped SLO (``{}`` when ungrouped): every
    grouping label gets a value naming the group, ``a`` for the first, ``b`` for the second."""
    return {label: chr(ord("a") + index) for label in slo.grouping}


class SloTests(RecordedProofs, PeriodProofs, TierProofs, GroupProofs):
    """The proofs of one SLO: the shared state and model queries here; each file's tests
    in its own mixin (``slo_recorded``, ``slo_period``, ``slo_tiers``)."""

    def __init__(self, service: Service, slo: SLO, alerts: list[Rule], scoped: bool = False):
        """``scoped``: the proofs run with only the rules they read (``proofs.scoped``), so a
        rule whose series they feed can be left out (``inputs.choose_feed``)."""
        self.service, self.slo = service, slo
        self.st = service.settings
        self.interval = self.st.evaluation_interval
        self.base = self.st.base_window
        self.budget = Fraction(slo.error_budget)
        self.windows = slo_windows(slo, self.st)
        self.burn = {r.tier: r for r in alerts if r.kind == "slo-burn" and r.slo == slo.name}
        self.exhausted = next((r for r in alerts if r.kind == "slo-exhausted" and
                               r.slo == slo.name), None)
        self.absent = next((r for r in alerts if r.kind == "slo-absent" and r.slo == slo.name),
                           None)
        self.unknown = next((r for r in alerts if r.kind == "slo-unknown" and
                             r.slo == slo.name), None)
        self.tiers = [t for t in slo.tiers if t.name in self.burn]
        self.guard = None if isinstance(slo.sli, GaugeSLI) or slo.min_event_rate is None \
            else Fraction(slo.min_event_rate)
        # a grouped SLO's proofs feed one group (its labels on every input and expected series);
        # <slo>.groups.yaml feeds a failing and a healthy group side by side (slo_groups)
        self.slo_ids = dict(slo_rules.series_labels(service, slo))  # Sloth's too (slothCompat)
        self.group = group_labels(slo, 0)
        self.ids = {**self.slo_ids, **self.group}
        # absent() returns the selector's equality matchers: the identity labels alone
        self.absent_labels = pm.ids(service.name, slo.name)
        self.timing: dict[str, tuple] = {}  # tier -> (feed, phases, end, every), for tests
        # recorded SLO series carry the identity labels only (the record name says the window)
        self.period_labels = dict(self.ids)
        self.levels: dict[str, tuple[Fraction, Fraction]] = {}
        self.untestable: dict[str, str] = {}
        for tier in self.tiers:
            try:
                self.levels[tier.name] = self._levels(tier)
            except Untestable as exc:
                self.untestable[tier.name] = str(exc)
        self.step = counter_step(service)
        self.traffic = self._traffic()
        self.choice = choose_feed(service, slo, self.traffic, scoped)
        if self.group:
            self.choice = replace(self.choice, burn=with_group(self.choice.burn, self.group),
                                  recorded=with_group(self.choice.recorded, self.group))
        if not isinstance(self.choice.recorded, CounterFeed):
            # fed base series are plain numbers: a round traffic reads better
            self.traffic = Fraction(1)
            while self.guard is not None and self.traffic < 4 * self.guard:
                self.traffic *= 10

    # ---- helpers --------------------------------------------------------------------------------

    def _traffic(self) -> Fraction:
        """Events/s of the scenarios. Counters are fed whole numbers of events per sample
        (10^k, so every error ratio of the tests gives a whole number of errors): promtool adds
        a run's step repeatedly in float64, and only whole numbers (below 2^53) add up exactly.
        A fraction would drift above the next run's first value and read as a counter reset.
        k is the most decimals of a ratio: the budget's and the tiers' short test levels."""
        ratios = [self.budget / 4, min(2 * self.budget, Fraction(1))]
        for fire, below in self.levels.values():
            ratios += [fire, below]
        per_sample = 10 ** max(_decimals(r) for r in ratios)
        while self.guard is not None and per_sample < 5 * self.guard * self.step:
            per_sample *= 10
        return Fraction(per_sample, self.step)

    def _rate(self, events_per_second: Fraction) -> str:
        """Traffic in prose, per input sample (a whole number for counters)."""
        if isinstance(self.choice.recorded, CounterFeed):
            return (f"{show(events_per_second * self.step)} events per "
                    f"{format_duration(self.step)}")
        return f"{show(events_per_second)} events/s"

    def theta(self, tier: BurnTier) -> Fraction:
        return Fraction(tier.burn_rate) * self.budget

    def raw(self, window: int) -> bool:
        return is_raw(window, self.slo, self.st)

    def src(self, window: int) -> Source:
        return source(window, self.slo, self.st)

    def lag(self, window: int, every: int, feed: Feed) -> int:
        """How much later a window sees a step than the workbook's ideal window: 0 for windows
        computed from raw counters (or fed). For windows derived with sum_over_time from the
        base series: the base series' own ramp (about half the base window when evaluations are
        more frequent than the base window) plus one evaluation, because a closed range holds
        one more sample than the window spans. For windows read from a level: the newest
        events not yet in a level sample, at most one sample spacing less one evaluation (the
        level records at the evaluations with ``t % step < interval``: every lcm(step, test
        interval) in a test; a step starting at an evaluation is counted whole)."""
        src = self.src(window)
        if src == RAW and not isinstance(self.slo.sli, GaugeSLI):
            return 0
        if isinstance(src, Level):
            return math.lcm(src.step, every) - every
        ramp = max(0, self.base - every) // 2 if not (
            isinstance(feed, BaseFeed) and feed.gauge) else 0
        return ramp + every

    def period_wait(self) -> int:
        """Seconds before the SLO window's ratio can exist: a level records its first sample at
        the end of its first whole step (0 for the base series and raw counters)."""
        src = self.src(self.slo.window)
        return src.step if isinstance(src, Level) else 0

    def _lag_text(self, window: int) -> str:
        src = self.src(window)
        if isinstance(src, Level):
            return (f"it reads the {format_duration(src.step)} level, whose newest events "
                    "wait for the next level sample")
        return ("about half the base window when evaluations are more frequent, plus one "
                "evaluation for the closed range")

    def ratio_labels(self, window: int) -> dict[str, str]:
        """Labels of a recorded error ratio: with slothCompat also Sloth's sloth_window."""
        extra = {cv.LABEL_SLOTH_WINDOW: format_duration(window)} \
            if self.st.sloth_compat else {}
        return {**self.ids, **extra}

    def expr_labels(self, tier: BurnTier) -> dict[str, str]:
        return dict(self.ids)

    def _value_text_stable(self, rule: Rule, labels: dict, value: Fraction) -> bool:
        texts = set()
        for wobble in (Fraction(1), 1 + Fraction(1, 10 ** 9), 1 - Fraction(1, 10 ** 9)):
            got = pm.expected_alert(rule, labels, float(value * wobble))
            texts.add(repr(got))
        return len(texts) == 1

    def burn_value(self, ratio: Fraction) -> Fraction:
        return ratio / self.budget

    def model_state(self, model, tier: BurnTier, t: int) -> bool | None:
        """Whether the tier's alert condition holds at t in the model: True, False, or None when
        a quantity is within MARGIN of its threshold (too close to assert)."""
        theta = self.theta(tier)
        states = []
        for w in (tier.long_window, tier.short_window):
            v = model.ratio(w, t, src=self.src(w), fed_ok=True)
            if v is None:
                return None
            states.append(_state(v, theta))
        if self.guard is not None:
            avg = model.traffic(tier.long_window, t, self.src(tier.long_window))
            if avg is None:
                return None
            states.append(_state(avg, self.guard, strict=False))
        if False in states:
            return False
        return None if None in states else True

    def faster(self, tier: BurnTier) -> list[BurnTier]:
        """The tiers whose recent condition keeps ``tier`` silent (slo_rules.tier_suppression)."""
        return [t for t in self.tiers if t.burn_rate > tier.burn_rate]

    def _state_in(self, model, tier: BurnTier, t: int, lo: bool) -> bool | None:
        """The tier's condition at t under one range semantics; a missing window is no
        sample (False)."""
        theta = self.theta(tier)
        states = []
        for w in (tier.long_window, tier.short_window):
            v = model.ratio_in(w, t, lo, src=self.src(w), fed_ok=True)
            states.append(False if v is None else _state(v, theta))
        if self.guard is not None:
            avg = model.traffic_in(tier.long_window, t, lo, self.src(tier.long_window))
            states.append(False if avg is None else _state(avg, self.guard, strict=False))
        if False in states:
            return False
        return None if None in states else True

    def _raw_state(self, model, tier: BurnTier, t: int) -> bool | None:
        """The tier's condition at t under both range semantics (None: they disagree or it is
        too close to call)."""
        if t < 0:
            return False
        a, b = (self._state_in(model, tier, t, lo) for lo in (False, True))
        return a if a == b else None

    def suppressed(self, model, tier: BurnTier, t: int) -> bool | None:
        """Whether a faster tier's condition held within the tier's short window plus one rule
        evaluation before t (True), certainly not (False), or too close to call (None). The
        range reads the faster tier's recorded condition, one sample per rule evaluation; a
        sample at the range start counts only as unknown (Prometheus 2 keeps it, 3 drops it)."""
        span = tier.short_window + self.interval
        every = model.every
        unknown = False
        for faster in self.faster(tier):
            for x in range(pm.floor_to(t, every), t - span - sim_lookback() - every, -every):
                state = self._raw_state(model, faster, x)
                if x > t - span:
                    if state is True:
                        return True
                    unknown |= state is None
                else:
                    unknown |= state is not False
        return None if unknown else False

    def alert_state(self, model, tier: BurnTier, t: int) -> bool | None:
        """The tier's alert condition at t, its suppression included."""
        state = self.model_state(model, tier, t)
        if state is False:
            return False
        quiet = self.suppressed(model, tier, t)
        if quiet is True:
            return False
        return None if state is None or quiet is None else True

    def cold_expect(self, model, t: int) -> list[tuple[BurnTier, bool | None]]:
        return [(tier, self.alert_state(model, tier, t)) for tier in self.tiers]

    def burn_expected(self, model, t: int, ratio: Fraction) -> list[dict] | None:
        """exp_alerts of the burn alert at t, or None when a tier is too close to call."""
        out = []
        for tier, state in self.cold_expect(model, t):
            if state is None:
                return None
            if not state:
                continue
            rule = self.burn[tier.name]
            got = pm.expected_alert(rule, self.expr_labels(tier),
                                    float(self.burn_value(ratio)))
            if got is None:
                raise Untestable("annotations")
            out.append(got)
        return out

    # ---- files ----------------------------------------------------------------------------------

    def files(self) -> list[pm.PromtoolFile]:
        slo = self.slo
        if self.choice.recorded is None:
            f = pm.PromtoolFile(path=cv.promtool_slo_test_file(slo.name),
                            evaluation_interval=self.interval)
            f.comments = self._header("SLO " + slo.name)
            for rule in [*self.burn.values(), self.exhausted, self.absent, self.unknown]:
                if rule is not None:
                    what = rule.alert + (f" tier {rule.tier}" if rule.tier else "")
                    f.untested.append(f"{what} ({self.choice.untested_reason})")
            return [f]
        main = self.main_file()
        out = [main]
        queries = self.queries_file()
        if queries is not None:
            out.append(queries)
        period = self.period_file()
        if period is not None:
            out.append(period)
        groups = self.groups_file()
        if groups is not None:
            out.append(groups)
        for tier in self.tiers:
            try:
                if tier.name in self.untestable:
                    raise Untestable(self.untestable[tier.name])
                out.append(self.tier_file(tier))
            except Untestable as exc:
                main.untested.append(f"{self.burn[tier.name].alert} tier {tier.name} ({exc})")
        left_out = self.left_out()
        for f in out:
            if f is not queries:
                f.left_out = list(left_out)
        return out

    def left_out(self) -> list[tuple[str, dict[str, str]]]:
        """The SLO's rules its fed proofs run without (``FeedChoice.left_out``)."""
        ids = dict(self.slo_ids)
        return [(record, ids) for record in self.choice.left_out]

    def _header(self, title: str) -> list[str]:
        slo = self.slo
        return [
            f"promtool tests of {title} ({self.service.name}): objective "
            f"{num(slo.objective_percent)}% over {format_duration(slo.window)}, error budget "
            f"{show(self.budget)}.",
            "Run: sre-gen test (or: promtool test rules <this file>).",
        ]

    def _feed_comment(self, feed: Feed) -> list[str]:
        return [self.choice.why, f"Inputs: {feed.describe()}."]


def slo_test_files(service: Service, slo: SLO, alerts: list[Rule],
                   scoped: bool = False) -> list[pm.PromtoolFile]:
    return SloTests(service, slo, alerts, scoped).files()
