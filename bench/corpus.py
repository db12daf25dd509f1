# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The certificate corpus for the controller benchmark: 1,000 certificates shaped like a real estate.

Roots (RSA and ECDSA, a few SHA-1 / MD5 signed), subordinate CAs under them, and SfB-style leaves under
the subordinates; signatures are genuine. Keys are drawn from a small pool (key generation is not what
is measured), so the corpus builds in seconds. `placement` says which physical store each certificate
goes to when the corpus is turned into a host snapshot.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from tests.support import pkifactory as pf

NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Entry:
    """One corpus certificate: DER, registry blob, and where it lives (logical store, physical location)."""

    der: bytes
    blob: bytes
    thumbprint: str
    store: str
    physical: str


def build(count: int = 1000, seed: int = 2795828) -> list[Entry]:
    """Make `count` certificates: 5% roots, 15% subordinate CAs, the rest leaves."""
    rng = random.Random(seed)
    rsa_keys = [pf.new_key("rsa") for _ in range(6)]
    ec_keys = [pf.new_key("ecdsa") for _ in range(4)]
    entries: list[Entry] = []

    def add(issued: pf.Issued, store: str, physical: str) -> None:
        entries.append(Entry(issued.der, issued.blob, issued.thumbprint, store, physical))

    n_roots = max(1, count // 20)
    n_subs = max(1, count * 3 // 20)
    roots: list[pf.Issued] = []
    for i in range(n_roots):
        if i % 5 == 4:
            root = pf.root_ca(f"CN=Bench EC Root {i},O=Bench", key=rng.choice(ec_keys), now=NOW)
        else:
            weak = {1: "sha1", 3: "md5"}.get(i % 10, "sha256")
            root = pf.root_ca(f"CN=Bench Root {i},O=Bench", key=rng.choice(rsa_keys), hash=weak, now=NOW)
        roots.append(root)
        add(root, "Root", "group_policy" if i % 4 == 0 else "registry")
    subs: list[pf.Issued] = []
    for i in range(n_subs):
        parent = roots[i % len(roots)]
        key = rng.choice(ec_keys if i % 3 == 0 else rsa_keys)
        sub = pf.sub_ca(parent, f"CN=Bench Issuing CA {i},O=Bench", key=key, now=NOW)
        subs.append(sub)
        # a few subordinates sit in Trusted Root, as in KB2795828
        add(sub, "Root" if i % 25 == 0 else "CA", "registry")
    for i in range(count - len(entries)):
        parent = subs[i % len(subs)]
        key = rng.choice(ec_keys if i % 2 else rsa_keys)
        ekus = (pf.SERVER_AUTH,) if i % 7 == 0 else (pf.SERVER_AUTH, pf.CLIENT_AUTH)
        leaf = pf.leaf(parent, f"CN=host{i:04d}.bench.example", key=key, ekus=ekus, now=NOW)
        add(leaf, "My", "registry")
    return entries
