"""Our key-based bundles against Sigstore's published bundle format.

Two independent checks: the JSON schema generated from Sigstore's protobuf
specification (``assets/sigstore-bundle-v1.schema.json``, see
``assets/README.md``), and ``sigstore_models``, the protobuf-specs model
sigstore-python parses bundles with. sigstore-python's own ``Bundle`` class
cannot serve: it demands a certificate and a log entry, so it refuses every
key-based bundle (pinned below).
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore.models import Bundle as SigstoreBundle
from sigstore.models import InvalidBundle
from sigstore_models.bundle.v1 import Bundle as ProtobufBundle

from ledgerlens.signing import KeySigner, build_statement, write_pack
from ledgerlens.signing.bundle import sign_blob_with_key

SCHEMA_PATH = Path(__file__).parent / "assets" / "sigstore-bundle-v1.schema.json"
# The generated schema's oneOf lists name protobuf fields, not their JSON names.
_JSON_NAMES = {
    "message_signature": "messageSignature",
    "dsse_envelope": "dsseEnvelope",
    "public_key": "publicKey",
    "x509_certificate_chain": "x509CertificateChain",
    "certificate": "certificate",
}


def _published_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return schema


def _schema_with_json_names() -> dict[str, Any]:
    schema = copy.deepcopy(_published_schema())
    for definition in schema["definitions"].values():
        for branch in definition.get("oneOf", []):
            branch["required"] = [_JSON_NAMES[name] for name in branch["required"]]
    return schema


def _validator(schema: dict[str, Any]) -> jsonschema.Draft4Validator:
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


@pytest.fixture
def blob_bundle(private_key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """A key-based bundle over a small blob."""
    return sign_blob_with_key(b"ledgerlens/demo\n42\nroot\n", private_key)


@pytest.fixture
def pack_bundle(tmp_path: Path, private_key: ec.EllipticCurvePrivateKey) -> Any:
    """The evidence pack of a one-file run, as written to disk."""
    (tmp_path / "findings.json").write_text("{}\n")
    path = write_pack(
        tmp_path, [tmp_path / "findings.json"], {"n": 1}, KeySigner(private_key)
    )
    return json.loads(path.read_text())


def test_key_bundles_validate_against_the_published_schema(
    blob_bundle: dict[str, Any], pack_bundle: dict[str, Any]
) -> None:
    validator = _validator(_schema_with_json_names())

    assert list(validator.iter_errors(blob_bundle)) == []
    assert list(validator.iter_errors(pack_bundle)) == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b.update(extra=True),
        lambda b: b["verificationMaterial"]["publicKey"].update(keyId="x"),
        lambda b: b.update(dsseEnvelope={"payload": "", "signatures": []}),
        lambda b: b["verificationMaterial"].update(certificate={"rawBytes": "AA=="}),
        lambda b: b["messageSignature"]["messageDigest"].update(algorithm="MD5"),
        lambda b: b["verificationMaterial"].update(tlogEntries={}),
    ],
)
def test_the_schema_check_has_teeth(blob_bundle: dict[str, Any], damage: Any) -> None:
    validator = _validator(_schema_with_json_names())
    damage(blob_bundle)

    assert not validator.is_valid(blob_bundle)


def test_the_published_schema_names_oneof_fields_in_snake_case(
    blob_bundle: dict[str, Any],
) -> None:
    # Pins the upstream quirk the JSON-name mapping works around: read
    # literally, the schema refuses every real bundle. If this fails, the asset
    # was replaced by a corrected schema and the mapping can go.
    errors = list(_validator(_published_schema()).iter_errors(blob_bundle))

    found = sorted((error.validator, list(error.path)) for error in errors)
    assert found == [("oneOf", []), ("oneOf", ["verificationMaterial"])]


def test_key_bundles_parse_and_round_trip_in_sigstore_models(
    blob_bundle: dict[str, Any], pack_bundle: dict[str, Any]
) -> None:
    for bundle in (blob_bundle, pack_bundle):
        parsed = ProtobufBundle.from_json(json.dumps(bundle))
        assert json.loads(parsed.to_json()) == bundle


def test_sigstore_models_rejects_a_misspelt_member(blob_bundle: dict[str, Any]) -> None:
    blob_bundle["messageSignature"]["sig"] = blob_bundle["messageSignature"].pop(
        "signature"
    )

    with pytest.raises(ValueError, match="signature"):
        ProtobufBundle.from_json(json.dumps(blob_bundle))


def test_sigstore_pythons_bundle_class_refuses_key_bundles(
    blob_bundle: dict[str, Any],
) -> None:
    with pytest.raises(InvalidBundle, match="expected certificate in bundle"):
        SigstoreBundle.from_json(json.dumps(blob_bundle))


def test_the_statement_of_a_pack_matches_what_build_statement_gives(
    tmp_path: Path, pack_bundle: dict[str, Any]
) -> None:
    payload = base64.b64decode(pack_bundle["dsseEnvelope"]["payload"])

    assert json.loads(payload) == build_statement(
        tmp_path, [tmp_path / "findings.json"], {"n": 1}
    )
