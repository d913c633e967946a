"""Synthetic input series for promtool tests: label sets that satisfy a selector, and value
strings in promtool's expanding notation.

Values are exact (``Fraction``) until printed; printing uses ``durations.num`` so a test file
never shows float artefacts. Runs of equal steps are compressed (``0+60x120``); a value that is
not a finite decimal is printed with 12 significant digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

from sre_gen import promql
from sre_gen.durations import num
from sre_gen.model import Matcher, MetricSelector

# ---- label sets ---------------------------------------------------------------------------------


def matches(matcher: Matcher, labels: dict[str, str]) -> bool:
    """Whether a label set satisfies one matcher (regexes are fully anchored, as in PromQL)."""
    value = labels.get(matcher.name, "")
    if matcher.op == "=":
        return value == matcher.value
    if matcher.op == "!=":
        return value != matcher.value
    try:
        hit = re.fullmatch(matcher.value, value) is not None
    except re.error:
        return False
    return hit if matcher.op == "=~" else not hit


def selects(sel: MetricSelector, metric: str, labels: dict[str, str]) -> bool:
    return metric == sel.metric and all(matches(m, labels) for m in sel.matchers)


def regex_example(pattern: str) -> str | None:
    """A short string the regex matches in full (``5..`` -> ``500``), or None."""
    try:
        import re._parser as sre_parse  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse  # type: ignore[no-redef]
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, RecursionError, ValueError):
        return None
    try:
        text = _emit(tree, sre_parse)
    except (_NoExample, RecursionError):
        return None
    try:
        return text if re.fullmatch(pattern, text) else None
    except re.error:
        return None


class _NoExample(Exception):
    pass


def _emit(items, sp) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("0")
        elif name == "IN":
            out.append(_emit_in(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            out.append(_emit(sub, sp) * low)
        elif name == "SUBPATTERN":
            out.append(_emit(arg[-1], sp))
        elif name == "BRANCH":
            out.append(_emit(arg[1][0], sp))
        elif name == "AT":
            continue
        elif name == "CATEGORY":
            out.append(_category(str(arg)))
        else:
            raise _NoExample(name)
    return "".join(out)


def _category(name: str) -> str:
    if name.endswith("DIGIT") and "NOT" not in name:
        return "0"
    if name.endswith("WORD") and "NOT" not in name:
        return "a"
    if name.endswith("SPACE") and "NOT" not in name:
        return " "
    if "NOT_DIGIT" in name or "NOT_SPACE" in name:
        return "a"
    if "NOT_WORD" in name:
        return "-"
    raise _NoExample(name)


def _emit_in(items) -> str:
    if items and str(items[0][0]) == "NEGATE":
        banned = set()
        for op, arg in items[1:]:
            if str(op) == "LITERAL":
                banned.add(chr(arg))
            elif str(op) == "RANGE":
                banned.update(chr(c) for c in range(arg[0], arg[1] + 1))
            else:
                raise _NoExample("negated class")
        for ch in "abcxyz0123456789":
            if ch not in banned:
                return ch
        raise _NoExample("negated class")
    op, arg = items[0]
    if str(op) == "LITERAL":
        return chr(arg)
    if str(op) == "RANGE":
        return chr(arg[0])
    if str(op) == "CATEGORY":
        return _category(str(arg))
    raise _NoExample(str(op))


def labels_for(sel: MetricSelector, exclude: Sequence[MetricSelector] = (),
               prefer: dict[str, str] | None = None) -> dict[str, str] | None:
    """Labels of a series that ``sel`` selects and no selector in ``exclude`` selects, or None.

    Equality matchers give their value, regex matchers an example, negative matchers leave the
    label out (or pick a value they allow). ``prefer`` adds labels when that is needed to avoid
    ``exclude`` (``code="200"`` next to ``code=~"5.."``).
    """
    labels: dict[str, str] = {}
    for m in sel.matchers:
        if m.op == "=":
            if m.value:
                labels[m.name] = m.value
        elif m.op == "=~":
            example = regex_example(m.value)
            if example is None:
                return None
            if example:
                labels[m.name] = example
    for m in sel.matchers:
        if not matches(m, labels):
            for candidate in ("x", "other", "0", "a"):
                if matches(m, {**labels, m.name: candidate}):
                    labels[m.name] = candidate
                    break
            else:
                return None
    if not all(matches(m, labels) for m in sel.matchers):
        return None
    if all(not selects(x, sel.metric, labels) for x in exclude):
        return labels
    for name, value in (prefer or {}).items():
        if name in labels:
            continue
        trial = {**labels, name: value}
        if all(matches(m, trial) for m in sel.matchers) and \
                all(not selects(x, sel.metric, trial) for x in exclude):
            return trial
    return None


def series(metric: str, labels: dict[str, str] | Iterable[tuple[str, str]]) -> str:
    """``metric{a="x",b="y"}`` with every value escaped."""
    items = labels.items() if isinstance(labels, dict) else labels
    return f"{metric}{promql.matchers(list(items))}"


# ---- values -------------------------------------------------------------------------------------


def show(value: Fraction | Decimal | int) -> str:
    """A number for a test file: exact when it is a finite decimal, else 12 significant digits."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        d = _finite_decimal(value)
        if d is None:
            d = Decimal(value.numerator) / Decimal(value.denominator)
            d = Decimal(format(d, ".12g"))
        value = d
    return num(Decimal(value))


def printed(value: Fraction) -> Fraction:
    """The value ``show`` prints, exactly: what promtool reads. A model computing on fed values
    uses these, so 12 significant digits in a file cannot differ from the model's input."""
    return Fraction(Decimal(show(value)))


def _finite_decimal(value: Fraction) -> Decimal | None:
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return None
    scale = max(twos, fives)
    return Decimal(value.numerator * (10 ** scale) // value.denominator) / (Decimal(10) ** scale)


def values_string(values: Sequence[Fraction | int | None]) -> str:
    """promtool expanding notation for per-sample values (None = missing sample ``_``):
    runs of equal steps become ``a+bxn`` (n + 1 values), equal values ``axn``."""
    parts: list[str] = []
    vals = [v.numerator if isinstance(v, Fraction) and v.denominator == 1 else v
            for v in values]
    i, n = 0, len(vals)
    while i < n:
        v = vals[i]
        if v is None:
            j = i
            while j + 1 < n and vals[j + 1] is None:
                j += 1
            parts.append("_" if j == i else f"_x{j - i + 1}")
            i = j + 1
            continue
        j = i
        step = None
        if i + 1 < n and vals[i + 1] is not None:
            step = vals[i + 1] - v
            j = i + 1
            while j + 1 < n and vals[j + 1] is not None and vals[j + 1] - vals[j] == step:
                j += 1
        if step is None or (j - i < 2 and step != 0) or (step != 0 and (
                not _exact(step) or not _exact(v))):
            parts.append(show(v) if isinstance(v, Fraction) else str(v))
            i += 1
            continue
        first = show(v) if isinstance(v, Fraction) else str(v)
        if step == 0:
            parts.append(f"{first}x{j - i}")
        else:
            size = show(abs(step)) if isinstance(step, Fraction) else str(abs(step))
            parts.append(f"{first}{'+' if step > 0 else '-'}{size}x{j - i}")
        i = j + 1
    return " ".join(parts)


def _exact(value: Fraction | int) -> bool:
    return isinstance(value, int) or _finite_decimal(value) is not None


def counter(start: Fraction | int, increments: Sequence[Fraction | int]) -> list:
    """Counter samples: ``start`` then cumulative ``increments`` (one per later sample)."""
    out = [start]
    for inc in increments:
        out.append(out[-1] + inc)
    return out
