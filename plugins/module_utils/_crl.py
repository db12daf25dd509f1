# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate revocation lists: load, check against the issuing CA, compare, and plan refreshes.

A CRL may be distributed only when it is issued by the CA (name and signature), newer than the one
installed (CRL number, then thisUpdate) and its nextUpdate is still ahead (domain notes, section 5).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from ._blob import decode_crl_blob, sha1_hex
from ._certs import (
    HAS_CRYPTOGRAPHY,
    SIGNATURE_ALGORITHMS,
    WEAK_HASHES,
    Certificate,
    cached_property,
    days_until,
    extract_der,
    iso,
    name_key,
    require_cryptography,
    verify_signature,
)
from ._errors import PkiInputError

if HAS_CRYPTOGRAPHY:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtensionOID, NameOID


class Crl:
    """One CRL: the DER plus derived facts, each computed once."""

    def __init__(self, der: bytes, crl: x509.CertificateRevocationList, source: str = "CRL") -> None:
        """Wrap an already parsed CRL (use load_crl(s) or from_der to parse)."""
        self.der = der
        self.crl = crl
        self.source = source

    @classmethod
    def from_der(cls, der: bytes, source: str) -> Crl:
        """Parse DER; a malformed CRL is a PkiInputError naming `source`."""
        require_cryptography()
        try:
            crl = x509.load_der_x509_crl(der)
            crl.extensions  # noqa: B018 - parse now so a broken extension fails here
            crl.last_update_utc  # noqa: B018
        except ValueError as exc:
            raise PkiInputError(source, f"is not a valid DER CRL: {exc}") from None
        return cls(der, crl, source)

    def __repr__(self) -> str:
        """Short form: issuer, number and thumbprint."""
        return f"<Crl {self.issuer} #{self.crl_number} {self.thumbprint}>"

    @cached_property
    def thumbprint(self) -> str:
        """SHA-1 of the DER, uppercase hex: the registry key name under a store's CRLs key."""
        return sha1_hex(self.der)

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the DER, uppercase hex."""
        return hashlib.sha256(self.der).hexdigest().upper()

    @cached_property
    def issuer(self) -> str:
        """Issuer DN, RFC 4514."""
        return self.crl.issuer.rfc4514_string()

    @cached_property
    def issuer_key(self) -> str:
        """Issuer comparison key (see _certs.name_key)."""
        return name_key(self.crl.issuer)

    @cached_property
    def this_update(self) -> dt.datetime:
        """thisUpdate, aware UTC."""
        return self.crl.last_update_utc

    @cached_property
    def next_update(self) -> dt.datetime | None:
        """nextUpdate, aware UTC, or None when the CRL has none."""
        return self.crl.next_update_utc

    def _extension(self, oid: x509.ObjectIdentifier) -> Any:
        try:
            return self.crl.extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            return None

    @cached_property
    def crl_number(self) -> int | None:
        """The cRLNumber extension, None when absent."""
        value = self._extension(ExtensionOID.CRL_NUMBER)
        return int(value.crl_number) if value is not None else None

    @cached_property
    def delta_base(self) -> int | None:
        """The base CRL number of a delta CRL (deltaCRLIndicator), None for a complete CRL."""
        value = self._extension(ExtensionOID.DELTA_CRL_INDICATOR)
        return int(value.crl_number) if value is not None else None

    @property
    def is_delta(self) -> bool:
        """Whether this is a delta CRL rather than a complete (base) CRL."""
        return self.delta_base is not None

    @cached_property
    def issuer_common_name(self) -> str | None:
        """The issuer's last commonName (what certutil names the CRL file after), None without one."""
        names = self.crl.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[-1].value) if names else None

    @cached_property
    def aki(self) -> str | None:
        """Authority key identifier, uppercase hex, or None."""
        value = self._extension(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
        if value is None or value.key_identifier is None:
            return None
        return bytes(value.key_identifier).hex().upper()

    @cached_property
    def revoked_count(self) -> int:
        """Number of revoked certificate entries."""
        return len(self.crl)

    @cached_property
    def signature_algorithm(self) -> str:
        """Signature algorithm name, or the dotted OID when unknown."""
        oid = self.crl.signature_algorithm_oid.dotted_string
        return SIGNATURE_ALGORITHMS.get(oid, (oid, None))[0]

    @cached_property
    def _hash_algorithm(self) -> hashes.HashAlgorithm | None:
        try:
            return self.crl.signature_hash_algorithm
        except UnsupportedAlgorithm:
            return None

    @cached_property
    def signature_hash(self) -> str | None:
        """Digest of the signature (sha256, sha1, ...), None for Edwards keys or unknown."""
        if self._hash_algorithm is not None:
            return self._hash_algorithm.name
        return SIGNATURE_ALGORITHMS.get(self.crl.signature_algorithm_oid.dotted_string, ("", None))[1]

    def signature_valid(self, issuer_cert: Certificate) -> bool | None:
        """Whether the signature verifies with the certificate's key (None: cannot be checked)."""
        if issuer_cert.public_key is None:
            return None
        try:
            parameters = self.crl.signature_algorithm_parameters
        except (UnsupportedAlgorithm, ValueError):
            parameters = None
        return verify_signature(
            issuer_cert.public_key,
            self.crl.signature,
            self.crl.tbs_certlist_bytes,
            self.crl.signature_algorithm_oid.dotted_string,
            parameters,
            self._hash_algorithm,
        )

    def issuer_problem(self, issuer_cert: Certificate) -> str | None:
        """Why `issuer_cert` did not issue this CRL (name, then signature), or None when it did."""
        if self.issuer_key != issuer_cert.subject_key:
            return f"is issued by {self.issuer}, not by {issuer_cert.subject}"
        valid = self.signature_valid(issuer_cert)
        if valid is None:
            return f"has a signature ({self.signature_algorithm}) that cannot be checked"
        if not valid:
            return f"is not signed by the key of {issuer_cert.subject} ({issuer_cert.thumbprint})"
        return None

    def verify(self, issuer_cert: Certificate) -> bool:
        """True when `issuer_cert` issued this CRL: the names match and the signature verifies."""
        return self.issuer_problem(issuer_cert) is None

    def days_left(self, now: dt.datetime) -> int | None:
        """Whole days until nextUpdate (negative when past), None without nextUpdate."""
        return days_until(self.next_update, now) if self.next_update is not None else None

    def expired(self, now: dt.datetime) -> bool:
        """nextUpdate is past (a CRL without nextUpdate never expires)."""
        return self.next_update is not None and self.next_update < now

    def lifetime_used(self, now: dt.datetime) -> float | None:
        """Fraction of thisUpdate..nextUpdate elapsed at `now` (can exceed 1), None without nextUpdate."""
        if self.next_update is None:
            return None
        total = (self.next_update - self.this_update).total_seconds()
        if total <= 0:
            return 1.0
        return (now - self.this_update).total_seconds() / total

    def refresh_due(self, cushion_days: int | float) -> dt.datetime | None:
        """When to publish the next CRL: nextUpdate minus the cushion (None without nextUpdate)."""
        if self.next_update is None:
            return None
        return self.next_update - dt.timedelta(days=cushion_days)

    def check_distributable(
        self, issuer_cert: Certificate, now: dt.datetime, installed: Crl | None = None
    ) -> None:
        """Raise PkiInputError unless issued by `issuer_cert`, current at `now` and newer than `installed`."""
        problem = self.issuer_problem(issuer_cert)
        if problem is not None:
            raise PkiInputError(self.source, problem)
        if self.expired(now):
            raise PkiInputError(self.source, f"expired: its nextUpdate {iso(self.next_update)} is past")
        if installed is not None and compare_crls(self, installed) < 0:
            raise PkiInputError(
                self.source,
                f"is older than the installed CRL {installed.thumbprint} "
                f"(number {self.crl_number} vs {installed.crl_number}, "
                f"thisUpdate {iso(self.this_update)} vs {iso(installed.this_update)})",
            )

    def describe(self, now: dt.datetime) -> dict[str, Any]:
        """JSON-ready facts: ISO-8601 UTC dates, None for absent values."""
        used = self.lifetime_used(now)
        return {
            "thumbprint": self.thumbprint,
            "sha256": self.sha256,
            "issuer": self.issuer,
            "crl_number": self.crl_number,
            "delta": self.is_delta,
            "this_update": iso(self.this_update),
            "next_update": iso(self.next_update),
            "expired": self.expired(now),
            "days_left": self.days_left(now),
            "lifetime_used": round(used, 4) if used is not None else None,
            "aki": self.aki,
            "revoked_count": self.revoked_count,
            "signature_algorithm": self.signature_algorithm,
            "signature_hash": self.signature_hash,
            "weak_signature": self.signature_hash in WEAK_HASHES,
        }


def compare_crls(a: Crl, b: Crl) -> int:
    """-1, 0 or 1 as `a` is older, the same age or newer than `b` (CRL number, then thisUpdate)."""
    if a.issuer_key != b.issuer_key:
        raise PkiInputError(
            a.source, f"cannot be compared with {b.source}: issuer {a.issuer} is not {b.issuer}"
        )
    if a.crl_number is not None and b.crl_number is not None and a.crl_number != b.crl_number:
        return -1 if a.crl_number < b.crl_number else 1
    if a.this_update != b.this_update:
        return -1 if a.this_update < b.this_update else 1
    return 0


def _blob_crl(blob: bytes, source: str) -> bytes:
    return decode_crl_blob(blob, source)


def load_crls(data: bytes | str, source: str) -> list[Crl]:
    """Every CRL in PEM (X509 CRL blocks, junk around), DER, base64 or a Windows registry blob."""
    require_cryptography()
    items = extract_der(data, source, ("X509 CRL",), "CRL", _blob_crl)
    return [Crl.from_der(der, name) for der, name in items]


def load_crl(data: bytes | str, source: str) -> Crl:
    """Exactly one CRL; none or several is an error naming the input."""
    crls = load_crls(data, source)
    if len(crls) != 1:
        raise PkiInputError(source, f"holds {len(crls)} CRLs, expected exactly one")
    return crls[0]
