"""What the importers share: located input documents, the unmapped list, and the translation
of names and PromQL queries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sre_gen.spec.load import Document, format_path, load_all

_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# Sloth's {{.window}} (any spacing) and sre-gen's own {{window}}
_WINDOW = re.compile(r"\{\{\s*\.?window\s*\}\}")


class NotImportable(Exception):
    """The input is not a document of the format asked for (exit 3)."""

    def __init__(self, file: str, line: int, col: int, message: str):
        super().__init__(f"{file}:{line}:{col}: {message}")
        self.file, self.line, self.col, self.message = file, line, col, message


@dataclass(frozen=True)
class Unmapped:
    """A part of the input that has no (exact) sre-gen equivalent."""

    file: str
    line: int
    col: int
    path: str
    why: str

    def text(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.path}: not imported: {self.why}"


@dataclass
class Located:
    """One input document and where its values stand."""

    doc: Document

    @property
    def data(self):
        return self.doc.data

    @property
    def file(self) -> str:
        return self.doc.file

    def line(self, path: tuple) -> int:
        return self.doc.where(path)[0]

    def mark(self, path: tuple) -> str:
        """``FILE:LINE`` of a value, for ``# imported from`` comments."""
        return f"{self.doc.file}:{self.doc.where(path)[0]}"

    def unmapped(self, path: tuple, why: str) -> Unmapped:
        line, col = self.doc.where(path, key=True)
        return Unmapped(self.doc.file, line, col, format_path(path), why)


@dataclass
class Output:
    """One spec to write: its data, comments above keys (by path), and what was not mapped."""

    service: str
    data: dict
    comments: dict = field(default_factory=dict)  # path tuple -> [comment lines]
    unmapped: list = field(default_factory=list)  # [Unmapped]
    header: list = field(default_factory=list)  # comment lines at the top

    def note(self, path: tuple, text: str) -> None:
        self.comments.setdefault(tuple(path), []).append(text)


def read(path: Path) -> list[Located]:
    return [Located(d) for d in load_all(path, path.as_posix())]


def name(text: object) -> str:
    """A name sre-gen accepts (lowercase letters, digits and '-', at most 63 characters)."""
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    s = s[:63].rstrip("-")
    return s or "unnamed"


def is_name(text: object) -> bool:
    return isinstance(text, str) and bool(_NAME.match(text))


def is_label(text: object) -> bool:
    return isinstance(text, str) and bool(_LABEL.match(text))


def number(value) -> int | float | Decimal:
    """A YAML number as written, without float artefacts (99.9, not 99.90000000000001)."""
    if isinstance(value, bool):
        raise ValueError("a boolean")
    d = Decimal(str(value))
    return int(d) if d == d.to_integral_value() else d


def percent_of_ratio(value) -> Decimal | int:
    d = (Decimal(str(value)) * 100).normalize()
    return int(d) if d == d.to_integral_value() else d


def with_sre_gen_window(query: str) -> str:
    """Sloth's and OpenSLO's ``{{.window}}`` -> sre-gen's ``{{window}}``."""
    return _WINDOW.sub("{{window}}", query)


def has_window(query: str) -> bool:
    return bool(_WINDOW.search(query))


def structured(query: str) -> dict | None:
    """``{metric, selector}`` when ``query`` is exactly ``sum(rate(<selector>[{{.window}}]))``
    (what sre-gen would write for that metric and selector), else None."""
    node = _parsed(query)
    return _sum_rate(node) if node is not None else None


def _parsed(query: str):
    """The query parsed with its window as 5m, or None (no window, or not PromQL)."""
    if not has_window(query):
        return None
    from sre_gen import promql

    try:
        return promql.parse(_WINDOW.sub("5m", query))
    except ValueError:
        return None


def _sum_rate(node) -> dict | None:
    """``{metric, selector}`` of ``sum(rate(<selector>[5m]))``, else None."""
    import promql_parser

    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    if not (isinstance(node, promql_parser.AggregateExpr) and str(node.op) == "sum"
            and node.modifier is None and node.param is None):  # by/without change the meaning
        return None
    call = node.expr
    if not (isinstance(call, promql_parser.Call) and call.func.name == "rate"
            and len(call.args) == 1 and isinstance(call.args[0], promql_parser.MatrixSelector)):
        return None
    vs = call.args[0].vector_selector
    if getattr(vs, "offset", None) is not None or getattr(vs, "at", None) is not None:
        return None
    if call.args[0].range.total_seconds() != 300:  # the range is not the window (5m here)
        return None
    return _selector_of(vs)


def bare_selector(query: str) -> dict | None:
    """``{metric, selector}`` when ``query`` is a bare vector selector (``metric{...}``)."""
    from sre_gen import promql

    try:
        import promql_parser

        node = promql.parse(query)
    except (ValueError, ImportError):
        return None
    if not isinstance(node, promql_parser.VectorSelector):
        return None
    if getattr(node, "offset", None) is not None or getattr(node, "at", None) is not None:
        return None
    return _selector_of(node)


def _selector_of(vs) -> dict | None:
    ops = {"MatchOp.NotEqual": "notEquals", "MatchOp.Re": "regex", "MatchOp.NotRe": "notRegex"}
    if not vs.name:
        return None
    selector: dict = {}
    for m in vs.matchers.matchers:
        if m.name == "__name__" or m.name in selector:
            return None
        op = str(m.op)
        if op == "MatchOp.Equal":
            selector[m.name] = m.value
        elif op in ops:
            selector[m.name] = {ops[op]: m.value}
        else:
            return None
    out: dict = {"metric": vs.name}
    if selector:
        out["selector"] = selector
    return out


def latency(errors: str, total: str) -> dict | None:
    """A latency SLI (``histogram``, ``selector``, ``threshold``) when the errors query is
    ``sum(rate(X_count{S}[w])) - sum(rate(X_bucket{S,le="T"}[w]))`` and the total
    ``sum(rate(X_count{S}[w]))``: the slow requests of a histogram, as Sloth's examples write
    them; sre-gen's latency SLI counts the same bucket (in both le spellings)."""
    import promql_parser

    node, tot = _parsed(errors), _parsed(total)
    while isinstance(node, promql_parser.ParenExpr):
        node = node.expr
    if not (isinstance(node, promql_parser.BinaryExpr) and str(node.op) == "-"
            and node.modifier is None and tot is not None):
        return None
    count, bucket, total_sel = _sum_rate(node.lhs), _sum_rate(node.rhs), _sum_rate(tot)
    if count is None or bucket is None or total_sel != count:
        return None
    name = count["metric"]
    if not name.endswith("_count") or bucket["metric"] != name[:-6] + "_bucket":
        return None
    selector = dict(bucket.get("selector") or {})
    le = selector.pop("le", None)
    if not isinstance(le, str) or selector != (count.get("selector") or {}):
        return None
    try:
        seconds = Decimal(le)
    except ArithmeticError:
        return None
    if not seconds.is_finite() or seconds <= 0:
        return None
    out: dict = {"histogram": name[:-6]}
    if selector:
        out["selector"] = selector
    out["threshold"] = f"{format(seconds.normalize(), 'f')}s"
    return out


def event_source(query: str) -> dict:
    """A ratio SLI's event source: structured when the query is sre-gen's own shape, else the
    query with sre-gen's window placeholder."""
    return structured(query) or {"query": with_sre_gen_window(query.strip())}
