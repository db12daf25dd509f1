# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared PKI material for the core's unit tests (made once per session: key generation is slow)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.support import pkifactory as pf

NOW = dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=dt.UTC)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="session")
def now() -> dt.datetime:
    return NOW


@pytest.fixture(scope="session")
def pki() -> pf.Hierarchy:
    return pf.hierarchy("Contoso", now=NOW)


@pytest.fixture(scope="session")
def other_pki() -> pf.Hierarchy:
    return pf.hierarchy("Fabrikam", now=NOW)


@pytest.fixture(scope="session")
def rollover(pki: pf.Hierarchy) -> pf.Rollover:
    return pf.rollover(pki.root, now=NOW)


@pytest.fixture(scope="session")
def vector_der() -> bytes:
    return (FIXTURES / "vectors" / "registry-blob-minimal.der").read_bytes()


@pytest.fixture(scope="session")
def vector_hex() -> str:
    return (FIXTURES / "vectors" / "registry-blob-minimal.hex").read_text()
