# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The machine certificate stores as data: logical store -> physical location -> registry key.

Source: Microsoft "System Store Locations" and Wine crypt32 regstore.c; see docs/design.md.
All keys are relative to HKEY_LOCAL_MACHINE.
"""

from __future__ import annotations

from dataclasses import dataclass

HIVE = "HKLM"

LOGICAL_STORES: tuple[str, ...] = ("Root", "CA", "My")
PHYSICAL_LOCATIONS: tuple[str, ...] = ("registry", "group_policy", "enterprise", "third_party")


@dataclass(frozen=True)
class PhysicalStore:
    """One physical store: where a logical store's certificates really live in the registry."""

    logical: str
    physical: str
    key: str

    @property
    def certificates_key(self) -> str:
        """Registry key (HKLM-relative) whose subkeys are certificates named by SHA-1 thumbprint."""
        return self.key + "\\Certificates"

    @property
    def crls_key(self) -> str:
        """Registry key (HKLM-relative) whose subkeys are CRLs named by the SHA-1 of the CRL DER."""
        return self.key + "\\CRLs"

    @property
    def writable(self) -> bool:
        """Whether this collection may write here (only the Registry physical store)."""
        return self.physical == "registry"


_SYSTEM = "SOFTWARE\\Microsoft\\SystemCertificates"
_POLICY = "SOFTWARE\\Policies\\Microsoft\\SystemCertificates"
_ENTERPRISE = "SOFTWARE\\Microsoft\\EnterpriseCertificates"

PHYSICAL_STORES: tuple[PhysicalStore, ...] = (
    PhysicalStore("Root", "registry", _SYSTEM + "\\ROOT"),
    PhysicalStore("Root", "group_policy", _POLICY + "\\Root"),
    PhysicalStore("Root", "enterprise", _ENTERPRISE + "\\Root"),
    PhysicalStore("Root", "third_party", _SYSTEM + "\\AuthRoot"),
    PhysicalStore("CA", "registry", _SYSTEM + "\\CA"),
    PhysicalStore("CA", "group_policy", _POLICY + "\\CA"),
    PhysicalStore("CA", "enterprise", _ENTERPRISE + "\\CA"),
    PhysicalStore("My", "registry", _SYSTEM + "\\My"),
)


def physical_store(logical: str, physical: str) -> PhysicalStore:
    """Look up one physical store; KeyError names the pair when it does not exist."""
    for store in PHYSICAL_STORES:
        if store.logical.lower() == logical.lower() and store.physical == physical:
            return store
    raise KeyError(f"no physical store {physical!r} for logical store {logical!r}")


def stores_of(logical: str) -> tuple[PhysicalStore, ...]:
    """All physical locations of one logical store, Registry first."""
    return tuple(s for s in PHYSICAL_STORES if s.logical.lower() == logical.lower())
