"""Property tests: how a records file differs from its sealed leaves."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from ledgerlens.verification._records import compare_record_leaves


def _day(count: int) -> tuple[list[bytes], list[str]]:
    ids = [f"r-{n:04d}" for n in range(count)]
    return [hashlib.sha256(i.encode()).digest() for i in ids], ids


@given(st.integers(min_value=1, max_value=60))
def test_an_untouched_day_has_no_changes(count: int) -> None:
    sealed, ids = _day(count)

    assert not compare_record_leaves(sealed, list(sealed), ids).any


@given(st.permutations(list(range(30))))
def test_a_reordering_is_only_a_reordering(order: list[int]) -> None:
    sealed, ids = _day(30)
    rows = [sealed[i] for i in order]

    changes = compare_record_leaves(sealed, rows, [ids[i] for i in order])

    assert not (changes.edited or changes.inserted or changes.deleted)
    assert bool(changes.reordered) == (order != sorted(order))
    # The records left in place keep their relative order.
    kept = [i for i in order if ids[i] not in changes.reordered]
    assert kept == sorted(kept)


@given(st.sets(st.integers(min_value=0, max_value=39), min_size=1, max_size=10))
def test_deleted_rows_are_counted_and_nothing_else(gone: set[int]) -> None:
    sealed, ids = _day(40)
    kept = [i for i in range(40) if i not in gone]

    changes = compare_record_leaves(
        sealed, [sealed[i] for i in kept], [ids[i] for i in kept]
    )

    assert len(changes.deleted) == len(gone)
    assert not (changes.edited or changes.inserted or changes.reordered)
    assert all(name.startswith("leaf ") for name in changes.deleted)
    # Each is named by the nearest record still present before it.
    for index, name in zip(sorted(gone), changes.deleted, strict=True):
        before = [i for i in kept if i < index]
        after = f"after {ids[before[-1]]}" if before else "first record"
        assert name == f"leaf {index} of the day ({after})"


@given(st.sets(st.integers(min_value=0, max_value=39), min_size=1, max_size=10))
def test_edited_rows_are_named_by_their_ids(edited: set[int]) -> None:
    sealed, ids = _day(40)
    rows = [
        hashlib.sha256(b"edited" + sealed[i]).digest() if i in edited else sealed[i]
        for i in range(40)
    ]

    changes = compare_record_leaves(sealed, rows, ids)

    assert set(changes.edited) == {ids[i] for i in edited}
    assert not (changes.inserted or changes.deleted or changes.reordered)


@given(st.integers(min_value=0, max_value=40), st.integers(min_value=1, max_value=5))
def test_inserted_rows_are_named(at: int, count: int) -> None:
    sealed, ids = _day(40)
    extra = [hashlib.sha256(b"new%d" % n).digest() for n in range(count)]
    names = [f"new-{n}" for n in range(count)]

    changes = compare_record_leaves(
        sealed, sealed[:at] + extra + sealed[at:], ids[:at] + names + ids[at:]
    )

    assert list(changes.inserted) == names
    assert not (changes.edited or changes.deleted or changes.reordered)


def test_a_file_of_another_day_is_foreign() -> None:
    sealed, ids = _day(10)
    other, other_ids = _day(20)

    changes = compare_record_leaves(sealed, other[10:], other_ids[10:])

    assert changes.foreign
    assert "holds none of the records sealed" in changes.messages("2026-11-24")[0]
