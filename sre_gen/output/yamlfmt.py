"""Canonical YAML for every generated file: key order as built, block style, multi-line strings
as literal blocks, no aliases, unicode kept, no line wrapping. Same data -> same bytes."""

from __future__ import annotations

from typing import Any

import re

import yaml
from yaml.emitter import ScalarAnalysis


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # never emit &anchors / *aliases
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)  # indent lists under their key

    # Speed (same bytes): PyYAML's pure-Python emitter spends ~half its time analysing every
    # scalar character by character, and generated files repeat the same strings (label names,
    # expressions in both rule files and the PrometheusRule). The analysis depends only on the
    # string and allow_unicode, and the emitter never mutates it, so it is memoised per string.
    _analysis_cache: dict = {}

    def analyze_scalar(self, scalar: str):  # type: ignore[override]
        key = (scalar, self.allow_unicode)
        analysis = self._analysis_cache.get(key)
        if analysis is None:
            if len(self._analysis_cache) > 100_000:
                self._analysis_cache.clear()
            analysis = self._analysis_cache[key] = analyze(scalar, self.allow_unicode)
        return analysis

    def write_plain(self, text: str, split: bool = True) -> None:
        # Fast path for the common plain scalar that cannot be wrapped or broken: PyYAML's loop
        # writes it in one piece anyway (it breaks lines only at a space past best_width).
        if (text and not self.encoding and not _BREAKS.intersection(text)
                and (" " not in text or self.column + 1 + len(text) <= self.best_width)):
            if self.root_context:
                self.open_ended = True
            if not self.whitespace:
                self.column += 1
                self.stream.write(" ")
            self.whitespace = False
            self.indention = False
            self.column += len(text)
            self.stream.write(text)
            return
        super().write_plain(text, split)

    def write_single_quoted(self, text: str, split: bool = True) -> None:
        # Same bytes as PyYAML's loop when nothing can wrap (it wraps only past best_width).
        if (not self.encoding and not _BREAKS.intersection(text)
                and self.column + 2 * len(text) + 2 <= self.best_width):
            self.write_indicator("'", True)
            data = text.replace("'", "''")
            self.column += len(data)
            self.stream.write(data)
            self.write_indicator("'", False)
            return
        super().write_single_quoted(text, split)

    def write_literal(self, text: str) -> None:
        # PyYAML's loop line by line instead of character by character (same calls, same bytes);
        # only "\n" breaks here, the rare others take PyYAML's path.
        if self.encoding or not text or "\x85" in text or "\u2028" in text or "\u2029" in text:
            super().write_literal(text)
            return
        hints = self.determine_block_hints(text)
        self.write_indicator("|" + hints, True)
        if hints[-1:] == "+":
            self.open_ended = True
        self.write_line_break()
        i, n = 0, len(text)
        while i < n:
            j = i
            while j < n and text[j] == "\n":
                self.write_line_break()
                j += 1
            if j == n:
                break
            self.write_indent()
            k = text.find("\n", j)
            if k == -1:
                self.stream.write(text[j:])  # PyYAML does not count literal text in column
                self.write_line_break()
                break
            self.stream.write(text[j:k])
            i = k


_BREAKS = frozenset("\n\x85\u2028\u2029")

# analyze(): PyYAML's Emitter.analyze_scalar with regular expressions instead of its Python loop
# over every character (the loop was most of a rule file's dump time). Same flags for every string
# (tests/output/test_yamlfmt.py compares both over random text). _WS is PyYAML's "whitespace"
# set for preceded_by/followed_by, _BR its line breaks.
_WS = "\\0 \\t\\r\\n\\x85\\u2028\\u2029"
_BR = "\\n\\x85\\u2028\\u2029"
_FIRST_BOTH = frozenset("#,[]{}&*!|>'\"%@`")
_FLOW_INNER = re.compile(r"[,?\[\]{}:]")
_COLON_BLOCK = re.compile(f":(?:[{_WS}]|\\Z)")
_HASH_BLOCK = re.compile(f"[{_WS}]#")
_LINE_BREAK = re.compile(f"[{_BR}]")
_BREAK_SPACE = re.compile(f"[{_BR}] ")
_SPACE_BREAK = re.compile(f" [{_BR}]")
_SPECIAL = {True: re.compile("[^\\n\\x20-\\x7e\\x85\\xa0-\\ud7ff\\ue000-\\ufefe\\uff00-\\ufffd"
                             "\\U00010000-\\U0010fffe]"),
            False: re.compile("[^\\n\\x20-\\x7e]")}
_WS_SET = frozenset("\0 \t\r\n\x85\u2028\u2029")
_BR_SET = frozenset("\n\x85\u2028\u2029")


def analyze(scalar: str, allow_unicode: bool) -> ScalarAnalysis:
    if not scalar:
        return ScalarAnalysis(scalar=scalar, empty=True, multiline=False,
                              allow_flow_plain=False, allow_block_plain=True,
                              allow_single_quoted=True, allow_double_quoted=True,
                              allow_block=False)
    block = flow = scalar.startswith("---") or scalar.startswith("...")
    first = scalar[0]
    followed = len(scalar) == 1 or scalar[1] in _WS_SET
    if first in _FIRST_BOTH or (first == "-" and followed):
        block = flow = True
    elif first in "?:":
        flow = True
        block = block or followed
    if not flow and _FLOW_INNER.search(scalar, 1):
        flow = True
    if not block and (_COLON_BLOCK.search(scalar, 1) or _HASH_BLOCK.search(scalar)):
        block = flow = True
    line_breaks = _LINE_BREAK.search(scalar) is not None
    special = _SPECIAL[bool(allow_unicode)].search(scalar) is not None
    last = scalar[-1]
    leading_space, trailing_space = first == " ", last == " "
    leading_break, trailing_break = first in _BR_SET, last in _BR_SET
    break_space = line_breaks and _BREAK_SPACE.search(scalar) is not None
    space_break = line_breaks and _SPACE_BREAK.search(scalar) is not None
    flow_plain = block_plain = single = block_ok = True
    if leading_space or leading_break or trailing_space or trailing_break:
        flow_plain = block_plain = False
    if trailing_space:
        block_ok = False
    if break_space:
        flow_plain = block_plain = single = False
    if space_break or special:
        flow_plain = block_plain = single = block_ok = False
    if line_breaks:
        flow_plain = block_plain = False
    if flow:
        flow_plain = False
    if block:
        block_plain = False
    return ScalarAnalysis(scalar=scalar, empty=False, multiline=line_breaks,
                          allow_flow_plain=flow_plain, allow_block_plain=block_plain,
                          allow_single_quoted=single, allow_double_quoted=True,
                          allow_block=block_ok)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value and not any(ch in value for ch in "\r\t") and value == value.strip(" "):
        lines = value.split("\n")
        if all(ln == ln.rstrip(" ") for ln in lines):
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


_OPTIONS = {"sort_keys": False, "default_flow_style": False, "allow_unicode": True,
            "width": 10_000, "indent": 2}


def dump(data: Any) -> str:
    # fastyaml drives the same emitter without PyYAML's event machinery (same bytes, ~5x faster
    # at scale); it refuses data it does not handle, which then goes through yaml.dump.
    from sre_gen.output import fastyaml

    try:
        return fastyaml.dump(data, _Dumper, direct=True, **_OPTIONS)
    except fastyaml.Unsupported:
        return yaml.dump(data, Dumper=_Dumper, **_OPTIONS)


def dump_all(documents: list[Any]) -> str:
    return "---\n".join(dump(d) for d in documents)
