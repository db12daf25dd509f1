# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sfb.pki.root_store / host_info / the root_store role on the simulated lab estate (issue 4)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from simlab import SimLab

from tests.support import blobs
from tests.support import pkifactory as pf

pytestmark = pytest.mark.integration

ROOT_REG_KEY = "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates"
PINS_KEY = "HKLM\\SOFTWARE\\sfb.pki\\RootStore\\Pins"
MOVES_KEY = "HKLM\\SOFTWARE\\sfb.pki\\RootStore\\Moves"
GP_ROOT_REG_KEY = "HKLM\\SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates"
ENT_ROOT_REG_KEY = "HKLM\\SOFTWARE\\Microsoft\\EnterpriseCertificates\\Root\\Certificates"
CA_REG_KEY = "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\CA\\Certificates"
MODULE = "sfb.pki.root_store"
TASK = "sfb.pki.root_store : Bring the machine Root store to the desired state"


def place(lab: SimLab, host: str, key: str, name: str, blob: bytes) -> None:
    """Put a Blob value under a certificate store key of a simulated host."""
    lab.edit(host, lambda m: m.registry.set(f"{key}\\{name}", "Blob", "binary", blob))


def regedits(lab: SimLab, host: str) -> list[dict[str, Any]]:
    """The win_regedit calls made to a host, as (state, path) pairs are easiest to compare."""
    return [c["args"] for c in lab.calls(host, "win_regedit")]


def site(lab: SimLab, tmp_path: Path, extra: dict[str, Any] | None = None, **kw: Any) -> Any:
    extra = {"sfb_pki_root_store_backup_dir": str(tmp_path / "backups"), **(extra or {})}
    kw.setdefault("tags", "root_store")  # site.yml runs other roles too; these tests count root_store's calls
    return lab.run("playbooks/site.yml", extra_vars=extra, **kw)


def test_site_pins_gpo_roots_moves_subordinates_and_converges(lab: SimLab, tmp_path: Path) -> None:
    root, issuing = lab.thumbprint("root"), lab.thumbprint("issuing")
    before_subca = {s: lab.store_thumbprints("subca01", "Root", s) for s in ("registry", "group_policy")}
    res = site(lab, tmp_path)
    assert res.rc == 0, res.stdout + res.stderr
    # fe01: GPO-only root pinned, subordinate moved to CA (it was only in the GPO CA store) and backed up
    assert root in lab.store_thumbprints("fe01", "Root", "registry")
    assert issuing not in lab.store_thumbprints("fe01", "Root", "registry")
    assert issuing in lab.store_thumbprints("fe01", "CA", "registry")
    assert root in lab.store_thumbprints("fe01", "Root", "group_policy")  # the GPO copy is never touched
    backup = tmp_path / "backups" / "fe01" / f"Root-registry-{issuing}.der"
    issued = x509.load_pem_x509_certificate(lab.pki_file("issuing").read_bytes())
    assert backup.read_bytes() == issued.public_bytes(serialization.Encoding.DER)
    record = json.loads(backup.with_suffix(".json").read_text())
    assert (record["host"], record["store"], record["physical"]) == ("fe01", "Root", "registry")
    # edge01: GPO-only root pinned
    assert root in lab.store_thumbprints("edge01", "Root", "registry")
    # subca01: root in Registry and GPO -> untouched, one round trip
    assert {s: lab.store_thumbprints("subca01", "Root", s) for s in before_subca} == before_subca
    assert regedits(lab, "subca01") == []
    # round trips: 1 snapshot + at most 3 per drifted certificate
    assert lab.round_trips("subca01") == 1 and lab.round_trips("offroot01") == 1
    assert lab.round_trips("edge01") == 1 + 2  # one pin: record, add
    assert lab.round_trips("fe01") == 1 + 2 + 3  # one pin; one move: add, remove, record
    fe01 = res.result("fe01", TASK)
    assert [(o["action"], o["store"], o["reason"]) for o in fe01["operations"]] == [
        ("record", "Pins", "pin_policy_root"),
        ("add", "CA", "move_subordinate"),
        ("add", "Root", "pin_policy_root"),
        ("remove", "Root", "move_subordinate"),
        ("record", "Moves", "move_subordinate"),
    ]
    # the records sit in the collection's own key, not beside the certificates
    model = lab.host("fe01")
    assert model.registry.subkeys(PINS_KEY) == [root]
    assert model.registry.subkeys(MOVES_KEY) == [issuing]
    assert model.registry.get(f"{PINS_KEY}\\{root}", "Pinned")["type"] == "string"
    assert model.registry.values(f"{ROOT_REG_KEY}\\{root}").keys() == {"Blob"}
    # second run: nothing changes, one round trip per host
    lab.clear_calls()
    again = site(lab, tmp_path)
    assert again.rc == 0
    assert all(count == 0 for count in again.changed.values()), again.summary()
    assert all(lab.round_trips(h) == 1 for h in lab.hosts)


def test_check_mode_plan_equals_the_real_run(lab: SimLab, tmp_path: Path) -> None:
    before = {h: lab.state(h) for h in lab.hosts}
    planned = site(lab, tmp_path, check=True, diff=True)
    assert planned.rc == 0, planned.stdout + planned.stderr
    assert {h: lab.state(h) for h in lab.hosts} == before  # nothing written
    assert all(regedits(lab, h) == [] for h in lab.hosts)
    assert not (tmp_path / "backups").exists()
    plans = {h: planned.result(h, TASK) for h in ("fe01", "edge01", "subca01")}
    diff = plans["fe01"]["diff"]
    assert [d["before_header"].split(" ", 1)[-1] for d in diff] == [
        "(CA/registry)",
        "(sfb.pki records)",
        "(sfb.pki records)",
        "(Root/registry)",
    ]
    assert (
        lab.thumbprint("issuing") in diff[3]["before"] and lab.thumbprint("issuing") not in diff[3]["after"]
    )
    assert lab.thumbprint("issuing") in diff[1]["after"] and lab.thumbprint("root") in diff[2]["after"]
    lab.clear_calls()
    real = site(lab, tmp_path)
    for host, plan in plans.items():
        done = real.result(host, TASK)
        assert done["operations"] == plan["operations"], host
        assert bool(done["changed"]) == bool(plan["changed"])
        # the call log holds exactly the planned writes, in order
        writes = [(a.get("state", "present"), a["path"]) for a in regedits(lab, host)]
        assert writes == [
            (
                "absent" if o["action"] in ("remove", "forget") else "present",
                o["key"].replace("HKLM\\", "HKLM:\\", 1),
            )
            for o in plan["operations"]
        ], host


def test_fault_between_add_and_remove_then_rerun_converges(lab: SimLab, tmp_path: Path) -> None:
    issuing = lab.thumbprint("issuing")
    # fe01's plan: record the pin, add to CA, pin root, remove the subordinate from Root, record the move;
    # the connection drops before the removal reaches the host (psrp raises; the task is unreachable)
    lab.inject_fault("fe01", "win_regedit", after=3, kind="connection_lost")
    first = site(lab, tmp_path, limit="fe01")
    assert first.failed["fe01"] == 1
    failed = first.result("fe01", TASK)
    assert failed["unreachable"] is True and failed["changed"] is True
    assert "host fe01" in failed["msg"] and "ansible.windows.win_regedit" in failed["msg"]
    assert f"remove {issuing}" in failed["msg"] and "Failed to connect to the host via PSRP" in failed["msg"]
    assert [o["action"] for o in failed["operations"]] == ["record", "add", "add"]
    assert [u["operation"]["action"] for u in failed["unconfirmed"]] == ["remove"]
    assert lab.host("fe01").registry.subkeys(MOVES_KEY) == []  # recorded only once it is out of Root
    # nothing lost: the subordinate is in CA and still in Root, and it was backed up first
    assert issuing in lab.store_thumbprints("fe01", "CA", "registry")
    assert issuing in lab.store_thumbprints("fe01", "Root", "registry")
    assert (tmp_path / "backups" / "fe01" / f"Root-registry-{issuing}.json").exists()
    lab.clear_calls()
    second = site(lab, tmp_path, limit="fe01")
    assert second.rc == 0
    done = second.result("fe01", TASK)
    assert [(o["action"], o["store"]) for o in done["operations"]] == [
        ("remove", "Root"),
        ("record", "Moves"),
    ]
    assert lab.round_trips("fe01") == 3
    assert issuing not in lab.store_thumbprints("fe01", "Root", "registry")
    assert issuing in lab.store_thumbprints("fe01", "CA", "registry")
    lab.clear_calls()
    assert site(lab, tmp_path, limit="fe01").changed["fe01"] == 0


def test_rollover_cross_certificate_is_moved_roots_stay(lab: SimLab, tmp_path: Path) -> None:
    roll = pf.rollover(pf.root_ca("CN=Contoso Rollover Root,O=Contoso", key_type="ecdsa"))
    for item in (roll.old, roll.new, roll.new_signed_by_old):
        place(lab, "subca01", ROOT_REG_KEY, item.thumbprint, item.blob)
    result = lab.adhoc("subca01", MODULE, {"backup_dir": str(tmp_path / "backups")})
    assert result.get("changed") is True, result
    assert [(o["action"], o["store"], o["thumbprint"]) for o in result["operations"]] == [
        ("add", "CA", roll.new_signed_by_old.thumbprint),
        ("remove", "Root", roll.new_signed_by_old.thumbprint),
        ("record", "Moves", roll.new_signed_by_old.thumbprint),
    ]
    in_root = lab.store_thumbprints("subca01", "Root", "registry")
    assert roll.old.thumbprint in in_root and roll.new.thumbprint in in_root
    assert roll.new_signed_by_old.thumbprint not in in_root


def test_expired_md2_and_corrupt_entries_are_reported_not_touched(lab: SimLab) -> None:
    before = set(lab.store_thumbprints("offroot01", "Root", "registry"))  # the root and the baseline's
    expired = pf.expired_root(key_type="ecdsa")
    md2 = pf.md2_root()
    place(lab, "offroot01", ROOT_REG_KEY, expired.thumbprint, expired.blob)
    place(lab, "offroot01", ROOT_REG_KEY, md2.thumbprint, md2.blob)
    place(
        lab, "offroot01", ROOT_REG_KEY, "0123456789ABCDEF0123456789ABCDEF01234567", b"\x03\x00\x00\x00garbage"
    )
    info = lab.adhoc("offroot01", "sfb.pki.host_info", {"sections": ["certificates"]}, check=True)
    assert not info.get("failed"), info
    assert info["changed"] is False
    ids = {(f["id"], f["thumbprint"]) for f in info["findings"]}
    assert ("expired_ca", expired.thumbprint) in ids
    assert ("unverifiable_root", md2.thumbprint) in ids
    assert "undecodable_blob" in {f["id"] for f in info["findings"]}
    assert info["certificates"]["undecodable"][0]["name"] == "0123456789ABCDEF0123456789ABCDEF01234567"
    lab.clear_calls()
    result = lab.adhoc("offroot01", MODULE, {})
    assert result["changed"] is False and result["operations"] == []
    assert {f["id"] for f in result["reported"]} >= {"expired_ca", "unverifiable_root", "undecodable_blob"}
    assert lab.round_trips("offroot01") == 1
    placed = {expired.thumbprint, md2.thumbprint, "0123456789ABCDEF0123456789ABCDEF01234567"}
    assert set(lab.store_thumbprints("offroot01", "Root", "registry")) == before | placed


def test_host_info_is_one_read_only_round_trip(lab: SimLab) -> None:
    info = lab.adhoc("fe01", "sfb.pki.host_info", {"sections": ["certificates"]})
    assert info["changed"] is False
    assert [c["module"] for c in lab.calls("fe01")] == ["win_powershell"]
    found = {f["id"] for f in info["findings"]}
    assert {"gpo_only_root", "subordinate_in_root", "weak_signature_ca"} <= found
    entry = next(c for c in info["certificates"]["certificates"] if c["thumbprint"] == lab.thumbprint("root"))
    assert entry["locations"] == [{"store": "Root", "physical": "group_policy"}]
    assert info["computer_name"] == "FE01"


def test_subordinate_offered_as_root_is_refused_without_contacting_the_host(lab: SimLab) -> None:
    result = lab.adhoc("fe01", MODULE, {"roots": [{"path": str(lab.pki_file("issuing"))}]})
    assert result.get("failed") is True
    assert "is not a root" in result["msg"] and str(lab.pki_file("issuing")) in result["msg"]
    assert lab.round_trips("fe01") == 0


def test_requested_and_absent_roots(lab: SimLab, tmp_path: Path) -> None:
    other = pf.root_ca("CN=Northwind Root CA,O=Northwind", key_type="ecdsa")
    pem = tmp_path / "northwind.pem"
    pem.write_bytes(other.pem)
    added = lab.adhoc("subca01", MODULE, {"roots": [{"path": str(pem)}]})
    assert [o["reason"] for o in added["operations"]] == ["requested"]
    assert other.thumbprint in lab.store_thumbprints("subca01", "Root", "registry")
    root = lab.thumbprint("root")
    backups = tmp_path / "absent-backups"
    removed = lab.adhoc(
        "subca01",
        MODULE,
        {"roots": [{"path": str(lab.pki_file("root")), "state": "absent"}], "backup_dir": str(backups)},
    )
    assert [(o["action"], o["thumbprint"]) for o in removed["operations"]] == [("remove", root)]
    reported = [(f["id"], f["thumbprint"]) for f in removed["reported"]]
    # the GPO copy stays; the root added by the first run is not listed in this one, so it is unvetted
    assert reported == [("root_absent_elsewhere", root), ("unvetted_root", other.thumbprint)]
    assert root not in lab.store_thumbprints("subca01", "Root", "registry")
    assert root in lab.store_thumbprints("subca01", "Root", "group_policy")
    assert (backups / "subca01" / f"Root-registry-{root}.der").exists()


def test_role_audit_mode_reads_only(lab: SimLab, tmp_path: Path) -> None:
    before = lab.state("fe01")
    res = site(lab, tmp_path, limit="fe01")
    lab.clear_calls()
    audit = lab.run(
        "playbooks/site.yml",
        extra_vars={
            "sfb_pki_root_store_audit_only": True,
            "sfb_pki_root_store_backup_dir": str(tmp_path / "b"),
        },
        limit="fe01",
        tags="root_store",
    )
    assert res.rc == 0 and audit.rc == 0, audit.stdout + audit.stderr
    assert audit.changed["fe01"] == 0
    assert [c["module"] for c in lab.calls("fe01")] == ["win_powershell"]
    info = audit.result("fe01", "sfb.pki.root_store : Read the machine certificate stores")
    assert "certificates" in info and "subordinate_in_root" not in {f["id"] for f in info["findings"]}
    assert before != lab.state("fe01")  # the first (enforcing) run did change the host


def stored_blob(lab: SimLab, host: str, key: str, thumbprint: str) -> bytes:
    item = lab.host(host).registry.get(f"{key}\\{thumbprint}", "Blob")
    assert item is not None and item["type"] == "binary", item
    return bytes(item["value"])


def test_pin_and_move_keep_the_stored_blob_byte_for_byte(lab: SimLab, tmp_path: Path) -> None:
    gp_root = pf.root_ca("CN=Northwind Policy Root,O=Northwind", key_type="ecdsa")
    sub = pf.sub_ca(gp_root, "CN=Northwind Smart Card CA,O=Northwind", key_type="ecdsa")
    gp_copy = blobs.admin_copy(gp_root, "Northwind Root (GPO)", (blobs.CLIENT_AUTH,))
    restricted = blobs.admin_copy(sub, "Northwind CA - smart cards only", (blobs.SMART_CARD_LOGON,))
    place(lab, "subca01", GP_ROOT_REG_KEY, gp_copy.thumbprint, gp_copy.blob)
    place(lab, "subca01", ROOT_REG_KEY, restricted.thumbprint, restricted.blob)
    result = lab.adhoc("subca01", MODULE, {"backup_dir": str(tmp_path / "backups")})
    assert result.get("changed") is True, result
    assert [(o["action"], o["store"], o["thumbprint"]) for o in result["operations"]] == [
        ("record", "Pins", gp_copy.thumbprint),
        ("add", "CA", restricted.thumbprint),
        ("add", "Root", gp_copy.thumbprint),
        ("remove", "Root", restricted.thumbprint),
        ("record", "Moves", restricted.thumbprint),
    ]
    assert stored_blob(lab, "subca01", ROOT_REG_KEY, gp_copy.thumbprint) == gp_copy.blob
    assert stored_blob(lab, "subca01", CA_REG_KEY, restricted.thumbprint) == restricted.blob
    record = json.loads(
        (tmp_path / "backups" / "subca01" / f"Root-registry-{restricted.thumbprint}.json").read_text()
    )
    assert base64.b64decode(record["blob_base64"]) == restricted.blob
    # what host_info reads back is the same certificate with its properties
    info = lab.adhoc("subca01", "sfb.pki.host_info", {"sections": ["certificates"]})
    where = {c["thumbprint"]: c["locations"] for c in info["certificates"]["certificates"]}
    assert {"store": "CA", "physical": "registry"} in where[restricted.thumbprint]
    assert {"store": "Root", "physical": "registry"} in where[gp_copy.thumbprint]


def test_reappeared_subordinate_is_reported_and_left_until_the_user_says_so(
    lab: SimLab, tmp_path: Path
) -> None:
    issuing = lab.thumbprint("issuing")
    first = site(lab, tmp_path, limit="fe01")
    assert first.rc == 0 and issuing not in lab.store_thumbprints("fe01", "Root", "registry")
    assert lab.host("fe01").registry.subkeys(MOVES_KEY) == [issuing]
    backup = tmp_path / "backups" / "fe01" / f"Root-registry-{issuing}.json"
    saved = backup.read_text()
    # software distribution (or a GPP registry item) puts it back into the Registry Root store
    place(lab, "fe01", ROOT_REG_KEY, issuing, stored_blob(lab, "fe01", CA_REG_KEY, issuing))
    for _second_and_third in range(2):
        lab.clear_calls()
        again = site(lab, tmp_path, limit="fe01")
        assert again.rc == 0 and again.changed["fe01"] == 0, again.summary()
        assert [c["module"] for c in lab.calls("fe01")] == ["win_powershell"]
        reported = {f["id"]: f for f in again.result("fe01", TASK)["reported"]}
        assert {"subordinate_reappeared", "subordinate_in_root"} <= set(reported)
        assert "Group Policy Preferences" in reported["subordinate_reappeared"]["message"]
        assert issuing in lab.store_thumbprints("fe01", "Root", "registry")
        assert backup.read_text() == saved  # not backed up again
    info = lab.adhoc("fe01", "sfb.pki.host_info", {"sections": ["certificates"]}, check=True)
    back = next(f for f in info["findings"] if f["id"] == "subordinate_reappeared")
    assert back["severity"] == "warning" and back["thumbprint"] == issuing and "SCCM" in back["message"]
    told = site(lab, tmp_path, limit="fe01", extra={"sfb_pki_root_store_move_reappeared": True})
    assert told.rc == 0 and told.changed["fe01"] == 1
    assert [(o["action"], o["store"]) for o in told.result("fe01", TASK)["operations"]] == [
        ("remove", "Root"),
        ("record", "Moves"),
    ]
    assert issuing not in lab.store_thumbprints("fe01", "Root", "registry")


def test_orphan_pin_is_reported_then_removed_when_asked(lab: SimLab, tmp_path: Path) -> None:
    root = lab.thumbprint("root")
    ad_root = pf.root_ca("CN=Contoso AD Root,O=Contoso", key_type="ecdsa")
    place(lab, "edge01", ENT_ROOT_REG_KEY, ad_root.thumbprint, ad_root.blob)
    first = site(lab, tmp_path, limit="edge01")
    assert first.rc == 0, first.stdout + first.stderr
    pinned = first.result("edge01", TASK)
    assert [(o["action"], o["thumbprint"]) for o in pinned["operations"]] == [("record", root), ("add", root)]
    assert [f["id"] for f in pinned["reported"]] == ["enterprise_only_root"]  # reported, never pinned
    assert ad_root.thumbprint not in lab.store_thumbprints("edge01", "Root", "registry")
    # the PKI team retires the root from the GPO
    lab.edit("edge01", lambda m: m.registry.delete_tree(f"{GP_ROOT_REG_KEY}\\{root}"))
    info = lab.adhoc("edge01", "sfb.pki.host_info", {"sections": ["certificates"]}, check=True)
    orphan = next(f for f in info["findings"] if f["id"] == "orphan_pin")
    assert orphan["thumbprint"] == root and "remove_orphan_pins" in orphan["fix"]
    assert site(lab, tmp_path, limit="edge01").changed["edge01"] == 0  # default: reported only
    before = lab.state("edge01")
    lab.clear_calls()
    planned = site(
        lab,
        tmp_path,
        limit="edge01",
        check=True,
        diff=True,
        extra={"sfb_pki_root_store_remove_orphan_pins": True},
    )
    assert planned.rc == 0 and lab.state("edge01") == before and regedits(lab, "edge01") == []
    plan = planned.result("edge01", TASK)
    assert [(o["action"], o["store"], o["reason"]) for o in plan["operations"]] == [
        ("remove", "Root", "orphan_pin"),
        ("forget", "Pins", "orphan_pin"),
    ]
    assert [d["before_header"].split(" ", 1)[-1] for d in plan["diff"]] == [
        "(sfb.pki records)",
        "(Root/registry)",
    ]
    assert not (tmp_path / "backups" / "edge01").exists()
    lab.clear_calls()
    done = site(lab, tmp_path, limit="edge01", extra={"sfb_pki_root_store_remove_orphan_pins": True})
    assert done.result("edge01", TASK)["operations"] == plan["operations"]
    assert [(a.get("state"), a["path"].split("\\")[-1]) for a in regedits(lab, "edge01")] == [
        ("absent", root),
        ("absent", root),
    ]
    assert root not in lab.store_thumbprints("edge01", "Root", "registry")
    assert lab.host("edge01").registry.subkeys(PINS_KEY) == []
    record = json.loads((tmp_path / "backups" / "edge01" / f"Root-registry-{root}.json").read_text())
    assert record["reason"] == "orphan_pin" and record["blob_base64"]
    lab.clear_calls()
    assert (
        site(lab, tmp_path, limit="edge01", extra={"sfb_pki_root_store_remove_orphan_pins": True}).changed[
            "edge01"
        ]
        == 0
    )
