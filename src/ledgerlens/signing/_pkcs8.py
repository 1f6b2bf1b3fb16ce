"""Encrypted PKCS#8 (RFC 5958 / RFC 8018 PBES2) with a strong key derivation.

cryptography writes encrypted PKCS#8 with PBKDF2 at 2,048 iterations and offers
no way to raise it for this format. A signing key guarded only by a passphrase
deserves the current recommendation for PBKDF2-HMAC-SHA256 (600,000), so the
``EncryptedPrivateKeyInfo`` is assembled here; any PKCS#8 reader (cryptography,
OpenSSL) opens it with the passphrase::

    EncryptedPrivateKeyInfo ::= SEQUENCE {
      encryptionAlgorithm  SEQUENCE { id-PBES2, PBES2-params },
      encryptedData        OCTET STRING }
    PBES2-params ::= SEQUENCE {
      keyDerivationFunc  SEQUENCE { id-PBKDF2,
                           SEQUENCE { salt OCTET STRING, iterationCount INTEGER,
                                      prf SEQUENCE { id-hmacWithSHA256, NULL } } },
      encryptionScheme   SEQUENCE { aes256-CBC, iv OCTET STRING } }
"""

from __future__ import annotations

import base64
import os
import textwrap
from typing import Final

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

__all__: list[str] = []

PBKDF2_ITERATIONS: Final = 600_000
_SALT_SIZE: Final = 16
_IV_SIZE: Final = 16
_OID_PBES2: Final = "1.2.840.113549.1.5.13"
_OID_PBKDF2: Final = "1.2.840.113549.1.5.12"
_OID_HMAC_SHA256: Final = "1.2.840.113549.2.9"
_OID_AES256_CBC: Final = "2.16.840.1.101.3.4.1.42"


def encrypted_pem(
    key: ec.EllipticCurvePrivateKey,
    password: bytes,
    *,
    iterations: int = PBKDF2_ITERATIONS,
) -> bytes:
    """``key`` as ``ENCRYPTED PRIVATE KEY`` PEM under ``password``."""
    plain = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt, iv = os.urandom(_SALT_SIZE), os.urandom(_IV_SIZE)
    secret = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(password)

    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(secret), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()

    pbkdf2_params = _sequence(
        _octets(salt),
        _integer(iterations),
        _sequence(_oid(_OID_HMAC_SHA256), b"\x05\x00"),
    )
    algorithm = _sequence(
        _oid(_OID_PBES2),
        _sequence(
            _sequence(_oid(_OID_PBKDF2), pbkdf2_params),
            _sequence(_oid(_OID_AES256_CBC), _octets(iv)),
        ),
    )
    return _pem("ENCRYPTED PRIVATE KEY", _sequence(algorithm, _octets(ciphertext)))


def _pem(label: str, der: bytes) -> bytes:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode("ascii"), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode()


def _element(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _sequence(*parts: bytes) -> bytes:
    return _element(0x30, b"".join(parts))


def _octets(data: bytes) -> bytes:
    return _element(0x04, data)


def _integer(value: int) -> bytes:
    # Non-negative only; one extra byte keeps the sign bit clear.
    return _element(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(arc) for arc in dotted.split("."))
    encoded = bytearray([40 * first + second])
    for arc in rest:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        encoded.extend(reversed(chunk))
    return _element(0x06, bytes(encoded))
