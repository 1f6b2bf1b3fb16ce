"""``verify-chain`` on the committed tampered fixtures and the clean original."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ledgerlens.verification.chains import verify_chain_files

from .conftest import REPO, Cli

TAMPERED = REPO / "data_fixtures" / "tampered"
EXPECTED: dict[str, Any] = json.loads((TAMPERED / "expected.json").read_text())


def _problem_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("  - ")]


def test_the_clean_file_verifies(cli: Cli) -> None:
    result = cli("verify-chain", TAMPERED / "original.jsonl")

    assert result.exit_code == 0, result.output
    assert "6 chains in 1 files: verified" in result.output
    assert "support-assistant/pod-a: ok (5 units, seq 0..4)" in result.output


@pytest.mark.parametrize("name", ["edited-text.jsonl", "inserted-line.jsonl"])
def test_a_tampered_line_is_located_exactly(cli: Cli, name: str) -> None:
    expected = EXPECTED[name]

    result = cli("verify-chain", TAMPERED / name)

    assert result.exit_code == 1
    assert f"{expected['chain_id']}: FAILED" in result.output
    (problem,) = _problem_lines(result.output)
    assert problem.startswith(f"  - {expected['kind']} seq {expected['chain_seq']} ")
    assert f"{name}:{expected['line']} (record {expected['record_id']})" in problem


def test_swapped_lines_are_both_named(cli: Cli) -> None:
    expected = EXPECTED["swapped-lines.jsonl"]

    result = cli("verify-chain", TAMPERED / "swapped-lines.jsonl")

    assert result.exit_code == 1
    (problem,) = _problem_lines(result.output)
    assert problem.startswith(f"  - reordered seq {expected['chain_seq']} ")
    # The record of line 6 now sits on line 14, read after the one moved up.
    assert "swapped-lines.jsonl:14 (record research-summarizer-20261123-0000005)" in (
        problem
    )
    assert "the later unit before it is swapped-lines.jsonl:6" in problem


def test_an_inserted_line_names_both_claimants_of_the_seq(cli: Cli) -> None:
    result = cli("verify-chain", TAMPERED / "inserted-line.jsonl")

    (problem,) = _problem_lines(result.output)
    assert "inserted-line.jsonl:13 (record code-tutor-20261123-0000012-forged)" in (
        problem
    )
    assert "inserted-line.jsonl:14 (record code-tutor-20261123-0000012)" in problem


def test_a_deleted_line_is_bracketed_by_its_neighbours(cli: Cli) -> None:
    expected = EXPECTED["deleted-line.jsonl"]

    result = cli("verify-chain", TAMPERED / "deleted-line.jsonl")

    assert result.exit_code == 1
    (problem,) = _problem_lines(result.output)
    assert problem.startswith(f"  - deleted seq {expected['chain_seq']} ")
    assert f"{expected['chain_id']}: FAILED" in result.output
    # The deleted line is gone: it is located between the units around the gap.
    lines = [int(n) for n in re.findall(r"deleted-line\.jsonl:(\d+)", problem)]
    assert min(lines) < expected["line"] <= max(lines)


def test_a_torn_last_line_is_a_truncation_of_its_chain(cli: Cli) -> None:
    expected = EXPECTED["truncated.jsonl"]

    result = cli("verify-chain", TAMPERED / "truncated.jsonl")

    assert result.exit_code == 1
    assert (
        f"truncated.jsonl:{expected['line']}: truncated "
        f"[{expected['chain_id']} seq {expected['chain_seq']}]"
    ) in result.output


def test_every_variant_is_found_through_the_api() -> None:
    for name, expected in EXPECTED.items():
        report = verify_chain_files(TAMPERED / name)
        found = [
            (v.chain_id, p.kind, p.seq) for v in report.verdicts for p in v.problems
        ] + [(line.chain_id, line.kind, line.seq) for line in report.lines]

        assert not report.ok, name
        assert found == [
            (expected["chain_id"], expected["kind"], expected["chain_seq"])
        ], name


def test_a_folder_is_read_in_sorted_order(tmp_path: Path, cli: Cli) -> None:
    lines = (TAMPERED / "original.jsonl").read_bytes().splitlines(keepends=True)
    (tmp_path / "b.jsonl").write_bytes(b"".join(lines[10:]))
    (tmp_path / "a.jsonl").write_bytes(b"".join(lines[:10]))

    result = cli("verify-chain", tmp_path)

    assert result.exit_code == 0, result.output
    assert "6 chains in 2 files: verified" in result.output


def test_a_missing_path_cannot_start(cli: Cli, tmp_path: Path) -> None:
    result = cli("verify-chain", tmp_path / "absent.jsonl")

    assert result.exit_code == 3
    assert "does not exist" in result.stderr
