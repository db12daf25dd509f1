# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning for sfb.pki.root_store: desired Root store state + one inventory -> exact registry operations.

Only the Registry physical stores are written. Rules (issue 4; domain notes sections 1 and 3):
- a requested root must be a self-signed CA; it is added to Root/registry when missing there;
- `state: absent` removes only the Root/registry copy and reports copies elsewhere;
- pin_policy_roots: a proven self-signed, unexpired root found only in group_policy/enterprise is added to
  Root/registry;
- subordinates `move`: a certificate in Root/registry whose signature provably does not verify with its
  own key is added to CA/registry (when missing) and then removed from Root/registry; when the
  self-signature cannot be checked it is only reported. Expired roots are reported, never removed.
Adds come before removes, so an interrupted run never leaves a certificate in neither store.
A pin or a move writes the source copy's Blob byte for byte (every property record, in order: friendly
name, EKU restriction, ...); only a root given as a file gets a built Blob (properties 3, 20, 32).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._certs import Certificate, load_certificates
from ._errors import PkiInputError
from ._findings import Finding
from ._rootrecords import RECORD_LISTS, RECORD_PHYSICAL, record_key
from ._section_certificates import Inventory, Location, findings, location_object
from ._stores import HIVE, physical_store

SUBORDINATE_MODES: tuple[str, ...] = ("move", "report")
STATES: tuple[str, ...] = ("present", "absent")


@dataclass(frozen=True)
class DesiredRoot:
    """A certificate from the `roots` option and what the user wants for it."""

    cert: Certificate
    state: str
    source: str


def check_root(cert: Certificate, source: str) -> None:
    """Refuse a certificate offered as a root that is not a self-signed CA."""
    if not cert.self_issued:
        raise PkiInputError(
            source, f"{cert.subject} ({cert.thumbprint}) is not a root: it is issued by {cert.issuer}"
        )
    if cert.self_signed is False:
        raise PkiInputError(
            source,
            f"{cert.subject} ({cert.thumbprint}) is not a root: its signature does not verify with its own "
            "key (a cross certificate of a CA key renewal?)",
        )
    if not cert.is_ca:
        raise PkiInputError(
            source,
            f"{cert.subject} ({cert.thumbprint}) is not a root: it is not a CA (basicConstraints CA false)",
        )


def desired_roots(entries: Iterable[tuple[str, bytes | str, str]]) -> list[DesiredRoot]:
    """Load (source, data, state) entries; garbage, non-roots offered as present and conflicts are errors."""
    wanted: dict[str, DesiredRoot] = {}
    for source, data, state in entries:
        if state not in STATES:
            raise PkiInputError(source, f"state must be one of {', '.join(STATES)}, not {state!r}")
        for cert in load_certificates(data, source):
            if state == "present":
                check_root(cert, source)
            previous = wanted.get(cert.thumbprint)
            if previous is not None and previous.state != state:
                raise PkiInputError(
                    source,
                    f"{cert.subject} ({cert.thumbprint}) is wanted {state} here but {previous.state} "
                    f"in {previous.source}",
                )
            wanted.setdefault(cert.thumbprint, DesiredRoot(cert, state, source))
    return list(wanted.values())


@dataclass(frozen=True)
class Operation:
    """One registry change.

    `add` writes a certificate's Blob, `remove` deletes its thumbprint key; `record` writes and `forget`
    deletes one of the collection's own records (store `Pins` or `Moves`, physical `sfb.pki`).
    """

    action: str
    store: str
    physical: str
    thumbprint: str
    subject: str
    reason: str

    @property
    def key(self) -> str:
        """HKLM-relative key of the certificate or record."""
        if self.physical == RECORD_PHYSICAL:
            return record_key(self.store, self.thumbprint)
        return physical_store(self.store, self.physical).certificates_key + "\\" + self.thumbprint

    def as_dict(self) -> dict[str, str]:
        """JSON form, as returned under `operations`."""
        return {
            "action": self.action,
            "store": self.store,
            "physical": self.physical,
            "thumbprint": self.thumbprint,
            "subject": self.subject,
            "reason": self.reason,
            "key": f"{HIVE}\\{self.key}",
        }


@dataclass
class Plan:
    """The operations of one run (adds first) and what it deliberately leaves alone."""

    operations: list[Operation] = field(default_factory=list)
    reported: list[Finding] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether the run writes anything."""
        return bool(self.operations)

    def has(self, action: str, store: str, thumbprint: str, physical: str = "registry") -> bool:
        """Whether the plan holds this operation."""
        return any(
            (o.action, o.store, o.physical, o.thumbprint) == (action, store, physical, thumbprint)
            for o in self.operations
        )


@dataclass
class _Steps:
    """Operations by stage; `ordered()` is the execution order (see plan_root_store)."""

    pin_records: dict[str, Operation] = field(default_factory=dict)
    adds: dict[tuple[str, str], Operation] = field(default_factory=dict)
    removes: dict[tuple[str, str], Operation] = field(default_factory=dict)
    move_records: dict[str, Operation] = field(default_factory=dict)
    forgets: dict[str, Operation] = field(default_factory=dict)

    def ordered(self) -> list[Operation]:
        return [
            op
            for stage in (self.pin_records, self.adds, self.removes, self.move_records, self.forgets)
            for _key, op in sorted(stage.items())
        ]


def plan_root_store(
    inv: Inventory,
    desired: Iterable[DesiredRoot],
    now: datetime,
    pin_policy_roots: bool = True,
    subordinates: str = "move",
    remove_orphan_pins: bool = False,
    move_reappeared: bool = False,
) -> Plan:
    """The exact registry operations that bring the Root store to the desired state.

    Execution order: pin records, adds, removes, move records, forgotten records. A pin is recorded
    before its copy is written, so no pin goes unrecorded; a move is recorded after the removal, so an
    interrupted move is finished by the next run rather than taken for a reappeared subordinate.
    """
    if subordinates not in SUBORDINATE_MODES:
        raise PkiInputError(
            "subordinates", f"must be one of {', '.join(SUBORDINATE_MODES)}, not {subordinates!r}"
        )
    steps = _Steps()
    plan = Plan()
    absent: set[str] = set()
    present: set[str] = set()
    pins, moves = inv.records.pins, inv.records.moves

    # Registry thumbprint keys that exist but could not be read: never written over (reported instead).
    unknown = {
        (bad.location.store, bad.name.split("\\")[0].upper())
        for bad in inv.undecodable
        if bad.kind == "unreadable" and bad.location.physical == "registry"
    }

    def add(store: str, cert: Certificate, reason: str, blob: bytes) -> bool:
        """Plan writing `blob`; False when the key exists but could not be read (never written over)."""
        if (store, cert.thumbprint) in unknown:
            return False
        if (store, cert.thumbprint) not in steps.adds:
            steps.adds[(store, cert.thumbprint)] = Operation(
                "add", store, "registry", cert.thumbprint, cert.subject, reason
            )
            plan.blobs[cert.thumbprint] = blob
        return True

    def remove(store: str, cert: Certificate, reason: str) -> None:
        steps.removes.setdefault(
            (store, cert.thumbprint),
            Operation("remove", store, "registry", cert.thumbprint, cert.subject, reason),
        )

    def record(
        stage: dict[str, Operation], action: str, name: str, thumb: str, subject: str, why: str
    ) -> None:
        stage.setdefault(thumb, Operation(action, name, RECORD_PHYSICAL, thumb, subject, why))

    for want in desired:
        thumb = want.cert.thumbprint
        entry = inv.certificates.get(thumb)
        in_registry = entry is not None and entry.at("Root", "registry")
        if want.state == "present":
            present.add(thumb)
            if not in_registry:
                # a root given as a file has no Windows blob yet: build one (properties 3, 20, 32)
                add("Root", want.cert, "requested", want.cert.registry_blob())
            if thumb in pins:  # the administrator owns it now, not Group Policy: no longer a pin
                record(steps.forgets, "forget", "Pins", thumb, want.cert.subject, "requested")
        elif want.state == "absent":
            absent.add(thumb)
            if in_registry:
                remove("Root", want.cert, "requested_absent")
            if thumb in pins:
                record(steps.forgets, "forget", "Pins", thumb, want.cert.subject, "requested_absent")
            others = sorted(entry.physicals("Root") - {"registry"}) if entry is not None else []
            if others:
                plan.reported.append(
                    Finding(
                        "root_absent_elsewhere",
                        "warning",
                        f"{want.cert.subject} ({thumb}) is wanted absent but also sits in the "
                        f"{', '.join(others)} Root store(s), which this module cannot change.",
                        "Remove it at its source: the GPO's Trusted Root Certification Authorities, AD "
                        "(certutil -dsdel / Certification Authorities container) or the Windows Update root "
                        "program's Third-Party store.",
                        object=thumb,
                        thumbprint=thumb,
                    )
                )

    for thumb, entry in inv.certificates.items():
        cert = entry.cert
        roots = entry.physicals("Root")
        if (
            pin_policy_roots
            and thumb not in absent
            and cert.self_signed is True
            and not cert.expired(now)
            and roots == {"group_policy"}
        ):
            # only the Group Policy location is rewritten on refresh (KB4560600); Enterprise-only roots
            # are reported (enterprise_only_root), never pinned
            # copy what Group Policy stored, byte for byte (friendly name, EKU restriction, ...)
            pinned = add("Root", cert, "pin_policy_root", entry.blobs[Location("Root", "group_policy")])
            if pinned and thumb not in pins and thumb not in present:
                record(steps.pin_records, "record", "Pins", thumb, cert.subject, "pin_policy_root")
        if subordinates == "move" and "registry" in roots and cert.self_signed is False:
            if thumb in moves and not move_reappeared:
                continue  # reported as subordinate_reappeared: its source would undo the move
            if not entry.at("CA", "registry"):
                add("CA", cert, "move_subordinate", entry.blobs[Location("Root", "registry")])
            remove("Root", cert, "move_subordinate")
            record(steps.move_records, "record", "Moves", thumb, cert.subject, "move_subordinate")

    if remove_orphan_pins:
        _remove_orphan_pins(inv, steps, present | absent, remove, record)

    plan.operations = steps.ordered()
    plan.reported.extend(_left_alone(inv, plan, now))
    return plan


def _remove_orphan_pins(
    inv: Inventory,
    steps: _Steps,
    requested: set[str],
    remove: Callable[[str, Certificate, str], None],
    record: Callable[[dict[str, Operation], str, str, str, str, str], None],
) -> None:
    """Pins whose Group Policy source has gone: back up and remove the copy, then forget the record."""
    unreadable = set(inv.store_contents.get(Location("Root", "registry"), [])) - set(inv.certificates)
    for thumb in sorted(inv.records.pins):
        if thumb in requested or thumb in unreadable:
            continue  # the roots option decides; an undecodable copy is reported, never removed
        entry = inv.certificates.get(thumb)
        roots = entry.physicals("Root") if entry is not None else set()
        if "group_policy" in roots:
            continue  # still delivered: a pin, not an orphan
        if entry is not None and "registry" in roots:
            remove("Root", entry.cert, "orphan_pin")
        record(steps.forgets, "forget", "Pins", thumb, entry.cert.subject if entry else "", "orphan_pin")


def _left_alone(inv: Inventory, plan: Plan, now: datetime) -> list[Finding]:
    """Root store findings the plan does not fix, reported instead of changed."""
    # Certificates the administrator placed in Root; Windows Update's Third-Party store is not theirs.
    root_thumbs = {t for t, e in inv.certificates.items() if e.physicals("Root") - {"third_party"}}
    root_keys = {
        f"{HIVE}\\{physical_store('Root', bad.location.physical).certificates_key}\\".lower()
        for bad in inv.undecodable
        if bad.location.store == "Root"
    }
    left: list[Finding] = []
    for found in findings(inv, now):
        if found.id in ("undecodable_blob", "store_unreadable", "unreadable"):
            # an unreadable Root store key is reported too: nothing in it can be judged
            if any(((found.object or "") + "\\").lower().startswith(k) for k in root_keys):
                left.append(found)
            continue
        if found.thumbprint not in root_thumbs:
            continue
        if found.id == "gpo_only_root" and plan.has("add", "Root", found.thumbprint):
            continue
        if found.id == "orphan_pin" and plan.has("forget", "Pins", found.thumbprint, RECORD_PHYSICAL):
            continue
        if found.id == "subordinate_reappeared" and plan.has("remove", "Root", found.thumbprint):
            continue
        if (
            found.id == "subordinate_in_root"
            and found.object == location_object("Root", "registry", found.thumbprint)
            and plan.has("remove", "Root", found.thumbprint)
        ):
            continue
        left.append(found)
    return left


def store_diff(inv: Inventory, plan: Plan) -> list[dict[str, Any]]:
    """Before/after listing of every physical store the plan changes (for --diff)."""
    touched = sorted({(o.store, o.physical) for o in plan.operations})
    subjects = {t: e.cert.subject for t, e in inv.certificates.items()}
    subjects.update({o.thumbprint: o.subject for o in plan.operations})
    out: list[dict[str, Any]] = []
    for store, physical in touched:
        if physical == RECORD_PHYSICAL:
            before = set(inv.records.of(store))
            header = f"{HIVE}\\{RECORD_LISTS[store][0]} (sfb.pki records)"
        else:
            before = set(inv.store_contents.get(Location(store, physical), []))
            header = f"{HIVE}\\{physical_store(store, physical).certificates_key} ({store}/{physical})"
        after = set(before)
        for op in plan.operations:
            if (op.store, op.physical) == (store, physical):
                if op.action in ("add", "record"):
                    after.add(op.thumbprint)
                else:
                    after.discard(op.thumbprint)

        unknown = "<in no certificate store>" if physical == RECORD_PHYSICAL else "<undecodable>"

        def listing(thumbs: set[str], unknown: str = unknown) -> str:
            return "".join(f"{t}  {subjects.get(t, unknown)}\n" for t in sorted(thumbs))

        out.append(
            {
                "before_header": header,
                "after_header": header,
                "before": listing(before),
                "after": listing(after),
            }
        )
    return out
