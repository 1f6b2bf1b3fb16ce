"""Checkpoint notes: exact text, round trips, strict refusal of anything else."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerlens.errors import IntegrityError
from ledgerlens.integrity.checkpoint import MAX_NOTE_BYTES, Checkpoint

ROOT = hashlib.sha256(b"root").digest()
PREV_ROOT = hashlib.sha256(b"previous").digest()
ROOT_B64 = base64.b64encode(ROOT).decode()
PREV_B64 = base64.b64encode(PREV_ROOT).decode()


def checkpoint(**changes: Any) -> Checkpoint:
    fields: dict[str, Any] = {
        "origin": "ledgerlens.example/store-7f3a",
        "tree_size": 1042,
        "root": ROOT,
        "seal_seq": 12,
        "date": dt.date(2025, 3, 14),
        "day_tz": "Europe/Paris",
        "prev_size": 1001,
        "prev_root": PREV_ROOT,
    }
    fields.update(changes)
    return Checkpoint(**fields)


GOOD_NOTE = (
    "ledgerlens.example/store-7f3a\n"
    "1042\n"
    f"{ROOT_B64}\n"
    "ledgerlens-seal 12 2025-03-14\n"
    "ledgerlens-day-tz Europe/Paris\n"
    f"ledgerlens-prev 1001 {PREV_B64}\n"
).encode()


def test_note_text_is_exact() -> None:
    assert checkpoint().to_note() == GOOD_NOTE


def test_first_seal_has_no_prev_line() -> None:
    first = checkpoint(prev_size=None, prev_root=None, seal_seq=0, tree_size=0)

    assert (
        first.to_note()
        == (
            "ledgerlens.example/store-7f3a\n"
            "0\n"
            f"{ROOT_B64}\n"
            "ledgerlens-seal 0 2025-03-14\n"
            "ledgerlens-day-tz Europe/Paris\n"
        ).encode()
    )
    assert Checkpoint.parse(first.to_note()) == first


def test_parse_reads_back_every_field() -> None:
    parsed = Checkpoint.parse(GOOD_NOTE)

    assert parsed == checkpoint()
    assert parsed.root == ROOT
    assert parsed.prev_root == PREV_ROOT
    assert parsed.date == dt.date(2025, 3, 14)


@given(
    origin=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E).filter(
            lambda c: c != "+"
        ),
        min_size=1,
        max_size=40,
    ),
    size=st.integers(0, 2**63 - 1),
    root=st.binary(min_size=32, max_size=32),
    seal_seq=st.integers(0, 10**6),
    date=st.dates(),
    tz=st.sampled_from(
        ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5"]
    ),
    prev=st.none()
    | st.tuples(st.integers(0, 100), st.binary(min_size=32, max_size=32)),
)
def test_round_trip(
    origin: str,
    size: int,
    root: bytes,
    seal_seq: int,
    date: dt.date,
    tz: str,
    prev: tuple[int, bytes] | None,
) -> None:
    prev_size, prev_root = prev if prev is not None else (None, None)
    if prev_size is not None:
        prev_size = min(prev_size, size)
    original = Checkpoint(origin, size, root, seal_seq, date, tz, prev_size, prev_root)

    assert Checkpoint.parse(original.to_note()) == original


def _edit(old: str, new: str) -> bytes:
    assert old.encode() in GOOD_NOTE
    return GOOD_NOTE.replace(old.encode(), new.encode(), 1)


MALFORMED = {
    "no final newline": GOOD_NOTE[:-1],
    "blank line at end": GOOD_NOTE + b"\n",
    "signature block": GOOD_NOTE + "\n— ledgerlens.example abc=\n".encode(),
    "crlf": GOOD_NOTE.replace(b"\n", b"\r\n"),
    "empty": b"",
    "three lines only": b"\n".join(GOOD_NOTE.split(b"\n")[:3]) + b"\n",
    "extra extension": GOOD_NOTE + b"ledgerlens-extra 1\n",
    "lines swapped": _edit(
        "ledgerlens-seal 12 2025-03-14\nledgerlens-day-tz Europe/Paris\n",
        "ledgerlens-day-tz Europe/Paris\nledgerlens-seal 12 2025-03-14\n",
    ),
    "leading zero size": _edit("\n1042\n", "\n01042\n"),
    "signed size": _edit("\n1042\n", "\n+1042\n"),
    "negative size": _edit("\n1042\n", "\n-1\n"),
    "size too large": _edit("\n1042\n", "\n9223372036854775808\n"),
    "hex root": _edit(ROOT_B64, ROOT.hex()),
    "short root": _edit(ROOT_B64, base64.b64encode(ROOT[:31]).decode()),
    "unpadded root": _edit(ROOT_B64, ROOT_B64.rstrip("=")),
    "urlsafe root": _edit(ROOT_B64, base64.urlsafe_b64encode(ROOT).decode()),
    "bad date": _edit("2025-03-14", "2025-02-30"),
    "short date": _edit("2025-03-14", "2025-3-14"),
    "compact date": _edit("2025-03-14", "20250314"),
    "seq leading zero": _edit("seal 12 ", "seal 012 "),
    "double space": _edit("seal 12 ", "seal  12 "),
    "trailing space": _edit("Europe/Paris\n", "Europe/Paris \n"),
    "tz with space": _edit("Europe/Paris", "Europe/Pa ris"),
    "origin with space": _edit("store-7f3a", "store 7f3a"),
    "origin with plus": _edit("store-7f3a", "store+7f3a"),
    "empty origin": b"\n" + GOOD_NOTE.split(b"\n", 1)[1],
    "non ascii": _edit("store-7f3a", "store-7f3á"),
    "control character": _edit("store-7f3a", "store-7f3a\x07"),
    "prev larger": _edit("ledgerlens-prev 1001", "ledgerlens-prev 2000"),
    "prev without root": _edit(f"1001 {PREV_B64}", "1001"),
    "wrong keyword": _edit("ledgerlens-prev", "ledgerlens-previous"),
    "oversized": GOOD_NOTE + b"x" * MAX_NOTE_BYTES,
}


@pytest.mark.parametrize("note", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_notes_are_refused(note: bytes) -> None:
    with pytest.raises(IntegrityError, match="invalid checkpoint") as caught:
        Checkpoint.parse(note)

    assert "\n" not in caught.value.one_line()
    assert caught.value.remedy


@pytest.mark.parametrize(
    "changes",
    [
        {"origin": ""},
        {"origin": "has space"},
        {"tree_size": -1},
        {"tree_size": True},
        {"root": ROOT[:16]},
        {"root": ROOT.hex()},
        {"seal_seq": 1.5},
        {"date": dt.datetime(2025, 3, 14)},
        {"date": "2025-03-14"},
        {"day_tz": ""},
        {"prev_size": None},
        {"prev_root": None},
        {"prev_size": 2000},
        {"prev_root": b"short"},
    ],
)
def test_invalid_fields_are_refused_at_construction(changes: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError, match="invalid checkpoint"):
        checkpoint(**changes)


def test_parse_refuses_text() -> None:
    with pytest.raises(IntegrityError, match="must be bytes"):
        Checkpoint.parse(GOOD_NOTE.decode())  # type: ignore[arg-type]
