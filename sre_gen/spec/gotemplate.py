"""Check alert text the way Prometheus parses it: as a Go text/template with Prometheus' functions.

Custom alerts' ``summary``, ``description`` and ``annotations`` are templates (``{{ $value }}``,
``{{ $labels.instance }}``); promtool rejects a rule file whose template does not parse. This is
the parse-time part of Go's text/template (Prometheus 2.42): every ``{{`` has its ``}}`` outside
string literals, comments are closed, ``if``/``range``/``with``/``define``/``block`` are closed by
``end``, ``else`` stands inside ``if``/``range``/``with``, parentheses balance, every function is
one Go or Prometheus defines and every variable is defined. Execution-time errors (a function
given the wrong argument) are outside what promtool checks too.
"""

from __future__ import annotations

import re

GO_FUNCS = frozenset({
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "html", "js",
    "urlquery", "call", "eq", "ne", "lt", "le", "gt", "ge",
})  # fmt: skip
PROMETHEUS_FUNCS = frozenset({  # template/template.go of Prometheus 2.42
    "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match",
    "title", "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel", "humanize",
    "humanize1024", "humanizeDuration", "humanizePercentage", "humanizeTimestamp", "toTime",
    "pathPrefix", "externalURL", "parseDuration", "stripPort", "stripDomain",
})  # fmt: skip
FUNCS = GO_FUNCS | PROMETHEUS_FUNCS
PREDEFINED = frozenset({"$", "$labels", "$externalLabels", "$externalURL", "$value"})
_OPENERS = frozenset({"if", "range", "with", "define", "block"})

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\\n]|\\.)+')
  | (?P<declare>:=|=)
  | (?P<var>\$[A-Za-z0-9_]*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?
                   |\.[0-9]+)i?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[|(),])
""", re.VERBOSE)


class TemplateError(ValueError):
    pass


def check(text: str) -> str | None:
    """Why Prometheus would reject ``text`` as an alert template, or None if it parses."""
    try:
        _parse(text)
    except TemplateError as exc:
        return str(exc)
    return None


def _parse(text: str) -> None:
    blocks: list[tuple[str, set[str]]] = []  # open block keyword, variables declared in it
    scope: set[str] = set(PREDEFINED)
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            break
        body_start = start + 2
        if text.startswith("-", body_start) and text[body_start + 1:body_start + 2].isspace():
            body_start += 2  # the trim marker "- "
        if text.startswith("/*", body_start):
            close = text.find("*/", body_start)
            if close < 0:
                raise TemplateError("unclosed comment")
            end = text.find("}}", close)
            if end < 0 or text[close + 2:end].strip(" -"):
                raise TemplateError("comment ends before closing delimiter")
            pos = end + 2
            continue
        end = _close(text, body_start)
        body = text[body_start:end]
        if body.endswith("-") and body[-2:-1].isspace():
            body = body[:-1]
        _action(body, blocks, scope)
        pos = end + 2
    if blocks:
        raise TemplateError(f"unexpected EOF: {{{{{blocks[-1][0]}}}}} has no {{{{end}}}}")


def _close(text: str, i: int) -> int:
    quote = None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote != "`":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"`'":
            quote = ch
        elif text.startswith("}}", i):
            return i
        i += 1
    raise TemplateError("unclosed action: a {{ without its }} (write {{ \"{{\" }} for a "
                        "literal {{)")


def _tokens(body: str) -> list[tuple[str, str]]:
    out, i = [], 0
    while i < len(body):
        m = _TOKEN.match(body, i)
        if not m:
            raise TemplateError(f"unexpected {body[i]!r} in action {{{{{body.strip()}}}}}")
        if m.lastgroup != "space":
            out.append((m.lastgroup, m.group(0)))
        i = m.end()
    return out


def _action(body: str, blocks: list, scope: set[str]) -> None:
    tokens = _tokens(body)
    if not tokens:
        raise TemplateError("missing value for command: empty action {{}}")
    kind, word = tokens[0]
    rest = tokens[1:]
    if kind == "word" and word == "end":
        if not blocks or rest:
            raise TemplateError("unexpected {{end}}" if not blocks else "unexpected text after end")
        _, declared = blocks.pop()
        scope.difference_update(declared)
        return
    if kind == "word" and word == "else":
        if not blocks or blocks[-1][0] not in ("if", "range", "with"):
            raise TemplateError("unexpected {{else}}")
        if rest and rest[0] == ("word", "if"):
            rest = rest[1:]
            if not rest:
                raise TemplateError("missing value for if")
            _pipeline(rest, scope, blocks[-1][1])
        elif rest:
            raise TemplateError("{{else}} takes no arguments but else if")
        return
    if kind == "word" and word in ("break", "continue"):
        if not any(b[0] == "range" for b in blocks) or rest:
            raise TemplateError(f"{{{{{word}}}}} outside {{{{range}}}}")
        return
    if kind == "word" and word in ("define", "block", "template"):
        if not rest or rest[0][0] not in ("string", "raw"):
            raise TemplateError(f"{word} needs a quoted template name")
        if word == "define":
            if len(rest) > 1:
                raise TemplateError("unexpected text after define's name")
        elif len(rest) > 1:
            _pipeline(rest[1:], scope, set())
        if word in _OPENERS:
            blocks.append((word, set()))
        return
    if kind == "word" and word in _OPENERS:
        if not rest:
            raise TemplateError(f"missing value for {word}")
        declared: set[str] = set()
        _pipeline(rest, scope, declared)
        blocks.append((word, declared))
        return
    _pipeline(tokens, scope, blocks[-1][1] if blocks else set())


def _pipeline(tokens: list[tuple[str, str]], scope: set[str], declared: set[str]) -> None:
    # Declarations: $x := ..., or range's $i, $v := ...
    for n in (1, 3):
        if len(tokens) > n and tokens[n][0] == "declare" and all(
                t[0] == "var" for t in tokens[:n:2]) and (n == 1 or tokens[1] == ("punct", ",")):
            names = [t[1] for t in tokens[:n:2]]
            tokens = tokens[n + 1:]
            if not tokens:
                raise TemplateError("missing value for command after :=")
            _commands(tokens, scope)
            for name in names:
                if name not in scope:
                    declared.add(name)
                scope.add(name)
            return
    _commands(tokens, scope)


def _commands(tokens: list[tuple[str, str]], scope: set[str]) -> None:
    depth, expect_operand = 0, True
    for kind, text in tokens:
        if kind == "punct" and text == "(":
            depth += 1
            expect_operand = True
        elif kind == "punct" and text == ")":
            depth -= 1
            if depth < 0:
                raise TemplateError("unexpected right paren")
        elif kind == "punct" and text == "|":
            if expect_operand:
                raise TemplateError("missing command before |")
            expect_operand = True
        elif kind == "punct" and text == ",":
            raise TemplateError("unexpected , in a command")
        elif kind == "declare":
            raise TemplateError(f"unexpected {text} in a command")
        else:
            expect_operand = False
            if kind == "var":
                _variable(text.split(".")[0], scope)
            elif kind == "word" and text not in FUNCS and text not in ("true", "false", "nil"):
                raise TemplateError(f"function {text!r} not defined (Prometheus' template "
                                    "functions: humanize, humanizeDuration, printf, ...)")
    if depth:
        raise TemplateError("unclosed left paren")


def _variable(name: str, scope: set[str]) -> None:
    if name not in scope:
        raise TemplateError(f"undefined variable {name!r}")
