# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_info section `schannel`: the size of the trusted-issuer list Schannel sends to TLS clients.

A server that asks for a client certificate (every SfB Front End and Edge does, for MTLS) sends a TLS
CertificateRequest whose `certificate_authorities` field lists the distinguished names it trusts
(RFC 5246 7.4.4: `DistinguishedName certificate_authorities<0..2^16-1>`, each
`opaque DistinguishedName<1..2^16-1>`, i.e. a 2-byte length before each DER name and before the list).
Schannel fills it from the machine Trusted Root store. Past about 16 KB the list is cut or the
handshake fails (Schannel event 36885; Microsoft KB 933430, KB 2464556; on Windows Server 2012
client authentication fails past 16 KB whatever SendTrustedIssuerList says, KB 2880390).

Reads, in the one host read: every Root physical store, the SCHANNEL key (`SendTrustedIssuerList`,
`ClientAuthTrustMode`) and the Windows version (`CurrentBuildNumber`, `ProductName`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ._findings import Finding, unreadable_finding
from ._section_certificates import read_inventory
from ._snapshot import Snapshot, SnapshotRequest, key_errors
from ._stores import HIVE, stores_of

SCHANNEL_KEY = "SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL"
VERSION_KEY = "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"

LIMIT_BYTES = 16384  # "about 16 KB" (KB 933430, KB 2880390)
NEAR_BYTES = 14336  # warn from 14 KB: a few more roots (Windows adds them on demand) cross the limit
WINDOWS_2012_BUILD = 9200  # Windows Server 2012 / Windows 8 (KB 2880390)

TRUST_MODES: dict[int, str] = {
    0: "machine trust (default): client certificates chaining to any trusted root are accepted",
    1: "exclusive root trust: only roots in the Client Authentication Issuers store",
    2: "exclusive CA trust: only CAs in the Client Authentication Issuers store (or their roots)",
}

SYMPTOMS = ("event 36885", "0x80090326 SEC_E_ILLEGAL_MESSAGE")


def request(options: Mapping[str, Any], req: SnapshotRequest) -> None:
    """Every Root physical store, the SCHANNEL key and the Windows version."""
    for store in stores_of("Root"):
        req.add_certificates(store.certificates_key)
    req.add_key(SCHANNEL_KEY, 0)
    req.add_key(VERSION_KEY, 0)


def issuer_list(names: list[bytes]) -> int:
    """Bytes of the CertificateRequest certificate_authorities field for these encoded names."""
    return 2 + sum(2 + len(name) for name in names)


def _value(snap: Snapshot, path: str, name: str) -> Any:
    try:
        key = snap.key(path)
    except KeyError:
        return None
    return key.value(name) if key.exists else None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def sends_list(setting: int | None, build: int | None) -> tuple[bool, str]:
    """Whether Schannel sends the trusted-issuer list, and why."""
    if setting is not None:
        return setting != 0, f"SendTrustedIssuerList = {setting}"
    if build is not None and build >= WINDOWS_2012_BUILD:
        return False, "SendTrustedIssuerList not set: Windows Server 2012 and later do not send the list"
    if build is not None:
        return True, "SendTrustedIssuerList not set: Windows Server 2008 R2 and earlier send the list"
    return True, "SendTrustedIssuerList not set and the Windows version is unknown: assumed sent"


def _fix(build: int | None) -> str:
    steps = [
        "Remove roots this server does not need from Trusted Root, the unvetted ones first (see the "
        "provenance section; sfb.pki.root_store unvetted: remove). Clients are not affected unless they "
        "chain to a removed root.",
        "Or stop sending the list: SendTrustedIssuerList = 0 (DWORD) under "
        f"{HIVE}\\{SCHANNEL_KEY} (role sfb.pki.schannel with sfb_pki_schannel_disable_trusted_issuer_list: "
        "true), then "
        "restart the server. Clients then get no hint which certificate to offer and pick one themselves; "
        "SfB servers and clients each hold one suitable certificate, so MTLS keeps working. Trust itself "
        "is unchanged (ClientAuthTrustMode decides it).",
    ]
    if build == WINDOWS_2012_BUILD:
        steps.insert(
            0,
            "On Windows Server 2012 install the update of KB 2880390 first: without it client "
            "authentication fails past 16 KB whatever SendTrustedIssuerList says.",
        )
    return " ".join(f"({n}) {s}" for n, s in enumerate(steps, 1))


def analyze(
    options: Mapping[str, Any], snap: Snapshot, now: datetime
) -> tuple[dict[str, Any], list[Finding]]:
    """Facts {issuer_list_bytes, issuer_names, roots, send_trusted_issuer_list, ...} and the finding."""
    inv = read_inventory(snap)
    names: list[bytes] = []
    seen: set[bytes] = set()
    roots = 0
    for entry in inv.certificates.values():
        if not entry.physicals("Root"):
            continue
        roots += 1
        name = entry.cert.subject_der
        if name not in seen:
            seen.add(name)
            names.append(name)
    size = issuer_list(names)
    setting = _int(_value(snap, SCHANNEL_KEY, "SendTrustedIssuerList"))
    trust_mode = _int(_value(snap, SCHANNEL_KEY, "ClientAuthTrustMode"))
    build = _int(_value(snap, VERSION_KEY, "CurrentBuildNumber"))
    sent, why = sends_list(setting, build)
    facts: dict[str, Any] = {
        "roots": roots,
        "issuer_names": len(names),
        "issuer_list_bytes": size,
        "limit_bytes": LIMIT_BYTES,
        "send_trusted_issuer_list": setting,
        "list_sent": sent,
        "list_sent_reason": why,
        "client_auth_trust_mode": trust_mode,
        "client_auth_trust_mode_meaning": TRUST_MODES.get(0 if trust_mode is None else trust_mode),
        "windows_build": build,
        "windows_product": _value(snap, VERSION_KEY, "ProductName"),
    }
    found: list[Finding] = []
    for path in (SCHANNEL_KEY, VERSION_KEY):
        key = snap.keys.get(path.lower())
        for error in key_errors(key) if key is not None and key.exists else []:
            found.append(
                unreadable_finding(
                    error.kind,
                    error.path,
                    error.error,
                    "Whether Schannel sends its trusted-issuer list is judged without it.",
                )
            )
    over = size > LIMIT_BYTES
    affected = sent or build == WINDOWS_2012_BUILD
    where = f"{roots} roots, {len(names)} distinct names, {size} bytes"
    if over and affected:
        found.append(
            Finding(
                "schannel_issuer_list_too_long",
                "critical",
                f"The trusted-issuer list Schannel sends when it asks for a client certificate is {size} "
                f"bytes ({where}), past the {LIMIT_BYTES}-byte limit ({why}): the list is cut or the "
                "handshake fails (Schannel 36885), and SfB MTLS peers cannot connect (KB 933430, "
                "KB 2464556, KB 2880390).",
                _fix(build),
                object=f"{HIVE}\\{SCHANNEL_KEY}",
                symptoms=SYMPTOMS,
            )
        )
    elif size > NEAR_BYTES and affected:
        found.append(
            Finding(
                "schannel_issuer_list_too_long",
                "warning",
                f"The trusted-issuer list Schannel sends is {size} bytes ({where}), near the "
                f"{LIMIT_BYTES}-byte limit ({why}); Windows adds program roots on demand, so a few more "
                "cross it.",
                _fix(build),
                object=f"{HIVE}\\{SCHANNEL_KEY}",
            )
        )
    elif over:
        found.append(
            Finding(
                "schannel_issuer_list_too_long",
                "info",
                f"The Root store would make a {size}-byte trusted-issuer list ({where}), past the "
                f"{LIMIT_BYTES}-byte limit, but the list is not sent ({why}).",
                "Nothing to do while the list is not sent; keep SendTrustedIssuerList at 0.",
                object=f"{HIVE}\\{SCHANNEL_KEY}",
            )
        )
    return facts, found
