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

Expected values come from an exact model of the rule semantics (``promtool_inputs.Model``) and
are asserted only where Prometheus 2 (closed ranges) and 3 (left-open ranges) agree. Timing
bounds come from the SRE workbook (``burnrate.detection_seconds``), never from the rules.

Numbers, so that float64 cannot flip a result (promtool 2.42 compares samples exactly):
- inputs are exact: counters count whole events, 10^k per sample where k is the decimals of the
  scenarios' error ratios (tier test levels are rounded to 3 significant digits, ``_short``, to
  keep k small), starting at a small power of ten that keeps rate()'s zero-point clamp out
  (``promtool_inputs._counter_start``); every value stays far below 2^53, so promtool's
  repeated additions are exact. Fed base series are decimals of at most 12 significant
  digits, and the model computes on those printed values (``promtool_feed.printed``).
- asserted values are bounded in precision, not in magnitude: each is compared after rounding
  to 9 decimals, or to 10 significant digits from 10 on (``promtool_model.decimals_for``:
  ``round(x * 1e3) / 1e3`` for 3333333.333). float64 holds about 16 digits, so the few
  roundings of rate() and sum_over_time stay below the last compared digit at any magnitude
  (a base rate of millions of events/s as well as a ratio of 1e-6); a value within a
  thousandth of a rounding boundary is not asserted.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from sre_gen import burnrate
from sre_gen import conventions as cv
from sre_gen.compile import promtool_model as pm
from sre_gen.compile.promtool_feed import show
from sre_gen.compile.promtool_inputs import (BaseFeed, CounterFeed, Feed, GaugeFeed, Phase,
                                             choose_feed, counter_step)
from sre_gen.compile.rulebase import Rule
from sre_gen.durations import format_duration, humanize_duration, num
from sre_gen.model import SLO, BurnTier, GaugeSLI, Service
from sre_gen.windows import RAW, Level, Source, is_raw, slo_windows, source

MARGIN = Fraction(1, 50)  # a condition is "clearly" true/false beyond 2% of its threshold
FIRE_FACTORS = (Fraction(5, 4), Fraction(6, 5), Fraction(13, 10), Fraction(23, 20),
                Fraction(27, 20), Fraction(11, 10), Fraction(7, 5), Fraction(3, 2))
BELOW_FACTORS = (Fraction(4, 5), Fraction(3, 4), Fraction(17, 20), Fraction(7, 10),
                 Fraction(9, 10), Fraction(13, 20))


class Untestable(Exception):
    pass


def _x(factor: Fraction) -> str:
    """A factor in prose, to 3 significant digits (test levels are rounded: 1.25x, 0.8x)."""
    exact = Decimal(factor.numerator) / Decimal(factor.denominator)
    return f"{num(Decimal(format(exact, '.3g')))}x"


LEVEL_DIGITS = 3  # significant digits of a tier's test levels


def _short(value: Fraction, up: bool) -> Fraction:
    """``value`` (> 0) rounded to LEVEL_DIGITS significant digits, up or down. Test levels are
    short decimals so that a whole number of events per sample (10^k, k = the decimals)
    gives every level a whole number of errors with k small: counters stay far below 2^53."""
    e = 0
    while Fraction(10) ** e > value:
        e -= 1
    while Fraction(10) ** (e + 1) <= value:
        e += 1
    unit = Fraction(10) ** (e - LEVEL_DIGITS + 1)
    n = value / unit
    n = -(-n // 1) if up else n // 1
    return n * unit


def _d(seconds: int | Fraction) -> str:
    """A duration in prose: 1h30m, 52s."""
    return humanize_duration(float(seconds))


class SloTests:
    def __init__(self, service: Service, slo: SLO, alerts: list[Rule]):
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
        self.ids = pm.ids(service.name, slo.name)
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
        self.choice = choose_feed(service, slo, self.traffic)
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
        period = self.period_file()
        if period is not None:
            out.append(period)
        for tier in self.tiers:
            try:
                if tier.name in self.untestable:
                    raise Untestable(self.untestable[tier.name])
                out.append(self.tier_file(tier))
            except Untestable as exc:
                main.untested.append(f"{self.burn[tier.name].alert} tier {tier.name} ({exc})")
        return out

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

    # ---- <slo>.yaml ------------------------------------------------------------------------------

    def main_file(self) -> pm.PromtoolFile:
        f = pm.PromtoolFile(path=cv.promtool_slo_test_file(self.slo.name),
                        evaluation_interval=self.interval)
        feed = self.choice.recorded
        f.comments = self._header(f"SLO {self.slo.name}") + [
            "This file: recorded series and budget alerts, evaluated every "
            f"{format_duration(self.interval)} like the rules. Values are compared after "
            "rounding to 9 decimals (round(x * 1e9) / 1e9), or to 10 significant digits from 10 "
            "on (round(x * 1e3) / 1e3 for 3333333.333), so float noise cannot flip them.",
            *self._feed_comment(feed),
        ]
        f.groups.append(self.recorded_group(feed))
        if self.exhausted is not None:
            f.groups.append(self.exhausted_group(feed, spent=True))
            f.groups.append(self.exhausted_group(feed, spent=False))
        if self.absent is not None:
            f.groups.append(self.absent_group())
        if self.unknown is not None:
            group = self.unknown_group(feed)
            if group is not None:
                f.groups.append(group)
            else:
                f.untested.append(f"{self.unknown.alert} (sre-gen cannot synthesise the inputs of "
                                  "the SLI's raw PromQL)")
        if self.guard is not None and self.tiers:
            f.groups.append(self.guard_group(feed))
        if isinstance(feed, BaseFeed):
            wiring = self.wiring_group()
            if wiring is not None:
                f.groups.append(wiring)
        return f

    def wiring_group(self) -> pm.Group | None:
        """With the base series fed, the SLI's own queries are never run. This group feeds the
        queries' inputs (every selector gets a series) and checks what the base rules and the
        raw windows record: each rule reads the intended series."""
        from sre_gen import promql

        E = self.interval
        sli = self.slo.sli
        raw = [w for w in self.windows if self.raw(w)]
        at = pm.ceil_to(max(self.base, 300) + 5 * E, E)
        # with the inputs present and numbers, the SLI is neither absent nor unknown
        quiet = [r for r in (self.absent, self.unknown) if r is not None]
        late = pm.ceil_to(max([at] + [r.for_seconds + 2 * E for r in quiet]), max(E, 60))
        samples = late // 60 + 1
        g = pm.Group(name=f"{self.slo.name}: the SLI queries read their inputs", interval=60)
        g.alert_tests = [pm.alert_test(r.alert, late, []) for r in quiet]
        sel = pm.series_text
        if isinstance(sli, GaugeSLI):
            inputs = pm.wiring_inputs([sli.query], 60, samples)
            if inputs is None:
                return None
            g.inputs = inputs
            g.comments = ["Every selector of the gauge query gets a series (counters grow by "
                          "1/s, gauges hold 1): the base rules record one sample each"
                          + self._quiet_text(quiet, late)]
            for name in (cv.sli_errors(self.base), cv.sli_total(self.base)):
                g.expr_tests.append({"expr": f"count({sel(name, self.ids)})",
                                     "eval_time": pm.dur(at),
                                     "exp_samples": [{"labels": "{}", "value": 1}]})
            return g
        events_sels: set[str] = set()

        def source(src, w: int) -> str:
            if src.query is not None:
                return promql.render_window(src.query, w)
            return f"sum(rate({promql.selector(src.selector)}[{format_duration(w)}]))"

        queries_events = [source(sli.events, w) for w in raw]
        for q in queries_events:
            for s_, _ in pm.query_selectors(q) or ():
                events_sels.add(repr(s_))
        queries = queries_events + [source(sli.total, w) for w in raw]
        inputs = pm.wiring_inputs(queries, 60, samples,
                                  rate_of=lambda s_: 1 if repr(s_) in events_sels else 2)
        if inputs is None:
            return None
        g.inputs = inputs
        good = sli.events_are_good
        simple = all(src.query is None or
                     pm.counter_selector(promql.render_window(src.query, self.base), self.base)
                     for src in (sli.events, sli.total))
        recorded = [(sel(cv.sli_errors(self.base), self.ids), self.ids, Fraction(1)),
                    (sel(cv.sli_total(self.base), self.ids), self.ids, Fraction(2))]
        for w in raw:
            labels = dict(self.ids)
            recorded.append((sel(cv.sli_error_ratio(w), self.ids), labels, Fraction(1, 2)))
        if simple:  # one counter per query: the values are known
            g.comments = [
                f"Every selector of the SLI queries gets a counter: the "
                f"{'good' if good else 'bad'} events' at 1/s, the total's at 2/s. Each base rule "
                "and raw window then records an error ratio of 0.5" + self._quiet_text(quiet, late)]
            for selector, labels, value in recorded:
                test = pm.value_test(selector, labels, at, value)
                if test:
                    g.expr_tests.append(test)
        else:  # the queries combine series in ways only their author knows: presence only
            g.comments = ["Every selector of the SLI queries gets a counter (1/s for the "
                          f"{'good' if good else 'bad'} events' selectors, 2/s for the total's): "
                          "each base rule and raw window records one sample"
                          + self._quiet_text(quiet, late)]
            for selector, _labels, _value in recorded:
                g.expr_tests.append({"expr": f"count({selector})", "eval_time": pm.dur(at),
                                     "exp_samples": [{"labels": "{}", "value": 1}]})
        return g

    @staticmethod
    def _quiet_text(quiet: list[Rule], late: int) -> str:
        if not quiet:
            return "."
        return (f"; at t={format_duration(late)}, past their `for`, "
                f"{' and '.join(r.alert for r in quiet)} stay silent.")

    def _phases_two_traffic(self, unit: int, gap: int, lead: int,
                            feed: Feed) -> tuple[list[Phase], dict]:
        """lead (no traffic) | A: 4r at a | gap | B: r at b | tail (no traffic)."""
        r = self.traffic
        a, b = self.budget / 4, min(2 * self.budget, Fraction(1))
        if feed.kind == "gauge" or (isinstance(feed, BaseFeed) and feed.gauge):
            # gauges: good, then bad for one unit, then good again
            a, b = Fraction(1), Fraction(0)
            phases = [Phase(0, lead + unit, Fraction(1), Fraction(0)),
                      Phase(lead + unit, lead + 2 * unit, Fraction(1), Fraction(1)),
                      Phase(lead + 2 * unit, lead + 2 * unit + gap, Fraction(1), Fraction(0))]
            return phases, {"a": a, "b": b}
        phases = [Phase(0, lead, Fraction(0), Fraction(0)),
                  Phase(lead, lead + unit, 4 * r, a),
                  Phase(lead + unit, lead + unit + gap, Fraction(0), Fraction(0)),
                  Phase(lead + unit + gap, lead + 2 * unit + gap, r, b),
                  Phase(lead + 2 * unit + gap, lead + 2 * unit + 2 * gap, Fraction(0),
                        Fraction(0))]
        return phases, {"a": a, "b": b, "rA": 4 * r, "rB": r}

    def recorded_group(self, feed: Feed) -> pm.Group:
        E = self.interval
        step = feed.step
        unit = pm.ceil_to(2 * self.base, E)
        gap = pm.ceil_to(max(self.base + 2 * step, 300 + 2 * step), E)
        lead = gap
        phases, v = self._phases_two_traffic(unit, gap, lead, feed)
        end = phases[-1].end
        if end < self.period_wait() + E:
            # check after the SLO window's first level sample, which holds all phases
            end = pm.ceil_to(self.period_wait() + E, E)
            last = phases[-1]
            phases[-1] = Phase(last.start, end, last.rate, last.ratio)
        model = feed.model(phases, end, E)
        g = pm.Group(name=f"{self.slo.name}: recorded series, request-weighted windows, budget",
                     interval=step)
        g.inputs = feed.inputs(phases, end)
        gauge = feed.kind == "gauge" or (isinstance(feed, BaseFeed) and feed.gauge)
        sel = pm.series_text
        ident = self.ids
        if gauge:
            g.comments = [
                f"The SLI is good until t={format_duration(lead + unit)}, bad for "
                f"{format_duration(unit)}, then good again; a gauge SLI counts evaluations, so "
                "each window's ratio is its share of bad evaluations.",
            ]
            checks = [lead + unit - E, lead + 2 * unit - E]
        else:
            weighted = (v["rA"] * v["a"] + v["rB"] * v["b"]) / (v["rA"] + v["rB"])
            timed = (v["a"] + v["b"]) / 2
            g.comments = [
                f"Phase A: {self._rate(v['rA'])} at error ratio {show(v['a'])} for "
                f"{format_duration(unit)}; phase B: {self._rate(v['rB'])} at "
                f"{show(v['b'])}; no traffic before, between and after.",
                f"Windows covering both phases hold the request-weighted ratio {show(weighted)}; a "
                f"time-weighted average of the phases would be {show(timed)}, budget remaining "
                f"{show(1 - timed / self.budget)} instead of {show(1 - weighted / self.budget)}.",
            ]
            checks = [lead + unit - E, lead + 2 * unit + gap - E]
        errors_name, total_name = cv.sli_errors(self.base), cv.sli_total(self.base)
        for t in checks:
            base = model.base_series(t)
            if base is not None and not isinstance(feed, BaseFeed):  # fed series: not asserted
                for name, value in zip((errors_name, total_name), base):
                    test = pm.value_test(sel(name, ident), ident, t, value)
                    if test:
                        g.expr_tests.append(test)
            ratio = model.ratio(self.base, t, src=self.src(self.base))
            if ratio is not None:
                labels = dict(ident)
                for test in (pm.value_test(sel(cv.sli_error_ratio(self.base), ident), labels, t,
                                           ratio),
                             pm.value_test(sel(cv.SLO_CURRENT_BURN_RATE, ident), labels, t,
                                           ratio / self.budget)):
                    if test:
                        g.expr_tests.append(test)
        self._window_checks(g, model, end, skip_base=True)
        g.expr_tests += [
            pm.exact_test(sel(cv.SLO_OBJECTIVE, ident), cv.SLO_OBJECTIVE, ident, end,
                          float(self.slo.objective_ratio)),
            pm.exact_test(sel(cv.SLO_ERROR_BUDGET, ident), cv.SLO_ERROR_BUDGET, ident, end,
                          float(self.slo.error_budget)),
            pm.exact_test(sel(cv.SLO_TIME_WINDOW, ident), cv.SLO_TIME_WINDOW, ident, end,
                          float(self.slo.window)),
        ]
        self._budget_alert_checks(g, model, end)
        return g

    def _window_checks(self, g: pm.Group, model, t: int, skip_base: bool = False) -> None:
        sel, ident = pm.series_text, self.ids
        for w in self.windows:
            if skip_base and w == self.base:
                continue
            ratio = model.ratio(w, t, src=self.src(w))
            if ratio is None:
                continue
            labels = dict(ident)
            test = pm.value_test(sel(cv.sli_error_ratio(w), ident), labels, t, ratio)
            if test:
                g.expr_tests.append(test)
        period = model.ratio(self.slo.window, t, src=self.src(self.slo.window))
        if period is not None:
            for name, value in ((cv.SLO_PERIOD_BURN_RATE, period / self.budget),
                                (cv.SLO_BUDGET_REMAINING, 1 - period / self.budget)):
                test = pm.value_test(sel(name, ident), self.period_labels, t, value)
                if test:
                    g.expr_tests.append(test)

    def _budget_alert_checks(self, g: pm.Group, model, t: int) -> None:
        """Exhausted and absent alerts are silent while data flows and budget remains."""
        period = model.ratio(self.slo.window, t, src=self.src(self.slo.window))
        if self.exhausted is not None and period is not None and \
                1 - period / self.budget > MARGIN:
            g.alert_tests.append(pm.alert_test(self.exhausted.alert, t, []))
        if self.absent is not None and t >= self._absent_for() + 2 * self.interval and \
                all(model.present(x) for x in range(
                    max(0, t - self._absent_for() - model.every), t + 1, model.every)):
            g.alert_tests.append(pm.alert_test(self.absent.alert, t, []))
        if self.unknown is not None:  # every input series is fed: the SLI is known
            g.alert_tests.append(pm.alert_test(self.unknown.alert, t, []))

    def _absent_for(self) -> int:
        return self.absent.for_seconds if self.absent is not None else 0

    def exhausted_group(self, feed: Feed, spent: bool) -> pm.Group:
        """The budget-exhausted alert fires when the SLO window's errors exceed the budget
        (``spent``: twice the budget's error ratio) and stays silent at half of it."""
        E = self.interval
        gauge = feed.kind == "gauge" or (isinstance(feed, BaseFeed) and feed.gauge)
        if spent:
            ratio = Fraction(1) if gauge else min(2 * self.budget, Fraction(1))
        else:  # a 0/1 gauge cannot be bad for half the budget in a few evaluations
            ratio = Fraction(0) if feed.kind == "gauge" else self.budget / 2
        end = pm.ceil_to(self.base + 2 * E + self.period_wait(), E)
        phases = [Phase(0, end + E, Fraction(1) if gauge else self.traffic, ratio)]
        model = feed.model(phases, end, E)
        g = pm.Group(name=f"{self.slo.name}: error budget "
                          + ("exhausted" if spent else "not exhausted"), interval=feed.step)
        g.inputs = feed.inputs(phases, end)
        # fed_ok: with raw-PromQL SLIs an SLO window short enough to be raw is itself a fed
        # series (its value is the scenario's ratio, which is what the alert reads)
        period = model.ratio(self.slo.window, end, src=self.src(self.slo.window), fed_ok=True)
        remaining = 1 - period / self.budget
        g.comments = [f"Error ratio {show(ratio)} from the start: the budget remaining over the "
                      f"SLO window is {show(remaining)}, so {self.exhausted.alert} "
                      + ("fires." if spent else "stays silent.")]
        labels = self.period_labels
        if not spent:
            g.alert_tests.append(pm.alert_test(self.exhausted.alert, end, []))
        else:
            spent_share = 1 - remaining  # the alert's value: the period burn rate
            expected = pm.expected_alert(self.exhausted, labels, float(spent_share))
            if expected is not None and self._stable(self.exhausted, labels, spent_share):
                g.alert_tests.append(pm.alert_test(self.exhausted.alert, end, [expected]))
            else:
                g.expr_tests.append(pm.alerts_series_test(self.exhausted, labels, end, True,
                                                          float(spent_share)))
        test = pm.value_test(pm.series_text(cv.SLO_BUDGET_REMAINING, self.ids), labels, end,
                             remaining)
        if test:
            g.expr_tests.append(test)
        return g

    def _stable(self, rule: Rule, labels: dict, value: Fraction) -> bool:
        return self._value_text_stable(rule, dict(labels), value)

    def absent_group(self) -> pm.Group:
        E = self.interval
        hold = self.absent.for_seconds
        fire_at = pm.floor_to(hold, E) + 2 * E
        g = pm.Group(name=f"{self.slo.name}: SLI absent", interval=E)
        g.comments = [f"No input for this SLO: {cv.sli_total(self.base)} is never recorded, so "
                      f"{self.absent.alert} fires once absent for {format_duration(hold)}"
                      + (" (not before)." if hold > 2 * E else ".")]
        expected = pm.expected_alert(self.absent, dict(self.ids), 1.0)
        if expected is not None:
            g.alert_tests.append(pm.alert_test(self.absent.alert, fire_at, [expected]))
        else:
            g.expr_tests.append(pm.alerts_series_test(self.absent, self.ids, fire_at, True, 1.0))
        if hold > 2 * E:
            g.alert_tests.append(pm.alert_test(self.absent.alert, pm.floor_to(hold, E) - E, []))
        if self.unknown is not None:  # nothing to evaluate is absent, not unknown
            g.alert_tests.append(pm.alert_test(self.unknown.alert, fire_at, []))
        return g

    def unknown_group(self, feed: Feed) -> pm.Group | None:
        """The SLI's inputs exist but cannot be evaluated: every event is fed as bad (what a
        missing good-events series read as before), with the good-events series missing (a
        histogram: its threshold bucket renamed to another boundary; a gauge: NaN samples). The
        base series record nothing, no budget burns, no burn, exhausted or absent alert fires,
        and the unknown alert fires once its `for` has passed, saying why."""
        E = self.interval
        hold = self.unknown.for_seconds
        tiers_for = max((t.for_seconds for t in self.tiers), default=0)
        end = pm.ceil_to(max(hold, self._absent_for(), tiers_for) + self.base + 3 * E, E)
        step = feed.step
        if isinstance(feed, CounterFeed) and feed.good_events:
            phases = [Phase(0, end + E, self.traffic, Fraction(1))]
            inputs, what = [], ""
            fed = list(zip(feed.series, feed.inputs(phases, end)))
            every_event = next(v for s, (_, v) in fed if s.in_total)
            for s, (series, values) in fed:
                if not (s.event and s.role == "good"):
                    inputs.append((series, values))
                elif "le" in s.labels:  # the histogram has buckets, none at the threshold
                    other = {**s.labels, "le": num(Decimal(s.labels["le"]) * 2)}
                    inputs.append((pm.series_text(s.metric, other.items()), every_event))
                    what = (f"the histogram's buckets are le=\"{other['le']}\" (holding every "
                            f"event) and no le=\"{s.labels['le']}\"")
                else:
                    what = f"no {pm.series_text(s.metric, s.labels.items())}"
            story = f"{self._rate(self.traffic)}, {what}"
        elif isinstance(feed, GaugeFeed):
            (series, _), = feed.inputs([Phase(0, end + E, Fraction(1), Fraction(0))], end)
            inputs = [(series, " ".join(["NaN"] * (end // feed.step + 1)))]
            story = f"{series} is NaN at every sample"
        else:
            raw = self._unknown_raw_inputs(end)
            if raw is None:
                return None
            (inputs, story), step = raw, 60
        g = pm.Group(name=f"{self.slo.name}: SLI unknown", interval=step)
        g.inputs = inputs
        g.comments = [
            f"The SLI's inputs exist but cannot be evaluated ({story}): the base series record "
            f"nothing, no alert of the SLO burns, is exhausted or absent, and {self.unknown.alert}"
            f" fires once unknown for {format_duration(hold)}"
            + (" (not before)." if hold > 2 * E else ".")]
        expected = pm.expected_alert(self.unknown, {}, 1.0)
        if expected is not None:
            g.alert_tests.append(pm.alert_test(self.unknown.alert, end, [expected]))
        else:
            g.expr_tests.append(pm.alerts_series_test(self.unknown, {}, end, True, 1.0))
        if hold > 2 * E:
            g.alert_tests.append(pm.alert_test(self.unknown.alert, pm.floor_to(hold, E) - E, []))
        quiet = [r for r in (self.exhausted, self.absent) if r is not None]
        if self.burn:
            quiet.append(next(iter(self.burn.values())))
        for rule in quiet:
            g.alert_tests.append(pm.alert_test(rule.alert, end, []))
        for name in (cv.sli_errors(self.base), cv.sli_total(self.base),
                     cv.sli_error_ratio(self.slo.window), cv.SLO_BUDGET_REMAINING):
            g.expr_tests.append({"expr": pm.series_text(name, self.ids), "eval_time": pm.dur(end),
                                 "exp_samples": []})
        return g

    def _unknown_raw_inputs(self, end: int) -> tuple[list, str] | None:
        """Inputs that make a raw-PromQL SLI of the form sum(rate(<counter>[{{window}}]))
        unknown: a gauge's counter reads NaN; a good/total ratio gets its total's counter and
        no good events. None for other query shapes (their result is the author's secret)."""
        from sre_gen import promql
        from sre_gen.compile.promtool_feed import labels_for, selects

        sli, n = self.slo.sli, end // 60 + 1
        if isinstance(sli, GaugeSLI):
            sel = pm.counter_selector(sli.query, self.base)
            labels = labels_for(sel) if sel is not None else None
            if labels is None:
                return None
            series = pm.series_text(sel.metric, labels)
            return [(series, " ".join(["NaN"] * n))], f"{series} is NaN at every sample"
        good, total = (pm.counter_selector(promql.render_window(src.query, self.base), self.base)
                       if src.query is not None else src.selector
                       for src in (sli.events, sli.total))
        labels = labels_for(total, exclude=[good]) if good and total else None
        if labels is None or selects(good, total.metric, labels):
            return None
        series = pm.series_text(total.metric, labels)
        return ([(series, f"0+{show(self.traffic * 60)}x{n - 1}")],
                f"{series} counts {self._rate(self.traffic)}, no good-events series exists")

    def guard_group(self, feed: Feed) -> pm.Group:
        E = self.interval
        rule_for = max(t.for_seconds for t in self.tiers)
        part = pm.ceil_to(max(self.base, rule_for) + 3 * E, E)
        low = _dyadic(self.guard / 2 * feed.step, up=False) / feed.step
        high = _dyadic(4 * self.guard * feed.step, up=True) / feed.step
        phases = [Phase(0, part, low, Fraction(1)), Phase(part, 2 * part + E, high, Fraction(1))]
        end = 2 * part
        model = feed.model(phases, end, E)
        name = self.burn[self.tiers[0].name].alert
        g = pm.Group(name=f"{self.slo.name}: low-traffic guard", interval=feed.step)
        g.inputs = feed.inputs(phases, end)
        g.comments = [
            f"Every event fails. At {self._rate(low)} (below the guard's "
            f"{show(self.guard)} events/s) no tier fires; at {self._rate(high)} every tier "
            "fires once its long window averages above the guard."]
        quiet = [(tier, self.model_state(model, tier, part - E)) for tier in self.tiers]
        if all(state is False for _, state in quiet):
            g.alert_tests.append(pm.alert_test(name, part - E, []))
        alerts = self.burn_expected(model, end, Fraction(1))
        if alerts:
            g.alert_tests.append(pm.alert_test(name, end, alerts))
        return g

    # ---- <slo>.period.yaml -----------------------------------------------------------------------

    def period_file(self) -> pm.PromtoolFile | None:
        """A window ladder: at the check time every window's left edge falls in a gap without
        traffic, and between the edges lie segments of different traffic and error ratio, so
        each window holds a different mix: a rule computing its ratio over a neighbouring window
        (or with one of its two ranges wrong) records a different value."""
        shorter = [w for w in self.windows if w < self.slo.window and w != self.base]
        if not shorter:
            return None
        neighbour = max(shorter)
        feed = self.choice.recorded
        every = pm.nice_step(neighbour // 24, self.interval)
        if isinstance(feed, BaseFeed):
            feed = _restep(feed, every)  # the fed base series stand for per-evaluation samples
        step = feed.step
        gauge = feed.kind == "gauge" or (isinstance(feed, BaseFeed) and feed.gauge)
        # no sample may sit at a derived window's edge (Prometheus 2 counts it, 3 does not)
        before = pm.ceil_to((300 if gauge else self.base) + 2 * step, step)
        after = 2 * step
        lead = pm.ceil_to(before, every)
        oldest = pm.ceil_to(max(neighbour // 4, 3 * every), every)
        t = pm.ceil_to(lead + oldest + before + neighbour, every)
        edges = sorted((t - w for w in shorter), reverse=True)  # newest edge first
        r = self.traffic
        mix = [(1, min(2 * self.budget, Fraction(1))), (3, self.budget / 4),
               (2, self.budget), (4, self.budget / 2)]
        phases: list[Phase] = []
        bounds = [t + every] + edges + [lead]  # segment i: (bounds[i+1], bounds[i])
        segments = []
        for i in range(len(bounds) - 1):
            hi, lo = bounds[i], bounds[i + 1]
            start = lo + (after if i + 1 < len(bounds) - 1 else 0)
            stop = hi - (before if i > 0 else 0)
            if stop - start >= step:
                segments.append((start, stop, i))
        for start, stop, i in segments:
            m, ratio = mix[i % len(mix)]
            if gauge:
                phases.append(Phase(start, stop, Fraction(1), Fraction(i % 2 == 0)))
            else:
                phases.append(Phase(start, stop, m * r, ratio))
        model = feed.model(_fill(phases, t + every, gauge), t, every)
        phases = _fill(phases, t + every, gauge)
        f = pm.PromtoolFile(path=cv.promtool_slo_period_test_file(self.slo.name),
                            evaluation_interval=every)
        f.comments = self._header(f"SLO {self.slo.name}") + [
            f"This file: every window of the SLO at once, up to the SLO window "
            f"({format_duration(self.slo.window)}) over more than its shorter neighbour "
            f"({format_duration(neighbour)}) of data; evaluated every {format_duration(every)} "
            "to keep promtool fast (a derived window sums the base samples it holds, so the "
            "request weighting does not depend on the interval). Values are rounded to 9 "
            "decimals (10 significant digits from 10 on).",
            *self._feed_comment(feed),
        ]
        g = pm.Group(name=f"{self.slo.name}: window ladder up to the SLO window", interval=step)
        shown = ", ".join(format_duration(w) for w in sorted(shorter))
        if gauge:
            story = "bad and good stretches alternate"
        else:
            story = ("segments alternate traffic (1x to 4x) and error ratio (" +
                     ", ".join(show(x) for _, x in mix) + ")")
        g.comments = [f"Scenario: {story}, separated by gaps without traffic; at "
                      f"t={format_duration(t)} the left edges of the {shown} windows fall in "
                      f"those gaps, so each window holds whole segments and a different mix."]
        g.inputs = feed.inputs(phases, t)
        self._window_checks(g, model, t, skip_base=True)
        self._budget_alert_checks(g, model, t)
        f.groups.append(g)
        return f

    # ---- <slo>.tier-<tier>.yaml ------------------------------------------------------------------

    def _levels(self, tier: BurnTier) -> tuple[Fraction, Fraction]:
        theta = self.theta(tier)
        others = [self.theta(t) for t in self.tiers if t is not tier]

        def clear(e: Fraction) -> bool:
            return all(abs(e - o) > o * MARGIN * 2 for o in others)

        def ok_text(e: Fraction) -> bool:
            rule = self.burn[tier.name]
            return self._value_text_stable(rule, self.expr_labels(tier), self.burn_value(e))

        # a tier fires on its own burn: below every faster tier's threshold (above one, that
        # tier fires and this one stays silent); nominal factors of the threshold, rounded away
        # from it to short decimals
        ceiling = min([self.theta(t) * (1 - 2 * MARGIN) for t in self.faster(tier)],
                      default=Fraction(1))
        fires = [_short(theta * f, up=True) for f in FIRE_FACTORS] + \
            [_short((theta + min(ceiling, Fraction(1))) / 2, up=False)]
        fire = next((e for e in fires if theta * (1 + 2 * MARGIN) < e < 1 and e < ceiling and
                     clear(e) and ok_text(e)), None)
        belows = [_short(theta * f, up=False) for f in BELOW_FACTORS]
        below = next((e for e in belows if clear(e) and ok_text(e)), None)
        if fire is None or below is None:
            raise Untestable(f"no clear test levels around threshold {show(theta)}")
        return fire, below

    def tier_every(self, tier: BurnTier) -> int:
        """About a third of the short window (a nice step, at least the rules' interval): the
        reset checks need two or three evaluations inside the short window."""
        return pm.nice_step(Fraction(tier.short_window * 2, 5), self.interval)

    def tier_file(self, tier: BurnTier) -> pm.PromtoolFile:
        every = self.tier_every(tier)
        feed = self.choice.burn
        if isinstance(feed, BaseFeed):
            feed = _restep(feed, every)
        rule = self.burn[tier.name]
        theta = self.theta(tier)
        fire, below = self.levels[tier.name]
        f = pm.PromtoolFile(path=cv.promtool_slo_tier_test_file(self.slo.name, tier.name),
                        evaluation_interval=every)
        f.comments = self._header(f"SLO {self.slo.name}, tier {tier.name}") + [
            f"This file: tier {tier.name} (burn rate {num(tier.burn_rate)}x, long window "
            f"{format_duration(tier.long_window)}, short window "
            f"{format_duration(tier.short_window)}): threshold error ratio {show(theta)}; "
            f"tested at {show(fire)} ({_x(fire / theta)}) and {show(below)} "
            f"({_x(below / theta)}).",
            (f"Evaluated every {format_duration(every)}, like the rules." if every == self.interval
             else f"Evaluated every {format_duration(every)} (the rules run every "
                  f"{format_duration(self.interval)}): coarser where the tier's windows allow, to "
                  "keep promtool fast; timing bounds add one such evaluation."),
            *self._feed_comment(feed),
        ]
        f.groups.append(self.cold_group(tier, feed, every, fire, "fires"))
        f.groups.append(self.cold_group(tier, feed, every, below, "silent"))
        f.groups.append(self.timing_group(tier, feed, every, fire, below))
        for faster in self.faster(tier):
            if faster.name in self.levels:
                pair = self.after_faster_group(tier, faster, feed, every)
                if pair is not None:
                    f.groups.append(pair)
        if self.guard is not None:
            guard = self.guard_window_group(tier, feed, every)
            if guard is not None:
                f.groups.append(guard)
        return f

    def cold_group(self, tier: BurnTier, feed: Feed, every: int, ratio: Fraction,
                   kind: str) -> pm.Group:
        max_for = max(t.for_seconds for t in self.tiers)
        at = pm.ceil_to(self.base + max_for + 2 * every, every)
        phases = [Phase(0, at + every, self._tier_traffic(feed), ratio)]
        model = feed.model(phases, at, every)
        rule = self.burn[tier.name]
        theta = self.theta(tier)
        g = pm.Group(name=f"{self.slo.name} {tier.name}: {kind} at "
                          f"{_x(ratio / theta)} its threshold", interval=feed.step)
        g.inputs = feed.inputs(phases, at)
        alerts = self.burn_expected(model, at, ratio)
        if alerts is None:
            raise Untestable("a tier is too close to call")
        mine = [a for a in alerts if a["exp_labels"].get(cv.LABEL_TIER) == tier.name]
        assert bool(mine) == (kind == "fires"), (tier.name, kind)
        others = sorted(a["exp_labels"][cv.LABEL_TIER] for a in alerts if a not in mine)
        g.comments = [
            f"Error ratio {show(ratio)} in every window from the start: tier {tier.name} "
            + ("fires, with these labels and annotations" if mine else
               "stays silent (it is not among the expected alerts)")
            + (f"; tiers {', '.join(others)} fire too (lower thresholds)." if others else ".")]
        g.alert_tests.append(pm.alert_test(rule.alert, at, alerts))
        return g

    def guard_window_group(self, tier: BurnTier, feed: Feed, every: int) -> pm.Group | None:
        """The low-traffic guard averages over the tier's long window, no other: after a stretch
        without traffic every event fails at twice the guard's rate. The tier stays silent while
        its long window still averages below the guard although the next shorter window is
        above it, and fires once its window is above while the next longer one is not."""
        W = tier.long_window
        i = self.windows.index(W)
        shorter = self.windows[i - 1] if i > 0 else None
        longer = self.windows[i + 1] if i + 1 < len(self.windows) else None
        step = feed.step
        high = _dyadic(2 * self.guard * step, up=True) / step
        quiet = pm.ceil_to(W * Fraction(3, 5), every)
        end = quiet + pm.ceil_to(W * Fraction(3, 5) + self.base, every)
        fire = self.levels[tier.name][0]  # above this tier's threshold, below faster tiers'
        phases = [Phase(0, quiet, Fraction(0), Fraction(0)),
                  Phase(quiet, end + every, high, fire)]
        model = feed.model(phases, end, every)
        hold = pm.ceil_to(tier.for_seconds, every)

        def avg(w: int, t: int, lo: bool) -> Fraction | None:
            return model.traffic_in(w, t, lo, self.src(w))

        def holds(w: int, t: int, lo: bool, margin: Fraction) -> bool:
            """guard over w (and every ratio condition) true at every evaluation of `for`"""
            for x in range(t - hold, t + 1, every):
                a = avg(w, x, lo)
                if a is None or a < self.guard * (1 + margin) or \
                        not _condition(self, model, tier, x, lo):
                    return False
            return True

        def fails(w: int, t: int, lo: bool) -> bool:
            a = avg(w, t, lo)
            return a is not None and a < self.guard * (1 - MARGIN)

        silent_at = fire_at = None
        for t in range(quiet + every, end + 1, every):
            both = (False, True)
            if silent_at is None and shorter is not None and \
                    all(fails(W, t, lo) and holds(shorter, t, lo, MARGIN) for lo in both):
                silent_at = t
            if fire_at is None and longer is not None and all(
                    holds(W, t, lo, MARGIN) and fails(longer, t, lo) for lo in both):
                fire_at = t
        if silent_at is None and fire_at is None:
            return None
        rule = self.burn[tier.name]
        labels = self.expr_labels(tier)
        g = pm.Group(name=f"{self.slo.name} {tier.name}: the low-traffic guard averages over "
                          f"{format_duration(W)}", interval=step)
        g.inputs = feed.inputs(phases, end)
        text = (f"No traffic until t={format_duration(quiet)}, then {self._rate(high)} (twice "
                f"the guard: {show(self.guard)} events/s) at error ratio {show(fire)}, above "
                f"this tier's threshold and below any faster tier's.")
        if silent_at is not None:
            g.expr_tests.append(pm.alerts_series_test(rule, labels, silent_at, False,
                                                      select=(cv.LABEL_TIER,)))
            if self._raw_state(model, tier, silent_at) is False:
                g.expr_tests.append(self.condition_test(tier, silent_at, False))
            text += (f" At t={format_duration(silent_at)} the {format_duration(W)} average is "
                     f"still below the guard (the {format_duration(shorter)} one is above): "
                     "silent.")
        if fire_at is not None and self.suppressed(model, tier, fire_at) is not False:
            fire_at = None  # a faster tier's condition held: this one stays silent
        if silent_at is None and fire_at is None:
            return None
        if fire_at is not None:
            g.expr_tests.append(pm.alerts_series_test(rule, labels, fire_at, True,
                                                      select=(cv.LABEL_TIER,)))
            if self._raw_state(model, tier, fire_at) is True:
                g.expr_tests.append(self.condition_test(tier, fire_at, True))
            text += (f" At t={format_duration(fire_at)} it is above (the "
                     f"{format_duration(longer)} one is not): firing.")
        g.comments = [text]
        return g

    def _tier_traffic(self, feed: Feed) -> Fraction:
        return Fraction(1) if isinstance(feed, BaseFeed) and feed.gauge else self.traffic

    def timing_group(self, tier: BurnTier, feed: Feed, every: int, fire: Fraction,
                     below: Fraction) -> pm.Group:
        rule = self.burn[tier.name]
        theta = self.theta(tier)
        W, s = tier.long_window, tier.short_window
        r = self._tier_traffic(feed)
        t0 = pm.ceil_to(W + self.base + every, every)
        detect = Fraction(burnrate.detection_seconds(Decimal(tier.burn_rate),
                                                     Decimal(self.slo.error_budget),
                                                     _dec(fire), W))
        lag_long, lag_short = self.lag(W, every, feed), self.lag(s, every, feed)
        hold = tier.for_seconds
        absorbed = pm.floor_to(t0 + detect, every) - 2 * every
        # pending for `for` only counts whole evaluations
        fired = pm.floor_to(t0 + detect + lag_long, every) + every + pm.ceil_to(hold, every)
        t1 = fired + every
        # after the drop the short window's ratio falls linearly from `fire` to `below` over s:
        # still above the threshold (by 1%) until `high`, below it (by 1%) from `low` on
        high = s * (fire - theta * Fraction(101, 100)) / (fire - below)
        low = s * (fire - theta * Fraction(99, 100)) / (fire - below)
        mid = pm.floor_to(high, every)
        cleared = t1 + pm.ceil_to(low + lag_short, every)
        end = cleared
        phases = [Phase(0, t0, r, Fraction(0)), Phase(t0, t1, r, fire),
                  Phase(t1, end + every, r, below)]
        g = pm.Group(name=f"{self.slo.name} {tier.name}: detection and reset after a clean "
                          f"{format_duration(W)}", interval=feed.step)
        g.inputs = feed.inputs(phases, end)
        self.timing[tier.name] = (feed, phases, end, every)
        sel = (cv.LABEL_TIER,)
        labels = self.expr_labels(tier)
        bound = detect + every + lag_long + pm.ceil_to(hold, every)
        g.comments = [
            f"t=0..{format_duration(t0)}: no errors (a clean long window). From "
            f"t={format_duration(t0)}: error ratio {show(fire)} ({_x(fire / theta)}). Workbook "
            f"detection time (1 - S) / e x W x b = {show(self.budget)} / {show(fire)} x "
            f"{format_duration(W)} x {num(tier.burn_rate)} = {_d(detect)}.",
            f"Bound: fires within {_d(detect)} + one evaluation ({format_duration(every)})"
            + (f" + the derived {format_duration(W)} window's lag ({_d(lag_long)}: "
               + self._lag_text(W) + ")" if lag_long else "")
            + (f" + for {format_duration(hold)} (in whole evaluations)" if hold else "")
            + f" = {_d(bound)} -> asserted firing at t={format_duration(fired)}.",
        ]
        if absorbed > t0:
            short_full = s * theta / fire
            g.comments.append(
                f"t={format_duration(absorbed)}: silent. The burn is {_d(absorbed - t0)} old"
                + (", the short window is above the threshold" if absorbed - t0 > short_full +
                   lag_short else "")
                + f": the {format_duration(W)} window absorbs a burst shorter than the detection "
                "time.")
            g.expr_tests.append(pm.alerts_series_test(rule, labels, absorbed, False, select=sel))
        g.expr_tests.append(pm.alerts_series_test(rule, labels, fired, True, select=sel))
        text = (f"From t={format_duration(t1)} the error ratio drops to {show(below)} "
                f"({_x(below / theta)}, below the threshold) while the long window stays above "
                f"it:")
        if mid >= every:
            g.expr_tests.append(pm.alerts_series_test(rule, labels, t1 + mid, True, select=sel))
            text += (f" still firing at t={format_duration(t1 + mid)} (the "
                     f"{format_duration(s)} window is still above);")
        text += (f" silent again at t={format_duration(cleared)}, as soon as the short window "
                 f"has dropped below the threshold: within the short window "
                 f"({format_duration(s)}) + one evaluation"
                 + (f" + its lag ({_d(lag_short)})" if lag_short else "")
                 + ". A longer or shorter short window would still fire, or already be silent, "
                 "at one of these two checks.")
        g.comments.append(text)
        g.expr_tests.append(pm.alerts_series_test(rule, labels, cleared, False, select=sel))
        # the recorded condition holds exactly where the alert checks above say (no faster tier
        # burns at these levels, so nothing is suppressed; `for` only delays the firing)
        conditions = [(absorbed, False)] if absorbed > t0 else []
        conditions += [(fired, True)] + ([(t1 + mid, True)] if mid >= every else [])
        conditions.append((cleared, False))
        g.comments.append(
            f"The tier's recorded condition ({cv.SLO_BURN_CONDITION}, which slower tiers read to "
            "stay silent around this tier's burn) is 1 exactly while the condition holds: "
            + ", ".join(f"{int(state)} at t={format_duration(x)}" for x, state in conditions)
            + ".")
        for x, state in conditions:
            g.expr_tests.append(self.condition_test(tier, x, state))
        return g

    def condition_test(self, tier: BurnTier, at: int, holds: bool) -> dict:
        """The tier's recorded condition (slo_rules: slo:burn_condition:bool) at ``at``."""
        labels = {**self.ids, cv.LABEL_TIER: tier.name}
        return pm.exact_test(pm.series_text(cv.SLO_BURN_CONDITION, sorted(labels.items())),
                             cv.SLO_BURN_CONDITION, labels, at, 1 if holds else 0)

    def after_faster_group(self, tier: BurnTier, faster: BurnTier, feed: Feed,
                           every: int) -> pm.Group | None:
        """A burn that trips ``faster`` (and this tier) stops: this tier stays silent while its
        short window still holds the burn, where Alertmanager's inhibition has ended with the
        faster tier and it would page a second time for the same incident."""
        hot = self.levels[faster.name][0]
        max_for = max(t.for_seconds for t in self.tiers)
        t1 = pm.ceil_to(self.base + max_for + 2 * every, every)
        end = t1 + pm.ceil_to(tier.short_window + self.interval + every, every)
        r = self._tier_traffic(feed)
        phases = [Phase(0, t1, r, hot), Phase(t1, end + every, r, Fraction(0))]
        model = feed.model(phases, end, every)
        checks = [x for x in range(t1 + every, end + 1, every)
                  if self._raw_state(model, tier, x) is True and
                  self._raw_state(model, faster, x) is False and
                  self.suppressed(model, tier, x) is True]
        if not checks or self.alert_state(model, faster, t1 - every) is not True:
            return None
        rule = self.burn[tier.name]
        g = pm.Group(name=f"{self.slo.name} {tier.name}: silent after a {faster.name} burn "
                          "stops (one page per incident)", interval=feed.step)
        g.inputs = feed.inputs(phases, end)
        sel = (cv.LABEL_TIER,)
        g.expr_tests.append(pm.alerts_series_test(self.burn[faster.name],
                                                  self.expr_labels(faster), t1 - every, True,
                                                  select=sel))
        for x in (checks[0], checks[-1]):
            g.expr_tests.append(pm.alerts_series_test(self.burn[faster.name],
                                                      self.expr_labels(faster), x, False,
                                                      select=sel))
            g.expr_tests.append(pm.alerts_series_test(rule, self.expr_labels(tier), x, False,
                                                      select=sel))
        g.comments = [
            f"Error ratio {show(hot)} (above the {faster.name} threshold "
            f"{show(self.theta(faster))}) until t={format_duration(t1)}, then none: {faster.name} fires, then resolves. "
            f"From t={format_duration(checks[0])} to t={format_duration(checks[-1])} this tier's "
            f"windows still hold the burn (its condition alone would fire, and Alertmanager no "
            f"longer inhibits it), but {faster.name} held within its short window "
            f"({format_duration(tier.short_window)}) + one evaluation: silent."]
        return g


def sim_lookback() -> int:
    from sre_gen.compile.promtool_sim import LOOKBACK

    return LOOKBACK


def _condition(tests: SloTests, model, tier: BurnTier, t: int, lo: bool) -> bool:
    """Both burn-rate conditions of the tier at t (clearly above the threshold) in the model."""
    theta = tests.theta(tier)
    for w in (tier.long_window, tier.short_window):
        v = model.ratio_in(w, t, lo, src=tests.src(w), fed_ok=True)
        if v is None or v <= theta * (1 + MARGIN):
            return False
    return True


def _dyadic(value: Fraction, up: bool) -> Fraction:
    """``value`` rounded to a multiple of 1/1024, which float64 adds up exactly."""
    scaled = value * 1024
    n = -(-scaled // 1) if up else scaled // 1
    return Fraction(max(int(n), 1), 1024)


def _decimals(value: Fraction) -> int:
    """Decimal places of a finite decimal (0.00576 -> 5)."""
    d = 0
    while (value * 10 ** d).denominator != 1:
        d += 1
        if d > 30:
            raise Untestable(f"{value} is not a finite decimal")
    return d


def _fill(phases: list[Phase], end: int, gauge: bool) -> list[Phase]:
    """The phases with the gaps between them (and before, after) made explicit: no traffic,
    or for gauges no sample."""
    out, at = [], 0
    for p in sorted(phases, key=lambda p: p.start):
        if p.start > at:
            out.append(Phase(at, p.start, Fraction(0), Fraction(0)))
        out.append(p)
        at = p.end
    if at < end:
        out.append(Phase(at, end, Fraction(0), Fraction(0)))
    return out


def _dec(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _restep(feed: Feed, every: int) -> Feed:
    """A copy of a fed-series feed sampled at the test's evaluation interval."""
    import copy

    out = copy.copy(feed)
    out.step = every
    return out


def _state(value: Fraction, threshold: Fraction, strict: bool = True) -> bool | None:
    if value > threshold * (1 + MARGIN):
        return True
    if value < threshold * (1 - MARGIN):
        return False
    if not strict and value >= threshold * (1 + MARGIN):
        return True
    return None


def slo_test_files(service: Service, slo: SLO, alerts: list[Rule]) -> list[pm.PromtoolFile]:
    return SloTests(service, slo, alerts).files()
