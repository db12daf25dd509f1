# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_info section `server_certificates`: the server certificates in the machine `My` store.

For each certificate that can serve TLS (Server Authentication EKU, or no EKU extension = any
purpose) and is not a CA:
- KB4023993 (May 2017 .NET update): Front End and Edge internal certificates need both Server and
  Client Authentication EKUs, otherwise web conferencing fails with events 41025/41026;
- expiry (expired: critical; within `server_certificate_expiry_days`, default 30: warning);
- the chain to its root through the host's Root and CA stores, and whether that root is in Trusted Root;
- Lync Phone Edition readiness: per firmware baseline (RTM, CU10, CU11; `_lpe_roots.py`), whether
  phones trust the chain from their built-in roots.
CA certificates (expired, expiring, weak, misplaced) and weak signatures on any certificate in `My`
(`weak_signature_cert`) are the `certificates` section's business.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ._certs import Certificate, iso
from ._chain import Chain, ChainPool, build_chain
from ._errors import PkiInputError
from ._findings import Finding, unreadable_finding
from ._lpe_roots import BASELINE_VERSIONS, BASELINES, LpeRoot, lpe_root, trusted_at
from ._section_certificates import read_inventory
from ._snapshot import Snapshot, SnapshotRequest
from ._stores import physical_store, stores_of

NAME = "server_certificates"
SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
DEFAULT_EXPIRY_DAYS = 30
_MY = physical_store("My", "registry")
_SYMPTOMS_UNTRUSTED = ("event 32042", "event 30998", "TLS handshakes fail (0x800B0109 CERT_E_UNTRUSTEDROOT)")
_SYMPTOMS_LPE = (
    "Lync Phone Edition cannot sign in over USB-tethered provisioning (untrusted server certificate)",
)


def expiry_days(options: dict[str, Any]) -> int:
    """The `server_certificate_expiry_days` option (0 to 3650, default 30)."""
    raw = options.get("server_certificate_expiry_days", DEFAULT_EXPIRY_DAYS)
    if raw is None:
        return DEFAULT_EXPIRY_DAYS
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 3650:
        raise PkiInputError("server_certificate_expiry_days", f"must be a whole number 0..3650, got {raw!r}")
    return raw


def request(options: dict[str, Any], req: SnapshotRequest) -> None:
    """Read My and every physical Root and CA store (the chain pool), one level of subkeys each."""
    expiry_days(options)
    for store in (_MY, *stores_of("Root"), *stores_of("CA")):
        req.add_certificates(store.certificates_key)


def is_server_certificate(cert: Certificate) -> bool:
    """A non-CA certificate usable for TLS server authentication (Server Auth EKU, or no EKU at all)."""
    return not cert.is_ca and (not cert.eku_present or SERVER_AUTH in cert.ekus)


def _anchor(chain: Chain) -> tuple[Certificate | None, LpeRoot | None]:
    """The first certificate of the chain (leaf side first) that LPE firmware ships, with its entry."""
    for cert in chain.certificates:
        entry = lpe_root(cert.thumbprint)
        if entry is not None:
            return cert, entry
    return None, None


def lpe_verdicts(chain: Chain, now: datetime) -> dict[str, Any]:
    """Per firmware baseline: trusted, untrusted, expired (the firmware's root has expired) or unknown."""
    cert, entry = _anchor(chain)
    verdicts: dict[str, str] = {}
    for baseline in BASELINES:
        if entry is None or cert is None:
            verdicts[baseline] = "untrusted" if chain.complete else "unknown"
        elif not trusted_at(entry, baseline):
            verdicts[baseline] = "untrusted"
        elif cert.expired(now):
            verdicts[baseline] = "expired"
        else:
            verdicts[baseline] = "trusted"
    anchor = None
    if entry is not None and cert is not None:
        anchor = {
            "thumbprint": entry.thumbprint,
            "label": entry.label,
            "added": entry.added,
            "subject": cert.subject,
        }
    return {"anchor": anchor, "baselines": verdicts}


def _first_trusting(verdicts: dict[str, str]) -> str | None:
    return next((b for b in BASELINES if verdicts.get(b) == "trusted"), None)


def _lpe_findings(cert: Certificate, chain: Chain, lpe: dict[str, Any]) -> list[Finding]:
    verdicts: dict[str, str] = lpe["baselines"]
    anchor = lpe["anchor"]
    fix_ad = (
        "Update Lync Phone Edition firmware to CU11 (4.0.7577.4420) or later, or publish the chain to AD for "
        "the phones: certutil -f -dspublish <root.cer> RootCA (intermediates: SubCA)"
    )
    what = f"server certificate {cert.subject} ({cert.thumbprint})"
    first = _first_trusting(verdicts)
    if anchor is not None and first is not None and first != BASELINES[0]:
        version = BASELINE_VERSIONS.get(first, first)
        return [
            Finding(
                "lpe_firmware_baseline",
                "warning",
                f"{what} chains to {anchor['label']} ({anchor['thumbprint']}), which Lync Phone Edition "
                f"firmware ships only from {first} ({version}); phones on older firmware will not sign in",
                fix_ad,
                object=cert.thumbprint,
                thumbprint=cert.thumbprint,
                symptoms=_SYMPTOMS_LPE,
            )
        ]
    if anchor is not None and first is None and "expired" in verdicts.values():
        return [
            Finding(
                "lpe_root_expired",
                "warning",
                f"{what} chains to {anchor['label']} ({anchor['thumbprint']}), a Lync Phone Edition "
                "built-in root that has expired; phones reject the chain",
                "Re-issue the server certificate under a current root; until then: " + fix_ad,
                object=cert.thumbprint,
                thumbprint=cert.thumbprint,
                symptoms=_SYMPTOMS_LPE,
            )
        ]
    if anchor is None and chain.complete and chain.root is not None:
        return [
            Finding(
                "lpe_root_not_in_firmware",
                "info",
                f"{what} chains to {chain.root.subject} ({chain.root.thumbprint}), which no Lync Phone "
                "Edition firmware ships; phones trust it only once they get the root from AD or the "
                "Certificate Provisioning service (PIN authentication)",
                "Only when Lync Phone Edition devices sign in here: publish the root to AD with "
                "certutil -f -dspublish <root.cer> RootCA (intermediates: SubCA)",
                object=cert.thumbprint,
                thumbprint=cert.thumbprint,
                symptoms=_SYMPTOMS_LPE,
            )
        ]
    return []


def _chain_findings(cert: Certificate, chain: Chain, root_thumbprints: set[str]) -> list[Finding]:
    what = f"server certificate {cert.subject} ({cert.thumbprint})"
    if not chain.complete:
        message = f"{what} has no complete chain on this host: {chain.error}"
    elif chain.root is not None and chain.root.thumbprint not in root_thumbprints:
        message = (
            f"{what} chains to {chain.root.subject} ({chain.root.thumbprint}), which is not in the machine's "
            "Trusted Root store"
        )
    else:
        return []
    return [
        Finding(
            "server_cert_chain_incomplete",
            "warning",
            message,
            "Install the issuing CA certificates in Intermediate (certutil -addstore CA <file>) and the root "
            "in Trusted Root: the sfb.pki.root_store role with "
            "sfb_pki_root_store_roots: [{path: <root.cer>}]",
            object=cert.thumbprint,
            thumbprint=cert.thumbprint,
            symptoms=_SYMPTOMS_UNTRUSTED,
        )
    ]


def _usage_findings(cert: Certificate, now: datetime, days: int) -> list[Finding]:
    findings = []
    what = f"server certificate {cert.subject} ({cert.thumbprint})"
    if cert.eku_present and CLIENT_AUTH not in cert.ekus:
        findings.append(
            Finding(
                "server_cert_eku",
                "warning",
                f"{what} has Server Authentication but not Client Authentication in its EKU; since the "
                "May 2017 .NET update (KB4023993) Front End and Edge internal certificates need both, "
                "otherwise web conferencing to the Edge fails",
                "Request a new certificate from a template with both Server Authentication "
                "(1.3.6.1.5.5.7.3.1) and Client Authentication (1.3.6.1.5.5.7.3.2), e.g. "
                "Request-CsCertificate or the Deployment Wizard, and assign it with Set-CsCertificate",
                object=cert.thumbprint,
                thumbprint=cert.thumbprint,
                symptoms=("event 41025", "event 41026", "external users cannot share whiteboard/PowerPoint"),
            )
        )
    left = cert.days_left(now)
    if cert.expired(now):
        findings.append(
            Finding(
                "server_cert_expired",
                "critical",
                f"{what} expired on {iso(cert.not_after)}",
                "Request and assign a new certificate (Request-CsCertificate, Set-CsCertificate)",
                object=cert.thumbprint,
                thumbprint=cert.thumbprint,
                symptoms=_SYMPTOMS_UNTRUSTED,
            )
        )
    elif left < days:
        findings.append(
            Finding(
                "server_cert_expiring",
                "warning",
                f"{what} expires in {left} days ({iso(cert.not_after)})",
                "Renew it before it expires (Request-CsCertificate, Set-CsCertificate)",
                object=cert.thumbprint,
                thumbprint=cert.thumbprint,
            )
        )
    return findings


def analyze(options: dict[str, Any], snap: Snapshot, now: datetime) -> tuple[dict[str, Any], list[Finding]]:
    """Facts per server certificate (EKUs, expiry, chain, LPE verdicts) and their findings."""
    days = expiry_days(options)
    inv = read_inventory(snap)  # decoded once per snapshot, shared with the certificates section
    stores_of_entry = {t: {where.store for where in e.locations} for t, e in inv.certificates.items()}
    root_thumbprints = {t for t, stores in stores_of_entry.items() if "Root" in stores}
    pool = ChainPool(e.cert for t, e in inv.certificates.items() if stores_of_entry[t] & {"Root", "CA"})
    facts: list[dict[str, Any]] = []
    findings: list[Finding] = []
    for entry in sorted(inv.in_store("My", "registry"), key=lambda e: e.cert.thumbprint):
        cert = entry.cert
        if not is_server_certificate(cert):
            continue
        chain = build_chain(cert, pool)
        lpe = lpe_verdicts(chain, now)
        facts.append(
            {
                "thumbprint": cert.thumbprint,
                "subject": cert.subject,
                "issuer": cert.issuer,
                "dns_names": list(cert.dns_names),
                "not_after": iso(cert.not_after),
                "days_left": cert.days_left(now),
                "expired": cert.expired(now),
                "ekus": list(cert.ekus) if cert.eku_present else None,
                "server_auth": not cert.eku_present or SERVER_AUTH in cert.ekus,
                "client_auth": not cert.eku_present or CLIENT_AUTH in cert.ekus,
                "chain": [{"thumbprint": c.thumbprint, "subject": c.subject} for c in chain.certificates],
                "chain_complete": chain.complete,
                "chain_error": chain.error,
                "root": chain.root.thumbprint if chain.root is not None else None,
                "root_trusted": chain.root is not None and chain.root.thumbprint in root_thumbprints,
                "lpe": lpe,
            }
        )
        findings.extend(_usage_findings(cert, now, days))
        findings.extend(_chain_findings(cert, chain, root_thumbprints))
        findings.extend(_lpe_findings(cert, chain, lpe))
    for bad in inv.undecodable:
        if bad.kind == "unreadable" and (bad.location.store, bad.location.physical) == ("My", "registry"):
            findings.append(
                unreadable_finding(
                    "registry value" if bad.name.lower().endswith("\\blob") else "registry key",
                    f"HKLM\\{bad.key}\\{bad.name}",
                    bad.reason,
                    "Whether it is a server certificate, and its expiry and chain, are unknown to this run.",
                )
            )
    return {"certificates": facts}, findings
