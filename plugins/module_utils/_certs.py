# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""X.509 certificates: load them from anything an admin or a registry hands over, and describe them.

"Self-signed" here means self-issued (subject and issuer are the same name, `self_issued`) and the
signature verifies with the certificate's own public key (RFC 5280 3.2; Microsoft KB2795828). When the
signature algorithm of a self-issued certificate cannot be checked (MD2, or MD5 where the crypto
backend refuses it) `self_signed` is None: unknown, never "not a root".
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import struct
import traceback
import warnings
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar, overload

from ._blob import decode_certificate_blob, encode_certificate_blob, parse_reg_hex, sha1_hex
from ._errors import PkiInputError

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.utils import CryptographyDeprecationWarning
    from cryptography.x509.oid import ExtensionOID, NameOID
except ImportError:  # pragma: no cover - exercised only without the library
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
    # Old public roots with a negative serial number are a fact of Windows root stores, not news.
    warnings.filterwarnings(
        "ignore",
        message="Parsed a serial number which wasn't positive",
        category=CryptographyDeprecationWarning,
    )
    # So are names with attributes longer than X.520's upper bounds (some national roots' O= values).
    warnings.filterwarnings("ignore", message="Attribute's length must be", category=UserWarning)

_T = TypeVar("_T")


class cached_property(Generic[_T]):
    """functools.cached_property without the per-access lock Python 3.11 takes (the core's hot path)."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        """Wrap the getter."""
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        """Remember the attribute name the value is cached under."""
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> cached_property[_T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> _T | cached_property[_T]:
        """Compute once, then store in the instance so later reads skip the descriptor."""
        if obj is None:
            return self
        value = self.func(obj)
        obj.__dict__[self.name] = value
        return value


WEAK_HASHES: frozenset[str] = frozenset({"md2", "md4", "md5", "sha1"})

# Signature algorithm OID -> (name, hash). Names follow RFC 3279/4055/5758/8410; includes OIDs the
# crypto library does not know (md2/md4, the OIW sha1WithRSA 1.3.14.3.2.29 seen in old Windows roots).
SIGNATURE_ALGORITHMS: dict[str, tuple[str, str | None]] = {
    "1.2.840.113549.1.1.2": ("md2WithRSAEncryption", "md2"),
    "1.2.840.113549.1.1.3": ("md4WithRSAEncryption", "md4"),
    "1.2.840.113549.1.1.4": ("md5WithRSAEncryption", "md5"),
    "1.2.840.113549.1.1.5": ("sha1WithRSAEncryption", "sha1"),
    "1.3.14.3.2.29": ("sha1WithRSAEncryption", "sha1"),
    "1.2.840.113549.1.1.10": ("rsassaPss", None),
    "1.2.840.113549.1.1.11": ("sha256WithRSAEncryption", "sha256"),
    "1.2.840.113549.1.1.12": ("sha384WithRSAEncryption", "sha384"),
    "1.2.840.113549.1.1.13": ("sha512WithRSAEncryption", "sha512"),
    "1.2.840.113549.1.1.14": ("sha224WithRSAEncryption", "sha224"),
    "1.2.840.10045.4.1": ("ecdsa-with-SHA1", "sha1"),
    "1.2.840.10045.4.3.1": ("ecdsa-with-SHA224", "sha224"),
    "1.2.840.10045.4.3.2": ("ecdsa-with-SHA256", "sha256"),
    "1.2.840.10045.4.3.3": ("ecdsa-with-SHA384", "sha384"),
    "1.2.840.10045.4.3.4": ("ecdsa-with-SHA512", "sha512"),
    "1.2.840.10040.4.3": ("dsa-with-sha1", "sha1"),
    "2.16.840.1.101.3.4.3.1": ("dsa-with-sha224", "sha224"),
    "2.16.840.1.101.3.4.3.2": ("dsa-with-sha256", "sha256"),
    "1.3.101.112": ("ed25519", None),
    "1.3.101.113": ("ed448", None),
}

_KEY_ALGORITHM_NAMES = {"rsa": "RSA", "ecdsa": "EC", "dsa": "DSA", "ed25519": "Ed25519", "ed448": "Ed448"}

_KEY_USAGES: tuple[str, ...] = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_BASE64_TEXT = re.compile(rb"^[A-Za-z0-9+/=\s]+$")
_HEX_TEXT = re.compile(rb"^[0-9a-fA-F]{40,}$")
_PRINTABLE = re.compile(rb"^[\x09\x0a\x0d\x20-\x7e]+$")
# A .reg export value: optional "name"=, optional hex: / hex(3): prefix, then hex byte pairs with commas.
_REG_HEX_TEXT = re.compile(
    rb'^(?:"?[^"=]*"?\s*=\s*)?(?:hex(?:\([0-9a-fA-F]+\))?:)?[0-9a-fA-F]{2}(?:[\s,\\]*[0-9a-fA-F]{2})*[\s,]*$'
)
_PEM_HEADER_LINE = re.compile(rb"^[^\s:]+:.*$", re.MULTILINE)


def require_cryptography() -> None:
    """Raise a clear ImportError when the `cryptography` package is missing on the controller."""
    if not HAS_CRYPTOGRAPHY:
        raise ImportError(
            "sfb.pki needs the Python package 'cryptography' (>= 42) on the controller: "
            f"pip install cryptography\n{CRYPTOGRAPHY_IMPORT_ERROR}"
        )


_ZERO = dt.timedelta(0)


def iso(value: dt.datetime | None) -> str | None:
    """ISO-8601 UTC text ("2026-11-23T14:00:00Z") of an aware datetime, None stays None."""
    if value is None:
        return None
    if value.tzinfo is not dt.UTC and value.utcoffset() != _ZERO:
        value = value.astimezone(dt.UTC)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"
    )


def days_until(when: dt.datetime, now: dt.datetime) -> int:
    """Whole days from `now` to `when` (negative once past; floor, so 1 hour past is -1)."""
    return (when - now).days


def name_key(name: x509.Name) -> str:
    """A comparison key for a distinguished name (RFC 4514 text, case-folded)."""
    return name.rfc4514_string().casefold()


# ----------------------------------------------------------------------------------------- loading
def extract_der(
    data: bytes | str,
    source: str,
    labels: tuple[str, ...],
    what: str,
    blob_decoder: Callable[[bytes, str], bytes],
) -> list[tuple[bytes, str]]:
    """Split input into (DER, name) items: PEM blocks with `labels`, DER, base64, .reg hex or a blob."""
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else _text_bom(bytes(data))
    try:
        return _extract(raw, source, labels, what, blob_decoder, depth=0)
    except PkiInputError:
        raise
    except (ValueError, TypeError, IndexError, struct.error) as exc:
        raise PkiInputError(source, f"cannot be read as a {what}: {exc}") from None


def _text_bom(raw: bytes) -> bytes:
    """Text saved with a byte-order mark (Windows PowerShell's Out-File writes UTF-16LE) as UTF-8."""
    if raw[:3] == b"\xef\xbb\xbf":
        return raw[3:]
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return raw
    return raw


def _is_der_sequence(raw: bytes) -> bool:
    """A single DER SEQUENCE whose declared length is exactly the input (text never looks like this).

    Hand-written on purpose: it picks the input format before any parser runs, and reads only the
    outer tag and length, never X.509 content. `cryptography` has no probe that says "binary DER"
    for a certificate, a CRL and a PKCS #7 bundle alike without parsing each, and text that happens
    to start with 0x30 (a .reg export "30,82,...") must not be taken for DER. Tested against
    `cryptography` on every fixture (tests/unit/module_utils/test_certs.py).
    """
    if len(raw) < 4 or raw[0] != 0x30 or raw[1] < 0x81 or raw[1] > 0x84:
        return False
    count = raw[1] & 0x7F
    return 2 + count + int.from_bytes(raw[2 : 2 + count], "big") == len(raw)


def _extract(
    raw: bytes,
    source: str,
    labels: tuple[str, ...],
    what: str,
    blob_decoder: Callable[[bytes, str], bytes],
    depth: int,
) -> list[tuple[bytes, str]]:
    if _is_der_sequence(raw):
        return [(raw, source)]
    if not raw.strip():
        raise PkiInputError(source, "is empty")
    if b"-----BEGIN " in raw:
        return _extract_pem(raw, source, labels, what)
    if len(raw) >= 12 and raw[4:8] == b"\x01\x00\x00\x00":
        return [(blob_decoder(raw, source), source)]
    text = raw.strip()
    if _PRINTABLE.match(text):
        if depth == 0 and b"," in text and _REG_HEX_TEXT.match(text):
            decoded = parse_reg_hex(text.decode("ascii"), source)
            return _extract(decoded, source, labels, what, blob_decoder, 1)
        compact = b"".join(text.split())
        if depth == 0 and len(compact) % 2 == 0 and _HEX_TEXT.match(compact):
            return _extract(bytes.fromhex(compact.decode("ascii")), source, labels, what, blob_decoder, 1)
        if depth == 0 and _BASE64_TEXT.match(text):
            try:
                decoded = base64.b64decode(b"".join(text.split()), validate=True)
            except (binascii.Error, ValueError):
                raise PkiInputError(source, f"looks like base64 but does not decode as a {what}") from None
            return _extract(decoded, source, labels, what, blob_decoder, 1)
    if raw[:1] == b"\x30":
        return [(raw, source)]
    raise PkiInputError(
        source, f"is not a PEM, DER, base64, .reg hex or registry-blob {what} (starts with 0x{raw[:4].hex()})"
    )


def _extract_pem(raw: bytes, source: str, labels: tuple[str, ...], what: str) -> list[tuple[bytes, str]]:
    found: list[tuple[bytes, str]] = []
    others: list[str] = []
    for number, match in enumerate(_PEM_BLOCK.finditer(raw), start=1):
        label = match.group(1).decode("ascii")
        if label not in labels:
            others.append(label)
            continue
        body = _PEM_HEADER_LINE.sub(b"", match.group(2))
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            raise PkiInputError(source, f"PEM block {number} ({label}) is not valid base64") from None
        found.append((der, f"{source} (PEM block {number})"))
    if not found:
        for label in labels:
            begin = f"-----BEGIN {label}-----".encode()
            if begin in raw and f"-----END {label}-----".encode() not in raw:
                raise PkiInputError(source, f"has a {label} PEM block with no END line (truncated?)")
        seen = f" (found {', '.join(others)})" if others else ""
        raise PkiInputError(source, f"holds no {labels[0]} PEM block{seen}")
    return found


def load_certificates(data: bytes | str, source: str) -> list[Certificate]:
    """Every certificate in PEM (a bundle, junk around it), DER, PKCS #7 (.p7b), base64 or a registry blob."""
    require_cryptography()
    items = extract_der(data, source, _CERT_LABELS, "certificate", _blob_cert)
    certs: list[Certificate] = []
    for der, name in items:
        try:
            certs.append(Certificate.from_der(der, name))
        except PkiInputError as err:
            certs.extend(_from_pkcs7(der, name, err))
    return certs


_CERT_LABELS = ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE", "PKCS7", "CMS")


def _from_pkcs7(der: bytes, source: str, not_a_certificate: PkiInputError) -> list[Certificate]:
    """The certificates of a PKCS #7 bundle (.p7b, "Cryptographic Message Syntax" chain export).

    Called for DER that did not load as one certificate; when it is no bundle either, the error names both.
    """
    try:
        bundle = pkcs7.load_der_pkcs7_certificates(der)
    except ValueError as exc:
        raise PkiInputError(
            source, f"{not_a_certificate.fault}, nor a valid PKCS #7 certificate bundle: {exc}"
        ) from None
    if not bundle:
        raise PkiInputError(source, "is a PKCS #7 bundle without certificates")
    return [
        Certificate.from_der(cert.public_bytes(serialization.Encoding.DER), f"{source} (certificate {n})")
        for n, cert in enumerate(bundle, start=1)
    ]


def _blob_cert(blob: bytes, source: str) -> bytes:
    return decode_certificate_blob(blob, source)


def load_certificate(data: bytes | str, source: str) -> Certificate:
    """Exactly one certificate; none or several is an error naming the input."""
    certs = load_certificates(data, source)
    if len(certs) != 1:
        raise PkiInputError(source, f"holds {len(certs)} certificates, expected exactly one")
    return certs[0]


# ------------------------------------------------------------------------------------ verification
def _hash_for(name: str | None) -> hashes.HashAlgorithm | None:
    table: dict[str, Callable[[], hashes.HashAlgorithm]] = {
        "md5": hashes.MD5,
        "sha1": hashes.SHA1,
        "sha224": hashes.SHA224,
        "sha256": hashes.SHA256,
        "sha384": hashes.SHA384,
        "sha512": hashes.SHA512,
    }
    factory = table.get(name or "")
    return factory() if factory else None


def verify_signature(
    public_key: Any,
    signature: bytes,
    data: bytes,
    algorithm_oid: str,
    parameters: Any,
    hash_algorithm: hashes.HashAlgorithm | None,
) -> bool | None:
    """Check one signature: True, False, or None when the algorithm cannot be checked here."""
    name, hash_name = SIGNATURE_ALGORITHMS.get(algorithm_oid, ("", None))
    family = _key_family(public_key)
    if family is None:
        return None
    if name and _family_of_algorithm(name) != family:
        return False  # a signature of one algorithm family cannot be made by a key of another
    try:
        if family in ("ed25519", "ed448"):
            public_key.verify(signature, data)
            return True
        if hash_algorithm is None:
            hash_algorithm = _hash_for(hash_name)
        if hash_algorithm is None:
            return None
        if family == "rsa":
            pad = parameters if isinstance(parameters, padding.PSS | padding.PKCS1v15) else padding.PKCS1v15()
            public_key.verify(signature, data, pad, hash_algorithm)
        elif family == "ecdsa":
            public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
        else:
            public_key.verify(signature, data, hash_algorithm)
    except InvalidSignature:
        return False
    except UnsupportedAlgorithm:
        return None
    except (ValueError, TypeError):
        return False
    return True


_FAMILY_BY_TYPE: dict[type, str | None] = {}


def _key_family(public_key: Any) -> str | None:
    """rsa, ecdsa, dsa, ed25519, ed448 or None; remembered per concrete key class."""
    kind = type(public_key)
    if kind not in _FAMILY_BY_TYPE:
        _FAMILY_BY_TYPE[kind] = _classify_key(public_key)
    return _FAMILY_BY_TYPE[kind]


def _classify_key(public_key: Any) -> str | None:
    if isinstance(public_key, rsa.RSAPublicKey):
        return "rsa"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "ecdsa"
    if isinstance(public_key, dsa.DSAPublicKey):
        return "dsa"
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "ed448"
    return None


def _family_of_algorithm(name: str) -> str:
    if "RSA" in name or name == "rsassaPss":
        return "rsa"
    return name.split("-", 1)[0]  # ecdsa-with-..., dsa-with-..., ed25519, ed448


def verify_signed_by(child: Certificate, issuer: Certificate) -> bool | None:
    """Does `child`'s signature verify with `issuer`'s public key? None when it cannot be checked."""
    if issuer.public_key is None:
        return None
    verdicts: dict[str, bool | None] = child.__dict__.setdefault("_verdict_by_issuer", {})
    if issuer.thumbprint not in verdicts:
        verdicts[issuer.thumbprint] = child.signature_verifies_with(issuer.public_key)
    return verdicts[issuer.thumbprint]


_NAME_TEXT: dict[x509.Name, str] = {}


def _name_text(name: x509.Name) -> str:
    """RFC 4514 text of a parsed name (cryptography's rendering), remembered: a store repeats its issuers."""
    text = _NAME_TEXT.get(name)
    if text is None:
        if len(_NAME_TEXT) >= 4096:
            _NAME_TEXT.clear()
        text = _NAME_TEXT[name] = name.rfc4514_string()
    return text


# ------------------------------------------------------------------------------ extension facts
class _ExtensionFact(cached_property[_T]):
    """A Certificate fact from its extensions: reading one reads them all (Certificate._read_extensions)."""

    def __init__(self, doc: str) -> None:
        """Describe the fact; its name comes from the attribute it is assigned to."""
        super().__init__(self._read)
        self.__doc__ = doc

    def _read(self, obj: Any) -> _T:
        obj._read_extensions()
        value: _T = obj.__dict__[self.name]
        return value


_EXTENSION_DEFAULTS: dict[str, Any] = {
    "basic_constraints": None,
    "key_usage": None,
    "eku_present": False,
    "ekus": (),
    "dns_names": (),
    "ski": None,
    "aki": None,
}


def _read_basic_constraints(value: Any, facts: dict[str, Any]) -> None:
    facts["basic_constraints"] = value


def _read_key_usage(value: Any, facts: dict[str, Any]) -> None:
    names = [name for name in _KEY_USAGES if getattr(value, name)]
    if value.key_agreement:  # encipher_only / decipher_only are defined only with key agreement
        names += [name for name in ("encipher_only", "decipher_only") if getattr(value, name)]
    facts["key_usage"] = tuple(names)


def _read_extended_key_usage(value: Any, facts: dict[str, Any]) -> None:
    facts["eku_present"] = True
    facts["ekus"] = tuple(oid.dotted_string for oid in value)


def _read_subject_alt_name(value: Any, facts: dict[str, Any]) -> None:
    facts["dns_names"] = tuple(name.value for name in value if isinstance(name, x509.DNSName))


def _read_subject_key_identifier(value: Any, facts: dict[str, Any]) -> None:
    facts["ski"] = value.digest.hex().upper()


def _read_authority_key_identifier(value: Any, facts: dict[str, Any]) -> None:
    key_id = value.key_identifier
    facts["aki"] = bytes(key_id).hex().upper() if key_id is not None else None


_EXTENSION_READERS: dict[Any, Callable[[Any, dict[str, Any]], None]] = (
    {
        ExtensionOID.BASIC_CONSTRAINTS: _read_basic_constraints,
        ExtensionOID.KEY_USAGE: _read_key_usage,
        ExtensionOID.EXTENDED_KEY_USAGE: _read_extended_key_usage,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME: _read_subject_alt_name,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER: _read_subject_key_identifier,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER: _read_authority_key_identifier,
    }
    if HAS_CRYPTOGRAPHY
    else {}
)


# ------------------------------------------------------------------------------------- certificate
# Facts of certificates worked out ahead of time, by DER (`work_out_ahead`). Only plain values are kept
# (strings, numbers, dates, tuples of strings), never parsed objects: every forked worker inherits the
# table, and a worker that touched inherited objects would copy the memory pages they sit on.
_AHEAD: dict[bytes, dict[str, Any]] = {}
_PLAIN = (str, int, bytes, dt.datetime, type(None))


def _plain(value: Any) -> bool:
    return isinstance(value, _PLAIN) or (isinstance(value, tuple) and all(isinstance(v, str) for v in value))


def work_out_ahead(ders: Iterable[bytes]) -> int:
    """Work out every fact of each certificate now; `from_der` then starts from these facts.

    The controller calls this once, in the process that forks one worker per host, for the certificates
    it holds itself (Microsoft's Trusted Root Program, `_known`). Every server carries dozens of them, and
    describing them (above all checking their self-signatures) was most of a host's analysis, repeated in
    each worker. The facts are what the properties compute from the same bytes, so a worker starting from
    them holds what it would have computed. Bytes that are not a certificate, or a certificate with a fact
    that cannot be worked out, are left to the worker. Returns how many certificates are held.
    """
    for der in ders:
        if der in _AHEAD:
            continue
        try:
            cert = Certificate.from_der(der, "work_out_ahead")
            cert.work_out()
        except Exception:  # described in the worker instead, which reports it as before
            continue
        _AHEAD[der] = {k: v for k, v in vars(cert).items() if k not in ("der", "source") and _plain(v)}
    return len(_AHEAD)


class Certificate:
    """One X.509 certificate: the DER plus derived facts, each computed once."""

    def __init__(self, der: bytes, cert: x509.Certificate, source: str = "certificate") -> None:
        """Wrap an already parsed certificate (use load_certificate(s) or from_der to parse)."""
        self.der = der
        self.cert = cert
        self.source = source

    @classmethod
    def from_der(cls, der: bytes, source: str, thumbprint: str | None = None) -> Certificate:
        """Parse DER; a malformed certificate or extension is a PkiInputError naming `source`.

        `thumbprint` is the SHA-1 of `der` when the caller has already checked it (a registry key name
        matched against the blob), so it is not computed again.
        """
        require_cryptography()
        try:
            cert = x509.load_der_x509_certificate(der)
            cert.extensions  # noqa: B018 - parse now so a broken extension fails here, not later
            serial = int(cert.serial_number)
        except ValueError as exc:
            raise PkiInputError(source, f"is not a valid DER certificate: {exc}") from None
        made = cls(der, cert, source)
        made.__dict__.update(_AHEAD.get(der, ()))
        made.__dict__["serial_number"] = serial
        if thumbprint is not None:
            made.__dict__["thumbprint"] = thumbprint
        return made

    def work_out(self) -> None:
        """Compute every fact now (see `work_out_ahead`)."""
        for klass in type(self).__mro__:
            for name, attr in vars(klass).items():
                if isinstance(attr, cached_property):
                    getattr(self, name)

    def __repr__(self) -> str:
        """Short form: subject and thumbprint."""
        return f"<Certificate {self.subject} {self.thumbprint}>"

    def __eq__(self, other: object) -> bool:
        """Same DER, same certificate."""
        return isinstance(other, Certificate) and other.der == self.der

    def __hash__(self) -> int:
        """Hash of the thumbprint."""
        return hash(self.thumbprint)

    # identity
    @cached_property
    def thumbprint(self) -> str:
        """SHA-1 of the DER, uppercase hex: the Windows thumbprint and registry key name."""
        return sha1_hex(self.der)

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the DER, uppercase hex."""
        return hashlib.sha256(self.der).hexdigest().upper()

    @cached_property
    def _tbs(self) -> bytes:
        """The TBSCertificate the signature covers, as the library hands it over."""
        return self.cert.tbs_certificate_bytes

    @cached_property
    def subject(self) -> str:
        """Subject DN, RFC 4514."""
        return _name_text(self.cert.subject)

    @cached_property
    def issuer(self) -> str:
        """Issuer DN, RFC 4514."""
        return _name_text(self.cert.issuer)

    @cached_property
    def common_name(self) -> str | None:
        """The subject's last commonName, None without one."""
        names = self.cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[-1].value) if names else None

    @property
    def subject_der(self) -> bytes:
        """The encoded subject name (what TLS sends as a DistinguishedName), as cryptography encodes it.

        The library writes back the name it parsed, which for a DER certificate is the same bytes
        (tested on every certificate fixture, tests/unit/module_utils/test_certs.py).
        """
        der: bytes = self.cert.subject.public_bytes()
        return der

    @cached_property
    def subject_key(self) -> str:
        """Subject comparison key (see name_key)."""
        return self.subject.casefold()

    @cached_property
    def issuer_key(self) -> str:
        """Issuer comparison key (see name_key)."""
        return self.issuer.casefold()

    @cached_property
    def serial_number(self) -> int:
        """Serial number as an integer (old certificates may carry a negative one)."""
        return int(self.cert.serial_number)

    @cached_property
    def serial(self) -> str:
        """Serial number as uppercase hex of its DER bytes (the form Windows shows, leading 00 kept)."""
        number = self.serial_number
        length = (number.bit_length() + 8) // 8 if number >= 0 else ((-number - 1).bit_length() + 8) // 8
        return number.to_bytes(length, "big", signed=True).hex().upper()

    @cached_property
    def version(self) -> int:
        """X.509 version number: 1 or 3."""
        return 1 if self.cert.version == x509.Version.v1 else 3

    # validity
    @cached_property
    def not_before(self) -> dt.datetime:
        """Start of validity, aware UTC."""
        return self.cert.not_valid_before_utc

    @cached_property
    def not_after(self) -> dt.datetime:
        """End of validity, aware UTC."""
        return self.cert.not_valid_after_utc

    def expired(self, now: dt.datetime) -> bool:
        """Whether validity ended before `now`."""
        return self.not_after < now

    def days_left(self, now: dt.datetime) -> int:
        """Whole days of validity left at `now` (negative when expired)."""
        return days_until(self.not_after, now)

    # extensions
    def _read_extensions(self) -> None:
        """Every extension fact below, in one pass over the parsed extensions (absent: the default)."""
        facts = self.__dict__
        facts.update(_EXTENSION_DEFAULTS)
        for extension in self.cert.extensions:
            reader = _EXTENSION_READERS.get(extension.oid)
            if reader is not None:
                reader(extension.value, facts)

    basic_constraints: _ExtensionFact[x509.BasicConstraints | None] = _ExtensionFact(
        "The basicConstraints extension, or None when absent."
    )
    key_usage: _ExtensionFact[tuple[str, ...] | None] = _ExtensionFact(
        "Key usage names set (e.g. key_cert_sign, crl_sign), None when the extension is absent."
    )
    eku_present: _ExtensionFact[bool] = _ExtensionFact(
        "Whether the certificate has an extendedKeyUsage extension (absent means any purpose)."
    )
    ekus: _ExtensionFact[tuple[str, ...]] = _ExtensionFact(
        "Extended key usage OIDs, dotted; empty when the extension is absent (see eku_present)."
    )
    dns_names: _ExtensionFact[tuple[str, ...]] = _ExtensionFact("DNS names of the subjectAltName extension.")
    ski: _ExtensionFact[str | None] = _ExtensionFact("Subject key identifier, uppercase hex, or None.")
    aki: _ExtensionFact[str | None] = _ExtensionFact(
        "Authority key identifier (keyIdentifier), uppercase hex, or None."
    )

    @cached_property
    def self_issued(self) -> bool:
        """Subject and issuer are the same name, compared case-insensitively (says nothing about the key).

        Names that Windows finds byte-equal render to the same RFC 4514 text, so this also covers them.
        """
        return self.subject_key == self.issuer_key

    @cached_property
    def is_ca(self) -> bool:
        """basicConstraints CA; a self-issued X.509 v1 certificate (no extensions) counts as a CA."""
        if self.basic_constraints is not None:
            return bool(self.basic_constraints.ca)
        return self.version == 1 and self.self_issued

    @cached_property
    def path_length(self) -> int | None:
        """basicConstraints pathLenConstraint, None when absent or unlimited."""
        return self.basic_constraints.path_length if self.basic_constraints is not None else None

    # keys and signatures
    @cached_property
    def public_key(self) -> Any:
        """The cryptography public key, or None when its algorithm is not supported."""
        try:
            return self.cert.public_key()
        except (UnsupportedAlgorithm, ValueError):
            return None

    @cached_property
    def spki_der(self) -> bytes | None:
        """DER SubjectPublicKeyInfo (Windows property 20 hashes it), None when unreadable."""
        if self.public_key is None:
            return None
        spki: bytes = self.public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return spki

    @cached_property
    def key_identifier(self) -> bytes | None:
        """Windows' key identifier (blob property 20): the SKI extension, else SHA-1 of the SPKI DER."""
        if self.ski is not None:
            return bytes.fromhex(self.ski)
        if self.spki_der is None:
            return None
        return hashlib.sha1(self.spki_der, usedforsecurity=False).digest()

    def registry_blob(self) -> bytes:
        """The `Blob` value Windows would store for this certificate (properties 3, 20, 32)."""
        return encode_certificate_blob(self.der, key_identifier=self.key_identifier)

    @cached_property
    def key_algorithm(self) -> str:
        """RSA, EC, DSA, Ed25519, Ed448, or unknown."""
        return _KEY_ALGORITHM_NAMES.get(_key_family(self.public_key) or "", "unknown")

    @cached_property
    def key_size(self) -> int | None:
        """Key size in bits (None for Edwards keys and unknown algorithms)."""
        size = getattr(self.public_key, "key_size", None)
        return int(size) if isinstance(size, int) else None

    @cached_property
    def signature_algorithm_oid(self) -> str:
        """Dotted OID of the signature algorithm."""
        return self.cert.signature_algorithm_oid.dotted_string

    @cached_property
    def signature_algorithm(self) -> str:
        """Signature algorithm name (e.g. sha256WithRSAEncryption), or the dotted OID when unknown."""
        return SIGNATURE_ALGORITHMS.get(self.signature_algorithm_oid, (self.signature_algorithm_oid, None))[0]

    @cached_property
    def _hash_algorithm(self) -> hashes.HashAlgorithm | None:
        try:
            algorithm = self.cert.signature_hash_algorithm
        except UnsupportedAlgorithm:
            return None
        return algorithm

    @cached_property
    def signature_hash(self) -> str | None:
        """Digest of the signature (md2, md5, sha1, sha256, ...); None for Ed25519/Ed448 or unknown."""
        if self._hash_algorithm is not None:
            return self._hash_algorithm.name
        return SIGNATURE_ALGORITHMS.get(self.signature_algorithm_oid, ("", None))[1]

    @cached_property
    def weak_signature(self) -> bool:
        """Signed with md2, md4, md5 or sha1."""
        return self.signature_hash in WEAK_HASHES

    @cached_property
    def _signature_parameters(self) -> Any:
        try:
            return self.cert.signature_algorithm_parameters
        except (UnsupportedAlgorithm, ValueError):
            return None

    def signature_verifies_with(self, public_key: Any) -> bool | None:
        """Whether this certificate's signature verifies with `public_key` (None: cannot be checked)."""
        return verify_signature(
            public_key,
            self.cert.signature,
            self._tbs,
            self.signature_algorithm_oid,
            self._signature_parameters,
            self._hash_algorithm,
        )

    @cached_property
    def self_signed(self) -> bool | None:
        """Self-issued and the signature verifies with its own key; None when that cannot be checked.

        RFC 5280 3.2: a self-signed certificate is a self-issued one whose signature verifies with its own
        key. A certificate issued under another name is therefore never self-signed, and its signature is
        not checked against its own key (a chain checks it against its issuer's).
        """
        if not self.self_issued:
            return False
        if self.public_key is None:
            return None
        return self.signature_verifies_with(self.public_key)

    def describe(self, now: dt.datetime) -> dict[str, Any]:
        """JSON-ready facts: ISO-8601 UTC dates, hex identifiers, None for absent values."""
        return {
            "thumbprint": self.thumbprint,
            "sha256": self.sha256,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "version": self.version,
            "not_before": iso(self.not_before),
            "not_after": iso(self.not_after),
            "expired": self.expired(now),
            "days_left": self.days_left(now),
            "is_ca": self.is_ca,
            "path_length": self.path_length,
            "key_usage": list(self.key_usage) if self.key_usage is not None else None,
            "ekus": list(self.ekus) if self.eku_present else None,
            "dns_names": list(self.dns_names),
            "ski": self.ski,
            "aki": self.aki,
            "key_algorithm": self.key_algorithm,
            "key_size": self.key_size,
            "signature_algorithm": self.signature_algorithm,
            "signature_hash": self.signature_hash,
            "weak_signature": self.weak_signature,
            "self_issued": self.self_issued,
            "self_signed": self.self_signed,
        }
