# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit report's root provenance: per-host counts and the Trusted Root table with a provenance column.

Reads only the `provenance` section of a host_info result (docs/provenance.md); `_report.py` calls it.
"""

from __future__ import annotations

import html
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


def cell(host: Mapping[str, Any]) -> str:
    """The hosts table cell: counts per provenance (unvetted highlighted), or a dash."""
    prov = host.get("provenance")
    if not isinstance(prov, Mapping):
        return '<td class="muted">-</td>'
    counts = prov.get("counts") or {}
    parts = []
    for kind in PROVENANCES:
        text = f"{counts.get(kind, 0)} {SHORT[kind]}"
        parts.append(f"<b>{text}</b>" if kind == "unvetted" and counts.get(kind) else text)
    return "<td>" + ", ".join(parts) + "</td>"


def table(host: Mapping[str, Any]) -> str:
    """The host's Trusted Root certificates with their provenance, unvetted first; '' without data."""
    prov = host.get("provenance")
    if not isinstance(prov, Mapping) or not prov.get("roots"):
        return ""
    order = {kind: n for n, kind in enumerate(reversed(PROVENANCES))}
    roots = sorted(prov["roots"], key=lambda r: (order.get(r["provenance"], 0), r["subject"]))
    rows = [
        "<table><tr><th>provenance</th><th>Trusted Root certificate</th><th>thumbprint</th>"
        "<th>physical stores</th></tr>"
    ]
    for root in roots:
        rows.append(
            f"<tr><td>{html.escape(root['provenance'])}</td><td>{html.escape(root['subject'])}</td>"
            f"<td>{html.escape(root['thumbprint'])}</td>"
            f"<td>{html.escape(', '.join(root['physical']))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)
