"""The store's exclusive lock: one writer at a time, across processes."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ledgerlens.errors import StoreError

__all__ = ["store_lock"]


@contextmanager
def store_lock(root: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold ``STORE/.lock`` exclusively for the duration of the block.

    Without ``wait`` a held lock is an error that names the holder's pid, so two
    nightly runs never seal the same store at once and neither blocks forever.
    """
    path = root / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            msg = f"the store {root} is locked by another run (pid {holder})"
            raise StoreError(msg, remedy="wait for it to finish and retry") from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
