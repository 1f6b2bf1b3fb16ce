"""Locating what changed between a seal's leaf hashes and its records file now.

The sealed leaf hashes (``leaves.bin``) and the leaf hashes recomputed from the
records file are compared as multisets first, then by order:

* a recomputed hash that was never sealed, paired with a sealed hash that is
  gone, is an *edited* record (named by the record id it holds now);
* an extra recomputed hash is an *inserted* record;
* an extra sealed hash is a *deleted* record: its id is gone with it, so it is
  named by its leaf index and the record sealed just before it;
* hashes present on both sides but out of sealed order are *reordered*; the
  fewest records that explain the new order are named (the complement of a
  longest increasing run of sealed positions).
"""

from __future__ import annotations

import bisect
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["RecordChanges", "compare_record_leaves"]

_NAMED: Final = 20


@dataclass(frozen=True)
class RecordChanges:
    """Records that differ from what was sealed, by kind of change."""

    edited: tuple[str, ...] = ()
    inserted: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    reordered: tuple[str, ...] = ()
    foreign: bool = False

    @property
    def any(self) -> bool:
        """True when anything differs."""
        return bool(self.edited or self.inserted or self.deleted or self.reordered)

    def messages(self, day: str) -> list[str]:
        """One line per kind of change, naming at most 20 records each."""
        lines = []
        if self.foreign:
            lines.append(
                f"{day}: the records file holds none of the records sealed for "
                "this day (replaced by another file?)"
            )
            return lines
        for kind, names in (
            ("changed", self.edited),
            ("inserted", self.inserted),
            ("deleted", self.deleted),
            ("reordered", self.reordered),
        ):
            if names:
                lines.append(f"{day}: records {kind} since sealing: {_named(names)}")
        return lines


def compare_record_leaves(
    sealed: Sequence[bytes], recomputed: Sequence[bytes], ids: Sequence[str]
) -> RecordChanges:
    """Classify how ``recomputed`` (row order, ids ``ids``) differs from ``sealed``.

    ``sealed`` holds the record leaves of one seal in leaf order (without its
    manifest leaf).
    """
    if list(sealed) == list(recomputed):
        return RecordChanges()
    if sealed and recomputed and not set(sealed) & set(recomputed):
        return RecordChanges(foreign=True)

    positions: dict[bytes, deque[int]] = defaultdict(deque)
    for index, value in enumerate(sealed):
        positions[value].append(index)
    matched: list[tuple[int, int]] = []  # (row, sealed index)
    new_rows: list[int] = []
    for row, value in enumerate(recomputed):
        if positions.get(value):
            matched.append((row, positions[value].popleft()))
        else:
            new_rows.append(row)
    gone = sorted(i for queue in positions.values() for i in queue)

    edits = min(len(new_rows), len(gone))
    return RecordChanges(
        edited=tuple(_id(ids, row) for row in new_rows[:edits]),
        inserted=tuple(_id(ids, row) for row in new_rows[edits:]),
        deleted=_deleted_names(gone[edits:], matched, ids),
        reordered=tuple(_id(ids, row) for row in _moved(matched)),
    )


def _moved(matched: list[tuple[int, int]]) -> list[int]:
    """Rows outside a longest increasing run of sealed positions."""
    tails: list[int] = []
    tail_rows: list[int] = []
    parent: dict[int, int] = {}
    for row, sealed_index in matched:
        slot = bisect.bisect_left(tails, sealed_index)
        if slot == len(tails):
            tails.append(sealed_index)
            tail_rows.append(row)
        else:
            tails[slot] = sealed_index
            tail_rows[slot] = row
        if slot:
            parent[row] = tail_rows[slot - 1]
    keep: set[int] = set()
    row_or_none = tail_rows[-1] if tail_rows else None
    while row_or_none is not None:
        keep.add(row_or_none)
        row_or_none = parent.get(row_or_none)
    return [row for row, _ in matched if row not in keep]


def _deleted_names(
    gone: Sequence[int], matched: list[tuple[int, int]], ids: Sequence[str]
) -> tuple[str, ...]:
    """Name each deleted leaf by the record still present just before it."""
    by_sealed = {sealed_index: row for row, sealed_index in matched}
    present = sorted(by_sealed)
    names = []
    for index in gone:
        slot = bisect.bisect_left(present, index)
        before = by_sealed[present[slot - 1]] if slot else None
        after = "first record" if before is None else f"after {_id(ids, before)}"
        names.append(f"leaf {index} of the day ({after})")
    return tuple(names)


def _id(ids: Sequence[str], row: int) -> str:
    return str(ids[row]) if row < len(ids) and ids[row] else f"row {row}"


def _named(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMED])
    more = len(names) - _NAMED
    return shown + (f" and {more} more" if more > 0 else "")
