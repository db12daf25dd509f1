# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Windows serialized store element ("Blob" REG_BINARY value): decode and encode.

Format (MS-OSHARED 2.3.2.5; Wine dlls/crypt32/serialize.c): a run of records, little-endian,
no header, no padding, no end marker:  uint32 prop_id | uint32 encoding (1) | uint32 length | data.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from ._errors import PkiInputError

PROP_SHA1_HASH = 3
PROP_MD5_HASH = 4
PROP_KEY_IDENTIFIER = 20
PROP_CERT = 32
PROP_CRL = 33

_HEADER = struct.Struct("<III")
_ENCODING = 1


@dataclass(frozen=True)
class BlobRecord:
    """One property record of a serialized element."""

    prop_id: int
    data: bytes


def sha1_hex(data: bytes) -> str:
    """Uppercase hex SHA-1: the registry key name Windows gives a certificate or CRL."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest().upper()


def _records(blob: bytes, source: str) -> Iterator[tuple[int, int, int, int]]:
    """(record number, prop_id, data start, data end) of each record; a malformed record is an error."""
    offset = 0
    index = 0
    size = len(blob)
    while offset < size:
        index += 1
        if size - offset < _HEADER.size:
            raise PkiInputError(
                source, f"record {index} is truncated: {size - offset} bytes left, a record header needs 12"
            )
        prop_id, encoding, length = _HEADER.unpack_from(blob, offset)
        offset += _HEADER.size
        if encoding != _ENCODING:
            raise PkiInputError(
                source, f"record {index} (property {prop_id}) has encoding {encoding}, expected 1"
            )
        if length > size - offset:
            raise PkiInputError(source, f"record {index} declares {length} bytes but {size - offset} remain")
        yield index, prop_id, offset, offset + length
        offset += length


def decode_records(blob: bytes, source: str) -> list[BlobRecord]:
    """Split a blob into its records; truncated, overlong or wrongly encoded records are errors."""
    return [BlobRecord(prop_id, bytes(blob[start:end])) for _n, prop_id, start, end in _records(blob, source)]


def _decode_element(blob: bytes, source: str, content_prop: int, what: str, key_name: str | None) -> bytes:
    declared: bytes | None = None
    der: bytes | None = None
    for number, prop_id, start, end in _records(blob, source):
        if prop_id == PROP_SHA1_HASH:
            if declared is not None:
                raise PkiInputError(source, f"record {number} repeats property {prop_id}")
            declared = bytes(blob[start:end])
        elif prop_id == content_prop:
            if der is not None:
                raise PkiInputError(source, f"record {number} repeats property {prop_id}")
            der = bytes(blob[start:end])
    if der is None:
        raise PkiInputError(source, f"no property {content_prop} ({what} DER) in the blob")
    if not der:
        raise PkiInputError(source, f"property {content_prop} ({what} DER) is empty")
    actual = sha1_hex(der)
    if declared is not None and declared.hex().upper() != actual:
        raise PkiInputError(
            source, f"property 3 (SHA-1) is {declared.hex().upper()} but the {what} hashes to {actual}"
        )
    if key_name is not None and key_name.upper() != actual:
        raise PkiInputError(source, f"registry key name {key_name} does not match the {what} SHA-1 {actual}")
    return der


def decode_certificate_blob(blob: bytes, source: str, key_name: str | None = None) -> bytes:
    """Return the DER certificate (property 32) of a blob, checked against property 3 and the key name."""
    return _decode_element(blob, source, PROP_CERT, "certificate", key_name)


def decode_crl_blob(blob: bytes, source: str, key_name: str | None = None) -> bytes:
    """Return the DER CRL (property 33) of a blob, checked against property 3 and the key name."""
    return _decode_element(blob, source, PROP_CRL, "CRL", key_name)


def encode_records(records: list[BlobRecord]) -> bytes:
    """Serialize records in the given order."""
    return b"".join(_HEADER.pack(r.prop_id, _ENCODING, len(r.data)) + r.data for r in records)


def encode_certificate_blob(
    der: bytes, spki_der: bytes | None = None, key_identifier: bytes | None = None
) -> bytes:
    """Blob for a DER certificate: property 3 (SHA-1), 20 (key identifier, when known), then 32.

    Property 20 is `key_identifier` when given (Windows uses the subjectKeyIdentifier extension when
    the certificate has one), else the SHA-1 of `spki_der` when that is given, else it is left out.
    """
    records = [BlobRecord(PROP_SHA1_HASH, bytes.fromhex(sha1_hex(der)))]
    if key_identifier is None and spki_der is not None:
        key_identifier = hashlib.sha1(spki_der, usedforsecurity=False).digest()
    if key_identifier is not None:
        records.append(BlobRecord(PROP_KEY_IDENTIFIER, key_identifier))
    records.append(BlobRecord(PROP_CERT, der))
    return encode_records(records)


def encode_crl_blob(der: bytes) -> bytes:
    """Blob for a DER CRL: property 3 (SHA-1) then 33."""
    return encode_records(
        [BlobRecord(PROP_SHA1_HASH, bytes.fromhex(sha1_hex(der))), BlobRecord(PROP_CRL, der)]
    )


_REG_HEX = re.compile(r"^[0-9a-fA-F]{2}$")


def parse_reg_hex(text: str, source: str) -> bytes:
    """Bytes of a .reg export hex value ("hex:03,00,..." with backslash line continuations)."""
    body = text.strip()
    if "=" in body.split(",", 1)[0]:
        body = body.split("=", 1)[1]
    body = re.sub(r"^hex(\([0-9a-fA-F]+\))?:", "", body.strip())
    body = body.replace("\\\r\n", "").replace("\\\n", "")
    parts = [p.strip() for p in body.split(",") if p.strip()]
    for number, part in enumerate(parts, start=1):
        if not _REG_HEX.match(part):
            raise PkiInputError(source, f"byte {number} of the hex value is {part!r}, not two hex digits")
    return bytes(int(p, 16) for p in parts)
