"""Where in a raw PromQL query of the spec a selector (and its matcher) was written.

The spec's marks give the position of the query, a YAML scalar; a multi-line query (``expr: |``)
may hold the selector lines further down. The source text between the query's start and the
next mark of the spec is searched for the n-th occurrence of the metric name (the parser gives
the selectors in source order), then for the label's matcher before the selector's ``}``. When
the search finds nothing certain the query's own position is kept.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from sre_gen.spec.load import Document, Positions


class Locator:
    def __init__(self, doc: Document, text: str):
        self.doc = doc
        self.text = text
        self.pos = Positions(text)
        self.marks = sorted({self._index(lc) for lc in (*doc.positions.values(),
                                                        *doc.key_positions.values())})

    def _index(self, line_col: tuple[int, int]) -> int:
        line, col = line_col
        return self.pos.starts[line - 1] + col - 1

    def where(self, path: tuple, metric: str | None = None, nth: int = -1,
              label: str | None = None) -> tuple[int, int]:
        found = self.doc.where(path)
        if not metric or nth < 0:
            return found
        start = self._index(found)
        after = bisect_right(self.marks, start)
        end = self.marks[after] if after < len(self.marks) else len(self.text)
        name = re.compile(rf"(?<![\w:]){re.escape(metric)}(?![\w:])")
        hits = [m.start() for m in name.finditer(self.text, start, end)]
        if len(hits) <= nth:
            return found
        at = hits[nth]
        if label:
            rest = self.text[at:end]
            brace = rest.find("{")
            close = rest.find("}", brace) if brace != -1 else -1
            if brace != -1 and close != -1 and not rest[len(metric):brace].strip():
                m = re.compile(rf"(?<!\w){re.escape(label)}\s*(=~|!~|!=|=)").search(
                    rest, brace, close)
                if m:
                    at += m.start()
        return self.pos.at(at)
