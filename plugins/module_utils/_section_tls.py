# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_info section `tls`: is the host ready for TLS 1.0 and 1.1 to be disabled? Reported, never changed.

Disabling TLS 1.0/1.1 before the prerequisites are in place takes SfB servers down (Schannel 36874,
36888). Source: Microsoft, "Disable TLS 1.0/1.1 in Skype for Business Server 2015"
(learn.microsoft.com/skypeforbusiness/manage/topology/disable-tls-1.0-1.1), which names the supported
levels (Skype for Business Server 2019 CU1 17.0.2046.123 or higher; Skype for Business Server 2015 CU9
6.0.9319.548 or higher on Windows Server 2012 with KB 3140245 or superseding update, 2012 R2 or 2016)
and the .NET registry keys below, and the Part 2 deployment post on the Skype for Business blog.

Reads, in the one host read: `SchUseStrongCrypto` and `SystemDefaultTlsVersions` under the .NET
v4.0.30319 and v2.0.50727 keys (64-bit and WOW6432Node), the Schannel protocol keys of TLS 1.0, 1.1 and
1.2 (Client and Server: `Enabled`, `DisabledByDefault`) and the .NET Framework 4 `Release`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ._findings import Finding, unreadable_finding
from ._section_services import NETFX_KEY, netfx_version
from ._snapshot import RegistryKey, Snapshot, SnapshotRequest, key_errors
from ._stores import HIVE

NETFX_KEYS: tuple[str, ...] = (
    "SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319",
    "SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319",
    "SOFTWARE\\Microsoft\\.NETFramework\\v2.0.50727",
    "SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v2.0.50727",
)
NETFX_VALUES: tuple[str, ...] = ("SchUseStrongCrypto", "SystemDefaultTlsVersions")
PROTOCOLS_KEY = "SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols"
PROTOCOLS: tuple[str, ...] = ("TLS 1.0", "TLS 1.1", "TLS 1.2")
SIDES: tuple[str, ...] = ("Client", "Server")

GUIDANCE = (
    'Microsoft, "Disable TLS 1.0/1.1 in Skype for Business Server 2015" '
    "(https://learn.microsoft.com/skypeforbusiness/manage/topology/disable-tls-1.0-1.1): supported from "
    "Skype for Business Server 2019 CU1 17.0.2046.123, or Skype for Business Server 2015 CU9 6.0.9319.548 "
    "on Windows Server 2012 (with KB 3140245 or a superseding update), 2012 R2 or 2016"
)


def request(options: Mapping[str, Any], req: SnapshotRequest) -> None:
    """The .NET keys, the Schannel protocol keys (two levels below Protocols) and the .NET 4 release."""
    for key in NETFX_KEYS:
        req.add_key(key, 0)
    req.add_key(PROTOCOLS_KEY, 2)
    req.add_key(NETFX_KEY, 0)


def _key(snap: Snapshot, path: str) -> RegistryKey | None:
    try:
        key = snap.key(path)
    except KeyError:
        return None
    return key if key.exists else None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def protocol_state(enabled: int | None, disabled_by_default: int | None) -> str:
    """`disabled` (Enabled = 0), `disabled_by_default` (DisabledByDefault = 1), `enabled` or `os_default`."""
    if enabled == 0:
        return "disabled"
    if disabled_by_default not in (None, 0):
        return "disabled_by_default"
    if enabled is not None or disabled_by_default is not None:
        return "enabled"
    return "os_default"


def analyze(
    options: Mapping[str, Any], snap: Snapshot, now: datetime
) -> tuple[dict[str, Any], list[Finding]]:
    """Facts {netfx, protocols, netfx_release, netfx_version, ready, missing} and the readiness finding."""
    netfx: list[dict[str, Any]] = []
    missing: list[str] = []
    for path in NETFX_KEYS:
        key = _key(snap, path)
        row: dict[str, Any] = {"key": f"{HIVE}\\{path}", "exists": key is not None}
        for name in NETFX_VALUES:
            value = _int(key.value(name)) if key is not None else None
            row[name] = value
            if value != 1:
                missing.append(f"{name} = 1 (DWORD) under {HIVE}\\{path}")
        netfx.append(row)
    protocols: dict[str, dict[str, Any]] = {}
    root = _key(snap, PROTOCOLS_KEY)
    for protocol in PROTOCOLS:
        proto_key = root.subkey(protocol) if root is not None else None
        for side in SIDES:
            side_key = proto_key.subkey(side) if proto_key is not None else None
            enabled = _int(side_key.value("Enabled")) if side_key is not None else None
            by_default = _int(side_key.value("DisabledByDefault")) if side_key is not None else None
            protocols[f"{protocol} {side}"] = {
                "Enabled": enabled,
                "DisabledByDefault": by_default,
                "state": protocol_state(enabled, by_default),
            }
    for side in SIDES:
        state = protocols[f"TLS 1.2 {side}"]["state"]
        if state in ("disabled", "disabled_by_default"):
            missing.append(
                f"TLS 1.2 {side} is {state.replace('_', ' ')}: set Enabled = 1 and DisabledByDefault = 0 "
                f"under {HIVE}\\{PROTOCOLS_KEY}\\TLS 1.2\\{side}"
            )
    release = _int(_value_of(snap, NETFX_KEY, "Release"))
    legacy_off = [
        name
        for name, row in protocols.items()
        if not name.startswith("TLS 1.2") and row["state"] in ("disabled", "disabled_by_default")
    ]
    facts: dict[str, Any] = {
        "netfx": netfx,
        "protocols": protocols,
        "netfx_release": release,
        "netfx_version": netfx_version(release),
        "legacy_disabled": legacy_off,
        "ready": not missing,
        "missing": missing,
        "guidance": GUIDANCE,
    }
    found: list[Finding] = []
    for path in (*NETFX_KEYS, PROTOCOLS_KEY):
        key = snap.keys.get(path.lower())
        for error in key_errors(key) if key is not None and key.exists else []:
            found.append(
                unreadable_finding(
                    error.kind,
                    error.path,
                    error.error,
                    "The TLS 1.2 readiness is judged without it; what it holds counts as not set.",
                )
            )
    if missing:
        listed = "; ".join(missing)
        if legacy_off:
            found.append(
                Finding(
                    "tls_legacy_disabled_unprepared",
                    "critical",
                    f"{', '.join(legacy_off)} already disabled, but the TLS 1.2 prerequisites are not in "
                    f"place: {listed}. SfB services then fail TLS (Schannel 36874, 36888).",
                    "Set the missing values (or re-enable TLS 1.0/1.1 until they are set), confirm the SfB "
                    f"cumulative update level, then restart the server. Source: {GUIDANCE}.",
                    object=f"{HIVE}\\{PROTOCOLS_KEY}",
                    symptoms=("event 36874", "event 36888"),
                )
            )
        else:
            found.append(
                Finding(
                    "tls12_prerequisites_missing",
                    "info",
                    f"Before TLS 1.0/1.1 can be disabled on this host: {listed}.",
                    "Set the missing values with the .NET and Schannel registry updates of the guidance and "
                    f"confirm the SfB cumulative update level before disabling anything. Source: {GUIDANCE}.",
                    object=f"{HIVE}\\{PROTOCOLS_KEY}",
                )
            )
    return facts, found


def _value_of(snap: Snapshot, path: str, name: str) -> Any:
    key = _key(snap, path)
    return key.value(name) if key is not None else None
