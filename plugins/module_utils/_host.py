# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host analysis: the registry of host_info sections and the one-snapshot analysis that runs them.

A section is a module `_section_<name>.py` beside this one with two functions (docs/design.md):
    request(options, req) -> None                        adds what it must read to the snapshot request
    analyze(options, snap, now) -> (facts, findings)     interprets the snapshot, never raises on bad data
Sections are looked up by name in SECTION_NAMES; a name whose module is not installed is skipped.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import ModuleType
from typing import Any, Protocol, cast

from ._errors import PkiInputError
from ._findings import UNREADABLE, Finding, severity_rank
from ._snapshot import Snapshot, SnapshotRequest

# Output order of host_info; add a new section's name here and drop its module beside this file.
SECTION_NAMES: tuple[str, ...] = (
    "certificates",
    "provenance",
    "server_certificates",
    "services",
    "ca",
    "events",
    "schannel",
    "tls",
)


class Section(Protocol):
    """What a section module provides."""

    def request(self, options: Mapping[str, Any], req: SnapshotRequest) -> None:
        """Add what the section must read."""

    def analyze(
        self, options: Mapping[str, Any], snap: Snapshot, now: datetime
    ) -> tuple[dict[str, Any], list[Finding]]:
        """Interpret the snapshot."""


def _load(name: str) -> ModuleType | None:
    full = f"{__package__}._section_{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as err:
        if err.name == full:
            return None
        raise


def available_sections() -> dict[str, Section]:
    """Installed sections by name, in output order."""
    found: dict[str, Section] = {}
    for name in SECTION_NAMES:
        module = _load(name)
        if module is not None:
            found[name] = cast(Section, module)
    return found


def select_sections(names: Iterable[str] | None) -> dict[str, Section]:
    """The sections to run (all installed ones for None); an unknown name is a PkiInputError."""
    installed = available_sections()
    if names is None:
        return installed
    wanted = [str(n) for n in names]
    unknown = [n for n in wanted if n not in installed]
    if unknown:
        raise PkiInputError(
            "sections", f"unknown section(s) {', '.join(unknown)}; installed: {', '.join(installed)}"
        )
    return {name: section for name, section in installed.items() if name in wanted}


def build_request(sections: Mapping[str, Section], options: Mapping[str, Any]) -> SnapshotRequest:
    """One snapshot request covering every selected section."""
    req = SnapshotRequest()
    for section in sections.values():
        section.request(options, req)
    return req


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by id and object, so output is stable."""
    return sorted(
        findings,
        key=lambda f: (-severity_rank(f.severity), f.id, f.object or f.thumbprint or "", f.message),
    )


def _once(findings: list[Finding]) -> list[Finding]:
    """Drop repeats of an `unreadable` finding: sections that read the same item report it once."""
    seen: set[str] = set()
    kept: list[Finding] = []
    for found in findings:
        if found.id == UNREADABLE:
            key = (found.object or "").lower()
            if key in seen:
                continue
            seen.add(key)
        kept.append(found)
    return kept


def analyze_host(
    sections: Mapping[str, Section], options: Mapping[str, Any], snap: Snapshot, now: datetime
) -> dict[str, Any]:
    """Run each section on the snapshot: {section name: facts, ..., "findings": [finding dicts]}."""
    out: dict[str, Any] = {}
    findings: list[Finding] = []
    for name, section in sections.items():
        facts, found = section.analyze(options, snap, now)
        out[name] = facts
        findings.extend(found)
    out["findings"] = [f.as_dict() for f in sort_findings(_once(findings))]
    return out
