"""How the SLO tests feed an SLI, and the exact model of what the recording rules then record.

Three feeds:
- ``CounterFeed``: structured ratio and latency SLIs (metric + selector, histograms). Raw counters
  are fed, so the whole chain (base rates, raw and derived windows) is exercised. Counters start
  at a small power of ten, twice the largest per-sample increment, which keeps Prometheus'
  zero-point clamp out of rate() so Prometheus 2 and 3 extrapolate alike (``_counter_start``);
  every value is a whole number below 2^53, exact in float64.
- ``BaseFeed``: raw-PromQL SLIs and, in the burn-rate tests, gauge SLIs. The recorded base series
  (``slo:sli_errors:rate5m`` / ``slo:sli_total:rate5m``, as printed: at most 12 significant
  digits, and the model reads the same numbers) are fed in place of the rules' output:
  the rules record nothing when their raw inputs are absent. Windows the rules compute from raw
  queries are fed too (request-weighted averages of the scenario). An errors/total SLI whose
  inputs cannot be synthesised records 0 errors without inputs (``or vector(0)``): its proofs
  run without the rules that read its raw queries (``FeedChoice.left_out``), which only
  ``sre-gen test``'s scoped rules allow (``proofs.scoped``).
- ``GaugeFeed``: gauge SLIs given as ``metric`` or ``sum|avg|max|min(metric)``: the gauge is fed.

A scenario is a list of ``Phase``s: traffic (events/s) and error ratio over ``[start, end)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.proofs import feed
from sre_gen.proofs import sim
from sre_gen.proofs.model import counter_selector, gauge_selector
from sre_gen.compile.slo_rules import _BAD_OP, series_labels
from sre_gen.model import SLO, GaugeSLI, LatencySLI, MetricSelector, RatioSLI, Service
from sre_gen.windows import RAW, Level, Source, is_raw, slo_windows
from sre_gen.durations import format_duration


@dataclass(frozen=True)
class Phase:
    start: int
    end: int
    rate: Fraction  # events per second; 0 = no traffic (gauges: no sample)
    ratio: Fraction  # error ratio (gauges: 1 = bad, 0 = good)


def phase_at(phases: Sequence[Phase], t: int) -> Phase | None:
    for p in phases:
        if p.start <= t < p.end:
            return p
    return None


def _interval_phase(phases: Sequence[Phase], t: int, step: int) -> Phase | None:
    """The phase of the interval (t - step, t]: what a sample at t accumulated."""
    return phase_at(phases, t - step) if t >= step else None


@dataclass(frozen=True)
class CounterSeries:
    metric: str
    labels: dict
    role: str  # "bad" | "good" | "all": which events it counts
    event: bool  # selected by the events (errors or good) selector
    in_total: bool  # selected by the total selector


class Feed:
    kind = ""
    step = 60

    def describe(self) -> str:
        raise NotImplementedError

    def inputs(self, phases: Sequence[Phase], end: int) -> list[tuple[str, str]]:
        raise NotImplementedError

    def model(self, phases: Sequence[Phase], end: int, every: int) -> "Model":
        raise NotImplementedError


class CounterFeed(Feed):
    kind = "counters"

    def __init__(self, series: list[CounterSeries], good_events: bool, step: int, start: int,
                 base: int):
        self.series = series
        self.base = base
        self._cache: dict = {}
        self.good_events = good_events
        self.step = step
        self.start = Fraction(start)

    def describe(self) -> str:
        shown = ", ".join(feed.series(s.metric, s.labels) for s in self.series)
        return f"raw counters (starting at {self.start}): {shown}"

    def _samples(self, s: CounterSeries, phases: Sequence[Phase], end: int) -> list:
        key = (id(s), tuple(phases), end)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._compute(s, phases, end)
        return cached

    def _compute(self, s: CounterSeries, phases: Sequence[Phase], end: int) -> list:
        """Counter values at every sample: the increment of sample k covers ((k-1)step, k step]
        and comes from the phase holding (k-1)step (phases start on the sample grid)."""
        n = end // self.step
        incs: list = [0] * n
        for p in phases:
            share = {"bad": p.ratio, "good": 1 - p.ratio, "all": Fraction(1)}[s.role]
            inc = p.rate * self.step * share
            inc = inc.numerator if inc.denominator == 1 else inc
            lo, hi = -(-p.start // self.step), min(-(-p.end // self.step), n)
            for k in range(max(lo, 0), hi):  # sample k + 1
                incs[k] = inc
        start = self.start.numerator if self.start.denominator == 1 else self.start
        return feed.counter(start, incs)

    def inputs(self, phases, end):
        return [(feed.series(s.metric, s.labels), feed.values_string(self._samples(s, phases, end)))
                for s in self.series]

    def model(self, phases, end, every):
        sampled = [(s, sim.Sampled(self.step, tuple(self._samples(s, phases, end))))
                   for s in self.series]

        def rates(t: int, w: int, lo: bool) -> tuple[Fraction | None, Fraction | None]:
            ev = sim.add(*[sim.rate(x, t, w, lo) for s, x in sampled if s.event])
            tot = sim.add(*[sim.rate(x, t, w, lo) for s, x in sampled if s.in_total])
            if not self.good_events:
                return (ev if ev is not None else Fraction(0)), tot
            if tot is None or ev is None:  # no good-events series: the SLI is unknown
                return None, None
            return max(tot - ev, Fraction(0)), tot

        return Model(rates=rates, every=every, end=end, base=self.base)


class BaseFeed(Feed):
    kind = "base"

    def __init__(self, service: Service, slo: SLO, raw_windows: Sequence[int], step: int,
                 gauge: bool):
        # the labels the rules would record (with slothCompat also Sloth's)
        self.ids = dict(series_labels(service, slo))
        self.sloth = service.settings.sloth_compat
        self.base = service.settings.base_window
        self.raw_windows = tuple(raw_windows)
        self.step = step
        self.gauge = gauge

    def describe(self) -> str:
        what = "the recorded base series " + cv.sli_errors(self.base) + " / " + \
            cv.sli_total(self.base)
        if self.raw_windows:
            what += " and " + ", ".join(cv.sli_error_ratio(w) for w in self.raw_windows)
        return what

    def _values(self, phases, end):
        """Gauges: the fraction of bad evaluations per sample (a step). Ratio SLIs: what the
        base rules would record, the event rates averaged over the base window before t."""
        n = end // self.step + 1
        errors, total = [], []
        for k in range(n):
            t = k * self.step
            if self.gauge:
                p = phase_at(phases, t - self.step if t else 0)
                if p is None or p.rate == 0:
                    errors.append(None)
                    total.append(None)
                    continue
                errors.append(p.rate * p.ratio)
                total.append(p.rate)
                continue
            bad = good = Fraction(0)
            for p in phases:
                lo, hi = max(p.start, t - self.base, 0), min(p.end, t)
                if hi > lo:
                    bad += p.rate * p.ratio * (hi - lo)
                    good += p.rate * (hi - lo)
            errors.append(feed.printed(bad / self.base))
            total.append(feed.printed(good / self.base))
        return errors, total

    def window_values(self, phases, end, window: int) -> list[Fraction | None]:
        """Request-weighted error ratio over (t - window, t] at every sample."""
        out = []
        for k in range(end // self.step + 1):
            t = k * self.step
            bad = good = Fraction(0)
            for p in phases:
                lo, hi = max(p.start, t - window, 0), min(p.end, t)
                if hi > lo:
                    bad += p.rate * p.ratio * (hi - lo)
                    good += p.rate * (hi - lo)
            out.append(feed.printed(bad / good) if good else None)
        return out

    def inputs(self, phases, end):
        errors, total = self._values(phases, end)
        out = [(feed.series(cv.sli_errors(self.base), self.ids), feed.values_string(errors)),
               (feed.series(cv.sli_total(self.base), self.ids), feed.values_string(total))]
        for w in self.raw_windows:
            ids = {**self.ids, cv.LABEL_SLOTH_WINDOW: format_duration(w)} if self.sloth \
                else self.ids
            out.append((feed.series(cv.sli_error_ratio(w), ids),
                        feed.values_string(self.window_values(phases, end, w))))
        return out

    def model(self, phases, end, every):
        errors, total = self._values(phases, end)
        windows = {w: sim.Sampled(self.step, tuple(self.window_values(phases, end, w)))
                   for w in self.raw_windows}
        fed = (sim.Sampled(self.step, tuple(errors)), sim.Sampled(self.step, tuple(total)),
               windows, self.gauge)
        return Model(fed=fed, every=every, end=end, base=self.base)


class GaugeFeed(Feed):
    kind = "gauge"

    def __init__(self, sel: MetricSelector, labels: dict, agg: str, sli: GaugeSLI, step: int,
                 base: int):
        self.sel, self.labels, self.agg, self.sli, self.step = sel, labels, agg, sli, step
        self.base = base
        t = sli.threshold
        delta = abs(t) / 10 if t else Fraction(1)
        delta = Fraction(delta)
        good_above = sli.op in (">", ">=")
        self.good = Fraction(t) + delta if good_above else Fraction(t) - delta
        self.bad = Fraction(t) - delta if good_above else Fraction(t) + delta

    def describe(self) -> str:
        return (f"the gauge {feed.series(self.sel.metric, self.labels)}: {feed.show(self.good)} "
                f"(good) or {feed.show(self.bad)} (bad, {_BAD_OP[self.sli.op]} "
                f"{feed.show(Fraction(self.sli.threshold))})")

    def _values(self, phases, end):
        out = []
        for k in range(end // self.step + 1):
            p = phase_at(phases, k * self.step)
            out.append(None if p is None or p.rate == 0 else (self.bad if p.ratio else self.good))
        return out

    def inputs(self, phases, end):
        return [(feed.series(self.sel.metric, self.labels),
                 feed.values_string(self._values(phases, end)))]

    def model(self, phases, end, every):
        return Model(gauge=(sim.Sampled(self.step, tuple(self._values(phases, end))), self.sli),
                     every=every, end=end, base=self.base)


def _dur(seconds: int) -> str:
    from sre_gen.durations import format_duration

    return format_duration(seconds)


_CMP = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}


class Model:
    """What the SLO's recording rules record for a scenario, under both range semantics
    (``lo`` = left-open ranges, Prometheus 3)."""

    def __init__(self, *, every: int, end: int, base: int, rates=None, fed=None, gauge=None):
        self.rates = rates  # counters: (t, window, lo) -> (errors/s, events/s)
        self.base = base
        self._memo: dict = {}
        self.is_gauge = gauge is not None or (fed is not None and fed[3])
        self.fed_windows = fed[2] if fed is not None else {}
        self.every = every
        times = self.times = tuple(range(0, end + 1, every))
        self.rec: dict[bool, tuple] = {}
        for lo in (False, True):
            if rates is not None:
                pairs = [rates(t, base, lo) for t in times]
                e = sim.Recorded(times, tuple(p[0] for p in pairs))
                tot = sim.Recorded(times, tuple(p[1] for p in pairs))
            elif fed is not None:
                # the fed series are what the range functions read (no rule output)
                e, tot = (_as_recorded(fed[0]), _as_recorded(fed[1]))
            else:
                series, sli = gauge
                bad_op = _BAD_OP[sli.op]
                thr = Fraction(sli.threshold)

                def bad(t, s=series, lo=lo):
                    q = sim.instant(s, t, lo)
                    return None if q is None else Fraction(int(_CMP[bad_op](q, thr)))

                def present(t, s=series, lo=lo):
                    return None if sim.instant(s, t, lo) is None else Fraction(1)

                e, tot = sim.record(times, bad), sim.record(times, present)
            self.rec[lo] = (e, tot)

    def _agree(self, fn) -> Fraction | None:
        a, b = fn(False), fn(True)
        return a if a is not None and a == b else None

    def base_series(self, t: int) -> tuple[Fraction, Fraction] | None:
        """(errors, total) the base rules record at t, when both semantics agree."""
        e = self._agree(lambda lo: sim.instant(self.rec[lo][0], t, lo))
        tot = self._agree(lambda lo: sim.instant(self.rec[lo][1], t, lo))
        return None if e is None or tot is None else (e, tot)

    def present(self, t: int) -> bool:
        """Whether the total base series has a sample at t (what absent() looks at)."""
        return all(sim.instant(self.rec[lo][1], t, lo) is not None for lo in (False, True))

    def level(self, level: Level, lo: bool) -> tuple[sim.Recorded, sim.Recorded]:
        """(errors, total) a level records (slo_rules.level_exprs): at the evaluations with
        ``t % step < interval``, the base sample (a gauge's, and a coarser level's: the average
        of the finer samples of the step)."""
        key = ("level", level, lo)
        if key not in self._memo:
            times = tuple(t for t in self.times if t % level.step < level.interval)
            if level.of is not None:
                inputs, summed = self.level(level.of, lo), True
            else:
                inputs, summed = self.rec[lo], self.is_gauge
            out = []
            for series in inputs:
                if summed:
                    def value(t, s=series):
                        return sim.avg_over_time(s, t, level.step - 1, lo)
                else:
                    def value(t, s=series):
                        return sim.instant(s, t, lo)
                out.append(sim.record(times, value))
            self._memo[key] = tuple(out)
        return self._memo[key]

    def _read(self, window: int, lo: bool, src: Source):
        """((errors, total) series, range) a derived window reads: a level's, over one second
        short of the window (slo_rules.window_range), or the base series' over the window."""
        if isinstance(src, Level):
            return self.level(src, lo), window - 1
        return self.rec[lo], window

    def _sums(self, window: int, t: int, lo: bool, src: Source):
        """(bad, all) summed over ``window`` (slo_rules.derived_sums)."""
        (e_rec, t_rec), span = self._read(window, lo, src)
        return (sim.sum_over_time(e_rec, t, span, lo), sim.sum_over_time(t_rec, t, span, lo))

    def ratio_in(self, window: int, t: int, lo: bool, *, src: Source,
                 fed_ok: bool = False) -> Fraction | None:
        """The error ratio recorded over ``window`` at ``t`` under one range semantics
        (``lo``: left-open, Prometheus 3). Fed windows are None unless ``fed_ok``."""
        key = ("ratio", window, t, lo, src, fed_ok)
        if key not in self._memo:
            self._memo[key] = self._ratio_in(window, t, lo, src, fed_ok)
        return self._memo[key]

    def _ratio_in(self, window: int, t: int, lo: bool, src: Source,
                  fed_ok: bool) -> Fraction | None:
        e_rec, t_rec = self.rec[lo]
        if window == self.base and not self.is_gauge:
            return sim.div(sim.instant(e_rec, t, lo), sim.instant(t_rec, t, lo))
        if src == RAW and not self.is_gauge:
            if self.rates is None:
                fed = self.fed_windows.get(window)
                return sim.instant(fed, t, lo) if fed_ok and fed is not None else None
            return sim.div(*self.rates(t, window, lo))
        return sim.div(*self._sums(window, t, lo, src))

    def ratio(self, window: int, t: int, *, src: Source,
              fed_ok: bool = False) -> Fraction | None:
        """The error ratio recorded over ``window`` at ``t``, when both semantics agree."""
        return self._agree(lambda lo: self.ratio_in(window, t, lo, src=src, fed_ok=fed_ok))

    def traffic_in(self, window: int, t: int, lo: bool, src: Source) -> Fraction | None:
        """Events/s averaged over ``window`` at t (the low-traffic guard, slo_rules.
        average_event_rate): avg_over_time of the base total, or of a level's."""
        key = ("traffic", window, t, lo, src)
        if key not in self._memo:
            (_, total), span = self._read(window, lo, src)
            self._memo[key] = sim.avg_over_time(total, t, span, lo)
        return self._memo[key]

    def traffic(self, window: int, t: int, src: Source) -> Fraction | None:
        return self._agree(lambda lo: self.traffic_in(window, t, lo, src))


def _as_recorded(series: sim.Sampled) -> sim.Recorded:
    times = tuple(k * series.step for k in range(len(series.values)))
    return sim.Recorded(times, series.values)


def with_group(f: Feed | None, group: dict[str, str]) -> Feed | None:
    """A copy of ``f`` whose every fed series also carries the labels ``group`` (one value of a
    grouped SLO's grouping labels): the rules then record that group's series."""
    import copy

    if f is None or not group:
        return f
    out = copy.copy(f)
    if isinstance(out, CounterFeed):
        out.series = [CounterSeries(s.metric, {**s.labels, **group}, s.role, s.event, s.in_total)
                      for s in f.series]
        out._cache = {}
    elif isinstance(out, BaseFeed):
        out.ids = {**f.ids, **group}
    elif isinstance(out, GaugeFeed):
        out.labels = {**f.labels, **group}
    return out


# ---- choosing a feed ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedChoice:
    burn: Feed | None  # feed of the burn-rate tests (None: untestable)
    recorded: Feed | None  # feed of the recorded-series tests
    why: str  # one line for the file comment
    untested_reason: str = ""
    # records of the SLO's own rules the fed series stand in for: the proofs run without those
    # rules (their output would collide with the fed series), ``PromtoolFile.left_out``
    left_out: tuple[str, ...] = ()


def counter_step(service: Service) -> int:
    base = service.settings.base_window
    step = min(60, max(1, base // 5), service.settings.evaluation_interval)
    return step


def _counter_start(service: Service, traffic: Fraction) -> int:
    """The counters' first value: the smallest power of ten (at least 10) that is at least twice
    the largest per-sample increment of the tests (4x ``traffic`` per sample).

    Prometheus' extrapolatedRate clamps the extrapolation towards the range start to the
    counter's zero point, ``sampled interval x v0 / increase``, and extrapolates to the start
    at all only when it is nearer than 1.1 average sample spacings (else by half a spacing).
    With v0 >= 2 x the largest increment the zero point is at least 2 spacings away, so the
    clamp never changes a result: Prometheus 2 (clamp, then threshold) and 3 (threshold, then
    clamp) extrapolate alike, and ``sim.rate`` never takes its clamp branch. A start
    above what the longest window adds is not needed, and it pushed counters past 2^53 (9e15),
    where float64 integers are no longer exact. Every counter value is a whole number of
    events (``SloTests._traffic``) below 2^53, so promtool's repeated additions are exact."""
    need = 2 * 4 * traffic * counter_step(service)
    start = 10
    while start < need:
        start *= 10
    return start


def _ratio_counters(sli: RatioSLI, window: int) -> tuple[MetricSelector, MetricSelector] | None:
    from sre_gen.promql import render_window

    def counter(src) -> MetricSelector | None:
        if src.selector is not None:
            return src.selector
        return counter_selector(render_window(src.query, window), window) if src.query else None

    ev, tot = counter(sli.events), counter(sli.total)
    if ev is None or tot is None:
        return None
    return ev, tot


_PREFER = {"code": ("200", "2xx"), "status": ("200", "ok"), "status_code": ("200",),
           "le": ("+Inf",), "result": ("success", "ok"), "outcome": ("success",)}


def _counter_series(slo: SLO, base: int) -> tuple[list[CounterSeries], bool] | None:
    sli = slo.sli
    if isinstance(sli, LatencySLI):
        from sre_gen.durations import num

        labels = feed.labels_for(sli.histogram)
        if labels is None or "le" in labels:
            return None
        bucket = {**labels, "le": num(sli.threshold_seconds)}
        return [CounterSeries(sli.histogram.metric + "_bucket", bucket, "good", True, False),
                CounterSeries(sli.histogram.metric + "_count", labels, "all", False, True)], True
    if not isinstance(sli, RatioSLI):
        return None
    raw_query = sli.events.query is not None or sli.total.query is not None
    if raw_query and sli.events_are_good:
        return None  # raw good/total queries: the base series stand in (BaseFeed)
    sels = _ratio_counters(sli, base)
    if sels is None:
        return None
    ev_sel, tot_sel = sels
    ev_labels = feed.labels_for(ev_sel)
    if ev_labels is None:
        return None
    event_role = "good" if sli.events_are_good else "bad"
    other_role = "bad" if sli.events_are_good else "good"
    ev_in_total = feed.selects(tot_sel, ev_sel.metric, ev_labels)
    prefer = {}
    for m in ev_sel.matchers:
        for cand in _PREFER.get(m.name, ("ok", "x")):
            trial = {m.name: cand}
            if not feed.matches(m, trial):
                prefer.setdefault(m.name, cand)
    other = feed.labels_for(tot_sel, exclude=[ev_sel], prefer=prefer)
    if other is None:
        return None
    out = [CounterSeries(ev_sel.metric, ev_labels, event_role, True, ev_in_total)]
    if ev_in_total:
        out.append(CounterSeries(tot_sel.metric, other, other_role, False, True))
    else:
        out.append(CounterSeries(tot_sel.metric, other, "all", False, True))
    if feed.selects(ev_sel, tot_sel.metric, other):
        return None
    return out, sli.events_are_good


def choose_feed(service: Service, slo: SLO, traffic: Fraction,
                scoped: bool = False) -> FeedChoice:
    """How this SLO's tests feed its SLI (``traffic``: the scenarios' top events/s).
    ``scoped``: each proof runs with only the rules it reads (``proofs.scoped``, what
    ``sre-gen test`` does by default), so a rule can be left out (``FeedChoice.left_out``);
    else the proofs read the whole rule files (settings.writePromtoolTests)."""
    st = service.settings
    sli = slo.sli
    if isinstance(sli, GaugeSLI):
        raw = BaseFeed(service, slo, (), st.evaluation_interval, gauge=True)
        shape = gauge_selector(sli.query)
        labels = feed.labels_for(shape[0]) if shape else None
        if shape is not None and labels is not None:
            rec = GaugeFeed(shape[0], labels, shape[1], sli, st.evaluation_interval,
                            st.base_window)
            why = ("Gauge SLI: the recorded-series tests feed the gauge; the burn-rate tests feed "
                   "the per-evaluation base series with the fraction of bad evaluations, since a "
                   "0/1 gauge sampled at a long tier's test interval cannot express 1.25x a few "
                   "per cent in a short window.")
        else:
            rec = raw
            why = ("Gauge SLI from a PromQL query sre-gen cannot synthesise inputs for: every "
                   "test feeds the per-evaluation base series (the rules record nothing without "
                   "the query's inputs, so the fed series stands in for them).")
        return FeedChoice(burn=raw, recorded=rec, why=why)
    counters = _counter_series(slo, st.base_window)
    if counters is not None:
        series, good = counters
        start = _counter_start(service, traffic)
        f = CounterFeed(series, good, counter_step(service), start, st.base_window)
        raw = sli.events.query is not None or sli.total.query is not None \
            if isinstance(sli, RatioSLI) else False
        return FeedChoice(burn=f, recorded=f, why=(
            ("Raw-PromQL errors/total SLI of the form sum(rate(<selector>[{{window}}])): its "
             "base rule records 0 (`or vector(0)`) without inputs, so the base series cannot "
             "stand in; the queries' counters are fed instead" if raw else "Structured SLI: raw "
             "counters are fed") + ", so the whole chain is tested (base rates, raw windows, "
            "derived windows, alerts)."))
    if isinstance(sli, RatioSLI) and sli.events_are_good:
        raw_windows = tuple(w for w in slo_windows(slo, st)
                            if w != st.base_window and is_raw(w, slo, st))
        f = BaseFeed(service, slo, raw_windows, st.evaluation_interval, gauge=False)
        return FeedChoice(burn=f, recorded=f, why=(
            "Raw-PromQL SLI: the tests feed the recorded base series (and the windows the rules "
            "compute from the raw queries) in place of the queries' inputs, which sre-gen cannot "
            "synthesise; the rules record nothing without those inputs, so the fed series stand "
            "in for them. The raw queries themselves are not exercised."))
    if isinstance(sli, RatioSLI) and scoped:
        raw_windows = tuple(w for w in slo_windows(slo, st)
                            if w != st.base_window and is_raw(w, slo, st))
        f = BaseFeed(service, slo, raw_windows, st.evaluation_interval, gauge=False)
        # every rule that reads the raw queries: the errors one records 0 without inputs
        # (`or vector(0)`), and a query may itself return a value without inputs (Sloth's
        # plugins' `OR on() vector(0)`), so none of them is left to record beside the fed series
        left_out = (cv.sli_errors(st.base_window), cv.sli_total(st.base_window),
                    *(cv.sli_error_ratio(w) for w in raw_windows))
        return FeedChoice(burn=f, recorded=f, left_out=left_out, why=(
            "Errors/total SLI whose inputs sre-gen cannot synthesise (raw PromQL): the tests "
            "feed the recorded base series (and the windows the rules compute from the raw "
            "queries) in place of the queries' inputs, and run without the rules that read the "
            "raw queries (" + ", ".join(left_out) + "): the errors rule records 0 (`or "
            "vector(0)`) without inputs, and a query may return a value without inputs, which "
            "would collide with the fed series. Everything downstream (windows, budget, burn "
            "rates, alerts) is proved; the raw queries themselves are not exercised here (see "
            "<slo>.queries.yaml)."))
    reason = ("errors/total SLI whose queries are not sum(rate(<selector>[{{window}}])): "
              "its base rule records 0 (`or vector(0)`) without inputs, so the "
              "base series cannot be fed in its place while the tests read the whole rule files "
              "(settings.writePromtoolTests); without writePromtoolTests, sre-gen test proves "
              "these alerts with that rule left out")
    return FeedChoice(burn=None, recorded=None, why="", untested_reason=reason)
