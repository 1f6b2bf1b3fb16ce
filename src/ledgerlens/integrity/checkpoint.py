"""Checkpoints: the note text that commits to the store's log at one seal.

The note follows the C2SP ``tlog-checkpoint`` body (origin, tree size, base64
root hash, one per line) and adds three extension lines of our own::

    ledgerlens.example/store-7f3a
    1042
    <base64 root hash>
    ledgerlens-seal 12 2025-03-14
    ledgerlens-day-tz Europe/Paris
    ledgerlens-prev 1001 <base64 root hash>

``ledgerlens-prev`` names the checkpoint before this one and is absent for a
store's first seal. Every line ends with a newline, the note with exactly one.
The note is signed as a Sigstore bundle over these bytes (``ledgerlens.signing``),
so :meth:`Checkpoint.parse` accepts only the exact form :meth:`Checkpoint.to_note`
writes: any other spelling of the same values would be a second signable text.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Final, NoReturn

from ledgerlens.errors import IntegrityError
from ledgerlens.integrity.merkle import HASH_SIZE

__all__ = ["MAX_NOTE_BYTES", "Checkpoint"]

logger = logging.getLogger(__name__)

MAX_NOTE_BYTES: Final = 4096
_MAX_SIZE: Final = 2**63 - 1
_SEAL: Final = "ledgerlens-seal"
_DAY_TZ: Final = "ledgerlens-day-tz"
_PREV: Final = "ledgerlens-prev"
# C2SP recommends an origin without spaces or "+"; ours are always of that form.
_ORIGIN: Final = re.compile(r"[!-*,-~]{1,255}")
_DECIMAL: Final = re.compile(r"0|[1-9][0-9]{0,18}")
_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TZ: Final = re.compile(r"[A-Za-z0-9_+\-/]{1,64}")
_REMEDY: Final = (
    "the checkpoint file is damaged or was edited; fetch it again from the store"
)


@dataclass(frozen=True)
class Checkpoint:
    """One seal's commitment to the store's Merkle log.

    ``root`` is the RFC 9162 root of the first ``tree_size`` leaves; ``seal_seq``
    and ``date`` name the seal and the day it sealed, in the store's
    ``day_tz``; ``prev_size``/``prev_root`` repeat the previous checkpoint, or
    are both ``None`` for the first seal.
    """

    origin: str
    tree_size: int
    root: bytes
    seal_seq: int
    date: dt.date
    day_tz: str
    prev_size: int | None = None
    prev_root: bytes | None = None

    def __post_init__(self) -> None:
        _check_origin(self.origin)
        _check_count(self.tree_size, "tree size")
        _check_root(self.root, "root hash")
        _check_count(self.seal_seq, "seal sequence number")
        if type(self.date) is not dt.date:
            _fail("the seal date must be a `datetime.date`")
        if not _TZ.fullmatch(self.day_tz):
            _fail("the day time zone is not a time zone name")
        if (self.prev_size is None) != (self.prev_root is None):
            _fail("the previous size and root must be given together")
        if self.prev_size is not None and self.prev_root is not None:
            _check_count(self.prev_size, "previous tree size")
            _check_root(self.prev_root, "previous root hash")
            if self.prev_size > self.tree_size:
                _fail("the previous tree is larger than this one")

    def to_note(self) -> bytes:
        """The note text, exactly the bytes that are signed."""
        lines = [
            self.origin,
            str(self.tree_size),
            _b64(self.root),
            f"{_SEAL} {self.seal_seq} {self.date.isoformat()}",
            f"{_DAY_TZ} {self.day_tz}",
        ]
        if self.prev_size is not None and self.prev_root is not None:
            lines.append(f"{_PREV} {self.prev_size} {_b64(self.prev_root)}")
        return "".join(line + "\n" for line in lines).encode("ascii")

    @classmethod
    def parse(cls, note: bytes) -> Checkpoint:
        """Read a note written by :meth:`to_note`; anything else is rejected.

        Raises :class:`~ledgerlens.errors.IntegrityError` with a one-line reason.
        """
        lines = _split_lines(note)
        if len(lines) not in (5, 6):
            _fail(f"a checkpoint has 5 or 6 lines, this one {len(lines)}")
        seal_seq, date = _parse_seal(lines[3])
        prev_size, prev_root = (
            _parse_prev(lines[5]) if len(lines) == 6 else (None, None)
        )
        checkpoint = cls(
            origin=lines[0],
            tree_size=_parse_decimal(lines[1], "tree size"),
            root=_parse_root(lines[2], "root hash"),
            seal_seq=seal_seq,
            date=date,
            day_tz=_parse_field(lines[4], _DAY_TZ, 1)[0],
            prev_size=prev_size,
            prev_root=prev_root,
        )
        # Belt and braces: whatever was accepted must be the canonical text.
        if checkpoint.to_note() != note:
            _fail("the checkpoint is not in its canonical form")
        return checkpoint


def _split_lines(note: bytes) -> list[str]:
    if not isinstance(note, bytes):
        _fail("a checkpoint note must be bytes")
    if len(note) > MAX_NOTE_BYTES:
        _fail(f"the checkpoint is larger than {MAX_NOTE_BYTES} bytes")
    try:
        text = note.decode("ascii")
    except UnicodeDecodeError:
        _fail("the checkpoint holds bytes outside printable ASCII")
    if not text.endswith("\n"):
        _fail("the checkpoint does not end with a newline")
    lines = text[:-1].split("\n")
    for number, line in enumerate(lines, start=1):
        if not line:
            _fail(f"line {number} of the checkpoint is empty")
        if not line.isprintable():
            _fail(f"line {number} of the checkpoint holds a control character")
    return lines


def _parse_field(line: str, keyword: str, count: int) -> list[str]:
    """The ``count`` values after ``keyword`` on one extension line."""
    words = line.split(" ")
    if words[0] != keyword or len(words) != count + 1 or not all(words):
        _fail(f"expected a `{keyword}` line with {count} value(s)")
    return words[1:]


def _parse_seal(line: str) -> tuple[int, dt.date]:
    seq_text, date_text = _parse_field(line, _SEAL, 2)
    if not _DATE.fullmatch(date_text):
        _fail("the seal date is not YYYY-MM-DD")
    try:
        date = dt.date.fromisoformat(date_text)
    except ValueError:
        _fail("the seal date is not a calendar date")
    return _parse_decimal(seq_text, "seal sequence number"), date


def _parse_prev(line: str) -> tuple[int, bytes]:
    size_text, root_text = _parse_field(line, _PREV, 2)
    size = _parse_decimal(size_text, "previous tree size")
    return size, _parse_root(root_text, "previous root hash")


def _parse_decimal(text: str, what: str) -> int:
    if not _DECIMAL.fullmatch(text) or int(text) > _MAX_SIZE:
        _fail(f"the {what} is not a decimal number without leading zeros")
    return int(text)


def _parse_root(text: str, what: str) -> bytes:
    try:
        root = base64.b64decode(text, validate=True)
    except binascii.Error:
        _fail(f"the {what} is not standard base64")
    if len(root) != HASH_SIZE or _b64(root) != text:
        _fail(f"the {what} is not a base64 {HASH_SIZE}-byte hash")
    return root


def _check_origin(origin: object) -> None:
    if not isinstance(origin, str) or not _ORIGIN.fullmatch(origin):
        _fail("the origin must be 1-255 printable ASCII characters, no space or +")


def _check_count(value: object, what: str) -> None:
    if type(value) is not int or not 0 <= value <= _MAX_SIZE:
        _fail(f"the {what} must be an integer from 0 to 2**63-1")


def _check_root(value: object, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        _fail(f"the {what} must be {HASH_SIZE} bytes")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _fail(message: str) -> NoReturn:
    raise IntegrityError(f"invalid checkpoint: {message}", remedy=_REMEDY)
