"""``<slo>.tier-<tier>.yaml``: each burn-rate tier's labels and annotations above its threshold,
silence below it, and the timing of detection and reset against the workbook's formula."""


from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from sre_gen import burnrate
from sre_gen import conventions as cv
from sre_gen.proofs import model as pm
from sre_gen.proofs.feed import show
from sre_gen.proofs.inputs import BaseFeed, Feed, Phase
from sre_gen.durations import format_duration, num
from sre_gen.model import BurnTier
from sre_gen.proofs.slo_numbers import (MARGIN, FIRE_FACTORS, BELOW_FACTORS, Untestable, _x,
                                        _short, _d, _condition, _dyadic, _dec, _restep)


class TierProofs:
    """The ``<slo>.tier-<tier>.yaml`` part of ``slo.SloTests``."""

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
            f"{show(self.theta(faster))}) until t={format_duration(t1)}, then none: "
            f"{faster.name} fires, then resolves. "
            f"From t={format_duration(checks[0])} to t={format_duration(checks[-1])} this tier's "
            f"windows still hold the burn (its condition alone would fire, and Alertmanager no "
            f"longer inhibits it), but {faster.name} held within its short window "
            f"({format_duration(tier.short_window)}) + one evaluation: silent."]
        return g
