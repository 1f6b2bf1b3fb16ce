"""Leaf bytes v1: exact bytes, erasure keeps proofs, every sealed field counts."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlens.integrity.jcs import canonicalize
from ledgerlens.integrity.leaf import (
    LEAF_V1_FIELDS,
    LeafError,
    leaf_bytes_v1,
    leaf_hashes,
    manifest_leaf_bytes,
    record_leaf_hash,
)
from ledgerlens.integrity.merkle import (
    inclusion_proof,
    leaf_hash,
    root_of,
    verify_inclusion,
)
from ledgerlens.record import RECORD_COLUMNS, commit_text, records_frame

NEVER_SEALED = {
    "input_text",
    "output_text",
    "input_salt",
    "output_salt",
    "input_sha256",
    "output_sha256",
    "extra",
    "extra_salt",
}
SIDES = {
    "input": ("input_text", "input_salt", "input_commitment"),
    "output": ("output_text", "output_salt", "output_commitment"),
    "extra": ("extra", "extra_salt", "extra_commitment"),
}
TEXT_FIELDS = [
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
]
INT_FIELDS = [
    "tokens_in",
    "tokens_out",
    "http_status",
    "source_offset",
    "source_unit",
    "chain_seq",
]


# --- an independent reference: the rules of DESIGN.md, written plainly -------


def reference_string(text: str) -> Any:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape")
        return {"b64": base64.b64encode(raw).decode()}
    return text


def reference_leaf(record: Mapping[str, Any]) -> dict[str, Any]:
    leaf: dict[str, Any] = {"v": 1}
    for name, value in record.items():
        if value is None or name in NEVER_SEALED:
            continue
        if name in ("ts_start", "ts_end"):
            leaf[name] = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        elif name == "latency_ms":
            leaf["latency_us"] = round(value * 1000)
        elif name == "cost_usd":
            leaf["cost_micro_usd"] = round(value * 1_000_000)
        elif name in ("retrieval", "policy_results"):
            leaf[name] = [reference_item(item) for item in value]
        elif isinstance(value, str):
            leaf[name] = reference_string(value)
        else:
            leaf[name] = value
    for text_field, salt_field, commitment_field in SIDES.values():
        text = record.get(text_field)
        if record.get(commitment_field) is None and text is not None:
            salted = bytes.fromhex(record[salt_field]) + text.encode(
                "utf-8", "surrogatepass"
            )
            leaf[commitment_field] = hashlib.sha256(salted).hexdigest()
    return leaf


def reference_item(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        key: repr(float(value)) if key == "score" else reference_string(value)
        for key, value in item.items()
        if value is not None
    }


# --- strategies --------------------------------------------------------------

escaped_bytes = st.binary(min_size=1, max_size=12).map(
    lambda raw: raw.decode("utf-8", "surrogateescape")
)
texts = st.text(max_size=24) | escaped_bytes
safe_ints = st.integers(-(2**53) + 1, 2**53 - 1)
zones = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
)
times = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2200, 1, 1), timezones=zones
)
scores = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-5, 5)


def items(keys: list[str]) -> st.SearchStrategy[list[dict[str, Any] | None]]:
    members = {key: st.none() | (scores if key == "score" else texts) for key in keys}
    return st.lists(st.none() | st.fixed_dictionaries(members), max_size=3)


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        record[name] = draw(st.none() | texts)
    for name in INT_FIELDS:
        record[name] = draw(st.none() | safe_ints)
    record["ts_start"] = draw(st.none() | times)
    record["ts_end"] = draw(st.none() | times)
    record["latency_ms"] = draw(
        st.none() | st.floats(-1e9, 1e9) | st.integers(0, 10**6)
    )
    record["cost_usd"] = draw(st.none() | st.floats(0, 1e6))
    record["retrieval"] = draw(
        st.none() | items(["doc_id", "source", "doc_sha256", "score"])
    )
    record["policy_results"] = draw(
        st.none() | items(["policy", "version", "outcome", "category", "score"])
    )
    for side in SIDES:
        record.update(draw(texts_of(side)))
    return record


@st.composite
def texts_of(draw: st.DrawFn, side: str) -> dict[str, Any]:
    """A side's text, salt, hash and commitment in one of the states they take."""
    text = draw(st.none() | st.text(max_size=40))
    sha, salt, commitment = commit_text(text)
    state = draw(st.sampled_from(["full", "no_commitment", "erased"]))
    if state == "no_commitment":
        commitment = None
    elif state == "erased":
        text = sha = salt = None
    text_field, salt_field, commitment_field = SIDES[side]
    sides = {text_field: text, salt_field: salt, commitment_field: commitment}
    if side != "extra":  # extra has no plain hash column
        sides[f"{side}_sha256"] = sha
    return sides


def full_record() -> dict[str, Any]:
    """A record with every column set, as an adapter would produce it."""
    record: dict[str, Any] = {name: f"{name}-value" for name in TEXT_FIELDS}
    record.update({name: 1000 + index for index, name in enumerate(INT_FIELDS)})
    start = datetime(2025, 3, 14, 9, 26, 53, 589793, tzinfo=UTC)
    record.update(
        ts_start=start,
        ts_end=start + timedelta(milliseconds=1500),
        latency_ms=1500.25,
        cost_usd=0.000125,
        retrieval=[{"doc_id": "d1", "source": "kb", "doc_sha256": "ab", "score": 0.5}],
        policy_results=[
            {
                "policy": "pii",
                "version": "2",
                "outcome": "pass",
                "category": "email",
                "score": 0.01,
            }
        ],
    )
    texts = (("input", '[{"role":"user"}]'), ("output", "[]"), ("extra", '{"k":1}'))
    for side, text in texts:
        sha, salt, commitment = commit_text(text)
        text_field, salt_field, commitment_field = SIDES[side]
        record.update(
            {text_field: text, salt_field: salt, commitment_field: commitment}
        )
        if side != "extra":
            record[f"{side}_sha256"] = sha
    return record


# --- exact bytes -------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(record=records())
def test_leaf_bytes_equal_rfc8785_of_the_reference_object(
    record: dict[str, Any],
) -> None:
    expected = reference_leaf(record)

    leaf = leaf_bytes_v1(record)

    assert leaf == rfc8785.dumps(expected)
    assert leaf == canonicalize(expected)
    assert record_leaf_hash(record) == leaf_hash(leaf)


def test_full_record_leaf_has_exactly_the_sealed_fields() -> None:
    record = full_record()

    leaf = orjson.loads(leaf_bytes_v1(record))

    renamed = {"latency_ms", "cost_usd"}
    added = {"v", "latency_us", "cost_micro_usd"}
    expected_keys = (set(RECORD_COLUMNS) - NEVER_SEALED - renamed) | added
    assert set(leaf) == expected_keys
    assert leaf["v"] == 1
    assert leaf["ts_start"] == "2025-03-14T09:26:53.589793Z"
    assert leaf["ts_end"] == "2025-03-14T09:26:55.089793Z"
    assert leaf["latency_us"] == 1_500_250
    assert leaf["cost_micro_usd"] == 125
    assert leaf["retrieval"][0]["score"] == "0.5"
    assert leaf["policy_results"][0]["score"] == "0.01"
    assert leaf["input_commitment"] == record["input_commitment"]


def test_exact_bytes_of_a_small_record() -> None:
    record = {
        "record_id": "r-1",
        "ts_start": datetime(2025, 1, 1, tzinfo=UTC),
        "latency_ms": 12.5,
        "tokens_in": 7,
        "policy_results": [],
        "retrieval": [
            {"doc_id": "d", "source": None, "doc_sha256": None, "score": 1e-7}
        ],
        "status": "ok",
        "extra": None,
    }

    assert leaf_bytes_v1(record) == (
        b'{"latency_us":12500,"policy_results":[],"record_id":"r-1",'
        b'"retrieval":[{"doc_id":"d","score":"1e-07"}],"status":"ok",'
        b'"tokens_in":7,"ts_start":"2025-01-01T00:00:00.000000Z","v":1}'
    )


def test_times_in_other_zones_are_sealed_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    local = datetime(2025, 1, 1, 1, 0, 0, 5, tzinfo=paris)

    leaf = leaf_bytes_v1({"record_id": "r", "ts_start": local})

    assert b'"ts_start":"2025-01-01T00:00:00.000005Z"' in leaf


def test_not_utf8_strings_become_base64_of_their_bytes() -> None:
    raw = b"caf\xe9 \xff"
    text = raw.decode("utf-8", "surrogateescape")

    leaf = leaf_bytes_v1(
        {
            "record_id": "r",
            "app": text,
            "retrieval": [{"doc_id": text, "score": None}],
        }
    )

    encoded = base64.b64encode(raw).decode()
    assert f'"app":{{"b64":"{encoded}"}}'.encode() in leaf
    assert f'"retrieval":[{{"doc_id":{{"b64":"{encoded}"}}}}]'.encode() in leaf


def test_matches_what_polars_gives_back() -> None:
    record = full_record()
    record["retrieval"] = [{"doc_id": "d1", "score": 0.25}, None]
    frame = records_frame([record])

    (row,) = frame.iter_rows(named=True)

    assert leaf_bytes_v1(row) == leaf_bytes_v1(record)


def test_leaf_fields_are_the_record_columns() -> None:
    # A new column must not slip into v1 leaves: it needs a new leaf version.
    assert set(RECORD_COLUMNS) == LEAF_V1_FIELDS


def test_leaf_hashes_hashes_each_record_in_order() -> None:
    first, second = full_record(), full_record()
    second["record_id"] = "other"

    assert leaf_hashes([first, second]) == [
        leaf_hash(leaf_bytes_v1(first)),
        leaf_hash(leaf_bytes_v1(second)),
    ]


# --- erasure and tampering ---------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_erasing_texts_keeps_every_inclusion_proof_valid(data: st.DataObject) -> None:
    day = data.draw(st.lists(records(), min_size=1, max_size=6))
    for record in day:
        for text_field, _, commitment_field in SIDES.values():
            if record[text_field] is not None:
                record[commitment_field] = None  # computed at sealing
    hashes = leaf_hashes(day)
    root = root_of(hashes)

    erased = data.draw(st.integers(0, len(day) - 1))
    record = dict(day[erased])
    for side, (text_field, salt_field, commitment_field) in SIDES.items():
        record[commitment_field] = leaf_bytes_commitment(day[erased], side)
        record[text_field] = record[salt_field] = None
        record.pop(f"{side}_sha256", None)

    assert record_leaf_hash(record) == hashes[erased]
    proof = inclusion_proof(erased, len(day), hashes)
    verify_inclusion(record_leaf_hash(record), erased, len(day), proof, root)


def leaf_bytes_commitment(record: Mapping[str, Any], side: str) -> str | None:
    """The commitment a record's leaf holds for one side (computed or stored)."""
    leaf = reference_leaf(record)
    value = leaf.get(SIDES[side][2])
    assert value is None or isinstance(value, str)
    return value


def test_erasing_text_and_salt_keeps_the_leaf() -> None:
    record = full_record()
    before = record_leaf_hash(record)

    for name in NEVER_SEALED:
        record[name] = None

    assert record_leaf_hash(record) == before


def _changed(value: Any) -> Any:
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, bool):
        raise AssertionError("no booleans in records")
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value + 0.5
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if isinstance(value, list):
        changed = [dict(item) for item in value]
        changed[0]["score"] = changed[0]["score"] + 0.125
        return changed
    raise AssertionError(type(value))


@pytest.mark.parametrize("name", sorted(set(RECORD_COLUMNS) - NEVER_SEALED))
def test_changing_or_removing_a_sealed_field_changes_the_leaf(name: str) -> None:
    record = full_record()
    if name.endswith("_commitment"):
        # Without the text and salt, the commitment is taken as it stands.
        text_field, salt_field, _ = SIDES[name.removesuffix("_commitment")]
        record[text_field] = record[salt_field] = None
    before = leaf_bytes_v1(record)

    changed = dict(record, **{name: _changed(record[name])})
    removed = dict(record, **{name: None})

    assert leaf_bytes_v1(changed) != before
    assert leaf_bytes_v1(removed) != before


@pytest.mark.parametrize("side", ["input", "output", "extra"])
def test_changing_a_text_under_its_commitment_is_refused(side: str) -> None:
    record = full_record()
    record[SIDES[side][0]] = "TOP SECRET PROMPT"

    with pytest.raises(LeafError, match=SIDES[side][2]) as caught:
        leaf_bytes_v1(record)

    assert "SECRET" not in caught.value.one_line()
    assert "record_id-value" in caught.value.message


def test_missing_commitment_is_computed_like_commit_text() -> None:
    record = full_record()
    stored = record["input_commitment"]
    record["input_commitment"] = None

    assert leaf_bytes_v1(record) == leaf_bytes_v1(dict(record, input_commitment=stored))


# --- refusals ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("tokens_in", 1.0, "must be an integer"),
        ("tokens_in", True, "must be an integer"),
        ("tokens_in", 2**53, "outside"),
        ("app", 3, "must be a string"),
        ("latency_ms", float("nan"), "finite"),
        ("cost_usd", float("inf"), "finite"),
        ("latency_ms", "12", "must be a number"),
        ("ts_start", datetime(2025, 1, 1), "timezone-aware"),
        ("ts_start", "2025-01-01T00:00:00Z", "timezone-aware"),
        ("surprise_column", "x", "is not a v1 leaf field"),
        ("app", "\ud800", "lone surrogate"),
        ("retrieval", [{"doc_id": "d", "score": "0.5"}], "must be a number"),
        ("retrieval", [{"doc_id": "d", "rank": 1}], "items must be objects"),
        ("retrieval", [{"doc_id": 5}], "must be a string"),
        ("policy_results", "pass", "must be a list"),
        ("retrieval", [{"score": float("nan")}], "finite"),
    ],
)
def test_values_without_a_v1_form_are_refused(
    name: str, value: Any, reason: str
) -> None:
    with pytest.raises(LeafError, match=reason) as caught:
        leaf_bytes_v1({"record_id": "r-9", name: value})

    assert caught.value.message.startswith("record `r-9` has no v1 leaf")
    assert "\n" not in caught.value.one_line()


def test_text_without_salt_or_commitment_is_refused() -> None:
    with pytest.raises(LeafError, match="input_commitment` is missing"):
        leaf_bytes_v1({"record_id": "r", "input_text": "hello"})


def test_out_of_range_time_conversion_is_refused() -> None:
    ahead = timezone(timedelta(hours=5))
    with pytest.raises(LeafError, match="years 1-9999"):
        leaf_bytes_v1({"record_id": "r", "ts_start": datetime(1, 1, 1, tzinfo=ahead)})


# --- day manifest ------------------------------------------------------------


def test_manifest_leaf_bytes() -> None:
    manifest: dict[str, Any] = {
        "date": "2025-03-14",
        "leaves": {"first": 100, "count": 42},
        "inputs": [{"path": "app.jsonl", "sha256": "ab" * 32}],
        "counts": {"read": 44, "accepted": 42, "quarantined": 2},
    }

    leaf = manifest_leaf_bytes(manifest)

    assert leaf == rfc8785.dumps({"v": 1, "type": "day-manifest", **manifest})
    assert leaf.startswith(b'{"counts":{"accepted":42,"quarantined":2,"read":44}')


@pytest.mark.parametrize(
    "manifest",
    [
        {"type": "other"},
        {"v": 2},
        {"ratio": 0.5},
        {"declared_empty": True},
        {"note": None},
        {"nested": [{"x": 1.5}]},
        {"when": datetime(2025, 1, 1, tzinfo=UTC)},
        {"big": 2**60},
    ],
)
def test_manifest_values_outside_str_int_list_dict_are_refused(
    manifest: dict[str, Any],
) -> None:
    with pytest.raises(LeafError, match="manifest"):
        manifest_leaf_bytes(manifest)
