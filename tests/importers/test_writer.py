"""The imported-spec writer: whatever text an input holds (quotes, YAML words, numbers as text,
newlines, control characters, PromQL), the YAML written reads back as exactly what was built,
and comments never change a value."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from sre_gen.importers.source import Output, Unmapped
from sre_gen.importers.writer import render, scalar

TRICKY = ["yes", "No", "null", "~", "true", "1h", "2", "0.3", "1e3", "-", "#x", "a #b", "a: b",
          "it's", 'say "hi"', "  lead", "trail ", "", "{{window}}", "[x]", "*alias", "&a", "!tag",
          "%x", "@x", "`x`", "multi\nline\n", "multi\nline", "tab\there", "cr\rlf", "\x07bell",
          "\u2028sep", "é ünicode", 'sum(rate(x{code=~"5.."}[{{window}}]))', "line\n\nblank\n",
          "\nleading newline", "ends\n\n"]


@pytest.mark.parametrize("text", TRICKY)
def test_every_scalar_reads_back(text: str) -> None:
    assert yaml.safe_load(f"k: {scalar(text)}\n") == {"k": text}


def test_a_spec_with_comments_reads_back() -> None:
    data = {"apiVersion": "sre-gen/v1", "service": {"name": "x", "labels": dict.fromkeys(
        ["a", "b"], "yes")},
        "slos": [{"name": n, "objective": Decimal("99.95"), "sli": {"q": t}}
                 for n, t in zip("abcdefghijklmnopqrstuvwxyz", TRICKY)],
        "empty": {}, "none": []}
    out = Output("x", data)
    out.header.append("imported\nfrom: somewhere # odd")
    out.note(("slos", 0), "a comment with a\nnewline and \x07 control")
    out.note(("slos", 1, "sli"), "# hash")
    out.unmapped.append(Unmapped("f.yml", 3, 5, "slos[0].x", "why\nnot"))
    text = render(out)
    back = yaml.safe_load(text)
    assert back["slos"][0]["objective"] == 99.95
    assert [s["sli"]["q"] for s in back["slos"]] == TRICKY[:26]
    assert "# - f.yml:3:5: slos[0].x: not imported: why\n# not\n" in text
