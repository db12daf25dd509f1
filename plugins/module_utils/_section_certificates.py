# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_info section `certificates`: every physical location of the machine Root, CA and My stores.

Reads the registry keys of each physical store (docs/design.md, domain notes section 1), decodes each
`Blob` with the core, merges copies of one certificate by thumbprint and reports what is wrong.
A value that cannot be decoded becomes an `undecodable_blob` finding, never an exception.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ._blob import decode_certificate_blob, decode_crl_blob
from ._certs import Certificate
from ._chain import ChainPool, build_chain
from ._crl import Crl, load_crl
from ._errors import PkiInputError
from ._findings import Finding, unreadable_finding
from ._rootrecords import RootRecords, read_records, with_location_findings
from ._rootrecords import request as request_records
from ._snapshot import RegistryKey, Snapshot, SnapshotRequest
from ._stores import HIVE, PhysicalStore, stores_of
from ._windows_roots import is_windows_required

CERTIFICATE_STORES: tuple[PhysicalStore, ...] = stores_of("Root") + stores_of("CA") + stores_of("My")
CRL_STORES: tuple[PhysicalStore, ...] = stores_of("CA")

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
        req.add_certificates(store.certificates_key)
    for store in CRL_STORES:
        req.add_key(store.crls_key, 1)
    request_records(req)


class _Unreadable(Exception):
    """A thumbprint key or its Blob value the host could not read (its message is the Windows error)."""

    def __init__(self, name: str, error: str) -> None:
        super().__init__(error)
        self.name = name
        self.error = error


def _blob_of(sub: RegistryKey, source: str) -> bytes:
    name = sub.path.rsplit("\\", 1)[-1]
    if sub.error is not None:
        raise _Unreadable(name, sub.error)
    item = next((v for k, v in sub.values.items() if k.lower() == "blob"), None)
    if item is not None and item.get("type") == "error":
        raise _Unreadable(name + "\\Blob", str(item.get("value")))
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
            except _Unreadable as err:
                inv.undecodable.append(
                    Undecodable(where, "unreadable", store.certificates_key, err.name, err.error)
                )
                continue
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
        if key.error is not None:
            inv.undecodable.append(Undecodable(where, "store", store.crls_key, "", key.error))
        for name, sub in sorted(key.subkeys.items()):
            source = f"{HIVE}\\{store.crls_key}\\{name}\\Blob"
            try:
                crl = load_crl(decode_crl_blob(_blob_of(sub, source), source, key_name=name), source)
            except _Unreadable as err:
                inv.undecodable.append(Undecodable(where, "unreadable", store.crls_key, err.name, err.error))
                continue
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
    required = is_windows_required(cert.thumbprint)
    found: list[Finding] = []
    if not roots:
        return found
    if cert.self_signed is False:
        found.extend(_subordinate_finding(cert, physical) for physical in sorted(roots))
    elif cert.self_signed is None and not roots <= {"third_party"} and not required:
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


BROKEN_HASHES: frozenset[str] = frozenset({"md2", "md4", "md5"})
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
# What a weak signature a peer verifies (an MD5/MD2 CA or end-entity certificate) does to SfB (seed 001).
WEAK_SYMPTOMS = ("event 36888", "event 36874", "event 32174")
EXPIRED_SYMPTOMS = ("event 32042", "event 30998", "event 61029", "0x800B0101 CERT_E_EXPIRED")


def serves_tls(cert: Certificate) -> bool:
    """A non-CA certificate usable for TLS server authentication (Server Auth EKU, or no EKU at all)."""
    return not cert.is_ca and (not cert.eku_present or SERVER_AUTH in cert.ekus)


def _is_root(cert: Certificate) -> bool:
    """Self-signed, or self-issued with a self-signature nobody can check: nothing above it to verify."""
    return cert.self_signed is not False


def dependents(inv: Inventory, now: datetime) -> dict[str, list[CertEntry]]:
    """For each certificate, the unexpired certificates on this host whose chain runs through it.

    Chains are built through the host's Root and CA stores (as Windows builds them from this machine);
    a certificate counts for every issuer above it, so a root counts everything under its intermediates.
    """
    cached: dict[str, list[CertEntry]] = {}
    pool = ChainPool(e.cert for e in inv.certificates.values() if e.physicals("Root") or e.physicals("CA"))
    for entry in inv.certificates.values():
        cert = entry.cert
        if _is_root(cert) or cert.expired(now):
            continue
        for issuer in build_chain(cert, pool).certificates[1:]:
            cached.setdefault(issuer.thumbprint, []).append(entry)
    return cached


def _only_windows_update(entry: CertEntry) -> bool:
    return {(loc.store, loc.physical) for loc in entry.locations} == {("Root", "third_party")}


def _where(entry: CertEntry) -> str:
    return ", ".join(f"{loc.store}/{loc.physical}" for loc in entry.locations)


def _weak_ca_finding(entry: CertEntry) -> Finding | None:
    """A weak hash on a CA certificate: what matters is the signature a peer verifies.

    A CA certificate issued by another CA (or by an older key of its own name) is verified by every peer
    that builds a chain through it: MD2/MD5 critical, SHA-1 warning. A root's own self-signature is
    never verified by a peer (RFC 5280 6.1.1: the trust anchor's name and key are inputs to path
    validation), so an MD2/MD5 self-signature is only info and SHA-1 nothing. Sources: docs/audit.md.
    """
    cert = entry.cert
    if not cert.weak_signature:
        return None
    broken = cert.signature_hash in BROKEN_HASHES
    if _is_root(cert):
        if not broken or cert.self_signed is None or _only_windows_update(entry):
            return None  # an unverifiable (MD2) root is `unverifiable_root`; AuthRoot is Windows Update's
        return Finding(
            "weak_root_self_signature",
            "info",
            f"Root {_label(cert)} in {_where(entry)} signs itself with {cert.signature_algorithm}. "
            "A TLS peer never checks a root's own signature (it trusts the root's key as it is), so this "
            "breaks nothing; certificates this root issued are judged by their own signatures.",
            "Nothing to do for the root itself. If its CA still issues, make it sign with SHA-256 "
            "(certutil -setreg CA\\CSP\\CNGHashAlgorithm SHA256, then restart CertSvc).",
            object=cert.thumbprint,
            thumbprint=cert.thumbprint,
        )
    severity = "info" if _only_windows_update(entry) else ("critical" if broken else "warning")
    return Finding(
        "weak_signature_ca",
        severity,
        f"CA certificate {_label(cert)} in {_where(entry)} is signed by {cert.issuer} with "
        f"{cert.signature_algorithm}; every peer that builds a chain through it verifies that signature. "
        + (
            "SfB Front End services fail TLS with an MD5/MD2 signed CA (SChannel 36888 alert 40 state 1205, "
            "36874)."
            if broken
            else "SHA-1 signatures are deprecated and refused by current clients."
        ),
        "Have the issuing CA sign a new certificate for this CA with SHA-256 (on the issuer: certutil "
        "-setreg CA\\CSP\\CNGHashAlgorithm SHA256, restart CertSvc), distribute it and re-issue the "
        "certificates below it.",
        object=cert.thumbprint,
        thumbprint=cert.thumbprint,
        symptoms=WEAK_SYMPTOMS if broken else (),
    )


def _names(entries: list[CertEntry], limit: int = 3) -> str:
    names = [_label(e.cert) for e in entries[:limit]]
    more = len(entries) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def _expired_finding(entry: CertEntry, below: list[CertEntry]) -> Finding:
    """An expired CA certificate, judged by what on this host still chains to it.

    Windows rejects a chain with any certificate outside its validity, the root included
    (CERT_TRUST_IS_NOT_TIME_VALID, CERT_E_EXPIRED 0x800B0101). So: a server certificate in My that
    chains to it cannot be used for TLS (critical); other unexpired certificates under it fail
    validation (warning); when nothing on the host chains to it, it affects nothing here (info).
    """
    cert = entry.cert
    kind = "Root" if _is_root(cert) else "CA certificate"
    expired_on = f"{_label(cert)} in {_where(entry)} expired on {cert.not_after:%Y-%m-%d}"
    if below:
        serving = [e for e in below if e.physicals("My") and serves_tls(e.cert)]
        return Finding(
            "expired_ca",
            "critical" if serving else "warning",
            f"{kind} {expired_on}, yet {len(below)} unexpired certificate(s) on this host chain to it: "
            f"{_names(serving or below)}. Windows rejects a chain with an expired certificate in it "
            "(CERT_E_EXPIRED 0x800B0101)"
            + (", so TLS with the server certificate fails for every peer." if serving else ".")
            + " It is reported, never removed automatically.",
            "Renew the CA certificate (certutil -renewCert on that CA; a root may keep its key), distribute "
            "the new one (sfb.pki.root_store roots, Group Policy, or certutil -dspublish) and re-issue the "
            "certificates below it. Keep the expired one until nothing chains to it.",
            object=cert.thumbprint,
            thumbprint=cert.thumbprint,
            symptoms=EXPIRED_SYMPTOMS,
        )
    if _only_windows_update(entry):
        fix = "Nothing to do: Windows Update manages the Third-Party Root store."
    else:
        store = entry.locations[0].store
        fix = (
            "Nothing to do for TLS. To tidy up once no other host and no old signature relies on it: back it "
            f"up (certutil -store {store} {cert.thumbprint} backup.cer), then certutil -delstore {store} "
            f"{cert.thumbprint}."
        )
    return Finding(
        "expired_ca",
        "info",
        f"{kind} {expired_on}; nothing on this host chains to it, so no chain built here depends on it. "
        "It is reported, never removed automatically.",
        fix,
        object=cert.thumbprint,
        thumbprint=cert.thumbprint,
    )


def _ca_findings(
    entry: CertEntry, now: datetime, expiry_days: int, below: Callable[[str], list[CertEntry]]
) -> list[Finding]:
    cert = entry.cert
    found: list[Finding] = []
    if not cert.is_ca or is_windows_required(cert.thumbprint):
        return found  # KB293781: known by thumbprint, never weak, expired or removable
    # an expired CA is judged by its expiry (and what still chains to it): no peer accepts it any more,
    # whatever its hash (Windows' Intermediate store keeps old MD5-signed VeriSign CAs, for one)
    weak = None if cert.expired(now) else _weak_ca_finding(entry)
    if weak is not None:
        found.append(weak)
    if cert.expired(now):
        found.append(_expired_finding(entry, below(cert.thumbprint)))
    elif cert.days_left(now) <= expiry_days and not _only_windows_update(entry):
        found.append(
            Finding(
                "expiring_ca",
                "warning",
                f"CA certificate {_label(cert)} in {_where(entry)} expires in {cert.days_left(now)} days "
                f"({cert.not_after:%Y-%m-%d}).",
                "Renew the CA certificate and distribute the new one before the old one expires.",
                object=cert.thumbprint,
                thumbprint=cert.thumbprint,
            )
        )
    return found


def _end_entity_findings(entry: CertEntry, now: datetime) -> list[Finding]:
    """A weak hash on an unexpired end-entity certificate in My: every peer verifies that signature.

    A self-signed end-entity certificate is trusted, if at all, as it is (like a root), so its own
    signature hash is not judged.
    """
    cert = entry.cert
    if cert.is_ca or not entry.physicals("My") or not cert.weak_signature or _is_root(cert):
        return []
    if cert.expired(now):
        return []  # an expired certificate is unusable whatever its hash (server_cert_expired)
    broken = cert.signature_hash in BROKEN_HASHES
    return [
        Finding(
            "weak_signature_cert",
            "critical" if broken else "warning",
            f"Certificate {_label(cert)} in My is signed by {cert.issuer} with {cert.signature_algorithm}; "
            + (
                "TLS 1.2 peers cannot accept an MD5/MD2 signature, and SfB services fail TLS with it "
                "(SChannel 36888 alert 40 state 1205, 36874)."
                if broken
                else "SHA-1 signatures are deprecated and refused by current clients."
            ),
            "Make the issuing CA sign with SHA-256 (certutil -setreg CA\\CSP\\CNGHashAlgorithm SHA256, "
            "restart CertSvc), request a new certificate (Request-CsCertificate) and assign it "
            "(Set-CsCertificate).",
            object=cert.thumbprint,
            thumbprint=cert.thumbprint,
            symptoms=WEAK_SYMPTOMS if broken else (),
        )
    ]


def _undecodable_finding(bad: Undecodable) -> Finding:
    what = "CRLs" if bad.key.lower().endswith("\\crls") else "certificates"
    if bad.kind == "unreadable":
        path = f"{HIVE}\\{bad.key}\\{bad.name}"
        return unreadable_finding(
            "registry value" if bad.name.lower().endswith("\\blob") else "registry key",
            path,
            bad.reason,
            f"What it holds in {bad.location.store}/{bad.location.physical} is unknown to this run, so"
            f" nothing is judged or changed because of it.",
        )
    if bad.kind == "store":
        store_path = f"{HIVE}\\{bad.key}"
        return Finding(
            "store_unreadable",
            "warning",
            f"{store_path} ({bad.location.store}/{bad.location.physical}) could not be read: {bad.reason}. "
            f"Its {what} are unknown to this run, so nothing is judged or changed because of them.",
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
    below: dict[str, list[CertEntry]] | None = None

    def chained_below(thumbprint: str) -> list[CertEntry]:
        nonlocal below
        if below is None:  # chains are built only when an expired CA needs judging
            below = dependents(inv, now)
        return below.get(thumbprint, [])

    for entry in inv.certificates.values():
        found.extend(_root_findings(entry))
        found.extend(_ca_findings(entry, now, expiry_days, chained_below))
        found.extend(_end_entity_findings(entry, now))
    found.extend(_undecodable_finding(bad) for bad in inv.undecodable)
    # gpo_only_root, enterprise_only_root, orphan_pin, subordinate_reappeared (_rootrecords.py)
    return with_location_findings(inv, found)


def describe_entry(entry: CertEntry, now: datetime) -> dict[str, Any]:
    """The JSON facts of one certificate, with its locations."""
    facts = entry.cert.describe(now)
    facts["locations"] = [loc.as_dict() for loc in entry.locations]
    facts["windows_required"] = is_windows_required(entry.cert.thumbprint)
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
