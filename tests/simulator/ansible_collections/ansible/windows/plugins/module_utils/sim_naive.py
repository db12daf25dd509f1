# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_certificate_store and win_shell against a simulated host, for the benchmark's naive playbook.

Test-only, and deliberately narrow: they model what bench/naive.yml does with them and fail loudly on
anything else. Both act on the *logical* view the real modules see, which is the point of the baseline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ansible_collections.ansible.windows.plugins.module_utils import sim_host

# .NET StoreName -> the logical store the simulator models.
_STORE_NAMES = {"Root": "Root", "CertificateAuthority": "CA", "My": "My", "Disallowed": "Disallowed"}

# The KB2795828 one-liner of bench/naive.yml, recognised by these fragments (whitespace-insensitive).
KB2795828_MARKERS = (
    "Get-ChildItem Cert:\\LocalMachine\\Root",
    "Where-Object { $_.Issuer -ne $_.Subject }",
    "Move-Item -Destination Cert:\\LocalMachine\\CA",
)


def _logical_has(host: sim_host.Host, logical: str, thumbprint: str) -> bool:
    """Whether any physical store of a logical store holds the thumbprint (what X509Store sees)."""
    return any(
        host.registry.exists(f"HKLM\\{base}\\Certificates\\{thumbprint}")
        for (store, _physical), base in sim_host.STORE_KEYS.items()
        if store == logical
    )


def certificate_store(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_certificate_store, state=present from a file on the host, machine stores."""
    params = module.params
    if params["state"] != "present" or params["store_location"] != "LocalMachine":
        raise sim_host.SimError("win_certificate_store is modelled for state=present in LocalMachine only")
    logical = _STORE_NAMES.get(params["store_name"])
    if logical is None or params["file_type"] == "pkcs12" or not params.get("path"):
        raise sim_host.SimError(
            f"win_certificate_store: store {params['store_name']!r} / pkcs12 not modelled"
        )
    entry = host.file(params["path"])
    if entry is None:
        return {"failed": True, "msg": f"file at path '{params['path']}' does not exist"}
    content: bytes = entry["content"]
    der = sim_host.pem_to_der(content.decode("ascii")) if b"-----BEGIN" in content else content
    thumbprint = sim_host.sha1_hex(der)
    present = _logical_has(host, logical, thumbprint)
    if not present and not module.check_mode:
        path = f"HKLM\\{sim_host.store_key(logical)}\\Certificates\\{thumbprint}"
        host.registry.set(path, "Blob", "binary", sim_host.encode_blob(der, sim_host.DEFAULT_CERT_PROPS))
    return {"changed": not present, "thumbprints": [thumbprint]}


def _squash(text: str) -> str:
    return " ".join(text.split())


def shell(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_shell running the KB2795828 one-liner: Issuer != Subject moves Root -> CA."""
    from cryptography import x509

    command = module.params["_raw_params"] or ""
    if not all(_squash(marker) in _squash(command) for marker in KB2795828_MARKERS):
        raise sim_host.SimError(f"win_shell: only the KB2795828 one-liner is simulated, not {command[:60]!r}")
    start = sim_host.now_utc()
    root_base = sim_host.store_key("Root")
    ca_base = sim_host.store_key("CA")
    moved = 0
    for (store, physical), base in sim_host.STORE_KEYS.items():
        if store != "Root":
            continue
        folder = f"HKLM\\{base}\\Certificates"
        for name in list(host.registry.subkeys(folder)) if host.registry.exists(folder) else []:
            value = host.registry.get(f"{folder}\\{name}", "Blob")
            element = sim_host.canonical_element(name, value["value"]) if value else None
            if element is None:
                continue
            cert = x509.load_der_x509_certificate(element[0])
            if cert.issuer == cert.subject:  # the KB's test: names, not signatures
                continue
            moved += 1
            # The certificate provider can delete only from the Registry physical store; a copy that
            # Group Policy or Enterprise delivered stays where it is.
            if physical == "registry" and base == root_base:
                host.registry.set(f"HKLM\\{ca_base}\\Certificates\\{name}", "Blob", "binary", value["value"])
                host.registry.delete_tree(f"{folder}\\{name}")
    end = sim_host.now_utc()
    stdout = f"{moved}\r\n"
    return {
        "changed": True,
        "cmd": command,
        "rc": 0,
        "stdout": stdout,
        "stdout_lines": [str(moved)],
        "stderr": "",
        "stderr_lines": [],
        "start": sim_host.iso(start),
        "end": sim_host.iso(end),
        "delta": str(end - start if end >= start else dt.timedelta(0)),
    }
