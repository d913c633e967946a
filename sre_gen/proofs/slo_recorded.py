"""``<slo>.yaml``: an SLO's recorded series (base rates, window ratios, burn rates, budget
remaining) and its budget-exhausted, SLI-absent, SLI-unknown and low-traffic-guard alerts."""


from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.proofs import model as pm
from sre_gen.proofs.feed import show
from sre_gen.proofs.inputs import BaseFeed, CounterFeed, Feed, GaugeFeed, Phase
from sre_gen.compile.rulebase import Rule
from sre_gen.durations import format_duration, num
from sre_gen.model import GaugeSLI
from sre_gen.proofs.slo_numbers import MARGIN, _dyadic


class RecordedProofs:
    """The ``<slo>.yaml`` part of ``slo.SloTests``."""

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
        if isinstance(feed, BaseFeed) and not self.choice.left_out:
            wiring = self.wiring_group()
            if wiring is not None:
                f.groups.append(wiring)
        return f

    def queries_file(self) -> pm.PromtoolFile | None:
        """``<slo>.queries.yaml``: the wiring group of an SLO whose other proofs run without a
        rule (``FeedChoice.left_out``): this one feeds the queries' inputs, so it needs that
        rule, and a test file has one set of rules."""
        if not self.choice.left_out:
            return None
        wiring = self.wiring_group()
        if wiring is None:
            return None
        f = pm.PromtoolFile(path=f"{cv.PROMTOOL_TESTS_DIR}/{self.slo.name}.queries.yaml",
                            evaluation_interval=self.interval)
        f.comments = self._header(f"SLO {self.slo.name}") + [
            "This file: the SLI queries' own rules read their inputs (the other proofs of this "
            "SLO feed the recorded base series and run without the rules recording "
            + ", ".join(self.choice.left_out) + ")."]
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
        # the values are known only when each fed counter is read by its own side alone: a
        # good selector with a negative matcher (code!~"5..") gets the total's very series
        simple = simple and not _crossed(queries_events, queries[len(queries_events):])
        recorded = [(sel(cv.sli_errors(self.base), self.ids), self.ids, Fraction(1)),
                    (sel(cv.sli_total(self.base), self.ids), self.ids, Fraction(2))]
        for w in raw:
            labels = self.ratio_labels(w)
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
                for test in (pm.value_test(sel(cv.sli_error_ratio(self.base), ident),
                                           self.ratio_labels(self.base), t, ratio),
                             pm.value_test(sel(cv.SLO_CURRENT_BURN_RATE, ident), labels, t,
                                           ratio / self.budget)):
                    if test:
                        g.expr_tests.append(test)
        self._window_checks(g, model, end, skip_base=True)
        whole = self.slo_ids  # the constants are one series per SLO, grouped or not
        g.expr_tests += [
            pm.exact_test(sel(cv.SLO_OBJECTIVE, whole), cv.SLO_OBJECTIVE, whole, end,
                          float(self.slo.objective_ratio)),
            pm.exact_test(sel(cv.SLO_ERROR_BUDGET, whole), cv.SLO_ERROR_BUDGET, whole, end,
                          float(self.slo.error_budget)),
            pm.exact_test(sel(cv.SLO_TIME_WINDOW, whole), cv.SLO_TIME_WINDOW, whole, end,
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
            labels = self.ratio_labels(w)
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
        expected = pm.expected_alert(self.absent, dict(self.absent_labels), 1.0)  # one per SLO
        if expected is not None:
            g.alert_tests.append(pm.alert_test(self.absent.alert, fire_at, [expected]))
        else:
            g.expr_tests.append(pm.alerts_series_test(self.absent, self.absent_labels, fire_at, True,
                                                      1.0))
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
        expected = pm.expected_alert(self.unknown, dict(self.group), 1.0)
        if expected is not None:
            g.alert_tests.append(pm.alert_test(self.unknown.alert, end, [expected]))
        else:
            g.expr_tests.append(pm.alerts_series_test(self.unknown, dict(self.group), end, True,
                                                      1.0))
        if hold > 2 * E:
            g.alert_tests.append(pm.alert_test(self.unknown.alert, pm.floor_to(hold, E) - E, []))
        quiet = [r for r in (self.exhausted, self.absent) if r is not None]
        if self.burn:
            quiet.append(next(iter(self.burn.values())))
        for rule in quiet:
            g.alert_tests.append(pm.alert_test(rule.alert, end, []))
        for name in (cv.sli_errors(self.base), cv.sli_total(self.base),
                     cv.sli_error_ratio(self.slo.window), cv.SLO_BUDGET_REMAINING):
            g.expr_tests.append({"expr": pm.series_text(name, self.slo_ids),
                                 "eval_time": pm.dur(end),
                                 "exp_samples": []})
        return g

    def _unknown_raw_inputs(self, end: int) -> tuple[list, str] | None:
        """Inputs that make a raw-PromQL SLI of the form sum(rate(<counter>[{{window}}]))
        unknown: a gauge's counter reads NaN; a good/total ratio gets its total's counter and
        no good events. None for other query shapes (their result is the author's secret)."""
        from sre_gen import promql
        from sre_gen.proofs.feed import labels_for, selects

        sli, n = self.slo.sli, end // 60 + 1
        if isinstance(sli, GaugeSLI):
            sel = pm.counter_selector(sli.query, self.base)
            labels = labels_for(sel) if sel is not None else None
            if labels is None:
                return self._unknown_ratio_inputs(n)
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

    def _unknown_ratio_inputs(self, n: int) -> tuple[list, str] | None:
        """A gauge that is a ratio of two counters' rates (``pm.rate_ratio_selectors``): both
        counters flat, so the ratio is 0/0, NaN: no number to judge (a time slice without
        traffic)."""
        from sre_gen.proofs.feed import labels_for

        sels = pm.rate_ratio_selectors(self.slo.sli.query)
        inputs: dict[str, str] = {}
        for sel in sels or ():
            labels = labels_for(sel)
            if labels is None:
                return None
            inputs[pm.series_text(sel.metric, labels)] = f"100x{n - 1}"
        if not inputs:
            return None
        return (list(inputs.items()), f"{' and '.join(inputs)} stay at 100: the ratio of their "
                "rates is 0/0, NaN")

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


def _crossed(event_queries: list[str], total_queries: list[str]) -> bool:
    """True when a series fed for one side's selector is also selected by the other side's."""
    from sre_gen.proofs import feed

    def sels(queries):
        return [s for q in queries for s, _ in pm.query_selectors(q) or ()]

    ev, tot = sels(event_queries), sels(total_queries)
    for mine, theirs in ((ev, tot), (tot, ev)):
        for s in mine:
            labels = feed.labels_for(s)
            if labels is None or any(feed.selects(o, s.metric, labels) for o in theirs):
                return True
    return False
