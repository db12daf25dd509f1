# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _host
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._findings import Finding
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest

NOW = datetime(2026, 11, 23, tzinfo=UTC)


class FakeSection:
    def __init__(self, key: str, findings: list[Finding]) -> None:
        self.key = key
        self.findings = findings
        self.seen: list[Mapping[str, Any]] = []

    def request(self, options: Mapping[str, Any], req: SnapshotRequest) -> None:
        req.add_key(self.key, 1)
        req.add_service("RTCSRV")

    def analyze(
        self, options: Mapping[str, Any], snap: Snapshot, now: datetime
    ) -> tuple[dict[str, Any], list[Finding]]:
        self.seen.append(options)
        return {"exists": snap.key(self.key).exists, "now": now.isoformat()}, self.findings


def _snap(*paths: str) -> Snapshot:
    return Snapshot.from_result({"keys": [{"path": p, "exists": True} for p in paths]})


def test_build_request_merges_every_section() -> None:
    a = FakeSection("SOFTWARE\\A", [])
    b = FakeSection("SOFTWARE\\B", [])
    req = _host.build_request({"a": a, "b": b}, {})
    params = req.parameters()
    assert [k["path"] for k in params["Keys"]] == ["SOFTWARE\\A", "SOFTWARE\\B"]
    assert params["Services"] == ["RTCSRV"]


def test_analyze_host_orders_findings_by_severity_and_keeps_sections() -> None:
    info = Finding("z_info", "info", "m", "f", thumbprint="AA")
    crit = Finding("b_crit", "critical", "m", "f", object="x")
    warn = Finding("a_warn", "warning", "m", "f")
    a = FakeSection("SOFTWARE\\A", [info, warn])
    b = FakeSection("SOFTWARE\\B", [crit])
    out = _host.analyze_host({"a": a, "b": b}, {"opt": 1}, _snap("SOFTWARE\\A", "SOFTWARE\\B"), NOW)
    assert out["a"] == {"exists": True, "now": NOW.isoformat()}
    assert [f["id"] for f in out["findings"]] == ["b_crit", "a_warn", "z_info"]
    assert out["findings"][2]["object"] == "AA"
    assert a.seen == [{"opt": 1}]


def test_select_sections_loads_modules_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = _host.__package__
    fake = types.ModuleType(f"{pkg}._section_demo")
    fake.request = lambda options, req: None  # type: ignore[attr-defined]
    fake.analyze = lambda options, snap, now: ({}, [])  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, f"{pkg}._section_demo", fake)
    monkeypatch.setattr(_host, "SECTION_NAMES", ("demo", "not_installed_here"))
    assert list(_host.select_sections(None)) == ["demo"]
    assert list(_host.select_sections(["demo"])) == ["demo"]
    with pytest.raises(PkiInputError, match=r"sections: unknown section.*not_installed_here"):
        _host.select_sections(["demo", "not_installed_here"])


def test_a_broken_section_import_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> types.ModuleType:
        raise ModuleNotFoundError("No module named 'missing_dependency'", name="missing_dependency")

    monkeypatch.setattr(_host.importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError):
        _host.available_sections()
