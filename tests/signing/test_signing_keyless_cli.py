"""``ledgerlens audit`` signs keyless against the stand-in; ``verify`` checks offline.

One generated day is audited with ``--identity-token`` and ``--trust-config``;
the run's checkpoint, report and evidence pack must come from one certificate.
The stand-in is then stopped and sockets forbidden before ``ledgerlens verify``
runs, so a passing verification proves it needs no network.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ledgerlens.cli import main

from ._support import KeylessSetup, SocketGuard
from .standin import StandIn

REPO = Path(__file__).resolve().parents[2]
DAY = "2026-11-23"


def _generator() -> ModuleType:
    name = "ledgerlens_fixture_generator"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, REPO / "data_fixtures" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def day_logs(tmp_path: Path) -> Path:
    """One small generated day of canonical JSONL."""
    _generator().generate_days(
        tmp_path / "logs",
        start=date.fromisoformat(DAY),
        days=1,
        records_per_day=40,
        seed=5,
        drift_day=None,
        fmt="ledgerlens-jsonl",
    )
    return tmp_path / "logs" / DAY


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Invoke the CLI in this process, without Prefect and without settings."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("LEDGERLENS_CONFIG", raising=False)
    monkeypatch.chdir(REPO / "tests")  # no ledgerlens.toml here

    def invoke(*args: Any) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    yield invoke


def _verify_args(setup: KeylessSetup) -> list[Any]:
    return [
        "--cert-identity",
        setup.identity,
        "--cert-oidc-issuer",
        setup.issuer,
        "--trust-config",
        setup.trust_config,
    ]


def test_audit_signs_keyless_and_verify_passes_offline(
    cli: Any,
    day_logs: Path,
    tmp_path: Path,
    sigstore_standin: KeylessSetup,
    standin: StandIn,
    no_sockets: SocketGuard,
) -> None:
    out = tmp_path / "out"
    audit = cli(
        "-vv",
        "audit",
        "--logs",
        day_logs,
        "--date",
        DAY,
        "--store",
        tmp_path / "store",
        "--out",
        out,
        "--origin",
        "ledgerlens/keyless-test",
        "--identity-token",
        sigstore_standin.token,
        "--trust-config",
        sigstore_standin.trust_config,
    )
    assert audit.exit_code == 0, audit.output
    assert "(unsigned)" not in audit.output
    claims = sigstore_standin.token.split(".")[1]
    assert claims not in audit.output
    # -vv prints the package's log lines (through rich, which CliRunner
    # captures on stdout): the token must not be among them.
    assert "keyless signing as" in audit.output
    assert claims not in audit.stderr
    # One certificate for the whole run: checkpoint, report, evidence pack.
    assert standin.requests == [
        ("POST", "/api/v2/signingCert"),
        *[("POST", "/api/v1/log/entries")] * 3,
    ]
    run = out / DAY
    bundles = [
        json.loads((run / name).read_text())
        for name in (
            "checkpoint.note.sigstore.json",
            "audit-report.pdf.sigstore.json",
            "evidence.intoto.sigstore.json",
        )
    ]
    certificates = {
        b["verificationMaterial"]["certificate"]["rawBytes"] for b in bundles
    }
    assert len(certificates) == 1
    assert claims not in json.dumps(bundles)

    standin.stop()
    no_sockets.armed = True
    pack = cli("verify", run, *_verify_args(sigstore_standin))
    report = cli("verify", run / "audit-report.pdf", *_verify_args(sigstore_standin))

    signer = f"identity {sigstore_standin.identity} issued by {sigstore_standin.issuer}"
    assert pack.exit_code == 0, pack.output
    assert pack.output.splitlines()[0] == f"evidence pack signed by {signer}"
    assert "ok        findings.json" in pack.output
    assert pack.output.splitlines()[-1] == "verified"
    assert report.exit_code == 0, report.output
    assert report.output == f"verified: audit-report.pdf signed by {signer}\n"
    assert no_sockets.attempts == []

    findings = run / "findings.json"
    findings.write_bytes(findings.read_bytes().replace(b"pass", b"fail", 1))
    changed = cli("verify", run, *_verify_args(sigstore_standin))

    assert changed.exit_code == 1
    assert "changed   findings.json" in changed.output
    assert changed.stderr == (
        "ledgerlens: evidence pack does not verify: findings.json changed or missing\n"
    )
    assert no_sockets.attempts == []


def test_verify_with_the_wrong_identity_exits_1_with_one_line(
    cli: Any,
    tmp_path: Path,
    sigstore_standin: KeylessSetup,
    standin: StandIn,
    no_sockets: SocketGuard,
) -> None:
    from ledgerlens.signing import SigningOptions, open_signer, sign_file

    report = tmp_path / "audit-report.pdf"
    report.write_bytes(b"%PDF-1.7 stand-in report\n")
    options = SigningOptions(
        identity_token=sigstore_standin.token,
        trust_config=sigstore_standin.trust_config,
    )
    with open_signer(options) as signer:
        assert signer is not None
        sign_file(report, signer)
    standin.stop()
    no_sockets.armed = True

    result = cli(
        "verify",
        report,
        "--cert-identity",
        "intruder@ledgerlens.test",
        "--cert-oidc-issuer",
        sigstore_standin.issuer,
        "--trust-config",
        sigstore_standin.trust_config,
    )

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "ledgerlens: `audit-report.pdf`: keyless signature does not verify: "
        "Certificate's SANs do not match intruder@ledgerlens.test"
    )
    assert result.stderr.count("\n") == 1
    assert no_sockets.attempts == []
