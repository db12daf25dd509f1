# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real PKI material for tests and the simulated estate, made with `cryptography` at run time.

Everything here returns plain objects: certificates come back as `Issued` (`.cert`, `.key`, `.pem`,
`.der`, `.blob`, `.thumbprint`, `.name`), CRLs as `IssuedCrl` (`.crl`, `.key`, `.pem`, `.der`, `.blob`,
`.thumbprint`). Times default to "now"; pass `now=` for reproducible dates. The API is small and stable:

    from tests.support import pkifactory as pf

    pki = pf.hierarchy("Contoso")                 # offline root -> issuing CA -> Front End leaf
    pki.root, pki.issuing, pki.leaf               # each an Issued
    root = pf.root_ca("CN=Fabrikam Root CA", key_type="ecdsa")
    sub = pf.sub_ca(root, "CN=Fabrikam Issuing CA")
    fe = pf.leaf(sub, "CN=fe01.fabrikam.com", ekus=(pf.SERVER_AUTH,), dns=("fe01.fabrikam.com",))
    roll = pf.rollover(root)                      # renewed root (same name, new key) + cross certs
    old = pf.expired_root()                       # valid 2000..2010
    weak = pf.weak_root("md5")                    # "md5", "sha1" or "md2" signed self-signed CA
    weak_sub = pf.sub_ca(root, "CN=Old Sub", hash="sha1")
    v1 = pf.v1_root()                             # X.509 v1, no extensions at all
    md2 = pf.md2_root()                           # md2WithRSAEncryption: cryptography cannot verify it
    crl = pf.crl(root, number=7, days=180)        # signed by root.key
    bare = pf.crl(root, next_update=None)         # a CRL without nextUpdate
    forged = pf.crl(root, signing_key=pf.new_key())   # right issuer name, wrong key

Key types (`key_type=`): "rsa" (PKCS#1 v1.5), "rsa-pss", "ecdsa" (P-256), "ed25519", "ed448", "dsa".
Hashes (`hash=`): "sha256", "sha384", "sha512", "sha1", "md5", "md2" (RSA keys for the last three).
`cryptography` refuses to sign with SHA-1, MD5 and MD2, so those certificates are signed here by
hand: the TBS is signed with a raw RSA PKCS#1 v1.5 operation (RFC 8017 EMSA-PKCS1-v1_5), so the
signature is genuine and any verifier that still accepts the digest will verify it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from ansible_collections.sfb.pki.plugins.module_utils import _blob

SERVER_AUTH = ExtendedKeyUsageOID.SERVER_AUTH.dotted_string  # 1.3.6.1.5.5.7.3.1
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string  # 1.3.6.1.5.5.7.3.2
CODE_SIGNING = ExtendedKeyUsageOID.CODE_SIGNING.dotted_string

PrivateKey = Any  # one of the cryptography private key types

UTC = dt.UTC


# --------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def der(self) -> bytes:
        """DER encoding."""
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        """PEM encoding (one CERTIFICATE block)."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def thumbprint(self) -> str:
        """SHA-1 of the DER, uppercase hex (the Windows registry key name)."""
        return hashlib.sha1(self.der).hexdigest().upper()

    @property
    def blob(self) -> bytes:
        """Windows registry `Blob` value (properties 3, 20, 32; 20 = SKI, else SHA-1 of the SPKI)."""
        try:
            ski = self.cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        except x509.ExtensionNotFound:
            spki = self.cert.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return _blob.encode_certificate_blob(self.der, spki)
        return _blob.encode_certificate_blob(self.der, key_identifier=ski)

    @property
    def name(self) -> str:
        """Subject, RFC 4514."""
        return self.cert.subject.rfc4514_string()

    @property
    def key_pem(self) -> bytes:
        """Private key, unencrypted PKCS#8 PEM."""
        return bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )


@dataclass(frozen=True)
class IssuedCrl:
    """A CRL and the key that signed it."""

    crl: x509.CertificateRevocationList
    key: PrivateKey

    @property
    def der(self) -> bytes:
        """DER encoding."""
        return self.crl.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        """PEM encoding (one X509 CRL block)."""
        return self.crl.public_bytes(serialization.Encoding.PEM)

    @property
    def thumbprint(self) -> str:
        """SHA-1 of the DER, uppercase hex (the registry key name under CRLs)."""
        return hashlib.sha1(self.der).hexdigest().upper()

    @property
    def blob(self) -> bytes:
        """Windows registry `Blob` value (properties 3, 33)."""
        return _blob.encode_crl_blob(self.der)


@dataclass(frozen=True)
class Hierarchy:
    """Offline root -> issuing sub CA -> SfB Front End leaf."""

    root: Issued
    issuing: Issued
    leaf: Issued


@dataclass(frozen=True)
class Rollover:
    """A CA renewed with a new key, as Windows does it: same name, new key, two cross certificates.

    `old` and `new` are self-signed; `old_signed_by_new` (old key, signed by the new key) and
    `new_signed_by_old` (new key, signed by the old key) are self-issued but NOT self-signed.
    """

    old: Issued
    new: Issued
    old_signed_by_new: Issued
    new_signed_by_old: Issued


# ---------------------------------------------------------------------------------------------- keys
def new_key(key_type: str = "rsa", size: int = 2048) -> PrivateKey:
    """A fresh private key: "rsa"/"rsa-pss" (size bits), "ecdsa" (P-256), "ed25519", "ed448", "dsa"."""
    if key_type in ("rsa", "rsa-pss"):
        return rsa.generate_private_key(public_exponent=65537, key_size=size)
    if key_type == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "ed448":
        return ed448.Ed448PrivateKey.generate()
    if key_type == "dsa":
        return dsa.generate_private_key(key_size=2048)
    raise ValueError(f"unknown key_type {key_type!r}")


def _key_type_of(key: PrivateKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ecdsa"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, ed448.Ed448PrivateKey):
        return "ed448"
    if isinstance(key, dsa.DSAPrivateKey):
        return "dsa"
    raise TypeError(f"unsupported key {type(key).__name__}")


# --------------------------------------------------------------------------------------- raw signing
# DER of AlgorithmIdentifier (with NULL params) and DigestInfo prefixes, RFC 8017 section 9.2 note 1.
_RSA_ALG_OID = {
    "md2": "1.2.840.113549.1.1.2",
    "md5": "1.2.840.113549.1.1.4",
    "sha1": "1.2.840.113549.1.1.5",
    "sha256": "1.2.840.113549.1.1.11",
    "sha384": "1.2.840.113549.1.1.12",
    "sha512": "1.2.840.113549.1.1.13",
}
_DIGEST_INFO_PREFIX = {
    "md2": bytes.fromhex("3020300c06082a864886f70d020205000410"),
    "md5": bytes.fromhex("3020300c06082a864886f70d020505000410"),
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}

# RFC 1319 MD2 substitution table (a permutation of 0..255 built from the digits of pi).
_MD2_S = bytes.fromhex(
    "292e43c9a2d87c013d3654a1ecf0061362a705f3c0c7738c98932bd9bc4c82ca"
    "1e9b573cfdd4e01667426f188a17e512be4ec4d6da9ede49a0fbf58ebb2fee7a"
    "a968799115b2073f94c210890b225f21807f5d9a5a903227353ecce7bff79703"
    "ff1930b348a5b5d1d75e922aac56aac64fb838d296a47db676fc6be29c7404f1"
    "459d705964718720865bcf65e62da8021b6025adaeb0b9f61c46616934407e0f"
    "5547a323dd51af3ac35cf9cebac5ea262c530d6e85288409d3dfcdf441814d52"
    "6adc37c86cc1abfa24e17b080cbdb14a7888958be363e86de9cbd5fe3b001d39"
    "f2efb70e6658d0e4a67772f8eb754b0a314450b48fed1f1adb998d339f118314"
)


def md2(data: bytes) -> bytes:
    """MD2 digest (RFC 1319); hashlib no longer offers it. md2(b"abc") = da853b0d3f88d99b30283a69e6ded6bb."""
    s = _MD2_S
    pad = 16 - len(data) % 16
    msg = data + bytes([pad]) * pad
    checksum = bytearray(16)
    last = 0
    for i in range(0, len(msg), 16):
        for j in range(16):
            checksum[j] ^= s[msg[i + j] ^ last]
            last = checksum[j]
    msg += bytes(checksum)
    x = bytearray(48)
    for i in range(0, len(msg), 16):
        for j in range(16):
            x[16 + j] = msg[i + j]
            x[32 + j] = x[16 + j] ^ x[j]
        t = 0
        for round_ in range(18):
            for k in range(48):
                x[k] ^= s[t]
                t = x[k]
            t = (t + round_) & 0xFF
    return bytes(x[:16])


def _digest(name: str, data: bytes) -> bytes:
    if name == "md2":
        return md2(data)
    return hashlib.new(name, data).digest()


def raw_rsa_sign(key: rsa.RSAPrivateKey, data: bytes, hash: str) -> bytes:
    """RSA PKCS#1 v1.5 signature of `data` with any digest in _DIGEST_INFO_PREFIX, computed by hand."""
    numbers = key.private_numbers()
    n, d = numbers.public_numbers.n, numbers.d
    k = (n.bit_length() + 7) // 8
    t = _DIGEST_INFO_PREFIX[hash] + _digest(hash, data)
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return pow(int.from_bytes(em, "big"), d, n).to_bytes(k, "big")


# ------------------------------------------------------------------------------------ minimal DER
def _read_tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the element at offset."""
    tag = data[offset]
    length = data[offset + 1]
    pos = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    return tag, pos, pos + length


def _children(data: bytes) -> list[bytes]:
    """The complete TLVs inside a constructed element's content."""
    out = []
    offset = 0
    while offset < len(data):
        _unused, _unused2, end = _read_tlv(data, offset)
        out.append(data[offset:end])
        offset = end
    return out


def _content(tlv: bytes) -> bytes:
    _unused, start, end = _read_tlv(tlv, 0)
    return tlv[start:end]


def _encode_tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def _encode_oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray()
    for value in [parts[0] * 40 + parts[1], *parts[2:]]:
        chunk = [value & 0x7F]
        value >>= 7
        while value:
            chunk.append(0x80 | (value & 0x7F))
            value >>= 7
        body.extend(reversed(chunk))
    return _encode_tlv(0x06, bytes(body))


def _rsa_alg_id(hash: str) -> bytes:
    return _encode_tlv(0x30, _encode_oid(_RSA_ALG_OID[hash]) + b"\x05\x00")


def _resign_certificate(
    cert: x509.Certificate, key: rsa.RSAPrivateKey, hash: str, *, drop_v3: bool = False
) -> x509.Certificate:
    """Re-sign a certificate's TBS with a raw RSA signature; optionally turn it into X.509 v1."""
    outer = _children(_content(cert.public_bytes(serialization.Encoding.DER)))
    fields = _children(_content(outer[0]))
    alg = _rsa_alg_id(hash)
    version: list[bytes] = []
    if fields[0][0] == 0xA0:  # [0] EXPLICIT version
        version, fields = [fields[0]], fields[1:]
    if drop_v3:
        version = []
    # fields: serial, signature, issuer, validity, subject, spki, [unique ids], [3] extensions
    fields = [fields[0], alg, *fields[2:]]
    if drop_v3:
        fields = [f for f in fields if f[0] not in (0xA1, 0xA2, 0xA3)]
    tbs = _encode_tlv(0x30, b"".join(version + fields))
    signature = raw_rsa_sign(key, tbs, hash)
    der = _encode_tlv(0x30, tbs + alg + _encode_tlv(0x03, b"\x00" + signature))
    return x509.load_der_x509_certificate(der)


# -------------------------------------------------------------------------------------- certificates
def _now(now: dt.datetime | None) -> dt.datetime:
    value = now or dt.datetime.now(UTC)
    return value.replace(microsecond=0)


def _name(name: str | x509.Name) -> x509.Name:
    return name if isinstance(name, x509.Name) else x509.Name.from_rfc4514_string(name)


def _sign(
    builder: x509.CertificateBuilder, key: PrivateKey, hash: str, key_type: str | None
) -> x509.Certificate:
    """Sign with the right padding/hash for the key; weak hashes go through raw RSA signing."""
    kind = _key_type_of(key)
    if kind in ("ed25519", "ed448"):
        return builder.sign(key, None)
    if hash in ("sha1", "md5", "md2"):
        if kind != "rsa" or key_type == "rsa-pss":
            raise ValueError(f"hash {hash} is only made for RSA PKCS#1 v1.5 keys here")
        interim = builder.sign(key, hashes.SHA256())
        return _resign_certificate(interim, key, hash)
    algorithm = _HASHES[hash]
    if key_type == "rsa-pss":
        pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
        return builder.sign(key, algorithm, rsa_padding=pss)
    return builder.sign(key, algorithm)


def certificate(
    subject: str | x509.Name,
    *,
    issuer: Issued | None = None,
    key: PrivateKey | None = None,
    key_type: str = "rsa",
    signing_key: PrivateKey | None = None,
    hash: str = "sha256",
    ca: bool | None = False,
    path_length: int | None = None,
    key_usage: Sequence[str] | None = None,
    ekus: Sequence[str] = (),
    dns: Sequence[str] = (),
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    days: int = 365,
    now: dt.datetime | None = None,
    serial: int | None = None,
    ski: bool = True,
    aki: bool = True,
) -> Issued:
    """The general builder every helper below uses. issuer=None makes a self-signed certificate.

    `ca=None` leaves out basicConstraints; `key_usage` names are the cryptography KeyUsage field names
    (digital_signature, key_cert_sign, crl_sign, key_encipherment, ...); `signing_key` overrides the
    issuer's key (to forge a bad signature); `key_type` "rsa-pss" also signs with RSA-PSS.
    """
    key = key if key is not None else new_key(key_type)
    start = not_before or (_now(now) - dt.timedelta(days=1))
    end = not_after or (start + dt.timedelta(days=days))
    subject_name = _name(subject)
    issuer_name = issuer.cert.subject if issuer else subject_name
    signer = signing_key if signing_key is not None else (issuer.key if issuer else key)
    signer_kind = key_type if issuer is None else ("rsa-pss" if _uses_pss(issuer.cert) else None)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject_name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
    usages = key_usage
    if usages is None:
        usages = ("key_cert_sign", "crl_sign", "digital_signature") if ca else ("digital_signature",)
        if not ca and _key_type_of(key) == "rsa":
            usages = (*usages, "key_encipherment")
    if usages:
        flags = dict.fromkeys(
            (
                "digital_signature",
                "content_commitment",
                "key_encipherment",
                "data_encipherment",
                "key_agreement",
                "key_cert_sign",
                "crl_sign",
                "encipher_only",
                "decipher_only",
            ),
            False,
        )
        for usage in usages:
            flags[usage] = True
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    if ekus:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in ekus]), critical=False
        )
    if dns:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in dns]), critical=False
        )
    if ski:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    if aki:
        authority = (
            signer.public_key() if signing_key is not None or issuer is None else issuer.key.public_key()
        )
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority), critical=False
        )
    return Issued(_sign(builder, signer, hash, signer_kind), key)


def _uses_pss(cert: x509.Certificate) -> bool:
    return isinstance(cert.signature_algorithm_parameters, padding.PSS)


def root_ca(name: str = "CN=Contoso Offline Root CA,O=Contoso", **options: Any) -> Issued:
    """A self-signed root CA (basicConstraints CA, keyCertSign, valid 20 years unless told)."""
    options.setdefault("days", 7300)
    return certificate(name, ca=True, **options)


def sub_ca(issuer: Issued, name: str = "CN=Contoso Issuing CA 01,O=Contoso", **options: Any) -> Issued:
    """A subordinate CA signed by `issuer` (path length 0 unless told, valid 10 years)."""
    options.setdefault("days", 3650)
    options.setdefault("path_length", 0)
    return certificate(name, issuer=issuer, ca=True, **options)


def leaf(
    issuer: Issued,
    name: str = "CN=fe01.contoso.com",
    *,
    ekus: Sequence[str] = (SERVER_AUTH, CLIENT_AUTH),
    dns: Sequence[str] | None = None,
    **options: Any,
) -> Issued:
    """An end-entity certificate (SfB Front End style: Server + Client Authentication, DNS SAN)."""
    if dns is None:
        cn = _name(name).get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        dns = (str(cn[0].value),) if cn else ()
    return certificate(name, issuer=issuer, ca=False, ekus=ekus, dns=dns, **options)


def hierarchy(org: str = "Contoso", *, key_type: str = "rsa", now: dt.datetime | None = None) -> Hierarchy:
    """Offline root -> issuing CA -> fe01 leaf for `org` (names derived from it)."""
    domain = org.lower() + ".com"
    root = root_ca(f"CN={org} Offline Root CA,O={org}", key_type=key_type, now=now)
    issuing = sub_ca(root, f"CN={org} Issuing CA 01,O={org}", key_type=key_type, now=now)
    fe = leaf(issuing, f"CN=fe01.{domain}", dns=(f"fe01.{domain}", f"pool01.{domain}"), now=now)
    return Hierarchy(root, issuing, fe)


def rollover(old: Issued | None = None, *, now: dt.datetime | None = None) -> Rollover:
    """Renew a root with a new key and make both cross certificates (self-issued, not self-signed)."""
    old = old or root_ca(now=now)
    name = old.cert.subject
    new = root_ca(name, now=now)
    old_by_new = certificate(name, issuer=new, key=old.key, ca=True, now=now, days=3650)
    new_by_old = certificate(name, issuer=old, key=new.key, ca=True, now=now, days=3650)
    return Rollover(old, new, old_by_new, new_by_old)


def expired_root(name: str = "CN=Contoso Legacy Root CA,O=Contoso", **options: Any) -> Issued:
    """A self-signed root that was valid 2000-01-01 .. 2010-01-01."""
    options.setdefault("not_before", dt.datetime(2000, 1, 1, tzinfo=UTC))
    options.setdefault("not_after", dt.datetime(2010, 1, 1, tzinfo=UTC))
    return root_ca(name, **options)


def weak_root(hash: str = "md5", name: str | None = None, **options: Any) -> Issued:
    """A self-signed RSA root signed with "md5", "sha1" or "md2" (a genuine signature over the TBS)."""
    return root_ca(name or f"CN=Legacy {hash.upper()} Root CA,O=Contoso", hash=hash, **options)


def md2_root(
    name: str = "CN=Class 3 Public Primary Certification Authority,O=Example", **options: Any
) -> Issued:
    """An old-style MD2 root: X.509 v1, no extensions, md2WithRSAEncryption (1024-bit key)."""
    return v1_root(name, hash="md2", **options)


def v1_root(
    name: str = "CN=Legacy V1 Root,O=Contoso",
    *,
    hash: str = "sha1",
    key: PrivateKey | None = None,
    days: int = 7300,
    now: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> Issued:
    """A self-signed X.509 v1 RSA root with no extensions at all (the shape of 1990s public roots)."""
    key = key if key is not None else new_key("rsa", 1024 if hash == "md2" else 2048)
    interim = certificate(
        name,
        key=key,
        ca=None,
        key_usage=(),
        ski=False,
        aki=False,
        days=days,
        now=now,
        not_before=not_before,
        not_after=not_after,
    )
    return Issued(_resign_certificate(interim.cert, key, hash, drop_v3=True), key)


def bundle(*items: Issued, junk: bool = True) -> bytes:
    """A PEM bundle of the certificates, with text around and between them like real exports."""
    parts = [b"Bag Attributes\n    friendlyName: exported\n"] if junk else []
    for item in items:
        if junk:
            parts.append(f"subject={item.name}\nissuer={item.cert.issuer.rfc4514_string()}\n".encode())
        parts.append(item.pem)
    return b"".join(parts)


def base64_der(item: Issued | IssuedCrl) -> bytes:
    """The DER as bare base64 text (what .cer "Base-64" exports without headers look like)."""
    return base64.encodebytes(item.der)


# ---------------------------------------------------------------------------------------------- CRLs
_UNSET: Any = object()


def crl(
    issuer: Issued,
    *,
    number: int | None = 1,
    this_update: dt.datetime | None = None,
    next_update: dt.datetime | None = _UNSET,
    days: int = 210,
    revoked: Iterable[int] = (),
    signing_key: PrivateKey | None = None,
    issuer_name: str | x509.Name | None = None,
    hash: str = "sha256",
    now: dt.datetime | None = None,
    delta_of: int | None = None,
) -> IssuedCrl:
    """A CRL from `issuer` (CRL number, this/next update, revoked serials).

    `next_update=None` omits nextUpdate; `signing_key` signs with another key (a forged CRL);
    `issuer_name` overrides the issuer name (a CRL from another CA); `delta_of=N` makes a delta CRL
    on base CRL number N; default validity 210 days.
    """
    start = this_update or _now(now) - dt.timedelta(hours=1)
    end = start + dt.timedelta(days=days) if next_update is _UNSET else next_update
    key = signing_key if signing_key is not None else issuer.key
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(_name(issuer_name) if issuer_name is not None else issuer.cert.subject)
        .last_update(start)
        .next_update(end or start + dt.timedelta(days=1))
    )
    if number is not None:
        builder = builder.add_extension(x509.CRLNumber(number), critical=False)
    if delta_of is not None:
        builder = builder.add_extension(x509.DeltaCRLIndicator(delta_of), critical=True)
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
    )
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(start).build()
        )
    kind = _key_type_of(key)
    algorithm = None if kind in ("ed25519", "ed448") else _HASHES[hash]
    built = builder.sign(key, algorithm)
    if end is None:
        built = _drop_next_update(built, key, algorithm)
    return IssuedCrl(built, key)


def _drop_next_update(
    built: x509.CertificateRevocationList, key: PrivateKey, algorithm: hashes.HashAlgorithm | None
) -> x509.CertificateRevocationList:
    """Remove nextUpdate (optional in RFC 5280) and sign the TBS again with the same algorithm."""
    outer = _children(_content(built.public_bytes(serialization.Encoding.DER)))
    fields = _children(_content(outer[0]))
    # version, signature, issuer, thisUpdate, nextUpdate, ...
    index = 1 if fields[0][0] == 0x02 else 0
    this_at = index + 2
    if fields[this_at + 1][0] in (0x17, 0x18):
        fields = fields[: this_at + 1] + fields[this_at + 2 :]
    tbs = _encode_tlv(0x30, b"".join(fields))
    kind = _key_type_of(key)
    if kind in ("ed25519", "ed448"):
        signature = key.sign(tbs)
    elif kind == "rsa":
        signature = key.sign(tbs, padding.PKCS1v15(), algorithm)
    elif kind == "ecdsa":
        signature = key.sign(tbs, ec.ECDSA(algorithm))
    else:
        signature = key.sign(tbs, algorithm)
    der = _encode_tlv(0x30, tbs + outer[1] + _encode_tlv(0x03, b"\x00" + signature))
    return x509.load_der_x509_crl(der)
