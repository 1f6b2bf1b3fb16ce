"""Leaf bytes, version 1: the exact bytes a record contributes to the Merkle log.

A v1 leaf is the RFC 8785 (JCS) canonical JSON of an object holding ``"v": 1``
and every non-null field of the record, transformed so that the bytes are
stable, float-free and never hold prompt or response text:

* ``ts_start`` / ``ts_end`` become RFC 3339 strings in UTC with exactly six
  fractional digits and ``Z``;
* ``latency_ms`` becomes ``latency_us`` and ``cost_usd`` becomes
  ``cost_micro_usd``, both integers (``round`` of the scaled float, Python's
  round-half-to-even); every ``score`` inside ``retrieval`` and
  ``policy_results`` becomes the decimal string ``repr(float(score))``. Any
  other float is an error;
* texts enter only as ``input_commitment`` / ``output_commitment``
  (``sha256(salt || text)``, computed here when the record lacks it, and
  checked against text and salt when the record has all three);
  ``*_text``, ``*_salt`` and ``*_sha256`` never enter a leaf;
* a string holding lone surrogates (bytes that were not UTF-8, decoded with
  ``surrogateescape``) becomes ``{"b64": <base64 of the original bytes>}``;
* inside ``retrieval`` and ``policy_results`` items, null members are dropped
  too; an empty list stays ``[]``.

The field set is frozen for v1: a key outside it is an error, so a new record
column cannot slip into v1 leaves and must come with a new leaf version.

A day-manifest leaf is the JCS of ``{"v": 1, "type": "day-manifest", ...}``.
No record leaf has a ``type`` member, so the two kinds can never collide.

NOTE: the bytes are produced with orjson (sorted keys) rather than with
:mod:`ledgerlens.integrity.jcs`, whose pure-Python string escaping is about 80
times slower. After the transformation above a leaf object holds only ASCII
keys, strings, integers within +-(2**53 - 1), lists and objects, and for those
the two encoders agree byte for byte; ``tests/integrity/test_leaf.py`` checks
this against both our encoder and the ``rfc8785`` package.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from ledgerlens.errors import IntegrityError
from ledgerlens.integrity.jcs import CanonicalizationError, canonicalize
from ledgerlens.integrity.merkle import leaf_hash

__all__ = [
    "LEAF_VERSION",
    "LEAF_V1_FIELDS",
    "LeafError",
    "leaf_bytes_v1",
    "leaf_hashes",
    "manifest_leaf_bytes",
    "record_leaf_hash",
]

logger = logging.getLogger(__name__)

LEAF_VERSION: Final = 1
_LIMIT: Final = 2**53 - 1  # the I-JSON range, which every JCS encoder accepts
_SORTED: Final = orjson.OPT_SORT_KEYS
_REMEDY: Final = "the adapter that built this record has a bug; please report it"

# Kept out of every leaf. Texts and salts are deleted on erasure, and the leaf
# must not change when they are. The plain sha256 is excluded as well: an
# unsalted hash of a short prompt ("yes", "hi") can be found by guessing, so
# only the salted commitment may be sealed.
_NEVER_SEALED: Final = frozenset(
    {
        "input_text",
        "output_text",
        "input_salt",
        "output_salt",
        "input_sha256",
        "output_sha256",
        "extra",
        "extra_salt",
    }
)
# Each committed text: (text field, salt field, commitment field). ``extra`` is
# one too: it keeps attributes no column took, which may include prompt text.
_COMMITTED: Final = (
    ("input_text", "input_salt", "input_commitment"),
    ("output_text", "output_salt", "output_commitment"),
    ("extra", "extra_salt", "extra_commitment"),
)
_TEXT_FIELDS: Final = (
    "record_id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "session_id",
    "app",
    "app_version",
    "environment",
    "endpoint",
    "provider",
    "model",
    "model_version",
    "prompt_template_id",
    "prompt_template_version",
    "input_commitment",
    "output_commitment",
    "status",
    "error_type",
    "finish_reason",
    "reviewer",
    "review_decision",
    "user_ref",
    "source_uri",
    "source_format",
    "source_sha256",
    "ingest_run_id",
    "chain_id",
    "chain_prev",
    "chain_hash",
    "extra_commitment",
)
_INT_FIELDS: Final = (
    "tokens_in",
    "tokens_out",
    "http_status",
    "source_offset",
    "source_unit",
    "chain_seq",
)
_RETRIEVAL_KEYS: Final = frozenset({"doc_id", "source", "doc_sha256", "score"})
_POLICY_KEYS: Final = frozenset({"policy", "version", "outcome", "category", "score"})


class LeafError(IntegrityError):
    """A record or manifest has no v1 leaf form (a float, a naive time, ...)."""


class _FieldError(Exception):
    """Raised by field handlers; :func:`leaf_bytes_v1` adds the record id."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(field, problem)
        self.field = field
        self.problem = problem


def leaf_bytes_v1(record: Mapping[str, Any]) -> bytes:
    """The v1 leaf bytes of one record given as a dict of Python values.

    The dict is what ``polars.DataFrame.iter_rows(named=True)`` yields for
    ``RECORD_SCHEMA``: aware UTC datetimes, ``None``, ints, floats, strings and
    lists of dicts. Raises :class:`LeafError` naming the record and the field.
    """
    try:
        leaf = _leaf_object(record)
        try:
            return orjson.dumps(leaf, option=_SORTED)
        except orjson.JSONEncodeError:
            # The only value the handlers let through that orjson refuses is a
            # string with lone surrogates: escape those and encode again.
            return orjson.dumps(_escape_strings(leaf, ""), option=_SORTED)
    except _FieldError as error:
        record_id = record.get("record_id")
        who = f"`{record_id}`" if isinstance(record_id, str) else "without an id"
        msg = f"record {who} has no v1 leaf: `{error.field}` {error.problem}"
        raise LeafError(msg, remedy=_REMEDY) from None


def record_leaf_hash(record: Mapping[str, Any]) -> bytes:
    """The Merkle leaf hash of one record's v1 leaf bytes."""
    return leaf_hash(leaf_bytes_v1(record))


def leaf_hashes(records: Iterable[Mapping[str, Any]]) -> list[bytes]:
    """The leaf hashes of many records, in the order given."""
    return [leaf_hash(leaf_bytes_v1(record)) for record in records]


def manifest_leaf_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The leaf bytes of a day manifest: JCS of ``{"v": 1, "type": ..., **m}``.

    A manifest holds only strings, integers, lists and objects with string
    keys; ``v`` and ``type`` are reserved.
    """
    reserved = {"v", "type"} & set(manifest)
    if reserved:
        msg = f"day manifest may not set the reserved keys {sorted(reserved)}"
        raise LeafError(msg, remedy=_REMEDY)
    _check_manifest_value(manifest, "manifest")
    try:
        return canonicalize({"v": LEAF_VERSION, "type": "day-manifest", **manifest})
    except CanonicalizationError as error:
        msg = f"day manifest has no canonical form: {error}"
        raise LeafError(msg, remedy=_REMEDY) from None


def _check_manifest_value(value: Any, where: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, float):
        msg = f"day manifest `{where}` is {value!r}: only str, int, list, dict"
        raise LeafError(msg, remedy=_REMEDY)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_manifest_value(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_manifest_value(item, f"{where}[{index}]")
    elif not isinstance(value, str | int):
        msg = f"day manifest `{where}` is a {type(value).__name__}"
        raise LeafError(msg, remedy=_REMEDY)


def _leaf_object(record: Mapping[str, Any]) -> dict[str, Any]:
    """The v1 leaf as a JSON-ready dict.

    Plain strings and in-range integers, most of a record, are copied inline;
    every other value goes through its field's handler. Strings are checked
    for lone surrogates only if orjson refuses them (see :func:`leaf_bytes_v1`).
    """
    leaf: dict[str, Any] = {"v": LEAF_VERSION}
    plain_text, plain_int, handlers = _PLAIN_TEXT, _PLAIN_INT, _HANDLERS
    for name, value in record.items():
        if value is None:
            continue
        kind = type(value)
        if (kind is str and name in plain_text) or (
            kind is int and name in plain_int and -_LIMIT <= value <= _LIMIT
        ):
            leaf[name] = value
        else:
            handler = handlers.get(name)
            if handler is None:
                raise _FieldError(name, "is not a v1 leaf field")
            handler(leaf, name, value)
    for fields in _COMMITTED:
        _commit(leaf, record, *fields)
    return leaf


def _put_text(leaf: dict[str, Any], name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise _FieldError(name, f"must be a string, not {type(value).__name__}")
    leaf[name] = value


def _escape_strings(value: Any, name: str) -> Any:
    """Replace every string that has no UTF-8 form by its ``b64`` object."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _escaped_bytes(name, value)
        return value
    if isinstance(value, dict):
        return {key: _escape_strings(item, key) for key, item in value.items()}
    if isinstance(value, list):
        return [_escape_strings(item, name) for item in value]
    return value


def _escaped_bytes(name: str, value: str) -> dict[str, str]:
    """``{"b64": ...}`` of the bytes a ``surrogateescape`` decode came from."""
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        # Surrogates outside U+DC80..U+DCFF came from a JSON escape such as
        # "\ud800", not from undecodable bytes; ingest quarantines those.
        raise _FieldError(name, "holds a lone surrogate that is not a byte") from None
    return {"b64": base64.b64encode(raw).decode("ascii")}


def _put_int(leaf: dict[str, Any], name: str, value: Any) -> None:
    if type(value) is not int:
        raise _FieldError(name, f"must be an integer, not {type(value).__name__}")
    if not -_LIMIT <= value <= _LIMIT:
        raise _FieldError(name, "is outside +-(2**53 - 1)")
    leaf[name] = value


def _put_time(leaf: dict[str, Any], name: str, value: Any) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise _FieldError(name, "must be a timezone-aware datetime")
    text = value.isoformat(timespec="microseconds")
    if not text.endswith("+00:00"):
        try:
            text = value.astimezone(UTC).isoformat(timespec="microseconds")
        except OverflowError:
            raise _FieldError(name, "falls outside years 1-9999 in UTC") from None
    leaf[name] = text[:-6] + "Z"


def _put_latency(leaf: dict[str, Any], name: str, value: Any) -> None:
    leaf["latency_us"] = _scaled(name, value, 1_000)


def _put_cost(leaf: dict[str, Any], name: str, value: Any) -> None:
    leaf["cost_micro_usd"] = _scaled(name, value, 1_000_000)


def _scaled(name: str, value: Any, factor: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _FieldError(name, f"must be a number, not {type(value).__name__}")
    if not math.isfinite(value):
        raise _FieldError(name, "is not a finite number")
    scaled = round(value * factor)
    if not -_LIMIT <= scaled <= _LIMIT:
        raise _FieldError(name, "is outside +-(2**53 - 1) once scaled")
    return scaled


def _put_retrieval(leaf: dict[str, Any], name: str, value: Any) -> None:
    leaf[name] = _items(name, value, _RETRIEVAL_KEYS)


def _put_policy_results(leaf: dict[str, Any], name: str, value: Any) -> None:
    leaf[name] = _items(name, value, _POLICY_KEYS)


def _items(name: str, value: Any, keys: frozenset[str]) -> list[Any]:
    if not isinstance(value, list):
        raise _FieldError(name, f"must be a list, not {type(value).__name__}")
    items: list[Any] = []
    for item in value:
        if item is None:
            items.append(None)
            continue
        if not isinstance(item, Mapping) or not keys.issuperset(item):
            raise _FieldError(name, f"items must be objects with keys {sorted(keys)}")
        items.append(_item(name, item))
    return items


def _item(name: str, item: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, member in item.items():
        if member is None:
            continue
        if key == "score":
            out[key] = _score(f"{name}.score", member)
        elif isinstance(member, str):
            out[key] = member
        else:
            kind = type(member).__name__
            raise _FieldError(f"{name}.{key}", f"must be a string, not {kind}")
    return out


def _score(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _FieldError(name, f"must be a number, not {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise _FieldError(name, "is not a finite number")
    return repr(number)


def _skip(leaf: dict[str, Any], name: str, value: Any) -> None:
    """Fields that never enter a leaf (see ``_NEVER_SEALED``)."""


def _commit(
    leaf: dict[str, Any],
    record: Mapping[str, Any],
    text_field: str,
    salt_field: str,
    field: str,
) -> None:
    """Fill or check a commitment from its text and salt."""
    text = record.get(text_field)
    if text is None:
        return
    salt = record.get(salt_field)
    stored = record.get(field)
    if salt is None:
        if stored is None:
            raise _FieldError(field, f"is missing and so is `{salt_field}`")
        return
    if not isinstance(salt, str) or not isinstance(text, str):
        raise _FieldError(salt_field, "and the text must be strings")
    try:
        key = bytes.fromhex(salt)
    except ValueError:
        raise _FieldError(salt_field, "is not hex") from None
    data = text.encode("utf-8", "surrogatepass")
    computed = hashlib.sha256(key + data).hexdigest()
    if stored is None:
        leaf[field] = computed
    elif stored != computed:
        raise _FieldError(field, f"does not match `{text_field}` and its salt")


_Handler = Callable[[dict[str, Any], str, Any], None]
_PLAIN_TEXT: Final = frozenset(_TEXT_FIELDS)
_PLAIN_INT: Final = frozenset(_INT_FIELDS)
_HANDLERS: Final[dict[str, _Handler]] = {
    **dict.fromkeys(_TEXT_FIELDS, _put_text),
    **dict.fromkeys(_INT_FIELDS, _put_int),
    **dict.fromkeys(_NEVER_SEALED, _skip),
    "ts_start": _put_time,
    "ts_end": _put_time,
    "latency_ms": _put_latency,
    "cost_usd": _put_cost,
    "retrieval": _put_retrieval,
    "policy_results": _put_policy_results,
}
LEAF_V1_FIELDS: Final[frozenset[str]] = frozenset(_HANDLERS)
"""Every record field a v1 leaf reads (some only to leave them out)."""
