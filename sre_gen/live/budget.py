"""The error-budget gate (``sre-gen budget``): how much of each SLO's error budget is left, how
fast it burns, and which error-budget-policy action applies, read from a live Prometheus.

It reads the series the generated recording rules record (names from ``sre_gen.conventions``),
two instant queries per service at one evaluation time:

- ``slo:period_error_budget_remaining:ratio{service=...}``: the budget left over the SLO window
  (1 = untouched, 0 = exhausted, negative = overspent);
- ``slo:sli_error:ratio_rate<W>{service=...}`` for the burn windows: the error ratio over W,
  divided by the SLO's error budget, is the burn rate over W. The burn windows are the long
  windows of the SLO's burn-rate tiers (the windows the pages look at), else the base window.

States (the policy in ``errorBudgetPolicy.actions``):

- ``exhausted``: remaining <= 0. ``budgetExhausted`` applies: halt_new_features (the gate
  fails, so CI blocks feature deploys), and the spec's own budgetExhausted actions.
- ``low``: 0 < remaining < ``--min-remaining`` (the chaos pipeline's
  "ensure_error_budget_available"): the gate fails; the policy is still ``budgetHealthy``.
- ``healthy``: ``budgetHealthy`` applies.
- ``unknown``: no sample, or NaN (no events in the window, the rules not loaded, the SLI's
  inputs missing). An SLI whose inputs cannot be evaluated never burns budget: unknown is not
  exhausted and does not fail the gate, but it is flagged (a warning per SLO).

When a Prometheus holds several series for one SLO (e.g. replicas with external labels), the
worst one counts: the least budget remaining, the fastest burn.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from sre_gen import conventions as cv
from sre_gen import errors, promql
from sre_gen.durations import format_duration, num
from sre_gen.model import SLO, Service
from sre_gen.prose import number

EXHAUSTED = "exhausted"
LOW = "low"
HEALTHY = "healthy"
UNKNOWN = "unknown"

ACTION_EXHAUSTED = "budgetExhausted"  # errorBudgetPolicy.actions.budgetExhausted
ACTION_HEALTHY = "budgetHealthy"
HALT = "halt_new_features"  # what a failed gate means for CI


@dataclass(frozen=True)
class Burn:
    window: int  # seconds
    rate: float | None  # burn rate (1 = spends exactly the budget over the SLO window)


@dataclass(frozen=True)
class Budget:
    service: str
    slo: str
    objective_percent: Decimal
    window: int
    remaining: float | None  # ratio of the budget left; None when unknown
    burns: tuple[Burn, ...]
    state: str

    @property
    def action(self) -> str:
        """The error-budget-policy action that applies ("" when unknown)."""
        return {EXHAUSTED: ACTION_EXHAUSTED, LOW: ACTION_HEALTHY,
                HEALTHY: ACTION_HEALTHY}.get(self.state, "")

    @property
    def fails(self) -> bool:
        return self.state in (EXHAUSTED, LOW)


def parse_min_remaining(text: str | None) -> Decimal | None:
    """``--min-remaining 25%`` or ``25`` -> Decimal("25") (percent of the budget, 0..100)."""
    if text is None:
        return None
    raw = text.strip()
    value = raw[:-1].strip() if raw.endswith("%") else raw
    try:
        d = Decimal(value)
    except InvalidOperation:
        d = Decimal("NaN")
    if not d.is_finite() or d < 0 or d > 100:
        raise errors.UsageError(f"--min-remaining {text!r}: expected a percentage of the error "
                                "budget from 0 to 100, e.g. 25% or 25")
    return d


def burn_windows(slo: SLO, base_window: int) -> tuple[int, ...]:
    """The windows whose burn the gate shows: the tiers' long windows, else the base window."""
    return tuple(sorted({t.long_window for t in slo.tiers})) or (base_window,)


def classify(remaining: float | None, min_remaining: Decimal | None) -> str:
    if remaining is None:
        return UNKNOWN
    if remaining <= 0:
        return EXHAUSTED
    if min_remaining is not None and Decimal(repr(remaining)) * 100 < min_remaining:
        return LOW
    return HEALTHY


def remaining_query(service: Service) -> str:
    return f"{cv.SLO_BUDGET_REMAINING}{{{cv.LABEL_SERVICE}={promql.quote(service.name)}}}"


def ratio_query(service: Service) -> str:
    """One query for every burn window's error ratio of every SLO of the service."""
    base = service.settings.base_window
    names = sorted({cv.sli_error_ratio(w) for slo in service.slos
                    for w in burn_windows(slo, base)})
    pattern = "|".join(names)  # recording-rule names: [a-z0-9_:] only, nothing to escape
    return (f"{{__name__=~{promql.quote(pattern)},"
            f"{cv.LABEL_SERVICE}={promql.quote(service.name)}}}")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def evaluate(api, services: Iterable[Service], min_remaining: Decimal | None = None,
             at: float | None = None) -> list[Budget]:
    """Every SLO's budget, in spec order (``api``: a ``sre_gen.live.client.Prometheus``)."""
    at = float(math.floor(time.time())) if at is None else at
    out: list[Budget] = []
    for svc in services:
        remaining: dict[str, float] = {}
        for s in api.query(remaining_query(svc), at=at):
            value, slo = _finite(s.value), s.labels.get(cv.LABEL_SLO, "")
            if value is not None:
                remaining[slo] = min(value, remaining.get(slo, value))
        ratios: dict[tuple[str, str], float] = {}
        for s in api.query(ratio_query(svc), at=at):
            value = _finite(s.value)
            key = (s.labels.get(cv.LABEL_SLO, ""), s.labels.get("__name__", ""))
            if value is not None:
                ratios[key] = max(value, ratios.get(key, value))
        for slo in svc.slos:
            budget = float(slo.error_budget)
            burns = []
            for w in burn_windows(slo, svc.settings.base_window):
                ratio = ratios.get((slo.name, cv.sli_error_ratio(w)))
                burns.append(Burn(w, None if ratio is None or budget <= 0 else ratio / budget))
            left = remaining.get(slo.name)
            out.append(Budget(svc.name, slo.name, slo.objective_percent, slo.window, left,
                              tuple(burns), classify(left, min_remaining)))
    return out


# ---- formatting ---------------------------------------------------------------------------------
def percent(ratio: float | None) -> str:
    """A budget ratio as a percentage with two decimals: 0.9996 -> 99.96%, -1.5 -> -150.00%."""
    if ratio is None:
        return UNKNOWN
    d = (Decimal(repr(ratio)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return f"{d + 0:.2f}%"  # + 0 turns -0.00 into 0.00


def rate(value: float | None) -> str:
    """A burn rate to three significant digits: 0.19999999999999998 -> 0.2x."""
    return UNKNOWN if value is None else f"{number(value)}x"


def burn_text(burns: tuple[Burn, ...]) -> str:
    return ", ".join(f"{format_duration(b.window)} {rate(b.rate)}" for b in burns)


HEADER = ("SERVICE", "SLO", "OBJECTIVE", "WINDOW", "REMAINING", "BURN", "STATE", "ACTION")


def row(b: Budget, min_remaining: Decimal | None = None) -> tuple[str, ...]:
    state = b.state
    if state == LOW and min_remaining is not None:
        state = f"low (< {num(min_remaining)}%)"
    elif state == UNKNOWN:
        state = "unknown (no data)"
    return (b.service, b.slo, f"{num(b.objective_percent)}%", format_duration(b.window),
            percent(b.remaining), burn_text(b.burns), state, b.action or "-")


def table(budgets: list[Budget], min_remaining: Decimal | None = None) -> str:
    rows = [HEADER] + [row(b, min_remaining) for b in budgets]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip()
                     for r in rows)


def as_json(b: Budget) -> dict:
    return {"service": b.service, "slo": b.slo, "objective": num(b.objective_percent),
            "window": format_duration(b.window),
            "remainingPercent": None if b.remaining is None else percent(b.remaining)[:-1],
            "remainingRatio": b.remaining,
            "burn": [{"window": format_duration(x.window), "rate": x.rate} for x in b.burns],
            "state": b.state, "action": b.action or None}
