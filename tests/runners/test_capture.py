"""Tool output is shown as its head and tail with the exact number of bytes left out."""

from __future__ import annotations

import re
import tempfile

import pytest

from sre_gen.runners import capture


def _dropped(text: str) -> int:
    match = re.search(r"\[\.\.\. ([\d,]+) bytes of output not shown", text)
    assert match, text[:200]
    return int(match.group(1).replace(",", ""))


@pytest.mark.parametrize("size", [0, 10, capture.HEAD_BYTES + capture.TAIL_BYTES])
def test_small_output_is_kept_whole(size: int) -> None:
    text = ("x" * 99 + "\n") * (size // 100) + "y" * (size % 100)
    assert capture.clip(text) == text
    with tempfile.TemporaryFile() as fh:
        fh.write(text.encode())
        assert capture.read(fh) == text


@pytest.mark.parametrize("lines", [400, 5_000, 300_000])
def test_large_output_keeps_whole_lines_at_both_ends_and_counts_what_it_drops(lines: int) -> None:
    text = "".join(f"line {i:06d} é\n" for i in range(lines))  # multi-byte characters too
    total = len(text.encode())
    with tempfile.TemporaryFile() as fh:
        fh.write(text.encode())
        from_file = capture.read(fh)
    for shown in (capture.clip(text), from_file):
        if total <= capture.HEAD_BYTES + capture.TAIL_BYTES:
            assert shown == text
            continue
        head, marker, tail = shown.partition("[... ")
        tail = tail.split("\n", 1)[1]
        assert text.startswith(head) and text.endswith(tail)
        assert head.endswith("\n") and len(head.encode()) <= capture.HEAD_BYTES
        assert len(tail.encode()) <= capture.TAIL_BYTES
        assert head.startswith("line 000000 é\n") and tail.endswith(f"line {lines - 1:06d} é\n")
        assert _dropped(shown) == total - len(head.encode()) - len(tail.encode())


def test_one_huge_line_is_cut_inside_it() -> None:
    text = "z" * 1_000_000
    shown = capture.clip(text)
    assert _dropped(shown) == 1_000_000 - capture.HEAD_BYTES - capture.TAIL_BYTES
    assert shown.startswith("z" * capture.HEAD_BYTES + "\n[... ")
