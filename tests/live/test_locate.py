"""sre_gen.live.locate: the line and column of a selector inside a raw query of the spec."""

from __future__ import annotations

from sre_gen.live.locate import Locator
from sre_gen.spec.load import load_text

SPEC = '''\
a:
  one: sum(rate(x_total{job="j", code="5"}[5m])) / sum(rate(x_total{job="j"}[5m]))
  quoted: "x_total_more{a=\\"1\\"} + x_total{b=\\"2\\"}"
  block: |
    sum(x_total{job="j"})
      /
    sum(x_total{job="j",  code="5"})
  next: x_total{code="5"}
'''


def _at(path, metric, nth, label=None):
    return Locator(load_text(SPEC, "s.yaml"), SPEC).where(path, metric, nth, label)


def _col(line: int, text: str, nth: int = 0) -> tuple[int, int]:
    src = SPEC.splitlines()[line - 1]
    index = -1
    for _ in range(nth + 1):
        index = src.index(text, index + 1)
    return line, index + 1


def test_a_selector_and_its_matcher_on_one_line():
    assert _at(("a", "one"), "x_total", 0) == _col(2, "x_total")
    assert _at(("a", "one"), "x_total", 0, "code") == _col(2, "code")
    assert _at(("a", "one"), "x_total", 1) == _col(2, "x_total", 1)
    assert _at(("a", "one"), "x_total", 1, "code") == _col(2, "x_total", 1)  # not in it


def test_names_are_whole_words_and_quotes_do_not_matter():
    assert _at(("a", "quoted"), "x_total", 0, "b") == _col(3, "b=")


def test_a_multi_line_query():
    assert _at(("a", "block"), "x_total", 1, "code") == _col(7, "code")
    assert _at(("a", "block"), "x_total", 0) == _col(5, "x_total")


def test_the_search_stops_at_the_next_value_and_falls_back_to_the_query():
    assert _at(("a", "block"), "x_total", 2) == _col(4, "|")
    assert _at(("a", "one"), "x_total", -1) == _col(2, "sum")
    assert _at(("a", "one"), None, 0) == _col(2, "sum")


def test_label_values_and_comments_are_not_names():
    spec = ('q: |\n  a_total{x="a_total{code=", code="5"} # b_total{code="1"}\n'
            '    + b_total{code="2"}\n')
    loc = Locator(load_text(spec, "s.yaml"), spec)
    assert loc.where(("q",), "a_total", 0, "code") == (2, spec.splitlines()[1].index(
        'code="5"') + 1)
    assert loc.where(("q",), "b_total", 0, "code") == (3, 15)


# ---- property: every matcher of random queries, in every YAML scalar style ----------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sre_gen import promql  # noqa: E402
from sre_gen.live import uses  # noqa: E402

_METRICS = ["a_total", "a_total_x", "b:rate5m", "c"]
_LABELS = ["job", "code", "le", "a_total"]
_OPS = ["=", "!=", "=~", "!~"]

# any text for = and != (quotes, braces, '#', names: all inside a string); valid regexes else
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=6)
_REGEX = st.text(st.sampled_from("ab5.|_"), max_size=6)
_MATCHER = st.one_of(st.tuples(st.sampled_from(_LABELS), st.sampled_from(_OPS[:2]), _TEXT),
                     st.tuples(st.sampled_from(_LABELS), st.sampled_from(_OPS[2:]), _REGEX))
# label lists named like the metrics: they must not be taken for them
_WRAPPERS = ["sum(", "sum by (a_total, le) (", "max without (c) ("]
selectors = st.lists(st.tuples(st.sampled_from(_METRICS),
                               st.lists(_MATCHER, max_size=3, unique_by=lambda m: m[0]),
                               st.sampled_from(_WRAPPERS)),
                     min_size=1, max_size=4)


def _yaml_scalar(query: str, style: str) -> tuple[str, list[int]]:
    """The query as a YAML scalar value of ``q:`` in ``style``, and where each query character
    stands in it (for a block: after the two-space indentation)."""
    out, where = "", []
    if style == "block":
        out = "|\n  "
        for c in query:
            where.append(len(out))
            out += c + ("  " if c == "\n" else "")
        return out + "\n", where
    quote = '"' if style == "double" else "'"
    out = quote
    for c in query:
        where.append(len(out))
        if style == "double":
            out += {"\\": "\\\\", '"': '\\"', "\n": "\\n"}.get(c, c)
        else:
            out += "''" if c == "'" else c
    return out + quote + "\n", where


@settings(max_examples=100, deadline=None)
@given(selectors, st.sampled_from([" + ", "\n  / "]), st.sampled_from(["block", "double",
                                                                         "single"]))
def test_every_matcher_of_a_query_is_found(sels, joiner, style):
    if style == "single":  # a line break in a single-quoted scalar folds to a space
        joiner = joiner.replace("\n  ", " ")
    marks = []  # marks: (metric, nth, label, index of the label in the query)
    seen: dict[str, int] = {}
    query = ""
    for metric, matchers, wrapper in sels:
        nth = seen[metric] = seen.get(metric, -1) + 1
        query += (joiner if query else "") + f"{wrapper}{metric}"
        marks.append((metric, nth, None, len(query) - len(metric)))
        if matchers:
            query += "{"
            for i, (label, op, value) in enumerate(matchers):
                query += ", " if i else ""
                marks.append((metric, nth, label, len(query)))
                query += f"{label}{op}{promql.quote(value)}"
            query += "}"
        query += ")"
    assert len(uses.query_uses(("q",), query)) == len(sels)  # it is PromQL
    scalar, where = _yaml_scalar(query, style)
    spec = f"q: {scalar}next: {sels[0][0]}{{job=\"x\"}}\n"
    doc = load_text(spec, "s.yaml")
    assert doc.data["q"].rstrip("\n") == query
    loc = Locator(doc, spec)
    for metric, nth, label, index in marks:
        at = 3 + where[index]
        want = (spec.count("\n", 0, at) + 1, at - spec.rfind("\n", 0, at))
        assert loc.where(("q",), metric, nth, label) == want, (spec, metric, nth, label)
