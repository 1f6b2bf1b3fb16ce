"""Finding the input files of a run, and reading them back exactly as hashed.

``discover_sources`` turns the ``--logs`` argument (a file, a directory or a
glob) into :class:`SourceFile` values, hashing each file as it streams it.
Adapters then read a file with :func:`read_exact` or :func:`iter_lines`, which
read no more than the hashed size and fail if the bytes no longer match the
hash, so a record can always be traced to the bytes recorded for its file.
"""

from __future__ import annotations

import contextlib
import glob
import gzip
import hashlib
import io
import logging
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, Final, cast

import zstandard

from ledgerlens.errors import IngestError, StartError
from ledgerlens.ingest.interface import SourceFile
from ledgerlens.ingest.s3 import S3Options, discover_s3, is_s3_uri

__all__ = [
    "COMPRESSIONS",
    "check_unchanged",
    "compression_of",
    "discover_sources",
    "iter_lines",
    "open_decoded",
    "read_exact",
]

logger = logging.getLogger(__name__)

_CHUNK: Final = 1 << 20
# Magic bytes of the compressions read transparently: a compressed file is
# hashed as stored, and its units are read from the decompressed bytes.
_BOM: Final = b"\xef\xbb\xbf"
COMPRESSIONS: Final = {b"\x1f\x8b": "gzip", b"\x28\xb5\x2f\xfd": "zstd"}
_GLOB_MAGIC: Final = frozenset("*?[")
_REMEDY: Final = "point --logs at a log file, a directory of logs or a glob"


def discover_sources(
    logs: str | Path, s3_options: S3Options | None = None
) -> list[SourceFile]:
    """The files named by ``logs``, each with its SHA-256 and size.

    ``logs`` is a file, a directory (searched recursively, skipping hidden files
    and directories, sorted by relative path), a glob pattern (``**`` allowed,
    hidden matches skipped, sorted) or ``s3://bucket/prefix`` (see
    :mod:`ledgerlens.ingest.s3`). Raises :class:`StartError` when it names no
    regular file, or when a file it names cannot be read: an audit must not
    silently leave out an input.
    """
    if is_s3_uri(logs):
        return discover_s3(str(logs), s3_options)
    paths = _once(_expand(logs))
    if not paths:
        msg = f"no log files found at `{logs}`"
        raise StartError(msg, remedy=_REMEDY)

    sources = [_describe(path) for path in paths]
    logger.info("found %d source file(s), %d bytes", len(sources), _total(sources))
    return sources


def read_exact(source: SourceFile) -> bytes:
    """The whole file, checked against its size and SHA-256, decompressed."""
    with _open(source) as handle:
        data = handle.read(source.size + 1)
    if len(data) != source.size or hashlib.sha256(data).hexdigest() != source.sha256:
        raise _changed(source)
    kind = compression_of(data[:4])
    if kind is None:
        return data
    try:
        return _decompress(kind, data)
    except (OSError, EOFError, ValueError, zlib.error, zstandard.ZstdError) as exc:
        raise _corrupt(source, kind) from exc


def check_unchanged(source: SourceFile) -> None:
    """Raise :class:`IngestError` unless the file still has its recorded hash."""
    digest = hashlib.sha256()
    with _open(source) as handle:
        remaining = source.size
        while remaining > 0 and (chunk := handle.read(min(_CHUNK, remaining))):
            digest.update(chunk)
            remaining -= len(chunk)
    if remaining != 0 or digest.hexdigest() != source.sha256:
        raise _changed(source)


def compression_of(head: bytes) -> str | None:
    """``gzip`` or ``zstd`` when ``head`` starts with their magic bytes."""
    for magic, kind in COMPRESSIONS.items():
        if head.startswith(magic):
            return kind
    return None


@contextlib.contextmanager
def open_decoded(source: SourceFile) -> Iterator[BinaryIO]:
    """The file's bytes, decompressed when gzip or zstd (no hash check)."""
    with _open(source) as handle:
        buffered = io.BufferedReader(_Limited(handle, source.size, None), _CHUNK)
        yield _decoder(buffered)


def iter_lines(source: SourceFile) -> Iterator[tuple[int, bytes, bool]]:
    """Yield ``(offset, line, terminated)`` for each line of the hashed bytes.

    ``line`` excludes its terminator (``\\n`` or ``\\r\\n``); ``terminated`` is
    false only for a last line with no newline. A gzip or zstd file is read
    decompressed, and ``offset`` is then the offset in the decompressed bytes.
    Bytes appended to the file after it was hashed are not read; if the bytes
    read differ from the hash, the iteration ends with :class:`IngestError`.
    """
    digest = hashlib.sha256()
    with _open(source) as handle:
        limited = _Limited(handle, source.size, digest)
        buffered = io.BufferedReader(limited, _CHUNK)
        kind = compression_of(buffered.peek(4)[:4])
        stream = _decoder(buffered)
        offset = 0
        try:
            for line in stream:
                if offset == 0 and line.startswith(_BOM):
                    # A byte-order mark belongs to the file, not to its first
                    # unit: the same line with or without it is one record.
                    offset, line = len(_BOM), line[len(_BOM) :]
                terminated = line.endswith(b"\n")
                body = line[:-1] if terminated else line
                if terminated and body.endswith(b"\r"):
                    body = body[:-1]
                yield offset, body, terminated
                offset += len(line)
        except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
            raise _corrupt(source, kind or "stream") from exc
        while limited.read(_CHUNK):
            pass  # hash what the decoder did not need (a trailer, padding)
    if limited.consumed != source.size or digest.hexdigest() != source.sha256:
        raise _changed(source)


class _Limited(io.RawIOBase):
    """A raw reader of at most ``size`` bytes of ``handle``, hashing them."""

    def __init__(self, handle: BinaryIO, size: int, digest: Any) -> None:
        self.handle = handle
        self.remaining = size
        self.consumed = 0
        self.digest = digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        if self.remaining <= 0:
            return 0
        wanted = min(len(view), self.remaining)
        data = self.handle.read(wanted)
        view[: len(data)] = data
        self.remaining -= len(data)
        self.consumed += len(data)
        if self.digest is not None:
            self.digest.update(data)
        return len(data)


def _decoder(buffered: Any) -> BinaryIO:
    kind = compression_of(buffered.peek(4)[:4])
    if kind == "gzip":
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    if kind == "zstd":
        return cast(BinaryIO, io.BufferedReader(_ZstdFrames(buffered), _CHUNK))
    return cast(BinaryIO, buffered)


class _ZstdFrames(io.RawIOBase):
    """Decompressed bytes of one or more zstd frames; a cut frame is an error.

    zstandard's own stream reader ends quietly at a frame cut short, which
    would read a truncated file as fewer records (or none) without a word.
    """

    def __init__(self, compressed: Any) -> None:
        self.compressed = compressed
        self.frame = zstandard.ZstdDecompressor().decompressobj()
        self.in_frame = False
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        while not self.pending:
            chunk = self.compressed.read(_CHUNK)
            if not chunk:
                if self.in_frame:
                    raise zstandard.ZstdError("the last zstd frame is cut short")
                return 0
            self.pending = self._feed(chunk)
        size = min(len(view), len(self.pending))
        view[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size

    def _feed(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            self.in_frame = True
            out.append(self.frame.decompress(chunk))
            if not self.frame.eof:
                break
            chunk = self.frame.unused_data
            self.frame = zstandard.ZstdDecompressor().decompressobj()
            self.in_frame = False
        return b"".join(out)


def _decompress(kind: str, data: bytes) -> bytes:
    if kind == "gzip":
        return gzip.decompress(data)
    with io.BufferedReader(_ZstdFrames(io.BytesIO(data)), _CHUNK) as reader:
        return reader.read()


def _corrupt(source: SourceFile, kind: str) -> IngestError:
    msg = f"log file `{source.path}` is not a complete {kind} stream"
    return IngestError(msg, remedy="re-copy the file, or decompress what can be read")


def _expand(logs: str | Path) -> list[Path]:
    text = str(logs)
    path = Path(text).expanduser()
    if path.is_file():
        return [path]
    if path.is_dir():
        return _walk(path)
    if _GLOB_MAGIC.intersection(text):
        matches = glob.glob(str(path), recursive=True)
        files = [Path(m) for m in matches if Path(m).is_file() and not _hidden(m)]
        return sorted(files, key=lambda p: p.parts)
    return []


def _walk(root: Path) -> list[Path]:
    """Every non-hidden file below ``root``; anything that cannot be read stops.

    An unreadable folder, a broken link or a link loop would otherwise drop its
    files from the audit without a word.
    """
    found: list[Path] = []
    seen_dirs: set[str] = set()

    def refuse(error: OSError) -> None:
        msg = f"cannot read the folder `{error.filename}` ({error.strerror})"
        raise StartError(msg, remedy="fix its permissions, or move it out of --logs")

    for directory, subdirs, files in os.walk(root, onerror=refuse, followlinks=True):
        real = os.path.realpath(directory)
        if real in seen_dirs:
            msg = f"the folder `{directory}` links back to `{real}` (a loop)"
            raise StartError(msg, remedy="remove the link from --logs")
        seen_dirs.add(real)
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for name in files:
            candidate = Path(directory, name)
            if name.startswith("."):
                continue
            if not candidate.is_file():
                msg = f"`{candidate}` is not a readable file (a broken link?)"
                raise StartError(msg, remedy="fix or remove it from --logs")
            found.append(candidate)
    return sorted(found, key=lambda p: p.relative_to(root).parts)


def _once(paths: list[Path]) -> list[Path]:
    """Each file once: a link to a file already listed would double its records."""
    seen: dict[str, Path] = {}
    kept = []
    for path in paths:
        real = os.path.realpath(path)
        if real in seen:
            logger.warning(
                "%s is the file %s again (a link): read once", path, seen[real]
            )
            continue
        seen[real] = path
        kept.append(path)
    return kept


def _hidden(match: str) -> bool:
    # glob's wildcards already skip hidden names; this also drops a hidden file
    # that a pattern such as `logs/.?*` names on purpose or by accident.
    return Path(match).name.startswith(".")


def _describe(path: Path) -> SourceFile:
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        msg = f"cannot read log file `{path}`: {exc.strerror or type(exc).__name__}"
        raise StartError(msg, remedy="fix its permissions or remove it") from exc
    uri = path.absolute().as_uri()
    return SourceFile(uri=uri, path=path, sha256=digest.hexdigest(), size=size)


def _open(source: SourceFile) -> BinaryIO:
    try:
        return source.path.open("rb")
    except OSError as exc:
        msg = f"cannot open log file `{source.path}`: {exc.strerror}"
        raise IngestError(msg, remedy="check the file is still there") from exc


def _changed(source: SourceFile) -> IngestError:
    msg = f"log file `{source.path}` changed after it was hashed"
    return IngestError(msg, remedy="ingest a file that is no longer being written")


def _total(sources: list[SourceFile]) -> int:
    return sum(source.size for source in sources)
