"""Numbers, durations and spec text in prose (alert annotations, runbooks, dashboard and test
descriptions): what a reader needs, never a float artefact.

Expressions and thresholds shown as code keep their exact value (``durations.num``); prose
uses these helpers: ``number`` (at most 3 significant digits), ``percent``, ``duration``
(rounded to its two largest units: 30d, 2h24m) and ``clause`` (spec text joined into a
sentence without doubled punctuation).
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from sre_gen.durations import humanize_duration, num

DIGITS = 3


def number(value: Decimal | float | int, digits: int = DIGITS) -> str:
    """``value`` rounded to ``digits`` significant digits, written plainly: 8.571429 -> 8.57,
    9.999986 -> 10, 0.000933333 -> 0.000933, 5139 -> 5140."""
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if d == 0:
        return "0"
    exp = d.adjusted() - digits + 1
    rounded = d.quantize(Decimal(1).scaleb(exp), rounding=ROUND_HALF_EVEN)
    return num(rounded)


def percent(ratio: Decimal | float | int) -> str:
    """A ratio as a percentage in prose: 0.0857143 -> 8.57%."""
    d = Decimal(repr(ratio)) if isinstance(ratio, float) else Decimal(ratio)
    return f"{number(d * 100)}%"


def duration(seconds: float | int | Decimal) -> str:
    """A duration in prose, rounded to its two largest units: 30d4s -> 30d, 2h24m, 52s."""
    return humanize_duration(float(seconds))


def clause(text: str) -> str:
    """Spec text to continue in a sentence: surrounding space and a final period removed
    ("Failed logins." -> "Failed logins"), so "<text>: ..." never reads ".:"."""
    text = text.strip()
    while text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    return text
