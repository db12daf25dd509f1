# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parts of tests/wine/check.py that need no Wine: .reg files, store keys, expectations, comparison."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _blob
from ansible_collections.sfb.pki.plugins.module_utils._blob import BlobRecord, encode_records

REPO = Path(__file__).resolve().parents[2]
VECTOR = REPO / "tests" / "fixtures" / "vectors" / "registry-blob-minimal.hex"
VECTOR_SHA1 = "A31D3E0A4D99335EBD9B6F18E0915490F13525CA"
EKU_SERVER_CLIENT = bytes.fromhex("301406082b0601050507030106082b06010505070302")


def _load_check() -> Any:
    name = "sfb_wine_check"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "wine" / "check.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


check = _load_check()


def _vector_der() -> bytes:
    blob = _blob.parse_reg_hex(VECTOR.read_text(), "vector")
    der: bytes = _blob.decode_certificate_blob(blob, "vector")
    return der


def _rich_blob(der: bytes, name: str = "Vector", key_id: bytes = b"\x01" * 20) -> bytes:
    return encode_records(
        [
            BlobRecord(3, hashlib.sha1(der, usedforsecurity=False).digest()),
            BlobRecord(11, (name + "\0").encode("utf-16-le")),
            BlobRecord(9, EKU_SERVER_CLIENT),
            BlobRecord(20, key_id),
            BlobRecord(32, der),
        ]
    )


def _entry(blob: bytes, key_name: str = VECTOR_SHA1, store: str = "CA", location: str = "machine") -> Any:
    return check.Entry(location, store, "cert", key_name, blob, f"test {store}")


def test_reg_file_round_trips_through_the_export_parser() -> None:
    der = _vector_der()
    entries = [_entry(_rich_blob(der)), _entry(_rich_blob(der), store="Root", location="policy")]
    text = check.reg_file(entries)
    assert text.startswith("REGEDIT4\r\n")
    assert "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\EnterpriseCertificates]" in text
    values = check.parse_reg_export(text)
    assert len(values) == 2
    for (key, name, data), entry in zip(values, entries, strict=True):
        assert name == "Blob"
        assert check.locate(key) == (entry.location, entry.store, "cert", VECTOR_SHA1)
        assert _blob.parse_reg_hex(data, key) == entry.blob


def test_export_parser_reads_a_regedit_export() -> None:
    hex_lines = VECTOR.read_text().strip().splitlines()
    value = ",\\\n".join(line.rstrip(",") for line in hex_lines)
    export = (
        "Windows Registry Editor Version 5.00\n\n"
        "[HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SystemCertificates\\Root]\n\n"
        f"[HKEY_LOCAL_MACHINE\\Software\\Microsoft\\SystemCertificates\\Root\\Certificates\\{VECTOR_SHA1}]\n"
        f'"Blob"=hex:{value}\n"Other"="text"\n'
    )
    values = check.parse_reg_export(export)
    assert [(k.rsplit("\\", 1)[-1], n) for k, n, _d in values] == [
        (VECTOR_SHA1, "Blob"),
        (VECTOR_SHA1, "Other"),
    ]
    blob = _blob.parse_reg_hex(values[0][2], "export")
    assert _blob.sha1_hex(_blob.decode_certificate_blob(blob, "export", VECTOR_SHA1)) == VECTOR_SHA1


@pytest.mark.parametrize(
    ("key", "place"),
    [
        (
            "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\AB",
            ("machine", "ROOT", "cert", "AB"),
        ),
        (
            "HKLM:\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\CA\\CRLs\\CD",
            ("policy", "CA", "crl", "CD"),
        ),
        (
            "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\EnterpriseCertificates\\NTAuth\\Certificates\\EF",
            ("enterprise", "NTAuth", "cert", "EF"),
        ),
        (
            "HKLM\\SOFTWARE\\Contoso\\Pins\\Root\\Certificates\\AB",
            ("?SOFTWARE\\Contoso\\Pins", "Root", "cert", "AB"),
        ),
        ("HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT", None),
        ("HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot\\AutoUpdate", None),
    ],
)
def test_locate_store_keys(key: str, place: tuple[str, str, str, str] | None) -> None:
    assert check.locate(key) == place


def test_rounds_keep_blobs_of_one_key_apart_and_drop_exact_duplicates() -> None:
    der = _vector_der()
    first, same, other = _entry(_rich_blob(der)), _entry(_rich_blob(der)), _entry(_rich_blob(der, name="X"))
    elsewhere = _entry(_rich_blob(der), store="My")
    packed = check.rounds([first, same, other, elsewhere])
    assert packed == [[first, elsewhere], [other]]


def test_eku_property_oids() -> None:
    assert check.eku_oids(EKU_SERVER_CLIENT) == [check.SERVER_AUTH, check.CLIENT_AUTH]
    assert check.eku_oids(b"\x30\x00") == []
    with pytest.raises(ValueError, match="after its SEQUENCE"):
        check.eku_oids(EKU_SERVER_CLIENT + b"\x00")
    with pytest.raises(ValueError, match="not a DER SEQUENCE"):
        check.eku_oids(b"\x04\x00")


def test_expected_reads_the_properties_and_rejects_a_wrong_key_name() -> None:
    der = _vector_der()
    want = check.expected(_entry(_rich_blob(der, key_id=b"\x02" * 20)))
    assert want["sha1"] == VECTOR_SHA1
    assert want["props"] == [3, 9, 11, 20, 32]
    assert want["key_id"] == "02" * 20
    assert want["friendly_name"] == ("Vector\0".encode("utf-16-le")).hex().upper()
    assert want["eku"] == [check.SERVER_AUTH, check.CLIENT_AUTH]
    wrong = check.expected(_entry(_rich_blob(der), key_name="00" * 20))
    assert "does not match" in wrong["rejected"]


def _wine_row(want: dict[str, Any], **changes: Any) -> dict[str, Any]:
    row = {
        "sha1": want["sha1"],
        "sha1_der": want["sha1"],
        "props": [p for p in want["props"] if p != 32],
        "key_id": want["key_id"],
        "friendly_name_utf16": want["friendly_name"],
        "eku_der": want["eku_der"],
        "eku": want["eku"],
    }
    row.update(changes)
    return row


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, None),
        ({"sha1_der": "00" * 20}, "SHA-1"),
        ({"props": [3, 20]}, "does not see properties [9, 11]"),
        ({"key_id": "03" * 20}, "key identifier"),
        ({"friendly_name_utf16": None}, "friendly name"),
        ({"eku_der": None}, "EKU property"),
        ({"eku": [check.SERVER_AUTH]}, "EKU OIDs"),
    ],
)
def test_compare_names_each_difference(changes: dict[str, Any], message: str | None) -> None:
    want = check.expected(_entry(_rich_blob(_vector_der())))
    report = check.Report()
    check.compare("where", "cert", want, _wine_row(want, **changes), report)
    if message is None:
        assert report.failures == []
    else:
        assert len(report.failures) == 1 and message in report.failures[0], report.failures
