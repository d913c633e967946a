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


def dump(data: Any, dumper_class: type, **options: Any) -> str:
    """``yaml.dump(data, Dumper=dumper_class, **options)`` for one document of plain data."""
    stream = io.StringIO()
    d = dumper_class(stream, **options)
    if (d.canonical or d.encoding or d.default_style or d.default_flow_style is not False
            or d.sort_keys or d.use_explicit_start or d.use_explicit_end or d.use_version
            or d.use_tags):
        raise Unsupported("options")
    d.tag_prefixes = d.DEFAULT_TAG_PREFIXES.copy()  # implicit document start
    _Driver(d).node(data, root=True)
    d.write_indent()  # expect_document_end
    if d.open_ended:  # stream end after an open-ended root scalar
        d.write_indicator("...", True)
        d.write_indent()
    return stream.getvalue()
