# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one read-only snapshot of a host: what to read (request) and what came back (response).

The contract between the fixed snapshot script (plugins/plugin_utils/_snapshot_script.py), the
simulator's win_powershell, and the analysis sections. See docs/design.md, "The snapshot".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

FULL_LANGUAGE = "FullLanguage"


@dataclass
class SnapshotRequest:
    """What one snapshot reads. Sections add to it; duplicates are merged."""

    keys: dict[str, int] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)
    folders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)

    def add_key(self, path: str, depth: int = 0) -> None:
        """Read an HKLM-relative key, its values, and subkeys down to `depth` levels."""
        self.keys[path] = max(depth, self.keys.get(path, 0))

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

    def parameters(self) -> dict[str, Any]:
        """The `parameters` of the win_powershell call (no user value ever enters the script text)."""
        return {
            "Keys": [{"path": p, "depth": d} for p, d in sorted(self.keys.items())],
            "Services": list(self.services),
            "Folders": [
                {"path": p, "filter": f[0] if len(f) == 1 else list(f)}
                for p, f in sorted(self.folders.items())
            ],
            "Events": list(self.events),
        }


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
    def from_result(cls, result: dict[str, Any]) -> Snapshot:
        """Build from the `$Ansible.Result` the snapshot script returns (see docs/design.md)."""
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
