"""Canonical YAML for every generated file: key order as built, block style, multi-line strings
as literal blocks, no aliases, unicode kept, no line wrapping. Same data -> same bytes."""

from __future__ import annotations

from typing import Any

import yaml


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
            analysis = self._analysis_cache[key] = super().analyze_scalar(scalar)
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
        return fastyaml.dump(data, _Dumper, **_OPTIONS)
    except fastyaml.Unsupported:
        return yaml.dump(data, Dumper=_Dumper, **_OPTIONS)


def dump_all(documents: list[Any]) -> str:
    return "---\n".join(dump(d) for d in documents)
