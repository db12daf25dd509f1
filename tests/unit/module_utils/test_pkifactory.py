# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test PKI factory makes what it promises (other suites and the simulated estate rely on it)."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.support import pkifactory as pf

UTC = dt.UTC


def test_md2_rfc1319_vectors():
    assert pf.md2(b"").hex() == "8350e5a3e24c153df2275c9f80692773"
    assert pf.md2(b"abc").hex() == "da853b0d3f88d99b30283a69e6ded6bb"
    assert pf.md2(b"a" * 40).hex() != pf.md2(b"a" * 41).hex()


def test_md2_root_signature_is_genuine():
    root = pf.md2_root()
    key = root.cert.public_key()
    n, e = key.public_numbers().n, key.public_numbers().e
    k = (n.bit_length() + 7) // 8
    em = pow(int.from_bytes(root.cert.signature, "big"), e, n).to_bytes(k, "big")
    digest_info = bytes.fromhex("3020300c06082a864886f70d020205000410") + pf.md2(
        root.cert.tbs_certificate_bytes
    )
    assert em.endswith(b"\x00" + digest_info) and em.startswith(b"\x00\x01\xff")
    assert root.cert.signature_algorithm_oid.dotted_string == "1.2.840.113549.1.1.2"
    assert root.cert.public_key().key_size == 1024


def test_weak_and_v1_roots():
    sha1 = pf.weak_root("sha1")
    sha1.cert.public_key().verify(
        sha1.cert.signature, sha1.cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA1()
    )
    v1 = pf.v1_root()
    assert v1.cert.version.name == "v1" and len(v1.cert.extensions) == 0
    assert v1.cert.issuer == v1.cert.subject


def test_hierarchy_links_and_ekus(now):
    h = pf.hierarchy("Litware", now=now)
    assert h.issuing.cert.issuer == h.root.cert.subject
    assert h.leaf.cert.issuer == h.issuing.cert.subject
    h.leaf.cert.verify_directly_issued_by(h.issuing.cert)
    h.issuing.cert.verify_directly_issued_by(h.root.cert)
    eku = h.leaf.cert.extensions.get_extension_for_oid(pf.x509.OID_EXTENDED_KEY_USAGE).value
    assert [o.dotted_string for o in eku] == [pf.SERVER_AUTH, pf.CLIENT_AUTH]
    assert h.leaf.cert.not_valid_before_utc == now - dt.timedelta(days=1)


def test_crl_options(pki):
    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
    crl = pf.crl(pki.root, number=3, this_update=t0, days=10, revoked=(7,))
    assert crl.crl.next_update_utc == t0 + dt.timedelta(days=10)
    assert crl.crl.get_revoked_certificate_by_serial_number(7) is not None
    bare = pf.crl(pki.root, next_update=None, this_update=t0)
    assert bare.crl.next_update_utc is None
    assert bare.crl.is_signature_valid(pki.root.cert.public_key())
    ec_root = pf.root_ca("CN=ec", key_type="ecdsa")
    assert pf.crl(ec_root, next_update=None).crl.is_signature_valid(ec_root.cert.public_key())
    ed_root = pf.root_ca("CN=ed", key_type="ed25519")
    assert pf.crl(ed_root, next_update=None).crl.is_signature_valid(ed_root.cert.public_key())


def test_bundle_and_base64(pki):
    text = pf.bundle(pki.leaf, pki.root)
    assert text.count(b"-----BEGIN CERTIFICATE-----") == 2 and b"friendlyName" in text
    assert pf.bundle(pki.root, junk=False) == pki.root.pem
    assert b"\n" in pf.base64_der(pki.root)
