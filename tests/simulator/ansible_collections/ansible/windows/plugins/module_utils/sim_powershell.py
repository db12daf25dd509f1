# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_powershell: runs only the collection's fixed snapshot script (marker `# sfb.pki snapshot v1`).

Implements the snapshot contract of docs/design.md ("The snapshot") generically over the simulated
host, and keeps the real module's rules: in check mode a script runs only if it declares
`[CmdletBinding(SupportsShouldProcess)]`; `$Ansible.Result` is flattened beyond `depth` exactly like
the real Convert-OutputObject (objects below the depth become strings).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.ansible.windows.plugins.module_utils import sim_host

SNAPSHOT_MARKER = "# sfb.pki snapshot v1"
_SHOULD_PROCESS = re.compile(
    r"\[CmdletBinding\((?:[\w=\$]+,\s*)?SupportsShouldProcess(?:=\$true)?(?:,\s*[\w=\$]+)?\)\]", re.I
)
_PARAMETERS = ("Keys", "Services", "Folders", "Events", "Known")
CERT_PROP = 32  # the property whose data is the DER certificate (Split-CertificateBlob in the script)


def flatten(value: Any, depth: int) -> Any:
    """The real module's Convert-OutputObject for JSON-like data."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if depth < 0:
        if isinstance(value, dict):
            return "System.Collections.Hashtable"
        if isinstance(value, list):
            return " ".join(str(flatten(v, -1)) for v in value)
        return str(value)
    if isinstance(value, list):
        return [flatten(v, depth - 1) for v in value]
    if isinstance(value, dict):
        return {k: flatten(v, depth - 1) for k, v in value.items()}
    return str(value)


def split_certificate_blob(data: bytes) -> tuple[int, int] | None:
    """(start, length) of the DER in a certificate Blob, as the script's Split-CertificateBlob finds it.

    Walk the property elements (12-byte header: prop id, reserved, length; little-endian) to the end; the
    DER is the data of the first prop 32 element with at least one byte. None (the Blob is sent whole)
    when an element header or its data runs past the end, or there is no such element.
    """
    offset, total, found = 0, len(data), None
    while offset < total:
        if offset + 12 > total:
            return None
        prop_id, _reserved, size = struct.unpack_from("<III", data, offset)
        if offset + 12 + size > total:
            return None
        if prop_id == CERT_PROP and found is None and size > 0:
            found = (offset + 12, size)
        offset += 12 + size
    return found


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest().upper()


@dataclass
class _Sending:
    """What the script keeps while it reads: the digests the controller holds and the certificate table."""

    known: set[str] = field(default_factory=set)
    table: list[dict[str, str]] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def binary(self, data: bytes, certificate: bool) -> dict[str, Any]:
        """A REG_BINARY value: split around its DER (certificate Blobs), sent as a digest, or whole."""
        split = split_certificate_blob(data) if certificate else None
        if split is not None:
            start, length = split
            der = data[start : start + length]
            digest = _sha256(der)
            if digest not in self.index:
                self.index[digest] = len(self.table)
                sent = {"sha256": digest} if digest in self.known else {"der": _b64(der)}
                self.table.append(sent)
            return {
                "type": "certblob",
                "head": _b64(data[:start]),
                "cert": self.index[digest],
                "tail": _b64(data[start + length :]),
            }
        if self.known:
            digest = _sha256(data)
            if digest in self.known:
                return {"type": "digest", "sha256": digest}
        return {"type": "binary", "value": _b64(data)}


def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def _value(item: dict[str, Any], name: str, sending: _Sending, certificate: bool) -> dict[str, Any]:
    vtype = item["type"]
    value = item["value"]
    if vtype == "binary":
        # ConvertTo-SnapshotValue: only a value named Blob under a key marked `certificates` is split
        return sending.binary(bytes(value), certificate and name.lower() == "blob")
    if vtype == "none":
        value = _b64(value)
    elif vtype == "multistring":
        value = list(value)
    return {"type": vtype, "value": value}


def known_digests(packed: Any) -> set[str]:
    """The `Known` parameter: base64 of concatenated 32-byte SHA-256 digests, as uppercase hex."""
    if packed in (None, ""):
        return set()
    _need(isinstance(packed, str), "Known is a base64 string of SHA-256 digests")
    try:
        raw = base64.b64decode(packed, validate=True)
    except binascii.Error as err:
        raise sim_host.SimError(f"snapshot parameters: Known is not base64: {err}") from err
    _need(len(raw) % 32 == 0, f"Known holds {len(raw)} bytes, not a whole number of 32-byte SHA-256 digests")
    return {raw[i : i + 32].hex().upper() for i in range(0, len(raw), 32)}


# The Windows messages the snapshot script keeps (Get-ErrorText: the .NET exception message of the call).
# RegistryKey.OpenSubKey on a key whose ACL denies the account: SecurityException, "Requested registry
# access is not allowed." (.NET Framework resource Security_RegistryPermission).
DENIED_KEY = "Requested registry access is not allowed."
# Get-ChildItem / File.ReadAllBytes on a denied path: UnauthorizedAccessException
# (.NET UnauthorizedAccess_IODenied_Path, from ERROR_ACCESS_DENIED).
DENIED_PATH = "Access to the path '{0}' is denied."
# File.ReadAllBytes on a file another process holds open without read sharing (CertSvc writing a CRL):
# IOException from ERROR_SHARING_VIOLATION (0x80070020), .NET IO.IO_SharingViolation_File.
LOCKED_FILE = "The process cannot access the file '{0}' because it is being used by another process."
# Get-WinEvent -ListLog on a log whose channel access denies the account: EventLogException carrying
# ERROR_ACCESS_DENIED, shown as UnauthorizedAccessException's message.
DENIED_LOG = "Attempted to perform an unauthorized operation."


def _key(
    host: sim_host.Host,
    path: str,
    depth: int,
    name: str | None,
    sending: _Sending,
    certificate_children: bool = False,
    certificate_values: bool = False,
) -> dict[str, Any]:
    reg = host.registry
    full = "HKLM\\" + path.strip("\\")
    entry: dict[str, Any] = {"name": name} if name is not None else {"path": path}
    if not reg.exists(full):
        entry.update({"exists": False, "values": {}, "subkeys": []})
        return entry
    if host.denied("keys", full):
        # the script's Read-RegistryKey: OpenSubKey throws, the key exists but nothing under it is read
        entry.update({"exists": True, "values": {}, "subkeys": [], "error": DENIED_KEY})
        return entry
    entry["exists"] = True
    entry["values"] = {n: _value(v, n, sending, certificate_values) for n, v in reg.values(full).items()}
    entry["subkeys"] = (
        [
            _key(host, f"{path.strip(chr(92))}\\{sub}", depth - 1, sub, sending, False, certificate_children)
            for sub in reg.subkeys(full)
        ]
        if depth > 0
        else []
    )
    return entry


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise sim_host.SimError(f"snapshot parameters: {what}")


def snapshot(host: sim_host.Host, parameters: dict[str, Any]) -> dict[str, Any]:
    """The `$Ansible.Result` of the snapshot script for this host."""
    unknown = [k for k in parameters if k not in _PARAMETERS]
    if unknown:
        raise sim_host.SimError(
            f"A parameter cannot be found that matches parameter name '{unknown[0]}' "
            f"(snapshot takes {', '.join(_PARAMETERS)})"
        )
    keys = parameters.get("Keys") or []
    services = parameters.get("Services") or []
    folders = parameters.get("Folders") or []
    events = parameters.get("Events") or []
    _need(
        isinstance(keys, list) and all(isinstance(k, dict) and "path" in k for k in keys),
        "Keys is a list of {path, depth, certificates?}",
    )
    _need(
        all(not (set(k) - {"path", "depth", "certificates"}) for k in keys),
        "a Keys entry has only path, depth and certificates",
    )
    _need(
        all(isinstance(k.get("certificates", False), bool) for k in keys),
        "a Keys entry's certificates is true or false",
    )
    sending = _Sending(known_digests(parameters.get("Known")))
    _need(
        isinstance(services, list) and all(isinstance(s, str) for s in services),
        "Services is a list of names",
    )
    _need(
        isinstance(folders, list) and all(isinstance(f, dict) and "path" in f for f in folders),
        "Folders is a list of {path, filter}",
    )
    _need(
        isinstance(events, list) and all(isinstance(e, dict) and "log" in e and "ids" in e for e in events),
        "Events is a list of {log, provider, ids, days}",
    )
    if host.language_mode != "FullLanguage":
        # The script's first check (`$ExecutionContext.SessionState.LanguageMode`): under WDAC/AppLocker the
        # real win_powershell runs it in ConstrainedLanguage (win_powershell.ps1, `$isWDACEnabled`), where
        # every .NET call would fail, so it returns only the marker.
        return {"computer_name": host.computer_name, "language_mode": host.language_mode}
    result: dict[str, Any] = {"computer_name": host.computer_name, "language_mode": "FullLanguage"}
    result["keys"] = []
    for item in keys:
        path = str(item["path"])
        _need(not re.match(r"^(HK[A-Z_]+:?)\\", path, re.I), f"key {path!r} must be HKLM-relative")
        certificates = bool(item.get("certificates"))
        result["keys"].append(_key(host, path, int(item.get("depth") or 0), None, sending, certificates))
    result["services"] = []
    for name in services:
        svc = host.service(name)
        result["services"].append(
            {"name": name, "exists": svc is not None, "state": svc.get("state", "stopped") if svc else None}
        )
    result["folders"] = []
    for item in folders:
        path = str(item["path"])
        expanded = host.expand(path)
        entry: dict[str, Any] = {
            "path": path,
            "expanded_path": expanded,
            "exists": host.is_dir(expanded),
            "files": [],
        }
        if entry["exists"] and host.denied("folders", expanded):
            # Test-Path sees the folder, Get-ChildItem cannot list it
            entry["error"] = DENIED_PATH.format(expanded)
            result["folders"].append(entry)
            continue
        raw_filter = item.get("filter") or "*"
        filters = [str(p) for p in raw_filter] if isinstance(raw_filter, list) else [str(raw_filter)]
        seen: set[str] = set()
        for pattern in filters:
            for f in host.glob_dir(expanded, pattern):
                name = str(f["path"]).rsplit("\\", 1)[-1]
                if name in seen:
                    continue
                seen.add(name)
                found: dict[str, Any] = {
                    "name": name,
                    "size": len(f["content"]),
                    "modified": sim_host.iso(f["modified"]),
                    "content": base64.b64encode(f["content"]).decode("ascii"),
                }
                if host.denied("files", f["path"]):
                    found.update(content=None, error=DENIED_PATH.format(f["path"]))
                elif host.locked(f["path"]):
                    found.update(content=None, error=LOCKED_FILE.format(f["path"]))
                entry["files"].append(found)
        result["folders"].append(entry)
    result["events"] = []
    now = sim_host.now_utc()
    logs = {x.lower() for x in host.event_logs}
    for item in events:
        log = str(item["log"])
        provider = item.get("provider")
        ids = [int(i) for i in item.get("ids") or []]
        since = now - dt.timedelta(days=float(item.get("days") or 0))
        match = str(item.get("match") or "")
        counts = {str(i): 0 for i in ids}
        for event in host.events:
            if str(event["log"]).lower() != log.lower() or event["time"] < since or event["time"] > now:
                continue
            if provider and str(event.get("provider") or "").lower() != str(provider).lower():
                continue
            if match and match.lower() not in str(event.get("message") or "").lower():
                continue
            if int(event["id"]) in ids:
                counts[str(event["id"])] += 1
        entry = {"log": log, "provider": provider, "exists": log.lower() in logs, "counts": counts}
        if match:
            entry["match"] = match
        if entry["exists"] and host.denied("event_logs", log):
            # -ListLog fails: existence unknown, nothing counted, the error kept (never "0 events")
            entry.update(exists=None, counts={str(i): 0 for i in ids}, error=DENIED_LOG)
        result["events"].append(entry)
    if sending.table:
        result["certificates"] = sending.table
    return result


def powershell(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_powershell."""
    params = module.params
    script = params.get("script")
    if script is None and params.get("path"):
        path = params["path"]
        if params.get("remote_src"):
            entry = host.file(path)
            if entry is None:
                module.fail_json(msg=f"Could not find or access '{path}' on the remote host")
            script = entry["content"].decode("utf-8-sig")
        else:
            if not os.path.isfile(path):
                module.fail_json(msg=f"Could not find or access '{path}' on the Ansible Controller.")
            with open(path, encoding="utf-8-sig") as handle:
                script = handle.read()
    lines = str(script or "").lstrip().splitlines()
    if not lines or lines[0].strip() != SNAPSHOT_MARKER:
        first = lines[0].strip() if lines else ""
        raise sim_host.SimError(
            f"win_powershell only runs scripts whose first line is {SNAPSHOT_MARKER!r}; got {first[:60]!r}. "
            "The collection must not send any other PowerShell."
        )
    if params.get("arguments"):
        raise sim_host.SimError("the snapshot script takes parameters, not arguments")
    if params.get("executable") or params.get("sensitive_parameters") or params.get("chdir"):
        raise sim_host.SimError("executable / sensitive_parameters / chdir are not used by the snapshot")
    for option, want in (("creates", True), ("removes", False)):
        target = params.get(option)
        if target and (host.file(target) is not None or host.is_dir(target)) == want:
            return {
                "changed": False,
                "skipped": True,
                "msg": f"skipped, since {target} {'exists' if want else 'does not exist'}",
            }
    base: dict[str, Any] = {
        "result": {},
        "host_out": "",
        "host_err": "",
        "output": [],
        "error": [],
        "warning": [],
        "verbose": [],
        "debug": [],
        "information": [],
    }
    if module.check_mode and not _SHOULD_PROCESS.search(str(script)):
        return {"changed": True, "msg": "skipped, running in check mode"}
    result = snapshot(host, dict(params.get("parameters") or {}))
    base["result"] = flatten(result, int(params["depth"]))
    base["changed"] = False
    return base
