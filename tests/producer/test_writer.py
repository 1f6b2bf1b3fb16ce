"""The reference producer writer: chained lines, resume, torn last line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ledgerlens.cli import main
from ledgerlens.integrity.chain import GENESIS_PREV
from ledgerlens.producer import ChainWriter, TornLineError, read_tip

CHAIN = "billing-bot/pod-7"


def _record(n: int) -> dict[str, object]:
    return {"record_id": f"call-{n:04d}", "tokens_in": n, "latency_ms": 12.5 + n}


def _verify(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["verify-chain", str(path)])
    return result.exit_code, result.output


def test_a_restart_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    with ChainWriter.open(path, CHAIN, fsync_every=2) as writer:
        first = [writer.append(_record(n)) for n in range(5)]
    with ChainWriter.open(path, CHAIN) as writer:
        resumed_at = writer.tip
        later = [writer.append(_record(n)) for n in range(5, 8)]

    code, output = _verify(path)

    assert first[0]["chain_prev"] == GENESIS_PREV and first[0]["chain_seq"] == 0
    assert resumed_at is not None and resumed_at.seq == 4
    assert later[0]["chain_prev"] == first[-1]["chain_hash"]
    assert later[-1]["chain_seq"] == 7
    assert code == 0, output
    assert f"{CHAIN}: ok (8 units, seq 0..7)" in output


def test_lines_are_synced_every_n_and_on_close(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    writer = ChainWriter.open(path, CHAIN, fsync_every=4)
    for n in range(6):
        writer.append(_record(n))

    assert writer.unsynced == 2
    assert path.read_bytes().count(b"\n") == 6  # every line flushed whole
    writer.close()
    assert writer.unsynced == 0


def test_the_tip_is_found_from_the_tail_of_a_large_file(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    with (
        ChainWriter.open(path, "other/chain", fsync_every=1000) as other,
        ChainWriter.open(path, CHAIN, fsync_every=1000) as writer,
    ):
        for n in range(400):
            writer.append({**_record(n), "pad": "x" * 300})
        other.append(_record(0))

    tip = read_tip(path, CHAIN)

    assert tip is not None and tip.seq == 399
    assert path.stat().st_size > 2 * 65536


def test_a_torn_last_line_is_refused_then_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "calls.jsonl"
    with ChainWriter.open(path, CHAIN) as writer:
        kept = [writer.append(_record(n)) for n in range(3)]
    whole = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(b'{"chain_hash":"ab')  # a power cut mid-line

    with pytest.raises(TornLineError, match=f"torn line at byte {whole}"):
        ChainWriter.open(path, CHAIN)
    code, output = _verify(path)
    assert code == 1 and "truncated" in output

    with ChainWriter.open(path, CHAIN, repair=True) as writer:
        unit = writer.append(_record(3))

    assert (tmp_path / f"calls.jsonl.torn-{whole}").read_bytes() == b'{"chain_hash":"ab'
    assert unit["chain_seq"] == 3 and unit["chain_prev"] == kept[-1]["chain_hash"]
    assert _verify(path)[0] == 0
