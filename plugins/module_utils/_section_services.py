# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `services` section of host_info: SfB services' start mode and state, and the .NET release.

A repair of SfB Server Core Components leaves RTCCLSAGT and REPLICA disabled; they must be
Automatic (Delayed Start): `SYSTEM\\CurrentControlSet\\Services\\<name>` `Start = 2` and
`DelayedAutostart = 1` (seed 003). The repair itself needs .NET 4.5.2, i.e.
`SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full` `Release >= 379893`.
Sources: Microsoft "Service control manager: Start values" (REG_DWORD 0..4) and
"How to determine which .NET Framework versions are installed" (minimum Release per version).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ._errors import PkiInputError
from ._findings import Finding, unreadable_finding
from ._snapshot import RegistryKey, Snapshot, SnapshotRequest, key_errors

NAME = "services"
DEFAULT_SERVICES: tuple[str, ...] = ("RTCCLSAGT", "REPLICA")
SERVICES_KEY = "SYSTEM\\CurrentControlSet\\Services"
NETFX_KEY = "SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full"
NETFX_452_RELEASE = 379893

# Start (REG_DWORD) of a service key -> start mode; 2 with DelayedAutostart=1 is "delayed".
START_MODES: dict[int, str] = {0: "boot", 1: "system", 2: "auto", 3: "manual", 4: "disabled"}

# Minimum Release value of each .NET Framework 4.x version (Microsoft documentation, see above).
NETFX_VERSIONS: tuple[tuple[int, str], ...] = (
    (533320, "4.8.1"),
    (528040, "4.8"),
    (461808, "4.7.2"),
    (461308, "4.7.1"),
    (460798, "4.7"),
    (394802, "4.6.2"),
    (394254, "4.6.1"),
    (393295, "4.6"),
    (379893, "4.5.2"),
    (378675, "4.5.1"),
    (378389, "4.5"),
)

# What an admin sees when the service is not delayed start / disabled (seed 003).
SYMPTOMS: dict[str, tuple[str, ...]] = {
    "RTCCLSAGT": (
        "Centralized Logging Service Agent not running: the logging tool fails with "
        "'Could not connect to net.tcp://<FE-FQDN>:50002/ ... TCP error code 10061'",
        "after a Core Components repair the service is left Disabled",
        "may fail to start on Windows Server 2012 unless Automatic (Delayed Start)",
    ),
    "REPLICA": (
        "Replica Replicator Agent not running: the server stops receiving configuration "
        "replicated from the Central Management Store",
        "after a Core Components repair the service is left Disabled",
        "may fail to start on Windows Server 2012 unless Automatic (Delayed Start)",
    ),
}
_GENERIC_SYMPTOMS: tuple[str, ...] = (
    "SfB service not started automatically after a reboot",
    "after a Core Components repair SfB services can be left Disabled",
)

# A service name becomes part of a registry path: no separators, no control characters.
_SERVICE_NAME = re.compile(r"^[^\\/\x00-\x1f]{1,256}$")


def service_names(options: Mapping[str, Any]) -> list[str]:
    """The services to read (option `services`, default RTCCLSAGT and REPLICA), validated, no duplicates."""
    raw = options.get("services")
    if raw is None:
        return list(DEFAULT_SERVICES)
    if isinstance(raw, str) or not isinstance(raw, list | tuple):
        raise PkiInputError("services", f"must be a list of service names, got {type(raw).__name__}")
    names: list[str] = []
    for item in raw:
        if not isinstance(item, str) or not _SERVICE_NAME.match(item) or not item.strip():
            raise PkiInputError("services", f"{item!r} is not a valid Windows service name")
        if item.lower() not in (n.lower() for n in names):
            names.append(item)
    return names


def service_key(name: str) -> str:
    """HKLM-relative registry key of a service."""
    return SERVICES_KEY + "\\" + name


def request(options: Mapping[str, Any], req: SnapshotRequest) -> None:
    """Add each service's registry key (depth 0) and run state, and the .NET 4 key."""
    for name in service_names(options):
        req.add_key(service_key(name), 0)
        req.add_service(name)
    req.add_key(NETFX_KEY, 0)


def start_mode(start: int | None, delayed: int | None) -> str:
    """Start mode from the Start and DelayedAutostart values (auto, delayed, manual, disabled, ...)."""
    if start is None:
        return "unknown"
    if start == 2 and delayed == 1:
        return "delayed"
    return START_MODES.get(start, "unknown")


def netfx_version(release: int | None) -> str | None:
    """The .NET Framework 4.x version a Release value stands for (None below 4.5 or when unknown)."""
    if release is None:
        return None
    for minimum, version in NETFX_VERSIONS:
        if release >= minimum:
            return version
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            return None
    return None


def _key(snap: Snapshot, path: str) -> RegistryKey | None:
    try:
        return snap.key(path)
    except KeyError:
        return None


def describe_service(name: str, snap: Snapshot) -> dict[str, Any]:
    """One service's facts: exists, start, delayed, start_mode, state, drift (not delayed start)."""
    key = _key(snap, service_key(name))
    entry = snap.service(name)
    key_exists = key is not None and key.exists
    known = entry is not None and entry.get("exists") is not None
    exists = bool(entry["exists"]) if entry is not None and known else key_exists
    unreadable = key is not None and key.exists and key.error is not None
    start = delayed = None
    if key is not None and key.exists and not unreadable:
        start = _int(key.value("Start"))
        delayed = _int(key.value("DelayedAutostart"))
        if start is not None and delayed is None:
            delayed = 0
    state = entry.get("state") if entry is not None else None
    state = str(state).lower() if exists and state is not None else None
    mode = start_mode(start, delayed) if exists else "absent"
    return {
        "name": name,
        "exists": exists,
        "start": start,
        "delayed": delayed,
        "start_mode": mode,
        "state": state,
        # a start mode that could not be read is unknown, never drift: nothing is changed because of it
        "drift": exists and mode != "delayed" and not unreadable,
    }


def _findings(facts: dict[str, Any], host: str | None) -> list[Finding]:
    if not facts["exists"] or not facts["drift"]:
        return []
    name = facts["name"]
    where = f" on {host}" if host else ""
    symptoms = SYMPTOMS.get(name.upper(), _GENERIC_SYMPTOMS)
    fix = (
        f"Apply role sfb.pki.services with '{name}' in sfb_pki_services_delayed_start "
        "(sets Automatic (Delayed Start) through ansible.windows.win_service start_mode: delayed; "
        "sfb_pki_services_state: started also starts it)"
    )
    if facts["start_mode"] == "disabled":
        return [
            Finding(
                "service_disabled",
                "critical",
                f"Service {name}{where} is Disabled (Start=4); it must be Automatic (Delayed Start)",
                fix,
                object=name,
                symptoms=symptoms,
            )
        ]
    return [
        Finding(
            "service_not_delayed_start",
            "warning",
            f"Service {name}{where} starts '{facts['start_mode']}' (Start={facts['start']}, "
            f"DelayedAutostart={facts['delayed']}); it must be Automatic (Delayed Start)",
            fix,
            object=name,
            symptoms=symptoms,
        )
    ]


def _unreadable(options: Mapping[str, Any], snap: Snapshot) -> list[Finding]:
    """An `unreadable` finding for each service key, service query or .NET key the host could not read."""
    found: list[Finding] = []
    for name in service_names(options):
        key = _key(snap, service_key(name))
        for error in key_errors(key) if key is not None else []:
            found.append(
                unreadable_finding(
                    error.kind,
                    error.path,
                    error.error,
                    f"The start mode of {name} is unknown and is not changed.",
                )
            )
        entry = snap.service(name)
        if entry is not None and entry.get("error") is not None:
            found.append(
                unreadable_finding(
                    "service", name, str(entry["error"]), f"Whether {name} exists and runs is unknown."
                )
            )
    netfx = _key(snap, NETFX_KEY)
    for error in key_errors(netfx) if netfx is not None else []:
        found.append(
            unreadable_finding(error.kind, error.path, error.error, "The .NET Framework release is unknown.")
        )
    return found


def analyze(
    options: Mapping[str, Any], snap: Snapshot, now: datetime
) -> tuple[dict[str, Any], list[Finding]]:
    """Per-service facts, the .NET release, and service_disabled / service_not_delayed_start findings."""
    del now  # services have no time dimension
    services = [describe_service(name, snap) for name in service_names(options)]
    findings: list[Finding] = []
    for facts in services:
        findings.extend(_findings(facts, snap.computer_name))
    findings.extend(_unreadable(options, snap))
    netfx = _key(snap, NETFX_KEY)
    release = _int(netfx.value("Release")) if netfx is not None and netfx.exists else None
    facts_out: dict[str, Any] = {
        "services": services,
        "drifted": [s["name"] for s in services if s["drift"]],
        "missing": [s["name"] for s in services if not s["exists"]],
        "netfx_release": release,
        "netfx_version": netfx_version(release),
        "netfx_repair_ready": release is not None and release >= NETFX_452_RELEASE,
    }
    return facts_out, findings
