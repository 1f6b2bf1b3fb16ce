"""``verify-store`` on a real store and on copies of it, each damaged one way.

Every change must give exit 1 and name what changed (file, day, record id or
leaf); the clean copy must give exit 0.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl

from ledgerlens.integrity.checkpoint import Checkpoint
from ledgerlens.signing import KeySigner, load_private_key

from ._tamper import (
    contents_of,
    drop_seal,
    part,
    rewrite_parquet,
    seal_again,
    seal_of,
)
from .conftest import Cli

S1, S2, S3 = "000001-2026-11-23", "000002-2026-11-24", "000003-2026-11-25"
D2 = "2026-11-24"
PART2 = f"records/date={D2}/part-000002.parquet"


def _verify(cli: Cli, store: Path, pub: Path, *extra: object) -> tuple[int, str]:
    result = cli("verify-store", "--store", store, "--key", pub, *extra)
    return result.exit_code, result.output


def _section(output: str, seal: str) -> str:
    """The lines verify-store printed about one seal."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(seal))
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith("  ")),
        len(lines),
    )
    return "\n".join(lines[start:end])


def test_the_clean_store_verifies(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    code, output = _verify(cli, store_copy, keys[1])

    assert code == 0, output
    assert output.count(": ok (40 records") == 3
    assert "no seal for" not in output
    assert output.rstrip().endswith("verified")


def test_a_clean_day_range_verifies(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    code, output = _verify(cli, store_copy, keys[1], "--from", D2, "--to", D2)

    assert code == 0, output
    assert f"{S2}: ok (40 records, tree size 82" in output
    assert S1 not in output


def test_an_edited_record_is_named(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    before = rewrite_parquet(
        store_copy / PART2,
        lambda f: f.with_columns(
            pl.when(pl.int_range(pl.len()) == 5)
            .then(pl.lit(777_777))
            .otherwise(pl.col("tokens_out"))
            .alias("tokens_out")
        ),
    )

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    section = _section(output, S2)
    assert f"{PART2} changed (sha256 differs from the sealed manifest)" in section
    assert f"{D2}: records changed since sealing: {before['record_id'][5]}" in section
    assert "FAILED" not in _section(output, S1) + _section(output, S3)


def test_a_deleted_row_is_located_by_its_leaf(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    before = rewrite_parquet(store_copy / PART2, lambda f: pl.concat([f[:7], f[8:]]))

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    section = _section(output, S2)
    assert "the records file holds 39 records; 40 were sealed" in section
    assert (
        f"records deleted since sealing: leaf 7 of the day "
        f"(after {before['record_id'][6]})"
    ) in section
    assert "records changed" not in section


def test_an_inserted_row_is_named(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    def insert(frame: pl.DataFrame) -> pl.DataFrame:
        forged = frame[3].with_columns(pl.lit("forged-record-1").alias("record_id"))
        return pl.concat([frame[:10], forged, frame[10:]])

    rewrite_parquet(store_copy / PART2, insert)

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    section = _section(output, S2)
    assert "the records file holds 41 records; 40 were sealed" in section
    assert f"{D2}: records inserted since sealing: forged-record-1" in section


def test_reordered_rows_are_named(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    def swap(frame: pl.DataFrame) -> pl.DataFrame:
        order = list(range(frame.height))
        order[2], order[9] = 9, 2
        return frame[order]

    before = rewrite_parquet(store_copy / PART2, swap)

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    section = _section(output, S2)
    line = next(x for x in section.splitlines() if "records reordered" in x)
    moved = line.split("since sealing: ")[1].split(", ")
    assert set(moved) <= set(before["record_id"][2:10])
    assert before["record_id"][9] in moved or before["record_id"][2] in moved
    assert "records changed" not in section


def test_an_edited_leaves_file_is_named_not_the_records(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    path = store_copy / "seals" / S2 / "leaves.bin"
    data = bytearray(path.read_bytes())
    data[4 * 32] ^= 0xFF
    path.write_bytes(bytes(data))

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    section = _section(output, S2)
    assert f"{S2}/leaves.bin changed since sealing (leaf 4)" in section
    assert "records changed" not in section
    # The log is rebuilt from the records, so the next seal is not blamed.
    assert f"{S3}: ok" in output


def test_an_edited_manifest_is_named(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    path = store_copy / "seals" / S2 / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["counts"]["read"] += 1
    path.write_text(json.dumps(manifest))

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    assert f"{S2}/manifest.json differs from its sealed leaf" in _section(output, S2)


def test_edited_findings_are_named(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    path = store_copy / "seals" / S2 / "findings.json"
    findings = json.loads(path.read_text())
    findings["verdict"] = "pass" if findings["verdict"] != "pass" else "fail"
    path.write_text(json.dumps(findings, indent=2, sort_keys=True) + "\n")

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    assert f"seals/{S2}/findings.json changed" in _section(output, S2)


def _edited_note(store: Path) -> bytes:
    path = store / "seals" / S2 / "checkpoint.note"
    checkpoint = Checkpoint.parse(path.read_bytes())
    forged = Checkpoint(
        origin=checkpoint.origin,
        tree_size=checkpoint.tree_size,
        root=bytes(32),
        seal_seq=checkpoint.seal_seq,
        date=checkpoint.date,
        day_tz=checkpoint.day_tz,
        prev_size=checkpoint.prev_size,
        prev_root=checkpoint.prev_root,
    ).to_note()
    path.write_bytes(forged)
    return forged


def test_an_edited_checkpoint_fails_its_signature_and_its_leaves(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    _edited_note(store_copy)

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    section = _section(output, S2)
    assert f"{S2}: checkpoint signature: bundle is for another file" in section
    assert f"seals/{S2}/checkpoint.note does not match the sealed leaves" in section


def test_a_re_signed_edited_checkpoint_still_fails_on_its_leaves(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    note = _edited_note(store_copy)
    signer = KeySigner(load_private_key(keys[0], b""))
    bundle = store_copy / "seals" / S2 / "checkpoint.note.sigstore.json"
    bundle.write_text(json.dumps(signer.sign_blob(note)))

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    section = _section(output, S2)
    assert "checkpoint signature" not in section
    assert f"seals/{S2}/checkpoint.note does not match the sealed leaves" in section
    # The next checkpoint names the real one before it, not the edited one.
    assert f"checkpoint of {S3} does not name the one before it" in output


def test_a_removed_seal_is_a_gap_and_a_missing_number(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    shutil.rmtree(store_copy / "seals" / S2)

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    assert f"store: seal 000002 is missing: the sequence jumps to {S3}" in output
    assert "no seal for: 2026-11-24" in output
    assert (
        f"checkpoint of {S3} follows a log of 82 leaves, but the seals before it "
        "hold 41: 41 leaves are missing"
    ) in _section(output, S3)


def test_a_forged_seal_under_a_fresh_key_fails_the_signature_check(
    cli: Cli,
    store_copy: Path,
    keys: tuple[Path, Path],
    other_keys: tuple[Path, Path],
) -> None:
    contents = contents_of(
        store_copy,
        S3,
        lambda f: f.with_columns(pl.lit(1).alias("tokens_out")),
    )
    drop_seal(store_copy, S3)
    assert seal_again(store_copy, contents, other_keys[0]) == S3

    code, output = _verify(cli, store_copy, keys[1])
    unchecked = cli("verify-store", "--store", store_copy)

    assert code == 1
    section = _section(output, S3)
    assert f"{S3}: checkpoint signature: bundle was signed with key" in section
    # Recomputed through and through: only the signature gives it away.
    assert len(section.splitlines()) == 2
    assert "checkpoints name different signers" in unchecked.output


def test_a_truncated_last_leaves_file_is_found(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    path = store_copy / "seals" / S3 / "leaves.bin"
    path.write_bytes(path.read_bytes()[:-40])

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    section = _section(output, S3)
    assert f"seals/{S3}/leaves.bin is not a whole number of 32-byte hashes" in section
    assert f"{S3}/leaves.bin changed since sealing" in section


def test_a_truncated_last_records_file_is_found(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    path = part(store_copy, "2026-11-25", 3)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    section = _section(output, S3)
    relative = "records/date=2026-11-25/part-000003.parquet"
    assert f"{relative} changed" in section
    assert f"{relative} cannot be read" in section


def test_a_parquet_replaced_by_another_days_is_found(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    shutil.copyfile(part(store_copy, "2026-11-23", 1), store_copy / PART2)

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    section = _section(output, S2)
    assert f"{PART2} changed" in section
    assert "holds none of the records sealed for this day" in section


def test_an_edited_quarantine_file_is_named(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    path = store_copy / "quarantine" / f"date={D2}" / "units-000002.jsonl"
    with path.open("ab") as handle:
        handle.write(b'{"outcome": "quarantined", "reason": "forged"}\n')

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    assert f"quarantine/date={D2}/units-000002.jsonl changed" in _section(output, S2)


def test_a_legitimate_reseal_verifies(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    name = seal_again(store_copy, contents_of(store_copy, S2), keys[0], reseal=True)

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 0, output
    assert name == "000004-2026-11-24"
    assert f"{S2}: ok (40 records, tree size 82, signed by key" in output
    assert "[superseded]" in _section(output, S2)
    assert seal_of(store_copy, name).day.isoformat() == D2


def test_unsigned_checkpoints_are_a_note_without_a_key_and_a_failure_with_one(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    for bundle in (store_copy / "seals").glob("*/checkpoint.note.sigstore.json"):
        bundle.unlink()

    unchecked = cli("verify-store", "--store", store_copy)
    code, output = _verify(cli, store_copy, keys[1])

    assert unchecked.exit_code == 0, unchecked.output
    assert f"note: unsigned checkpoints: {S1}, {S2}, {S3}" in unchecked.output
    assert code == 1
    assert f"{S3}: the checkpoint is not signed" in output


def test_an_extra_parquet_in_a_sealed_day_is_named(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    """Regression: a copied part file doubled the day for any reader of records/."""
    stray = f"records/date={D2}/part-000099.parquet"
    shutil.copyfile(store_copy / PART2, store_copy / stray)

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    assert f"store: {stray} is not sealed by any seal" in output


def test_edited_chain_tips_are_named(
    cli: Cli, store_copy: Path, keys: tuple[Path, Path]
) -> None:
    """Regression: an edited tip could hide a record deleted the next day."""
    tips = store_copy / "seals" / S2 / "chain-tips.json"
    tips.write_text(tips.read_text().replace('"seq": ', '"seq": 1', 1))

    code, output = _verify(cli, store_copy, keys[1])

    assert code == 1
    assert f"seals/{S2}/chain-tips.json changed" in _section(output, S2)
