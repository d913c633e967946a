"""PromQL text built safely: escaped label values, validated names, window placeholders, parsing.

Nothing from the spec reaches a PromQL string except through ``quote`` (label values) or as a name
that validation has already matched against ``METRIC_NAME``/``LABEL_NAME``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sre_gen.durations import format_duration
from sre_gen.model import Matcher, MetricSelector

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
WINDOW_PLACEHOLDER = "{{window}}"
_PLACEHOLDER_ANY = re.compile(r"\{\{\s*\.?window\s*\}\}")


def quote(value: str) -> str:
    """A PromQL double-quoted string literal for any text (backslash, quote, newline escaped)."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    out = out.replace("\t", "\\t")
    return f'"{out}"'


def matchers(items: Iterable[Matcher] | Iterable[tuple[str, str]]) -> str:
    """``{a="x",b=~"y"}``; tuples are equality matchers. Empty -> empty string."""
    parts = []
    for item in items:
        if isinstance(item, Matcher):
            parts.append(f"{item.name}{item.op}{quote(item.value)}")
        else:
            name, value = item
            parts.append(f"{name}={quote(value)}")
    return "{" + ",".join(parts) + "}" if parts else ""


def selector(sel: MetricSelector, suffix: str = "", extra: Iterable[Matcher] = ()) -> str:
    return f"{sel.metric}{suffix}{matchers(list(sel.matchers) + list(extra))}"


def has_window_placeholder(query: str) -> bool:
    return bool(_PLACEHOLDER_ANY.search(query))


def render_window(query: str, window_seconds: int) -> str:
    """Replace every ``{{window}}`` (also Sloth's ``{{.window}}``) with a Prometheus duration."""
    return _PLACEHOLDER_ANY.sub(format_duration(window_seconds), query)


def parse(query: str):
    """Parse PromQL; raise ValueError with promql-parser's message on a syntax error."""
    import promql_parser

    try:
        return promql_parser.parse(query)
    except ValueError:
        raise
    except Exception as exc:  # the Rust binding may raise other types for odd input
        raise ValueError(str(exc)) from exc


def vector_selectors(node):
    """Every vector selector of a parsed expression, in order (those of matrix selectors too)."""
    import promql_parser

    if isinstance(node, promql_parser.MatrixSelector):
        node = node.vector_selector
    if isinstance(node, promql_parser.VectorSelector):
        yield node
        return
    for attr in ("expr", "lhs", "rhs", "param"):
        child = getattr(node, attr, None)
        if child is not None and not isinstance(child, (str, int, float)):
            yield from vector_selectors(child)
    for arg in getattr(node, "args", None) or ():
        yield from vector_selectors(arg)


def metric_names(query: str) -> set[str]:
    """Every metric name a query selects (vector and matrix selectors, also ``{__name__="x"}``)."""
    import promql_parser

    names: set[str] = set()
    for node in vector_selectors(parse(query)):
        if node.name:
            names.add(node.name)
        for m in node.matchers.matchers:
            if m.name == "__name__" and m.op == promql_parser.MatchOp.Equal:
                names.add(m.value)
    return names


def value_type(expr) -> str:
    """The type a parsed expression returns: ``vector``, ``matrix``, ``scalar`` or ``string``."""
    import promql_parser as p

    while isinstance(expr, (p.ParenExpr, p.UnaryExpr)):
        expr = expr.expr
    if isinstance(expr, (p.MatrixSelector, p.SubqueryExpr)):
        return "matrix"
    if isinstance(expr, p.NumberLiteral):
        return "scalar"
    if isinstance(expr, p.StringLiteral):
        return "string"
    if isinstance(expr, p.Call):
        kind = expr.func.return_type  # ValueType is not hashable: compare one by one
        for name in ("matrix", "scalar", "string"):
            if kind == getattr(p.ValueType, name.capitalize()):
                return name
        return "vector"
    if isinstance(expr, p.BinaryExpr):
        sides = {value_type(expr.lhs), value_type(expr.rhs)}
        return "vector" if "vector" in sides else "scalar"
    return "vector"  # vector selectors and aggregations


def regex_matchers(expr) -> list[str]:
    """The pattern of every ``=~``/``!~`` matcher in a parsed expression, in order."""
    import promql_parser as p

    found: list[str] = []
    for node in vector_selectors(expr):
        groups = [node.matchers.matchers, *(getattr(node.matchers, "or_matchers", None) or ())]
        for group in groups:
            found.extend(m.value for m in group if m.op in (p.MatchOp.Re, p.MatchOp.NotRe))
    return found


_RANGE_PLACEHOLDER = re.compile(r"\[\s*" + _PLACEHOLDER_ANY.pattern + r"\s*(?=[:\]])")


def misplaced_window_placeholder(query: str) -> str | None:
    """The text around the first ``{{window}}`` that is not a range (``[{{window}}]`` or a
    subquery's ``[{{window}}:step]``), or None when every placeholder is one."""
    ranges = {m.end() - len(m.group(0)[1:].lstrip()) for m in _RANGE_PLACEHOLDER.finditer(query)}
    for m in _PLACEHOLDER_ANY.finditer(query):
        if m.start() not in ranges:
            return query if len(query) <= 60 else query[max(0, m.start() - 20):m.end() + 20]
    return None
