"""Our encrypted PKCS#8 writer: DER pieces and round trips through cryptography."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlens.signing import _pkcs8


@pytest.mark.parametrize(
    ("dotted", "der_hex"),
    [
        # Published DER encodings of the four algorithm identifiers used.
        ("1.2.840.113549.1.5.13", "06092a864886f70d01050d"),
        ("1.2.840.113549.1.5.12", "06092a864886f70d01050c"),
        ("1.2.840.113549.2.9", "06082a864886f70d0209"),
        ("2.16.840.1.101.3.4.1.42", "060960864801650304012a"),
    ],
)
def test_object_identifiers_encode_as_published(dotted: str, der_hex: str) -> None:
    assert _pkcs8._oid(dotted).hex() == der_hex


@pytest.mark.parametrize(
    ("value", "der_hex"),
    [(0, "020100"), (127, "02017f"), (128, "02020080"), (600_000, "02030927c0")],
)
def test_integers_keep_their_sign_bit_clear(value: int, der_hex: str) -> None:
    assert _pkcs8._integer(value).hex() == der_hex


def test_long_contents_use_the_long_length_form() -> None:
    assert _pkcs8._octets(b"\0" * 200)[:3].hex() == "0481c8"
    assert _pkcs8._octets(b"\0" * 300)[:4].hex() == "0482012c"


@settings(max_examples=15, deadline=None)
@given(password=st.binary(min_size=1, max_size=64))
def test_any_passphrase_round_trips_through_cryptography(password: bytes) -> None:
    key = ec.generate_private_key(ec.SECP256R1())

    # Few iterations keep the property test quick; the format is the same.
    pem = _pkcs8.encrypted_pem(key, password, iterations=1_000)

    loaded = serialization.load_pem_private_key(pem, password)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    assert loaded.private_numbers() == key.private_numbers()
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(pem, password + b"x")
