"""The nightly audit end to end through the CLI, in this process."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from audit_support import PASSWORD, REAL
from click.testing import Result

Cli = Callable[..., Result]


def _findings(out: Path, day: str) -> dict:
    return json.loads((out / day / "findings.json").read_text())


@pytest.fixture(scope="module")
def audited(
    tmp_path_factory: pytest.TempPathFactory, week: Path, keys: tuple[Path, Path]
) -> dict[str, Path]:
    """Three days audited in a row into one store, signed with the managed key."""
    from click.testing import CliRunner

    from ledgerlens.cli import main

    root = tmp_path_factory.mktemp("audited")
    store, out = root / "store", root / "out"
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        result = CliRunner().invoke(
            main,
            [
                "audit",
                "--logs",
                str(week / day),
                "--date",
                day,
                "--store",
                str(store),
                "--out",
                str(out),
                "--origin",
                "ledgerlens/integration",
                "--signing-key",
                str(keys[0]),
            ],
            env={"LEDGERLENS_KEY_PASSWORD": PASSWORD},
        )
        assert result.exit_code == 0, result.output
    return {"store": store, "out": out, "root": root}


def test_every_unit_is_accounted_for_and_sealed(audited: dict[str, Path]) -> None:
    findings = _findings(audited["out"], "2026-11-25")

    assert findings["verdict"] == "pass"
    counts = findings["counts"]
    assert counts["read"] == 80
    assert counts["accepted"] == 80
    outcomes = (
        "accepted",
        "merged",
        "duplicate",
        "lineage_only",
        "out_of_day",
        "quarantined",
    )
    assert sum(counts[o] for o in outcomes) == counts["read"]
    assert findings["integrity"]["records"] == 80
    # Three days of 80 records, each with its manifest leaf.
    assert findings["integrity"]["tree_size"] == 3 * 81
    assert findings["integrity"]["previous_tree_size"] == 2 * 81
    assert findings["integrity"]["seal"] == "000003-2026-11-25"


def test_outputs_are_all_written(audited: dict[str, Path]) -> None:
    day = audited["out"] / "2026-11-25"
    names = {p.name for p in day.iterdir()}

    # 80 records a day is below the drift minimum: Evidently is not run, and no
    # drift.html is kept (the findings say why).
    assert {
        "audit-report.pdf",
        "audit-report.pdf.sigstore.json",
        "findings.json",
        "quarantine-summary.json",
        "checkpoint.note",
        "checkpoint.note.sigstore.json",
        "evidence.intoto.sigstore.json",
        "signing-key.pub",
    } <= names
    assert not any(n.startswith(".work") for n in names)
    assert "drift.html" not in names


def test_each_result_carries_its_severity(audited: dict[str, Path]) -> None:
    checks = _findings(audited["out"], "2026-11-25")["checks"]
    kinds = {c["kind"] for c in checks}

    assert {"quality", "drift", "ingest", "integrity"} <= kinds
    assert all(c["severity"] in ("blocking", "warning") for c in checks)
    drift_columns = {c["check_id"] for c in checks if c["kind"] == "drift"}
    assert "drift.latency_ms" in drift_columns


def test_the_reference_window_is_the_earlier_passing_days(
    audited: dict[str, Path],
) -> None:
    drift = _findings(audited["out"], "2026-11-25")["drift"]

    assert drift["reference"]["days"] == ["2026-11-24", "2026-11-23"]
    assert drift["reference"]["rows"] == 160
    assert drift["sample"]["seed"] == 20261204


def test_the_report_and_pack_verify_offline(
    audited: dict[str, Path], cli: Cli, keys: tuple[Path, Path]
) -> None:
    day = audited["out"] / "2026-11-25"

    single = cli("verify", day / "audit-report.pdf", "--key", keys[1])
    pack = cli("verify", day, "--key", keys[1])

    assert single.exit_code == 0, single.output
    assert "verified: audit-report.pdf" in single.output
    assert pack.exit_code == 0, pack.output
    assert "ok        audit-report.pdf" in pack.output
    # The signed pack says which day it covers: a copied folder cannot pass as another.
    assert "covers: kind nightly-audit, date 2026-11-25, verdict pass" in pack.output


def test_one_changed_byte_in_the_pdf_fails_verification(
    audited: dict[str, Path], cli: Cli, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    copy = tmp_path / "day"
    shutil.copytree(audited["out"] / "2026-11-25", copy)
    pdf = copy / "audit-report.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    pdf.write_bytes(bytes(data))

    single = cli("verify", pdf, "--key", keys[1])
    pack = cli("verify", copy, "--key", keys[1])

    assert single.exit_code == 1
    assert "audit-report.pdf" in single.stderr
    assert pack.exit_code == 1
    assert "changed   audit-report.pdf" in pack.output


def test_the_store_verifies_with_its_signed_checkpoints(
    audited: dict[str, Path], cli: Cli, keys: tuple[Path, Path]
) -> None:
    result = cli("verify-store", "--store", audited["store"], "--key", keys[1])

    assert result.exit_code == 0, result.output
    assert result.output.count(": ok (80 records") == 3


def test_a_changed_sealed_parquet_is_named(
    audited: dict[str, Path], cli: Cli, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    store = tmp_path / "store"
    shutil.copytree(audited["store"], store)
    part = store / "records" / "date=2026-11-24" / "part-000002.parquet"
    frame = pl.read_parquet(part)
    edited = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 5)
        .then(pl.lit(999_999))
        .otherwise(pl.col("tokens_out"))
        .alias("tokens_out")
    )
    edited.write_parquet(part)

    result = cli("verify-store", "--store", store, "--key", keys[1])

    assert result.exit_code == 1
    assert "records/date=2026-11-24/part-000002.parquet changed" in result.output
    assert f"records changed since sealing: {frame['record_id'][5]}" in result.output


def test_rerunning_a_sealed_day_reuses_its_seal(
    audited: dict[str, Path],
    cli: Cli,
    week: Path,
    keys: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    shutil.copytree(audited["store"], store)

    result = cli(
        "audit",
        "--logs",
        week / "2026-11-24",
        "--date",
        "2026-11-24",
        "--store",
        store,
        "--out",
        tmp_path / "out",
        "--signing-key",
        keys[0],
    )

    assert result.exit_code == 0, result.output
    assert "[existing seal reused]" in result.output
    assert "reusing its checks and verdict" in " ".join(result.stderr.split())
    assert len(list((store / "seals").iterdir())) == 3


def test_other_inputs_for_a_sealed_day_need_reseal(
    audited: dict[str, Path],
    cli: Cli,
    week: Path,
    keys: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    store = tmp_path / "store"
    shutil.copytree(audited["store"], store)
    other = week / "2026-11-26"

    refused = cli(
        "audit",
        "--logs",
        other,
        "--date",
        "2026-11-24",
        "--store",
        store,
        "--out",
        tmp_path / "out",
        "--no-sign",
    )
    resealed = cli(
        "audit",
        "--logs",
        other,
        "--date",
        "2026-11-24",
        "--store",
        store,
        "--out",
        tmp_path / "out",
        "--signing-key",
        keys[0],
        "--reseal",
    )

    assert refused.exit_code == 2
    assert "already sealed (000002-2026-11-24)" in refused.stderr
    # Every unit is on another day: the reseal still accounts for each of them.
    assert resealed.exit_code == 1, resealed.output
    findings = json.loads(
        (tmp_path / "out" / "2026-11-24" / "findings.json").read_text()
    )
    assert findings["counts"]["out_of_day"] == 80
    assert findings["integrity"]["seal"] == "000004-2026-11-24"
    assert findings["integrity"]["supersedes"] == "000002-2026-11-24"
    assert (
        store / "superseded" / "000002-2026-11-24" / "part-000002.parquet"
    ).is_file()
    check = cli("verify-store", "--store", store, "--key", keys[1])
    assert check.exit_code == 0, check.output
    assert "000002-2026-11-24: ok (80 records, tree size 162" in check.output
    assert "[superseded]" in check.output


def test_an_empty_day_fails_unless_declared(cli: Cli, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "calls.jsonl").write_bytes(b"")

    failed = cli(
        "audit",
        "--logs",
        logs,
        "--date",
        "2026-11-30",
        "--store",
        tmp_path / "s1",
        "--out",
        tmp_path / "o1",
        "--no-sign",
    )
    declared = cli(
        "audit",
        "--logs",
        logs,
        "--date",
        "2026-11-30",
        "--store",
        tmp_path / "s2",
        "--out",
        tmp_path / "o2",
        "--no-sign",
        "--allow-empty",
    )

    assert failed.exit_code == 1
    assert "blocking: no-data: " in failed.output
    assert "no-data: no-data" not in failed.output
    assert declared.exit_code == 0, declared.output
    sealed = _findings(tmp_path / "o2", "2026-11-30")["integrity"]
    assert sealed["records"] == 0
    assert sealed["tree_size"] == 1  # the day-manifest leaf: "no traffic" is sealed


def test_one_call_in_two_dialects_seals_the_same_values(
    cli: Cli, tmp_path: Path
) -> None:
    logs = REAL / "genai-interlingua-otlp"

    result = cli(
        "audit",
        "--logs",
        logs,
        "--date",
        "2026-09-07",
        "--store",
        tmp_path / "store",
        "--out",
        tmp_path / "out",
        "--no-sign",
    )

    findings = _findings(tmp_path / "out", "2026-09-07")
    assert findings["counts"]["accepted"] == 2, result.output
    part = next((tmp_path / "store" / "records").glob("date=2026-09-07/*.parquet"))
    rows = pl.read_parquet(part).sort("source_uri").to_dicts()
    first, second = rows
    for column in (
        "model",
        "model_version",
        "tokens_in",
        "tokens_out",
        "finish_reason",
        "input_sha256",
        "provider",
    ):
        assert first[column] == second[column], column
    assert first["model_version"] == "gpt-4o-mini-2024-07-18"
    assert (first["tokens_in"], first["tokens_out"]) == (412, 27)
    latencies = sorted(r["latency_ms"] for r in rows)
    assert latencies == [pytest.approx(19.719), pytest.approx(23.086)]


def test_a_bad_line_is_quarantined_not_fatal(
    cli: Cli, week: Path, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = (week / "2026-11-23" / "calls-2026-11-23.jsonl").read_bytes().splitlines()
    (logs / "calls.jsonl").write_bytes(
        b"\n".join([*lines[:10], b"{not json", b"\xff\xfe broken", *lines[10:20]])
        + b"\n"
    )

    result = cli(
        "audit",
        "--logs",
        logs,
        "--date",
        "2026-11-23",
        "--store",
        tmp_path / "store",
        "--out",
        tmp_path / "out",
        "--no-sign",
    )

    counts = _findings(tmp_path / "out", "2026-11-23")["counts"]
    assert counts["read"] == 22, result.output
    assert counts["accepted"] == 20
    assert counts["quarantined"] == 2
    assert sum(counts["quarantine_reasons"].values()) == 2
    units = next((tmp_path / "store" / "quarantine").glob("date=*/*.jsonl"))
    assert len(units.read_text().splitlines()) == 2


def test_no_logs_is_a_start_error(cli: Cli, tmp_path: Path) -> None:
    result = cli(
        "audit",
        "--logs",
        tmp_path / "nothing-here",
        "--date",
        "2026-11-23",
        "--store",
        tmp_path / "store",
        "--no-sign",
    )

    assert result.exit_code == 3
    assert result.stderr.startswith("ledgerlens: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_out_of_range_values_are_quarantined_not_fatal(
    cli: Cli, week: Path, tmp_path: Path
) -> None:
    """Regression: one such line used to crash the night's run (exit 70)."""
    good = (week / "2026-11-23" / "calls-2026-11-23.jsonl").read_bytes().splitlines()
    base = {k: v for k, v in json.loads(good[0]).items() if not k.startswith("chain_")}
    hostile = [
        {**base, "record_id": "h1", "tokens_in": 2**63},
        {**base, "record_id": "h2", "latency_ms": 1e308},
        {**base, "record_id": "h3", "cost_usd": 1e12},
        {**json.loads(good[0]), "record_id": "h4", "chain_seq": "0"},
        {**json.loads(good[0]), "record_id": "h5", "chain_seq": -1},
        {**base, "record_id": " "},
    ]
    logs = tmp_path / "logs"
    logs.mkdir()
    deep = b'{"deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    lines = [*good[:3], *(json.dumps(h).encode() for h in hostile), deep]
    (logs / "calls.jsonl").write_bytes(b"\n".join(lines) + b"\n")

    result = cli(
        "audit",
        "--logs",
        logs,
        "--date",
        "2026-11-23",
        "--store",
        tmp_path / "store",
        "--out",
        tmp_path / "out",
        "--no-sign",
    )

    counts = _findings(tmp_path / "out", "2026-11-23")["counts"]
    assert result.exit_code in (0, 1), result.output
    assert (counts["read"], counts["accepted"], counts["quarantined"]) == (10, 3, 7)
    assert counts["quarantine_reasons"] == {
        "bad_field:chain_seq": 2,
        "bad_field:cost_usd": 1,
        "bad_field:latency_ms": 1,
        "bad_field:record_id": 1,
        "bad_field:tokens_in": 1,
        "too_deeply_nested": 1,
    }


def test_an_out_folder_that_cannot_be_made_is_exit_3(
    cli: Cli, week: Path, tmp_path: Path
) -> None:
    """Regression: an OSError from the file system used to be an internal error."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    result = cli(
        "audit",
        "--logs",
        week / "2026-11-23",
        "--date",
        "2026-11-23",
        "--store",
        tmp_path / "store",
        "--out",
        blocker / "out",
        "--no-sign",
    )

    assert result.exit_code == 3
    assert result.stderr.startswith("ledgerlens: cannot use ")
    assert "a-file" in result.stderr


def test_a_wrong_passphrase_stops_the_run_before_it_seals(
    cli: Cli,
    week: Path,
    keys: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: the key used to be opened only after the day was sealed."""
    monkeypatch.setenv("LEDGERLENS_KEY_PASSWORD", "not the passphrase")

    result = cli(
        "audit",
        "--logs",
        week / "2026-11-23",
        "--date",
        "2026-11-23",
        "--store",
        tmp_path / "store",
        "--out",
        tmp_path / "out",
        "--signing-key",
        keys[0],
    )

    assert result.exit_code == 2
    assert "wrong passphrase" in result.stderr
    assert not (tmp_path / "store" / "seals").exists()


def test_an_unknown_naive_zone_is_refused_before_the_store_is_made(
    cli: Cli, week: Path, tmp_path: Path
) -> None:
    """Regression: the zone was only looked up when a naive timestamp came."""
    result = cli(
        "audit",
        "--logs",
        week / "2026-11-23",
        "--date",
        "2026-11-23",
        "--store",
        tmp_path / "store",
        "--out",
        tmp_path / "out",
        "--no-sign",
        "--naive-tz",
        "Mars/Olympus_Mons",
    )

    assert result.exit_code == 2
    assert "unknown time zone `Mars/Olympus_Mons` for naive timestamps" in result.stderr
    assert not (tmp_path / "store").exists()
