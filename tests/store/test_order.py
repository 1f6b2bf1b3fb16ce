"""Leaf order on disk: the streamed two-pass sort gives exactly the order, hashes
and rows of sorting the whole day in memory."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledgerlens.errors import StoreError
from ledgerlens.integrity.leaf import leaf_hashes
from ledgerlens.record import records_frame
from ledgerlens.store.order import (
    check_records_file,
    leaf_order,
    write_in_leaf_order,
)

_START = datetime(2026, 11, 20, 9, tzinfo=UTC)


def _frame(count: int, seed: int, *, same_second: bool = False) -> pl.DataFrame:
    """Records in a shuffled order; with ``same_second`` many share a key."""
    rows = []
    for index in range(count):
        second = index % 3 if same_second else index
        rows.append(
            {
                # Equal (ts_start, record_id) pairs leave the leaf hash to decide.
                "record_id": f"r-{index % 5}" if same_second else f"r-{index:05d}",
                "ts_start": _START + timedelta(seconds=second),
                "model": "m",
                "tokens_in": index,
                "status": "ok",
                "retrieval": [],
                "policy_results": [],
            }
        )
    random.Random(seed).shuffle(rows)
    return records_frame(rows)


def _sorted_in_memory(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[bytes]]:
    """The reference: every record in memory, sorted by key and then leaf hash."""
    hashes = leaf_hashes(frame.iter_rows(named=True))
    keys = frame.select("ts_start", "record_id").rows()
    order = sorted(range(frame.height), key=lambda i: (*keys[i], hashes[i]))
    return frame[order], [hashes[i] for i in order]


def _written(frame: pl.DataFrame, folder: Path, bucket_rows: int) -> Path:
    source = folder / "unordered.parquet"
    frame.write_parquet(source)
    target = folder / "ordered.parquet"
    write_in_leaf_order(source, target, leaf_order(source), bucket_rows=bucket_rows)
    return target


@pytest.mark.parametrize("bucket_rows", [1, 7, 64, 10_000])
def test_the_streamed_order_matches_sorting_in_memory(
    tmp_path: Path, bucket_rows: int
) -> None:
    frame = _frame(300, seed=1, same_second=True)
    expected, expected_hashes = _sorted_in_memory(frame)

    order = leaf_order(_source(frame, tmp_path))
    target = _written(frame, tmp_path, bucket_rows)

    assert order.hashes == expected_hashes
    assert not order.in_order
    assert pl.read_parquet(target).equals(expected)
    assert leaf_hashes(pl.read_parquet(target).iter_rows(named=True)) == order.hashes


def test_a_file_already_in_order_is_copied_byte_for_byte(tmp_path: Path) -> None:
    expected, _ = _sorted_in_memory(_frame(50, seed=2))
    source = tmp_path / "in-order.parquet"
    expected.write_parquet(source)
    target = tmp_path / "sealed.parquet"

    order = leaf_order(source)
    write_in_leaf_order(source, target, order)

    assert order.in_order
    assert np.array_equal(order.rows, np.arange(50))
    assert target.read_bytes() == source.read_bytes()


def test_an_empty_day_has_no_leaves(tmp_path: Path) -> None:
    source = _source(records_frame([]), tmp_path)
    target = tmp_path / "sealed.parquet"

    order = leaf_order(source)
    write_in_leaf_order(source, target, order)

    assert order.hashes == []
    assert pl.read_parquet(target).height == 0


def test_a_file_without_the_record_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.parquet"
    pl.DataFrame({"record_id": ["a"], "tokens_in": [1]}).write_parquet(path)

    with pytest.raises(StoreError, match="does not have the record schema"):
        check_records_file(path)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    count=st.integers(min_value=1, max_value=120),
    seed=st.integers(min_value=0, max_value=10_000),
    bucket_rows=st.integers(min_value=1, max_value=50),
    same_second=st.booleans(),
)
def test_any_shuffle_and_bucket_size_give_the_in_memory_order(
    tmp_path_factory: pytest.TempPathFactory,
    count: int,
    seed: int,
    bucket_rows: int,
    same_second: bool,
) -> None:
    folder = tmp_path_factory.mktemp("order")
    frame = _frame(count, seed, same_second=same_second)
    expected, expected_hashes = _sorted_in_memory(frame)

    target = _written(frame, folder, bucket_rows)

    assert pl.read_parquet(target).equals(expected)
    assert leaf_order(target).hashes == expected_hashes


def _source(frame: pl.DataFrame, folder: Path) -> Path:
    path = folder / "source.parquet"
    frame.write_parquet(path)
    return path
