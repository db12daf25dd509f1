# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fast name renderer must agree with cryptography's rfc4514_string() character for character."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.sfb.pki.plugins.module_utils import _certs
from tests.support import pkifactory as pf

pytestmark = pytest.mark.filterwarnings("ignore:Attribute's length:UserWarning")

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

OIDS = [
    NameOID.COMMON_NAME,
    NameOID.ORGANIZATION_NAME,
    NameOID.ORGANIZATIONAL_UNIT_NAME,
    NameOID.LOCALITY_NAME,
    NameOID.STATE_OR_PROVINCE_NAME,
    NameOID.STREET_ADDRESS,
    NameOID.DOMAIN_COMPONENT,
    NameOID.USER_ID,
    NameOID.EMAIL_ADDRESS,
    NameOID.SERIAL_NUMBER,
    x509.ObjectIdentifier("2.5.4.97"),
    x509.ObjectIdentifier("1.3.6.1.4.1.311.60.2.1.3"),
]
TYPES = [x509.name._ASN1Type.UTF8String, x509.name._ASN1Type.PrintableString, x509.name._ASN1Type.IA5String]


def both(name: x509.Name) -> tuple[str | None, str]:
    return _certs._render_name(name.public_bytes()), name.rfc4514_string()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(OIDS),
            st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
            st.sampled_from(TYPES),
        ),
        max_size=5,
    )
)
def test_random_names_render_like_cryptography(items):
    attributes = []
    for oid, value, kind in items:
        if kind != x509.name._ASN1Type.UTF8String:
            value = "".join(ch for ch in value if ch.isascii())
        attributes.append(x509.NameAttribute(oid, value, kind, _validate=False))
    name = x509.Name([x509.RelativeDistinguishedName([a]) for a in attributes])
    fast, reference = both(name)
    assert fast == reference


def test_special_characters():
    for value in ("#lead", " lead", "trail ", " ", 'a,b+c;d<e>f"g\\h', "nul\0x", "", "ümlaut €"):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value, _validate=False)])
        assert both(name)[0] == both(name)[1], value


def test_unusual_names_fall_back():
    multi = x509.Name(
        [
            x509.RelativeDistinguishedName(
                [x509.NameAttribute(NameOID.COMMON_NAME, "a"), x509.NameAttribute(NameOID.SERIAL_NUMBER, "1")]
            )
        ]
    )
    assert _certs._render_name(multi.public_bytes()) is None
    bmp = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bmp", x509.name._ASN1Type.BMPString)])
    assert _certs._render_name(bmp.public_bytes()) is None
    assert _certs._render_name(b"\x30\x05\x31") is None  # truncated
    cert = pf.certificate(multi)
    loaded = _certs.load_certificate(cert.der, "multi")
    assert loaded.subject == multi.rfc4514_string()
    assert loaded.self_issued


def test_every_fixture_certificate_renders_like_cryptography(pki, vector_der):
    ders = [p.read_bytes() for p in sorted((FIXTURES / "roots").glob("*.pem"))]
    certs = [_certs.load_certificate(d, "root") for d in ders]
    certs += [_certs.load_certificate(i.der, "made") for i in (pki.root, pki.issuing, pki.leaf)]
    certs.append(_certs.Certificate.from_der(vector_der, "vector"))
    for cert in certs:
        assert cert.subject == cert.cert.subject.rfc4514_string()
        assert cert.issuer == cert.cert.issuer.rfc4514_string()
