# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_info section `provenance`: where every certificate in Trusted Root comes from (`_provenance.py`).

Reads, in the same snapshot as the `certificates` section, the Root and CA physical stores, the
root program CTL under AuthRoot\\AutoUpdate, the enterprise NTAuth store and the Disallowed stores.
Option: `provenance_declared_roots` (thumbprints of roots the user vouches for).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from . import _provenance
from ._findings import Finding
from ._section_certificates import read_inventory
from ._snapshot import Snapshot, SnapshotRequest
from ._stores import stores_of


def request(options: Mapping[str, Any], req: SnapshotRequest) -> None:
    """The Root and CA physical stores, plus what provenance reads."""
    _provenance.declared_thumbprints(options.get("provenance_declared_roots"))
    for store in stores_of("Root") + stores_of("CA"):
        req.add_certificates(store.certificates_key)
    _provenance.request(req)


def analyze(
    options: Mapping[str, Any], snap: Snapshot, now: datetime
) -> tuple[dict[str, Any], list[Finding]]:
    """Facts {roots, counts, program_ctl, disallowed_ctl, ...} and the provenance findings."""
    inv = read_inventory(snap)
    prov = _provenance.provenance_of(snap, inv, options, now)
    _prov, ctx = snap.derived["root_provenance"]
    return _provenance.facts(prov, ctx), list(prov.findings)
