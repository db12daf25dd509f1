# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificates: loading from every shape, describing, and the self-signed / self-issued split."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ansible_collections.sfb.pki.plugins.module_utils import _blob, _certs
from ansible_collections.sfb.pki.plugins.module_utils._blob import encode_certificate_blob
from ansible_collections.sfb.pki.plugins.module_utils._certs import (
    Certificate,
    load_certificate,
    load_certificates,
    verify_signed_by,
)
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from tests.support import certcorpus
from tests.support import pkifactory as pf

UTC = dt.UTC
pytestmark = pytest.mark.filterwarnings("ignore:Attribute's length:UserWarning")


def cert_of(item: pf.Issued) -> Certificate:
    return load_certificate(item.der, "test")


# ------------------------------------------------------------------------------------------ loading
def test_pem_bundle_with_junk_keeps_order(pki):
    data = pf.bundle(pki.leaf, pki.issuing, pki.root) + b"\ntrailing words\n"
    certs = load_certificates(data, "chain.pem")
    assert [c.thumbprint for c in certs] == [pki.leaf.thumbprint, pki.issuing.thumbprint, pki.root.thumbprint]
    assert certs[0].source == "chain.pem (PEM block 1)"


def test_pem_as_text_and_with_crlf(pki):
    text = pki.root.pem.decode().replace("\n", "\r\n")
    assert load_certificate(text, "root.cer").thumbprint == pki.root.thumbprint


def test_pem_skips_other_blocks(pki):
    data = pki.root.key_pem + pki.root.pem
    assert load_certificate(data, "mixed").thumbprint == pki.root.thumbprint


def test_pem_without_certificate_names_what_it_found(pki):
    with pytest.raises(
        PkiInputError, match=r"key\.pem: holds no CERTIFICATE PEM block \(found PRIVATE KEY\)"
    ):
        load_certificates(pki.root.key_pem, "key.pem")


def test_pem_with_bad_base64():
    data = b"-----BEGIN CERTIFICATE-----\nMII*not base64*\n-----END CERTIFICATE-----\n"
    with pytest.raises(PkiInputError, match=r"bad\.pem: PEM block 1 \(CERTIFICATE\) is not valid base64"):
        load_certificates(data, "bad.pem")


def test_pem_with_garbage_der():
    body = base64.encodebytes(b"\x30\x03\x02\x01\x01").decode()
    data = f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"
    with pytest.raises(PkiInputError, match=r"g\.pem \(PEM block 1\): is not a valid DER certificate"):
        load_certificates(data, "g.pem")


def test_der_base64_hex_and_blob_give_the_same_certificate(pki):
    der = pki.leaf.der
    shapes = {
        "der": der,
        "base64": base64.encodebytes(der),
        "base64 str": base64.b64encode(der).decode(),
        "hex": der.hex(),
        "blob": pki.leaf.blob,
        "blob base64": base64.b64encode(pki.leaf.blob),
        "reg": '"Blob"=hex:' + ",".join(f"{b:02x}" for b in pki.leaf.blob),
    }
    for name, data in shapes.items():
        assert load_certificate(data, name).der == der, name


def test_broken_blob_is_reported_by_the_codec(pki):
    blob = bytearray(pki.leaf.blob)
    blob[-1] ^= 0xFF  # DER no longer hashes to property 3
    with pytest.raises(PkiInputError, match="property 3"):
        load_certificate(bytes(blob), "blob for leaf")


@pytest.mark.parametrize(
    ("data", "fault"),
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"\x00\x01\x02\x03", "is not a PEM, DER, base64"),
        ("hello, world ü", "is not a PEM, DER, base64"),
        (b"QUJD$$", "is not a PEM"),
        (b"QUJDRA", "does not decode"),
        (b"\x30\x82\x00\x03\x02\x01\x01", "is not a valid DER certificate"),
    ],
)
def test_garbage_is_one_clear_error(data, fault):
    with pytest.raises(PkiInputError) as info:
        load_certificates(data, "upload.cer")
    assert info.value.source.startswith("upload.cer")
    assert fault in str(info.value)


def test_load_certificate_wants_exactly_one(pki):
    with pytest.raises(PkiInputError, match="holds 2 certificates, expected exactly one"):
        load_certificate(pf.bundle(pki.leaf, pki.root), "two.pem")


def test_der_with_trailing_bytes_is_rejected(pki):
    with pytest.raises(PkiInputError, match="not a valid DER certificate"):
        load_certificate(pki.root.der + b"\x00\x00", "trailing.der")


# ----------------------------------------------------------------------------------------- describe
def test_describe_leaf(pki, now):
    leaf = cert_of(pki.leaf)
    facts = leaf.describe(now)
    json.dumps(facts)  # JSON-ready
    assert facts["thumbprint"] == hashlib.sha1(pki.leaf.der).hexdigest().upper()
    assert facts["sha256"] == hashlib.sha256(pki.leaf.der).hexdigest().upper()
    assert facts["subject"] == "CN=fe01.contoso.com"
    assert facts["issuer"] == "CN=Contoso Issuing CA 01,O=Contoso"
    assert int(facts["serial"], 16) == pki.leaf.cert.serial_number
    assert facts["not_before"] == "2026-11-22T12:00:00Z"
    assert facts["not_after"] == "2027-11-22T12:00:00Z"
    assert facts["expired"] is False
    assert facts["days_left"] == 364
    assert facts["is_ca"] is False
    assert facts["path_length"] is None
    assert facts["key_usage"] == ["digital_signature", "key_encipherment"]
    assert facts["ekus"] == [pf.SERVER_AUTH, pf.CLIENT_AUTH]
    assert facts["dns_names"] == ["fe01.contoso.com", "pool01.contoso.com"]
    assert facts["aki"] == cert_of(pki.issuing).ski
    assert facts["ski"] is not None
    assert facts["key_algorithm"] == "RSA"
    assert facts["key_size"] == 2048
    assert facts["signature_algorithm"] == "sha256WithRSAEncryption"
    assert facts["signature_hash"] == "sha256"
    assert facts["weak_signature"] is False
    assert facts["self_issued"] is False
    assert facts["self_signed"] is False
    assert facts["version"] == 3


def test_describe_ca_and_dates(pki):
    sub = cert_of(pki.issuing)
    assert sub.is_ca is True
    assert sub.path_length == 0
    assert sub.key_usage == ("digital_signature", "key_cert_sign", "crl_sign")
    assert sub.eku_present is False
    assert sub.describe(dt.datetime(2040, 1, 1, tzinfo=UTC))["ekus"] is None
    assert sub.not_before.tzinfo is not None
    assert sub.expired(dt.datetime(2040, 1, 1, tzinfo=UTC)) is True
    assert sub.days_left(sub.not_after + dt.timedelta(hours=1)) == -1
    assert sub.days_left(sub.not_after - dt.timedelta(days=2, hours=1)) == 2


def test_expired_root(now):
    old = cert_of(pf.expired_root())
    assert old.expired(now)
    assert old.days_left(now) < -6000
    assert old.describe(now)["not_after"] == "2010-01-01T00:00:00Z"
    assert old.self_signed is True


def test_key_agreement_usages_and_no_extensions(now):
    key = pf.new_key("ecdsa")
    item = pf.certificate(
        "CN=ka", key=key, key_usage=("key_agreement", "encipher_only"), ski=False, aki=False
    )
    cert = cert_of(item)
    assert cert.key_usage == ("key_agreement", "encipher_only")
    assert cert.ski is None and cert.aki is None
    assert cert.key_algorithm == "EC"
    bare = cert_of(pf.certificate("CN=bare", ca=None, key_usage=(), ski=False, aki=False))
    assert bare.key_usage is None
    assert bare.is_ca is False  # v3, no basicConstraints: not a CA even though self-issued
    assert bare.describe(now)["key_usage"] is None


def test_extension_facts_keep_dns_names_only_and_aki_without_key_id():
    key = pf.new_key("ecdsa")
    name = x509.Name.from_rfc4514_string("CN=mixed")
    san = x509.SubjectAlternativeName(
        [
            x509.RFC822Name("admin@contoso.com"),
            x509.DNSName("a.contoso.com"),
            x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
            x509.DNSName("b.contoso.com"),
        ]
    )
    # an AKI naming the issuer and serial but no key identifier (RFC 5280 4.2.1.1 allows it)
    aki = x509.AuthorityKeyIdentifier(None, [x509.DirectoryName(name)], 7)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(dt.datetime(2027, 1, 1, tzinfo=UTC))
        .add_extension(san, critical=False)
        .add_extension(aki, critical=False)
        .sign(key, hashes.SHA256())
    )
    cert = Certificate(built.public_bytes(serialization.Encoding.DER), built)  # not through from_der
    assert cert.dns_names == ("a.contoso.com", "b.contoso.com")
    assert cert.aki is None and cert.ski is None
    assert cert.eku_present is False and cert.ekus == () and cert.key_usage is None
    assert cert.basic_constraints is None and cert.is_ca is False


def test_serial_keeps_der_bytes():
    cert = cert_of(pf.certificate("CN=s", serial=0x80))
    assert cert.serial == "0080"
    assert cert_of(pf.certificate("CN=s", serial=0x7F)).serial == "7F"


def _tlv(data: bytes, pos: int) -> tuple[int, int]:
    """(content start, end) of the DER element at `pos`: the test's own reading, to check the library's."""
    _tag, start, end = pf._read_tlv(data, pos)
    return start, end


def _signed_parts(der: bytes) -> tuple[bytes, bytes, bytes]:
    """(TBSCertificate, issuer Name, subject Name) as encoded in `der` (RFC 5280 4.1)."""
    outer, _end = _tlv(der, 0)
    tbs = der[outer : _tlv(der, outer)[1]]
    pos = _tlv(tbs, 0)[0]
    if tbs[pos] == 0xA0:  # [0] version
        pos = _tlv(tbs, pos)[1]
    pos = _tlv(tbs, _tlv(tbs, pos)[1])[1]  # serialNumber, signature
    issuer_end = _tlv(tbs, pos)[1]
    subject_start = _tlv(tbs, issuer_end)[1]  # validity
    return tbs, tbs[pos:issuer_end], tbs[subject_start : _tlv(tbs, subject_start)[1]]


FIXTURE_CERTIFICATES = certcorpus.every_fixture_certificate()


@pytest.mark.parametrize(("label", "der"), FIXTURE_CERTIFICATES, ids=[c[0] for c in FIXTURE_CERTIFICATES])
def test_every_fixture_through_cryptography(label, der):
    """The facts that once had hand-written DER shortcuts, checked against the encoded bytes."""
    cert = Certificate.from_der(der, label)
    tbs, issuer_der, subject_der = _signed_parts(der)
    assert cert._tbs == tbs  # the library hands over exactly the bytes the signature covers
    assert cert.subject == cert.cert.subject.rfc4514_string()
    assert cert.issuer == cert.cert.issuer.rfc4514_string()
    assert cert.subject_der == subject_der  # the library writes the parsed name back byte for byte
    if issuer_der == subject_der:  # Windows' byte-equal name match is always self-issued here
        assert cert.self_issued
    # format sniffing (the one hand-written DER check left) says DER for every certificate, text never
    assert _certs._is_der_sequence(der)
    for text in (base64.b64encode(der), der.hex().encode(), ",".join(f"{b:02x}" for b in der).encode()):
        assert not _certs._is_der_sequence(text)
    assert not _certs._is_der_sequence(der + b"\x00")
    assert not _certs._is_der_sequence(der[:-1])
    assert load_certificate(der, label).der == der


def test_self_signature_checked_over_the_library_tbs(pki, rollover):
    assert cert_of(pki.root).self_signed is True
    assert cert_of(pf.md2_root()).self_signed is None  # MD2 cannot be checked, never "not a root"
    assert cert_of(rollover.old_signed_by_new).self_signed is False


def test_name_text_is_remembered_per_name(pki):
    _certs._NAME_TEXT.clear()
    leaf, issuing = cert_of(pki.leaf), cert_of(pki.issuing)
    assert leaf.issuer == issuing.subject == "CN=Contoso Issuing CA 01,O=Contoso"
    assert {issuing.cert.subject: issuing.subject} == _certs._NAME_TEXT  # one entry for both


def test_a_thumbprint_already_checked_is_reused(pki):
    made = Certificate.from_der(pki.root.der, "key", thumbprint=pki.root.thumbprint)
    assert "thumbprint" in vars(made)  # known before first use: not hashed again
    assert made.thumbprint == hashlib.sha1(pki.root.der).hexdigest().upper()
    assert "thumbprint" not in vars(Certificate.from_der(pki.root.der, "key"))


def test_equality_and_repr(pki):
    a, b = cert_of(pki.root), cert_of(pki.root)
    assert a == b and hash(a) == hash(b) and a != cert_of(pki.leaf)
    assert a != pki.root.der
    assert pki.root.thumbprint in repr(a)


# ---------------------------------------------------------------------------------- self-signed
@pytest.mark.parametrize("key_type", ["rsa", "rsa-pss", "ecdsa", "dsa", "ed25519", "ed448"])
def test_self_signed_by_key_type(key_type):
    root = cert_of(pf.root_ca(f"CN={key_type} root", key_type=key_type))
    assert root.self_signed is True
    assert root.self_issued is True
    assert root.is_ca is True
    assert root.describe(dt.datetime(2030, 1, 1, tzinfo=UTC))["self_signed"] is True


@pytest.mark.parametrize("key_type", ["rsa", "rsa-pss", "ecdsa", "dsa", "ed25519", "ed448"])
def test_issued_by_key_type(key_type):
    root_item = pf.root_ca(f"CN={key_type} root", key_type=key_type)
    sub_item = pf.sub_ca(root_item, f"CN={key_type} sub", key_type=key_type)
    root, sub = cert_of(root_item), cert_of(sub_item)
    assert verify_signed_by(sub, root) is True
    assert sub.self_signed is False
    other = cert_of(pf.root_ca(f"CN={key_type} root", key_type=key_type))
    assert verify_signed_by(sub, other) is False
    expected = {"rsa-pss": "rsassaPss", "ed25519": "ed25519", "ed448": "ed448"}
    if key_type in expected:
        assert sub.signature_algorithm == expected[key_type]


def test_key_type_mismatch_is_false():
    rsa_root = cert_of(pf.root_ca("CN=r"))
    for kind in ("ecdsa", "dsa", "ed25519"):
        other = cert_of(pf.root_ca("CN=r", key_type=kind))
        assert verify_signed_by(rsa_root, other) is False
        assert verify_signed_by(other, rsa_root) is False


def test_signed_with_its_own_key_under_another_name_is_not_self_signed():
    """RFC 5280 3.2: only a self-issued certificate can be self-signed, whatever key signed it."""
    key = pf.new_key("ecdsa")
    other = pf.root_ca("CN=Some Other CA")
    odd = cert_of(pf.certificate("CN=Odd CA", issuer=other, key=key, signing_key=key, ca=True))
    assert odd.signature_verifies_with(odd.public_key) is True
    assert odd.self_issued is False
    assert odd.self_signed is False
    assert odd.describe(dt.datetime(2030, 1, 1, tzinfo=UTC))["self_signed"] is False


def test_rollover_cross_certificates_are_self_issued_not_self_signed(rollover):
    old, new = cert_of(rollover.old), cert_of(rollover.new)
    cross_new, cross_old = cert_of(rollover.new_signed_by_old), cert_of(rollover.old_signed_by_new)
    for cross in (cross_new, cross_old):
        assert cross.self_issued is True
        assert cross.self_signed is False
        assert cross.is_ca is True
    assert old.self_signed is True and new.self_signed is True
    assert verify_signed_by(cross_new, old) is True
    assert verify_signed_by(cross_old, new) is True
    assert verify_signed_by(cross_new, new) is False


@pytest.mark.parametrize(("hash_name", "weak"), [("sha1", True), ("md5", True), ("sha256", False)])
def test_weak_signatures(hash_name, weak):
    root = cert_of(pf.weak_root(hash_name))
    assert root.signature_hash == hash_name
    assert root.weak_signature is weak
    assert root.self_signed is True


def test_weak_sub_ca(pki):
    sub = cert_of(pf.sub_ca(pki.root, "CN=Old Sub", hash="sha1"))
    assert sub.signature_algorithm == "sha1WithRSAEncryption"
    assert sub.weak_signature is True
    assert verify_signed_by(sub, cert_of(pki.root)) is True


def test_md2_root_is_unknown_not_false(now):
    root = cert_of(pf.md2_root())
    assert root.signature_algorithm == "md2WithRSAEncryption"
    assert root.signature_hash == "md2"
    assert root.weak_signature is True
    assert root.self_signed is None
    assert root.self_issued is True
    assert root.version == 1
    assert root.is_ca is True  # self-issued v1 without extensions
    facts = root.describe(now)
    assert facts["self_signed"] is None and facts["is_ca"] is True


def test_v1_root_counts_as_ca_and_verifies():
    root = cert_of(pf.v1_root())
    assert root.version == 1
    assert len(root.cert.extensions) == 0
    assert root.is_ca is True
    assert root.self_signed is True
    assert root.path_length is None and root.key_usage is None and root.ekus == ()


def test_v1_non_self_issued_is_not_a_ca(pki):
    item = pf.v1_root("CN=v1 leaf")
    forged = pf._resign_certificate(
        pf.certificate("CN=v1 leaf", issuer=pki.root, ca=None, key_usage=(), ski=False, aki=False).cert,
        pki.root.key,
        "sha256",
        drop_v3=True,
    )
    cert = Certificate.from_der(pf.Issued(forged, None).der, "v1 leaf")
    assert cert.version == 1 and cert.is_ca is False
    assert verify_signed_by(cert, cert_of(pki.root)) is True
    assert cert_of(item).is_ca is True


def test_tampered_signature_is_false(pki):
    der = bytearray(pki.root.der)
    der[-5] ^= 0x01
    cert = load_certificate(bytes(der), "tampered")
    assert cert.self_signed is False


def test_unknown_public_key_gives_unknown(pki):
    root = cert_of(pki.root)
    assert _certs.verify_signature(object(), b"", b"", root.signature_algorithm_oid, None, None) is None
    assert (
        _certs.verify_signature(
            root.public_key, root.cert.signature, root.cert.tbs_certificate_bytes, "1.2.3.4", None, None
        )
        is None
    )


def test_iso_and_require():
    assert _certs.iso(None) is None
    assert _certs.iso(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert _certs.iso(dt.datetime(999, 1, 2, 3, 4, 5, 678, tzinfo=UTC)) == "0999-01-02T03:04:05Z"
    east = dt.timezone(dt.timedelta(hours=2))
    assert _certs.iso(dt.datetime(2026, 1, 2, 1, 4, 5, tzinfo=east)) == "2026-01-01T23:04:05Z"
    _certs.require_cryptography()  # installed: no error


def test_require_cryptography_message(monkeypatch):
    monkeypatch.setattr(_certs, "HAS_CRYPTOGRAPHY", False)
    with pytest.raises(ImportError, match="pip install cryptography"):
        load_certificates(b"x", "any")


# -------------------------------------------------------------------------------- the real vector
def test_real_windows_vector(vector_hex, vector_der, now):
    cert = load_certificate(vector_hex, "A31D3E0A4D99335EBD9B6F18E0915490F13525CA")
    assert cert.der == vector_der
    assert cert.thumbprint == "A31D3E0A4D99335EBD9B6F18E0915490F13525CA"
    # OIW sha1WithRSA (1.3.14.3.2.29): the crypto library does not name it, the core does.
    assert cert.signature_algorithm_oid == "1.3.14.3.2.29"
    assert cert.signature_hash == "sha1"
    assert cert.weak_signature is True
    assert cert.self_signed is True
    assert cert.serial == "8258854428619EBC48C005A4406FCEEB"  # negative INTEGER, shown as Windows does
    assert cert.subject == "CN=www.adia-project.net"
    assert cert.describe(now)["not_before"] == "2013-03-11T09:57:40Z"


def test_blob_of_real_vector_round_trips(vector_der):
    cert = Certificate.from_der(vector_der, "vector")
    blob = encode_certificate_blob(cert.der, cert.spki_der)
    assert load_certificate(blob, "re-encoded").der == vector_der


def test_registry_blob_key_identifier(pki):
    leaf = cert_of(pki.leaf)
    records = {r.prop_id: r.data for r in _blob.decode_records(leaf.registry_blob(), "leaf")}
    assert records[20] == bytes.fromhex(leaf.ski)  # the SKI extension wins, as on Windows
    assert records[3] == bytes.fromhex(leaf.thumbprint) and records[32] == leaf.der
    assert pki.leaf.blob == leaf.registry_blob()
    v1 = cert_of(pf.v1_root())
    assert v1.ski is None
    assert v1.key_identifier == hashlib.sha1(v1.spki_der).digest()
    assert pf.Issued(v1.cert, None).blob == v1.registry_blob()


def test_truncated_pem_says_so(pki):
    text = pki.root.pem[: len(pki.root.pem) // 2]
    with pytest.raises(PkiInputError, match=r"half\.pem: has a CERTIFICATE PEM block with no END line"):
        load_certificates(text, "half.pem")
    with pytest.raises(PkiInputError, match=r"holds no CERTIFICATE PEM block$"):
        load_certificates(b"-----BEGIN FOO-----\n-----END CERTIFICATE-----", "odd.pem")


def test_common_name(pki):
    assert cert_of(pki.issuing).common_name == "Contoso Issuing CA 01"
    assert cert_of(pf.certificate("O=Only Org,C=NL")).common_name is None


def test_pkcs7_bundle_der_and_pem(pki):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    chain = [pki.leaf.cert, pki.issuing.cert, pki.root.cert]
    der = pkcs7.serialize_certificates(chain, serialization.Encoding.DER)
    pem = pkcs7.serialize_certificates(chain, serialization.Encoding.PEM)
    expected = [pki.leaf.thumbprint, pki.issuing.thumbprint, pki.root.thumbprint]
    for data in (der, pem, base64.b64encode(der)):
        certs = load_certificates(data, "chain.p7b")
        assert sorted(c.thumbprint for c in certs) == sorted(expected)
    assert load_certificates(der, "chain.p7b")[0].source == "chain.p7b (certificate 1)"
    broken = der[:-40]
    with pytest.raises(
        PkiInputError,
        match=r"chain\.p7b: is not a valid DER certificate: .*, nor a valid PKCS #7 certificate bundle",
    ):
        load_certificates(broken, "chain.p7b")


def test_text_with_byte_order_marks(pki):
    pem = pki.root.pem.decode()
    for data in (
        pem.encode("utf-16"),  # Windows PowerShell Out-File
        b"\xef\xbb\xbf" + pem.encode(),
        b"\xef\xbb\xbf" + base64.b64encode(pki.root.der),
    ):
        assert load_certificate(data, "bom.cer").thumbprint == pki.root.thumbprint
    with pytest.raises(PkiInputError):
        load_certificate(b"\xff\xfe\x00", "odd")


def test_negative_serial_root_loads_quietly(vector_der):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning would fail the load
        warnings.filterwarnings(
            "ignore", message="Parsed a serial number which wasn't positive", category=Warning
        )
        cert = Certificate.from_der(vector_der, "vector")
    assert cert.serial_number < 0 and cert.serial == "8258854428619EBC48C005A4406FCEEB"
    assert any("Parsed a serial number" in str(f[1].pattern) for f in warnings.filters if f[1] is not None)
