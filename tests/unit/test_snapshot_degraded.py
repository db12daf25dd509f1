# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A snapshot with unreadable items: each becomes an `unreadable` finding in its section, never a crash.

The error texts are the Windows messages the snapshot script keeps (the .NET exception message of the
failed call): a denied registry key (SecurityException), a denied or locked file (UnauthorizedAccess /
IOException sharing violation), a denied event log (EventLogException "unauthorized operation").
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from crlkit import NOW, make_ca, make_crl

from ansible_collections.sfb.pki.plugins.module_utils import _host
from ansible_collections.sfb.pki.plugins.module_utils import _section_ca as ca
from ansible_collections.sfb.pki.plugins.module_utils import _section_certificates as certs
from ansible_collections.sfb.pki.plugins.module_utils import _section_events as events
from ansible_collections.sfb.pki.plugins.module_utils import _section_services as services
from ansible_collections.sfb.pki.plugins.module_utils._rootplan import plan_root_store
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import (
    Snapshot,
    SnapshotRequest,
    covers,
    folder_errors,
    key_errors,
    language_mode_problem,
)
from ansible_collections.sfb.pki.plugins.module_utils._stores import physical_store
from tests.support import pkifactory as pf
from tests.support.snapshots import ROOT_GP, ROOT_REG, snapshot_result

DENIED_KEY = "Requested registry access is not allowed."
DENIED_FILE = "Access to the path 'C:\\Windows\\System32\\CertSrv\\CertEnroll\\Root.crl' is denied."
LOCKED = (
    "The process cannot access the file 'C:\\Windows\\System32\\CertSrv\\CertEnroll\\Root.crl' because it is"
    " being used by another process."
)
DENIED_LOG = "Attempted to perform an unauthorized operation."
CERTENROLL = "C:\\Windows\\System32\\CertSrv\\CertEnroll"


def ids(found: list[Any]) -> list[str]:
    return sorted(f.id if hasattr(f, "id") else f["id"] for f in found)


# -- the snapshot model ---------------------------------------------------------------------------
def test_key_errors_walk_keys_and_values() -> None:
    snap = Snapshot.from_result(
        {
            "keys": [
                {
                    "path": "SOFTWARE\\A",
                    "exists": True,
                    "values": {
                        "Ok": {"type": "dword", "value": 1},
                        "Bad": {"type": "error", "value": "boom"},
                    },
                    "subkeys": [
                        {"name": "B", "exists": True, "values": {}, "subkeys": [], "error": DENIED_KEY}
                    ],
                }
            ]
        }
    )
    found = key_errors(snap.key("SOFTWARE\\A"))
    assert [(u.kind, u.path, u.error) for u in found] == [
        ("registry value", "HKLM\\SOFTWARE\\A\\Bad", "boom"),
        ("registry key", "HKLM\\SOFTWARE\\A\\B", DENIED_KEY),
    ]


def test_folder_errors_name_the_folder_and_each_file() -> None:
    entry = {
        "path": ca.CERTENROLL,
        "expanded_path": CERTENROLL,
        "exists": True,
        "files": [{"name": "Root.crl", "content": None, "error": LOCKED}, {"name": "ok.crt", "content": ""}],
    }
    assert [(u.kind, u.path) for u in folder_errors(entry)] == [("file", CERTENROLL + "\\Root.crl")]
    entry = {
        "path": ca.CERTENROLL,
        "expanded_path": CERTENROLL,
        "exists": True,
        "files": [],
        "error": "denied",
    }
    assert [(u.kind, u.path, u.error) for u in folder_errors(entry)] == [("folder", CERTENROLL, "denied")]
    assert folder_errors(None) == []


def test_constrained_language_is_one_clear_problem() -> None:
    assert language_mode_problem({"keys": [], "language_mode": "FullLanguage"}) is None
    assert language_mode_problem({"keys": []}) is None
    problem = language_mode_problem({"computer_name": "FE01", "language_mode": "ConstrainedLanguage"})
    assert problem is not None
    assert "ConstrainedLanguage" in problem and "AppLocker" in problem and "Fix:" in problem
    assert (
        Snapshot.from_result({"language_mode": "ConstrainedLanguage"}).language_mode == "ConstrainedLanguage"
    )


def test_folder_patterns_merge_and_cover() -> None:
    req = SnapshotRequest()
    req.add_folder("%windir%\\X", "*.crl")
    req.add_folder("%WINDIR%\\x", ["*.crt", "*.crl"])
    assert req.parameters()["Folders"] == [{"path": "%windir%\\X", "filter": ["*.crl", "*.crt"]}]
    one = SnapshotRequest()
    one.add_folder("%windir%\\x", "*.crt")
    assert covers(req.parameters(), one)
    everything = SnapshotRequest()
    everything.add_folder("%windir%\\X", "*")
    assert covers(everything.parameters(), req)
    assert not covers(one.parameters(), req)


# -- certificates ---------------------------------------------------------------------------------
def test_an_unreadable_thumbprint_key_is_unreadable_not_undecodable(pki: pf.Hierarchy) -> None:
    result = snapshot_result({ROOT_REG: [pki.root, pki.issuing]})
    reg_key = physical_store(*ROOT_REG).certificates_key
    [entry] = [k for k in result["keys"] if k["path"] == reg_key]
    entry["subkeys"][0].update(values={}, error=DENIED_KEY)
    locked_name = entry["subkeys"][1]["name"]
    entry["subkeys"][1]["values"]["Blob"] = {"type": "error", "value": "The handle is invalid."}
    facts, found = certs.analyze({}, Snapshot.from_result(result), NOW)
    assert ids(found) == ["unreadable", "unreadable"]
    denied = next(f for f in found if DENIED_KEY in f.message)
    assert denied.severity == "warning"
    assert denied.object == f"HKLM\\{reg_key}\\{entry['subkeys'][0]['name']}"
    assert "registry key" in denied.message and "Permissions" in denied.fix
    value = next(f for f in found if f is not denied)
    assert value.object == f"HKLM\\{reg_key}\\{locked_name}\\Blob" and "handle is invalid" in value.message
    assert facts["certificates"] == [] and {u["kind"] for u in facts["undecodable"]} == {"unreadable"}


def test_root_store_plan_reports_an_unreadable_root_key_and_does_not_touch_it(pki: pf.Hierarchy) -> None:
    result = snapshot_result({ROOT_GP: [pki.root], ROOT_REG: [pki.root]})
    reg_key = physical_store(*ROOT_REG).certificates_key
    [entry] = [k for k in result["keys"] if k["path"] == reg_key]
    entry["subkeys"][0].update(values={}, error=DENIED_KEY)
    inventory = certs.read_inventory(Snapshot.from_result(result))
    planned = plan_root_store(inventory, [], NOW)
    assert "unreadable" in [f.id for f in planned.reported]
    # the thumbprint key exists (only its content is unknown): no add over it
    assert not planned.has("add", "Root", pki.root.thumbprint)


def test_an_unreadable_crl_store_key_is_reported(pki: pf.Hierarchy) -> None:
    result = snapshot_result({})
    crl_key = physical_store("CA", "registry").crls_key
    result["keys"].append({"path": crl_key, "exists": True, "values": {}, "subkeys": [], "error": DENIED_KEY})
    _facts, found = certs.analyze({}, Snapshot.from_result(result), NOW)
    assert ids(found) == ["store_unreadable"]
    assert "CRLs are unknown" in found[0].message


# -- ca ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def root() -> Any:
    return make_ca("Contoso Root CA")


def _ca_snapshot(files: list[dict[str, Any]], folder_error: str | None = None) -> Snapshot:
    config = {
        "path": ca.CONFIG_KEY,
        "exists": True,
        "values": {"Active": {"type": "string", "value": "Contoso Root CA"}},
        "subkeys": [
            {
                "name": "Contoso Root CA",
                "exists": True,
                "values": {
                    "CRLPeriod": {"type": "string", "value": "Months"},
                    "CRLPeriodUnits": {"type": "error", "value": DENIED_KEY},
                },
                "subkeys": [],
            }
        ],
    }
    folder: dict[str, Any] = {
        "path": ca.CERTENROLL,
        "expanded_path": CERTENROLL,
        "exists": True,
        "files": files,
    }
    if folder_error:
        folder["error"] = folder_error
    return Snapshot.from_result({"keys": [config], "folders": [folder]})


def test_a_locked_certenroll_file_is_unreadable_and_the_rest_is_read(root: Any) -> None:
    good = make_crl(root, number=4)
    files: list[dict[str, Any]] = [
        {"name": "Root.crl", "size": 1, "modified": "2026-11-01T10:00:00Z", "content": None, "error": LOCKED},
        {
            "name": "Contoso Root CA.crl",
            "size": len(good),
            "modified": "2026-11-01T10:00:00Z",
            "content": base64.b64encode(good).decode(),
        },
    ]
    facts, found = ca.analyze({}, _ca_snapshot(files), NOW)
    assert [c["file"] for c in facts["crls"]] == ["Contoso Root CA.crl"]
    assert "ca_crl_unreadable" not in ids(found)  # unreadable is not "not a CRL"
    unreadable = [f for f in found if f.id == "unreadable"]
    assert {f.object for f in unreadable} == {
        CERTENROLL + "\\Root.crl",
        f"HKLM\\{ca.CONFIG_KEY}\\Contoso Root CA\\CRLPeriodUnits",
    }
    locked = next(f for f in unreadable if f.object.endswith("Root.crl"))
    assert "being used by another process" in locked.message and "run again" in locked.fix
    assert {e["kind"] for e in facts["read_errors"]} == {"file", "registry value"}
    assert ca.ca_state(_ca_snapshot(files)).certenroll_errors[0].path == CERTENROLL + "\\Root.crl"


def test_a_denied_certenroll_folder_is_one_finding() -> None:
    facts, found = ca.analyze({}, _ca_snapshot([], folder_error="Access to the path is denied."), NOW)
    folder = [f for f in found if f.id == "unreadable" and f.object == CERTENROLL]
    assert len(folder) == 1 and "folder" in folder[0].message and "read access" in folder[0].fix
    assert facts["crls"] == []


def test_an_unopenable_ca_configuration_is_present_and_reported() -> None:
    config = {"path": ca.CONFIG_KEY, "exists": True, "values": {}, "subkeys": [], "error": DENIED_KEY}
    snap = Snapshot.from_result({"keys": [config], "folders": []})
    facts, found = ca.analyze({}, snap, NOW)
    assert facts["present"] is True and facts["name"] is None
    assert [f.object for f in found if f.id == "unreadable"] == [f"HKLM\\{ca.CONFIG_KEY}"]


# -- services ---------------------------------------------------------------------------------------
def test_a_denied_service_key_is_unreadable_never_drift() -> None:
    path = services.service_key("RTCCLSAGT")
    snap = Snapshot.from_result(
        {
            "keys": [{"path": path, "exists": True, "values": {}, "subkeys": [], "error": DENIED_KEY}],
            "services": [
                {"name": "RTCCLSAGT", "exists": None, "state": None, "error": "Cannot open service"}
            ],
        }
    )
    facts, found = services.analyze({"services": ["RTCCLSAGT"]}, snap, NOW)
    [svc] = facts["services"]
    assert svc["exists"] is True and svc["drift"] is False and facts["drifted"] == []
    assert ids(found) == ["unreadable", "unreadable"]
    assert {f.object for f in found} == {f"HKLM\\{path}", "RTCCLSAGT"}


# -- events -----------------------------------------------------------------------------------------
def test_a_denied_event_log_is_unknown_not_zero() -> None:
    snap = Snapshot.from_result(
        {
            "events": [
                {"log": "Lync Server", "provider": None, "exists": True, "counts": {"32042": 3}},
                {
                    "log": "System",
                    "provider": "Schannel",
                    "exists": None,
                    "counts": {"36888": 0, "36874": 0},
                    "error": DENIED_LOG,
                },
            ]
        }
    )
    facts, found = events.analyze({}, snap, NOW)
    assert facts["counts"]["36888"] is None and facts["counts"]["36874"] is None
    assert facts["counts"]["32042"] == 3
    system = next(log for log in facts["logs"] if log["log"] == "System")
    assert system["error"] == DENIED_LOG
    assert [o["id"] for o in facts["observed"]] == [32042]
    assert ids(found) == ["unreadable"]
    assert found[0].object == "System" and "not zero" in found[0].message
    assert "Event Log Readers" in found[0].fix


# -- the host -----------------------------------------------------------------------------------------
def test_sections_reading_the_same_item_report_it_once(pki: pf.Hierarchy) -> None:
    result = snapshot_result({ROOT_REG: [pki.root]})
    my_key = physical_store("My", "registry").certificates_key
    for entry in result["keys"]:
        if entry["path"] == my_key:
            entry["subkeys"] = [
                {"name": "AB" * 20, "exists": True, "values": {}, "subkeys": [], "error": DENIED_KEY}
            ]
    snap = Snapshot.from_result(result)
    _facts, alone = _host.select_sections(["server_certificates"])["server_certificates"].analyze(
        {}, snap, NOW
    )
    assert [f.id for f in alone] == ["unreadable"]  # server_certificates reports it on its own too
    sections = _host.select_sections(["certificates", "server_certificates"])
    out = _host.analyze_host(sections, {}, snap, NOW)
    assert [f["object"] for f in out["findings"] if f["id"] == "unreadable"] == [
        f"HKLM\\{my_key}\\{'AB' * 20}"
    ]
