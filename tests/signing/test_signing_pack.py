"""Evidence packs and single-file signatures: build, write, verify, tamper."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ledgerlens.errors import SigningError, VerificationError
from ledgerlens.signing import (
    PACK_FILE,
    KeyPairPaths,
    KeySigner,
    SubjectStatus,
    VerifyOptions,
    build_statement,
    key_hint,
    sign_file,
    verify_file,
    verify_pack,
    write_pack,
)
from ledgerlens.signing.dsse import sign_statement_with_key

PREDICATE = {"command": "audit", "date": "2025-03-14", "verdict": "pass"}


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A run directory with three artefacts, one in a subdirectory."""
    root = tmp_path / "run-2025-03-14"
    (root / "seals").mkdir(parents=True)
    (root / "findings.json").write_text('{"verdict": "pass"}\n')
    (root / "report.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    (root / "seals" / "checkpoint.txt").write_text("ledgerlens/demo\n42\nabc=\n")
    return root


def _artefacts(root: Path) -> list[Path]:
    return [root / "report.pdf", root / "findings.json", root / "seals/checkpoint.txt"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def signer(private_key: ec.EllipticCurvePrivateKey) -> KeySigner:
    """A key-based signer."""
    return KeySigner(private_key)


@pytest.fixture
def options(key_pair: KeyPairPaths) -> VerifyOptions:
    """Verification with the key pair's public key."""
    return VerifyOptions(key_path=key_pair.public_key)


def test_statement_lists_each_artefact_by_relative_name_and_sha256(
    run_dir: Path,
) -> None:
    statement = build_statement(run_dir, _artefacts(run_dir), PREDICATE)

    assert statement == {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {
                "name": "findings.json",
                "digest": {"sha256": _sha(run_dir / "findings.json")},
            },
            {"name": "report.pdf", "digest": {"sha256": _sha(run_dir / "report.pdf")}},
            {
                "name": "seals/checkpoint.txt",
                "digest": {"sha256": _sha(run_dir / "seals/checkpoint.txt")},
            },
        ],
        "predicateType": "https://ledgerlens.dev/evidence-pack/v1",
        "predicate": PREDICATE,
    }


def test_relative_artefact_paths_are_taken_from_the_current_directory(
    run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(run_dir.parent)

    statement = build_statement(
        Path(run_dir.name), [Path(run_dir.name) / "report.pdf"], PREDICATE
    )

    assert [s["name"] for s in statement["subject"]] == ["report.pdf"]


def test_an_artefact_outside_the_run_is_refused(run_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("x")

    with pytest.raises(SigningError, match="is outside the pack directory"):
        build_statement(run_dir, [outside], PREDICATE)


def test_the_pack_cannot_list_itself_or_be_empty(run_dir: Path) -> None:
    with pytest.raises(SigningError, match="cannot be a subject"):
        build_statement(run_dir, [run_dir / PACK_FILE], PREDICATE)
    with pytest.raises(SigningError, match="needs at least one artefact"):
        build_statement(run_dir, [], PREDICATE)


def test_a_missing_artefact_stops_the_pack(run_dir: Path) -> None:
    with pytest.raises(SigningError) as caught:
        build_statement(run_dir, [run_dir / "absent.parquet"], PREDICATE)

    assert caught.value.message.startswith("cannot read artefact `absent.parquet`: ")


def test_a_written_pack_verifies_ok(
    run_dir: Path, signer: KeySigner, options: VerifyOptions
) -> None:
    path = write_pack(run_dir, _artefacts(run_dir), PREDICATE, signer)

    assert path == run_dir / PACK_FILE
    assert json.loads(path.read_text())["dsseEnvelope"]["payloadType"] == (
        "application/vnd.in-toto+json"
    )
    for target in (run_dir, path):
        report = verify_pack(target, options)
        assert report.ok
        assert report.signer == f"key {signer.hint}"
        assert report.predicate == PREDICATE
        assert report.predicate_type == "https://ledgerlens.dev/evidence-pack/v1"
        assert [(s.name, s.state) for s in report.subjects] == [
            ("findings.json", "ok"),
            ("report.pdf", "ok"),
            ("seals/checkpoint.txt", "ok"),
        ]
        assert report.problems == ()
        assert report.unlisted == ()


def test_a_changed_artefact_is_reported_with_both_hashes(
    run_dir: Path, signer: KeySigner, options: VerifyOptions
) -> None:
    write_pack(run_dir, _artefacts(run_dir), PREDICATE, signer)
    before = _sha(run_dir / "findings.json")
    (run_dir / "findings.json").write_text('{"verdict": "fail"}\n')

    report = verify_pack(run_dir, options)

    assert not report.ok
    assert report.problems == (
        SubjectStatus(
            "findings.json",
            "changed",
            expected_sha256=before,
            actual_sha256=_sha(run_dir / "findings.json"),
        ),
    )


def test_missing_and_unlisted_files_are_reported(
    run_dir: Path, signer: KeySigner, options: VerifyOptions
) -> None:
    write_pack(run_dir, _artefacts(run_dir), PREDICATE, signer)
    expected = _sha(run_dir / "seals/checkpoint.txt")
    (run_dir / "seals/checkpoint.txt").unlink()
    (run_dir / "seals/extra.txt").write_text("added later")

    report = verify_pack(run_dir, options)

    assert not report.ok
    assert [(s.name, s.state) for s in report.subjects] == [
        ("findings.json", "ok"),
        ("report.pdf", "ok"),
        ("seals/checkpoint.txt", "missing"),
        ("seals/extra.txt", "unlisted"),
    ]
    assert report.problems == (
        SubjectStatus("seals/checkpoint.txt", "missing", expected_sha256=expected),
    )
    assert report.unlisted == ("seals/extra.txt",)


def test_an_unlisted_file_alone_leaves_the_pack_ok(
    run_dir: Path, signer: KeySigner, options: VerifyOptions
) -> None:
    write_pack(run_dir, _artefacts(run_dir), PREDICATE, signer)
    (run_dir / "notes.txt").write_text("an auditor's note")

    report = verify_pack(run_dir, options)

    assert report.ok
    assert report.unlisted == ("notes.txt",)


def test_a_tampered_pack_fails_before_any_file_is_checked(
    run_dir: Path, signer: KeySigner, options: VerifyOptions
) -> None:
    path = write_pack(run_dir, _artefacts(run_dir), PREDICATE, signer)
    bundle = json.loads(path.read_text())
    bundle["dsseEnvelope"]["payload"] = bundle["dsseEnvelope"]["payload"][:-8] + (
        "AAAAAAA="
    )
    path.write_text(json.dumps(bundle))

    with pytest.raises(VerificationError, match="^signature does not verify: "):
        verify_pack(run_dir, options)


def test_a_pack_checked_with_another_key_fails(
    run_dir: Path, signer: KeySigner, other_key_pair: KeyPairPaths
) -> None:
    write_pack(run_dir, _artefacts(run_dir), PREDICATE, signer)

    with pytest.raises(VerificationError, match="^bundle was signed with key "):
        verify_pack(run_dir, VerifyOptions(key_path=other_key_pair.public_key))


def test_a_missing_pack_is_reported(run_dir: Path, options: VerifyOptions) -> None:
    with pytest.raises(VerificationError) as caught:
        verify_pack(run_dir, options)

    assert caught.value.message == f"missing evidence pack `{run_dir / PACK_FILE}`"


def test_a_signed_subject_name_leaving_the_directory_is_refused(
    run_dir: Path, private_key: ec.EllipticCurvePrivateKey, options: VerifyOptions
) -> None:
    statement = build_statement(run_dir, [run_dir / "report.pdf"], PREDICATE)
    statement["subject"][0]["name"] = "../outside.txt"
    bundle = sign_statement_with_key(statement, private_key)
    (run_dir / PACK_FILE).write_text(json.dumps(bundle))

    with pytest.raises(VerificationError) as caught:
        verify_pack(run_dir, options)

    assert caught.value.message == (
        "malformed bundle: subject `../outside.txt` leaves the pack directory"
    )


def test_a_pack_that_is_no_json_is_malformed(
    run_dir: Path, options: VerifyOptions
) -> None:
    (run_dir / PACK_FILE).write_text("{not json")

    with pytest.raises(VerificationError) as caught:
        verify_pack(run_dir, options)

    assert caught.value.message == f"malformed bundle: `{PACK_FILE}` is not JSON"


def test_a_signed_file_verifies_beside_its_bundle(
    run_dir: Path, signer: KeySigner, options: VerifyOptions
) -> None:
    report = run_dir / "report.pdf"

    bundle_path = sign_file(report, signer)

    assert bundle_path == run_dir / "report.pdf.sigstore.json"
    assert stat.S_IMODE(bundle_path.stat().st_mode) == 0o644
    assert verify_file(report, options) == f"key {signer.hint}"
    assert not [n for n in os.listdir(run_dir) if n.startswith(".")]


def test_a_changed_signed_file_is_for_another_file(
    run_dir: Path, signer: KeySigner, options: VerifyOptions
) -> None:
    report = run_dir / "report.pdf"
    sign_file(report, signer)
    data = bytearray(report.read_bytes())
    data[100] ^= 0xFF
    report.write_bytes(bytes(data))

    with pytest.raises(VerificationError) as caught:
        verify_file(report, options)

    assert caught.value.message.startswith("`report.pdf`: bundle is for another file: ")


def test_a_file_without_its_bundle_says_where_the_bundle_belongs(
    run_dir: Path, options: VerifyOptions
) -> None:
    report = run_dir / "report.pdf"

    with pytest.raises(VerificationError) as caught:
        verify_file(report, options)

    assert caught.value.one_line() == (
        f"missing bundle for `{report}` (expected `report.pdf.sigstore.json` "
        "beside it; fetch it from the signer)"
    )


def test_a_bundle_without_its_file_is_reported(
    run_dir: Path, signer: KeySigner, options: VerifyOptions
) -> None:
    report = run_dir / "report.pdf"
    sign_file(report, signer)
    report.unlink()

    with pytest.raises(VerificationError, match=r"^cannot read `.*report\.pdf`: "):
        verify_file(report, options)


def test_the_signer_description_names_the_key(
    signer: KeySigner, private_key: ec.EllipticCurvePrivateKey
) -> None:
    assert signer.description == f"key {key_hint(private_key)}"
