"""sre_gen.durations: parsing, canonical printing and exact numbers.

(It mirrors sre_gen/durations.py; it lives in tests/spec/ with the other spec-value tests.)"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sre_gen.durations import (
    MAX_DURATION,
    DurationError,
    format_duration,
    humanize_duration,
    num,
    parse_duration,
    parse_spec_duration,
    to_decimal,
)

STABLE = settings(max_examples=200, deadline=None, derandomize=True)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("7d", 604800), ("1w", 604800),
     ("1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5), ("90s", 90), ("0h5m", 300),
     ("365d", 31536000)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5 minutes", "'5 minutes' is not a duration"),
        ("1h5", "'1h5' is not a duration"),
        ("5m1h", "largest first"),
        ("1h1h", "'1h1h' is not a duration"),
        ("1.5h", "'1.5h' is not a duration"),
        ("-5m", "'-5m' is not a duration"),
        ("5M", "'5M' is not a duration"),
        (" 5m", "' 5m' is not a duration"),
        ("0m", "'0m' is zero: a duration must be positive"),
        ("0s0m", "is not a duration"),
        ("0d0h", "'0d0h' is zero"),
        ("", "expected a duration such as 5m, 1h or 30d, got ''"),
    ],
)
def test_parse_duration_rejects(text: str, message: str) -> None:
    with pytest.raises(DurationError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_duration(text)


@pytest.mark.parametrize("value", [None, 5, 5.0, ["5m"]])
def test_parse_duration_rejects_non_strings(value: object) -> None:
    with pytest.raises(DurationError):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1s"), (59, "59s"), (60, "1m"), (90, "90s"), (300, "5m"), (3600, "1h"), (5400, "90m"),
     (86400, "1d"), (604800, "7d"), (2592000, "30d"), (90061, "90061s")],
)
def test_format_duration_uses_the_largest_exact_unit(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [0, -60])
def test_format_duration_rejects_non_positive(seconds: int) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        format_duration(seconds)


@STABLE
@given(st.integers(min_value=1, max_value=MAX_DURATION))
def test_format_then_parse_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@STABLE
@given(st.integers(min_value=MAX_DURATION + 1, max_value=10**30))
def test_durations_past_ten_years_are_rejected_with_the_limit(seconds: int) -> None:
    with pytest.raises(DurationError, match=r"at most 3650d \(10 years\)"):
        parse_spec_duration(f"{seconds}s")
    assert parse_duration(f"{seconds}s") == seconds  # generated test durations may be longer


@STABLE
@given(st.lists(st.integers(min_value=0, max_value=300), min_size=5, max_size=5))
def test_spellings_of_one_duration_share_one_canonical_form(parts: list[int]) -> None:
    units = "wdhms"
    text = "".join(f"{n}{u}" for n, u in zip(parts, units) if n)
    if not text:
        return
    seconds = parse_duration(text)
    assert format_duration(seconds) == format_duration(parse_duration(format_duration(seconds)))
    assert seconds == sum(n * s for n, s in zip(parts, (604800, 86400, 3600, 60, 1)))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (51.84, "52s"), (59.4, "59s"), (130, "2m10s"), (3600, "1h"), (77760, "21h36m"),
     (259200, "3d"), (90061, "1d1h")],
)
def test_humanize_duration(seconds: float, text: str) -> None:
    assert humanize_duration(seconds) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("99.95") / 100, "0.9995"),
        ((100 - Decimal("99.9")) / 100, "0.001"),
        (Decimal("14.40"), "14.4"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1000.000"), "1000"),
        (Decimal("0.00001"), "0.00001"),
        (Decimal("0.00000999"), "0.00000999"),
        (14.4, "14.4"),
        (0.1, "0.1"),
        (3, "3"),
        (1e-05, "0.00001"),
        (Decimal("-2.50"), "-2.5"),
    ],
)
def test_num_prints_without_float_artefacts_or_exponents(value: object, text: str) -> None:
    assert num(value) == text


@STABLE
@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), allow_nan=False,
                   allow_infinity=False, places=6))
def test_num_is_exact_and_plain(value: Decimal) -> None:
    text = num(value)
    assert "E" not in text and "e" not in text
    assert Decimal(text) == value
    assert not (("." in text) and text.endswith("0"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(99.95, Decimal("99.95")), (14.4, Decimal("14.4")), (3, Decimal(3)), ("1.5", Decimal("1.5")),
     (0.1, Decimal("0.1"))],
)
def test_to_decimal_keeps_the_number_as_written(value: object, expected: Decimal) -> None:
    assert to_decimal(value) == expected


def test_to_decimal_rejects_booleans() -> None:
    with pytest.raises(ValueError, match="boolean"):
        to_decimal(True)
