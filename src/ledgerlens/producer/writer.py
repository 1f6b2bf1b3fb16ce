"""Append units of one producer chain to a canonical JSONL file.

Each unit is written as one line: the RFC 8785 canonical JSON of the record
with ``chain_id``, ``chain_seq``, ``chain_prev`` and ``chain_hash`` set by
:func:`ledgerlens.integrity.chain.link`, then ``\\n``.

Flush and fsync policy
----------------------
* every line is written whole and flushed to the operating system at once, so
  another process (a log shipper) sees complete lines only;
* the file is fsynced every ``fsync_every`` lines (default 100) and on
  :meth:`ChainWriter.close`.

What survives a crash: a process crash loses nothing that :meth:`append`
returned from (the OS holds it). A machine crash or power cut may lose the
lines written since the last fsync, and may leave the last line torn (cut
mid-way, no newline). Lost whole lines are harmless for the chain: the next
run resumes from the last line that reached the disk, and nothing links to the
lost ones. A verifier holding a later tip (``verify-chain --expect-tips``)
reports the loss as a truncation.

Resuming
--------
:meth:`ChainWriter.open` reads only the tail of the file to find the chain's
last unit (its seq and hash) and continues from there. A torn last line is
never continued silently: opening raises :class:`TornLineError`, naming the
byte offset. ``repair=True`` moves the torn bytes, unchanged, to
``<file>.torn-<offset>`` (so nothing is destroyed) and truncates the file to
its last whole line before continuing.

One writer per chain and file: two processes appending to one file would
interleave and fork the chain.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

import orjson

from ledgerlens.errors import IntegrityError
from ledgerlens.integrity.chain import GENESIS_PREV, ChainTip, link
from ledgerlens.integrity.jcs import canonicalize

__all__ = ["ChainWriter", "TornLineError", "read_tip"]

logger = logging.getLogger(__name__)

_BLOCK: Final = 1 << 16


class TornLineError(IntegrityError):
    """The file ends with a line cut mid-way; the chain cannot resume blindly."""


class ChainWriter:
    """Appends chained units of ``chain_id`` to ``path`` (see the module doc)."""

    def __init__(
        self, handle: IO[bytes], chain_id: str, tip: ChainTip | None, fsync_every: int
    ) -> None:
        """Use :meth:`open`; this takes an already positioned append handle."""
        self._handle = handle
        self.chain_id = chain_id
        self._tip = tip
        self._fsync_every = max(1, fsync_every)
        self.unsynced = 0

    @classmethod
    def open(
        cls,
        path: Path,
        chain_id: str,
        *,
        fsync_every: int = 100,
        repair: bool = False,
    ) -> ChainWriter:
        """Open ``path`` for appending, resuming ``chain_id`` from its last unit."""
        path = Path(path)
        if path.exists():
            _check_tail(path, repair)
        tip = read_tip(path, chain_id) if path.exists() else None
        handle = path.open("ab")
        logger.info(
            "chain %s resumes at seq %s", chain_id, "start" if tip is None else tip.seq
        )
        return cls(handle, chain_id, tip, fsync_every)

    @property
    def tip(self) -> ChainTip | None:
        """The last unit written (or found when resuming), or ``None``."""
        return self._tip

    def append(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Chain ``record`` after the tip, write it as one line, return the unit."""
        seq = 0 if self._tip is None else self._tip.seq + 1
        prev = GENESIS_PREV if self._tip is None else self._tip.hash
        unit = link(record, self.chain_id, prev, seq)
        self._handle.write(canonicalize(unit) + b"\n")
        self._handle.flush()
        self._tip = ChainTip(seq, unit["chain_hash"])

        self.unsynced += 1
        if self.unsynced >= self._fsync_every:
            self.sync()
        return unit

    def sync(self) -> None:
        """Make every line written so far durable."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.unsynced = 0

    def close(self) -> None:
        """Sync and close the file."""
        if not self._handle.closed:
            self.sync()
            self._handle.close()

    def __enter__(self) -> ChainWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def read_tip(path: Path, chain_id: str) -> ChainTip | None:
    """The seq and hash of the last whole unit of ``chain_id`` in ``path``.

    Reads the file backwards in 64 KiB blocks and stops at the first line of
    that chain, so resuming costs the same for a small file and a huge one.
    """
    with Path(path).open("rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        carry = b""
        while end > 0:
            start = max(0, end - _BLOCK)
            handle.seek(start)
            block = handle.read(end - start) + carry
            lines = block.split(b"\n")
            # The first piece may be the end of a longer line: keep it for later.
            carry = lines[0] if start > 0 else b""
            for line in reversed(lines if start == 0 else lines[1:]):
                tip = _tip_of(line, chain_id)
                if tip is not None:
                    return tip
            end = start
    return None


def _tip_of(line: bytes, chain_id: str) -> ChainTip | None:
    if not line.strip():
        return None
    try:
        unit = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(unit, dict) or unit.get("chain_id") != chain_id:
        return None
    return ChainTip.from_json(
        {"seq": unit.get("chain_seq"), "hash": unit.get("chain_hash")}
    )


def _check_tail(path: Path, repair: bool) -> None:
    """Refuse (or, asked to, set aside) a last line that has no newline."""
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        offset = _last_newline(handle, size) + 1
    if not repair:
        msg = f"{path} ends with a torn line at byte {offset} (no newline)"
        raise TornLineError(
            msg, remedy="inspect it, then reopen with repair=True to set it aside"
        )
    data = path.read_bytes()[offset:]
    side = path.with_name(f"{path.name}.torn-{offset}")
    side.write_bytes(data)
    with path.open("r+b") as handle:
        handle.truncate(offset)
        handle.flush()
        os.fsync(handle.fileno())
    logger.warning("moved a torn line of %d bytes from %s to %s", len(data), path, side)


def _last_newline(handle: IO[bytes], size: int) -> int:
    """Offset of the last ``\\n`` before ``size``, or -1."""
    end = size
    while end > 0:
        start = max(0, end - _BLOCK)
        handle.seek(start)
        found = handle.read(end - start).rfind(b"\n")
        if found >= 0:
            return start + found
        end = start
    return -1
