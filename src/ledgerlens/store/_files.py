"""Small durable-file helpers: hashing while writing, fsync, atomic placement."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "file_sha256",
    "fsync_dir",
    "fsync_file",
    "write_bytes_durably",
    "write_chunks_durably",
    "write_json_durably",
]

_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_bytes_durably(path: Path, data: bytes) -> str:
    """Write ``data`` to a new file, fsync it, and return its hex SHA-256."""
    return write_chunks_durably(path, [data])


def write_chunks_durably(path: Path, chunks: Iterable[bytes]) -> str:
    """Write ``chunks`` as they come to a new file, fsync it, return its SHA-256."""
    digest = hashlib.sha256()
    with path.open("xb") as handle:
        for chunk in chunks:
            digest.update(chunk)
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
    return digest.hexdigest()


def write_json_durably(path: Path, value: Any) -> str:
    """Write ``value`` as indented JSON (sorted keys) and return its SHA-256."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return write_bytes_durably(path, text.encode("utf-8"))


def fsync_file(path: Path) -> None:
    """Make a file written by another library durable."""
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (renames, new files) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
