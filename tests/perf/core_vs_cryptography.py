# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rough cost of the core: load + describe + self-signature check of N certificates, against bare
`cryptography` load + verify of the same DER. Run: python tests/perf/core_vs_cryptography.py [N]."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

# The conftest import puts the collection on sys.path.
import tests.conftest  # noqa: F401  # pylint: disable=unused-import
from ansible_collections.sfb.pki.plugins.module_utils import _certs
from ansible_collections.sfb.pki.plugins.module_utils._certs import load_certificate
from tests.support import pkifactory as pf


def make(count: int) -> list[bytes]:
    """`count` self-signed roots over a small pool of keys (RSA, RSA-PSS, ECDSA mixed)."""
    kinds = ["rsa", "rsa", "rsa-pss", "ecdsa"]
    keys = {kind: [pf.new_key(kind) for _unused in range(3)] for kind in set(kinds)}
    ders = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        item = pf.root_ca(f"CN=Root {i},O=Bench", key=keys[kind][i % 3], key_type=kind)
        ders.append(item.der)
    return ders


def bare(ders: list[bytes]) -> float:
    start = time.process_time()
    for der in ders:
        cert = x509.load_der_x509_certificate(der)
        key = cert.public_key()
        params = cert.signature_algorithm_parameters
        if isinstance(key, rsa.RSAPublicKey):
            assert isinstance(params, padding.PSS | padding.PKCS1v15)
            key.verify(cert.signature, cert.tbs_certificate_bytes, params, cert.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            assert isinstance(params, ec.ECDSA)
            key.verify(cert.signature, cert.tbs_certificate_bytes, params)
    return time.process_time() - start


def core(ders: list[bytes], now: dt.datetime) -> float:
    start = time.process_time()
    for der in ders:
        cert = load_certificate(der, "bench")
        cert.describe(now)  # includes self_signed
    return time.process_time() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    ders = make(count)
    now = dt.datetime.now(dt.UTC)
    base = cold = warm = float("inf")
    for _unused in range(7):  # interleaved, best of 7: the machine is shared
        base = min(base, bare(ders))
        _certs._NAME_TEXT.clear()  # every name rendered for the first time
        cold = min(cold, core(ders, now))
        warm = min(warm, core(ders, now))  # names seen before (many hosts share their roots)
    print(
        f"{count} certificates: cryptography load+verify {base:.3f}s; core load+describe "
        f"{cold:.3f}s with new names (ratio {cold / base:.2f}), {warm:.3f}s with names seen before "
        f"(ratio {warm / base:.2f})"
    )


if __name__ == "__main__":
    main()
