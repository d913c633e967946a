"""Stable Grafana panel ids: derived from what a panel shows, never from where it is.

A panel is keyed by its section (``slo_section``, ``indicator_section``, or a fixed tuple such as
``("overview",)``) and its role number in that section (fixed per kind of panel; a new kind takes
a new number). Its id is ``slot * ROLES + role``, where ``slot`` (1 .. SLOTS - 1) is a hash of the
section: ids are in 16 .. 2**31 - 1, JS safe integers that also fit Grafana's 32-bit panel ids.
Adding, removing, reordering or editing SLOs changes no other panel's id, so ``viewPanel`` links
keep pointing at the same panel. Pure functions without dependencies: the dashboards compiler
(``sre_gen.compile.grafana_fixups.assign_ids``) and the spec's semantic check (a warning for two
names whose slots collide) both use them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

ROLES = 16
SLOTS = 2 ** 27


def slo_section(name: str) -> tuple[str, ...]:
    return ("slo", name)


def indicator_section(signal: str, name: str) -> tuple[str, ...]:
    """A golden signal's indicator (names are unique per signal only)."""
    return ("indicator", signal, name)


@dataclass(frozen=True)
class PanelKey:
    """What a panel is, whatever its position: ``section`` (e.g. ``("slo", "availability")``) and
    ``role`` (a number fixed per kind of panel)."""

    section: tuple[str, ...]
    role: int

    def __post_init__(self) -> None:
        if not 0 <= self.role < ROLES:
            raise ValueError(f"panel role {self.role} is outside 0..{ROLES - 1}")


def section_slot(section: tuple[str, ...], probe: int = 0) -> int:
    """Slot of a section at a probe: the first 8 bytes of SHA-256 of ``probe`` and the section's
    parts, joined by U+001F, mapped into 1 .. SLOTS - 1."""
    text = "\x1f".join([str(probe), *section])
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % (SLOTS - 1) + 1


def _allocate(sections: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], tuple[int, int]]:
    taken: dict[int, tuple[str, ...]] = {}
    out: dict[tuple[str, ...], tuple[int, int]] = {}
    for section in sorted(set(sections)):
        probe = 0
        while section_slot(section, probe) in taken:
            probe += 1
        slot = section_slot(section, probe)
        taken[slot] = section
        out[section] = (slot, probe)
    return out


def section_slots(sections: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
    """Slots of distinct sections. Each section takes its probe-0 slot; when two sections collide
    (about 1 in 1.3 x 10^8 for two given names), the sections are taken in sorted order and each
    takes its first free probe (0, 1, 2, ...). So a section's slot depends only on its own name
    and the names of the sections it collides with, never on positions or unrelated sections."""
    return {section: slot for section, (slot, _probe) in _allocate(sections).items()}


Section = tuple[str, ...]


def collisions(sections: Iterable[Section]) -> list[tuple[Section, Section]]:
    """(section, the section holding its probe-0 slot) for every section that had to probe."""
    allocated = _allocate(sections)
    holder = {slot: section for section, (slot, _probe) in allocated.items()}
    return [(section, holder[section_slot(section)])
            for section, (_slot, probe) in allocated.items() if probe]
