# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulated Windows host: one human-readable YAML state file per host.

Test-only. The schema is documented in docs/testing.md ("The state file"). Internally the
registry is the single source of truth: certificate-store entries, service start modes and the CA
configuration all live in registry keys and are shown in friendlier sections only in the file.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import fnmatch
import hashlib
import json
import os
import re
import struct
import tempfile
import warnings
from typing import Any

import yaml

# Real Windows roots (the baseline's old public and Microsoft roots) may carry a negative serial number.
warnings.filterwarnings("ignore", message="Parsed a serial number which wasn't positive")

ENV_STATE = "SFB_SIM_STATE"

UTC = dt.UTC

HIVES = {
    "HKLM": "HKLM",
    "HKEY_LOCAL_MACHINE": "HKLM",
    "HKCU": "HKCU",
    "HKEY_CURRENT_USER": "HKCU",
    "HKCR": "HKCR",
    "HKEY_CLASSES_ROOT": "HKCR",
    "HKU": "HKU",
    "HKEY_USERS": "HKU",
    "HKCC": "HKCC",
    "HKEY_CURRENT_CONFIG": "HKCC",
}

VALUE_TYPES = ("binary", "dword", "qword", "string", "expandstring", "multistring", "none")

# Physical certificate stores: (logical store, physical location) -> HKLM key of the store.
STORE_KEYS: dict[tuple[str, str], str] = {
    ("Root", "registry"): "SOFTWARE\\Microsoft\\SystemCertificates\\ROOT",
    ("Root", "group_policy"): "SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root",
    ("Root", "enterprise"): "SOFTWARE\\Microsoft\\EnterpriseCertificates\\Root",
    ("Root", "third_party"): "SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot",
    ("CA", "registry"): "SOFTWARE\\Microsoft\\SystemCertificates\\CA",
    ("CA", "group_policy"): "SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\CA",
    ("CA", "enterprise"): "SOFTWARE\\Microsoft\\EnterpriseCertificates\\CA",
    ("NTAuth", "enterprise"): "SOFTWARE\\Microsoft\\EnterpriseCertificates\\NTAuth",
    ("My", "registry"): "SOFTWARE\\Microsoft\\SystemCertificates\\My",
    ("Disallowed", "registry"): "SOFTWARE\\Microsoft\\SystemCertificates\\Disallowed",
    ("SmartCardRoot", "registry"): "SOFTWARE\\Microsoft\\SystemCertificates\\SmartCardRoot",
}

SERVICES_KEY = "SYSTEM\\CurrentControlSet\\Services"
START_MODES = {0: "boot", 1: "system", 2: "auto", 3: "manual", 4: "disabled"}
START_VALUES = {"boot": 0, "system": 1, "auto": 2, "delayed": 2, "manual": 3, "disabled": 4}

DEFAULT_ENV = {
    "windir": "C:\\Windows",
    "SystemRoot": "C:\\Windows",
    "SystemDrive": "C:",
    "ProgramFiles": "C:\\Program Files",
    "ProgramData": "C:\\ProgramData",
    "TEMP": "C:\\Windows\\Temp",
    "TMP": "C:\\Windows\\Temp",
}

DEFAULT_DIRECTORIES = (
    "C:\\Windows\\System32",
    "C:\\Windows\\Temp",
    "C:\\Program Files",
    "C:\\ProgramData",
    "C:\\Users\\Public",
)

PROP_SHA1 = 3
PROP_MD5 = 4
PROP_KEY_ID = 20
PROP_CERT = 32
PROP_CRL = 33
DEFAULT_CERT_PROPS = [PROP_SHA1, PROP_KEY_ID, PROP_CERT]
DEFAULT_CRL_PROPS = [PROP_SHA1, PROP_CRL]


STATE_KEYS = frozenset(
    (
        "name",
        "computer_name",
        "description",
        "sfb_role",
        "notes",
        "domain",
        "ad",
        "env",
        "faults",
        "certificates",
        "crls",
        "services",
        "registry",
        "directories",
        "files",
        "products",
        "ca",
        "event_logs",
        "events",
        "access_denied",
        "locked_files",
        "language_mode",
    )
)

# What the connecting account may not read (docs/testing.md, "The state file"); only the snapshot reads.
ACCESS_DENIED_KINDS = ("keys", "folders", "files", "event_logs")
LANGUAGE_MODES = ("FullLanguage", "ConstrainedLanguage", "RestrictedLanguage", "NoLanguage")


class SimError(Exception):
    """A problem with the simulated host or a request the simulator does not model."""


def now_utc() -> dt.datetime:
    """The simulator clock (SFB_SIM_NOW overrides it, ISO 8601)."""
    fixed = os.environ.get("SFB_SIM_NOW")
    if fixed:
        return parse_time(fixed)
    return dt.datetime.now(UTC).replace(microsecond=0)


def parse_time(value: Any) -> dt.datetime:
    """An aware UTC datetime from an ISO string or a datetime (YAML may give either)."""
    if isinstance(value, dt.datetime):
        when = value
    else:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def iso(when: dt.datetime) -> str:
    """ISO 8601 with a Z suffix."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- certificates and blobs -------------------------------------------------------------------


def sha1_hex(data: bytes) -> str:
    """Uppercase hex SHA-1."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest().upper()


def pem_to_der(text: str) -> bytes:
    """The DER inside one PEM block (certificate, CRL or anything else)."""
    match = re.search(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", text, re.S)
    if not match:
        raise SimError("not a PEM block: " + text[:40])
    return base64.b64decode("".join(match.group(2).split()))


def der_to_pem(der: bytes, label: str) -> str:
    """A PEM block with 64-column lines."""
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def key_identifier(der: bytes) -> bytes:
    """The key identifier property (20): the subjectKeyIdentifier when present, else SHA-1 of the SPKI."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_der_x509_certificate(der)
    try:
        return bytes(cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest)
    except x509.ExtensionNotFound:
        pass
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha1(spki, usedforsecurity=False).digest()


def _prop_data(prop: int, der: bytes) -> bytes:
    if prop == PROP_SHA1:
        return hashlib.sha1(der, usedforsecurity=False).digest()
    if prop == PROP_MD5:
        return hashlib.md5(der, usedforsecurity=False).digest()
    if prop == PROP_KEY_ID:
        return key_identifier(der)
    if prop in (PROP_CERT, PROP_CRL):
        return der
    raise SimError(f"property {prop} cannot be derived from the DER")


def encode_blob(der: bytes, props: list[int]) -> bytes:
    """A serialized store element with the given derivable properties, in order."""
    out = b""
    for prop in props:
        data = _prop_data(prop, der)
        out += struct.pack("<III", prop, 1, len(data)) + data
    return out


def decode_blob(blob: bytes) -> list[tuple[int, bytes]] | None:
    """The (prop, data) records of a blob, or None when it is not well formed."""
    records = []
    offset = 0
    while offset < len(blob):
        if len(blob) - offset < 12:
            return None
        prop, enc, length = struct.unpack_from("<III", blob, offset)
        offset += 12
        if enc != 1 or length > len(blob) - offset:
            return None
        records.append((prop, blob[offset : offset + length]))
        offset += length
    return records


def canonical_element(key_name: str, blob: bytes) -> tuple[bytes, list[int], int] | None:
    """(DER, props, content prop) when the blob is exactly re-derivable from its DER, else None."""
    records = decode_blob(blob)
    if not records:
        return None
    props = [p for p, _unused in records]
    content = [p for p in props if p in (PROP_CERT, PROP_CRL)]
    if len(content) != 1 or len(set(props)) != len(props):
        return None
    der = dict(records)[content[0]]
    if sha1_hex(der) != key_name.upper():
        return None
    try:
        if encode_blob(der, props) != blob:
            return None
    except Exception:
        return None
    return der, props, content[0]


# --- registry ---------------------------------------------------------------------------------


def split_hive(path: str) -> tuple[str, str]:
    """(hive, subpath) of a registry path; `HKLM:\\X`, `HKEY_LOCAL_MACHINE\\X` and `X` (HKLM) all work."""
    text = path.replace("/", "\\").strip()
    text = re.sub(r"\\+", r"\\", text).strip("\\")
    head, _unused, rest = text.partition("\\")
    hive = HIVES.get(head.rstrip(":").upper())
    if hive is None:
        return "HKLM", text
    return hive, rest


def norm_key(path: str) -> str:
    """Canonical display form `HKLM\\SOFTWARE\\...`."""
    hive, rest = split_hive(path)
    return hive + ("\\" + rest if rest else "")


class Registry:
    """A registry: keys by case-insensitive full path, each with case-preserving named values."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[str, dict[str, dict[str, Any]]]] = {}
        for hive in set(HIVES.values()):
            self._keys[hive.lower()] = (hive, {})

    def exists(self, path: str) -> bool:
        """Whether a key exists."""
        return norm_key(path).lower() in self._keys

    def create(self, path: str) -> bool:
        """Create a key and its parents; True when anything was created."""
        full = norm_key(path)
        parts = full.split("\\")
        created = False
        for i in range(1, len(parts) + 1):
            sub = "\\".join(parts[:i])
            if sub.lower() not in self._keys:
                self._keys[sub.lower()] = (sub, {})
                created = True
        return created

    def delete_tree(self, path: str) -> bool:
        """Delete a key and everything below it."""
        full = norm_key(path).lower()
        doomed = [k for k in self._keys if k == full or k.startswith(full + "\\")]
        for k in doomed:
            del self._keys[k]
        return bool(doomed)

    def display(self, path: str) -> str:
        """The stored spelling of an existing key."""
        return self._keys[norm_key(path).lower()][0]

    def values(self, path: str) -> dict[str, dict[str, Any]]:
        """The values of a key (name -> {type, value}); empty when the key is missing."""
        entry = self._keys.get(norm_key(path).lower())
        return entry[1] if entry else {}

    def get(self, path: str, name: str) -> dict[str, Any] | None:
        """One value ({type, value}) by case-insensitive name, or None."""
        for key, item in self.values(path).items():
            if key.lower() == (name or "").lower():
                return item
        return None

    def set(self, path: str, name: str, vtype: str, value: Any) -> None:
        """Create or replace a value (the key is created when missing)."""
        if vtype not in VALUE_TYPES:
            raise SimError(f"unknown registry value type {vtype!r}")
        self.create(path)
        values = self._keys[norm_key(path).lower()][1]
        for key in list(values):
            if key.lower() == (name or "").lower():
                del values[key]
        values[name or ""] = {"type": vtype, "value": value}

    def delete_value(self, path: str, name: str) -> bool:
        """Remove a value; True when it existed."""
        values = self.values(path)
        for key in list(values):
            if key.lower() == (name or "").lower():
                del values[key]
                return True
        return False

    def subkeys(self, path: str) -> list[str]:
        """Names of the immediate subkeys, sorted case-insensitively."""
        full = norm_key(path).lower() + "\\"
        names = {
            disp.split("\\")[-1]
            for low, (disp, _unused) in self._keys.items()
            if low.startswith(full) and "\\" not in low[len(full) :]
        }
        return sorted(names, key=str.lower)

    def all_keys(self) -> list[str]:
        """Every key's display path, sorted."""
        return sorted((disp for disp, _unused in self._keys.values()), key=str.lower)


def _value_from_yaml(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or "type" not in raw:
        raise SimError(f"{where}: a registry value is {{type, value}}, got {raw!r}")
    vtype = str(raw["type"])
    value = raw.get("value")
    if vtype in ("binary", "none"):
        value = bytes.fromhex(re.sub(r"[\s,:]", "", str(value or "")))
    elif vtype in ("dword", "qword"):
        value = int(value, 0) if isinstance(value, str) else int(value or 0)
    elif vtype == "multistring":
        value = [str(v) for v in (value or [])]
    elif vtype in ("string", "expandstring"):
        value = "" if value is None else str(value)
    else:
        raise SimError(f"{where}: unknown registry value type {vtype!r}")
    return {"type": vtype, "value": value}


def _value_to_yaml(item: dict[str, Any]) -> dict[str, Any]:
    value = item["value"]
    if item["type"] in ("binary", "none"):
        value = bytes(value).hex()
    return {"type": item["type"], "value": value}


# --- the host ---------------------------------------------------------------------------------


class Host:
    """One simulated Windows host, loaded from and saved to its YAML state file."""

    def __init__(self, path: str, data: dict[str, Any]) -> None:
        unknown = sorted(set(data) - STATE_KEYS)
        if unknown:
            raise SimError(f"{path}: unknown state section(s) {unknown}; see docs/testing.md for the schema")
        self.path = path
        self.name: str = str(data.get("name") or os.path.splitext(os.path.basename(path))[0])
        self.computer_name: str = str(data.get("computer_name") or self.name.upper())
        self.domain: str | None = data.get("domain")
        self.env: dict[str, str] = dict(DEFAULT_ENV)
        self.env.update({str(k): str(v) for k, v in (data.get("env") or {}).items()})
        self.env.setdefault("COMPUTERNAME", self.computer_name)
        self.ad_path: str | None = data.get("ad")
        self.registry = Registry()
        self.files: dict[str, dict[str, Any]] = {}
        self.dirs: dict[str, str] = {}
        self.services: dict[str, dict[str, Any]] = {}
        self.products: dict[str, dict[str, Any]] = {
            str(k).upper(): dict(v or {}) for k, v in (data.get("products") or {}).items()
        }
        self.ca: dict[str, Any] | None = dict(data["ca"]) if data.get("ca") else None
        self.event_logs: list[str] = list(data.get("event_logs") or ["Application", "System", "Security"])
        self.events: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = [dict(f) for f in data.get("faults") or []]
        denied = dict(data.get("access_denied") or {})
        unknown_kinds = sorted(set(denied) - set(ACCESS_DENIED_KINDS))
        if unknown_kinds:
            raise SimError(
                f"{path}: access_denied takes {', '.join(ACCESS_DENIED_KINDS)}, not {unknown_kinds}"
            )
        self.access_denied: dict[str, list[str]] = {k: [str(p) for p in denied[k] or []] for k in denied}
        self.locked_files: list[str] = [str(p) for p in data.get("locked_files") or []]
        self.language_mode: str = str(data.get("language_mode") or "FullLanguage")
        if self.language_mode not in LANGUAGE_MODES:
            raise SimError(f"{path}: language_mode must be one of {', '.join(LANGUAGE_MODES)}")
        self.extra: dict[str, Any] = {
            k: v for k, v in data.items() if k in ("description", "sfb_role", "notes")
        }
        self._load_registry(data)
        self._load_certificates(data)
        self._load_services(data)
        self._load_files(data)
        for event in data.get("events") or []:
            self.add_event(
                event["log"],
                int(event["id"]),
                parse_time(event["time"]),
                event.get("provider"),
                event.get("message"),
                event.get("level"),
            )

    # loading ------------------------------------------------------------------------------
    def _load_registry(self, data: dict[str, Any]) -> None:
        for key, values in (data.get("registry") or {}).items():
            self.registry.create(key)
            for name, raw in (values or {}).items():
                item = _value_from_yaml(raw, f"registry {key} value {name!r}")
                self.registry.set(key, "" if name == "(default)" else str(name), item["type"], item["value"])

    def _load_certificates(self, data: dict[str, Any]) -> None:
        for section, content_prop in (("certificates", PROP_CERT), ("crls", PROP_CRL)):
            for number, entry in enumerate(data.get(section) or [], start=1):
                store = (str(entry.get("store", "")), str(entry.get("physical", "registry")))
                base = _store_key(*store)
                if base is None:
                    raise SimError(f"{section}[{number}]: unknown store {store[0]!r}/{store[1]!r}")
                sub = "Certificates" if content_prop == PROP_CERT else "CRLs"
                if "blob_hex" in entry:
                    blob = bytes.fromhex(re.sub(r"[\s,:]", "", str(entry["blob_hex"])))
                    name = str(entry["key"])
                else:
                    der = pem_to_der(str(entry["pem"]))
                    default = DEFAULT_CERT_PROPS if content_prop == PROP_CERT else DEFAULT_CRL_PROPS
                    props = [int(p) for p in entry.get("props") or default]
                    blob = encode_blob(der, props)
                    name = sha1_hex(der)
                path = f"HKLM\\{base}\\{sub}\\{name}"
                self.registry.set(path, "Blob", "binary", blob)

    def _load_services(self, data: dict[str, Any]) -> None:
        for name, raw in (data.get("services") or {}).items():
            entry = dict(raw or {})
            mode = str(entry.pop("start_mode", "manual"))
            if mode not in START_VALUES:
                raise SimError(f"service {name}: unknown start_mode {mode!r}")
            key = f"HKLM\\{SERVICES_KEY}\\{name}"
            self.registry.set(key, "Start", "dword", START_VALUES[mode])
            if mode == "delayed":
                self.registry.set(key, "DelayedAutostart", "dword", 1)
            elif mode == "auto":
                self.registry.set(key, "DelayedAutostart", "dword", 0)
            entry.setdefault("state", "stopped")
            entry.setdefault("display_name", name)
            entry["name"] = str(name)
            self.services[str(name).lower()] = entry

    def _load_files(self, data: dict[str, Any]) -> None:
        for directory in DEFAULT_DIRECTORIES:
            self.mkdir(directory)
        for directory in data.get("directories") or []:
            self.mkdir(directory)
        for path, raw in (data.get("files") or {}).items():
            entry = raw or {}
            if "pem" in entry:
                content = pem_to_der(str(entry["pem"]))
            elif "base64" in entry:
                content = base64.b64decode(str(entry["base64"]))
            else:
                content = str(entry.get("text", "")).encode("utf-8")
            modified = parse_time(entry["modified"]) if entry.get("modified") else now_utc()
            self.write_file(path, content, modified)

    # paths --------------------------------------------------------------------------------
    def expand(self, path: str) -> str:
        """Expand %VAR% (case-insensitive, from the host env) and normalise separators."""
        env = {k.lower(): v for k, v in self.env.items()}

        def repl(match: re.Match[str]) -> str:
            return env.get(match.group(1).lower(), match.group(0))

        text = re.sub(r"%([^%]+)%", repl, str(path)).replace("/", "\\")
        drive = re.match(r"^([A-Za-z]):", text)
        text = re.sub(r"\\+", r"\\", text)
        if drive:
            text = drive.group(1).upper() + text[1:]
        return text.rstrip("\\") if len(text) > 3 else text

    def is_absolute(self, path: str) -> bool:
        """Whether a Windows path is absolute (drive and backslash)."""
        return bool(re.match(r"^[A-Za-z]:\\", self.expand(path)))

    def mkdir(self, path: str) -> bool:
        """Create a directory and its parents; True when anything was created."""
        full = self.expand(path)
        parts = full.split("\\")
        created = False
        for i in range(1, len(parts) + 1):
            sub = "\\".join(parts[:i])
            if i == 1:
                continue
            if sub.lower() not in self.dirs:
                if sub.lower() in self.files:
                    raise SimError(f"{sub} is a file")
                self.dirs[sub.lower()] = sub
                created = True
        return created

    def is_dir(self, path: str) -> bool:
        """Whether a directory exists (drive roots always do)."""
        full = self.expand(path)
        return bool(re.match(r"^[A-Za-z]:\\?$", full)) or full.lower() in self.dirs

    def file(self, path: str) -> dict[str, Any] | None:
        """A file entry ({path, content, modified}) or None."""
        return self.files.get(self.expand(path).lower())

    def write_file(self, path: str, content: bytes, modified: dt.datetime | None = None) -> None:
        """Write a file (creating its folder)."""
        full = self.expand(path)
        parent = full.rsplit("\\", 1)[0]
        self.mkdir(parent)
        old = self.files.get(full.lower())
        self.files[full.lower()] = {
            "path": old["path"] if old else full,
            "content": bytes(content),
            "modified": modified or now_utc(),
        }

    def remove_path(self, path: str) -> bool:
        """Delete a file or a directory tree; True when anything existed."""
        full = self.expand(path).lower()
        hit = False
        if full in self.files:
            del self.files[full]
            hit = True
        for table in (self.files, self.dirs):
            for key in [k for k in table if k == full or k.startswith(full + "\\")]:
                del table[key]
                hit = True
        return hit

    def list_dir(self, path: str) -> list[dict[str, Any]]:
        """Files directly in a folder."""
        full = self.expand(path).lower().rstrip("\\") + "\\"
        return sorted(
            (f for k, f in self.files.items() if k.startswith(full) and "\\" not in k[len(full) :]),
            key=lambda f: str(f["path"]).lower(),
        )

    def glob_dir(self, path: str, pattern: str) -> list[dict[str, Any]]:
        """Files of a folder whose names match a wildcard, case-insensitively."""
        return [
            f
            for f in self.list_dir(path)
            if fnmatch.fnmatch(str(f["path"]).rsplit("\\", 1)[-1].lower(), (pattern or "*").lower())
        ]

    def denied(self, kind: str, path: str) -> bool:
        """Whether the connecting account may not read this key, folder, file or event log."""
        if kind == "keys":
            want = norm_key(path).lower()
            return any(norm_key(p).lower() == want for p in self.access_denied.get(kind, []))
        if kind == "event_logs":
            return any(p.lower() == path.lower() for p in self.access_denied.get(kind, []))
        want = self.expand(path).lower()
        return any(self.expand(p).lower() == want for p in self.access_denied.get(kind, []))

    def locked(self, path: str) -> bool:
        """Whether another process holds the file open without sharing it for reading."""
        want = self.expand(path).lower()
        return any(self.expand(p).lower() == want for p in self.locked_files)

    # services -----------------------------------------------------------------------------
    def service(self, name: str) -> dict[str, Any] | None:
        """A service entry by case-insensitive name."""
        return self.services.get(name.lower())

    def service_key(self, name: str) -> str:
        """The registry key of a service."""
        svc = self.service(name)
        return f"HKLM\\{SERVICES_KEY}\\{svc['name'] if svc else name}"

    def start_mode(self, name: str) -> str:
        """Start mode derived from the registry (Start, DelayedAutostart)."""
        key = self.service_key(name)
        start = self.registry.get(key, "Start")
        number = int(start["value"]) if start else 3
        mode = START_MODES.get(number, "manual")
        delayed = self.registry.get(key, "DelayedAutostart")
        if mode == "auto" and delayed and int(delayed["value"]) == 1:
            return "delayed"
        return mode

    def set_start_mode(self, name: str, mode: str) -> None:
        """Write Start / DelayedAutostart the way the service control manager does."""
        key = self.service_key(name)
        self.registry.set(key, "Start", "dword", START_VALUES[mode])
        if mode in ("auto", "delayed"):
            self.registry.set(key, "DelayedAutostart", "dword", 1 if mode == "delayed" else 0)

    # events -------------------------------------------------------------------------------
    def add_event(
        self,
        log: str,
        event_id: int,
        when: dt.datetime,
        provider: str | None = None,
        message: str | None = None,
        level: str | None = None,
    ) -> None:
        """Record an event."""
        event: dict[str, Any] = {"log": log, "id": event_id, "time": when}
        if provider:
            event["provider"] = provider
        if message:
            event["message"] = message
        if level:
            event["level"] = level
        self.events.append(event)
        if log.lower() not in (x.lower() for x in self.event_logs):
            self.event_logs.append(log)

    # AD -----------------------------------------------------------------------------------
    def ad_file(self) -> str | None:
        """Absolute path of the estate's shared AD store, when the host is domain-joined."""
        if not self.ad_path:
            return None
        return os.path.normpath(os.path.join(os.path.dirname(self.path), self.ad_path))

    # saving -------------------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        """The YAML document for this host."""
        certs: list[dict[str, Any]] = []
        crls: list[dict[str, Any]] = []
        consumed: set[str] = set()
        for (logical, physical), base in STORE_KEYS.items():
            for sub, target in (("Certificates", certs), ("CRLs", crls)):
                parent = f"HKLM\\{base}\\{sub}"
                for name in self.registry.subkeys(parent):
                    key = f"{parent}\\{name}"
                    values = self.registry.values(key)
                    if (
                        self.registry.subkeys(key)
                        or list(values) != ["Blob"]
                        or values["Blob"]["type"] != "binary"
                    ):
                        continue
                    entry: dict[str, Any] = {"store": logical, "physical": physical}
                    blob = bytes(values["Blob"]["value"])
                    canon = canonical_element(name, blob)
                    want = PROP_CERT if sub == "Certificates" else PROP_CRL
                    if canon and canon[2] == want:
                        der, props, _unused = canon
                        entry["thumbprint"] = name
                        entry["subject"] = _describe_der(der, want)
                        entry["pem"] = der_to_pem(der, "CERTIFICATE" if want == PROP_CERT else "X509 CRL")
                        default = DEFAULT_CERT_PROPS if want == PROP_CERT else DEFAULT_CRL_PROPS
                        if props != default:
                            entry["props"] = props
                    else:
                        entry["key"] = name
                        entry["blob_hex"] = blob.hex()
                    target.append(entry)
                    consumed.add(key.lower())
        registry: dict[str, Any] = {}
        service_keys = {self.service_key(s["name"]).lower() for s in self.services.values()}
        for key in self.registry.all_keys():
            low = key.lower()
            if low in consumed or "\\" not in key:
                continue
            values = {}
            for name, item in self.registry.values(key).items():
                if low in service_keys and name.lower() in ("start", "delayedautostart"):
                    continue
                values[name if name else "(default)"] = _value_to_yaml(item)
            # Keep a key when it has values or is a leaf (parents are implied by their children).
            if values or (not self.registry.subkeys(key) and low not in service_keys):
                registry[key] = values
        services = {}
        for svc in sorted(self.services.values(), key=lambda s: str(s["name"]).lower()):
            entry = {k: v for k, v in svc.items() if k != "name"}
            entry = {"start_mode": self.start_mode(svc["name"]), **entry}
            services[svc["name"]] = entry
        files: dict[str, Any] = {}
        for item in sorted(self.files.values(), key=lambda f: str(f["path"]).lower()):
            files[item["path"]] = _file_to_yaml(item)
        parents = {str(f["path"]).rsplit("\\", 1)[0].lower() for f in self.files.values()}
        directories = sorted(
            (
                d
                for k, d in self.dirs.items()
                if not any(p == k or p.startswith(k + "\\") for p in parents)
                and not any(o.startswith(k + "\\") for o in self.dirs)
            ),
            key=str.lower,
        )
        data: dict[str, Any] = {"name": self.name, "computer_name": self.computer_name}
        data.update(self.extra)
        if self.domain:
            data["domain"] = self.domain
        if self.ad_path:
            data["ad"] = self.ad_path
        custom_env = {k: v for k, v in self.env.items() if DEFAULT_ENV.get(k) != v and k != "COMPUTERNAME"}
        if custom_env:
            data["env"] = custom_env
        data["faults"] = self.faults
        data["certificates"] = certs
        data["crls"] = crls
        data["services"] = services
        data["registry"] = registry
        data["directories"] = directories
        data["files"] = files
        if self.products:
            data["products"] = self.products
        if self.ca:
            data["ca"] = self.ca
        if self.access_denied:
            data["access_denied"] = self.access_denied
        if self.locked_files:
            data["locked_files"] = self.locked_files
        if self.language_mode != "FullLanguage":
            data["language_mode"] = self.language_mode
        data["event_logs"] = self.event_logs
        data["events"] = [
            {**{k: v for k, v in e.items() if k != "time"}, "time": iso(e["time"])}
            for e in sorted(self.events, key=lambda e: e["time"])
        ]
        return data


def _store_key(logical: str, physical: str) -> str | None:
    for (lg, ph), base in STORE_KEYS.items():
        if lg.lower() == logical.lower() and ph == physical:
            return base
    return None


def store_key(logical: str, physical: str = "registry") -> str:
    """HKLM-relative key of a physical store; SimError when the simulator does not model it."""
    base = _store_key(logical, physical)
    if base is None:
        raise SimError(f"the simulator does not model the {physical} physical store of {logical!r}")
    return base


def _describe_der(der: bytes, prop: int) -> str:
    try:
        from cryptography import x509

        if prop == PROP_CERT:
            cert = x509.load_der_x509_certificate(der)
            return f"{cert.subject.rfc4514_string()} (issuer {cert.issuer.rfc4514_string()})"
        crl = x509.load_der_x509_crl(der)
        return f"CRL of {crl.issuer.rfc4514_string()}"
    except Exception:
        return "unparsable"


def _file_to_yaml(item: dict[str, Any]) -> dict[str, Any]:
    content: bytes = item["content"]
    entry: dict[str, Any] = {}
    name = str(item["path"]).lower()
    if name.endswith((".crl", ".cer", ".crt")) and content[:1] == b"\x30":
        label = "X509 CRL" if name.endswith(".crl") else "CERTIFICATE"
        entry["pem"] = der_to_pem(content, label)
    else:
        try:
            text = content.decode("utf-8")
            if "\x00" in text:
                raise UnicodeDecodeError("utf-8", content, 0, 1, "NUL")
            entry["text"] = text
        except UnicodeDecodeError:
            entry["base64"] = base64.b64encode(content).decode("ascii")
    entry["modified"] = iso(item["modified"])
    return entry


# --- YAML I/O, locking, call log --------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: Any) -> str:
    """Readable YAML (multi-line strings as literal blocks, insertion order kept)."""
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=200, allow_unicode=True
    )


def load_yaml(path: str) -> Any:
    """Load a YAML file."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)


def atomic_write(path: str, text: str) -> None:
    """Write a file atomically (temp file in the same folder, fsync, rename)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def locked(path: str) -> Any:
    """Hold an exclusive lock on `<path>.lock` (hosts and the AD store are shared between forks)."""
    with open(path + ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_host(path: str) -> Host:
    """Read a host state file."""
    data = load_yaml(path) or {}
    return Host(path, data)


def save_host(host: Host) -> None:
    """Write a host state file atomically."""
    atomic_write(host.path, dump_yaml(host.to_data()))


def state_path_from_env() -> str:
    """The state file of the host this interpreter stands for."""
    path = os.environ.get(ENV_STATE)
    if not path:
        raise SimError(
            f"{ENV_STATE} is not set: the simulated ansible.windows only runs through a simulated host's "
            "interpreter wrapper (see docs/testing.md)"
        )
    if not os.path.exists(path):
        raise SimError(f"{ENV_STATE} points at {path}, which does not exist")
    return path


def call_log_path(state_path: str) -> str:
    """`<host>.calls.jsonl` beside the state file."""
    root, _unused = os.path.splitext(state_path)
    return root + ".calls.jsonl"


def append_call(state_path: str, entry: dict[str, Any]) -> None:
    """Append one JSON line to the host's call log."""
    line = json.dumps(entry, sort_keys=True, default=_json_default) + "\n"
    fd = os.open(call_log_path(state_path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dt.datetime):
        return iso(value)
    return str(value)


# --- the shared AD store ----------------------------------------------------------------------


def load_ad(path: str) -> dict[str, Any]:
    """The AD store: {certificates: [{container, pem}], crls: [{container, name, pem}]}."""
    if not os.path.exists(path):
        return {"certificates": [], "crls": []}
    data = load_yaml(path) or {}
    data.setdefault("certificates", [])
    data.setdefault("crls", [])
    return data


def save_ad(path: str, data: dict[str, Any]) -> None:
    """Write the AD store atomically."""
    atomic_write(path, dump_yaml(data))
