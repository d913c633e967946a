"""Bounded tool output: a subprocess may print megabytes; sre-gen shows its head and tail.

Output is captured in a temporary file (never whole in memory) and read back as at most
``HEAD_BYTES`` from the start and ``TAIL_BYTES`` from the end, cut at line breaks, with one line
in between saying how many bytes were left out. ``clip`` does the same for text already in memory
(``errors.ToolFailed`` applies it to whatever output it is given).
"""

from __future__ import annotations

import os
from typing import BinaryIO

HEAD_BYTES = 16 * 1024
TAIL_BYTES = 16 * 1024


def _marker(dropped: int) -> bytes:
    return (f"[... {dropped:,} bytes of output not shown (first {HEAD_BYTES:,} and last "
            f"{TAIL_BYTES:,} bytes kept) ...]\n").encode()


def _join(head: bytes, tail: bytes, total: int) -> str:
    # Cut at line breaks so no line is shown half, unless a single line is longer than the budget.
    cut = head.rfind(b"\n")
    if cut >= len(head) // 2:
        head = head[:cut + 1]
    cut = tail.find(b"\n")
    if 0 <= cut < len(tail) // 2:
        tail = tail[cut + 1:]
    dropped = total - len(head) - len(tail)
    if not head.endswith(b"\n"):
        head += b"\n"
    return (head + _marker(dropped) + tail).decode("utf-8", "replace")


def read(stream: BinaryIO) -> str:
    """The output written to ``stream`` (a file), clipped."""
    total = os.fstat(stream.fileno()).st_size
    stream.seek(0)
    if total <= HEAD_BYTES + TAIL_BYTES:
        return stream.read().decode("utf-8", "replace")
    head = stream.read(HEAD_BYTES)
    stream.seek(total - TAIL_BYTES)
    return _join(head, stream.read(TAIL_BYTES), total)


def clip(text: str) -> str:
    """``text`` clipped the same way (sizes counted in UTF-8 bytes)."""
    if len(text) <= (HEAD_BYTES + TAIL_BYTES) // 4:
        return text
    data = text.encode("utf-8", "replace")
    if len(data) <= HEAD_BYTES + TAIL_BYTES:
        return text
    return _join(data[:HEAD_BYTES], data[-TAIL_BYTES:], len(data))
