# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings: what is wrong on a host, why it matters, and the exact fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")


def severity_rank(severity: str) -> int:
    """Order of a severity (info < warning < critical); unknown names raise ValueError."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Finding:
    """One problem found on a host. `object` is a thumbprint, service name, CRL or file it is about."""

    id: str
    severity: str
    message: str
    fix: str
    object: str | None = None
    thumbprint: str | None = None
    symptoms: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        """Reject an unknown severity at construction."""
        severity_rank(self.severity)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, the shape modules return under `findings`."""
        return {
            "id": self.id,
            "severity": self.severity,
            "object": self.object if self.object is not None else self.thumbprint,
            "thumbprint": self.thumbprint,
            "message": self.message,
            "fix": self.fix,
            "symptoms": list(self.symptoms),
        }


UNREADABLE = "unreadable"
_LOCKED = "being used by another process"


def unreadable_finding(kind: str, path: str, error: str, consequence: str) -> Finding:
    """The `unreadable` finding: one item of the snapshot the host could not read (path and Windows error).

    `kind` is what the item is ("registry key", "registry value", "folder", "file", "event log",
    "service"); `consequence` says what the section could not judge because of it.
    """
    if kind == "event log":
        fix = (
            f"Give the account Ansible connects with read access to the {path} log (local Administrators,"
            " or the Event Log Readers group for logs other than Security), then run again."
        )
    elif _LOCKED in error:
        fix = (
            "Another process held the file open while it was read (CertSvc writes CertEnroll files while"
            " it publishes); run again."
        )
    elif kind in ("folder", "file"):
        fix = f"Give the account Ansible connects with read access to {path}, then run again."
    elif kind == "service":
        fix = f"Give the account Ansible connects with query access to the service {path}, then run again."
    else:
        fix = (
            f"Give the account Ansible connects with read access to the key (regedit, Permissions on"
            f" {path}; local Administrators can read it by default), then run again."
        )
    return Finding(
        UNREADABLE,
        "warning",
        f"{kind} {path} could not be read: {error}. {consequence}",
        fix,
        object=path,
    )
