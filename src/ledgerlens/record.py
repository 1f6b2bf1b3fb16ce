"""The canonical record: one LLM call (or one lineage span) as ledgerlens stores it.

Every ingest adapter produces rows of this shape; the store's Parquet files have
exactly these columns in this order; leaf bytes (``integrity.leaf``) are derived
from them. Extend it with new columns, never fork it.

Conventions every adapter follows:

* ``input_text`` / ``output_text`` hold the message lists as JSON in the
  OpenTelemetry GenAI message schema (``[{"role": ..., "parts": [...]}]``),
  serialised with RFC 8785 (see :func:`messages_text`), so one call logged in two
  dialects gives the same text and the same ``input_sha256``.
* ``input_sha256`` / ``output_sha256`` are the hex SHA-256 of those texts' UTF-8
  bytes (they match one call across dialects); ``input_salt`` / ``output_salt``
  are random per record, and ``input_commitment`` / ``output_commitment`` are
  ``sha256(salt || text)``, the only form of the text a leaf holds. Erasing a
  text deletes text, salt and plain hash and keeps the commitment, so every
  proof stays valid (see :func:`commit_text`).
* Times are UTC with microsecond precision; ``latency_ms`` is a float of
  milliseconds; ``cost_usd`` a float of dollars. Leaves convert them to integers.
* ``extra`` is a JSON object (RFC 8785 text) of every attribute no column took.
  It may hold prompt text an adapter did not map, so it is sealed like a text:
  only ``extra_commitment`` (``sha256(extra_salt || extra)``) enters the leaf.
* ``status`` is ``ok`` or ``error``.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

import polars as pl

from ledgerlens.integrity.jcs import canonical_text

__all__ = [
    "OUTCOMES",
    "POLICY_OUTCOMES",
    "POLICY_RESULT",
    "RECORD_COLUMNS",
    "RECORD_SCHEMA",
    "RETRIEVAL_ITEM",
    "STATUSES",
    "TEXT_COLUMNS",
    "TEXT_LENGTHS",
    "Outcome",
    "check_frame",
    "check_selection",
    "commit_text",
    "empty_frame",
    "messages_text",
    "new_salt",
    "record_id_for",
    "record_problem",
    "records_frame",
    "sha256_hex",
    "text_length",
    "text_message",
]

Outcome = Literal[
    "accepted", "merged", "duplicate", "lineage_only", "out_of_day", "quarantined"
]
OUTCOMES: Final[tuple[str, ...]] = (
    "accepted",
    "merged",
    "duplicate",
    "lineage_only",
    "out_of_day",
    "quarantined",
)
STATUSES: Final[tuple[str, ...]] = ("ok", "error")
POLICY_OUTCOMES: Final[tuple[str, ...]] = ("pass", "flag", "block")

RETRIEVAL_ITEM: Final = pl.Struct(
    {
        "doc_id": pl.Utf8,
        "source": pl.Utf8,
        "doc_sha256": pl.Utf8,
        "score": pl.Float64,
    }
)
POLICY_RESULT: Final = pl.Struct(
    {
        "policy": pl.Utf8,
        "version": pl.Utf8,
        "outcome": pl.Utf8,
        "category": pl.Utf8,
        "score": pl.Float64,
    }
)
_UTC_US: Final = pl.Datetime("us", "UTC")

RECORD_SCHEMA: Final[dict[str, pl.DataType]] = {
    "record_id": pl.Utf8(),
    "trace_id": pl.Utf8(),
    "span_id": pl.Utf8(),
    "parent_span_id": pl.Utf8(),
    "session_id": pl.Utf8(),
    "ts_start": _UTC_US,
    "ts_end": _UTC_US,
    "latency_ms": pl.Float64(),
    "app": pl.Utf8(),
    "app_version": pl.Utf8(),
    "environment": pl.Utf8(),
    "endpoint": pl.Utf8(),
    "provider": pl.Utf8(),
    "model": pl.Utf8(),
    "model_version": pl.Utf8(),
    "prompt_template_id": pl.Utf8(),
    "prompt_template_version": pl.Utf8(),
    "input_text": pl.Utf8(),
    "output_text": pl.Utf8(),
    "input_sha256": pl.Utf8(),
    "output_sha256": pl.Utf8(),
    "input_salt": pl.Utf8(),
    "output_salt": pl.Utf8(),
    "input_commitment": pl.Utf8(),
    "output_commitment": pl.Utf8(),
    "retrieval": pl.List(RETRIEVAL_ITEM),
    "tokens_in": pl.Int64(),
    "tokens_out": pl.Int64(),
    "cost_usd": pl.Float64(),
    "status": pl.Utf8(),
    "error_type": pl.Utf8(),
    "http_status": pl.Int32(),
    "finish_reason": pl.Utf8(),
    "policy_results": pl.List(POLICY_RESULT),
    "reviewer": pl.Utf8(),
    "review_decision": pl.Utf8(),
    "user_ref": pl.Utf8(),
    "source_uri": pl.Utf8(),
    "source_offset": pl.Int64(),
    "source_unit": pl.Int64(),
    "source_format": pl.Utf8(),
    "source_sha256": pl.Utf8(),
    "ingest_run_id": pl.Utf8(),
    "chain_id": pl.Utf8(),
    "chain_seq": pl.Int64(),
    "chain_prev": pl.Utf8(),
    "chain_hash": pl.Utf8(),
    "extra": pl.Utf8(),
    "extra_salt": pl.Utf8(),
    "extra_commitment": pl.Utf8(),
}
RECORD_COLUMNS: Final[tuple[str, ...]] = tuple(RECORD_SCHEMA)
TEXT_COLUMNS: Final[tuple[str, ...]] = ("input_text", "output_text")
TEXT_LENGTHS: Final[dict[str, str]] = {
    "input_text": "input_chars",
    "output_text": "output_chars",
}
"""The column that stands for each text column in a check frame: its length."""


def sha256_hex(data: bytes | str) -> str:
    """Hex SHA-256 of bytes, or of a string's UTF-8 bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def new_salt() -> str:
    """A fresh random 16-byte salt, hex, for one record's text hash in its leaf."""
    return secrets.token_hex(16)


def commit_text(text: str | None) -> tuple[str | None, str | None, str | None]:
    """Return ``(sha256, salt, commitment)`` for a text, or three ``None``."""
    if text is None:
        return None, None, None
    salt = new_salt()
    data = text.encode("utf-8", "surrogatepass")
    commitment = hashlib.sha256(bytes.fromhex(salt) + data).hexdigest()
    return hashlib.sha256(data).hexdigest(), salt, commitment


def text_message(role: str, content: str) -> dict[str, Any]:
    """One GenAI-schema message holding a single text part."""
    return {"role": role, "parts": [{"type": "text", "content": content}]}


def messages_text(messages: Sequence[Mapping[str, Any]] | None) -> str | None:
    """Serialise a GenAI-schema message list as the canonical ``*_text`` value."""
    if messages is None:
        return None
    return canonical_text(list(messages))


def record_id_for(source_sha256: str, trace_id: str | None, span_id: str | None) -> str:
    """A stable record id for a unit whose producer gave none.

    It depends on the unit's raw bytes and its ids, so an exact duplicate gets the
    same id and a conflicting one (same ids, other content) a different one.
    """
    seed = "\x00".join(
        ["ledgerlens.record", source_sha256, trace_id or "", span_id or ""]
    )
    return "r-" + sha256_hex(seed)[:32]


def text_length(column: str, frame: pl.DataFrame | None = None) -> pl.Expr:
    """Expression: the length in characters of text ``column``, named for it.

    When ``frame`` is a check frame (see :func:`check_frame`), which carries the
    length already, the expression reads it.
    """
    length = TEXT_LENGTHS[column]
    if frame is not None and length in frame.columns:
        return pl.col(length)
    return pl.col(column).str.len_chars().cast(pl.Int64).alias(length)


def check_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A record frame with each text column replaced by its length.

    Checks only ever read text as its length; a day of check frames costs a
    few hundred bytes a record whatever its prompts hold.
    """
    return frame.select(check_selection(frame.columns))


def check_selection(columns: Iterable[str]) -> list[pl.Expr]:
    """Expressions selecting ``columns`` as a check frame has them (text as length)."""
    return [text_length(c) if c in TEXT_COLUMNS else pl.col(c) for c in columns]


def empty_frame() -> pl.DataFrame:
    """A frame with the record columns and no rows."""
    return pl.DataFrame(schema=RECORD_SCHEMA)


def records_frame(rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """Build a frame of records with the explicit schema (missing keys are null).

    Unknown keys are an error here: adapters put unmapped attributes in ``extra``.
    """
    for row in rows:
        unknown = set(row) - set(RECORD_SCHEMA)
        if unknown:
            msg = f"record has keys outside the schema: {sorted(unknown)}"
            raise ValueError(msg)
    columns = {name: [row.get(name) for row in rows] for name in RECORD_COLUMNS}
    return pl.DataFrame(columns, schema=RECORD_SCHEMA)


_INT_LIMIT: Final = 2**53 - 1  # what a v1 leaf can hold exactly
# Floats become integers in leaves (latency in µs, cost in micro-dollars), so
# their range is bounded by what those integers can hold.
_FLOAT_LIMITS: Final = {"latency_ms": _INT_LIMIT / 1_000, "cost_usd": _INT_LIMIT / 1e6}
_NON_NEGATIVE: Final = frozenset({"chain_seq", "source_offset", "source_unit"})


def record_problem(record: Mapping[str, Any]) -> str | None:
    """Why a record cannot be stored and sealed (``bad_field:<name>``), or None.

    Adapters check what they map; this is the last gate before a record joins a
    day, so one out-of-range value quarantines its unit instead of sinking the
    whole night's run at the Parquet write or the leaf.
    """
    for name, dtype in RECORD_SCHEMA.items():
        value = record.get(name)
        if value is not None and not _fits(name, dtype, value):
            return f"bad_field:{name}"
    record_id = record.get("record_id")
    if isinstance(record_id, str) and not record_id.strip():
        # A blank id names nothing: it could not be proved or cited later.
        return "bad_field:record_id"
    return None


def _fits(name: str, dtype: pl.DataType, value: Any) -> bool:
    if dtype == pl.Utf8:
        return isinstance(value, str)
    if dtype in (pl.Int64, pl.Int32):
        limit = 2**31 - 1 if dtype == pl.Int32 else _INT_LIMIT
        low = 0 if name in _NON_NEGATIVE else -limit
        return type(value) is int and low <= value <= limit
    if dtype == pl.Float64:
        return _finite_number(value, _FLOAT_LIMITS.get(name, 1e300))
    if isinstance(dtype, pl.Datetime):
        return hasattr(value, "tzinfo") and value.tzinfo is not None
    if isinstance(dtype, pl.List):
        return isinstance(value, list) and all(_item_fits(item) for item in value)
    return True


def _item_fits(item: Any) -> bool:
    if item is None:
        return True
    if not isinstance(item, Mapping):
        return False
    score = item.get("score")
    others_are_text = all(
        v is None or isinstance(v, str) for k, v in item.items() if k != "score"
    )
    return others_are_text and (score is None or _finite_number(score, 1e300))


def _finite_number(value: Any, limit: float) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value) and abs(value) <= limit
    except OverflowError:  # an int too large for a float
        return False
