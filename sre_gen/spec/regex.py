"""Regexes checked the way Prometheus compiles them: Go's regexp (RE2 syntax), as written and
anchored.

Python's ``re`` is not RE2: it accepts lookarounds, backreferences and possessive quantifiers that
Prometheus rejects, and rejects some RE2 syntax. The check uses Google's RE2 (``google-re2``,
imported lazily: only specs with regexes pay for it) and adds what Go's RE2 port rejects on top
of the C++ library (Prometheus 2.42 is built with Go 1.19): named groups spelt ``(?<name>...)``
(Go >= 1.22 only) and ``\\C`` (any byte).
"""

from __future__ import annotations

import re

# What Go 1.19's regexp/syntax rejects although C++ RE2 accepts it.
_GO_ONLY = (
    (re.compile(r"(?<!\\)(?:\\\\)*\(\?<(?![=!])"),
     "named groups are written (?P<name>...) in Prometheus' Go regexp"),
    (re.compile(r"(?<!\\)(?:\\\\)*\\C"), "\\C (any byte) is not supported"),
)


def re2_error(pattern: str) -> str | None:
    """Why Prometheus would reject ``pattern`` as a label matcher regex, or None if it is valid."""
    import re2

    options = re2.Options()
    options.log_errors = False  # the C++ library would print to stderr
    # Prometheus parses the pattern as written, then compiles it anchored: both must succeed.
    for text in (pattern, f"^(?:{pattern})$"):
        try:
            re2.compile(text, options)
        except re2.error as exc:
            return _message(exc)
    for rule, message in _GO_ONLY:
        if rule.search(pattern):
            return message
    return _parser_error(pattern)


def _parser_error(pattern: str) -> str | None:
    """sre-gen reads its own generated PromQL with promql-parser, whose regex engine (Rust's)
    refuses a few patterns RE2 accepts, e.g. a literal ``{`` that is not a repetition. Such a
    pattern is rejected here, at the spec line, rather than failing generate."""
    import promql_parser

    from sre_gen import promql

    try:
        promql_parser.parse(f"x{{l=~{promql.quote(pattern)}}}")
    except Exception:  # noqa: BLE001 - any refusal means sre-gen cannot process it
        return ("valid in Prometheus, but sre-gen's PromQL parser (Rust's regex engine) cannot "
                "read it: escape literal braces and other special characters (\\{, \\})")
    return None


def _message(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else "invalid regex"
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return str(detail)
