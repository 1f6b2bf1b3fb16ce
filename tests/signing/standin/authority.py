"""A Fulcio-like certificate authority and the CT log that co-signs its certificates.

The CA issues short-lived code-signing certificates the way Fulcio does: empty
subject, the identity in a critical Subject Alternative Name, the OIDC issuer in
Sigstore's issuer extensions, and one embedded Signed Certificate Timestamp
(RFC 6962) from a CT log whose key the trusted root lists. The SCT is made over
the precertificate: the certificate's TBS bytes without the SCT extension, which
is what a verifier reconstructs (``tbs_precertificate_bytes``).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

__all__ = ["CTLog", "CertificateAuthority", "key_id", "spki_der"]

# Sigstore's OIDC issuer extensions: v1 holds the raw string, v2 a DER UTF8String.
_ISSUER_V1_OID: Final = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
_ISSUER_V2_OID: Final = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
_SCT_LIST_OID: Final = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
_PRECERT_ENTRY: Final = 1
_SHA256: Final = 4  # TLS HashAlgorithm
_ECDSA: Final = 3  # TLS SignatureAlgorithm


def spki_der(key: ec.EllipticCurvePublicKey) -> bytes:
    """The DER SubjectPublicKeyInfo of ``key``."""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    """SHA-256 of the DER public key: how Sigstore and RFC 6962 name a log key."""
    return hashlib.sha256(spki_der(key)).digest()


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def _der_tagged(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


@dataclass
class CTLog:
    """A certificate-transparency log reduced to its one job: signing SCTs."""

    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @property
    def log_id(self) -> bytes:
        """The 32-byte log id (SHA-256 of the log's public key)."""
        return key_id(self.key.public_key())

    def precert_sct(self, tbs: bytes, issuer_key_hash: bytes, when: datetime) -> bytes:
        """A TLS-encoded v1 SCT over a precertificate's TBS bytes."""
        # Whole seconds: verifiers rebuild the millisecond timestamp through a
        # float, which is exact only for whole seconds.
        millis = int(when.replace(microsecond=0).timestamp()) * 1000
        extensions = b""
        signed = (
            struct.pack("!BBQH", 0, 0, millis, _PRECERT_ENTRY)
            + issuer_key_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + struct.pack("!H", len(extensions))
            + extensions
        )
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return (
            struct.pack("!B", 0)
            + self.log_id
            + struct.pack("!QH", millis, len(extensions))
            + extensions
            + struct.pack("!BBH", _SHA256, _ECDSA, len(signature))
            + signature
        )


@dataclass
class CertificateAuthority:
    """A self-signed root that issues Fulcio-shaped leaf certificates."""

    ct_log: CTLog
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    root: x509.Certificate = field(init=False)

    def __post_init__(self) -> None:
        """Make the root certificate."""
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ledgerlens.test"),
                x509.NameAttribute(NameOID.COMMON_NAME, "stand-in fulcio root"),
            ]
        )
        now = datetime.now(UTC)
        public = self.key.public_key()
        self.root = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_key_usage(cert_sign=True), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )

    def issue(
        self,
        public_key: ec.EllipticCurvePublicKey,
        *,
        identity: str,
        issuer: str,
        not_before: datetime,
        lifetime: timedelta,
    ) -> x509.Certificate:
        """A code-signing certificate for ``identity`` with an embedded SCT."""
        builder = self._leaf_builder(public_key, identity, issuer, not_before, lifetime)
        precert = builder.sign(self.key, hashes.SHA256())
        issuer_key_hash = key_id(self.key.public_key())
        sct = self.ct_log.precert_sct(
            precert.tbs_certificate_bytes, issuer_key_hash, not_before
        )
        # The extension's value is an OCTET STRING holding the TLS SCT list.
        sct_list = struct.pack("!H", len(sct) + 2) + struct.pack("!H", len(sct)) + sct
        extension = x509.UnrecognizedExtension(
            _SCT_LIST_OID, _der_tagged(0x04, sct_list)
        )
        certificate = builder.add_extension(extension, critical=False).sign(
            self.key, hashes.SHA256()
        )
        if certificate.tbs_precertificate_bytes != precert.tbs_certificate_bytes:
            msg = "the SCT would not cover the issued certificate"
            raise AssertionError(msg)
        return certificate

    def _leaf_builder(
        self,
        public_key: ec.EllipticCurvePublicKey,
        identity: str,
        issuer: str,
        not_before: datetime,
        lifetime: timedelta,
    ) -> x509.CertificateBuilder:
        # One serial for precertificate and certificate: the SCT binds it.
        san: x509.GeneralName = (
            x509.RFC822Name(identity)
            if "@" in identity
            else x509.UniformResourceIdentifier(identity)
        )
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.root.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_before + lifetime)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.key.public_key()
                ),
                critical=False,
            )
            .add_extension(x509.SubjectAlternativeName([san]), critical=True)
            .add_extension(
                x509.UnrecognizedExtension(_ISSUER_V1_OID, issuer.encode()),
                critical=False,
            )
            .add_extension(
                x509.UnrecognizedExtension(
                    _ISSUER_V2_OID, _der_tagged(0x0C, issuer.encode())
                ),
                critical=False,
            )
        )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
