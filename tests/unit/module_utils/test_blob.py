# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows serialized-element codec against the real vector, made-up faults and random bytes."""

from __future__ import annotations

import contextlib
import hashlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.sfb.pki.plugins.module_utils import _blob
from ansible_collections.sfb.pki.plugins.module_utils._certs import load_certificates
from ansible_collections.sfb.pki.plugins.module_utils._crl import load_crls
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from tests.support import pkifactory as pf

VECTOR_KEY = "A31D3E0A4D99335EBD9B6F18E0915490F13525CA"


def record(prop: int, data: bytes, encoding: int = 1) -> bytes:
    return struct.pack("<III", prop, encoding, len(data)) + data


# ------------------------------------------------------------------------------------ real vector
def test_vector_decodes_to_exactly_its_der(vector_hex, vector_der):
    blob = _blob.parse_reg_hex(vector_hex, "vector")
    assert _blob.decode_certificate_blob(blob, "vector", key_name=VECTOR_KEY) == vector_der
    assert _blob.sha1_hex(vector_der) == VECTOR_KEY
    assert [r.prop_id for r in _blob.decode_records(blob, "vector")] == [3, 32]


def test_vector_round_trip(vector_hex, vector_der):
    blob = _blob.parse_reg_hex(vector_hex, "vector")
    assert _blob.encode_certificate_blob(vector_der) == blob  # Windows wrote exactly {3, 32}
    assert _blob.decode_certificate_blob(_blob.encode_certificate_blob(vector_der), "re") == vector_der


def test_vector_key_name_is_case_insensitive_and_checked(vector_hex, vector_der):
    blob = _blob.parse_reg_hex(vector_hex, "vector")
    assert _blob.decode_certificate_blob(blob, "v", key_name=VECTOR_KEY.lower()) == vector_der
    with pytest.raises(PkiInputError, match="registry key name 00 does not match the certificate SHA-1"):
        _blob.decode_certificate_blob(blob, "v", key_name="00")


def test_parse_reg_hex_forms():
    assert _blob.parse_reg_hex('"Blob"=hex:01,02,\\\n  ff', "x") == b"\x01\x02\xff"
    assert _blob.parse_reg_hex("hex(3):0a", "x") == b"\x0a"
    with pytest.raises(PkiInputError, match=r"x: byte 2 of the hex value is 'zz'"):
        _blob.parse_reg_hex("01,zz", "x")


# -------------------------------------------------------------------------------------- encoding
def test_certificate_blob_properties(pki):
    spki_sha1 = hashlib.sha1(
        load_certificates(pki.leaf.der, "leaf")[0].spki_der or b"", usedforsecurity=False
    ).digest()
    blob = _blob.encode_certificate_blob(pki.leaf.der, load_certificates(pki.leaf.der, "l")[0].spki_der)
    records = _blob.decode_records(blob, "leaf")
    assert [(r.prop_id, r.data) for r in records] == [
        (3, bytes.fromhex(pki.leaf.thumbprint)),
        (20, spki_sha1),
        (32, pki.leaf.der),
    ]


def test_crl_blob_properties(pki):
    crl = pf.crl(pki.root)
    blob = _blob.encode_crl_blob(crl.der)
    assert [r.prop_id for r in _blob.decode_records(blob, "crl")] == [3, 33]
    assert _blob.decode_crl_blob(blob, "crl", key_name=crl.thumbprint) == crl.der


def test_unknown_properties_are_skipped(pki):
    der = pki.root.der
    friendly = "Contoso Root\0".encode("utf-16-le")
    blob = record(11, friendly) + record(92, b"\x01\x02") + record(3, bytes.fromhex(pki.root.thumbprint))
    blob += record(4, hashlib.md5(der, usedforsecurity=False).digest()) + record(32, der) + record(999, b"")
    assert _blob.decode_certificate_blob(blob, "b") == der


def test_prop_3_is_optional_but_checked_when_present(pki):
    der = pki.root.der
    assert _blob.decode_certificate_blob(record(32, der), "b") == der


# ------------------------------------------------------------------------------------------ faults
def test_truncated_header(pki):
    blob = _blob.encode_certificate_blob(pki.root.der) + b"\x01\x00"
    with pytest.raises(PkiInputError, match=r"blob: record 3 is truncated: 2 bytes left"):
        _blob.decode_certificate_blob(blob, "blob")


def test_truncated_data(pki):
    blob = _blob.encode_certificate_blob(pki.root.der)[:-10]
    n = len(pki.root.der)
    with pytest.raises(PkiInputError, match=rf"record 2 declares {n} bytes but {n - 10} remain"):
        _blob.decode_certificate_blob(blob, "blob")


def test_overlong_record():
    blob = record(3, b"\x00" * 20)[:8] + struct.pack("<I", 900) + b"\x00" * 120
    with pytest.raises(PkiInputError, match=r"blob for 4EF2: record 1 declares 900 bytes but 120 remain"):
        _blob.decode_certificate_blob(blob, "blob for 4EF2")


def test_wrong_encoding(pki):
    blob = record(3, bytes.fromhex(pki.root.thumbprint)) + record(32, pki.root.der, encoding=2)
    with pytest.raises(PkiInputError, match=r"record 2 \(property 32\) has encoding 2, expected 1"):
        _blob.decode_certificate_blob(blob, "b")


def test_missing_prop_32_and_33(pki):
    with pytest.raises(PkiInputError, match=r"no property 32 \(certificate DER\)"):
        _blob.decode_certificate_blob(record(3, b"\x00" * 20), "b")
    with pytest.raises(PkiInputError, match=r"no property 33 \(CRL DER\)"):
        _blob.decode_crl_blob(_blob.encode_certificate_blob(pki.root.der), "b")


def test_empty_content(pki):
    with pytest.raises(PkiInputError, match=r"property 32 .* is empty"):
        _blob.decode_certificate_blob(record(32, b""), "b")


def test_prop_3_mismatch(pki):
    blob = record(3, b"\x11" * 20) + record(32, pki.root.der)
    with pytest.raises(
        PkiInputError, match=rf"property 3 \(SHA-1\) is {'11' * 20} but the certificate hashes"
    ):
        _blob.decode_certificate_blob(blob, "b")


def test_repeated_content_property(pki):
    blob = record(32, pki.root.der) + record(32, pki.leaf.der)
    with pytest.raises(PkiInputError, match="record 2 repeats property 32"):
        _blob.decode_certificate_blob(blob, "b")


# ------------------------------------------------------------------------------------- properties
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_codec_error(data):
    for decode in (_blob.decode_certificate_blob, _blob.decode_crl_blob):
        try:
            der = decode(data, "fuzz")
        except PkiInputError as exc:
            assert exc.source == "fuzz"
        else:
            assert der


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 200), st.binary(max_size=40)), max_size=6))
def test_record_round_trip(items):
    records = [_blob.BlobRecord(p, d) for p, d in items]
    assert _blob.decode_records(_blob.encode_records(records), "rt") == records


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_loaders_never_leak_other_errors(data):
    for load in (load_certificates, load_crls):
        try:
            load(data, "fuzz")
        except PkiInputError as exc:
            assert exc.source.startswith("fuzz")


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=60), st.data())
def test_cut_or_bitflipped_blob_never_leaks(cut, data):
    blob = FIXED_BLOB
    flipped = bytearray(blob)
    index = data.draw(st.integers(0, len(blob) - 1))
    flipped[index] ^= data.draw(st.integers(1, 255))
    for candidate in (blob[:-cut], bytes(flipped)):
        with contextlib.suppress(PkiInputError):
            _blob.decode_certificate_blob(candidate, "mutant")


FIXED_BLOB = _blob.encode_certificate_blob(bytes.fromhex("3003020101"))


record_parts = st.tuples(
    st.sampled_from([3, 4, 11, 20, 32, 33, 92, 0xFFFFFFFF]),
    st.sampled_from([1, 1, 1, 0, 2]),
    st.binary(max_size=40),
    st.integers(-3, 3),  # declared length minus actual: lie a little sometimes
)


@settings(max_examples=300, deadline=None)
@given(st.lists(record_parts, max_size=5), st.integers(0, 8))
def test_structured_blobs_decode_or_raise(parts, chop):
    blob = b"".join(
        struct.pack("<III", prop, enc, max(0, len(data) + lie)) + data for prop, enc, data, lie in parts
    )
    blob = blob[: len(blob) - chop] if chop else blob
    for decode in (_blob.decode_certificate_blob, _blob.decode_crl_blob):
        try:
            der = decode(blob, "fuzz")
        except PkiInputError as exc:
            assert exc.source == "fuzz" and exc.fault
        else:
            content_prop = 32 if decode is _blob.decode_certificate_blob else 33
            records = _blob.decode_records(blob, "fuzz")
            assert [r.data for r in records if r.prop_id == content_prop] == [der]
            assert all(r.data == bytes.fromhex(_blob.sha1_hex(der)) for r in records if r.prop_id == 3)
