"""``verify-chain``: check producer hash chains in canonical JSONL files.

Files are read line by line (a folder: every ``*.jsonl`` under it, in sorted
order of their paths) and every unit is handed to
:class:`~ledgerlens.integrity.chain.ChainVerifier`, which sorts what it finds
into edits, deletions, insertions, reorderings, forks and truncations, each
located by chain id, ``chain_seq`` and ``file:line``.

Two kinds of line never reach the verifier and are reported here:

* a last line with no newline that does not parse is a *torn* line (a writer
  stopped mid-way, or the file was cut). When its visible prefix still shows
  ``chain_id`` and ``chain_seq`` (canonical JSON puts them near the front),
  the chain is reported as truncated at that seq;
* any other line that does not parse, or lacks the chain fields, is
  *unreadable*: it is named by file and line only.

Nothing of a unit's content is ever reported, only ids, seqs and places.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from ledgerlens.errors import StartError
from ledgerlens.integrity.chain import (
    ChainProblem,
    ChainTip,
    ChainVerdict,
    ChainVerifier,
)

__all__ = ["ChainFileReport", "LineProblem", "chain_files", "verify_chain_files"]

logger = logging.getLogger(__name__)

_CHAIN_ID: Final = re.compile(rb'"chain_id":"((?:[^"\\]|\\.)*)"')
_CHAIN_SEQ: Final = re.compile(rb'"chain_seq":(0|[1-9][0-9]*)[,}]')
_RECORD_ID: Final = re.compile(rb'"record_id":"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class LineProblem:
    """A line the chain verifier could not read: torn or unreadable."""

    kind: str
    where: str
    detail: str
    chain_id: str | None = None
    seq: int | None = None


@dataclass
class ChainFileReport:
    """Verdicts per chain plus lines that could not be read.

    ``record_ids`` maps a ``file:line`` named by a problem to the record id on
    that line, so a report can say which record is involved.
    """

    files: list[Path]
    verdicts: list[ChainVerdict]
    lines: list[LineProblem]
    record_ids: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every chain verifies and every line was read."""
        return not self.lines and all(v.ok for v in self.verdicts)


def chain_files(path: Path) -> list[Path]:
    """The files ``verify-chain`` reads: ``path`` itself or its sorted JSONL files."""
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(p for p in path.rglob("*.jsonl") if p.is_file())
    msg = f"{path} does not exist"
    raise StartError(msg, remedy="pass a JSONL file or a folder holding some")


def verify_chain_files(
    path: Path,
    *,
    start: Mapping[str, ChainTip] | None = None,
    expected_tips: Mapping[str, ChainTip] | None = None,
) -> ChainFileReport:
    """Verify every chain in the file or folder ``path``.

    ``start`` holds tips from before these files (a chain continued from an
    earlier day); ``expected_tips`` holds tips the chains are known to reach.
    """
    files = chain_files(path)
    if not files:
        msg = f"no .jsonl file under {path}"
        raise StartError(msg, remedy="pass a JSONL file or a folder holding some")
    base = path if path.is_dir() else path.parent
    verifier = ChainVerifier(start, expected_tips=expected_tips)
    lines: list[LineProblem] = []
    for file in files:
        name = file.relative_to(base).as_posix()
        for number, raw, torn in _lines(file):
            where = f"{name}:{number}"
            problem = _feed(verifier, raw, where, torn)
            if problem is not None:
                lines.append(problem)

    report = ChainFileReport(files, verifier.finish(), lines)
    report.record_ids = _record_ids(files, base, report.verdicts)
    logger.info("checked %d chains in %d files", len(report.verdicts), len(files))
    return report


def _lines(file: Path) -> Iterator[tuple[int, bytes, bool]]:
    """Each line with its number, and whether it is a last line with no newline."""
    with file.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            yield number, raw, not raw.endswith(b"\n")


def _feed(
    verifier: ChainVerifier, raw: bytes, where: str, torn: bool
) -> LineProblem | None:
    if not raw.strip():
        return None
    try:
        unit = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _unparsable(raw, where, torn)
    fields = _chain_fields(unit)
    if fields is None:
        return LineProblem(
            "unreadable",
            where,
            "the line has no valid chain_id/chain_seq/chain_prev/chain_hash fields",
        )
    verifier.add(*fields, unit, where)
    return None


def _chain_fields(unit: Any) -> tuple[str, int, str, str] | None:
    if not isinstance(unit, dict):
        return None
    chain_id, seq = unit.get("chain_id"), unit.get("chain_seq")
    prev, digest = unit.get("chain_prev"), unit.get("chain_hash")
    if not isinstance(chain_id, str) or type(seq) is not int or seq < 0:
        return None
    if not isinstance(prev, str) or not isinstance(digest, str):
        return None
    return chain_id, seq, prev, digest


def _unparsable(raw: bytes, where: str, torn: bool) -> LineProblem:
    if not torn:
        return LineProblem("unreadable", where, "the line is not valid JSON")
    chain_id = _visible(_CHAIN_ID, raw)
    seq_text = _visible(_CHAIN_SEQ, raw)
    seq = int(seq_text) if seq_text is not None else None
    if chain_id is not None and seq is not None:
        detail = (
            f"torn last line (no newline, not valid JSON): chain {chain_id} "
            f"ends at seq {seq}, which did not arrive whole"
        )
    else:
        detail = "torn last line (no newline, not valid JSON); its chain is not visible"
    return LineProblem("truncated", where, detail, chain_id, seq)


def _visible(pattern: re.Pattern[bytes], raw: bytes) -> str | None:
    """The first value ``pattern`` finds in a line's bytes (JSON string unescaped)."""
    match = pattern.search(raw)
    if match is None:
        return None
    if pattern is _CHAIN_SEQ:
        return match[1].decode("ascii")
    try:
        value = orjson.loads(b'"' + match[1] + b'"')
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, str) else None


def _record_ids(
    files: list[Path], base: Path, verdicts: list[ChainVerdict]
) -> dict[str, str]:
    """Record ids of the lines the problems name (read again, only those lines)."""
    wanted: dict[str, set[int]] = {}
    for verdict in verdicts:
        for problem in verdict.problems:
            for where in _places(problem):
                name, _, line = where.rpartition(":")
                if line.isdigit():
                    wanted.setdefault(name, set()).add(int(line))
    found: dict[str, str] = {}
    for file in files:
        name = file.relative_to(base).as_posix()
        lines = wanted.get(name)
        if not lines:
            continue
        for number, raw, _ in _lines(file):
            if number in lines:
                record_id = _visible(_RECORD_ID, raw)
                if record_id is not None:
                    found[f"{name}:{number}"] = record_id
    return found


def _places(problem: ChainProblem) -> list[str]:
    return [p for p in (problem.where, problem.related) if p]
