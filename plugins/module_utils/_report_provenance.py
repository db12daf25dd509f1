# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit report's root provenance: per-host counts and the Trusted Root table with a provenance column.

Reads only the `provenance` section of a host_info result (docs/provenance.md); `_report.py` calls it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._provenance import PROVENANCES

SHORT = {
    "windows_required": "Windows",
    "microsoft_program": "program",
    "enterprise": "enterprise",
    "declared": "declared",
    "unvetted": "unvetted",
}


def entry(sections: Mapping[str, Any]) -> dict[str, Any] | None:
    """{counts, roots} of a host's provenance section, or None when the section did not run."""
    section = sections.get("provenance")
    if not isinstance(section, Mapping):
        return None
    raw_counts = section.get("counts")
    counts_in = raw_counts if isinstance(raw_counts, Mapping) else {}
    counts = {kind: int(counts_in.get(kind) or 0) for kind in PROVENANCES}
    roots = []
    for root in section.get("roots") or []:
        if isinstance(root, Mapping):
            roots.append(
                {
                    "thumbprint": str(root.get("thumbprint") or ""),
                    "subject": str(root.get("subject") or ""),
                    "provenance": str(root.get("provenance") or ""),
                    "physical": [
                        str(loc.get("physical"))
                        for loc in root.get("locations") or []
                        if isinstance(loc, Mapping)
                    ],
                }
            )
    return {"counts": counts, "roots": roots}


def view(host: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the report template shows of a host's provenance, or None without data.

    `counts` is a list of {kind, label, count} in provenance order; `roots` puts unvetted roots first.
    """
    prov = host.get("provenance")
    if not isinstance(prov, Mapping):
        return None
    counts = prov.get("counts") or {}
    order = {kind: n for n, kind in enumerate(reversed(PROVENANCES))}
    roots = sorted(prov.get("roots") or [], key=lambda r: (order.get(r["provenance"], 0), r["subject"]))
    return {
        "counts": [
            {"kind": kind, "label": SHORT[kind], "count": counts.get(kind, 0)} for kind in PROVENANCES
        ],
        "roots": roots,
    }
