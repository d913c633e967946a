"""``<slo>.period.yaml``: the SLO window against its shorter neighbour."""


from __future__ import annotations

from fractions import Fraction

from sre_gen import conventions as cv
from sre_gen.proofs import model as pm
from sre_gen.proofs.feed import show
from sre_gen.proofs.inputs import BaseFeed, Phase
from sre_gen.durations import format_duration
from sre_gen.proofs.slo_numbers import _fill, _restep


class PeriodProofs:
    """The ``<slo>.period.yaml`` part of ``slo.SloTests``."""

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
