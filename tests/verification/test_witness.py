"""Witnesses: consistency proofs, cosignatures, and a rewritten history caught."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl

from ledgerlens.signing import key_hint, load_public_key

from ._tamper import contents_of, drop_seal, seal_again
from .conftest import Cli

S2, S3 = "000002-2026-11-24", "000003-2026-11-25"


def _hint(pub: Path) -> str:
    return key_hint(load_public_key(pub))


def _note(store: Path, seal: str) -> Path:
    return store / "seals" / seal / "checkpoint.note"


def test_a_witness_cosigns_a_checkpoint_that_extends_the_last_one(
    cli: Cli,
    store_copy: Path,
    keys: tuple[Path, Path],
    other_keys: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    proof = tmp_path / "consistency.json"
    made = cli("consistency", "--store", store_copy, "--from-size", 82, "--out", proof)
    result = cli(
        "witness",
        "--checkpoint",
        _note(store_copy, S3),
        "--last",
        _note(store_copy, S2),
        "--proof",
        proof,
        "--key",
        other_keys[0],
        "--log-key",
        keys[1],
        "--out",
        tmp_path / "cosig.json",
    )

    assert made.exit_code == 0, made.output
    assert result.exit_code == 0, result.output
    cosignature = json.loads((tmp_path / "cosig.json").read_text())
    assert cosignature["seal"] == S3 and cosignature["tree_size"] == 123
    assert cosignature["extends"]["tree_size"] == 82
    assert cosignature["witness"] == _hint(other_keys[1])
    assert json.loads(proof.read_text())["to"]["tree_size"] == 123


def test_the_store_keeps_and_reports_verified_cosignatures(
    cli: Cli,
    store_copy: Path,
    keys: tuple[Path, Path],
    other_keys: tuple[Path, Path],
) -> None:
    cosigned = cli("witness", "--store", store_copy, "--key", other_keys[0])

    result = cli(
        "verify-store",
        "--store",
        store_copy,
        "--key",
        keys[1],
        "--witness-key",
        other_keys[1],
    )

    assert cosigned.exit_code == 0, cosigned.output
    hint = _hint(other_keys[1])
    assert (store_copy / "witnesses" / S3 / f"{hint}.json").is_file()
    assert not any((store_copy / "seals" / S3).glob(f"{hint}*"))
    assert result.exit_code == 0, result.output
    assert f"witnessed by: key {hint[:16]} (verified)" in result.output


def test_a_changed_cosignature_is_invalid(
    cli: Cli, store_copy: Path, other_keys: tuple[Path, Path]
) -> None:
    cli("witness", "--store", store_copy, "--key", other_keys[0])
    path = store_copy / "witnesses" / S3 / f"{_hint(other_keys[1])}.json"
    document = json.loads(path.read_text())
    document["extends"] = {"tree_size": 1, "root": "00" * 32}
    path.write_text(json.dumps(document))

    result = cli("verify-store", "--store", store_copy, "--witness-key", other_keys[1])

    assert result.exit_code == 1
    assert "(INVALID)" in result.output
    assert "cosignature does not verify: bundle is for another file" in result.output


def test_a_rewritten_history_is_caught_by_the_witness(
    cli: Cli,
    store_copy: Path,
    keys: tuple[Path, Path],
    other_keys: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    # The witness saw and cosigned the store up to day 2.
    witnessed = tmp_path / "last.note"
    shutil.copyfile(_note(store_copy, S2), witnessed)
    first = cli(
        "witness",
        "--checkpoint",
        witnessed,
        "--store",
        store_copy,
        "--key",
        other_keys[0],
    )
    assert first.exit_code == 0, first.output

    # The key holder rewrites day 2 and everything after it, re-signing all.
    day2 = contents_of(
        store_copy, S2, lambda f: f.with_columns(pl.lit(9).alias("tokens_in"))
    )
    day3 = contents_of(store_copy, S3)
    drop_seal(store_copy, S3)
    drop_seal(store_copy, S2)
    assert seal_again(store_copy, day2, keys[0]) == S2
    assert seal_again(store_copy, day3, keys[0]) == S3

    with_witness = cli(
        "verify-store",
        "--store",
        store_copy,
        "--key",
        keys[1],
        "--witness-key",
        other_keys[1],
    )
    # A careful forger also deletes the cosignatures kept in the store.
    shutil.rmtree(store_copy / "witnesses")
    signatures_only = cli("verify-store", "--store", store_copy, "--key", keys[1])
    again = cli(
        "witness", "--last", witnessed, "--store", store_copy, "--key", other_keys[0]
    )

    assert with_witness.exit_code == 1
    assert (
        "cosigned another checkpoint for this seal: the checkpoint was replaced"
        in with_witness.output
    )
    # Re-signed and recomputed, the store alone then looks clean ...
    assert signatures_only.exit_code == 0, signatures_only.output
    # ... but it cannot show that its new log extends the witnessed one.
    assert again.exit_code == 1
    assert "history was rewritten" in again.stderr


def test_witnesses_of_a_removed_seal_are_reported(
    cli: Cli, store_copy: Path, other_keys: tuple[Path, Path]
) -> None:
    cli("witness", "--store", store_copy, "--key", other_keys[0])
    drop_seal(store_copy, S3)

    result = cli("verify-store", "--store", store_copy)

    assert result.exit_code == 1
    assert f"store: witness cosignatures exist for seal {S3}" in result.output
