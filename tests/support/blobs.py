# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry Blobs as an administrator leaves them: more properties than the minimal {3, 20, 32}.

    stored = admin_copy(pki.issuing, friendly_name="Contoso Issuing CA (smart cards only)",
                        ekus=(CLIENT_AUTH, SMART_CARD_LOGON))
    stored.thumbprint, stored.blob, stored.der        # place it like a pkifactory.Issued

Property 9 (CERT_ENHKEY_USAGE_PROP_ID) is a DER SEQUENCE OF OID, the purposes an administrator
restricted the certificate to; property 11 (CERT_FRIENDLY_NAME_PROP_ID) is UTF-16LE with a
terminating NUL (domain notes section 8; MS-OSHARED 2.3.2.5). The records are written in the order
given, with an unknown property (92) in the middle, so a copy that is not byte for byte shows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from ansible_collections.sfb.pki.plugins.module_utils._blob import BlobRecord, encode_records, sha1_hex

PROP_ENHKEY_USAGE = 9
PROP_FRIENDLY_NAME = 11
PROP_UNKNOWN = 92

CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
SMART_CARD_LOGON = "1.3.6.1.4.1.311.20.2.2"


@dataclass(frozen=True)
class StoredCopy:
    """A certificate as one physical store holds it: thumbprint, the exact Blob, the DER."""

    thumbprint: str
    blob: bytes
    der: bytes


def eku_property(ekus: tuple[str, ...]) -> bytes:
    """Property 9 data: DER SEQUENCE OF OID."""
    return x509.ExtendedKeyUsage([ObjectIdentifier(oid) for oid in ekus]).public_bytes()


def friendly_name_property(name: str) -> bytes:
    """Property 11 data: UTF-16LE, NUL-terminated."""
    return (name + "\0").encode("utf-16-le")


def admin_copy(item: Any, friendly_name: str, ekus: tuple[str, ...]) -> StoredCopy:
    """A copy of `item` (anything with `.der`) carrying a friendly name, an EKU restriction and more."""
    der: bytes = item.der
    records = [
        BlobRecord(PROP_FRIENDLY_NAME, friendly_name_property(friendly_name)),
        BlobRecord(PROP_ENHKEY_USAGE, eku_property(ekus)),
        BlobRecord(PROP_UNKNOWN, b"\x01\x00\x00\x00"),
        BlobRecord(4, hashlib.md5(der, usedforsecurity=False).digest()),
        BlobRecord(3, bytes.fromhex(sha1_hex(der))),
        BlobRecord(32, der),
    ]
    return StoredCopy(sha1_hex(der), encode_records(records), der)
