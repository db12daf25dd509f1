# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_command: the certutil and msiexec calls the collection makes, and nothing else.

certutil -crl                                   re-sign the CA's CRL into CertEnroll (cryptography)
certutil [-f] -addstore CA|Root <file>          certificate or CRL into the Registry physical store
certutil [-f] -dspublish [-f] <file> [RootCA|SubCA|NTAuthCA]   into the estate's AD store
msiexec.exe /i {GUID} REINSTALL=ALL REINSTALLMODE=vomus /qn /norestart [SKIP_NETFRAMEWORK_CHECK=1]
msiexec.exe /fvomus {GUID} /qn /norestart       repair (seed 003: leaves RTCCLSAGT, REPLICA disabled)
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time
from typing import Any

from ansible_collections.ansible.windows.plugins.module_utils import sim_host

NET_452_RELEASE = 379893
CA_CONFIG_KEY = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\CertSvc\\Configuration"
NET_KEY = "HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full"
REPAIR_DISABLES = ("RTCCLSAGT", "REPLICA")
CERTUTIL_CERT_PROPS = [sim_host.PROP_KEY_ID, sim_host.PROP_MD5, sim_host.PROP_SHA1, sim_host.PROP_CERT]
CERTUTIL_CRL_PROPS = [sim_host.PROP_MD5, sim_host.PROP_SHA1, sim_host.PROP_CRL]


class CommandResult(Exception):
    """Carries (rc, stdout, stderr) out of a command implementation."""

    def __init__(self, rc: int, stdout: str = "", stderr: str = "") -> None:
        super().__init__(stdout or stderr)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr


def _hresult(code: int) -> int:
    """An HRESULT as the signed exit code certutil returns."""
    return code - (1 << 32) if code & 0x80000000 else code


def _certutil_fail(verb: str, code: int, name: str, text: str) -> CommandResult:
    return CommandResult(
        _hresult(code),
        f"CertUtil: {verb} command FAILED: 0x{code:08x} ({name})\nCertUtil: {text}\n",
    )


def split_command_line(line: str) -> list[str]:
    """Split a Windows command line (CommandLineToArgvW rules for quotes and backslashes)."""
    args: list[str] = []
    current = ""
    in_quotes = False
    have = False
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\":
            j = i
            while j < len(line) and line[j] == "\\":
                j += 1
            count = j - i
            if j < len(line) and line[j] == '"':
                current += "\\" * (count // 2)
                if count % 2:
                    current += '"'
                    i = j + 1
                else:
                    i = j
                have = True
                continue
            current += "\\" * count
            i = j
            have = True
            continue
        if char == '"':
            in_quotes = not in_quotes
            have = True
        elif char in " \t" and not in_quotes:
            if have:
                args.append(current)
                current, have = "", False
        else:
            current += char
            have = True
        i += 1
    if have:
        args.append(current)
    return args


def _resolve(host: sim_host.Host, path: str, chdir: str | None) -> str:
    if host.is_absolute(path):
        return host.expand(path)
    return host.expand((chdir or "C:\\Windows\\System32") + "\\" + path)


def _load_element(content: bytes) -> tuple[str, Any, bytes]:
    """('cert'|'crl', parsed object, DER) of a file certutil is given."""
    from cryptography import x509

    ders = [content]
    if b"-----BEGIN" in content:
        try:
            ders = [sim_host.pem_to_der(content.decode("ascii", "replace"))]
        except sim_host.SimError:
            ders = []
    for der in ders:
        try:
            return "cert", x509.load_der_x509_certificate(der), der
        except Exception:
            pass
        try:
            return "crl", x509.load_der_x509_crl(der), der
        except Exception:
            pass
    raise CommandResult(0)


def _add_months(when: dt.datetime, months: int) -> dt.datetime:
    month = when.month - 1 + months
    year = when.year + month // 12
    month = month % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def crl_period(host: sim_host.Host, ca_name: str) -> tuple[str, int]:
    """(CRLPeriod, CRLPeriodUnits) of a CA from the registry (Windows defaults: 1 Weeks)."""
    key = f"{CA_CONFIG_KEY}\\{ca_name}"
    period = host.registry.get(key, "CRLPeriod")
    units = host.registry.get(key, "CRLPeriodUnits")
    return (str(period["value"]) if period else "Weeks", int(units["value"]) if units else 1)


def next_update(start: dt.datetime, period: str, units: int) -> dt.datetime:
    """thisUpdate + CRLPeriodUnits x CRLPeriod."""
    unit = period.lower().rstrip("s")
    if unit == "year":
        return _add_months(start, 12 * units)
    if unit == "month":
        return _add_months(start, units)
    if unit == "week":
        return start + dt.timedelta(weeks=units)
    if unit == "day":
        return start + dt.timedelta(days=units)
    if unit == "hour":
        return start + dt.timedelta(hours=units)
    raise sim_host.SimError(f"unknown CRLPeriod {period!r}")


def _der_utctime(when: dt.datetime) -> bytes:
    text = when.strftime("%y%m%d%H%M%SZ").encode("ascii")
    return b"\x17" + bytes([len(text)]) + text


def sign_crl(host: sim_host.Host) -> tuple[str, bytes]:
    """Issue the CA's next CRL: number + 1, thisUpdate now, nextUpdate now + period; (file path, DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed448, ed25519
    from cryptography.x509.oid import ObjectIdentifier

    ca = host.ca
    assert ca is not None
    cert = x509.load_pem_x509_certificate(str(ca["certificate_pem"]).encode("ascii"))
    key = serialization.load_pem_private_key(str(ca["key_pem"]).encode("ascii"), password=None)
    now = sim_host.now_utc()
    period, units = crl_period(host, str(ca["name"]))
    number = int(ca.get("crl_number", 0)) + 1
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(cert.subject)
        .last_update(now)
        .next_update(next_update(now, period, units))
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(cert.public_key()), critical=False)  # type: ignore[arg-type]
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.311.21.1"), b"\x02\x01\x00"),
            critical=False,
        )
        .add_extension(
            x509.UnrecognizedExtension(
                ObjectIdentifier("1.3.6.1.4.1.311.21.4"), _der_utctime(next_update(now, period, units))
            ),
            critical=False,
        )
    )
    for entry in ca.get("revoked") or []:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(int(str(entry["serial"]), 16))
            .revocation_date(sim_host.parse_time(entry["date"]))
            .build()
        )
    algorithm = (
        None if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey) else hashes.SHA256()
    )
    crl = builder.sign(key, algorithm)  # type: ignore[arg-type]
    der = crl.public_bytes(serialization.Encoding.DER)
    folder = str(ca.get("certenroll") or "%windir%\\System32\\CertSrv\\CertEnroll")
    path = host.expand(f"{folder}\\{ca['name']}.crl")
    host.write_file(path, der, now)
    ca["crl_number"] = number
    return path, der


def _certutil(host: sim_host.Host, args: list[str], chdir: str | None, check: bool) -> CommandResult:
    force = any(a.lower() in ("-f", "/f") for a in args)
    rest = [a for a in args if a.lower() not in ("-f", "/f")]
    if not rest:
        raise sim_host.SimError("certutil without a verb is not modelled")
    verb = rest[0].lower().replace("/", "-", 1)
    if verb == "-crl":
        if len(rest) != 1:
            raise sim_host.SimError(f"certutil -crl with arguments {rest[1:]} is not modelled")
        if host.ca is None:
            raise _certutil_fail(
                "-CRL",
                0x80070002,
                "WIN32: 2 ERROR_FILE_NOT_FOUND",
                "The system cannot find the file specified.",
            )
        svc = host.service("CertSvc")
        if svc is None or svc.get("state") != "running":
            raise _certutil_fail(
                "-CRL", 0x800706BA, "WIN32: 1722 RPC_S_SERVER_UNAVAILABLE", "The RPC server is unavailable."
            )
        sign_crl(host)
        return CommandResult(0, "CertUtil: -CRL command completed successfully.\n")
    if verb == "-addstore":
        if len(rest) != 3:
            raise sim_host.SimError(f"certutil -addstore needs <store> <file>, got {rest[1:]}")
        store = {"ca": "CA", "root": "Root"}.get(rest[1].lower())
        if store is None:
            raise sim_host.SimError(
                f"certutil -addstore to store {rest[1]!r} is not modelled (CA, Root only)"
            )
        return _addstore(host, store, _resolve(host, rest[2], chdir), force)
    if verb == "-dspublish":
        if len(rest) not in (2, 3):
            raise sim_host.SimError(f"certutil -dspublish needs <file> [container], got {rest[1:]}")
        container = rest[2] if len(rest) == 3 else None
        return _dspublish(host, _resolve(host, rest[1], chdir), container, force)
    raise sim_host.SimError(f"certutil {rest[0]} is not modelled")


def _read(host: sim_host.Host, verb: str, path: str) -> tuple[str, Any, bytes]:
    entry = host.file(path)
    if entry is None:
        raise _certutil_fail(
            verb, 0x80070002, "WIN32: 2 ERROR_FILE_NOT_FOUND", "The system cannot find the file specified."
        )
    try:
        return _load_element(entry["content"])
    except CommandResult:
        raise _certutil_fail(
            verb,
            0x80092002,
            "-2146885630 CRYPT_E_BAD_ENCODE",
            "An error occurred during encode or decode operation.",
        ) from None


def _addstore(host: sim_host.Host, store: str, path: str, force: bool) -> CommandResult:
    kind, obj, der = _read(host, "-addstore", path)
    base = "HKLM\\" + sim_host.store_key(store, "registry")
    title = {
        "Root": 'Root "Trusted Root Certification Authorities"',
        "CA": 'CA "Intermediate Certification Authorities"',
    }
    out = title[store] + "\n"
    if kind == "cert":
        key = f"{base}\\Certificates\\{sim_host.sha1_hex(der)}"
        name = obj.subject.rfc4514_string()
        if host.registry.exists(key) and not force:
            out += f'Certificate "{name}" already in store.\n'
        else:
            host.registry.set(key, "Blob", "binary", sim_host.encode_blob(der, CERTUTIL_CERT_PROPS))
            out += f'Certificate "{name}" added to store.\n'
    else:
        crls = f"{base}\\CRLs"
        from cryptography import x509

        for existing in host.registry.subkeys(crls):
            blob = host.registry.get(f"{crls}\\{existing}", "Blob")
            records = dict(sim_host.decode_blob(bytes(blob["value"])) or []) if blob else {}
            old = records.get(sim_host.PROP_CRL)
            if old is None:
                continue
            try:
                same = x509.load_der_x509_crl(old).issuer == obj.issuer
            except Exception:
                same = False
            if same and existing.upper() != sim_host.sha1_hex(der):
                host.registry.delete_tree(f"{crls}\\{existing}")
        host.registry.set(
            f"{crls}\\{sim_host.sha1_hex(der)}",
            "Blob",
            "binary",
            sim_host.encode_blob(der, CERTUTIL_CRL_PROPS),
        )
        out += f'CRL "{obj.issuer.rfc4514_string()}" added to store.\n'
    return CommandResult(0, out + "CertUtil: -addstore command completed successfully.\n")


def _dspublish(host: sim_host.Host, path: str, container: str | None, force: bool) -> CommandResult:
    if not host.domain:
        raise _certutil_fail(
            "-dspublish",
            0x8007054B,
            "WIN32: 1355 ERROR_NO_SUCH_DOMAIN",
            "The specified domain either does not exist or could not be contacted.",
        )
    ad_path = host.ad_file()
    if ad_path is None:
        raise sim_host.SimError("the host is domain-joined but its state names no AD store ('ad')")
    kind, obj, der = _read(host, "-dspublish", path)
    out = ""
    with sim_host.locked(ad_path):
        ad = sim_host.load_ad(ad_path)
        if kind == "cert":
            if container is None:
                container = "RootCA" if obj.issuer == obj.subject else "SubCA"
            canonical = {"rootca": "RootCA", "subca": "SubCA", "ntauthca": "NTAuthCA"}.get(container.lower())
            if canonical is None:
                raise sim_host.SimError(
                    f"certutil -dspublish to {container!r} is not modelled (RootCA, SubCA, NTAuthCA)"
                )
            thumb = sim_host.sha1_hex(der)
            present = [
                c for c in ad["certificates"] if c["container"] == canonical and c["thumbprint"] == thumb
            ]
            if present and not force:
                out += f"{canonical}: certificate already in DS store.\n"
            else:
                ad["certificates"] = [c for c in ad["certificates"] if c not in present]
                ad["certificates"].append(
                    {
                        "container": canonical,
                        "thumbprint": thumb,
                        "subject": obj.subject.rfc4514_string(),
                        "pem": sim_host.der_to_pem(der, "CERTIFICATE"),
                    }
                )
                out += f"{canonical}: certificate added to DS store.\n"
        else:
            issuer = obj.issuer.rfc4514_string()
            ad["crls"] = [c for c in ad["crls"] if c["issuer"] != issuer]
            ad["crls"].append(
                {
                    "container": container or "CDP",
                    "issuer": issuer,
                    "thumbprint": sim_host.sha1_hex(der),
                    "pem": sim_host.der_to_pem(der, "X509 CRL"),
                }
            )
            out += "Base CRL added to DS store.\n"
        sim_host.save_ad(ad_path, ad)
    return CommandResult(0, out + "CertUtil: -dspublish command completed successfully.\n")


_GUID = re.compile(r"^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$")


def _msiexec(host: sim_host.Host, args: list[str]) -> CommandResult:
    lowered = [a.lower() for a in args]
    skip_check = False
    if len(args) >= 2 and lowered[0] == "/i":
        extras = set(lowered[2:])
        required = {"reinstall=all", "reinstallmode=vomus", "/qn", "/norestart"}
        skip_check = "skip_netframework_check=1" in extras
        if not required <= extras or extras - required - {"skip_netframework_check=1"}:
            raise sim_host.SimError(f"msiexec {' '.join(args)} is not the modelled repair command line")
    elif len(args) >= 2 and lowered[0] == "/fvomus":
        if set(lowered[2:]) != {"/qn", "/norestart"}:
            raise sim_host.SimError(f"msiexec {' '.join(args)} is not the modelled repair command line")
    else:
        raise sim_host.SimError(f"msiexec {' '.join(args)} is not modelled (only the two repair forms are)")
    code = args[1].upper()
    if not _GUID.match(code):
        return CommandResult(1639, "", "Invalid command line argument.")
    if code not in host.products:
        return CommandResult(1605, "", "This action is only valid for products that are currently installed.")
    release = host.registry.get(NET_KEY, "Release")
    if not skip_check and (release is None or int(release["value"]) < NET_452_RELEASE):
        return CommandResult(
            1603,
            "",
            "Fatal error during installation. (The product requires .NET Framework 4.5.2 or later: "
            f"Release {release['value'] if release else 'missing'} < {NET_452_RELEASE})",
        )
    for name in REPAIR_DISABLES:
        svc = host.service(name)
        if svc is not None:
            host.set_start_mode(name, "disabled")
            svc["state"] = "stopped"
    host.add_event(
        "Application",
        1035,
        sim_host.now_utc(),
        "MsiInstaller",
        f"Windows Installer reconfigured the product {code}.",
    )
    return CommandResult(0, "")


def command(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_command."""
    params = module.params
    start = sim_host.now_utc()
    started = time.monotonic()
    if params.get("argv"):
        argv = list(params["argv"])
        line = " ".join(f'"{a}"' if " " in a else a for a in argv)
    else:
        line = params.get("cmd") or params.get("_raw_params") or ""
        argv = split_command_line(line)
    result: dict[str, Any] = {"cmd": line}
    for option, want in (("creates", True), ("removes", False)):
        target = params.get(option)
        if target:
            exists = host.file(target) is not None or host.is_dir(target)
            if exists == want:
                verb = "exists" if want else "does not exist"
                result.update(
                    {"changed": False, "skipped": True, "rc": 0, "msg": f"skipped, since {target} {verb}"}
                )
                return result
    if params.get("stdin") is not None:
        raise sim_host.SimError("win_command stdin is not modelled")
    exe = argv[0].replace("/", "\\").rsplit("\\", 1)[-1].lower() if argv else ""
    try:
        if exe in ("certutil", "certutil.exe"):
            outcome = _certutil(host, argv[1:], params.get("chdir"), module.check_mode)
        elif exe in ("msiexec", "msiexec.exe"):
            outcome = _msiexec(host, argv[1:])
        else:
            raise sim_host.SimError(f"win_command {line!r}: only certutil and msiexec are modelled")
    except CommandResult as res:
        outcome = res
    end = sim_host.now_utc()
    result.update(
        {
            "changed": True,
            "rc": outcome.rc,
            "stdout": outcome.stdout,
            "stderr": outcome.stderr,
            "stdout_lines": outcome.stdout.splitlines(),
            "stderr_lines": outcome.stderr.splitlines(),
            "start": start.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "end": end.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "delta": str(dt.timedelta(seconds=round(time.monotonic() - started, 6))),
        }
    )
    if outcome.rc != 0:
        result["failed"] = True
        result["msg"] = "non-zero return code"
    return result
