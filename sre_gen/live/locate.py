"""Where in a raw PromQL query of the spec a selector (and its matcher) was written.

The spec's marks give the position of the query, a YAML scalar; a multi-line query (``expr: |``)
may hold the selector lines further down. The scalar's source (up to the next mark of the spec)
is read back as PromQL, each character remembering its place in the file (a quoted scalar's
escapes undone: ``\\"`` is one quote of the query), PromQL strings and comments are blanked out,
and the n-th occurrence of the metric name is looked up (the parser gives the selectors in
source order), then the label's matcher inside that selector's braces. When the search finds
nothing certain the query's own position is kept.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from sre_gen.spec.load import Document, Positions

_YAML_ESCAPE_LENGTH = {"x": 4, "u": 6, "U": 10}  # \xNN, \uNNNN, \UNNNNNNNN


def _decoded(text: str) -> tuple[str, list[int]]:
    """The scalar starting ``text`` as the query it holds, and each character's index in
    ``text``. Plain and block scalars are taken as written (to the end of ``text``)."""
    quote = text[:1] if text[:1] in ("'", '"') else ""
    if not quote:
        return text, list(range(len(text)))
    out: list[str] = []
    origin: list[int] = []
    i = 1
    while i < len(text):
        c = text[i]
        if quote == "'" and c == "'":
            if text[i + 1:i + 2] != "'":
                break
            out.append("'")
            origin.append(i)
            i += 2
            continue
        if quote == '"' and c == '"':
            break
        if quote == '"' and c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append(nxt if nxt in "\"\\/ " else "\n" if nxt == "n" else "\t" if nxt == "t"
                       else "?")
            origin.append(i)
            i += _YAML_ESCAPE_LENGTH.get(nxt, 2)
            continue
        out.append(c)
        origin.append(i)
        i += 1
    return "".join(out), origin


def _masked(query: str) -> str:
    """``query`` with its strings (label values) and comments blanked out, same length."""
    chars = list(query)
    i = 0
    while i < len(chars):
        c = chars[i]
        if c in "\"'`":
            j = i + 1
            while j < len(chars) and chars[j] != c:
                j += 2 if chars[j] == "\\" and c != "`" else 1
            end = min(j + 1, len(chars))
        elif c == "#":
            end = i
            while end < len(chars) and chars[end] != "\n":
                end += 1
        else:
            i += 1
            continue
        for k in range(i, end):
            if chars[k] != "\n":
                chars[k] = " "
        i = end
    return "".join(chars)


_GROUPING = re.compile(r"(?<![\w:])(by|without|on|ignoring|group_left|group_right)\s*\(")


def _metric_names_only(code: str) -> str:
    """``code`` (strings already blanked) with label names blanked too: the insides of
    ``{...}`` and of ``by (...)``/``on (...)``... lists, so a label named like a metric is not
    taken for it."""
    chars = list(code)
    depth = 0
    for i, c in enumerate(code):
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(0, depth - 1)
        elif depth and c != "\n":
            chars[i] = " "
    for m in _GROUPING.finditer(code):
        close = code.find(")", m.end())
        for i in range(m.end(), close if close != -1 else len(code)):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


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
        query, origin = _decoded(self.text[start:end])
        code = _masked(query)
        name = re.compile(rf"(?<![\w:]){re.escape(metric)}(?![\w:])")
        hits = [m.start() for m in name.finditer(_metric_names_only(code))]
        if len(hits) <= nth:
            return found
        at = hits[nth]
        if label:
            brace = re.compile(r"\s*\{").match(code, at + len(metric))
            close = code.find("}", brace.end()) if brace else -1
            if brace and close != -1:
                m = re.compile(rf"(?<!\w){re.escape(label)}\s*(=~|!~|!=|=)").search(
                    code, brace.end(), close)
                if m:
                    at = m.start()
        return self.pos.at(start + origin[at])
