# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate builder puts the Windows Server baseline on every host unless told `baseline: none`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SMARTCARD = "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\SmartCardRoot\\Certificates"


def _builder() -> Any:
    name = "sfb_sim_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "simulator" / "build.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


builder = _builder()


def _build(tmp_path: Path, estate: dict[str, Any]) -> dict[str, dict[str, Any]]:
    path = tmp_path / "estate.yml"
    path.write_text(yaml.safe_dump(estate))
    out = builder.build(str(path), tmp_path / "out")
    return {
        host.stem: builder.sim_host_module().load_yaml(str(host))
        for host in sorted((out / "hosts").glob("*.yml"))
    }


def _places(state: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for entry in state["certificates"]:
        found.setdefault((entry["store"], entry["physical"]), set()).add(entry["thumbprint"])
    return found


ESTATE: dict[str, Any] = {
    "name": "small",
    "pki": {
        "root": {"kind": "root_ca", "subject": "CN=Small Root,O=Small"},
        "baltimore": {
            "kind": "file",
            "path": "tests/fixtures/roots/D4DE20D05E66FC53FE1A50882C78DB2852CAE474.pem",
        },
        "digicert_g2": {
            "kind": "file",
            "path": "tests/fixtures/baseline/authroot/DF3C24F9BFD666761B268073FE06D1CC8D4F82A4.pem",
        },
    },
    "hosts": {
        "on": {"certificates": [{"cert": "root", "store": "Root"}]},
        "again": {
            "certificates": [
                {"cert": "digicert_g2", "store": "Root", "physical": "third_party"},
                {"cert": "baltimore", "store": "Root", "physical": "third_party"},
            ]
        },
        "off": {"baseline": "none", "certificates": [{"cert": "root", "store": "Root"}]},
    },
}


def test_every_host_starts_from_the_baseline_unless_it_says_none(tmp_path: Path) -> None:
    states = _build(tmp_path, ESTATE)
    places = {name: _places(state) for name, state in states.items()}
    registry_roots = builder.baseline_thumbprints("Root", "registry")
    authroot = builder.baseline_thumbprints("Root", "third_party")
    disallowed = builder.baseline_thumbprints("Disallowed", "registry")
    assert len(registry_roots) == 7 and len(authroot) >= 30 and len(disallowed) >= 3
    on = places["on"]
    root = next(iter(on[("Root", "registry")] - registry_roots))
    assert on[("Root", "registry")] == registry_roots | {root}
    assert on[("Root", "third_party")] == authroot
    assert on[("Disallowed", "registry")] == disallowed
    assert states["on"]["registry"][SMARTCARD] == {}
    # an estate entry already in the baseline is one registry key, not two
    again = [e for e in states["again"]["certificates"] if e["physical"] == "third_party"]
    assert len(again) == len({e["thumbprint"] for e in again}) == len(authroot) + 1
    assert places["off"] == {("Root", "registry"): {root}}
    assert SMARTCARD not in states["off"]["registry"]


def test_the_estate_can_turn_the_baseline_off_and_a_host_back_on(tmp_path: Path) -> None:
    estate = dict(ESTATE, baseline="none", hosts={"a": {}, "b": {"baseline": "windows_server"}})
    states = _build(tmp_path, estate)
    assert states["a"]["certificates"] == []
    assert _places(states["b"])[("Root", "registry")] == builder.baseline_thumbprints("Root", "registry")


def test_an_unknown_baseline_is_an_error_naming_the_host(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="estate host a: baseline must be one of"):
        _build(tmp_path, dict(ESTATE, hosts={"a": {"baseline": "windows_2003"}}))
