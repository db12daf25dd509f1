# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mint CA certificates and CRLs for the CRL cycle tests (real signatures, no fixtures on disk)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Ca:
    """A CA: its key and certificate DER."""

    name: str
    key: ec.EllipticCurvePrivateKey
    der: bytes

    @property
    def pem(self) -> bytes:
        """The certificate as PEM."""
        cert = x509.load_der_x509_certificate(self.der)
        return cert.public_bytes(serialization.Encoding.PEM)


def make_ca(name: str = "Contoso Root CA", key: ec.EllipticCurvePrivateKey | None = None) -> Ca:
    """A self-signed CA certificate valid for 20 years around NOW."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=3650))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Ca(name, key, cert.public_bytes(serialization.Encoding.DER))


def make_leaf(ca: Ca, name: str = "fe01.contoso.local") -> bytes:
    """A non-CA certificate issued by `ca` (DER)."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca.name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=10))
        .not_valid_after(NOW + timedelta(days=300))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def make_crl(
    ca: Ca,
    number: int | None = 1,
    this_update: datetime | None = None,
    days: float = 213,
    issuer_name: str | None = None,
    signing_key: ec.EllipticCurvePrivateKey | None = None,
    delta: bool = False,
) -> bytes:
    """A DER CRL of `ca` (name and key overridable), valid `days` from `this_update`."""
    start = this_update or NOW - timedelta(days=30)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name or ca.name)]))
        .last_update(start)
        .next_update(start + timedelta(days=days))
    )
    if number is not None:
        builder = builder.add_extension(x509.CRLNumber(number), critical=False)
    if delta:
        builder = builder.add_extension(x509.DeltaCRLIndicator(max((number or 1) - 1, 0)), critical=True)
    crl = builder.sign(signing_key or ca.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)
