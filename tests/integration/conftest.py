# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures for playbook tests against the simulated estate (marker `integration`).

    @pytest.mark.integration
    def test_something(lab):            # a fresh copy of the lab estate, per test
        res = lab.run("playbooks/site.yml")
        assert res.changed["fe01"] > 0

`lab_factory(estate)` builds any estate under tests/simulator/estates (once per session, then copied).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from simlab import SimLab


@pytest.fixture(scope="session")
def _estate_cache(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SimLab]:
    return {}


@pytest.fixture
def lab_factory(
    _estate_cache: dict[str, SimLab], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> Callable[[str], SimLab]:
    """Build (once per session) and copy (per test) a named estate."""
    counter = {"n": 0}

    def make(estate: str = "lab") -> SimLab:
        if estate not in _estate_cache:
            _estate_cache[estate] = SimLab.build(tmp_path_factory.mktemp(f"estate-{estate}"), estate)
        counter["n"] += 1
        return _estate_cache[estate].copy_to(tmp_path / f"{estate}-{counter['n']}")

    return make


@pytest.fixture
def lab(lab_factory: Callable[[str], SimLab]) -> SimLab:
    """A fresh copy of the lab estate."""
    return lab_factory("lab")
