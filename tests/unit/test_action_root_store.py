# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The root_store and host_info action plugins against an in-memory host (no Ansible run needed)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.action.host_info import ActionModule as HostInfo
from ansible_collections.sfb.pki.plugins.action.root_store import ActionModule as RootStore
from ansible_collections.sfb.pki.plugins.module_utils._blob import decode_certificate_blob
from tests.support import blobs
from tests.support import pkifactory as pf
from tests.support.snapshots import CA_REG, ROOT_GP, ROOT_REG
from tests.unit.fakehost import FakeHost, make_action

REGEDIT = "ansible.windows.win_regedit"


def run(
    host: FakeHost, tmp_path: Path, check: bool = False, diff: bool = False, **args: Any
) -> dict[str, Any]:
    args.setdefault("backup_dir", str(tmp_path / "backups"))
    action = make_action(RootStore, args, host, check_mode=check, diff=diff)
    return dict(action.run(task_vars={"inventory_hostname": "fe01", "playbook_dir": str(tmp_path)}))


def drifted(pki: pf.Hierarchy, other: pf.Issued) -> FakeHost:
    return FakeHost({ROOT_GP: [other], ROOT_REG: [pki.root, pki.issuing]})


def test_healthy_host_is_one_round_trip(pki: pf.Hierarchy, tmp_path: Path) -> None:
    host = FakeHost({ROOT_REG: [pki.root], CA_REG: [pki.issuing]})
    result = run(host, tmp_path)
    assert result["changed"] is False and not result.get("failed")
    assert [c[0] for c in host.calls] == ["ansible.windows.win_powershell"]


def test_drift_is_fixed_add_before_remove_with_backups(
    pki: pf.Hierarchy, other: pf.Issued, tmp_path: Path
) -> None:
    host = drifted(pki, other)
    result = run(host, tmp_path)
    assert result["changed"] is True, result
    assert host.thumbprints(*ROOT_REG) == {pki.root.thumbprint, other.thumbprint}
    assert host.thumbprints(*CA_REG) == {pki.issuing.thumbprint}
    assert host.thumbprints(*ROOT_GP) == {other.thumbprint}
    # 1 snapshot + pin (record, add) + move (add, remove, record)
    assert [c[0] for c in host.calls].count(REGEDIT) == 5 and len(host.calls) == 6
    actions = [(c[1].get("state", "present"), c[1]["path"].split("\\")[-3]) for c in host.calls[1:]]
    assert actions == [
        ("present", "RootStore"),
        ("present", "CA"),
        ("present", "ROOT"),
        ("absent", "ROOT"),
        ("present", "RootStore"),
    ]
    pins = host.records["software\\sfb.pki\\rootstore\\pins"]
    moves = host.records["software\\sfb.pki\\rootstore\\moves"]
    assert list(pins) == [other.thumbprint] and list(moves) == [pki.issuing.thumbprint]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", pins[other.thumbprint]["Pinned"])
    assert set(moves[pki.issuing.thumbprint]) == {"Moved"}
    written = host.keys["software\\microsoft\\systemcertificates\\root\\certificates"][other.thumbprint]
    assert decode_certificate_blob(written, "written", other.thumbprint) == other.der
    # the backup exists and was written before the removal
    der = tmp_path / "backups" / "fe01" / f"Root-registry-{pki.issuing.thumbprint}.der"
    record = json.loads(der.with_suffix(".json").read_text())
    assert der.read_bytes() == pki.issuing.der
    assert record["host"] == "fe01" and record["store"] == "Root" and record["physical"] == "registry"
    assert record["registry_key"].endswith(pki.issuing.thumbprint) and record["blob_hex"].startswith("hex:")
    assert sorted(result["backups"]) == sorted([str(der), str(der.with_suffix(".json"))])
    # second run: nothing to do, one round trip
    host.calls.clear()
    again = run(host, tmp_path)
    assert again["changed"] is False and again["operations"] == [] and len(host.calls) == 1


def test_check_mode_plans_exactly_what_a_real_run_does(
    pki: pf.Hierarchy, other: pf.Issued, tmp_path: Path
) -> None:
    planned_host = drifted(pki, other)
    planned = run(planned_host, tmp_path, check=True, diff=True)
    assert planned["changed"] is True
    assert len(planned_host.calls) == 1  # read only
    assert planned_host.thumbprints(*ROOT_REG) == {pki.root.thumbprint, pki.issuing.thumbprint}
    assert not (tmp_path / "backups").exists()
    assert [d["before_header"].split(" ", 1)[-1] for d in planned["diff"]] == [
        "(CA/registry)",
        "(sfb.pki records)",
        "(sfb.pki records)",
        "(Root/registry)",
    ]
    real = run(drifted(pki, other), tmp_path)
    assert planned["operations"] == real["operations"]


def test_fault_between_add_and_remove_then_rerun_converges(pki: pf.Hierarchy, tmp_path: Path) -> None:
    host = FakeHost({ROOT_REG: [pki.root, pki.issuing]})
    host.fail_on = 3  # snapshot, add to CA, >>> remove from Root fails
    failed = run(host, tmp_path)
    assert failed["failed"] is True
    assert "host fe01" in failed["msg"] and REGEDIT in failed["msg"] and "remove" in failed["msg"]
    assert "simulated module failure" in failed["msg"]
    assert failed["changed"] is True and [o["action"] for o in failed["operations"]] == ["add"]
    # nothing lost: it is in CA, still in Root, and backed up
    assert pki.issuing.thumbprint in host.thumbprints(*CA_REG)
    assert pki.issuing.thumbprint in host.thumbprints(*ROOT_REG)
    assert len(failed["backups"]) == 2
    host.fail_on = None
    host.calls.clear()
    rerun = run(host, tmp_path)
    assert [(o["action"], o["store"]) for o in rerun["operations"]] == [
        ("remove", "Root"),
        ("record", "Moves"),
    ]
    assert len(host.calls) == 3
    assert host.thumbprints(*ROOT_REG) == {pki.root.thumbprint}
    assert run(host, tmp_path)["changed"] is False


def test_failed_snapshot_names_host_module_and_step(tmp_path: Path) -> None:
    host = FakeHost()
    host.fail_on = 1
    result = run(host, tmp_path)
    assert result["failed"] is True
    assert result["msg"].startswith(
        "host fe01: read the host snapshot: ansible.windows.win_powershell failed"
    )


@pytest.mark.parametrize(
    "roots, fault",
    [
        ([{"content": "not a certificate"}], "roots[0].content"),
        ([{"path": "missing.pem"}], "roots[0].path missing.pem: cannot be read"),
        ([{}], "give exactly one of content or path"),
    ],
)
def test_bad_input_fails_before_touching_the_host(
    tmp_path: Path, roots: list[dict[str, Any]], fault: str
) -> None:
    host = FakeHost()
    result = run(host, tmp_path, roots=roots)
    assert result["failed"] is True and fault in result["msg"]
    assert result["changed"] is False and host.calls == []


def test_subordinate_offered_as_root_is_refused(pki: pf.Hierarchy, tmp_path: Path) -> None:
    host = FakeHost()
    pem = tmp_path / "sub.pem"
    pem.write_bytes(pki.issuing.pem)
    action = make_action(RootStore, {"roots": [{"path": str(pem)}]}, host)
    result = action.run(task_vars={"inventory_hostname": "fe01", "playbook_dir": str(tmp_path)})
    assert result["failed"] is True and "is not a root" in result["msg"] and str(pem) in result["msg"]
    assert host.calls == []


def test_requested_root_from_a_file(other: pf.Issued, tmp_path: Path) -> None:
    host = FakeHost()
    pem = tmp_path / "root.pem"
    pem.write_bytes(other.pem)
    action = make_action(RootStore, {"roots": [{"path": str(pem)}], "backup_dir": None}, host)
    result = action.run(task_vars={"inventory_hostname": "fe01", "playbook_dir": str(tmp_path)})
    assert result["changed"] is True and result["operations"][0]["reason"] == "requested"
    assert host.thumbprints(*ROOT_REG) == {other.thumbprint}


def test_unknown_option_is_rejected(tmp_path: Path) -> None:
    host = FakeHost()
    result = run(host, tmp_path, subordinates="delete")
    assert result["failed"] is True and "subordinates" in result["msg"] and host.calls == []


def test_host_info_one_call_and_findings(pki: pf.Hierarchy, other: pf.Issued) -> None:
    host = drifted(pki, other)
    action = make_action(HostInfo, {"sections": ["certificates"]}, host, check_mode=True)
    result = action.run(task_vars={"inventory_hostname": "fe01"})
    assert result["changed"] is False and not result.get("failed")
    assert len(host.calls) == 1
    assert host.calls[0][1]["depth"] >= 12
    assert result["computer_name"] == "FE01"
    assert {f["id"] for f in result["findings"]} == {"gpo_only_root", "subordinate_in_root"}
    assert len(result["certificates"]["certificates"]) == 3


def test_snapshot_skipped_in_check_mode_is_a_clear_error(tmp_path: Path) -> None:
    host = FakeHost()
    host.execute = lambda module_name, module_args, task_vars=None: {  # type: ignore[method-assign]
        "changed": True,
        "msg": "skipped, running in check mode",
    }
    action = make_action(HostInfo, {}, host, check_mode=True)
    result = action.run(task_vars={"inventory_hostname": "fe01"})
    assert result["failed"] is True
    assert "returned no snapshot" in result["msg"] and "check mode" in result["msg"]


def test_a_prior_snapshot_saves_the_read(pki: pf.Hierarchy, other: pf.Issued, tmp_path: Path) -> None:
    host = drifted(pki, other)
    info = make_action(
        HostInfo, {"sections": ["certificates", "provenance", "services"], "return_snapshot": True}, host
    ).run(task_vars={"inventory_hostname": "fe01"})
    assert set(info["snapshot"]) == {"request", "result"}
    host.calls.clear()
    result = run(host, tmp_path, snapshot=info["snapshot"])
    assert result["changed"] is True
    # the plan came from the prior read: only the writes reach the host
    assert [c[0] for c in host.calls] == [REGEDIT] * 5
    again = make_action(
        HostInfo, {"sections": ["certificates", "provenance"], "snapshot": info["snapshot"]}, host
    )
    host.calls.clear()
    assert again.run(task_vars={"inventory_hostname": "fe01"})["findings"] == info["findings"]
    assert host.calls == []


def test_a_prior_snapshot_that_lacks_a_store_is_not_trusted(pki: pf.Hierarchy, tmp_path: Path) -> None:
    host = FakeHost({ROOT_REG: [pki.root], CA_REG: [pki.issuing]})
    info = make_action(HostInfo, {"sections": ["services"], "return_snapshot": True}, host).run(
        task_vars={"inventory_hostname": "fe01"}
    )
    host.calls.clear()
    result = run(host, tmp_path, snapshot=info["snapshot"])
    assert result["changed"] is False and not result.get("failed")
    assert [c[0] for c in host.calls] == ["ansible.windows.win_powershell"]


def test_a_malformed_snapshot_is_refused(pki: pf.Hierarchy, tmp_path: Path) -> None:
    host = FakeHost({ROOT_REG: [pki.root]})
    result = run(host, tmp_path, snapshot={"result": "nope"})
    assert result["failed"] is True and "snapshot" in result["msg"] and host.calls == []


def test_pin_and_move_write_the_stored_blob_and_back_up_the_original(
    pki: pf.Hierarchy, other: pf.Issued, tmp_path: Path
) -> None:
    gp_copy = blobs.admin_copy(other, "Fabrikam Root (pushed by GPO)", (blobs.CLIENT_AUTH,))
    restricted = blobs.admin_copy(pki.issuing, "Issuing CA (smart cards)", (blobs.SMART_CARD_LOGON,))
    host = FakeHost({ROOT_GP: [gp_copy], ROOT_REG: [pki.root, restricted]})
    result = run(host, tmp_path)
    assert result["changed"] is True, result
    root_key = "software\\microsoft\\systemcertificates\\root\\certificates"
    ca_key = "software\\microsoft\\systemcertificates\\ca\\certificates"
    assert host.keys[root_key][other.thumbprint] == gp_copy.blob  # pinned: the GPO's blob, byte for byte
    assert host.keys[ca_key][pki.issuing.thumbprint] == restricted.blob  # moved: Root's blob, byte for byte
    record = json.loads(
        (tmp_path / "backups" / "fe01" / f"Root-registry-{pki.issuing.thumbprint}.json").read_text()
    )
    assert base64.b64decode(record["blob_base64"]) == restricted.blob
    assert record["blob_hex"] == "hex:" + ",".join(f"{b:02x}" for b in restricted.blob)


def test_a_subordinate_put_back_is_reported_and_not_moved_again(pki: pf.Hierarchy, tmp_path: Path) -> None:
    host = FakeHost({ROOT_REG: [pki.root, pki.issuing]})
    assert run(host, tmp_path)["changed"] is True
    # software distribution puts it back
    host.keys["software\\microsoft\\systemcertificates\\root\\certificates"][pki.issuing.thumbprint] = (
        pki.issuing.blob
    )
    backups = sorted((tmp_path / "backups" / "fe01").iterdir())
    for _second_and_third in range(2):
        host.calls.clear()
        again = run(host, tmp_path)
        assert again["changed"] is False and again["operations"] == [], again
        assert "subordinate_reappeared" in {f["id"] for f in again["reported"]}
        assert [c[0] for c in host.calls] == ["ansible.windows.win_powershell"]
        assert sorted((tmp_path / "backups" / "fe01").iterdir()) == backups  # no new backup either
    # the user says so
    moved = run(host, tmp_path, move_reappeared=True)
    assert [(o["action"], o["store"]) for o in moved["operations"]] == [
        ("remove", "Root"),
        ("record", "Moves"),
    ]
    assert pki.issuing.thumbprint not in host.thumbprints(*ROOT_REG)


def test_orphan_pin_removal_check_mode_diff_and_backup(
    pki: pf.Hierarchy, other: pf.Issued, tmp_path: Path
) -> None:
    gp_copy = blobs.admin_copy(other, "Fabrikam Root (GPO)", (blobs.CLIENT_AUTH,))
    host = FakeHost({ROOT_GP: [gp_copy], ROOT_REG: [pki.root]})
    pinned = run(host, tmp_path)
    assert [(o["action"], o["store"]) for o in pinned["operations"]] == [("record", "Pins"), ("add", "Root")]
    # the PKI team retires the root from the GPO
    del host.keys["software\\policies\\microsoft\\systemcertificates\\root\\certificates"][other.thumbprint]
    info = make_action(HostInfo, {"sections": ["certificates"]}, host).run(
        task_vars={"inventory_hostname": "fe01"}
    )
    assert [(f["id"], f["thumbprint"]) for f in info["findings"]] == [("orphan_pin", other.thumbprint)]
    default = run(host, tmp_path)
    assert default["changed"] is False
    assert [f["thumbprint"] for f in default["reported"] if f["id"] == "orphan_pin"] == [other.thumbprint]
    host.calls.clear()
    planned = run(host, tmp_path, check=True, diff=True, remove_orphan_pins=True)
    assert [c[0] for c in host.calls] == ["ansible.windows.win_powershell"]
    assert not (tmp_path / "backups").exists()
    assert [(o["action"], o["store"], o["reason"]) for o in planned["operations"]] == [
        ("remove", "Root", "orphan_pin"),
        ("forget", "Pins", "orphan_pin"),
    ]
    pins_diff, root_diff = planned["diff"]
    assert other.thumbprint in pins_diff["before"] and pins_diff["after"] == ""
    assert other.thumbprint in root_diff["before"] and other.thumbprint not in root_diff["after"]
    host.calls.clear()
    done = run(host, tmp_path, remove_orphan_pins=True)
    assert done["operations"] == planned["operations"] and done["changed"] is True
    assert [(c[1].get("state"), c[1]["path"]) for c in host.calls[1:]] == [
        ("absent", f"HKLM:\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\{other.thumbprint}"),
        ("absent", f"HKLM:\\SOFTWARE\\sfb.pki\\RootStore\\Pins\\{other.thumbprint}"),
    ]
    backup = json.loads(
        (tmp_path / "backups" / "fe01" / f"Root-registry-{other.thumbprint}.json").read_text()
    )
    assert backup["reason"] == "orphan_pin" and base64.b64decode(backup["blob_base64"]) == gp_copy.blob
    assert run(host, tmp_path, remove_orphan_pins=True)["changed"] is False


def test_unvetted_remove_backs_up_and_removes_only_unvetted_registry_roots(
    pki: pf.Hierarchy, other: pf.Issued, tmp_path: Path
) -> None:
    stray = pf.root_ca("CN=Stray Root,O=Nobody", key_type="ecdsa")
    ours = pf.root_ca("CN=Declared Root,O=Contoso", key_type="ecdsa")
    host = FakeHost({ROOT_REG: [pki.root, stray, ours, other], ROOT_GP: [other], CA_REG: [pki.issuing]})
    args = {
        "roots": [{"content": pki.root.pem, "state": "present"}],
        "unvetted": "remove",
        "provenance_declared_roots": [ours.thumbprint],
    }
    planned = run(host, tmp_path, check=True, **args)
    assert [(o["action"], o["thumbprint"], o["reason"]) for o in planned["operations"]] == [
        ("remove", stray.thumbprint, "unvetted")
    ]
    assert not (tmp_path / "backups").exists() and len(host.calls) == 1
    host.calls.clear()
    done = run(host, tmp_path, **args)
    assert done["operations"] == planned["operations"] and done["changed"] is True
    assert host.thumbprints(*ROOT_REG) == {pki.root.thumbprint, ours.thumbprint, other.thumbprint}
    der = tmp_path / "backups" / "fe01" / f"Root-registry-{stray.thumbprint}.der"
    assert der.read_bytes() == stray.der
    assert json.loads(der.with_suffix(".json").read_text())["reason"] == "unvetted"
    host.calls.clear()
    again = run(host, tmp_path, **args)
    assert again["changed"] is False and len(host.calls) == 1
    assert not [f for f in again["reported"] if f["id"] == "unvetted_root"]


def test_unvetted_report_is_the_default(pki: pf.Hierarchy, tmp_path: Path) -> None:
    stray = pf.root_ca("CN=Stray Root,O=Nobody", key_type="ecdsa")
    host = FakeHost({ROOT_REG: [stray]})
    result = run(host, tmp_path)
    assert result["changed"] is False
    assert [f["object"] for f in result["reported"] if f["id"] == "unvetted_root"] == [
        f"Root/registry/{stray.thumbprint}"
    ]
    bad = run(host, tmp_path, unvetted="delete")
    assert bad["failed"] is True and "unvetted" in bad["msg"]
