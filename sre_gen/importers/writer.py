"""Emit an imported spec as commented YAML: block style, keys in the order built, a comment
above any key or list item (``Output.comments``), the unmapped list at the end. The text is
parsed back and compared with the data before it is returned, so a comment or a quoting
mistake can never change what the spec says."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import yaml

from sre_gen.importers.source import Output

_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ ./,()'-]*$")
# words YAML 1.1 (PyYAML) reads as booleans or null
_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if (_PLAIN.match(text) and not text.endswith(" ") and text.lower() not in _SPECIAL
            and yaml.safe_load(text) == text):
        return text
    if _CONTROL.search(text) or "\n" in text or "\t" in text:
        return json.dumps(text, ensure_ascii=False)  # JSON strings are YAML double-quoted
    return "'" + text.replace("'", "''") + "'"


def _comment(lines, indent: str) -> str:
    out = ""
    for line in lines:
        for part in str(line).splitlines() or [""]:
            out += f"{indent}# {_CONTROL.sub('?', part)}".rstrip() + "\n"
    return out


def _block(text: str, indent: str) -> str | None:
    """A multi-line string as a literal block, when YAML keeps it exactly."""
    if _CONTROL.search(text) or "\t" in text or "\r" in text or text.startswith((" ", "\n")):
        return None
    if any(line != line.rstrip() for line in text.split("\n")):
        return None
    chomp = "" if text.endswith("\n") and not text.endswith("\n\n") else "-"
    if text.endswith("\n\n"):
        return None
    body = text[:-1] if text.endswith("\n") else text
    lines = "".join(f"{indent}{ln}\n" if ln else "\n" for ln in body.split("\n"))
    return f"|{chomp}\n{lines}"


def _emit(value, path: tuple, indent: int, out: Output) -> str:
    pad = "  " * indent
    text = ""
    if isinstance(value, dict):
        for key, item in value.items():
            sub = path + (key,)
            text += _comment(out.comments.get(sub, ()), pad)
            text += f"{pad}{scalar(key)}:" + _after(item, sub, indent, out)
        return text
    for i, item in enumerate(value):
        sub = path + (i,)
        text += _comment(out.comments.get(sub, ()), pad)
        if isinstance(item, dict) and item:
            inner = _emit(item, sub, indent + 1, out)
            text += f"{pad}- " + inner[len(pad) + 2:]
        else:
            text += f"{pad}-" + _after(item, sub, indent, out)
    return text


def _after(item, path: tuple, indent: int, out: Output) -> str:
    if isinstance(item, (dict, list)):
        if not item:
            return " {}\n" if isinstance(item, dict) else " []\n"
        return "\n" + _emit(item, path, indent + 1, out)
    if isinstance(item, str) and "\n" in item.strip("\n"):
        block = _block(item, "  " * (indent + 1))
        if block is not None:
            return " " + block
    return f" {scalar(item)}\n"


def render(out: Output) -> str:
    text = _comment(list(dict.fromkeys(out.header)), "")
    text += _emit(out.data, (), 0, out)
    if out.unmapped:
        text += "\n" + _comment(["Not imported (no sre-gen equivalent; see the lines of the "
                                 "input):"], "")
        text += _comment([f"- {u.text()}" for u in out.unmapped], "")
    back = yaml.safe_load(text)
    if back != _plain(out.data):
        raise AssertionError(f"the imported spec of {out.service} does not read back as built")
    return text


def _plain(value):
    """The data as YAML reads it back (Decimals as floats or ints)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    return value
