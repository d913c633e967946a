"""Read a spec file safely into plain data plus a map of where every value stands.

- YAML is composed with the safe loader (libyaml when present), so no Python objects are built.
- Duplicate keys, several documents, non-mapping roots, empty and binary files are errors.
- Size is bounded three ways, each with its own message: the file's bytes, its values, and the
  values that aliases expand to (so a billion-laughs file fails fast while a plain 10,000-SLO
  spec loads).
- ``Document.where(path)`` gives the 1-based (line, column) of any value; for a mapping key that
  does not exist it falls back to the nearest existing parent. Positions are the ones an editor
  shows: lines end at ``\n``, ``\r\n`` or ``\r`` only (YAML also breaks lines at U+0085,
  U+2028 and U+2029, which editors show inside a line), and a position past the last character
  (an error at the end of the file) is put on that character's line.
- Values quoted in messages are cut (``sre_gen.errors.shown``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sre_gen.errors import SpecError, SpecProblem, shown

# A 10,000-SLO spec is ~2-3 MB and ~170,000 values; these limits leave room above that and stop
# what would only exhaust memory (composing YAML costs ~150 bytes of RAM per byte of a flow list).
MAX_BYTES = 4 * 1024 * 1024
MAX_VALUES = 500_000  # every scalar, list and mapping, aliases expanded
MAX_ALIAS_VALUES = 50_000  # the values produced by expanding aliases (*name) alone
MAX_DEPTH = 64

SPLIT_HINT = ("split it: one spec per service, each its own specs/<service>.yaml "
              "(sre-gen validate and generate read them all)")

PathT = tuple  # tuple[str | int, ...]

try:  # libyaml is several times faster; the pure-Python loader gives the same marks
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader


@dataclass
class Document:
    file: str
    data: dict
    positions: dict = field(default_factory=dict)  # path -> (line, col) of the value
    key_positions: dict = field(default_factory=dict)  # path -> (line, col) of the key

    def where(self, path: PathT, key: bool = False) -> tuple[int, int]:
        path = tuple(path)
        while True:
            table = self.key_positions if key else self.positions
            if path in table:
                return table[path]
            if key and path in self.positions:
                return self.positions[path]
            if not path:
                return (1, 1)
            path = path[:-1]

    def problem(self, path: PathT, message: str, key: bool = False) -> SpecProblem:
        line, col = self.where(path, key=key)
        return SpecProblem(self.file, line, col, format_path(path), message)


def format_path(path: PathT) -> str:
    """``slos[0].sli.ratio``; a key that is empty, has spaces, dots, brackets, quotes or
    unprintable characters is shown quoted: ``service.labels['a b']``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif (not part or not part.isprintable() or len(part) > 80
              or any(c in part for c in " .[]'\"")):
            out += f"[{shown(part)}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _fail(file: str, line: int, col: int, message: str) -> SpecError:
    return SpecError([SpecProblem(file, line, col, "", message)])


_EDITOR_LINE_BREAK = re.compile(r"\r\n?|\n")


class Positions:
    """(line, column), 1-based, of a character index of the text, as an editor shows it.

    PyYAML's and libyaml's marks count U+0085, U+2028 and U+2029 as line breaks (YAML 1.1) and
    put the end of a file without a final newline on a line of its own; editors (VS Code, vim)
    break lines at \n, \r\n and \r only. Both loaders' ``mark.index`` counts characters, so
    positions are computed from it. An index at or past the end of the content (trailing
    whitespace and line breaks) is moved to just after the last character, on its line."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in _EDITOR_LINE_BREAK.finditer(text)]
        self.end = len(text.rstrip())

    def at(self, index: int) -> tuple[int, int]:
        index = max(0, min(index, self.end))
        line = bisect_right(self.starts, index)
        return line, index - self.starts[line - 1] + 1

    def of(self, mark) -> tuple[int, int]:
        return self.at(mark.index)


def read_text(path: Path, display: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _fail(display, 1, 1, "file not found") from None
    except IsADirectoryError:
        raise _fail(display, 1, 1, "is a directory, not a spec file") from None
    except OSError as exc:
        raise _fail(display, 1, 1, f"cannot read: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise _fail(display, 1, 1, f"file is {len(raw)} bytes, more than the limit of "
                    f"{MAX_BYTES} bytes ({MAX_BYTES // 2**20} MiB) per spec: {SPLIT_HINT}")
    if b"\x00" in raw:
        raise _fail(display, 1, 1, "binary file (contains NUL bytes): expected a YAML spec")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8-sig")
        line, col = Positions(good + "x").at(len(good))
        raise _fail(display, line, col, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}): save the "
                    "spec as UTF-8") from None
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        raise _fail(display, 1, 1, "empty spec: expected a mapping with apiVersion and service")
    return text


def load(path: Path, display: str | None = None) -> Document:
    display = display or path.as_posix()
    text = read_text(path, display)
    return load_text(text, display)


def load_text(text: str, display: str) -> Document:
    pos = Positions(text)
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        line, col, what = _syntax_error(exc, text, pos)
        raise _fail(display, line, col, f"YAML syntax error: {what}") from None
    except yaml.reader.ReaderError as exc:  # control characters in the text
        line, col = pos.at(_reader_index(exc, text))
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise _fail(display, line, col, f"YAML error: {exc.reason}: found {char}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = pos.of(mark) if mark else (1, 1)
        raise _fail(display, line, col, f"YAML error: {exc}") from None
    except RecursionError:
        raise _fail(display, 1, 1, "YAML nesting too deep") from None
    nodes = [n for n in nodes if n is not None and not _is_empty(n)]
    if not nodes:
        raise _fail(display, 1, 1, "empty spec: expected a mapping with apiVersion and service")
    if len(nodes) > 1:
        raise _fail(display, *pos.of(nodes[1].start_mark),
                    "several YAML documents: one spec per file")
    root = nodes[0]
    if not isinstance(root, yaml.MappingNode):
        raise _fail(display, *pos.of(root.start_mark),
                    f"expected a mapping (apiVersion, service, slos...), got a {_kind(root)}")
    doc = Document(display, {})
    builder = _Builder(doc, pos)
    doc.data = builder.build(root, ())
    if builder.problems:
        raise SpecError(builder.problems)
    return doc


def load_all(path: Path, display: str | None = None) -> list[Document]:
    """Every non-empty YAML document of a file (a multi-document file of another tool, read by
    ``sre-gen import``), each with its positions; the same limits and messages as ``load``.
    A document that is not a mapping is returned with ``data`` set to the plain value."""
    display = display or path.as_posix()
    text = read_text(path, display)
    pos = Positions(text)
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        line, col, what = _syntax_error(exc, text, pos)
        raise _fail(display, line, col, f"YAML syntax error: {what}") from None
    except yaml.reader.ReaderError as exc:
        line, col = pos.at(_reader_index(exc, text))
        raise _fail(display, line, col, f"YAML error: {exc.reason}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = pos.of(mark) if mark else (1, 1)
        raise _fail(display, line, col, f"YAML error: {exc}") from None
    except RecursionError:
        raise _fail(display, 1, 1, "YAML nesting too deep") from None
    docs = []
    for node in nodes:
        if node is None or _is_empty(node):
            continue
        doc = Document(display, {})
        builder = _Builder(doc, pos)
        doc.data = builder.build(node, ())
        if builder.problems:
            raise SpecError(builder.problems)
        docs.append(doc)
    return docs


def _reader_index(exc: yaml.reader.ReaderError, text: str) -> int:
    """Character index of a reader error; libyaml counts bytes, PyYAML characters."""
    index = exc.position
    if not (isinstance(exc.character, int) and text[index : index + 1] == chr(exc.character)):
        index = len(text.encode("utf-8")[: exc.position].decode("utf-8", errors="ignore"))
    return index


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, pos: Positions) -> tuple[int, int, str]:
    """Position and message of a YAML syntax error, with a hint for the usual causes."""
    mark = exc.problem_mark or exc.context_mark
    line, col = pos.of(mark) if mark else (1, 1)
    problem = exc.problem or "invalid YAML"
    what = f"{exc.context}: {problem}" if exc.context else problem
    if mark is not None and (text[mark.index : mark.index + 1] == "\t" or "tab" in problem):
        return line, col, "tab character: indent with spaces, YAML does not allow tabs"
    quoted = exc.context == "while scanning a quoted scalar" and exc.context_mark is not None
    if quoted:  # the string runs to the end of the file: point at its opening quote
        return (*pos.of(exc.context_mark), "this quoted string is never closed")
    if mark is not None:
        start = _quoted_scalar_ending_on(text, mark.line)
        if start is not None:
            return (*pos.of(start),
                    f"this quoted string runs on to line {line}, where parsing fails ({problem}): "
                    "is its closing quote missing?")
    odd = _yaml_only_break_near(text, pos, line)
    if odd:
        what += odd
    if problem.startswith("mapping values are not allowed"):
        what += " (a key indented deeper than the one above it, or a value with ': ' to quote)"
    elif "expected key" in problem or "<block end>" in problem:
        what += " (check the indentation of this line)"
    return line, col, what


_YAML_ONLY_BREAKS = {"\x85": "U+0085", "\u2028": "U+2028", "\u2029": "U+2029"}


def _yaml_only_break_near(text: str, pos: Positions, line: int) -> str:
    """A hint when the error's line or the one above holds a character YAML reads as a line
    break but an editor does not (so the editor shows one line where YAML sees two)."""
    for char, name in _YAML_ONLY_BREAKS.items():
        index = text.find(char)
        while index != -1:
            at = pos.at(index)[0]
            if at in (line, line - 1):
                return (f" (line {at} holds {name}, which YAML reads as a line break: remove it, "
                        f"or write it as \\u{name[2:].lower()} in a double-quoted string)")
            if at > line:
                break
            index = text.find(char, index + 1)
    return ""


def _quoted_scalar_ending_on(text: str, line: int):
    """Start mark of a quoted scalar spanning several lines and ending on ``line`` (0-based)."""
    found = None
    try:
        for token in yaml.scan(text, Loader=_Loader):
            if (isinstance(token, yaml.ScalarToken) and token.style in ('"', "'")
                    and token.start_mark.line < token.end_mark.line == line):
                found = token.start_mark
    except yaml.YAMLError:
        pass
    return found


def _is_empty(node: yaml.Node) -> bool:
    """An explicit but empty document (``---`` with nothing after it)."""
    return (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"
            and node.value == "" and not node.style)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "mapping"
    if isinstance(node, yaml.SequenceNode):
        return "list"
    return "scalar"


class _Builder:
    """Node tree -> plain data, recording positions, duplicate keys and expansion size."""

    def __init__(self, doc: Document, pos: Positions):
        self.doc = doc
        self.pos = pos
        self.count = 0  # values built, aliases expanded
        self.aliased = 0  # of which built again through an alias
        self._seen: set[int] = set()  # ids of the nodes built once (an alias shares its node)
        self.problems: list[SpecProblem] = []
        self._constructor = _Loader("")  # for scalar resolution (int, float, bool, null...)

    def _too_big(self, node: yaml.Node, path: PathT, message: str) -> SpecError:
        # Point at the top-level key whose values overflow (for aliases: whose aliases expand,
        # not the anchored node they share).
        top = path[:1]
        line, col = self.doc.key_positions.get(top) or self.pos.of(node.start_mark)
        return SpecError([SpecProblem(self.doc.file, line, col, _fmt(top), message)])

    def build(self, node: yaml.Node, path: PathT):
        self.count += 1
        if id(node) in self._seen:
            self.aliased += 1
            if self.aliased > MAX_ALIAS_VALUES:
                raise self._too_big(node, path, (
                    f"aliases (*name) expand to more than {MAX_ALIAS_VALUES} values, the limit "
                    "for values built through aliases (a YAML alias bomb?): write the repeated "
                    "parts out, or repeat them less"))
        else:
            self._seen.add(id(node))
        if self.count > MAX_VALUES:
            raise self._too_big(node, path, (
                f"the spec has more than {MAX_VALUES} values (scalars, lists and mappings), the "
                f"limit per spec: {SPLIT_HINT}"))
        if len(path) > MAX_DEPTH:
            raise _fail(self.doc.file, *self.pos.of(node.start_mark),
                        f"nesting deeper than {MAX_DEPTH} levels")
        line, col = self.pos.of(node.start_mark)
        self.doc.positions.setdefault(path, (line, col))
        if isinstance(node, yaml.ScalarNode) and node.tag in _TEXT_TAGS:
            return node.value
        if node.tag not in _PLAIN_TAGS:
            self.problems.append(SpecProblem(
                self.doc.file, line, col, _fmt(path),
                f"unsupported YAML tag {_tag(node)}: a spec holds plain strings, numbers, "
                "booleans, lists and mappings",
            ))
            return None
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            for key_node, value_node in node.value:
                kline, kcol = self.pos.of(key_node.start_mark)
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self.problems.append(SpecProblem(
                        self.doc.file, kline, kcol, _fmt(path),
                        "merge keys (<<) are not supported: write the keys out",
                    ))
                    continue
                plain = key_node.tag in _PLAIN_TAGS or key_node.tag in _TEXT_TAGS
                if not isinstance(key_node, yaml.ScalarNode) or not plain:
                    self.problems.append(SpecProblem(
                        self.doc.file, kline, kcol, _fmt(path),
                        f"mapping keys must be plain strings, not a {_kind(key_node)}"
                        + ("" if plain else f" tagged {_tag(key_node)}"),
                    ))
                    continue
                before = len(self.problems)
                key = self._scalar(key_node, path)
                if len(self.problems) > before:
                    continue
                if not isinstance(key, str):
                    self.problems.append(SpecProblem(
                        self.doc.file, kline, kcol, _fmt(path),
                        f"mapping keys must be strings: {shown(key_node.value)} reads as "
                        f"{_scalar_kind(key)}; put it in quotes",
                    ))
                    continue
                child = path + (key,)
                if key in out:
                    first = self.doc.key_positions[child]
                    self.problems.append(SpecProblem(
                        self.doc.file, kline, kcol, _fmt(child),
                        f"duplicate key {shown(key)} (first at line {first[0]})",
                    ))
                    continue
                self.doc.key_positions[child] = (kline, kcol)
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _scalar(self, node: yaml.ScalarNode, path: PathT):
        if node.tag in _TEXT_TAGS:
            return node.value
        try:
            return self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, KeyError, AttributeError, TypeError,
                OverflowError) as exc:  # e.g. 2024-13-45, !!int abc, !!bool maybe
            kind = node.tag.rsplit(":", 1)[-1]
            detail = getattr(exc, "problem", None) or (str(exc) if isinstance(exc, ValueError)
                                                       else "not a valid value")
            if "integer string conversion" in detail:  # Python's int() refuses > 4300 digits
                detail = f"a number of {len(node.value)} characters"
            self.problems.append(SpecProblem(
                self.doc.file, *self.pos.of(node.start_mark), _fmt(path),
                f"cannot read {shown(node.value)} as a YAML {kind} ({detail}); put it in quotes if "
                "you mean text",
            ))
            return None


_PLAIN_TAGS = frozenset(
    "tag:yaml.org,2002:" + name
    for name in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
)


# YAML 1.1 resolves a plain `=` and `<<` to these tags; outside a merge key they are just text.
_TEXT_TAGS = frozenset({"tag:yaml.org,2002:value", "tag:yaml.org,2002:merge"})


def _tag(node: yaml.Node) -> str:
    prefix = "tag:yaml.org,2002:"
    tag = node.tag
    return repr("!!" + tag[len(prefix):] if tag.startswith(prefix) else tag)


def _scalar_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a date" if hasattr(value, "year") else type(value).__name__


def _fmt(path: PathT) -> str:
    return format_path(path)
