"""sre_gen.burnrate against the SRE workbook's numbers (chapter 5, multiwindow multi-burn-rate)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sre_gen import burnrate
from sre_gen.durations import num

HOUR, DAY = 3600, 86400


@pytest.mark.parametrize(
    ("percent", "slo_window", "long_window", "factor"),
    [
        (2, 30 * DAY, HOUR, "14.4"),  # the workbook's page tier
        (5, 30 * DAY, 6 * HOUR, "6"),
        (10, 30 * DAY, DAY, "3"),
        (10, 30 * DAY, 3 * DAY, "1"),
        (2, 28 * DAY, HOUR, "13.44"),  # the same budget share over a 28-day window
        (2, 7 * DAY, HOUR, "3.36"),
        (5, 28 * DAY, 6 * HOUR, "5.6"),
        (10, 7 * DAY, 3 * DAY, "0.233333"),  # rounded to 6 places, half-even
    ],
)
def test_factor_from_budget_share(percent: int, slo_window: int, long_window: int,
                                  factor: str) -> None:
    assert num(burnrate.factor_from_budget_share(Decimal(percent), slo_window,
                                                 long_window)) == factor


def test_tidy_rounds_and_drops_trailing_zeros() -> None:
    assert str(burnrate.tidy(Decimal("14.40"))) == "14.4"
    assert str(burnrate.tidy(Decimal("0.93333333"))) == "0.933333"
    assert str(burnrate.tidy(Decimal("0.0000005"))) == "0"  # half-even: 0.000000|5 -> 0
    assert num(burnrate.tidy(Decimal(1000))) == "1000"


def test_default_short_window_is_a_twelfth() -> None:
    assert burnrate.default_short_window(HOUR) == 300
    assert burnrate.default_short_window(6 * HOUR) == 1800
    assert burnrate.default_short_window(DAY) == 2 * HOUR
    assert burnrate.default_short_window(11) == 1  # never zero


def test_error_ratio_threshold() -> None:
    assert burnrate.error_ratio_threshold(Decimal("14.4"), Decimal("0.001")) == Decimal("0.0144")


def test_detection_time_of_a_total_outage() -> None:
    """14.4x over 1h at 99.9%: a 100% error ratio fires after 0.001 x 3600 x 14.4 = 51.84 s."""
    seconds = burnrate.detection_seconds(Decimal("14.4"), Decimal("0.001"), Decimal(1), HOUR)
    assert seconds == Decimal("51.84")
    # At a 10% error ratio the same tier needs ten times as long.
    slow = burnrate.detection_seconds(Decimal("14.4"), Decimal("0.001"), Decimal("0.1"), HOUR)
    assert slow == Decimal("518.4")


def test_budget_consumed_and_exhaustion() -> None:
    assert burnrate.budget_consumed_at_fire(Decimal("14.4"), HOUR, 30 * DAY) == Decimal("0.02")
    assert burnrate.budget_consumed_at_fire(Decimal(6), 6 * HOUR, 30 * DAY) == Decimal("0.05")
    assert burnrate.exhaustion_seconds(Decimal("14.4"), 30 * DAY) == 50 * HOUR
    assert burnrate.exhaustion_seconds(Decimal(1), 30 * DAY) == 30 * DAY


@pytest.mark.parametrize(
    ("rate", "budget", "ok"),
    [
        ("14.4", "0.001", True),  # 99.9%
        ("14.4", "0.05", True),  # 95%: threshold 0.72
        ("14.4", "0.1", False),  # 90%: threshold 1.44 can never be exceeded
        ("10", "0.1", False),  # exactly a 100% error ratio: never strictly above
        ("9.999999", "0.1", True),
        ("6", "0.15", True),
        ("14.4", "0.15", False),
    ],
)
def test_reachable(rate: str, budget: str, ok: bool) -> None:
    assert burnrate.reachable(Decimal(rate), Decimal(budget)) is ok


def test_max_reachable_burn_rate() -> None:
    assert num(burnrate.max_reachable_burn_rate(Decimal("0.1"))) == "10"
    assert num(burnrate.max_reachable_burn_rate(Decimal("0.15"))) == "6.666667"
    assert num(burnrate.max_reachable_burn_rate(Decimal("0.0005"))) == "2000"
