# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What sfb.pki.root_store did to a host, recorded on the host, and the Root store findings built on it.

The records live in a registry key of the collection's own, never beside a certificate:

    HKLM\\SOFTWARE\\sfb.pki\\RootStore\\Pins\\<THUMBPRINT>   Pinned = "2026-12-01T19:51:39Z"  (REG_SZ)
    HKLM\\SOFTWARE\\sfb.pki\\RootStore\\Moves\\<THUMBPRINT>  Moved  = "2026-12-01T19:51:39Z"  (REG_SZ)

A pin record says "this Registry Root copy exists because Group Policy delivered the root" (written
before the copy); a move record says "this subordinate was moved out of the Registry Root store"
(written after the removal). The snapshot reads both keys (`request`), `read_records` parses them.

Findings about where a root comes from (`location_findings`), all keyed by thumbprint:
- `gpo_only_root` (warning): a root only in the Group Policy physical Root store; each Group Policy
  refresh deletes and rewrites that key (KB4560600). A copy in any other physical store survives it.
- `enterprise_only_root` (info): a root only in the Enterprise (Active Directory) store. KB4560600
  concerns only the Group Policy location, and a pinned copy would keep the root trusted after the PKI
  team retires it from AD, so it is reported, never pinned.
- `orphan_pin` (warning): a pin whose Group Policy source has gone.
- `subordinate_reappeared` (warning): a subordinate moved out of the Registry Root store is back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ._findings import Finding
from ._snapshot import RegistryKey, Snapshot, SnapshotRequest
from ._stores import HIVE

if TYPE_CHECKING:
    from ._section_certificates import CertEntry, Inventory

RECORDS_KEY = "SOFTWARE\\sfb.pki\\RootStore"
# record list -> (HKLM-relative key, value name)
RECORD_LISTS: dict[str, tuple[str, str]] = {
    "Pins": (RECORDS_KEY + "\\Pins", "Pinned"),
    "Moves": (RECORDS_KEY + "\\Moves", "Moved"),
}
RECORD_PHYSICAL = "sfb.pki"

REAPPEARED_SOURCES = (
    "a Group Policy Preferences registry item, or software distribution (an SCCM / Configuration Manager "
    "package or baseline, a startup script) that imports it into Trusted Root"
)


@dataclass(frozen=True)
class Record:
    """One record: which list, the thumbprint, and when (the text stored, ISO 8601 UTC)."""

    list: str
    thumbprint: str
    time: str

    @property
    def date(self) -> str:
        """The day part of the time, or "an earlier run" when the time is missing."""
        return self.time[:10] if len(self.time) >= 10 else "an earlier run"


@dataclass
class RootRecords:
    """The records read from one snapshot; `read` is False when the snapshot did not hold them."""

    read: bool = False
    pins: dict[str, Record] = field(default_factory=dict)
    moves: dict[str, Record] = field(default_factory=dict)

    def of(self, name: str) -> dict[str, Record]:
        """The records of one list (`Pins` or `Moves`; any other name is a KeyError)."""
        return {"Pins": self.pins, "Moves": self.moves}[name]


def record_key(name: str, thumbprint: str) -> str:
    """HKLM-relative key of one record."""
    return RECORD_LISTS[name][0] + "\\" + thumbprint


def request(req: SnapshotRequest) -> None:
    """Read both record lists (one level: one subkey per thumbprint)."""
    for key, _value in RECORD_LISTS.values():
        req.add_key(key, 1)


def _read_list(name: str, key: RegistryKey) -> dict[str, Record]:
    value_name = RECORD_LISTS[name][1]
    out: dict[str, Record] = {}
    for sub_name, sub in key.subkeys.items():
        stamp = sub.value(value_name)
        out[sub_name.upper()] = Record(name, sub_name.upper(), stamp if isinstance(stamp, str) else "")
    return out


def read_records(snap: Snapshot) -> RootRecords:
    """The records of a snapshot; a snapshot that did not (or could not) read them gives `read=False`."""
    records = RootRecords()
    for name, (path, _value) in RECORD_LISTS.items():
        try:
            key = snap.key(path)
        except KeyError:
            return RootRecords()
        if key.error is not None:  # exists but could not be read: the records are unknown, not empty
            return RootRecords()
        if key.exists:
            records.of(name).update(_read_list(name, key))
    records.read = True
    return records


def _label(entry: CertEntry) -> str:
    return f"{entry.cert.subject} ({entry.cert.thumbprint})"


def _policy_root_finding(entry: CertEntry) -> Finding | None:
    cert = entry.cert
    roots = entry.physicals("Root")
    if cert.self_signed is False:
        return None
    if roots == {"group_policy"}:
        if cert.self_signed:
            fix = (
                "Run sfb.pki.root_store (pin_policy_roots: true), or certutil -addstore Root <file>, so the "
                "root also lives in the Registry store that Group Policy does not rewrite."
            )
        else:
            fix = (
                "Its self-signature cannot be checked, so it is not pinned automatically: if it is a real "
                "root, list it under sfb.pki.root_store `roots` or run certutil -addstore Root <file>."
            )
        return Finding(
            "gpo_only_root",
            "warning",
            f"Root {_label(entry)} is only in the group_policy physical store; each Group Policy refresh "
            "deletes and rewrites that key, and chains ending in it then fail intermittently (KB4560600).",
            fix,
            object=cert.thumbprint,
            thumbprint=cert.thumbprint,
            symptoms=("0x800B0109 CERT_E_UNTRUSTEDROOT",),
        )
    if roots == {"enterprise"}:
        return Finding(
            "enterprise_only_root",
            "info",
            f"Root {_label(entry)} is only in the enterprise (Active Directory) physical store. It is not "
            "pinned into the Registry store: KB4560600 concerns only the Group Policy location, and a "
            "pinned copy would keep the root trusted after the PKI team retires it from AD.",
            "Nothing to do while AD publishes it. If this server must trust it whatever AD says, list it "
            "under sfb.pki.root_store `roots`.",
            object=cert.thumbprint,
            thumbprint=cert.thumbprint,
        )
    return None


def _orphan_pin_finding(entry: CertEntry, record: Record) -> Finding:
    thumb = entry.cert.thumbprint
    key = f"{HIVE}\\{record_key('Pins', thumb)}"
    return Finding(
        "orphan_pin",
        "warning",
        f"Root {_label(entry)} was pinned into the Registry Root store by sfb.pki.root_store on "
        f"{record.date} because Group Policy delivered it, but Group Policy no longer does: the pinned copy "
        "keeps a root trusted that its owners may have retired.",
        "If the root was retired, run sfb.pki.root_store with remove_orphan_pins: true (role variable "
        "sfb_pki_root_store_remove_orphan_pins): it backs up the copy, then removes it and its record. "
        "If it is "
        "still wanted, list it under sfb.pki.root_store `roots` (the record is then dropped). By hand: "
        f'certutil -delstore Root {thumb}; reg delete "{key}" /f',
        object=thumb,
        thumbprint=thumb,
    )


def _reappeared_finding(entry: CertEntry, record: Record) -> Finding:
    thumb = entry.cert.thumbprint
    return Finding(
        "subordinate_reappeared",
        "warning",
        f"Subordinate {_label(entry)} was moved out of the Registry Root store by sfb.pki.root_store on "
        f"{record.date} and is back. Something re-delivers it, most likely {REAPPEARED_SOURCES}. It is not "
        "moved again automatically: the source would undo every move.",
        "Find and fix the source: Group Policy Preferences (Computer Configuration > Preferences > Windows "
        "Settings > Registry, items under SOFTWARE\\Microsoft\\SystemCertificates\\ROOT), the software "
        "distribution package or baseline that installs it into Trusted Root (it belongs in Intermediate "
        "Certification Authorities). Then run sfb.pki.root_store once with move_reappeared: true (role "
        "variable sfb_pki_root_store_move_reappeared).",
        object=f"Root/registry/{thumb}",
        thumbprint=thumb,
    )


def location_findings(inv: Inventory) -> list[Finding]:
    """gpo_only_root, enterprise_only_root, orphan_pin and subordinate_reappeared of an inventory."""
    found: list[Finding] = []
    for entry in inv.certificates.values():
        policy = _policy_root_finding(entry)
        if policy is not None:
            found.append(policy)
    records = inv.records
    for thumb, pin in sorted(records.pins.items()):
        pinned = inv.certificates.get(thumb)
        if pinned is not None and pinned.at("Root", "registry") and not pinned.at("Root", "group_policy"):
            found.append(_orphan_pin_finding(pinned, pin))
    for thumb, move in sorted(records.moves.items()):
        moved = inv.certificates.get(thumb)
        if moved is not None and moved.at("Root", "registry") and moved.cert.self_signed is False:
            found.append(_reappeared_finding(moved, move))
    return found


def with_location_findings(inv: Inventory, found: list[Finding]) -> list[Finding]:
    """`found` plus `location_findings`; a reappeared subordinate's Root/registry finding points at why."""
    extra = location_findings(inv)
    reappeared = {f.object for f in extra if f.id == "subordinate_reappeared"}
    out = [
        replace(
            f,
            fix="It came back after an earlier move, so sfb.pki.root_store leaves it: see "
            "subordinate_reappeared for its likely source and how to move it again.",
        )
        if f.id == "subordinate_in_root" and f.object in reappeared
        else f
        for f in found
    ]
    return out + extra
