"""Finding the input files of a run, and reading them back exactly as hashed.

``discover_sources`` turns the ``--logs`` argument (a file, a directory or a
glob) into :class:`SourceFile` values, hashing each file as it streams it.
Adapters then read a file with :func:`read_exact` or :func:`iter_lines`, which
read no more than the hashed size and fail if the bytes no longer match the
hash, so a record can always be traced to the bytes recorded for its file.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final

from ledgerlens.errors import IngestError, StartError
from ledgerlens.ingest.interface import SourceFile

__all__ = ["discover_sources", "iter_lines", "read_exact"]

logger = logging.getLogger(__name__)

_CHUNK: Final = 1 << 20
_GLOB_MAGIC: Final = frozenset("*?[")
_REMEDY: Final = "point --logs at a log file, a directory of logs or a glob"


def discover_sources(logs: str | Path) -> list[SourceFile]:
    """The files named by ``logs``, each with its SHA-256 and size.

    ``logs`` is a file, a directory (searched recursively, skipping hidden files
    and directories, sorted by relative path) or a glob pattern (``**`` allowed,
    hidden matches skipped, sorted). Raises :class:`StartError` when it names no
    regular file, or when a file it names cannot be read: an audit must not
    silently leave out an input.
    """
    paths = _expand(logs)
    if not paths:
        msg = f"no log files found at `{logs}`"
        raise StartError(msg, remedy=_REMEDY)

    sources = [_describe(path) for path in paths]
    logger.info("found %d source file(s), %d bytes", len(sources), _total(sources))
    return sources


def read_exact(source: SourceFile) -> bytes:
    """The whole file, checked against its recorded size and SHA-256."""
    with _open(source) as handle:
        data = handle.read(source.size + 1)
    if len(data) != source.size or hashlib.sha256(data).hexdigest() != source.sha256:
        raise _changed(source)
    return data


def iter_lines(source: SourceFile) -> Iterator[tuple[int, bytes, bool]]:
    """Yield ``(offset, line, terminated)`` for each line of the hashed bytes.

    ``line`` excludes its terminator (``\\n`` or ``\\r\\n``); ``terminated`` is
    false only for a last line with no newline. Bytes appended to the file after
    it was hashed are not read; if the bytes read differ from the hash, the
    iteration ends with :class:`IngestError`.
    """
    digest = hashlib.sha256()
    offset = 0
    with _open(source) as handle:
        for line in handle:
            if offset + len(line) > source.size:
                line = line[: source.size - offset]
            digest.update(line)
            terminated = line.endswith(b"\n")
            body = line[:-1] if terminated else line
            if terminated and body.endswith(b"\r"):
                body = body[:-1]
            yield offset, body, terminated
            offset += len(line)
            if offset >= source.size:
                break
    if offset != source.size or digest.hexdigest() != source.sha256:
        raise _changed(source)


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
    found: list[Path] = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if not d.startswith(".")]
        for name in files:
            candidate = Path(directory, name)
            if not name.startswith(".") and candidate.is_file():
                found.append(candidate)
    return sorted(found, key=lambda p: p.relative_to(root).parts)


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
