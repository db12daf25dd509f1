# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_info section `certificates`: every physical location of the machine Root, CA and My stores.

Reads the registry keys of each physical store (docs/design.md, domain notes section 1), decodes each
`Blob` with the core, merges copies of one certificate by thumbprint and reports what is wrong.
A value that cannot be decoded becomes an `undecodable_blob` finding, never an exception.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._blob import decode_certificate_blob, decode_crl_blob
from ._certs import Certificate
from ._crl import Crl, load_crl
from ._errors import PkiInputError
from ._findings import Finding
from ._rootrecords import RootRecords, read_records, with_location_findings
from ._rootrecords import request as request_records
from ._snapshot import RegistryKey, Snapshot, SnapshotRequest
from ._stores import HIVE, PhysicalStore, stores_of

CERTIFICATE_STORES: tuple[PhysicalStore, ...] = stores_of("Root") + stores_of("CA") + stores_of("My")
CRL_STORES: tuple[PhysicalStore, ...] = stores_of("CA")

# Physical Root stores that Group Policy / AD autoenrollment rewrite; a root only there is unstable.
POLICY_LOCATIONS: frozenset[str] = frozenset({"group_policy", "enterprise"})
# Physical Root stores that nothing rewrites behind the administrator's back.
STABLE_LOCATIONS: frozenset[str] = frozenset({"registry", "third_party"})

DEFAULT_EXPIRY_DAYS = 60

TRUST_SYMPTOMS = ("event 32042", "event 30998", "event 61029", "0x800B0109 CERT_E_UNTRUSTEDROOT")


@dataclass(frozen=True)
class Location:
    """One physical place a certificate or CRL sits."""

    store: str
    physical: str

    def as_dict(self) -> dict[str, str]:
        """JSON form {store, physical}."""
        return {"store": self.store, "physical": self.physical}


@dataclass
class CertEntry:
    """One certificate (by thumbprint) and every physical store it was read from."""

    cert: Certificate
    locations: list[Location] = field(default_factory=list)
    blobs: dict[Location, bytes] = field(default_factory=dict)

    def at(self, store: str, physical: str) -> bool:
        """Whether a copy sits in this physical store."""
        return Location(store, physical) in self.locations

    def physicals(self, store: str) -> set[str]:
        """The physical locations of one logical store holding a copy."""
        return {loc.physical for loc in self.locations if loc.store == store}


@dataclass
class CrlEntry:
    """One CRL (by SHA-1 of its DER) and where it sits."""

    crl: Crl
    locations: list[Location] = field(default_factory=list)


@dataclass(frozen=True)
class Undecodable:
    """A registry entry under a store that is not a readable certificate or CRL."""

    location: Location
    kind: str
    key: str
    name: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """JSON form."""
        return {
            "store": self.location.store,
            "physical": self.location.physical,
            "kind": self.kind,
            "key": self.key,
            "name": self.name,
            "reason": self.reason,
        }


@dataclass
class Inventory:
    """Everything the certificate stores hold, merged by thumbprint."""

    certificates: dict[str, CertEntry] = field(default_factory=dict)
    crls: dict[str, CrlEntry] = field(default_factory=dict)
    undecodable: list[Undecodable] = field(default_factory=list)
    store_contents: dict[Location, list[str]] = field(default_factory=dict)
    records: RootRecords = field(default_factory=RootRecords)  # sfb.pki.root_store's pins and moves

    def in_store(self, store: str, physical: str) -> list[CertEntry]:
        """Certificates read from one physical store."""
        where = Location(store, physical)
        return [e for e in self.certificates.values() if where in e.locations]


def request(options: Mapping[str, Any], req: SnapshotRequest) -> None:
    """Read every physical certificate store (one level of thumbprint subkeys) and the CA CRL stores."""
    for store in CERTIFICATE_STORES:
        req.add_key(store.certificates_key, 1)
    for store in CRL_STORES:
        req.add_key(store.crls_key, 1)
    request_records(req)


def _blob_of(sub: RegistryKey, source: str) -> bytes:
    item = next((v for k, v in sub.values.items() if k.lower() == "blob"), None)
    if item is None:
        raise PkiInputError(source, "no Blob value")
    if item.get("type") != "binary":
        raise PkiInputError(source, f"Blob is of type {item.get('type')}, expected binary")
    try:
        return binascii.a2b_base64(str(item.get("value") or ""), strict_mode=True)
    except (binascii.Error, ValueError) as err:
        raise PkiInputError(source, f"Blob is not valid base64 in the snapshot: {err}") from err


def _store_key(snap: Snapshot, path: str) -> RegistryKey | None:
    try:
        return snap.key(path)
    except KeyError:
        return None


def read_inventory(snap: Snapshot) -> Inventory:
    """Decode every certificate and CRL of the snapshot, once per snapshot; bad ones go to `undecodable`."""
    cached = snap.derived.get("certificate_inventory")
    if isinstance(cached, Inventory):
        return cached
    inv = Inventory()
    snap.derived["certificate_inventory"] = inv
    inv.records = read_records(snap)
    for store in CERTIFICATE_STORES:
        where = Location(store.logical, store.physical)
        key = _store_key(snap, store.certificates_key)
        names: list[str] = []
        inv.store_contents[where] = names
        if key is None or not key.exists:
            continue
        if key.error is not None:
            inv.undecodable.append(Undecodable(where, "store", store.certificates_key, "", key.error))
        for name, sub in sorted(key.subkeys.items()):
            source = f"{HIVE}\\{store.certificates_key}\\{name}\\Blob"
            names.append(name.upper())
            try:
                blob = _blob_of(sub, source)
                der = decode_certificate_blob(blob, source, key_name=name)
                cert = Certificate.from_der(der, source, thumbprint=name.upper())
            except PkiInputError as err:
                inv.undecodable.append(
                    Undecodable(where, "certificate", store.certificates_key, name, err.fault)
                )
                continue
            entry = inv.certificates.setdefault(cert.thumbprint, CertEntry(cert))
            if where not in entry.locations:
                entry.locations.append(where)
            entry.blobs[where] = blob
    for store in CRL_STORES:
        where = Location(store.logical, store.physical)
        key = _store_key(snap, store.crls_key)
        if key is None or not key.exists:
            continue
        for name, sub in sorted(key.subkeys.items()):
            source = f"{HIVE}\\{store.crls_key}\\{name}\\Blob"
            try:
                crl = load_crl(decode_crl_blob(_blob_of(sub, source), source, key_name=name), source)
            except PkiInputError as err:
                inv.undecodable.append(Undecodable(where, "crl", store.crls_key, name, err.fault))
                continue
            crl_entry = inv.crls.setdefault(crl.thumbprint, CrlEntry(crl))
            if where not in crl_entry.locations:
                crl_entry.locations.append(where)
    return inv


def _label(cert: Certificate) -> str:
    return f"{cert.subject} ({cert.thumbprint})"


def location_object(store: str, physical: str, thumbprint: str) -> str:
    """The `object` of a finding about one physical copy: `Root/registry/<THUMBPRINT>`."""
    return f"{store}/{physical}/{thumbprint}"


_POLICY_SUBORDINATE_FIX = (
    "In the GPO (Computer Configuration > Policies > Windows Settings > Security Settings > Public Key "
    "Policies) move it from Trusted Root Certification Authorities to Intermediate Certification "
    "Authorities, then run gpupdate /force."
)
_SUBORDINATE_FIX = {
    "registry": "Run sfb.pki.root_store (subordinates: move): it copies the certificate to the Registry CA "
    "store, backs it up and removes it from Root. By hand: certutil -addstore CA <file>; "
    "certutil -delstore Root {thumbprint}.",
    "enterprise": "It comes from Active Directory (Certification Authorities container): remove it there "
    "and publish it as an intermediate (certutil -dspublish -f <file> SubCA).",
    "third_party": "Delete it from the Third-Party Root store (certutil -delstore AuthRoot {thumbprint}) "
    "after adding it to the CA store.",
}


def _subordinate_finding(cert: Certificate, physical: str) -> Finding:
    """A not-self-signed certificate in one physical Root store (KB2795828)."""
    obj = location_object("Root", physical, cert.thumbprint)
    harm = "Windows Server 2012+ then cannot build SfB's trusted-issuer list (KB2795828)."
    if physical == "group_policy":
        return Finding(
            "subordinate_in_policy_root",
            "critical",
            f"{_label(cert)} is not self-signed (issued by {cert.issuer}) but Group Policy puts it in "
            f"Trusted Root; {harm}",
            _POLICY_SUBORDINATE_FIX,
            object=obj,
            thumbprint=cert.thumbprint,
            symptoms=TRUST_SYMPTOMS,
        )
    return Finding(
        "subordinate_in_root",
        "critical",
        f"{_label(cert)} is in the {physical} Trusted Root store but is not self-signed "
        f"(issued by {cert.issuer}); {harm}",
        _SUBORDINATE_FIX[physical].format(thumbprint=cert.thumbprint),
        object=obj,
        thumbprint=cert.thumbprint,
        symptoms=TRUST_SYMPTOMS,
    )


def _root_findings(entry: CertEntry) -> list[Finding]:
    cert = entry.cert
    roots = entry.physicals("Root")
    found: list[Finding] = []
    if not roots:
        return found
    if cert.self_signed is False:
        found.extend(_subordinate_finding(cert, physical) for physical in sorted(roots))
    elif cert.self_signed is None and not roots <= {"third_party"}:
        found.append(
            Finding(
                "unverifiable_root",
                "info",
                f"{_label(cert)} in Trusted Root uses {cert.signature_algorithm}, whose signature cannot be "
                "checked here, so it cannot be proven self-signed; it is never moved automatically.",
                "Check it by hand (certutil -verify); if it is a real root, nothing to do.",
                object=cert.thumbprint,
                thumbprint=cert.thumbprint,
            )
        )
    return found


def _ca_findings(entry: CertEntry, now: datetime, expiry_days: int) -> list[Finding]:
    cert = entry.cert
    found: list[Finding] = []
    if not cert.is_ca:
        return found
    only_windows_update = {(loc.store, loc.physical) for loc in entry.locations} == {("Root", "third_party")}
    where = ", ".join(f"{loc.store}/{loc.physical}" for loc in entry.locations)
    if cert.weak_signature:
        broken = cert.signature_hash in ("md2", "md4", "md5")
        severity = "info" if only_windows_update else ("critical" if broken else "warning")
        found.append(
            Finding(
                "weak_signature_ca",
                severity,
                f"CA certificate {_label(cert)} in {where} is signed with {cert.signature_algorithm}; "
                + (
                    "SfB Front End services fail TLS with an MD5/MD2 signed CA (SChannel 36888 alert 40 "
                    "state 1205, 36874)."
                    if broken
                    else "SHA-1 signatures are deprecated and refused by current clients."
                ),
                "Re-key or re-sign the CA with SHA-256 (CertSvc CSP\\HashAlgorithm), issue a new CA "
                "certificate, distribute it and re-issue the certificates below it.",
                object=cert.thumbprint,
                thumbprint=cert.thumbprint,
                symptoms=("event 36888", "event 36874") if broken else (),
            )
        )
    if cert.expired(now):
        found.append(
            Finding(
                "expired_ca",
                "info" if only_windows_update else "warning",
                f"CA certificate {_label(cert)} in {where} expired on {cert.not_after:%Y-%m-%d}; it is "
                "reported, never removed automatically.",
                "If nothing still chains to it, remove it with certutil -delstore <store> "
                f"{cert.thumbprint} (back it up first); otherwise renew the CA and distribute the new "
                "certificate.",
                object=cert.thumbprint,
                thumbprint=cert.thumbprint,
            )
        )
    elif cert.days_left(now) <= expiry_days and not only_windows_update:
        found.append(
            Finding(
                "expiring_ca",
                "warning",
                f"CA certificate {_label(cert)} in {where} expires in {cert.days_left(now)} days "
                f"({cert.not_after:%Y-%m-%d}).",
                "Renew the CA certificate and distribute the new one before the old one expires.",
                object=cert.thumbprint,
                thumbprint=cert.thumbprint,
            )
        )
    return found


def _undecodable_finding(bad: Undecodable) -> Finding:
    if bad.kind == "store":
        store_path = f"{HIVE}\\{bad.key}"
        return Finding(
            "store_unreadable",
            "warning",
            f"{store_path} ({bad.location.store}/{bad.location.physical}) could not be read: {bad.reason}. "
            "Its certificates are unknown to this run, so nothing is judged or changed because of them.",
            "Give the account Ansible connects with read access to the key (it needs local administrator "
            "rights), then run again.",
            object=store_path,
        )
    path = f"{HIVE}\\{bad.key}\\{bad.name}"
    return Finding(
        "undecodable_blob",
        "warning",
        f"{path} ({bad.location.store}/{bad.location.physical}) is not a readable {bad.kind}: {bad.reason}. "
        "Windows ignores it, so whatever it was meant to hold is not trusted.",
        f'Export it (reg export "{path}" bad.reg), delete the key and re-add the {bad.kind} from a good '
        "copy (certutil -addstore).",
        object=path,
    )


def findings(inv: Inventory, now: datetime, expiry_days: int = DEFAULT_EXPIRY_DAYS) -> list[Finding]:
    """Every certificate-store finding of an inventory."""
    found: list[Finding] = []
    for entry in inv.certificates.values():
        found.extend(_root_findings(entry))
        found.extend(_ca_findings(entry, now, expiry_days))
    found.extend(_undecodable_finding(bad) for bad in inv.undecodable)
    # gpo_only_root, enterprise_only_root, orphan_pin, subordinate_reappeared (_rootrecords.py)
    return with_location_findings(inv, found)


def describe_entry(entry: CertEntry, now: datetime) -> dict[str, Any]:
    """The JSON facts of one certificate, with its locations."""
    facts = entry.cert.describe(now)
    facts["locations"] = [loc.as_dict() for loc in entry.locations]
    return facts


def analyze(
    options: Mapping[str, Any], snap: Snapshot, now: datetime
) -> tuple[dict[str, Any], list[Finding]]:
    """Facts {certificates, crls, undecodable} and findings of the certificate stores."""
    inv = read_inventory(snap)
    expiry_days = options.get("certificate_expiry_days")
    facts = {
        "certificates": [describe_entry(e, now) for e in inv.certificates.values()],
        "crls": [
            dict(c.crl.describe(now), locations=[loc.as_dict() for loc in c.locations])
            for c in inv.crls.values()
        ],
        "undecodable": [bad.as_dict() for bad in inv.undecodable],
    }
    return facts, findings(inv, now, DEFAULT_EXPIRY_DAYS if expiry_days is None else int(expiry_days))
