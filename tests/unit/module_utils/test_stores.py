# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The physical-store map (domain notes section 1)."""

from __future__ import annotations

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _stores


def test_root_store_locations():
    keys = {s.physical: s.certificates_key for s in _stores.stores_of("Root")}
    assert keys == {
        "registry": "SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates",
        "group_policy": "SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates",
        "enterprise": "SOFTWARE\\Microsoft\\EnterpriseCertificates\\Root\\Certificates",
        "third_party": "SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot\\Certificates",
    }
    assert _stores.stores_of("Root")[0].physical == "registry"


def test_ca_store_and_crls():
    ca = _stores.physical_store("ca", "registry")
    assert ca.logical == "CA"
    assert ca.crls_key == "SOFTWARE\\Microsoft\\SystemCertificates\\CA\\CRLs"
    assert [s.physical for s in _stores.stores_of("CA")] == ["registry", "group_policy", "enterprise"]
    assert _stores.physical_store("My", "registry").certificates_key.endswith("\\My\\Certificates")


def test_only_registry_is_writable():
    assert [s.physical for s in _stores.PHYSICAL_STORES if s.writable] == ["registry"] * 3


def test_unknown_pair_names_both():
    with pytest.raises(KeyError, match="'third_party' for logical store 'CA'"):
        _stores.physical_store("CA", "third_party")
    assert _stores.stores_of("Nope") == ()
