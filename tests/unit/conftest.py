# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the section, planning and action tests: an ECDSA hierarchy and an unrelated root."""

from __future__ import annotations

import pytest

from tests.support import pkifactory as pf


@pytest.fixture(scope="module")
def pki() -> pf.Hierarchy:
    return pf.hierarchy("Contoso", key_type="ecdsa")


@pytest.fixture(scope="module")
def other() -> pf.Issued:
    return pf.root_ca("CN=Fabrikam Root CA,O=Fabrikam", key_type="ecdsa")
