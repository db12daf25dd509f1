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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._certs import Certificate, load_certificates
from ._errors import PkiInputError
from ._findings import Finding
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
    """One registry change: add (write the Blob) or remove (delete the thumbprint key)."""

    action: str
    store: str
    physical: str
    thumbprint: str
    subject: str
    reason: str

    @property
    def key(self) -> str:
        """HKLM-relative key of the certificate."""
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


def plan_root_store(
    inv: Inventory,
    desired: Iterable[DesiredRoot],
    now: datetime,
    pin_policy_roots: bool = True,
    subordinates: str = "move",
) -> Plan:
    """The exact registry operations that bring the Root store to the desired state."""
    if subordinates not in SUBORDINATE_MODES:
        raise PkiInputError(
            "subordinates", f"must be one of {', '.join(SUBORDINATE_MODES)}, not {subordinates!r}"
        )
    adds: dict[tuple[str, str], Operation] = {}
    removes: dict[tuple[str, str], Operation] = {}
    plan = Plan()
    absent: set[str] = set()

    # Registry thumbprint keys that exist but could not be read: never written over (reported instead).
    unknown = {
        (bad.location.store, bad.name.split("\\")[0].upper())
        for bad in inv.undecodable
        if bad.kind == "unreadable" and bad.location.physical == "registry"
    }

    def add(store: str, cert: Certificate, reason: str) -> None:
        if (store, cert.thumbprint) in unknown:
            return
        adds.setdefault(
            (store, cert.thumbprint),
            Operation("add", store, "registry", cert.thumbprint, cert.subject, reason),
        )
        plan.blobs[cert.thumbprint] = cert.registry_blob()

    def remove(store: str, cert: Certificate, reason: str) -> None:
        removes.setdefault(
            (store, cert.thumbprint),
            Operation("remove", store, "registry", cert.thumbprint, cert.subject, reason),
        )

    for want in desired:
        entry = inv.certificates.get(want.cert.thumbprint)
        in_registry = entry is not None and entry.at("Root", "registry")
        if want.state == "present" and not in_registry:
            add("Root", want.cert, "requested")
        elif want.state == "absent":
            absent.add(want.cert.thumbprint)
            if in_registry:
                remove("Root", want.cert, "requested_absent")
            others = sorted(entry.physicals("Root") - {"registry"}) if entry is not None else []
            if others:
                plan.reported.append(
                    Finding(
                        "root_absent_elsewhere",
                        "warning",
                        f"{want.cert.subject} ({want.cert.thumbprint}) is wanted absent but also sits in the "
                        f"{', '.join(others)} Root store(s), which this module cannot change.",
                        "Remove it at its source: the GPO's Trusted Root Certification Authorities, AD "
                        "(certutil -dsdel / Certification Authorities container) or the Windows Update root "
                        "program's Third-Party store.",
                        object=want.cert.thumbprint,
                        thumbprint=want.cert.thumbprint,
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
            and roots & {"group_policy", "enterprise"}
            and not roots & {"registry", "third_party"}
        ):
            add("Root", cert, "pin_policy_root")
        if subordinates == "move" and "registry" in roots and cert.self_signed is False:
            if not entry.at("CA", "registry"):
                add("CA", cert, "move_subordinate")
            remove("Root", cert, "move_subordinate")

    plan.operations = [adds[k] for k in sorted(adds)] + [removes[k] for k in sorted(removes)]
    plan.reported.extend(_left_alone(inv, plan, now))
    return plan


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
        before = set(inv.store_contents.get(Location(store, physical), []))
        after = set(before)
        for op in plan.operations:
            if (op.store, op.physical) == (store, physical):
                if op.action == "add":
                    after.add(op.thumbprint)
                else:
                    after.discard(op.thumbprint)
        header = f"{HIVE}\\{physical_store(store, physical).certificates_key} ({store}/{physical})"

        def listing(thumbs: set[str]) -> str:
            return "".join(f"{t}  {subjects.get(t, '<undecodable>')}\n" for t in sorted(thumbs))

        out.append(
            {
                "before_header": header,
                "after_header": header,
                "before": listing(before),
                "after": listing(after),
            }
        )
    return out
