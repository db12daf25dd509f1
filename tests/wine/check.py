# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make wine-check`: Wine's crypt32, an implementation of the Windows certificate store nobody here wrote,
judges the blobs this collection writes, and the collection's codec decodes the blobs Wine writes.

    python tests/wine/check.py --exe .build/wine/certstore.exe [--work .build/wine] [--lab DIR]

1. Runs the lab estate as `make lab` does (tests/simulator/lab.py), its phases that write: site and CRL
   refresh (the audits only read); or takes --lab, an estate that has already run.
2. Collects every certificate and CRL blob: the `Blob` values under `...\\Certificates\\<SHA-1>` and
   `...\\CRLs\\<SHA-1>` of every host state file, the blobs of the certificate backups the run made
   (`backups/**/*.json`, imported at the registry key they were taken from), the committed vectors
   (tests/fixtures/vectors: `*.hex` blobs of the Root store, `*.reg` exports), and the hosts of the
   other estates as built.
3. Makes a fresh Wine prefix, imports the blobs through `.reg` files (`wine regedit /s`, a few rounds so
   no two blobs share a registry key) and lists every store with certstore.exe. Each blob must load with
   the SHA-1, key identifier (property 20), friendly name (11) and enhanced key usage (9) the collection's
   codec (plugins/module_utils/_blob.py, _certs.py, _crl.py) reads from it; a blob the codec rejects
   must not load either, and Wine must load nothing else.
4. The other way round: certstore.exe adds every certificate and CRL (some with a friendly name and an
   EKU property) through CertAddEncodedCertificateToStore / CertAddEncodedCRLToStore; `wine regedit /e`
   exports the stores and the codec must decode every blob Wine wrote (parse_reg_hex, then
   decode_certificate_blob / decode_crl_blob with the key name) and find what was added.

Exit status 0 when everything holds, 1 with one line per failure otherwise.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))

import simlab

sys.path.insert(0, str(simlab.COLLECTIONS))

from ansible_collections.sfb.pki.plugins.module_utils import _blob, _certs, _crl
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError

VECTORS = REPO / "tests" / "fixtures" / "vectors"
ROOT_FIXTURES = REPO / "tests" / "fixtures" / "roots"

# HKLM-relative store bases and the certstore.exe location that reads each.
BASES: tuple[tuple[str, str], ...] = (
    ("SOFTWARE\\Microsoft\\SystemCertificates", "machine"),
    ("SOFTWARE\\Policies\\Microsoft\\SystemCertificates", "policy"),
    ("SOFTWARE\\Microsoft\\EnterpriseCertificates", "enterprise"),
)
LOCATION_BASE = {loc: base for base, loc in BASES}
# Every store listed in every round, whether or not a blob was imported into it (so a stray load shows).
STORES_ASKED: tuple[tuple[str, str], ...] = (
    ("machine", "Root"),
    ("machine", "AuthRoot"),
    ("machine", "CA"),
    ("machine", "My"),
    ("machine", "Disallowed"),
    ("machine", "SmartCardRoot"),
    ("machine", "TrustedPeople"),
    ("machine", "TrustedPublisher"),
    ("policy", "Root"),
    ("policy", "CA"),
    ("enterprise", "Root"),
    ("enterprise", "CA"),
    ("enterprise", "NTAuth"),
)
# Property ids a Wine 8 blob may carry and still load (measured: a blob with any other id besides 3 and
# 32/33, such as 29, 83, 92 or 107 that Windows writes, is skipped whole by Wine's registry store).
WINE_LOADS_PROPS = frozenset({3, 4, 5, 9, 10, 11, 12, 13, 15, 20, 21, 22, 23, 24, 25, 26, 27, 32, 33})
KIND_SUBKEY = {"cert": "Certificates", "crl": "CRLs"}
# Filled by wine_own_roots(): what Wine itself writes into LocalMachine Root (see check_system_root).
WINE_OWN_ROOTS: set[str] = set()
SUBKEY_KIND = {"certificates": "cert", "crls": "crl"}

SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


class CheckFailed(Exception):
    """A step that cannot go on (the tool chain, Wine itself)."""


@dataclass
class Entry:
    """One blob to import: where it goes, what it is, where it came from."""

    location: str  # machine | policy | enterprise
    store: str  # registry store name as the key spells it (ROOT, CA, Root, ...)
    kind: str  # cert | crl
    key_name: str  # the <SHA-1> subkey name
    blob: bytes
    source: str

    @property
    def slot(self) -> tuple[str, str, str, str]:
        """The registry key the blob occupies (case-insensitive, as in the registry)."""
        return (self.location, self.store.lower(), self.kind, self.key_name.upper())


@dataclass
class Report:
    """Failures and counts."""

    failures: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def fail(self, text: str) -> None:
        """Record one failure."""
        self.failures.append(text)

    def count(self, what: str, n: int = 1) -> None:
        """Add to a counter."""
        self.counts[what] = self.counts.get(what, 0) + n


# --- Wine ------------------------------------------------------------------------------------------------


class Wine:
    """One fresh prefix and the commands run in it."""

    def __init__(self, work: Path, exe: Path) -> None:
        self.work = work
        self.exe = exe
        self.prefix = work / "prefix"
        wine = os.environ.get("WINE") or shutil.which("wine") or shutil.which("wine64")
        if wine is None and Path("/usr/lib/wine/wine64").exists():
            wine = "/usr/lib/wine/wine64"
        if wine is None:
            raise CheckFailed("wine is not installed (Debian: apt-get install wine64)")
        self.wine = wine
        self.env = dict(os.environ)
        self.env.update(
            {
                "WINEPREFIX": str(self.prefix),
                "WINEDEBUG": "-all",
                "WINEARCH": "win64",
                "DISPLAY": "",
                # No Mono or Gecko install prompt in a fresh prefix.
                "WINEDLLOVERRIDES": "mscoree,mshtml=",
            }
        )
        self.env.pop("WAYLAND_DISPLAY", None)

    @staticmethod
    def path(path: Path) -> str:
        """The Windows spelling of a Linux path (Wine maps / to drive Z:)."""
        return "Z:" + str(path.resolve()).replace("/", "\\")

    def run(self, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        """Run a Windows program in the prefix."""
        return subprocess.run(
            [self.wine, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            encoding="utf-8",
            errors="replace",
        )

    def boot(self) -> None:
        """A fresh prefix (wineboot -i; the first one takes a while)."""
        if self.prefix.exists():
            self.shutdown()
            shutil.rmtree(self.prefix)
        self.prefix.parent.mkdir(parents=True, exist_ok=True)
        proc = self.run("wineboot", "-i", timeout=300)
        # Let everything the boot started finish, and the server go with its volatile keys: a boot-time
        # process that opens the Root store fills Root\Certificates with the Linux host's roots.
        self.server("-w")
        if not (self.prefix / "system.reg").exists():
            raise CheckFailed(
                f"wineboot did not create a prefix in {self.prefix}: {proc.stderr.strip()[-500:]}"
            )

    def regedit_import(self, reg: Path) -> None:
        """`wine regedit /s file.reg`; the import is checked by reading back, regedit says little."""
        proc = self.run("regedit", "/s", self.path(reg))
        if proc.returncode != 0:
            raise CheckFailed(
                f"wine regedit /s {reg} failed (rc {proc.returncode}): {proc.stderr.strip()[-500:]}"
            )

    def regedit_export(self, key: str, out: Path) -> str | None:
        """`wine regedit /e out.reg KEY`; the export's text, None when the key does not exist."""
        if out.exists():
            out.unlink()
        self.run("regedit", "/e", self.path(out), key)
        if not out.exists():
            return None
        raw = out.read_bytes()
        if raw.startswith(b"\xff\xfe"):
            return raw[2:].decode("utf-16-le")
        return raw.decode("utf-8", errors="replace")

    def certstore(self, *args: str) -> list[dict[str, Any]]:
        """Run certstore.exe; its JSON lines (a line that is not JSON is an error)."""
        proc = self.run(str(self.exe), *args)
        rows = []
        for line in proc.stdout.splitlines():
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise CheckFailed(
                    f"certstore.exe {args[0]} printed a line that is not JSON: {line!r}"
                ) from exc
        if proc.returncode not in (0, 1) or (proc.returncode == 1 and not any("error" in r for r in rows)):
            raise CheckFailed(
                f"certstore.exe {' '.join(args)} failed (rc {proc.returncode}): {proc.stderr.strip()[-500:]}"
            )
        return rows

    def server(self, flag: str) -> None:
        """wineserver -k (stop) or -w (wait until it exits) for this prefix."""
        server = shutil.which("wineserver") or "/usr/lib/wine/wineserver64"
        if Path(server).exists() or shutil.which(server):
            subprocess.run([server, flag], env=self.env, capture_output=True, timeout=120, check=False)

    def shutdown(self) -> None:
        """Stop this prefix's wineserver (started by the commands above)."""
        if self.prefix.exists():
            self.server("-k")


# --- .reg files ------------------------------------------------------------------------------------------


def reg_hex(data: bytes) -> str:
    """A REG_BINARY value as regedit writes it: hex:xx,xx,... with backslash continuations."""
    parts = [f"{b:02x}" for b in data]
    lines = [",".join(parts[i : i + 24]) for i in range(0, len(parts), 24)]
    return "hex:" + ",\\\r\n  ".join(lines)


def reg_file(entries: Iterable[Entry]) -> str:
    """A REGEDIT4 file that empties every store location, then writes the entries' Blob values."""
    lines = ["REGEDIT4", ""]
    for base, _loc in BASES:
        lines += [f"[-HKEY_LOCAL_MACHINE\\{base}]", ""]
    for entry in entries:
        key = f"HKEY_LOCAL_MACHINE\\{LOCATION_BASE[entry.location]}\\{entry.store}\\{KIND_SUBKEY[entry.kind]}"
        hex_text = reg_hex(entry.blob)
        # The collection's own .reg parser must read back what this file says.
        if _blob.parse_reg_hex(hex_text, entry.source) != entry.blob:
            raise CheckFailed(f"{entry.source}: the .reg rendering does not parse back to the blob")
        lines += [f"[{key}\\{entry.key_name}]", f'"Blob"={hex_text}', ""]
    return "\r\n".join(lines) + "\r\n"


_REG_KEY = re.compile(r"^\[(?P<key>[^\]]+)\]\s*$")
_REG_VALUE = re.compile(r'^"(?P<name>(?:[^"\\]|\\.)*)"=(?P<data>.*)$')


def parse_reg_export(text: str) -> list[tuple[str, str, str]]:
    """(key, value name, data text) of every value in a regedit export; continuation lines joined."""
    out: list[tuple[str, str, str]] = []
    key: str | None = None
    pending: list[str] = []
    name = ""

    def flush() -> None:
        if pending and key is not None:
            out.append((key, name, "\n".join(pending)))
        pending.clear()

    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if pending:
            pending.append(line)
            if not line.rstrip().endswith("\\"):
                flush()
            continue
        match = _REG_KEY.match(line)
        if match:
            key = match.group("key")
            continue
        match = _REG_VALUE.match(line)
        if match and key is not None:
            name = match.group("name")
            pending.append(match.group("data"))
            if not line.rstrip().endswith("\\"):
                flush()
    flush()
    return out


def locate(key: str) -> tuple[str, str, str, str] | None:
    """(location, store, kind, key name) of a `...\\<store>\\Certificates|CRLs\\<name>` key, else None."""
    path = re.sub(r"^(HKEY_LOCAL_MACHINE|HKLM):?\\", "", key, flags=re.I)
    parts = path.split("\\")
    if len(parts) < 3 or parts[-2].lower() not in SUBKEY_KIND:
        return None
    base = "\\".join(parts[:-3]).lower()
    for known, loc in BASES:
        if base == known.lower():
            return loc, parts[-3], SUBKEY_KIND[parts[-2].lower()], parts[-1]
    return ("?" + "\\".join(parts[:-3]), parts[-3], SUBKEY_KIND[parts[-2].lower()], parts[-1])


# --- the blobs to import ---------------------------------------------------------------------------------


def host_entries(lab: simlab.SimLab, report: Report, label: str = "") -> list[Entry]:
    """Every certificate and CRL blob in every host's registry."""
    entries = []
    for host in lab.hosts:
        model = lab.host(host)
        for key in model.registry.all_keys():
            place = locate(key)
            value = model.registry.get(key, "Blob")
            if place is None or value is None:
                continue
            source = f"{label}{host} {key}"
            if place[0].startswith("?"):
                report.fail(
                    f"{source}: a certificate store under {place[0][1:]} that this check does not know"
                )
                continue
            if value["type"] != "binary":
                report.fail(f"{source}: Blob is {value['type']}, not binary")
                continue
            entries.append(Entry(place[0], place[1], place[2], place[3], bytes(value["value"]), source))
    return entries


def backup_entries(lab_root: Path, report: Report) -> list[Entry]:
    """The blobs of the certificate backups (JSON files with the blob and the key it came from)."""
    entries = []
    for path in sorted(lab_root.glob("backups/**/*.json")):
        data = json.loads(path.read_text())
        if "blob_base64" not in data:
            continue
        place = locate(str(data.get("registry_key", "")))
        source = f"backup {path.relative_to(lab_root)}"
        if place is None or place[0].startswith("?"):
            report.fail(
                f"{source}: registry_key {data.get('registry_key')!r} is not a store key this check knows"
            )
            continue
        entries.append(Entry(*place, base64.b64decode(data["blob_base64"]), source))
    return entries


def vector_entries(report: Report) -> list[Entry]:
    """The committed vectors: `*.hex` (a Root store Blob value) and `*.reg` exports."""
    entries = []
    for path in sorted(VECTORS.glob("*.hex")):
        blob = _blob.parse_reg_hex(path.read_text(), str(path))
        der = _blob.decode_certificate_blob(blob, str(path))
        entries.append(Entry("machine", "ROOT", "cert", _blob.sha1_hex(der), blob, f"vector {path.name}"))
    for path in sorted(VECTORS.glob("*.reg")):
        raw = path.read_bytes()
        text = raw[2:].decode("utf-16-le") if raw.startswith(b"\xff\xfe") else raw.decode("utf-8")
        for key, name, data in parse_reg_export(text):
            place = locate(key)
            if place is None or name.lower() != "blob":
                continue
            if place[0].startswith("?"):
                report.fail(f"vector {path.name}: {key} is not a store key this check knows")
                continue
            entries.append(
                Entry(*place, _blob.parse_reg_hex(data, f"{path.name} {key}"), f"vector {path.name} {key}")
            )
    return entries


def other_estates(out: Path, report: Report) -> list[Entry]:
    """The blobs of the other estates as built (no playbook run): the hosts the audit tests start from,
    such as a truncated blob that both readers must refuse."""
    entries = []
    for estate in sorted(p.name for p in (simlab.SIMULATOR / "estates").iterdir() if p.is_dir()):
        if estate == "lab":
            continue
        built = simlab.SimLab.build(out / estate, estate)
        entries += host_entries(built, report, label=f"estate {estate}: ")
    return entries


def _crl_issuer(entry: Entry) -> bytes | None:
    """The issuer name (DER) of a CRL entry the codec can read, else None."""
    if entry.kind != "crl":
        return None
    try:
        der = _blob.decode_crl_blob(entry.blob, entry.source, entry.key_name)
        issuer: bytes = _crl.Crl.from_der(der, entry.source).crl.issuer.public_bytes()
    except PkiInputError:
        return None
    return issuer


def rounds(entries: list[Entry]) -> list[list[Entry]]:
    """Pack the entries into imports where no two share a registry key (same blob twice is kept once).

    Two CRLs of one issuer stay apart too: a store keeps one CRL per issuer as it reads them (crypt32
    adds each with "replace existing", and a CRL of the same issuer is the existing one).
    """
    packed: list[tuple[dict[tuple[Any, ...], Entry], list[Entry]]] = []
    for entry in entries:
        issuer = _crl_issuer(entry)
        keys: list[tuple[Any, ...]] = [entry.slot]
        if issuer is not None:
            keys.append((entry.location, entry.store.lower(), "crl-issuer", issuer))
        for taken, members in packed:
            other = taken.get(entry.slot)
            if other is not None and other.blob == entry.blob:
                break
            if all(key not in taken for key in keys):
                for key in keys:
                    taken[key] = entry
                members.append(entry)
                break
        else:
            packed.append(({key: entry for key in keys}, [entry]))
    return [members for _taken, members in packed]


# --- what the collection expects ----------------------------------------------------------------------------


def _tlv(data: bytes, pos: int) -> tuple[int, int]:
    """(content start, end) of the DER element at `pos` (property 9 is not X.509: no parser for it)."""
    length = data[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    return start, start + length


def _dotted(oid: bytes) -> str:
    """Dotted text of OID content bytes."""
    numbers: list[int] = []
    value = 0
    for byte in oid:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(value)
            value = 0
    first = min(numbers[0] // 40, 2)
    return ".".join(str(n) for n in (first, numbers[0] - 40 * first, *numbers[1:]))


def eku_oids(der: bytes) -> list[str]:
    """OIDs of a DER `SEQUENCE OF OBJECT IDENTIFIER` (blob property 9)."""
    if not der or der[0] != 0x30:
        raise ValueError("property 9 is not a DER SEQUENCE")
    start, end = _tlv(der, 0)
    if end != len(der):
        raise ValueError("property 9 has bytes after its SEQUENCE")
    oids = []
    pos = start
    while pos < end:
        if der[pos] != 0x06:
            raise ValueError(f"property 9 holds tag {der[pos]:#x} where an OID belongs")
        content, after = _tlv(der, pos)
        oids.append(_dotted(der[content:after]))
        pos = after
    return oids


def expected(entry: Entry) -> dict[str, Any]:
    """What Wine must show for this blob, read by the collection's codec; {"rejected": msg} if refused."""
    try:
        if entry.kind == "cert":
            der = _blob.decode_certificate_blob(entry.blob, entry.source, entry.key_name)
            cert = _certs.Certificate.from_der(der, entry.source)
            computed_key_id = cert.key_identifier
        else:
            der = _blob.decode_crl_blob(entry.blob, entry.source, entry.key_name)
            _crl.Crl.from_der(der, entry.source)
            computed_key_id = None
        records = {r.prop_id: r.data for r in _blob.decode_records(entry.blob, entry.source)}
    except PkiInputError as exc:
        return {"rejected": str(exc)}
    eku = records.get(9)
    return {
        "sha1": _blob.sha1_hex(der),
        "props": sorted(records),
        "key_id": records[20].hex().upper() if 20 in records else None,
        "computed_key_id": computed_key_id.hex().upper() if computed_key_id else None,
        "friendly_name": records[11].hex().upper() if 11 in records else None,
        "eku_der": eku.hex().upper() if eku is not None else None,
        "eku": eku_oids(eku) if eku is not None else None,
    }


# --- direction 1: Wine reads what the collection wrote ---------------------------------------------------


def list_args(stores: Iterable[tuple[str, str]]) -> list[str]:
    """certstore.exe list arguments: every store asked, and any other store the round fills.

    LocalMachine Root is read with `machine-reg` (CERT_STORE_PROV_REG on its key): Wine's
    CERT_STORE_PROV_SYSTEM_REGISTRY open of that one store first overwrites Root\\Certificates with the
    Linux host's roots (see certstore.c), which would replace the very blobs under test.
    """
    wanted: dict[tuple[str, str], str] = {}
    for loc, store in [*STORES_ASKED, *stores]:
        wanted.setdefault((loc, store.lower()), store)
    return [
        f"{'machine-reg' if (loc, low) == ('machine', 'root') else loc}:{store}"
        for (loc, low), store in wanted.items()
    ]


def check_round(wine: Wine, number: int, members: list[Entry], report: Report) -> None:
    """Import one round, list every store, compare with the collection's reading."""
    reg = wine.work / f"import-{number}.reg"
    reg.write_text(reg_file(members), encoding="ascii", newline="")
    wine.regedit_import(reg)
    rows = wine.certstore("list", *list_args((e.location, e.store) for e in members))
    loaded: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        if "kind" not in row:
            if row.get("error") not in (0, 2):  # 2: the key does not exist, an empty store
                report.fail(
                    f"round {number}: Wine could not open {row.get('location')}:{row.get('store')}: {row}"
                )
            continue
        location = "machine" if row["location"] == "machine-reg" else row["location"]
        loaded[(location, row["store"].lower(), row["kind"], str(row["sha1"]).upper())] = row

    for entry in members:
        want = expected(entry)
        got = loaded.pop(entry.slot, None)
        where = f"{entry.source} ({entry.location}:{entry.store})"
        if "rejected" in want:
            if got is not None:
                report.fail(f"{where}: Wine loads it, the collection's codec rejects it: {want['rejected']}")
            else:
                report.count("rejected by both")
            continue
        if got is None:
            unknown = sorted(set(want["props"]) - WINE_LOADS_PROPS)
            if unknown:
                report.count(f"not loadable by Wine 8 (property {', '.join(map(str, unknown))})")
            else:
                report.fail(
                    f"{where}: Wine's crypt32 did not load it "
                    f"(SHA-1 {want['sha1']}, properties {want['props']})"
                )
            continue
        report.count(f"loaded by Wine ({entry.kind})")
        for prop in (9, 11, 20):
            if prop in want["props"]:
                report.count(f"loaded by Wine with property {prop}")
        compare(where, entry.kind, want, got, report)
    for slot, row in sorted(loaded.items()):
        report.fail(
            f"round {number}: Wine loaded {row['kind']} {slot[3]} from {slot[0]}:{row['store']} "
            "that no source holds"
        )
    check_system_root(wine, number, members, report)


def wine_own_roots(wine: Wine) -> set[str]:
    """SHA-1s of the roots Wine writes into Root\\Certificates when the store is opened the system way.

    Read from an empty prefix; then the server is stopped, which drops those (volatile) keys again.
    """
    reset = wine.work / "reset.reg"
    reset.write_text(reg_file([]), encoding="ascii", newline="")
    wine.regedit_import(reset)
    rows = wine.certstore("list", "machine:Root")
    wine.server("-k")
    own = {str(r["sha1"]).upper() for r in rows if r.get("kind") == "cert"}
    if not own:
        raise CheckFailed("Wine wrote no roots of its own into an empty Root store: its behaviour changed")
    return own


def check_system_root(wine: Wine, number: int, members: list[Entry], report: Report) -> None:
    """The Root store once more, through CERT_STORE_PROV_SYSTEM_REGISTRY as Windows programs open it.

    Wine then adds its own roots first (`WINE_OWN_ROOTS`); a certificate of ours among them carries
    Wine's blob, not ours, and is only required to be there. Every other one must read as before.
    """
    ours = [e for e in members if e.location == "machine" and e.store.lower() == "root"]
    rows = [r for r in wine.certstore("list", "machine:Root") if r.get("kind")]
    wine.server("-k")  # drop Wine's volatile copies before the next import
    seen = {(r["kind"], str(r["sha1"]).upper()): r for r in rows}
    for entry in ours:
        want = expected(entry)
        if "rejected" in want or (set(want["props"]) - WINE_LOADS_PROPS):
            continue
        got = seen.pop((entry.kind, entry.key_name.upper()), None)
        where = f"{entry.source} (machine:Root, system registry provider)"
        if got is None:
            report.fail(f"{where}: Wine's crypt32 did not load it (SHA-1 {want['sha1']})")
        elif entry.kind == "cert" and want["sha1"] in WINE_OWN_ROOTS:
            report.count("Root, system provider: also one of Wine's own roots (Wine's blob)")
        else:
            report.count("Root, system provider: loaded as through the registry provider")
            compare(where, entry.kind, want, got, report)
    for (kind, sha1), _row in sorted(seen.items()):
        if kind != "cert" or sha1 not in WINE_OWN_ROOTS:
            report.fail(
                f"round {number}: machine:Root through the system provider holds {kind} {sha1} from nowhere"
            )


def compare(where: str, kind: str, want: dict[str, Any], got: dict[str, Any], report: Report) -> None:
    """Wine's view of one blob against the collection's."""
    if got["sha1"] != want["sha1"] or got["sha1_der"] != want["sha1"]:
        report.fail(
            f"{where}: SHA-1 collection {want['sha1']}, Wine property 3 {got['sha1']}, "
            f"Wine over the DER {got['sha1_der']}"
        )
    missing = sorted(set(want["props"]) - set(got["props"]) - {32, 33})
    if missing:
        report.fail(
            f"{where}: Wine does not see properties {missing} (blob {want['props']}, Wine {got['props']})"
        )
    if kind == "cert":
        if want["key_id"] is not None:
            if got["key_id"] != want["key_id"]:
                report.fail(f"{where}: key identifier in the blob {want['key_id']}, Wine {got['key_id']}")
            if want["computed_key_id"] and want["key_id"] != want["computed_key_id"]:
                report.count("property 20 differs from the SKI / SHA-1(SPKI) rule (kept as stored)")
        elif got["key_id"] is not None and got["key_id"] != want["computed_key_id"]:
            report.fail(
                f"{where}: no property 20; Wine derives {got['key_id']}, "
                f"the collection {want['computed_key_id']}"
            )
    if got["friendly_name_utf16"] != want["friendly_name"]:
        report.fail(
            f"{where}: friendly name in the blob {want['friendly_name']}, Wine {got['friendly_name_utf16']}"
        )
    if got["eku_der"] != want["eku_der"]:
        report.fail(f"{where}: EKU property in the blob {want['eku_der']}, Wine {got['eku_der']}")
    elif want["eku"] is not None and got["eku"] != want["eku"]:
        report.fail(f"{where}: EKU OIDs collection {want['eku']}, Wine {got['eku']}")


# --- direction 2: the collection decodes what Wine wrote -------------------------------------------------


@dataclass
class Addition:
    """One certificate or CRL certstore.exe adds."""

    spec: str  # LOCATION:STORE
    kind: str
    der: bytes
    name: str | None = None
    eku: list[str] | None = None


def additions(entries: list[Entry], lab_root: Path) -> list[Addition]:
    """Every distinct certificate and CRL of the run (plus the vectors' and fixtures' DER), spread over
    the stores; every third one with a friendly name, every fourth certificate with an EKU property."""
    certs: dict[str, bytes] = {}
    crls: dict[str, bytes] = {}
    for entry in entries:
        try:
            if entry.kind == "cert":
                der = _blob.decode_certificate_blob(entry.blob, entry.source, entry.key_name)
                certs.setdefault(_blob.sha1_hex(der), der)
            else:
                der = _blob.decode_crl_blob(entry.blob, entry.source, entry.key_name)
                crls.setdefault(_blob.sha1_hex(der), der)
        except PkiInputError:
            continue
    for path in sorted(VECTORS.glob("*.der")):
        der = path.read_bytes()
        certs.setdefault(_blob.sha1_hex(der), der)
    for path in sorted(ROOT_FIXTURES.glob("*.pem")) + sorted(lab_root.glob("pki/**/*.pem")):
        if b"BEGIN CERTIFICATE" not in path.read_bytes():
            continue  # the lab's private keys
        for cert in _certs.load_certificates(path.read_bytes(), str(path)):
            certs.setdefault(cert.thumbprint, cert.der)
    for path in sorted(lab_root.glob("crl/**/*.crl")):
        crl = _crl.load_crl(path.read_bytes(), str(path))
        crls.setdefault(_blob.sha1_hex(crl.der), crl.der)
    # Root through machine-reg, for the reason list_args gives (and Wine's own roots go to volatile keys,
    # which regedit does not export).
    cert_stores = [
        "machine-reg:Root",
        "machine:CA",
        "machine:My",
        "machine:AuthRoot",
        "machine:Disallowed",
        "policy:Root",
        "policy:CA",
        "enterprise:Root",
        "enterprise:NTAuth",
    ]
    ekus = [[SERVER_AUTH, CLIENT_AUTH], [SERVER_AUTH], []]
    out = []
    for n, (_thumb, der) in enumerate(sorted(certs.items())):
        out.append(
            Addition(
                cert_stores[n % len(cert_stores)],
                "cert",
                der,
                name=f"sfb.pki Wine check {n}: Zertifikat für Wine" if n % 3 == 0 else None,
                eku=ekus[(n // 4) % len(ekus)] if n % 4 == 1 else None,
            )
        )
    crl_stores = ["machine:CA", "machine-reg:Root", "policy:CA", "enterprise:CA"]
    for n, (_thumb, der) in enumerate(sorted(crls.items())):
        out.append(
            Addition(crl_stores[n % len(crl_stores)], "crl", der, name=f"CRL {n}" if n % 3 == 0 else None)
        )
    return out


def check_written(wine: Wine, adds: list[Addition], report: Report) -> None:
    """certstore.exe adds; the collection decodes every blob in the exported stores, finds each addition."""
    reset = wine.work / "reset.reg"
    reset.write_text(reg_file([]), encoding="ascii", newline="")
    wine.regedit_import(reset)
    files = wine.work / "add"
    if files.exists():
        shutil.rmtree(files)
    files.mkdir(parents=True)
    lines = []
    for n, add in enumerate(adds):
        path = files / f"{n}.{'cer' if add.kind == 'cert' else 'crl'}"
        path.write_bytes(add.der)
        eku = "" if add.eku is None else ",".join(add.eku)
        if add.eku == []:
            eku = ""  # an empty EKU list cannot be given on the command line; kept out
        lines.append("\t".join([add.spec, add.kind, wine.path(path), add.name or "", eku]))
    listing = wine.work / "add.txt"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = wine.certstore("add-from", wine.path(listing))
    for row in rows:
        if "error" in row:
            report.fail(f"certstore.exe add: {row}")
    if len([r for r in rows if "added" in r]) != len(adds):
        report.fail(f"certstore.exe added {len([r for r in rows if 'added' in r])} of {len(adds)}")

    written: dict[tuple[str, str, str, str], bytes] = {}
    for base, loc in BASES:
        text = wine.regedit_export(f"HKEY_LOCAL_MACHINE\\{base}", wine.work / f"export-{loc}.reg")
        for key, name, data in parse_reg_export(text or ""):
            place = locate(key)
            if place is None or name.lower() != "blob":
                continue
            try:
                written[(place[0], place[1].lower(), place[2], place[3].upper())] = _blob.parse_reg_hex(
                    data, key
                )
            except PkiInputError as exc:
                report.fail(f"Wine's export of {key}: the collection cannot parse the hex: {exc}")

    decoded: dict[tuple[str, str, str, str], dict[int, bytes]] = {}
    for slot, blob in sorted(written.items()):
        source = f"Wine-written {slot[0]}:{slot[1]} {slot[2]} {slot[3]}"
        try:
            if slot[2] == "cert":
                der = _blob.decode_certificate_blob(blob, source, slot[3])
                _certs.Certificate.from_der(der, source)
            else:
                der = _blob.decode_crl_blob(blob, source, slot[3])
                _crl.Crl.from_der(der, source)
            decoded[slot] = {r.prop_id: r.data for r in _blob.decode_records(blob, source)}
            report.count(f"Wine-written {slot[2]} blobs decoded")
        except PkiInputError as exc:
            report.fail(f"{source}: the collection's codec cannot decode it: {exc}")

    for add in adds:
        loc, store = add.spec.split(":")
        loc = "machine" if loc == "machine-reg" else loc
        thumb = _blob.sha1_hex(add.der)
        slot = (loc, store.lower(), add.kind, thumb)
        records = decoded.get(slot)
        where = f"{add.kind} {thumb} added to {add.spec}"
        if records is None:
            if slot not in written:
                report.fail(f"{where}: no blob under its key in Wine's export")
            continue
        content = records.get(32 if add.kind == "cert" else 33)
        if content != add.der:
            report.fail(f"{where}: the blob's DER is not the DER added")
        if add.name is not None:
            want = (add.name + "\0").encode("utf-16-le")
            if records.get(11) != want:
                report.fail(f"{where}: friendly name {records.get(11)!r}, expected {want!r}")
        elif 11 in records:
            report.fail(f"{where}: a friendly name nobody set")
        if add.eku:
            try:
                oids = eku_oids(records.get(9, b""))
            except ValueError as exc:
                report.fail(f"{where}: EKU property: {exc}")
            else:
                if oids != add.eku:
                    report.fail(f"{where}: EKU property holds {oids}, added {add.eku}")
        elif 9 in records:
            report.fail(f"{where}: an EKU property nobody set")
    report.count("added by Wine", len(adds))


# --- main ------------------------------------------------------------------------------------------------


# The phases of `make lab` (tests/simulator/lab.py) that write to the hosts; its two audits only read.
WRITING_PLAYBOOKS = ("playbooks/site.yml", "playbooks/crl_refresh.yml")


def run_lab(out: Path) -> Path:
    """Build the lab estate into `out` and run the writing phases of `make lab`, with its extra vars."""
    lab = simlab.SimLab.build(out, "lab")
    for playbook in WRITING_PLAYBOOKS:
        if not (REPO / playbook).exists():
            continue
        res = lab.run(
            playbook,
            extra_vars={
                "sfb_pki_report_dir": str(out / "reports"),
                "sfb_pki_root_store_backup_dir": str(out / "backups"),
                "sfb_pki_offline_root_crl_controller_dir": str(out / "crl"),
            },
        )
        if res.rc != 0:
            raise CheckFailed(
                f"the lab run of {playbook} failed (rc {res.rc}):\n{res.summary()}\n{res.stderr[-2000:]}"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    """Both directions; prints a summary and every failure."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--exe", required=True, type=Path, help="certstore.exe built from tests/wine/certstore.c"
    )
    parser.add_argument(
        "--work", default=REPO / ".build" / "wine", type=Path, help="prefix and scratch files"
    )
    parser.add_argument("--lab", type=Path, help="an estate that has already run (default: run the lab)")
    args = parser.parse_args(argv)
    began = time.monotonic()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    report = Report()
    wine = Wine(work, args.exe.resolve())
    try:
        lab_root = args.lab.resolve() if args.lab else run_lab(work / "lab")
        lab = simlab.SimLab(lab_root)
        print(f"wine-check: lab estate in {lab_root} ({time.monotonic() - began:.0f}s)")
        entries = host_entries(lab, report) + backup_entries(lab_root, report) + vector_entries(report)
        entries += other_estates(work / "estates", report)
        if not entries:
            raise CheckFailed("no blobs found: the lab run wrote nothing this check can read")
        wine.boot()
        WINE_OWN_ROOTS.update(wine_own_roots(wine))
        print(
            f"wine-check: fresh prefix {wine.prefix}, {len(WINE_OWN_ROOTS)} roots of Wine's own "
            f"({time.monotonic() - began:.0f}s)"
        )
        packed = rounds(entries)
        for number, members in enumerate(packed, start=1):
            check_round(wine, number, members, report)
        print(
            f"wine-check: {len(entries)} blobs in {len(packed)} imports read by Wine "
            f"({time.monotonic() - began:.0f}s)"
        )
        check_written(wine, additions(entries, lab_root), report)
    except CheckFailed as exc:
        report.fail(str(exc))
    finally:
        wine.shutdown()
    for what, n in sorted(report.counts.items()):
        print(f"  {what}: {n}")
    if report.failures:
        print(f"wine-check: FAILED, {len(report.failures)} problem(s) ({time.monotonic() - began:.0f}s):")
        for line in report.failures:
            print(f"  - {line}")
        return 1
    print(f"wine-check: OK, both directions ({time.monotonic() - began:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
