"""``ledgerlens gate`` end to end: signed record, exit codes, CI outputs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from gate_support import PASSWORD, regress

from ledgerlens.cli import main
from ledgerlens.gate import junit_xml, markdown_summary


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """The CLI in-process, with the key passphrase set and no settings file."""
    monkeypatch.setenv("LEDGERLENS_KEY_PASSWORD", PASSWORD)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    for name in list(os.environ):
        if name.startswith("LEDGERLENS_") and name != "LEDGERLENS_KEY_PASSWORD":
            monkeypatch.delenv(name)

    def invoke(*args: object) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    yield invoke


@pytest.fixture(scope="module")
def blocked(
    make_day: Callable[..., Path],
    keys: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Result]:
    """A regressed candidate gated with a managed key and both CI outputs."""
    root = tmp_path_factory.mktemp("gate-blocked")
    worse = regress(make_day(2), root / "candidate" / "calls.jsonl")
    os.environ["LEDGERLENS_KEY_PASSWORD"] = PASSWORD
    try:
        result = CliRunner().invoke(
            main,
            [
                "gate",
                "--baseline",
                str(make_day(1)),
                "--candidate",
                str(worse),
                "--out",
                str(root / "out"),
                "--signing-key",
                str(keys[0]),
                "--summary-md",
                str(root / "ci" / "summary.md"),
                "--junit",
                str(root / "ci" / "junit.xml"),
            ],
            catch_exceptions=False,
        )
    finally:
        del os.environ["LEDGERLENS_KEY_PASSWORD"]
    return root, result


def test_a_regression_exits_1_naming_each_regression(
    blocked: tuple[Path, Result],
) -> None:
    root, result = blocked

    assert result.exit_code == 1, result.output
    record = json.loads((root / "out" / "gate-decision.json").read_text())
    assert record["decision"] == "block"
    assert [r["metric"] for r in record["reasons"]] == [
        "latency_p50",
        "latency_p95",
        "refusal_rate",
        "policy_block_rate",
    ]
    for reason in record["reasons"]:
        assert reason["status"] == "regression"
        assert reason["candidate"] > reason["margin"]["limit"] > reason["baseline"]
        assert reason["ci"]["low"] > 0
        assert reason["p_regression_adjusted"] < record["alpha"]
    assert result.output.splitlines()[0] == "decision: block"


def test_the_record_names_its_inputs_and_policy_by_hash(
    blocked: tuple[Path, Result], make_day: Callable[..., Path]
) -> None:
    import hashlib

    root, _ = blocked
    record = json.loads((root / "out" / "gate-decision.json").read_text())

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert record["inputs"]["baseline"]["sha256"] == digest(make_day(1))
    assert record["inputs"]["candidate"]["sha256"] == digest(
        root / "candidate" / "calls.jsonl"
    )
    from ledgerlens.gate import default_policy_path

    assert record["policy"]["sha256"] == digest(default_policy_path())


def test_the_decision_record_verifies_with_the_key(
    blocked: tuple[Path, Result], keys: tuple[Path, Path], cli: Callable[..., Result]
) -> None:
    root, _ = blocked

    result = cli("verify", root / "out", "--key", keys[1])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for name in (
        "gate-decision.json",
        "gate-report.pdf",
        "gate-report.pdf.sigstore.json",
        "gate-summary.md",
        "gate-junit.xml",
    ):
        assert f"ok        {name}" in lines
    assert lines[-1] == "verified"


def test_a_changed_decision_no_longer_verifies(
    blocked: tuple[Path, Result],
    keys: tuple[Path, Path],
    cli: Callable[..., Result],
    tmp_path: Path,
) -> None:
    import shutil

    root, _ = blocked
    copy = tmp_path / "out"
    shutil.copytree(root / "out", copy)
    text = (copy / "gate-decision.json").read_text()
    (copy / "gate-decision.json").write_text(
        text.replace('"decision": "block"', '"decision": "promote"')
    )

    result = cli("verify", copy, "--key", keys[1])

    assert result.exit_code == 1
    assert "gate-decision.json changed or missing" in result.output


def test_ci_outputs_are_made_from_the_signed_record(
    blocked: tuple[Path, Result],
) -> None:
    root, _ = blocked
    record = json.loads((root / "out" / "gate-decision.json").read_text())

    summary = (root / "ci" / "summary.md").read_text()
    junit = (root / "ci" / "junit.xml").read_text()

    assert summary == markdown_summary(record)
    assert summary == (root / "out" / "gate-summary.md").read_text()
    assert summary.startswith("## ledgerlens gate: BLOCK\n")
    assert junit == junit_xml(record)
    assert '<testsuites name="ledgerlens gate" tests="9" failures="4"' in junit


def test_tiny_samples_hold_with_exit_4(
    make_day: Callable[..., Path], cli: Callable[..., Result], tmp_path: Path
) -> None:
    result = cli(
        "gate",
        "--baseline",
        make_day(1, records=40),
        "--candidate",
        make_day(2, records=40),
        "--out",
        tmp_path,
        "--no-sign",
    )

    assert result.exit_code == 4, result.output
    record = json.loads((tmp_path / "gate-decision.json").read_text())
    assert record["decision"] == "hold"
    assert {r["status"] for r in record["reasons"]} == {"insufficient"}
    assert not (tmp_path / "evidence.intoto.sigstore.json").exists()
    assert "(unsigned)" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "no way to sign the decision record"),
        (["--no-sign", "--signing-key", "k.key"], "--no-sign contradicts"),
        (["--identity-token", "t"], "--identity-token needs --trust-config"),
    ],
)
def test_usage_errors_exit_2_before_any_work(
    cli: Callable[..., Result], tmp_path: Path, extra: list[str], message: str
) -> None:
    result = cli(
        "gate",
        "--baseline",
        tmp_path,
        "--candidate",
        tmp_path,
        "--out",
        tmp_path / "out",
        *extra,
    )

    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "out").exists()
