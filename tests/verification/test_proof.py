"""``prove`` and ``check-proof``: one record's proof, checked with no store."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import polars as pl
import pytest

from ._tamper import part, rewrite_parquet
from .conftest import REPO, Cli

SCHEMA = json.loads((REPO / "docs" / "schemas" / "proof.schema.json").read_text())
D2 = "2026-11-24"


def _record_id(store: Path, row: int) -> str:
    return str(pl.read_parquet(part(store, D2, 2))["record_id"][row])


def _prove(cli: Cli, store: Path, record_id: str, out: Path, *extra: str) -> Any:
    result = cli(
        "prove", "--store", store, "--record-id", record_id, "--out", out, *extra
    )
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def proof_file(sealed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A proof of the fourth record of the middle day."""
    from click.testing import CliRunner

    from ledgerlens.cli import main

    out = tmp_path_factory.mktemp("proof") / "proof.json"
    args = ["prove", "--store", str(sealed_store), "--out", str(out)]
    result = CliRunner().invoke(
        main, [*args, "--record-id", _record_id(sealed_store, 3)]
    )
    assert result.exit_code == 0, result.output
    return out


def test_a_proof_verifies_offline_against_both_checkpoints(
    cli: Cli, proof_file: Path, sealed_store: Path, keys: tuple[Path, Path]
) -> None:
    proof = json.loads(proof_file.read_text())
    manifest = json.loads(
        (sealed_store / "seals" / "000002-2026-11-24" / "manifest.json").read_text()
    )

    result = cli("check-proof", proof_file, "--key", keys[1])

    assert result.exit_code == 0, result.output
    assert proof["leaf_index"] == manifest["leaf_range"][0] + 3 == 44
    assert proof["checkpoint"]["tree_size"] == 82
    assert proof["latest"]["tree_size"] == 123
    assert "is leaf 44 of the log at tree size 82 (000002-2026-11-24)" in result.output
    assert "latest checkpoint, tree size 123" in result.output
    leaf = orjson.loads(base64.b64decode(proof["leaf_bytes"]))
    assert leaf["record_id"] == proof["record_id"]
    assert "input_text" not in leaf and "output_text" not in leaf


def test_proofs_follow_the_published_schema(
    cli: Cli, proof_file: Path, sealed_store: Path, tmp_path: Path
) -> None:
    hashed = _prove(
        cli,
        sealed_store,
        _record_id(sealed_store, 0),
        tmp_path / "h.json",
        "--hash-only",
    )
    last_day = pl.read_parquet(part(sealed_store, "2026-11-25", 3))["record_id"][0]
    newest = _prove(cli, sealed_store, str(last_day), tmp_path / "n.json")

    for proof in (json.loads(proof_file.read_text()), hashed, newest):
        jsonschema.validate(proof, SCHEMA)
    assert "leaf_bytes" not in hashed and len(hashed["leaf_hash"]) == 64
    assert "latest" not in newest


def test_a_hash_only_proof_verifies(
    cli: Cli, sealed_store: Path, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "hash.json"
    _prove(cli, sealed_store, _record_id(sealed_store, 7), out, "--hash-only")

    result = cli("check-proof", out, "--key", keys[1])

    assert result.exit_code == 0, result.output
    assert "hash-only proof" in result.output


def _flip_hex(value: str) -> str:
    return ("0" if value[0] != "0" else "1") + value[1:]


def _leaf_edit(proof: dict[str, Any]) -> None:
    leaf = orjson.loads(base64.b64decode(proof["leaf_bytes"]))
    leaf["tokens_in"] = leaf.get("tokens_in", 0) + 1
    data = orjson.dumps(leaf, option=orjson.OPT_SORT_KEYS)
    proof["leaf_bytes"] = base64.b64encode(data).decode()


def _note_edit(proof: dict[str, Any]) -> None:
    lines = proof["checkpoint"]["note"].split("\n")
    lines[1] = str(int(lines[1]) + 1)
    proof["checkpoint"]["note"] = "\n".join(lines)
    proof["checkpoint"]["tree_size"] += 1


def _signature_edit(proof: dict[str, Any]) -> None:
    signature = proof["checkpoint"]["bundle"]["messageSignature"]
    raw = bytearray(base64.b64decode(signature["signature"]))
    raw[-1] ^= 0x01
    signature["signature"] = base64.b64encode(bytes(raw)).decode()


Doctor = Callable[[dict[str, Any]], None]
DOCTORED: dict[str, tuple[Doctor, str]] = {
    "leaf": (_leaf_edit, "`checkpoint`: inclusion proof for leaf 44 of 82 does not"),
    "path element": (
        lambda p: p["checkpoint"]["inclusion"].__setitem__(
            2, _flip_hex(p["checkpoint"]["inclusion"][2])
        ),
        "does not reach the root",
    ),
    "index": (
        lambda p: p.__setitem__("leaf_index", 45),
        "inclusion proof for leaf 45 of 82 does not reach the root",
    ),
    "size": (
        lambda p: p["checkpoint"].__setitem__("tree_size", 83),
        "`checkpoint.tree_size` differs from the size its note signs",
    ),
    "root": (
        lambda p: p["checkpoint"].__setitem__(
            "root", _flip_hex(p["checkpoint"]["root"])
        ),
        "`checkpoint.root` differs from the root its note signs",
    ),
    "note": (_note_edit, "`checkpoint` signature: bundle is for another file"),
    "signature": (_signature_edit, "`checkpoint` signature: signature does not"),
    "latest consistency": (
        lambda p: p["latest"]["consistency"].__setitem__(
            0, _flip_hex(p["latest"]["consistency"][0])
        ),
        "`latest`: consistency proof 82->123",
    ),
    "record id": (
        lambda p: p.__setitem__("record_id", "someone-else"),
        "the leaf bytes are not those of record `someone-else`",
    ),
}


@pytest.mark.parametrize("field", sorted(DOCTORED))
def test_a_doctored_proof_is_rejected_with_one_line(
    cli: Cli, proof_file: Path, keys: tuple[Path, Path], tmp_path: Path, field: str
) -> None:
    doctor, reason = DOCTORED[field]
    proof = copy.deepcopy(json.loads(proof_file.read_text()))
    doctor(proof)
    doctored = tmp_path / "doctored.json"
    doctored.write_text(json.dumps(proof))

    result = cli("check-proof", doctored, "--key", keys[1])

    assert result.exit_code == 1, result.output
    assert reason in result.stderr
    assert result.stderr.count("\n") == 1
    assert "verified" not in result.output


def test_a_proof_signed_by_another_key_is_rejected(
    cli: Cli, proof_file: Path, other_keys: tuple[Path, Path]
) -> None:
    result = cli("check-proof", proof_file, "--key", other_keys[1])

    assert result.exit_code == 1
    assert "bundle was signed with key" in result.stderr


def test_a_proof_of_an_erased_record_still_verifies(
    cli: Cli,
    store_copy: Path,
    proof_file: Path,
    keys: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    erased = [c + s for c in ("input", "output") for s in ("_text", "_salt", "_sha256")]
    rewrite_parquet(
        part(store_copy, D2, 2),
        lambda f: f.with_columns(
            [pl.lit(None, dtype=pl.Utf8).alias(name) for name in erased]
        ),
    )
    record_id = json.loads(proof_file.read_text())["record_id"]

    after = _prove(cli, store_copy, record_id, tmp_path / "after.json")
    result = cli("check-proof", tmp_path / "after.json", "--key", keys[1])

    assert result.exit_code == 0, result.output
    assert after["leaf_bytes"] == json.loads(proof_file.read_text())["leaf_bytes"]


def test_an_unknown_record_is_a_usage_error(cli: Cli, sealed_store: Path) -> None:
    result = cli(
        "prove", "--store", sealed_store, "--record-id", "nope", "--out", "x.json"
    )

    assert result.exit_code == 2
    assert "no sealed record has the id `nope`" in result.stderr


def test_an_id_shared_by_two_records_needs_a_leaf_to_prove(tmp_path: Path) -> None:
    """Regression: prove picked the first of several records with one id."""
    from datetime import UTC, date, datetime, timedelta

    from ledgerlens.errors import UsageError
    from ledgerlens.record import records_frame
    from ledgerlens.store import DayContents, create_store, seal_day
    from ledgerlens.verification.proof import build_proof

    start = datetime(2026, 11, 24, 9, tzinfo=UTC)
    records = records_frame(
        [
            {
                "record_id": "same" if i < 2 else f"other-{i}",
                "ts_start": start + timedelta(seconds=i),
                "tokens_in": i,
                "retrieval": [],
                "policy_results": [],
            }
            for i in range(3)
        ]
    )
    store = create_store(tmp_path / "store", origin="ledgerlens/test")
    seal_day(
        store,
        DayContents(
            day=date(2026, 11, 24),
            records=records,
            lineage=records.clear(),
            side_units=[],
            findings={"verdict": "fail"},
            inputs=[{"uri": "file:///x", "sha256": "ab" * 32, "bytes": 1}],
            counts={"read": 3, "accepted": 3},
            chain_tips={},
        ),
    )

    with pytest.raises(UsageError) as ambiguous:
        build_proof(store, "same")
    proof = build_proof(store, "same", leaf=1)

    assert ambiguous.value.message == (
        "2 sealed records have the id `same`: leaves 0 (2026-11-24), 1 (2026-11-24)"
    )
    assert proof["leaf_index"] == 1
    assert orjson.loads(base64.b64decode(proof["leaf_bytes"]))["tokens_in"] == 1
    with pytest.raises(
        UsageError, match="no sealed record has the id `same` at leaf 2"
    ):
        build_proof(store, "same", leaf=2)
