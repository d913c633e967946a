"""Expand the Go templates of alert labels and annotations the way Prometheus does, for the
subset sre-gen emits, so generated promtool tests can state ``exp_annotations`` fully expanded.

Supported actions: string literals (``{{ "{{" }}``, which ``rulebase.literal`` emits), ``$value``
and ``$labels.<name>`` piped through ``humanize``, ``humanize1024``, ``humanizePercentage``,
``humanizeDuration``, ``printf "<fmt>"`` (``%.Nf``, ``%.Ng``, ``%d``, ``%s``, ``%v``),
``{{ if lt $value 10.0 }}...{{ else }}...{{ end }}`` (lt, le, gt, ge), plus the
``{{-``/``-}}`` trim markers. Anything else raises ``Unsupported``: the caller then asserts the
alert's labels only (through the ALERTS series) instead of guessing its text.

Numbers are formatted with Python floats, which are IEEE doubles like Go's float64, and the same
operation order as Prometheus' template functions (template/template.go), so results agree bit
for bit with what promtool expands.
"""

from __future__ import annotations

import math
import re

__all__ = ["Unsupported", "expand", "humanize", "humanize_duration", "humanize_percentage"]


class Unsupported(ValueError):
    """The template uses a construct this emulation does not cover."""


def _g4(v: float) -> str:
    """Go's fmt.Sprintf("%.4g", v)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return "%.4g" % v


def humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    if abs(v) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix = p
            v /= 1000
        return f"{_g4(v)}{prefix}"
    v, prefix = _sub_unit(v)
    return f"{_g4(v)}{prefix}"


def humanize1024(v: float) -> str:
    if abs(v) <= 1 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    prefix = ""
    for p in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(v) < 1024:
            break
        prefix = p
        v /= 1024
    return f"{_g4(v)}{prefix}"


def humanize_percentage(v: float) -> str:
    return f"{_g4(v * 100)}%"


def humanize_duration(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return _g4(v)
    if v == 0:
        return f"{_g4(v)}s"
    if abs(v) >= 1:
        sign = ""
        if v < 0:
            sign, v = "-", -v
        duration = int(v)
        seconds = duration % 60
        minutes = (duration // 60) % 60
        hours = (duration // 3600) % 24
        days = duration // 86400
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{_g4(v)}s"
    v, prefix = _sub_unit(v)
    return f"{_g4(v)}{prefix}s"


def _sub_unit(v: float) -> tuple[float, str]:
    """Scale |v| < 1 up by 1000s: (value, SI prefix m/u/n/...), as Prometheus' humanize does."""
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix = p
        v *= 1000
    return v, prefix


_VERB = re.compile(r"%(\.(\d+))?([fgdsv%])")


def _printf(fmt: str, arg) -> str:
    out, pos, used = [], 0, False
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        verb, prec = m.group(3), m.group(2)
        if verb == "%":
            out.append("%")
            continue
        if used:
            raise Unsupported(f"printf with more verbs than arguments: {fmt!r}")
        used = True
        if verb == "f":
            out.append(f"%.{prec if prec is not None else 6}f" % float(arg))
        elif verb == "g":
            if prec is None:
                raise Unsupported("printf %g without precision")
            out.append(_g4(float(arg)) if prec == "4" else f"%.{prec}g" % float(arg))
        elif verb == "d":
            if not isinstance(arg, int):
                raise Unsupported("printf %d of a float")
            out.append(str(arg))
        elif isinstance(arg, str):
            out.append(arg)
        else:
            raise Unsupported(f"printf %{verb} of a number")
    out.append(fmt[pos:])
    if not used or "%" in fmt[pos:]:
        raise Unsupported(f"printf format beyond %.Nf %.Ng %d %s %v: {fmt!r}")
    return "".join(out)


_FUNCS = {
    "humanize": humanize,
    "humanize1024": humanize1024,
    "humanizePercentage": humanize_percentage,
    "humanizeDuration": humanize_duration,
}

_STRING = re.compile(r'^"((?:[^"\\]|\\.)*)"$|^`([^`]*)`$')
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'"}


def _go_string(token: str) -> str | None:
    m = _STRING.match(token)
    if not m:
        return None
    if m.group(2) is not None:
        return m.group(2)
    out, raw, i = [], m.group(1), 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            nxt = raw[i + 1]
            if nxt not in _ESCAPES:
                raise Unsupported(f"string escape \\{nxt}")
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\S+')


def _operand(token: str, value: float | None, labels: dict[str, str]):
    if token == "$value":
        if value is None:
            raise Unsupported("$value is not known")
        return value
    if token.startswith("$labels."):
        return labels.get(token[len("$labels."):], "")
    text = _go_string(token)
    if text is not None:
        return text
    raise Unsupported(f"template operand {token!r}")


def _action(body: str, value: float | None, labels: dict[str, str]) -> str:
    stages = [s.strip() for s in _split_pipes(body)]
    result = None
    for i, stage in enumerate(stages):
        tokens = _TOKEN.findall(stage)
        if not tokens:
            raise Unsupported("empty pipeline stage")
        if i == 0 and len(tokens) == 1:
            result = _operand(tokens[0], value, labels)
            continue
        name, args = tokens[0], [_operand(t, value, labels) for t in tokens[1:]]
        if i > 0:
            args.append(result)
        if name in _FUNCS and len(args) == 1:
            arg = args[0]
            if isinstance(arg, str):
                raise Unsupported(f"{name} of a string")
            result = _FUNCS[name](float(arg))
        elif name == "printf" and len(args) == 2 and isinstance(args[0], str):
            result = _printf(args[0], args[1])
        else:
            raise Unsupported(f"template function {name!r}")
    if isinstance(result, str):
        return result
    raise Unsupported("printing a bare number")  # Go prints %v of float64: avoid guessing


def _split_pipes(body: str) -> list[str]:
    parts, current, quote = [], [], None
    for ch in body:
        if quote:
            current.append(ch)
            if ch == quote and (quote == "`" or not _escaped(current)):
                quote = None
            continue
        if ch in "\"`":
            quote = ch
        if ch == "|":
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _escaped(chars: list[str]) -> bool:
    n = 0
    for ch in reversed(chars[:-1]):
        if ch != "\\":
            break
        n += 1
    return n % 2 == 1


def expand(text: str, value: float | None = None, labels: dict[str, str] | None = None) -> str:
    """Expand ``text`` like Prometheus expands an alert annotation/label template."""
    labels = labels or {}
    out: list[str] = []
    branches: list[bool] = []  # one entry per open {{ if }}: whether its branch is taken
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            if all(branches):
                out.append(text[pos:])
            break
        chunk = text[pos:start]
        body_start = start + 2
        if text.startswith("-", body_start) and text[body_start + 1:body_start + 2].isspace():
            chunk = chunk.rstrip(" \t\r\n")
            body_start += 1
        if all(branches):
            out.append(chunk)
        end = _close(text, body_start)
        body = text[body_start:end]
        trim_right = body.endswith("-") and body[-2:-1].isspace()
        if trim_right:
            body = body[:-1]
        body = body.strip()
        if body.startswith("if "):
            branches.append(_condition(body[3:], value, labels) if all(branches) else False)
        elif body in ("else", "end"):
            if not branches:
                raise Unsupported(f"{{{{ {body} }}}} without if")
            taken = branches.pop()
            if body == "else":
                branches.append(not taken and all(branches))
        elif all(branches):
            out.append(_action(body, value, labels))
        pos = end + 2
        if trim_right:
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
    if branches:
        raise Unsupported("if without end")
    return "".join(out)


_COMPARE = {"lt": float.__lt__, "le": float.__le__, "gt": float.__gt__, "ge": float.__ge__}
_FLOAT = re.compile(r"^-?\d+\.\d+$")


def _condition(body: str, value: float | None, labels: dict[str, str]) -> bool:
    """``lt $value 10.0`` (lt, le, gt, ge of $value and a float literal: Go refuses to compare
    a float64 with an integer constant, so ``10`` is unsupported)."""
    tokens = _TOKEN.findall(body)
    if len(tokens) != 3 or tokens[0] not in _COMPARE or tokens[1] != "$value" or \
            not _FLOAT.match(tokens[2]):
        raise Unsupported(f"if {body}")
    return _COMPARE[tokens[0]](float(_operand("$value", value, labels)), float(tokens[2]))


def _close(text: str, i: int) -> int:
    quote = None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"`":
            quote = ch
        elif text.startswith("}}", i):
            return i
        i += 1
    raise Unsupported("unclosed template action")
