"""A faster driver for yamlfmt's PyYAML emitter: the same bytes, without the event machinery.

``yaml.dump`` represents the data as nodes, serializes them to events, queues the events and runs
the emitter's state machine: ~25 us per node, most of generate's time at scale (a service's rule
files are ~10,000 nodes). This walks plain data (dict, list, str, int, float, bool, None) and calls
the emitter's own methods in the order its state machine would for block style, so indentation,
scalar analysis, style choice, quoting and line breaks are PyYAML's own code. Anything else (other
types, subclasses) raises ``Unsupported`` and yamlfmt falls back to ``yaml.dump``. The tests compare
both paths on generated files and on random data (tests/test_bench_smoke.py).
"""

from __future__ import annotations

import io
from typing import Any

from yaml.events import ScalarEvent
from yaml.nodes import ScalarNode

_SCALARS = (str, int, float, bool, type(None))


class Unsupported(Exception):
    """The data holds something this driver does not handle; use yaml.dump."""


class _Driver:
    def __init__(self, dumper: Any):
        self.d = dumper
        self.events: dict[tuple[type, Any], ScalarEvent] = {}
        self.simple: dict[int, bool] = {}  # id(key event) -> check_simple_key()
        self.styles: dict[tuple[int, bool], str] = {}  # (id(event), simple key) -> untagged style

    def event(self, value: Any) -> ScalarEvent:
        if type(value) not in _SCALARS:
            raise Unsupported(type(value).__name__)
        key = (type(value), value)
        ev = self.events.get(key)
        if ev is None:
            d = self.d
            node = d.yaml_representers[type(value)](d, value)
            implicit = (node.tag == d.resolve(ScalarNode, node.value, (True, False)),
                        node.tag == d.resolve(ScalarNode, node.value, (False, True)))
            ev = self.events[key] = ScalarEvent(None, node.tag, implicit, node.value,
                                                style=node.style)
        return ev

    def scalar(self, ev: ScalarEvent, root: bool = False, sequence: bool = False,
               mapping: bool = False, simple_key: bool = False) -> None:
        # Emitter.expect_node for a ScalarEvent: process_anchor, process_tag, expect_scalar
        d = self.d
        d.root_context, d.sequence_context = root, sequence
        d.mapping_context, d.simple_key_context = mapping, simple_key
        d.event = ev
        d.prepared_anchor = None
        # The style (and whether a tag is written) depends only on the event and the simple-key
        # context here (flow_level is 0 in block style): choose it once per distinct scalar.
        key = (id(ev), simple_key)
        style = self.styles.get(key)
        if style is None:
            d.process_tag()
            style = d.style
            if (style == "" and ev.implicit[0]) or (style != "" and ev.implicit[1]):
                self.styles[key] = style  # process_tag wrote no tag: nothing to replay
        else:
            d.style = style
        d.increase_indent(flow=True)
        d.process_scalar()
        d.indent = d.indents.pop()

    def empty(self, start: str, end: str) -> None:
        # expect_flow_mapping / expect_flow_sequence followed by the end event
        d = self.d
        d.write_indicator(start, True, whitespace=True)
        d.flow_level += 1
        d.increase_indent(flow=True)
        d.indent = d.indents.pop()
        d.flow_level -= 1
        d.write_indicator(end, False)

    def node(self, value: Any, root: bool = False, sequence: bool = False,
             mapping: bool = False) -> None:
        d = self.d
        kind = type(value)
        if kind is dict:
            d.root_context, d.sequence_context = root, sequence
            d.mapping_context, d.simple_key_context = mapping, False
            if not value:
                self.empty("{", "}")
                return
            d.increase_indent(flow=False)  # expect_block_mapping
            for key, item in value.items():  # expect_block_mapping_key
                ev = self.event(key)
                d.write_indent()
                simple = self.simple.get(id(ev))
                if simple is None:  # depends only on the key's event; leaves no state behind
                    d.event = ev
                    simple = self.simple[id(ev)] = d.check_simple_key()
                    d.prepared_tag = d.analysis = None
                if simple:
                    self.scalar(ev, mapping=True, simple_key=True)
                    d.write_indicator(":", False)  # expect_block_mapping_simple_value
                else:
                    d.write_indicator("?", True, indention=True)
                    self.scalar(ev, mapping=True)
                    d.write_indent()  # expect_block_mapping_value
                    d.write_indicator(":", True, indention=True)
                self.node(item, mapping=True)
            d.indent = d.indents.pop()
        elif kind is list:
            d.root_context, d.sequence_context = root, sequence
            d.mapping_context, d.simple_key_context = mapping, False
            if not value:
                self.empty("[", "]")
                return
            d.increase_indent(flow=False, indentless=mapping and not d.indention)
            for item in value:  # expect_block_sequence_item
                d.write_indent()
                d.write_indicator("-", True, indention=True)
                self.node(item, sequence=True)
            d.indent = d.indents.pop()
        else:
            self.scalar(self.event(value), root=root, sequence=sequence, mapping=mapping)


class _Direct:
    """Writes the bytes the emitter would for the common case, without its state machine: block
    mappings and sequences (lists indented under their key, as yamlfmt's dumper does), scalars
    that are plain, single-quoted without line breaks, or literal blocks; each distinct scalar's
    text is chosen once with the emitter's own analysis and style rules. Anything else (a
    double-quoted scalar, a key that is not simple, a line long enough that the emitter might
    wrap it, a literal block it would end open) raises Unsupported and the driver above writes
    the document instead."""

    _LIMIT = 4000  # columns: far below the emitter's wrapping width (yamlfmt sets 10,000)

    def __init__(self, dumper: Any):
        self.driver = _Driver(dumper)
        self.d = dumper
        self.out: list[str] = []
        self.texts: dict[tuple[int, bool], tuple[str, bool]] = {}  # -> (text, is literal)
        if dumper.best_indent != 2 or dumper.best_width < 2 * self._LIMIT:
            raise Unsupported("options")

    def text(self, value: Any, simple_key: bool) -> tuple[str, bool]:
        ev = self.driver.event(value)
        key = (id(ev), simple_key)
        done = self.texts.get(key)
        if done is not None:
            return done
        d = self.d
        d.event, d.simple_key_context, d.flow_level = ev, simple_key, 0
        d.analysis = d.analyze_scalar(ev.value)
        style = d.choose_scalar_style()
        d.analysis = None
        if not ((style == "" and ev.implicit[0]) or (style != "" and ev.implicit[1])):
            raise Unsupported("tag")
        text = ev.value
        if len(text) > self._LIMIT:
            raise Unsupported("long")
        if style == "":
            done = (text, False)
        elif style == "'":
            if any(ch in text for ch in "\n\x85\u2028\u2029"):
                raise Unsupported("break")
            done = ("'" + text.replace("'", "''") + "'", False)
        elif style == "|":
            if any(ch in text for ch in "\x85\u2028\u2029"):
                raise Unsupported("break")
            hints = d.determine_block_hints(text)
            if hints.endswith("+"):
                raise Unsupported("open-ended")
            done = ("|" + hints, True)
        else:
            raise Unsupported("style")
        self.texts[key] = done
        return done

    def scalar(self, value: Any, indent: int) -> None:
        """A scalar after ``key:`` or ``-`` (on that line); ``indent`` is the node's indent."""
        text, literal = self.text(value, False)
        out = self.out
        out.append(" " + text)
        if literal:
            pad = " " * indent
            body = value[:-1] if value.endswith("\n") else value
            for line in body.split("\n"):
                out.append("\n" + pad + line if line else "\n")

    def mapping(self, value: dict, indent: int, inline: bool) -> None:
        out = self.out
        pad = " " * indent
        for key, item in value.items():
            ev = self.driver.event(key)
            simple = self.driver.simple.get(id(ev))
            if simple is None:
                self.d.event = ev
                simple = self.driver.simple[id(ev)] = self.d.check_simple_key()
                self.d.prepared_tag = self.d.analysis = None
            if not simple:
                raise Unsupported("key")
            text, literal = self.text(key, True)
            if literal:
                raise Unsupported("key")
            out.append(text + ":" if inline else "\n" + pad + text + ":")
            inline = False
            self.value(item, indent)

    def sequence(self, value: list, indent: int, inline: bool) -> None:
        out = self.out
        pad = " " * indent
        for item in value:
            out.append("-" if inline else "\n" + pad + "-")
            inline = False
            kind = type(item)
            if (kind is dict or kind is list) and item:
                out.append(" ")
                if kind is dict:
                    self.mapping(item, indent + 2, True)
                else:
                    self.sequence(item, indent + 2, True)
            else:
                self.value(item, indent)

    def value(self, item: Any, indent: int) -> None:
        """The value of a key or a sequence item at ``indent`` (its own content at indent + 2)."""
        kind = type(item)
        if kind is dict:
            if item:
                self.mapping(item, indent + 2, False)
            else:
                self.out.append(" {}")
        elif kind is list:
            if item:
                self.sequence(item, indent + 2, False)
            else:
                self.out.append(" []")
        else:
            if indent + 2 + len(self.text(item, False)[0]) > self._LIMIT:
                raise Unsupported("long")
            self.scalar(item, indent + 2)

    def document(self, data: Any) -> str:
        kind = type(data)
        if kind is dict and data:
            self.mapping(data, 0, True)
        elif kind is list and data:
            self.sequence(data, 0, True)
        else:
            raise Unsupported("root")
        self.out.append("\n")
        return "".join(self.out)


def dump(data: Any, dumper_class: type, direct: bool = False, **options: Any) -> str:
    """``yaml.dump(data, Dumper=dumper_class, **options)`` for one document of plain data.
    ``direct``: try ``_Direct`` first; only for a dumper that indents sequences under their key
    (yamlfmt's), since that is the layout it writes."""
    stream = io.StringIO()
    d = dumper_class(stream, **options)
    if (d.canonical or d.encoding or d.default_style or d.default_flow_style is not False
            or d.sort_keys or d.use_explicit_start or d.use_explicit_end or d.use_version
            or d.use_tags):
        raise Unsupported("options")
    if direct:
        try:
            d.tag_prefixes = d.DEFAULT_TAG_PREFIXES.copy()
            return _Direct(d).document(data)
        except Unsupported:
            stream = io.StringIO()
            d = dumper_class(stream, **options)
    d.tag_prefixes = d.DEFAULT_TAG_PREFIXES.copy()  # implicit document start
    _Driver(d).node(data, root=True)
    d.write_indent()  # expect_document_end
    if d.open_ended:  # stream end after an open-ended root scalar
        d.write_indicator("...", True)
        d.write_indent()
    return stream.getvalue()
