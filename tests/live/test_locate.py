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
