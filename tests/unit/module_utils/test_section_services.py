# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The services section: request shape, start-mode decoding, drift, findings, .NET release."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _section_services as sec
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import RegistryKey, Snapshot, SnapshotRequest

NOW = datetime(2026, 11, 23, tzinfo=UTC)
SVC = "SYSTEM\\CurrentControlSet\\Services\\"
NETFX = "SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full"


def dword(value: int) -> dict[str, Any]:
    return {"type": "dword", "value": value}


def key(path: str, exists: bool = True, **values: int) -> RegistryKey:
    return RegistryKey(path, exists, {k: dword(v) for k, v in values.items()} if exists else {}, {})


def snapshot(
    services: dict[str, tuple[int | None, int | None, str] | None],
    release: int | None = 528040,
    computer_name: str | None = "FE01",
) -> Snapshot:
    """Build a snapshot by hand: name -> (Start, DelayedAutostart, state) or None for a missing service."""
    keys: dict[str, RegistryKey] = {}
    entries: dict[str, dict[str, Any]] = {}
    for name, spec in services.items():
        path = SVC + name
        if spec is None:
            keys[path.lower()] = key(path, exists=False)
            entries[name.lower()] = {"name": name, "exists": False, "state": None}
            continue
        start, delayed, state = spec
        values = {}
        if start is not None:
            values["Start"] = start
        if delayed is not None:
            values["DelayedAutostart"] = delayed
        keys[path.lower()] = key(path, **values)
        entries[name.lower()] = {"name": name, "exists": True, "state": state}
    if release is None:
        keys[NETFX.lower()] = key(NETFX, exists=False)
    else:
        keys[NETFX.lower()] = key(NETFX, Release=release, Install=1)
    return Snapshot(keys, entries, {}, [], computer_name)


def by_name(facts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in facts["services"]}


def test_request_default_services_and_netfx_key() -> None:
    req = SnapshotRequest()
    sec.request({}, req)
    assert req.keys == {SVC + "RTCCLSAGT": 0, SVC + "REPLICA": 0, NETFX: 0}
    assert req.services == ["RTCCLSAGT", "REPLICA"]


def test_request_custom_services_dedup_case_insensitive() -> None:
    req = SnapshotRequest()
    sec.request({"services": ["RTCSRV", "rtcsrv", "MASTER"]}, req)
    assert req.services == ["RTCSRV", "MASTER"]
    assert SVC + "MASTER" in req.keys and SVC + "RTCSRV" in req.keys


def test_request_merges_with_depth_of_other_sections() -> None:
    req = SnapshotRequest()
    req.add_key(SVC + "RTCCLSAGT", 1)
    sec.request({"services": None}, req)
    assert req.keys[SVC + "RTCCLSAGT"] == 1


@pytest.mark.parametrize(
    "bad",
    ["RTCCLSAGT", ["..\\Tcpip"], ["a/b"], [""], ["   "], [3], ["ok", "\x00x"], {"RTCCLSAGT": 1}],
)
def test_bad_service_names_are_rejected_naming_the_option(bad: Any) -> None:
    with pytest.raises(PkiInputError) as err:
        sec.request({"services": bad}, SnapshotRequest())
    assert str(err.value).startswith("services: ")


@pytest.mark.parametrize(
    ("start", "delayed", "mode"),
    [
        (2, 1, "delayed"),
        (2, 0, "auto"),
        (2, None, "auto"),
        (3, 1, "manual"),
        (4, 0, "disabled"),
        (4, 1, "disabled"),
        (0, 0, "boot"),
        (1, 0, "system"),
        (7, 0, "unknown"),
        (None, 1, "unknown"),
    ],
)
def test_start_mode(start: int | None, delayed: int | None, mode: str) -> None:
    assert sec.start_mode(start, delayed) == mode


def test_healthy_host_has_no_drift_and_no_findings() -> None:
    snap = snapshot({"RTCCLSAGT": (2, 1, "running"), "REPLICA": (2, 1, "Running")})
    facts, findings = sec.analyze({}, snap, NOW)
    assert findings == []
    assert facts["drifted"] == [] and facts["missing"] == []
    rep = by_name(facts)["REPLICA"]
    assert rep == {
        "name": "REPLICA",
        "exists": True,
        "start": 2,
        "delayed": 1,
        "start_mode": "delayed",
        "state": "running",
        "drift": False,
    }


def test_disabled_service_is_critical_with_fix_and_seed_symptom() -> None:
    snap = snapshot({"RTCCLSAGT": (4, 0, "stopped"), "REPLICA": (2, 1, "running")})
    facts, findings = sec.analyze({}, snap, NOW)
    assert facts["drifted"] == ["RTCCLSAGT"]
    assert by_name(facts)["RTCCLSAGT"]["drift"] is True
    assert [(f.id, f.severity, f.object) for f in findings] == [("service_disabled", "critical", "RTCCLSAGT")]
    finding = findings[0]
    assert "sfb.pki.services" in finding.fix and "sfb_pki_services_delayed_start" in finding.fix
    assert "FE01" in finding.message
    assert any("10061" in s for s in finding.symptoms)
    assert finding.as_dict()["object"] == "RTCCLSAGT"


@pytest.mark.parametrize(("start", "delayed", "mode"), [(2, 0, "auto"), (3, 0, "manual"), (2, None, "auto")])
def test_not_delayed_is_a_warning(start: int, delayed: int | None, mode: str) -> None:
    snap = snapshot({"RTCCLSAGT": (2, 1, "running"), "REPLICA": (start, delayed, "running")})
    facts, findings = sec.analyze({}, snap, NOW)
    assert [(f.id, f.severity, f.object) for f in findings] == [
        ("service_not_delayed_start", "warning", "REPLICA")
    ]
    assert mode in findings[0].message
    assert by_name(facts)["REPLICA"]["start_mode"] == mode
    assert by_name(facts)["REPLICA"]["delayed"] == (delayed or 0)


def test_missing_service_is_reported_absent_without_finding() -> None:
    snap = snapshot({"RTCCLSAGT": None, "REPLICA": (4, 0, "stopped")})
    facts, findings = sec.analyze({}, snap, NOW)
    cls = by_name(facts)["RTCCLSAGT"]
    assert cls["exists"] is False and cls["drift"] is False and cls["start_mode"] == "absent"
    assert cls["start"] is None and cls["state"] is None
    assert facts["missing"] == ["RTCCLSAGT"]
    assert [f.object for f in findings] == ["REPLICA"]


def test_service_known_only_by_its_registry_key() -> None:
    snap = snapshot({"RTCCLSAGT": (2, 1, "running"), "REPLICA": (2, 1, "running")})
    del snap.services["replica"]
    facts = sec.analyze({}, snap, NOW)[0]
    rep = by_name(facts)["REPLICA"]
    assert rep["exists"] is True and rep["state"] is None and rep["start_mode"] == "delayed"


def test_unrequested_service_is_absent_not_a_crash() -> None:
    snap = snapshot({"RTCCLSAGT": (2, 1, "running")})
    facts, findings = sec.analyze({"services": ["RTCCLSAGT", "RTCSRV"]}, snap, NOW)
    assert by_name(facts)["RTCSRV"]["exists"] is False and findings == []


def test_generic_symptoms_for_other_services_and_no_host_name() -> None:
    snap = snapshot({"RTCSRV": (3, 0, "stopped")}, computer_name=None)
    findings = sec.analyze({"services": ["RTCSRV"]}, snap, NOW)[1]
    assert findings[0].symptoms == sec._GENERIC_SYMPTOMS
    assert " on " not in findings[0].message


def test_string_dword_values_are_accepted() -> None:
    path = SVC + "REPLICA"
    snap = Snapshot(
        {path.lower(): RegistryKey(path, True, {"Start": {"type": "string", "value": "0x4"}}, {})},
        {"replica": {"name": "REPLICA", "exists": True, "state": "stopped"}},
        {},
        [],
    )
    facts, findings = sec.analyze({"services": ["REPLICA"]}, snap, NOW)
    assert by_name(facts)["REPLICA"]["start"] == 4
    assert findings[0].id == "service_disabled"


@pytest.mark.parametrize("garbage", [[1], "four", None])
def test_garbage_start_value_is_unknown_and_drifted(garbage: Any) -> None:
    path = SVC + "REPLICA"
    snap = Snapshot(
        {path.lower(): RegistryKey(path, True, {"Start": {"type": "binary", "value": garbage}}, {})},
        {"replica": {"name": "REPLICA", "exists": True, "state": "stopped"}},
        {},
        [],
    )
    facts, findings = sec.analyze({"services": ["REPLICA"]}, snap, NOW)
    assert by_name(facts)["REPLICA"]["start_mode"] == "unknown"
    assert findings[0].id == "service_not_delayed_start"


@pytest.mark.parametrize(
    ("release", "version", "ready"),
    [
        (None, None, False),
        (378389, "4.5", False),
        (379892, "4.5.1", False),
        (379893, "4.5.2", True),
        (394802, "4.6.2", True),
        (528040, "4.8", True),
        (533325, "4.8.1", True),
        (100, None, False),
    ],
)
def test_netfx_release(release: int | None, version: str | None, ready: bool) -> None:
    facts = sec.analyze({}, snapshot({}, release=release), NOW)[0]
    assert facts["netfx_release"] == release
    assert facts["netfx_version"] == version
    assert facts["netfx_repair_ready"] is ready


def test_netfx_key_not_requested_is_none() -> None:
    snap = Snapshot({}, {}, {}, [])
    facts = sec.analyze({"services": []}, snap, NOW)[0]
    assert facts["netfx_release"] is None and facts["services"] == []


def test_from_result_round_trip() -> None:
    result = {
        "computer_name": "EDGE01",
        "keys": [
            {"path": SVC + "REPLICA", "exists": True, "values": {"Start": dword(4)}, "subkeys": []},
            {"path": SVC + "RTCCLSAGT", "exists": False},
            {"path": NETFX, "exists": True, "values": {"Release": dword(379893)}, "subkeys": []},
        ],
        "services": [
            {"name": "REPLICA", "exists": True, "state": "stopped"},
            {"name": "RTCCLSAGT", "exists": False, "state": None},
        ],
    }
    facts, findings = sec.analyze({}, Snapshot.from_result(result), NOW)
    assert facts["drifted"] == ["REPLICA"] and facts["missing"] == ["RTCCLSAGT"]
    assert facts["netfx_repair_ready"] is True
    assert "EDGE01" in findings[0].message
