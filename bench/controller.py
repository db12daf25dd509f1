# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark (b): controller analysis of N certificates against the cryptography floor, same run.

floor   = for each DER: x509.load_der_x509_certificate + verify the signature with its own public key
issuer  = for each DER: x509.load_der_x509_certificate + verify the signature with its issuer's public key
          (reference only: what verifying every chain link costs at least)
library = the library calls the product's per-certificate facts rest on, with no logic around them
          (reference only: base64 of the registry value, SHA-1 and SHA-256, load, every extension value,
          public key, validity, serial, signature algorithm, verification with the issuer's key)
product = the certificates section of host_info on a snapshot holding the same certificates as registry
          blobs in their physical stores (blob decode, parse, every per-certificate fact, self-signature,
          findings); when that section is not installed, the core alone (load_certificate + describe)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any

import yaml
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from ansible_collections.sfb.pki.plugins.module_utils import _stores
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest
from bench.corpus import NOW, Entry

CERTIFICATE_SECTIONS = ("certificates", "server_certificates")


def own_key_verify(cert: x509.Certificate) -> bool | None:
    """Verify a certificate's signature with its own public key (None: algorithm not verifiable)."""
    return verify_with(cert, cert.public_key())


def verify_with(cert: x509.Certificate, key: Any) -> bool | None:
    """Verify a certificate's signature with `key` (None: algorithm not verifiable)."""
    sig, tbs = cert.signature, cert.tbs_certificate_bytes
    algorithm = cert.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            params = cert.signature_algorithm_parameters
            pad = params if isinstance(params, padding.PSS) else padding.PKCS1v15()
            key.verify(sig, tbs, pad, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(sig, tbs, ec.ECDSA(algorithm))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(sig, tbs)
        elif isinstance(key, dsa.DSAPublicKey) and algorithm is not None:
            key.verify(sig, tbs, algorithm)
        else:
            return None
    except InvalidSignature:
        return False
    except (UnsupportedAlgorithm, ValueError, TypeError):
        return None
    return True


def floor(entries: Iterable[Entry]) -> int:
    """The floor: bare load + own-key verify; returns how many verified (so the work is not dead code)."""
    verified = 0
    for entry in entries:
        if own_key_verify(x509.load_der_x509_certificate(entry.der)):
            verified += 1
    return verified


def issuer_keys(entries: Iterable[Entry]) -> list[Any]:
    """Each certificate's issuer public key (its own for a root), looked up by name outside the timing."""
    certs = [x509.load_der_x509_certificate(entry.der) for entry in entries]
    by_subject = {cert.subject: cert for cert in certs}
    keys = {}
    for cert in certs:
        issuer = by_subject[cert.issuer]
        if issuer.subject not in keys:
            keys[issuer.subject] = issuer.public_key()
    return [keys[cert.issuer] for cert in certs]


def issuer_floor(entries: list[Entry], keys: list[Any]) -> int:
    """Load + verify each signature with its issuer's key: the least a check of every chain link does.

    The floor's own-key check fails fast when a certificate's key type differs from its issuer's (an
    ECDSA signature cannot be an RSA one); checking the link to the real issuer always costs a full
    verification.
    """
    verified = 0
    for entry, key in zip(entries, keys, strict=True):
        if verify_with(x509.load_der_x509_certificate(entry.der), key):
            verified += 1
    return verified


def library_calls(texts: list[str], entries: list[Entry], keys: list[Any]) -> int:
    """The cryptography and hashlib calls the analysis cannot do without, and nothing else.

    Per certificate: decode the registry value's base64 text, hash the DER (SHA-1 checks the registry key
    name, SHA-256 is a reported fact), load it, read every extension value (key usage, EKUs, names, key
    identifiers), the public key (algorithm and size), validity, serial and signature algorithm, and
    verify the signature with the issuer's key. Blob records, names, facts, chains and findings are left
    out: they are the product's own work.
    """
    verified = 0
    for text, entry, key in zip(texts, entries, keys, strict=True):
        binascii.a2b_base64(text)
        der = entry.der
        hashlib.sha1(der).hexdigest()
        hashlib.sha256(der).hexdigest()
        cert = x509.load_der_x509_certificate(der)
        for extension in cert.extensions:
            extension.value  # noqa: B018 - parsed into Python objects, as the product reads them
        cert.public_key()
        cert.not_valid_before_utc  # noqa: B018
        cert.not_valid_after_utc  # noqa: B018
        cert.serial_number  # noqa: B018
        cert.signature_algorithm_oid.dotted_string  # noqa: B018
        cert.signature_algorithm_parameters  # noqa: B018
        if verify_with(cert, key):
            verified += 1
    return verified


def _node(path: str) -> dict[str, Any]:
    return {"path": path, "values": {}, "children": {}}


def synthetic_result(entries: Iterable[Entry], req: SnapshotRequest) -> dict[str, Any]:
    """The snapshot script's result for a host whose stores hold `entries`, answering `req` exactly."""
    nodes: dict[str, dict[str, Any]] = {}

    def ensure(path: str) -> dict[str, Any]:
        low = path.lower()
        if low not in nodes:
            nodes[low] = _node(path)
            parent, _, name = path.rpartition("\\")
            if parent:
                ensure(parent)["children"][name.lower()] = name
        return nodes[low]

    for entry in entries:
        store = _stores.physical_store(entry.store, entry.physical)
        leaf = ensure(f"{store.certificates_key}\\{entry.thumbprint}")
        leaf["values"]["Blob"] = {"type": "binary", "value": base64.b64encode(entry.blob).decode()}

    def render(path: str, depth: int, top: bool) -> dict[str, Any]:
        node = nodes.get(path.lower())
        name_field = {"path": path} if top else {"name": path.rpartition("\\")[2]}
        if node is None:
            return {**name_field, "exists": False, "values": {}, "subkeys": []}
        subkeys = []
        if depth > 0:
            for child in sorted(node["children"].values()):
                subkeys.append(render(f"{node['path']}\\{child}", depth - 1, False))
        return {**name_field, "exists": True, "values": dict(node["values"]), "subkeys": subkeys}

    return {
        "computer_name": "BENCH01",
        "keys": [render(path, depth, True) for path, depth in sorted(req.keys.items())],
        "services": [],
        "folders": [],
        "events": [],
    }


def host_info_defaults() -> dict[str, Any]:
    """host_info's documented option defaults (what a plain `sfb.pki.host_info:` task uses)."""
    from ansible_collections.sfb.pki.plugins.modules import host_info

    options = yaml.safe_load(host_info.DOCUMENTATION)["options"]
    return {name: spec.get("default") for name, spec in options.items()}


def product(entries: list[Entry]) -> tuple[str, Callable[[], int]]:
    """The product's per-certificate analysis: (label, callable returning the certificates seen)."""
    try:
        from ansible_collections.sfb.pki.plugins.module_utils import _host

        installed = _host.available_sections()
    except Exception:  # the host analysis is not installed yet: measure the core instead
        installed = {}
    # every section that derives something per certificate (the audit runs them all)
    sections = {name: installed[name] for name in CERTIFICATE_SECTIONS if name in installed}
    if "certificates" in sections:
        options = {**host_info_defaults(), "sections": list(sections)}
        req = _host.build_request(sections, options)
        result = synthetic_result(entries, req)

        def run_section() -> int:
            snap = Snapshot.from_result(result)
            out = _host.analyze_host(sections, options, snap, NOW)
            return len(out["certificates"]["certificates"])

        label = (
            f"host_info sections {', '.join(sections)} on a snapshot of the same certificates "
            "(blob decode, facts, self-signature, chains, findings)"
        )
        return label, run_section

    from ansible_collections.sfb.pki.plugins.module_utils import _certs

    blobs = [entry.blob for entry in entries]

    def run_core() -> int:
        count = 0
        for index, blob in enumerate(blobs):
            cert = _certs.load_certificate(blob, f"bench certificate {index}")
            cert.describe(NOW)
            count += 1
        return count

    return "core only: load_certificate(blob) + describe (certificates section not available yet)", run_core


def breakdown(entries: list[Entry], repeat: int) -> list[dict[str, Any]]:
    """Seconds per section when each runs alone on the same snapshot (where the product's time goes)."""
    try:
        from ansible_collections.sfb.pki.plugins.module_utils import _host

        installed = _host.available_sections()
    except Exception:
        return []
    rows = []
    for name in CERTIFICATE_SECTIONS:
        if name not in installed:
            continue
        sections = {name: installed[name]}
        options = {**host_info_defaults(), "sections": [name]}
        result = synthetic_result(entries, _host.build_request(sections, options))

        def run(
            sections: dict[str, Any] = sections,
            options: dict[str, Any] = options,
            result: dict[str, Any] = result,
        ) -> int:
            out = _host.analyze_host(sections, options, Snapshot.from_result(result), NOW)
            return len(out)

        seconds, _count = best_of(run, repeat)
        rows.append({"section": name, "seconds": seconds})
    return rows


def best_of(func: Callable[[], int], repeat: int) -> tuple[float, int]:
    """The fastest of `repeat` runs (seconds) and the function's result."""
    return best_of_each({"only": func}, repeat)["only"]


def best_of_each(funcs: dict[str, Callable[[], int]], repeat: int) -> dict[str, tuple[float, int]]:
    """The fastest of `repeat` runs of each function and its result, the functions taking turns.

    Taking turns (floor, then product, then floor again...) gives each the same share of the machine's
    quiet and busy moments, so their ratio does not depend on when a neighbour's load came and went.
    """
    best = dict.fromkeys(funcs, (float("inf"), 0))
    for _ in range(repeat):
        for name, func in funcs.items():
            start = time.perf_counter()
            result = func()
            seconds = time.perf_counter() - start
            if seconds < best[name][0]:
                best[name] = (seconds, result)
    return best


def measure(entries: list[Entry], repeat: int = 5) -> dict[str, Any]:
    """Time the floor, the references and the product on the same certificates, in turns, best of `repeat`."""
    label, run = product(entries)
    keys = issuer_keys(entries)
    texts = [base64.b64encode(entry.blob).decode() for entry in entries]
    timed = best_of_each(
        {
            "floor": lambda: floor(entries),
            "issuer": lambda: issuer_floor(entries, keys),
            "library": lambda: library_calls(texts, entries, keys),
            "product": run,
        },
        repeat,
    )
    floor_s, verified = timed["floor"]
    issuer_s, issuer_verified = timed["issuer"]
    library_s, library_verified = timed["library"]
    product_s, seen = timed["product"]
    return {
        "certificates": len(entries),
        "floor_label": "cryptography load_der_x509_certificate + own-key signature verify",
        "floor_seconds": floor_s,
        "floor_verified": verified,
        "product_label": label,
        "product_seconds": product_s,
        "product_certificates": seen,
        "ratio": product_s / floor_s if floor_s else None,
        "issuer_label": "cryptography load_der_x509_certificate + signature verify with the issuer's key",
        "issuer_seconds": issuer_s,
        "issuer_verified": issuer_verified,
        "issuer_ratio": issuer_s / floor_s if floor_s else None,
        "library_label": (
            "the library calls the facts rest on: base64, SHA-1, SHA-256, load, every extension value, "
            "public key, dates, serial, signature algorithm, verify with the issuer's key"
        ),
        "library_seconds": library_s,
        "library_verified": library_verified,
        "library_ratio": library_s / floor_s if floor_s else None,
        "product_over_library": product_s / library_s if library_s else None,
        "breakdown": breakdown(entries, repeat),
    }
