# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real public roots (tests/fixtures/roots): the core must see each as a self-signed root CA."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.sfb.pki.plugins.module_utils._certs import load_certificate
from ansible_collections.sfb.pki.plugins.module_utils._chain import build_chain

ROOTS = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "roots").glob("*.pem"))


def test_seed_002_roots_are_present():
    names = {p.stem for p in ROOTS}
    assert {
        "A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436",
        "5FB7EE0633E259DBAD0C4C9AE6D38F1A61C7DC25",
        "D4DE20D05E66FC53FE1A50882C78DB2852CAE474",
    } <= names


@pytest.mark.parametrize("path", ROOTS, ids=[p.stem[:8] for p in ROOTS])
def test_real_root(path, now):
    cert = load_certificate(path.read_bytes(), path.name)
    assert cert.thumbprint == path.stem
    assert cert.self_issued is True
    assert cert.self_signed is True
    assert cert.is_ca is True
    assert build_chain(cert, []).complete
    facts = cert.describe(now)
    assert facts["weak_signature"] is (facts["signature_hash"] in ("md5", "sha1"))
