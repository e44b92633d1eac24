"""X.509 building blocks (ECDSA keys, CA, leaf and go-plugin AutoMTLS certificates).

This is the only module that imports ``cryptography``; a plugin imports it only in
AutoMTLS mode, which keeps ordinary plugin start-up lean.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CLOCK_SKEW: Final = datetime.timedelta(seconds=30)
# go-plugin's AutoMTLS certificates live 262 980 hours (about 30 years).
AUTOMTLS_VALIDITY: Final = datetime.timedelta(hours=262_980)
AUTOMTLS_NAME: Final = "localhost"

_CURVES: Final[dict[str, type[ec.EllipticCurve]]] = {
    "P-256": ec.SECP256R1,
    "P-384": ec.SECP384R1,
    "P-521": ec.SECP521R1,
}
# Go picks the hash by curve size for ECDSA self-signatures.
_HASH_FOR_CURVE: Final[dict[str, type[hashes.SHA256 | hashes.SHA384 | hashes.SHA512]]] = {
    "P-256": hashes.SHA256,
    "P-384": hashes.SHA384,
    "P-521": hashes.SHA512,
}


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def certificate_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _random_serial() -> int:
    return secrets.randbits(127) + 1  # positive, at most 128 bits, never zero


def generate_ca(
    common_name: str, validity: datetime.timedelta
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A self-signed P-256 CA that may sign leaf certificates only (pathlen 0)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_random_serial())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def issue_leaf(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    identity: str,
    validity: datetime.timedelta,
) -> KeyPair:
    """A P-256 leaf for ``identity`` (CN and DNS SAN), usable as TLS server and client.

    Both EKUs: a plugin's certificate serves its gRPC servers and also authenticates it
    when it dials the host's brokered servers; the host's certificate is used both ways too.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    not_after = min(now + validity, ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(_random_serial())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(identity)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return KeyPair(cert_pem=certificate_pem(cert), key_pem=_key_pem(key))


def generate_automtls_certificate(curve: str = "P-256") -> KeyPair:
    """go-plugin's ``generateCert`` profile (wire protocol §2.2), on a chosen curve.

    go-plugin uses P-521, which BoringSSL-based grpcio cannot verify under TLS 1.3
    (§2.6); P-256 is the default here. P-521 exists for tests of that failure.
    """
    if curve not in _CURVES:
        raise ValueError(f"unsupported curve {curve!r}; choose one of {sorted(_CURVES)}")
    key = ec.generate_private_key(_CURVES[curve]())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, AUTOMTLS_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_random_serial())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + AUTOMTLS_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(AUTOMTLS_NAME)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, _HASH_FOR_CURVE[curve]())
    )
    return KeyPair(cert_pem=certificate_pem(cert), key_pem=_key_pem(key))


def load_pem_certificate(pem: bytes) -> x509.Certificate:
    """Parse one PEM certificate; ValueError with a plain message when it is not one."""
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise ValueError(f"not a PEM certificate: {exc}") from None


def pem_to_der(pem: bytes) -> bytes:
    return load_pem_certificate(pem).public_bytes(serialization.Encoding.DER)


def load_der_certificate(der: bytes) -> x509.Certificate:
    return x509.load_der_x509_certificate(der)


def der_to_pem(der: bytes) -> bytes:
    return certificate_pem(x509.load_der_x509_certificate(der))


def curve_name(cert: x509.Certificate) -> str | None:
    """``P-256``/``P-384``/``P-521`` for an ECDSA certificate, else None."""
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return None
    for name, curve in _CURVES.items():
        if isinstance(public_key.curve, curve):
            return name
    return public_key.curve.name


def describe_p521_limitation(whose: str) -> str:
    """The explanation shown when a peer's certificate uses P-521 (wire protocol §2.6)."""
    return (
        f"{whose} certificate uses ECDSA P-521 (go-plugin's AutoMTLS default). grpcio wheels "
        "from PyPI are built on BoringSSL, which does not offer the ecdsa_secp521r1_sha512 "
        "signature algorithm in TLS 1.3, so the TLS handshake with this peer fails "
        "(NO_COMMON_SIGNATURE_ALGORITHMS / PEER_DID_NOT_RETURN_A_CERTIFICATE). Use a grpcio "
        "built against OpenSSL, or turn AutoMTLS off on the go-plugin host and use "
        "HoloMUSH mTLS (P-256)."
    )
