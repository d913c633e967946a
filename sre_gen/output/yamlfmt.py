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


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value and not any(ch in value for ch in "\r\t") and value == value.strip(" "):
        lines = value.split("\n")
        if all(ln == ln.rstrip(" ") for ln in lines):
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump(data: Any) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=10_000,
        indent=2,
    )


def dump_all(documents: list[Any]) -> str:
    return "---\n".join(dump(d) for d in documents)
