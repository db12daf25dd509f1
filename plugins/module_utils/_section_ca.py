# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `ca` section of host_info: the CA's CRL configuration and the CRLs it publishes in CertEnroll.

Registry layout (Microsoft, "Configure the CDP and AIA extensions" and certutil -getreg):
`HKLM\\SYSTEM\\CurrentControlSet\\Services\\CertSvc\\Configuration` holds `Active` (the CA name) and
one subkey per CA with CRLPeriod/CRLPeriodUnits, CRLOverlapPeriod/CRLOverlapUnits,
CRLPublicationURLs ("<flags>:<url>" lines) and CACertHash (the CA certificate thumbprints, oldest
first). `certutil -crl` writes the CRL and the CA certificate to `%windir%\\System32\\CertSrv\\CertEnroll`.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ._certs import Certificate, iso, load_certificate
from ._crl import Crl, load_crl
from ._crlplan import DEFAULT_REFRESH_BEFORE_DAYS, crl_facts, current_crl, is_delta, issued_by, newest
from ._errors import PkiInputError
from ._findings import Finding, unreadable_finding
from ._section_certificates import CRL_STORES, Inventory, read_inventory
from ._snapshot import RegistryKey, Snapshot, SnapshotRequest, Unreadable, folder_errors, key_errors
from ._stores import physical_store

NAME = "ca"
# Where else the CA certificate can be found by its CACertHash thumbprint (the CA's own My store first).
CA_CERT_STORES: tuple[str, ...] = ("My", "Root", "CA")
CONFIG_KEY = "SYSTEM\\CurrentControlSet\\Services\\CertSvc\\Configuration"
CERTENROLL = "%windir%\\System32\\CertSrv\\CertEnroll"
_CERTENROLL_TAIL = "\\system32\\certsrv\\certenroll"
# Only CRLs and CA certificates are read from CertEnroll (certutil -crl and the CA write nothing else we use).
CERTENROLL_FILES = ("*.crl", "*.crt")

# Days per CRLPeriod word (months and years as certsvc counts them are calendar based: approximate).
_PERIOD_DAYS: dict[str, float] = {
    "hours": 1 / 24,
    "days": 1,
    "weeks": 7,
    "months": 30.4375,
    "years": 365.25,
}

# CRLPublicationURLs flag bits (certutil -setreg CA\CRLPublicationURLs; certsrv.h CSURL_*).
_URL_FLAGS: dict[int, str] = {
    1: "publish_crl",
    2: "add_to_cert_cdp",
    4: "add_to_freshest_crl",
    8: "add_to_crl_cdp",
    64: "publish_delta",
    128: "add_to_crl_idp",
}

CA_TYPES: dict[int, str] = {
    0: "enterprise_root",
    1: "enterprise_subordinate",
    3: "standalone_root",
    4: "standalone_subordinate",
}

SYMPTOMS: tuple[str, ...] = (
    "CA service on the subordinate CA does not start: CertificationAuthority event 100,"
    ' "The revocation function was unable to check revocation because the revocation server was offline"'
    " (CRYPT_E_REVOCATION_OFFLINE 0x80092013)",
    "certificate enrollment and revocation checks against this CA fail",
)


OPTION = "crl_refresh_before"


def refresh_before(options: Mapping[str, Any]) -> int:
    """The refresh cushion in days from the `crl_refresh_before` option (default 30)."""
    value = options.get(OPTION)
    if value is None:
        return DEFAULT_REFRESH_BEFORE_DAYS
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PkiInputError(OPTION, f"must be a whole number of days >= 0, got {value!r}")
    return value


def request(options: Mapping[str, Any], req: SnapshotRequest) -> None:
    """Read the CertSvc configuration (one level of CA subkeys) and the CertEnroll folder."""
    refresh_before(options)
    req.add_key(CONFIG_KEY, 1)
    req.add_folder(CERTENROLL, CERTENROLL_FILES)
    for logical in CA_CERT_STORES:
        req.add_certificates(physical_store(logical, "registry").certificates_key)
    for store in CRL_STORES:
        req.add_key(store.crls_key, 1)


def period(unit: Any, count: Any) -> dict[str, Any] | None:
    """A CRLPeriod-style pair as {unit, units, days} (days approximate for months and years)."""
    if unit is None and count is None:
        return None
    days = None
    if isinstance(unit, str) and isinstance(count, int) and unit.lower() in _PERIOD_DAYS:
        days = round(_PERIOD_DAYS[unit.lower()] * count, 2)
    return {"unit": unit, "units": count, "days": days}


def publication_urls(raw: Any) -> list[dict[str, Any]]:
    """Parse CRLPublicationURLs lines ("65:C:\\...\\%3%8%9.crl") into flags, flag names and URL."""
    lines = raw if isinstance(raw, list) else ([] if raw is None else str(raw).splitlines())
    urls: list[dict[str, Any]] = []
    for line in lines:
        text = str(line).strip()
        if not text:
            continue
        match = re.match(r"^(\d+):(.*)$", text)
        flags = int(match.group(1)) if match else 0
        url = match.group(2) if match else text
        urls.append(
            {"flags": flags, "url": url, "options": [name for bit, name in _URL_FLAGS.items() if flags & bit]}
        )
    return urls


def cert_hashes(raw: Any) -> list[str]:
    """CACertHash entries ("5d 1b ..." or "0: 5d 1b ...") as uppercase hex thumbprints."""
    lines = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    hashes = []
    for line in lines:
        text = str(line)
        text = text.split(":", 1)[1] if re.match(r"^\s*\d+:", text) else text
        digits = re.sub(r"[^0-9A-Fa-f]", "", text).upper()
        if digits:
            hashes.append(digits)
    return hashes


def certenroll_folder(snap: Snapshot) -> dict[str, Any] | None:
    """The CertEnroll folder entry, whether the host echoed the request or the expanded path."""
    found = snap.folder(CERTENROLL)
    if found is not None:
        return found
    for path, entry in snap.folders.items():
        if path.endswith(_CERTENROLL_TAIL):
            return entry
    return None


def _file_bytes(item: dict[str, Any], source: str) -> bytes:
    try:
        return base64.b64decode(str(item.get("content") or ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PkiInputError(source, f"file content is not base64: {exc}") from exc


def load_certenroll(
    folder: dict[str, Any] | None,
) -> tuple[list[tuple[str, Crl]], list[tuple[str, Certificate]], list[tuple[str, str]]]:
    """The CRLs and certificates in CertEnroll by file name, and the files that could not be read."""
    crls: list[tuple[str, Crl]] = []
    certs: list[tuple[str, Certificate]] = []
    bad: list[tuple[str, str]] = []
    if not folder or not folder.get("exists", True):
        return crls, certs, bad
    for item in sorted(folder.get("files") or [], key=lambda f: str(f.get("name", "")).lower()):
        if item.get("error") is not None:
            continue  # could not be read at all: an `unreadable` finding (folder_errors), not a bad file
        name = str(item.get("name", ""))
        source = f"CertEnroll\\{name}"
        lower = name.lower()
        try:
            if lower.endswith(".crl"):
                crls.append((name, load_crl(_file_bytes(item, source), source)))
            elif lower.endswith(".crt") or lower.endswith(".cer"):
                certs.append((name, load_certificate(_file_bytes(item, source), source)))
        except PkiInputError as exc:
            bad.append((name, str(exc)))
    return crls, certs, bad


def _ca_subkey(config: RegistryKey, name: str | None, strict: bool = False) -> RegistryKey | None:
    if name:
        found = config.subkey(name)
        if found is not None or strict:
            return found
    return next(iter(config.subkeys.values()), None) if len(config.subkeys) == 1 else None


def ca_certificate(
    hashes: list[str], certs: list[tuple[str, Certificate]], stored: list[Certificate] | None = None
) -> Certificate | None:
    """The CA's current certificate: the last CACertHash found in CertEnroll or a store, else the only one."""
    by_print = {c.thumbprint.upper(): c for c in stored or []}
    by_print.update({c.thumbprint.upper(): c for _name, c in certs})
    for thumb in reversed(hashes):
        if thumb in by_print:
            return by_print[thumb]
    cas = [c for _name, c in certs if c.is_ca]
    return max(cas, key=lambda c: c.not_before) if len(cas) == 1 else None


@dataclass(frozen=True)
class CaState:
    """What the snapshot says about the CA: configuration key, certificate, CertEnroll CRLs."""

    present: bool
    name: str | None = None
    config: RegistryKey | None = None
    certificate: Certificate | None = None
    hashes: tuple[str, ...] = ()
    crls: tuple[tuple[str, Crl], ...] = ()
    certificates: tuple[tuple[str, Certificate], ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()
    folder: dict[str, Any] | None = None
    parent_crls: tuple[tuple[tuple[str, ...], Crl], ...] = ()
    # What the host could not read: the CertSvc configuration tree, the CertEnroll folder or its files.
    read_errors: tuple[Unreadable, ...] = ()

    @property
    def certenroll_errors(self) -> tuple[Unreadable, ...]:
        """The CertEnroll folder or files that could not be read (the CRL list may be incomplete)."""
        return tuple(e for e in self.read_errors if e.kind in ("folder", "file"))

    @property
    def parent_crl(self) -> tuple[tuple[str, ...], Crl] | None:
        """(physical locations, CRL): the newest installed CA-store CRL of the CA certificate's issuer."""
        best = newest(c for _where, c in self.parent_crls)
        return next(((w, c) for w, c in self.parent_crls if c is best), None)

    @property
    def current(self) -> Crl | None:
        """The newest base CRL the CA certificate issued (None without certificate or CRL)."""
        if self.certificate is None:
            return None
        return current_crl([c for _name, c in self.crls], self.certificate)

    def file_of(self, crl: Crl) -> str | None:
        """The CertEnroll file name a CRL was read from."""
        return next((name for name, c in self.crls if c.thumbprint == crl.thumbprint), None)


def ca_state(snap: Snapshot, ca_name: str | None = None) -> CaState:
    """Read the CA (the active one, or `ca_name`) from a snapshot that holds this section's request."""
    config = snap.keys.get(CONFIG_KEY.lower())
    if config is None or not config.exists:
        return CaState(False)
    if config.error is not None and not config.subkeys:
        # the configuration key exists but cannot be opened: a CA whose name and settings are unknown
        return CaState(True, read_errors=tuple(key_errors(config)), folder=certenroll_folder(snap))
    name = ca_name or config.value("Active")
    sub = _ca_subkey(config, name, strict=bool(ca_name))
    if sub is not None and not name:
        name = sub.path.rsplit("\\", 1)[-1]
    folder = certenroll_folder(snap)
    crls, certs, bad = load_certenroll(folder)
    hashes = cert_hashes(sub.value("CACertHash")) if sub else []
    inventory = read_inventory(snap)
    stored = [entry.cert for entry in inventory.certificates.values()]
    cert = ca_certificate(hashes, certs, stored)
    return CaState(
        True,
        str(name) if name else None,
        sub,
        cert,
        tuple(hashes),
        tuple(crls),
        tuple(certs),
        tuple(bad),
        folder,
        _parent_crls(inventory, cert),
        tuple(key_errors(config) + folder_errors(folder)),
    )


def _parent_crls(inventory: Inventory, cert: Certificate | None) -> tuple[tuple[tuple[str, ...], Crl], ...]:
    """Installed CA-store base CRLs named by the issuer of a subordinate CA's certificate."""
    if cert is None or cert.self_issued:
        return ()
    found = []
    for entry in inventory.crls.values():
        where = tuple(sorted(loc.physical for loc in entry.locations if loc.store == "CA"))
        if where and entry.crl.issuer_key == cert.issuer_key and not is_delta(entry.crl):
            found.append((where, entry.crl))
    return tuple(found)


def describe_ca(state: CaState, cushion: int, now: datetime) -> dict[str, Any]:
    """JSON-ready facts of the CA: configuration, certificate, CRLs with refresh_due, next due date."""
    sub = state.config
    if not state.present:
        return {"present": False, "refresh_before": cushion, "crls": [], "next_due": None}
    ca_type = sub.value("CAType") if sub else None
    current = state.current
    crls = []
    for file_name, crl in state.crls:
        facts = crl_facts(crl, now, cushion)
        facts["file"] = file_name
        facts["issued_by_ca"] = state.certificate is not None and issued_by(crl, state.certificate)
        crls.append(facts)
    cert = state.certificate
    return {
        "present": True,
        "name": state.name,
        "type": CA_TYPES.get(ca_type, ca_type) if isinstance(ca_type, int) else ca_type,
        "crl_period": period(sub.value("CRLPeriod"), sub.value("CRLPeriodUnits")) if sub else None,
        "crl_overlap": period(sub.value("CRLOverlapPeriod"), sub.value("CRLOverlapUnits")) if sub else None,
        "crl_delta_period": (
            period(sub.value("CRLDeltaPeriod"), sub.value("CRLDeltaPeriodUnits")) if sub else None
        ),
        "crl_publication_urls": publication_urls(sub.value("CRLPublicationURLs")) if sub else [],
        "ca_cert_hashes": list(state.hashes),
        "certificate": (
            None
            if cert is None
            else {"thumbprint": cert.thumbprint, "subject": cert.subject, "not_after": iso(cert.not_after)}
        ),
        "certenroll": {
            "path": state.folder.get("expanded_path") or state.folder.get("path") if state.folder else None,
            "exists": bool(state.folder and state.folder.get("exists", True)),
        },
        "unreadable": [{"file": f, "error": e} for f, e in state.unreadable],
        "read_errors": [{"kind": e.kind, "path": e.path, "error": e.error} for e in state.read_errors],
        "refresh_before": cushion,
        "crls": crls,
        "current_crl": None if current is None else current.thumbprint,
        "next_due": None if current is None else iso(current.refresh_due(cushion)),
        "days_left": None if current is None else current.days_left(now),
        "parent": None if cert is None or cert.self_issued else cert.issuer,
        "parent_crl": _parent_facts(state, now, cushion),
    }


def _parent_facts(state: CaState, now: datetime, cushion: int) -> dict[str, Any] | None:
    found = state.parent_crl
    if found is None:
        return None
    where, crl = found
    facts = crl_facts(crl, now, cushion)
    facts["locations"] = list(where)
    return facts


def analyze(
    options: Mapping[str, Any], snap: Snapshot, now: datetime
) -> tuple[dict[str, Any], list[Finding]]:
    """The CA configuration and CertEnroll CRLs with refresh_due, and findings for due or expired CRLs."""
    cushion = refresh_before(options)
    state = ca_state(snap)
    result = describe_ca(state, cushion, now)
    findings: list[Finding] = []
    if not state.present:
        return result, findings
    for denied in state.read_errors:
        findings.append(
            unreadable_finding(
                denied.kind,
                denied.path,
                denied.error,
                "The CA's CRL configuration or the CRLs it published may be incomplete in this report.",
            )
        )
    for (file_name, crl), facts in zip(state.crls, result["crls"], strict=True):
        findings.extend(_crl_findings(file_name, crl, facts, cushion, state.name))
    parent = state.parent_crl
    if parent is not None:
        findings.extend(_parent_findings(parent[1], result["parent_crl"], cushion, state.name))
    for file_name, error in state.unreadable:
        findings.append(
            Finding(
                "ca_crl_unreadable",
                "warning",
                f"CertEnroll file {file_name} cannot be read as a CRL or certificate: {error}",
                f"Re-issue the CRL with certutil -crl on the CA and check the file {file_name}.",
                object=file_name,
            )
        )
    crl_days = (result["crl_period"] or {}).get("days")
    is_root = state.certificate is not None and state.certificate.self_issued
    # Only a root re-issues by hand; an online CA publishes its short CRLs itself.
    if is_root and isinstance(crl_days, float | int) and crl_days <= cushion:
        findings.append(
            Finding(
                "ca_crl_period_within_cushion",
                "warning",
                f"CA {state.name}: the CRL period ({crl_days} days) is not longer than the refresh"
                f" cushion ({cushion} days), so every CRL is due as soon as it is issued",
                "Lengthen CRLPeriod/CRLPeriodUnits on the CA (certutil -setreg CA\\CRLPeriodUnits) or"
                " lower crl_refresh_before.",
                object=state.name,
            )
        )
    return result, findings


def _crl_findings(
    file_name: str, crl: Crl, facts: dict[str, Any], cushion: int, ca_name: str | None
) -> list[Finding]:
    if is_delta(crl):
        return []
    fix = (
        f"Run playbooks/crl_refresh.yml, or on the CA {ca_name or ''} run `certutil -crl`, copy"
        f" CertEnroll\\{file_name} to each subordinate CA and run `certutil -addstore CA {file_name}` there."
    )
    if facts["expired"]:
        return [
            Finding(
                "ca_crl_expired",
                "critical",
                f"CRL {file_name} of {crl.issuer} expired on {facts['next_update']}",
                fix,
                object=file_name,
                thumbprint=crl.thumbprint,
                symptoms=SYMPTOMS,
            )
        ]
    lifetime_days = (
        (crl.next_update - crl.this_update).total_seconds() / 86400 if crl.next_update is not None else 0.0
    )
    if facts["due"] and lifetime_days > cushion:
        return [
            Finding(
                "ca_crl_refresh_due",
                "warning",
                f"CRL {file_name} of {crl.issuer} was due for re-issue on {facts['refresh_due']}"
                f" ({cushion} days before it expires on {facts['next_update']}); {facts['days_left']}"
                " days left",
                fix,
                object=file_name,
                thumbprint=crl.thumbprint,
                symptoms=SYMPTOMS,
            )
        ]
    return []


def _parent_findings(crl: Crl, facts: dict[str, Any], cushion: int, ca_name: str | None) -> list[Finding]:
    """Findings for the issuer's CRL a subordinate CA holds in its CA store (seed 001)."""
    fix = (
        f"Run playbooks/crl_refresh.yml, or re-issue the CRL of {crl.issuer} on the offline root"
        f" (`certutil -crl`), copy it here and run `certutil -addstore CA <file>`."
    )
    if facts["expired"]:
        return [
            Finding(
                "ca_parent_crl_expired",
                "critical",
                f"CA {ca_name}: the installed CRL of its issuer {crl.issuer} expired on"
                f" {facts['next_update']}",
                fix,
                object=crl.thumbprint,
                thumbprint=crl.thumbprint,
                symptoms=SYMPTOMS,
            )
        ]
    if facts["due"]:
        return [
            Finding(
                "ca_parent_crl_refresh_due",
                "warning",
                f"CA {ca_name}: the installed CRL of its issuer {crl.issuer} expires on"
                f" {facts['next_update']} ({facts['days_left']} days left; refresh was due"
                f" {facts['refresh_due']}, {cushion} days before)",
                fix,
                object=crl.thumbprint,
                thumbprint=crl.thumbprint,
                symptoms=SYMPTOMS,
            )
        ]
    return []


def _add_months(when: datetime, months: int) -> datetime:
    month = when.month - 1 + months
    year = when.year + month // 12
    month = month % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def next_update_after(this_update: datetime, unit: Any, units: Any) -> datetime:
    """thisUpdate + CRLPeriodUnits x CRLPeriod, calendar months and years as the CA counts them.

    A missing or unknown period is the AD CS default, 1 week. The CA also backdates thisUpdate by its
    clock skew and may add CRLOverlap to nextUpdate, so a planned date is approximate to hours.
    """
    word = unit.lower() if isinstance(unit, str) and unit.lower() in _PERIOD_DAYS else "weeks"
    count = units if isinstance(units, int) and not isinstance(units, bool) and units > 0 else 1
    if word == "years":
        return _add_months(this_update, 12 * count)
    if word == "months":
        return _add_months(this_update, count)
    return this_update + timedelta(days=_PERIOD_DAYS[word] * count)


def planned_crl(state: CaState, now: datetime, cushion: int) -> dict[str, Any]:
    """The CRL `certutil -crl` would publish now (check mode): the current CRL number + 1, dated now.

    The root's re-issue is skipped in check mode, so the subordinates plan their install from this.
    """
    current = state.current
    number = None if current is None or current.crl_number is None else current.crl_number + 1
    sub = state.config
    next_update = next_update_after(
        now, sub.value("CRLPeriod") if sub else None, sub.value("CRLPeriodUnits") if sub else None
    )
    return {
        "planned": True,
        "issuer": state.certificate.subject if state.certificate is not None else None,
        "crl_number": number,
        "this_update": iso(now),
        "next_update": iso(next_update),
        "days_left": (next_update - now).days,
        "refresh_due": iso(next_update - timedelta(days=cushion)),
        "replaces": None if current is None else current.thumbprint,
    }
