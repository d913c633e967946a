"""``<slo>.groups.yaml``: a grouped SLO (``grouping: [label, ...]``) keeps its groups apart.

The other files of a grouped SLO feed one group (group ``a``: every grouping label set to
``a``); this one feeds two side by side, group ``a`` failing and group ``b`` healthy:
- the fastest testable tier's burn-rate alert fires for group ``a`` alone (promtool compares
  the exact set of alerts, and the ALERTS series of group ``b`` is asserted empty);
- every base series and raw-window ratio holds exactly one series per group, group ``b``'s at
  0 errors. For an errors/total SLI group ``b`` has no errors counter at all, so its 0 comes from
  the "no error yet" fallback ``(errors) or (total * 0)``, and the count of 2 proves that the
  fallback adds no series without the grouping labels (``or vector(0)`` would add a third);
- SLIs that can be unknown: group ``a``'s inputs cannot be evaluated (good events missing, a
  gauge reading NaN) while group ``b`` is healthy: the unknown alert fires for group ``a`` alone,
  group ``a`` records nothing and no burn, budget or absent alert fires.
"""

from __future__ import annotations

import copy
from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.durations import format_duration
from sre_gen.proofs import model as pm
from sre_gen.proofs.feed import series, show
from sre_gen.proofs.inputs import BaseFeed, CounterFeed, Feed, GaugeFeed, Phase, with_group
from sre_gen.proofs.slo_numbers import Untestable, _restep


def _shown(labels: dict[str, str]) -> str:
    return ", ".join(f'{k}="{v}"' for k, v in labels.items())


class GroupProofs:
    """The ``<slo>.groups.yaml`` part of ``slo.SloTests`` (grouped SLOs only)."""

    def other_group(self) -> dict[str, str]:
        from sre_gen.proofs.slo import group_labels

        return group_labels(self.slo, 1)

    def groups_file(self) -> pm.PromtoolFile | None:
        if not self.slo.grouping or self.choice.recorded is None:
            return None
        fastest = sorted((t for t in self.tiers if t.name in self.levels),
                         key=lambda t: (-t.burn_rate, t.name))
        every = self.tier_every(fastest[0]) if fastest else self.interval
        f = pm.PromtoolFile(path=cv.promtool_slo_groups_test_file(self.slo.name),
                            evaluation_interval=every)
        a, b = _shown(self.group), _shown(self.other_group())
        f.comments = self._header(f"SLO {self.slo.name}, per group") + [
            f"This file: the SLO is grouped by {', '.join(self.slo.grouping)}; group {a} fails "
            f"and group {b} is healthy, side by side. Evaluated every {format_duration(every)}.",
            *self._feed_comment(self.choice.recorded),
        ]
        f.groups.append(self.per_group_series(every))
        if fastest:
            try:
                f.groups.append(self.failing_group_alone(fastest[0], every))
            except Untestable as exc:
                f.untested.append(f"{self.burn[fastest[0].name].alert} per group ({exc})")
        if self.unknown is not None:
            group = self.unknown_alone(every)
            if group is not None:
                f.groups.append(group)
        return f

    def _healthy(self, feed: Feed) -> Feed:
        """Group ``b``'s feed: an errors/total SLI without its errors counter (no error yet)."""
        out = with_group(feed, self.other_group())
        if isinstance(out, CounterFeed) and not out.good_events:
            out.series = [s for s in out.series if not s.event]
        return out

    def per_group_series(self, every: int) -> pm.Group:
        feed = self.choice.recorded
        at = pm.ceil_to(self.base + 3 * every, every)
        traffic = self._tier_traffic(feed) if isinstance(feed, BaseFeed) else self.traffic
        if isinstance(feed, BaseFeed):
            feed = _restep(feed, every)
        ratio = min(2 * self.budget, Fraction(1))
        healthy = self._healthy(feed)
        phases = [Phase(0, at + every, traffic, ratio)]
        ok = [Phase(0, at + every, traffic, Fraction(0))]
        g = pm.Group(name=f"{self.slo.name}: one series per group", interval=feed.step)
        g.inputs = feed.inputs(phases, at) + healthy.inputs(ok, at)
        b_ids = {**self.slo_ids, **self.other_group()}
        names = [cv.sli_errors(self.base), cv.sli_total(self.base)]
        names += [cv.sli_error_ratio(w) for w in self.windows
                  if w == self.base or (self.raw(w) and not isinstance(feed, BaseFeed))]
        for name in names:
            g.expr_tests.append({"expr": f"count({pm.series_text(name, self.slo_ids)})",
                                 "eval_time": pm.dur(at),
                                 "exp_samples": [{"labels": "{}", "value": 2}]})
        for name in (cv.sli_errors(self.base), cv.sli_error_ratio(self.base)):
            g.expr_tests.append(pm.exact_test(pm.series_text(name, b_ids), name, b_ids, at, 0))
        fallback = (" Group b has no errors counter: its 0 is the fallback (errors) or "
                    "(total * 0), which keeps the group's labels."
                    if isinstance(healthy, CounterFeed) and not healthy.good_events else "")
        g.comments = [
            f"Group {_shown(self.group)} at error ratio {show(ratio)}, group {_shown(self.other_group())}"
            f" without errors: every base series and raw window has exactly two series, one "
            f"per group (none without the grouping labels), group b's at 0 errors." + fallback]
        return g

    def failing_group_alone(self, tier, every: int) -> pm.Group:
        feed = self.choice.burn
        if isinstance(feed, BaseFeed):
            feed = _restep(feed, every)
        fire = self.levels[tier.name][0]
        max_for = max(t.for_seconds for t in self.tiers)
        at = pm.ceil_to(self.base + max_for + 2 * every, every)
        traffic = self._tier_traffic(feed)
        phases = [Phase(0, at + every, traffic, fire)]
        ok = [Phase(0, at + every, traffic, Fraction(0))]
        model = feed.model(phases, at, every)
        alerts = self.burn_expected(model, at, fire)
        if not alerts or not any(x["exp_labels"].get(cv.LABEL_TIER) == tier.name
                                 for x in alerts):
            raise Untestable(f"tier {tier.name} is too close to call")
        rule = self.burn[tier.name]
        g = pm.Group(name=f"{self.slo.name}: the failing group alerts alone", interval=feed.step)
        g.inputs = feed.inputs(phases, at) + self._healthy(feed).inputs(ok, at)
        g.alert_tests.append(pm.alert_test(rule.alert, at, alerts))
        other = [("alertname", rule.alert), ("alertstate", "firing"), *self.other_group().items()]
        g.expr_tests.append({"expr": pm.series_text(cv.ALERTS, other), "eval_time": pm.dur(at),
                             "exp_samples": []})
        tiers = sorted(x["exp_labels"][cv.LABEL_TIER] for x in alerts)
        g.comments = [
            f"Group {_shown(self.group)} at error ratio {show(fire)} (above tier {tier.name}'s "
            f"threshold), group {_shown(self.other_group())} without errors: {rule.alert} fires "
            f"for group a alone (tier{'s' if len(tiers) > 1 else ''} {', '.join(tiers)}); "
            "group b has no alert."]
        return g

    def unknown_alone(self, every: int) -> pm.Group | None:
        feed = self.choice.recorded
        if isinstance(feed, CounterFeed) and feed.good_events:
            kept = [s for s in feed.series if not (s.event and s.role == "good")]
            missing = [s for s in feed.series if s not in kept]
            broken = copy.copy(feed)
            broken.series, broken._cache = kept, {}
            what = "no " + ", ".join(series(s.metric, s.labels) for s in missing)
        elif isinstance(feed, GaugeFeed):
            broken, what = None, f"{series(feed.sel.metric, feed.labels)} NaN at every sample"
        else:
            return None
        E = every
        hold = self.unknown.for_seconds
        tiers_for = max((t.for_seconds for t in self.tiers), default=0)
        absent_for = self.absent.for_seconds if self.absent is not None else 0
        end = pm.ceil_to(max(hold, absent_for, tiers_for) + self.base + 3 * E, E)
        phases = [Phase(0, end + E, self.traffic, Fraction(1))]
        ok = [Phase(0, end + E, self.traffic, Fraction(0))]
        g = pm.Group(name=f"{self.slo.name}: an unknown group alone", interval=feed.step)
        if broken is not None:
            g.inputs = broken.inputs(phases, end)
        else:
            ((name, _),) = feed.inputs(ok, end)
            g.inputs = [(name, " ".join(["NaN"] * (end // feed.step + 1)))]
        g.inputs += self._healthy(feed).inputs(ok, end)
        expected = pm.expected_alert(self.unknown, dict(self.group), 1.0)
        if expected is not None:
            g.alert_tests.append(pm.alert_test(self.unknown.alert, end, [expected]))
        else:
            g.expr_tests.append(pm.alerts_series_test(self.unknown, dict(self.group), end, True,
                                                      1.0))
        quiet = [r for r in (self.exhausted, self.absent) if r is not None]
        quiet += list(self.burn.values())[:1]
        for rule in quiet:
            g.alert_tests.append(pm.alert_test(rule.alert, end, []))
        total = cv.sli_total(self.base)
        g.expr_tests.append({"expr": pm.series_text(total, self.ids), "eval_time": pm.dur(end),
                             "exp_samples": []})
        g.expr_tests.append({"expr": f"count({pm.series_text(total, self.slo_ids)})",
                             "eval_time": pm.dur(end),
                             "exp_samples": [{"labels": "{}", "value": 1}]})
        g.comments = [
            f"Group {_shown(self.group)} cannot be evaluated ({what}), group "
            f"{_shown(self.other_group())} is healthy: {self.unknown.alert} fires for group a "
            "alone, group a records nothing (no budget burns), and no burn, budget or absent "
            "alert fires."]
        return g
