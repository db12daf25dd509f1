# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_info section `events`: recent counts of the event IDs that the PKI faults cause.

Events are symptoms, not causes: this section reports counts and, for each event, the finding ids
that explain it; the audit report puts each symptom beside its cause (see `explain`).

Log and provider names (Get-WinEvent -LogName / -ProviderName):
- "Lync Server" log, several "LS ..." sources (32042 "LS User Services", 41025/41026 "LS Data MCU"),
  as in Microsoft KB2901554 and KB4023993; read without a provider filter.
- "System" log, provider "Schannel" (Microsoft "Schannel Events", dn786445).
- "Application" log, provider "Microsoft-Windows-CertificationAuthority" (Event Viewer shows the
  source as "CertificationAuthority"), event 100 MSG_E_CA_CERT_INVALID; its text carries the error
  code, so the request asks the snapshot to count only messages containing 0x80092013.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ._errors import PkiInputError
from ._findings import Finding, unreadable_finding
from ._snapshot import Snapshot, SnapshotRequest, event_error

NAME = "events"
DEFAULT_DAYS = 7
MAX_DAYS = 365

LYNC_LOG = "Lync Server"
SYSTEM_LOG = "System"
CA_LOG = "Application"
SCHANNEL = "Schannel"
CERTIFICATION_AUTHORITY = "Microsoft-Windows-CertificationAuthority"

# Finding ids whose presence explains a symptom: only faults that can produce that event. A trailing
# "*" matches a prefix; "@critical" after an id requires that severity. The report never links an
# info finding (an expired root nothing chains to, a root's own MD5 self-signature) to a symptom.
#
# 32042/30998/61029: a chain Windows rejects (untrusted root 0x800B0109, expired link 0x800B0101): a
# subordinate in Trusted Root (KB2795828), a root that vanishes on GP refresh (KB4560600), an expired
# CA that certificates on the host still chain to, an expired server certificate, a broken chain.
_UNTRUSTED_CHAIN = (
    "subordinate_in_root",
    "subordinate_in_policy_root",
    "gpo_only_root",
    "expired_ca",
    "server_cert_expired",
    "server_cert_chain_incomplete",
)
# 36888 (alert 40, state 1205), 36874 and the 32174 start delay (seed 001): an MD5/MD2 signature a
# TLS peer must verify, on a CA issued by another CA or on an end-entity certificate. A SHA-1 one does
# not fail the handshake; a root's own self-signature is never verified by a peer.
_WEAK_CA = ("weak_signature_ca@critical", "weak_signature_cert@critical")
# TLS 1.0/1.1 disabled before .NET and Schannel were ready for TLS 1.2 (the `tls` section).
_TLS_OFF = ("tls_legacy_disabled_unprepared",)
# 100 with 0x80092013 CRYPT_E_REVOCATION_OFFLINE: an expired CRL. CRL findings of the `ca` section: the
# subordinate's installed copy of its issuer's CRL, or the issuing CA's own CertEnroll CRL (often on
# another host: the offline root). An expired CA certificate fails with CERT_E_EXPIRED, not this code.
_CRL = ("ca_parent_crl_expired", "ca_crl_expired")


@dataclass(frozen=True)
class EventSpec:
    """One symptom event: where it is logged, what it says, which findings explain it.

    `causes` are looked for on the host that logged the event; `remote_causes` anywhere in the estate
    (the offline root's expired CRL stops the issuing CA's service on another host).
    """

    id: int
    log: str
    provider: str | None
    source: str
    meaning: str
    causes: tuple[str, ...]
    match: str | None = None
    remote_causes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """Short name used in findings and the report, e.g. 'event 32042 (Lync Server)'."""
        suffix = f", {self.match}" if self.match else ""
        return f"event {self.id} ({self.source}{suffix})"


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        32042,
        LYNC_LOG,
        None,
        "Lync Server",
        "Invalid incoming HTTPS certificate (untrusted or expired chain)",
        _UNTRUSTED_CHAIN,
    ),
    EventSpec(30998, LYNC_LOG, None, "Lync Server", "Sending HTTP request failed", _UNTRUSTED_CHAIN),
    EventSpec(
        61029,
        LYNC_LOG,
        None,
        "Lync Server",
        "Invalid client certificate received (certificate error 0x800B0109 CERT_E_UNTRUSTEDROOT)",
        _UNTRUSTED_CHAIN,
    ),
    EventSpec(
        41025,
        LYNC_LOG,
        None,
        "Lync Server",
        "Web Conferencing Edge connection re-established (logged with 41026 in a loop)",
        ("server_cert_eku",),
    ),
    EventSpec(
        41026,
        LYNC_LOG,
        None,
        "Lync Server",
        "No connectivity with any Web Conferencing Edge Server",
        ("server_cert_eku",),
    ),
    EventSpec(
        32174,
        LYNC_LOG,
        None,
        "Lync Server",
        "Front End startup delayed (seen while services fail on an MD5-signed certificate chain)",
        _WEAK_CA,
    ),
    EventSpec(
        36888,
        SYSTEM_LOG,
        SCHANNEL,
        "Schannel",
        "TLS fatal alert generated (alert 40, state 1205)",
        _WEAK_CA + _TLS_OFF,
    ),
    EventSpec(
        36874,
        SYSTEM_LOG,
        SCHANNEL,
        "Schannel",
        "TLS connection request with no common cipher suite",
        _WEAK_CA + _TLS_OFF,
    ),
    EventSpec(
        36885,
        SYSTEM_LOG,
        SCHANNEL,
        "Schannel",
        "The list of trusted certification authorities sent to clients has grown too long and was "
        "truncated (KB 933430)",
        ("schannel_issuer_list_too_long",),
    ),
    EventSpec(
        100,
        CA_LOG,
        CERTIFICATION_AUTHORITY,
        "CertificationAuthority",
        "Certificate Services did not start: revocation server offline (CRYPT_E_REVOCATION_OFFLINE)",
        _CRL,
        match="0x80092013",
        remote_causes=("ca_crl_expired",),
    ),
)

EVENTS_BY_ID: dict[int, EventSpec] = {spec.id: spec for spec in EVENTS}


def events_days(options: dict[str, Any]) -> int:
    """The `events_days` option: a whole number of days from 1 to 365 (default 7)."""
    raw = options.get("events_days", DEFAULT_DAYS)
    if raw is None:
        return DEFAULT_DAYS
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise PkiInputError("events_days", f"must be a whole number of days, got {raw!r}")
    try:
        days = int(raw)
    except ValueError:
        raise PkiInputError("events_days", f"must be a whole number of days, got {raw!r}") from None
    if not 1 <= days <= MAX_DAYS:
        raise PkiInputError("events_days", f"must be between 1 and {MAX_DAYS}, got {days}")
    return days


def _groups() -> dict[tuple[str, str | None, str | None], list[int]]:
    groups: dict[tuple[str, str | None, str | None], list[int]] = {}
    for spec in EVENTS:
        groups.setdefault((spec.log, spec.provider, spec.match), []).append(spec.id)
    return groups


def request(options: dict[str, Any], req: SnapshotRequest) -> None:
    """Ask the snapshot to count the symptom events of the last `events_days` days."""
    days = events_days(options)
    for (log, provider, match), ids in _groups().items():
        req.add_events(log, ids, days, provider=provider, match=match)


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


def _entry(snap: Snapshot, spec: EventSpec) -> dict[str, Any] | None:
    for entry in snap.events:
        if (
            _same(entry.get("log"), spec.log)
            and _same(entry.get("provider"), spec.provider)
            and (spec.match is None or _same(entry.get("match"), spec.match))
        ):
            return entry
    for entry in snap.events:  # a reader that ignored `match`: its count covers every cause
        if _same(entry.get("log"), spec.log) and _same(entry.get("provider"), spec.provider):
            return entry
    return None


def _count(entry: dict[str, Any], event_id: int) -> int:
    counts = entry.get("counts") or {}
    value = counts.get(str(event_id), 0)
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0


def analyze(options: dict[str, Any], snap: Snapshot, now: datetime) -> tuple[dict[str, Any], list[Finding]]:
    """Counts per event id, the logs read, and each observed event with the findings that explain it."""
    days = events_days(options)
    counts: dict[str, int | None] = {}
    observed: list[dict[str, Any]] = []
    logs: dict[tuple[str, str | None], dict[str, Any]] = {}
    unreadable: dict[str, Finding] = {}
    for spec in EVENTS:
        entry = _entry(snap, spec)
        if entry is None:
            continue
        error = event_error(entry)
        log_facts = logs.setdefault(
            (spec.log, spec.provider),
            {"log": spec.log, "provider": spec.provider, "exists": entry.get("exists", True)},
        )
        if error is not None:
            # access denied (or a broken log) is not "no events": the counts are unknown
            log_facts["error"] = error.error
            counts[str(spec.id)] = None
            unreadable.setdefault(
                error.path.lower(),
                unreadable_finding(
                    error.kind,
                    error.path,
                    error.error,
                    "Its events are not counted, so symptoms logged there are unknown (not zero).",
                ),
            )
            continue
        log_facts["exists"] = bool(entry.get("exists", True))
        count = _count(entry, spec.id)
        counts[str(spec.id)] = count
        if count:
            filtered = spec.match is None or _same(entry.get("match"), spec.match)
            observed.append(
                {
                    "id": spec.id,
                    "log": spec.log,
                    "source": spec.source,
                    "count": count,
                    "label": spec.label if filtered else f"event {spec.id} ({spec.source})",
                    "meaning": spec.meaning,
                    "causes": list(spec.causes),
                    "remote_causes": list(spec.remote_causes),
                }
            )
    facts = {
        "days": days,
        "since": (now - timedelta(days=days)).isoformat(),
        "logs": list(logs.values()),
        "counts": counts,
        "observed": observed,
    }
    return facts, list(unreadable.values())


def explains(
    cause_patterns: list[str] | tuple[str, ...], finding_id: str, severity: str | None = None
) -> bool:
    """Whether a finding is one of the causes ('id', 'prefix*', or 'id@severity')."""
    for raw in cause_patterns:
        pattern, needed = raw.split("@", 1) if "@" in raw else (raw, "")
        if needed and severity != needed:
            continue
        if pattern.endswith("*"):
            if finding_id.startswith(pattern[:-1]):
                return True
        elif finding_id == pattern:
            return True
    return False
