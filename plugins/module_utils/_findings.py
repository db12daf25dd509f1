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
