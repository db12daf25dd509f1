# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sfb.pki.root_store / host_info / the root_store role on the simulated lab estate (issue 4)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from simlab import SimLab

from tests.support import pkifactory as pf

pytestmark = pytest.mark.integration

ROOT_REG_KEY = "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates"
MODULE = "sfb.pki.root_store"
TASK = "sfb.pki.root_store : Bring the machine Root store to the desired state"


def place(lab: SimLab, host: str, key: str, name: str, blob: bytes) -> None:
    """Put a Blob value under a certificate store key of a simulated host."""
    lab.edit(host, lambda m: m.registry.set(f"{key}\\{name}", "Blob", "binary", blob))


def regedits(lab: SimLab, host: str) -> list[dict[str, Any]]:
    """The win_regedit calls made to a host, as (state, path) pairs are easiest to compare."""
    return [c["args"] for c in lab.calls(host, "win_regedit")]


def site(lab: SimLab, tmp_path: Path, **kw: Any) -> Any:
    extra = {"root_store_backup_dir": str(tmp_path / "backups")}
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
    # round trips: 1 snapshot + at most 2 per drifted certificate
    assert lab.round_trips("subca01") == 1 and lab.round_trips("offroot01") == 1
    assert lab.round_trips("edge01") == 1 + 1  # one pin
    assert lab.round_trips("fe01") == 1 + 1 + 2  # one pin, one move
    fe01 = res.result("fe01", TASK)
    assert [(o["action"], o["store"], o["reason"]) for o in fe01["operations"]] == [
        ("add", "CA", "move_subordinate"),
        ("add", "Root", "pin_policy_root"),
        ("remove", "Root", "move_subordinate"),
    ]
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
    assert [d["before_header"].rsplit(" ", 1)[-1] for d in diff] == ["(CA/registry)", "(Root/registry)"]
    assert (
        lab.thumbprint("issuing") in diff[1]["before"] and lab.thumbprint("issuing") not in diff[1]["after"]
    )
    lab.clear_calls()
    real = site(lab, tmp_path)
    for host, plan in plans.items():
        done = real.result(host, TASK)
        assert done["operations"] == plan["operations"], host
        assert bool(done["changed"]) == bool(plan["changed"])
        # the call log holds exactly the planned writes, in order
        writes = [
            (
                "remove" if a.get("state") == "absent" else "add",
                a["path"].split("\\")[-1],
                a["path"].split("\\")[-3],
            )
            for a in regedits(lab, host)
        ]
        assert writes == [
            (o["action"], o["thumbprint"], "ROOT" if o["store"] == "Root" else o["store"])
            for o in plan["operations"]
        ], host


def test_fault_between_add_and_remove_then_rerun_converges(lab: SimLab, tmp_path: Path) -> None:
    issuing = lab.thumbprint("issuing")
    # fe01's plan: add to CA, pin root, remove the subordinate from Root; the removal fails
    # the connection drops before the removal reaches the host (psrp raises; the task is unreachable)
    lab.inject_fault("fe01", "win_regedit", after=2, kind="connection_lost")
    first = site(lab, tmp_path, limit="fe01")
    assert first.failed["fe01"] == 1
    failed = first.result("fe01", TASK)
    assert failed["unreachable"] is True and failed["changed"] is True
    assert "host fe01" in failed["msg"] and "ansible.windows.win_regedit" in failed["msg"]
    assert f"remove {issuing}" in failed["msg"] and "Failed to connect to the host via PSRP" in failed["msg"]
    assert [o["action"] for o in failed["operations"]] == ["add", "add"]
    assert [u["operation"]["action"] for u in failed["unconfirmed"]] == ["remove"]
    # nothing lost: the subordinate is in CA and still in Root, and it was backed up first
    assert issuing in lab.store_thumbprints("fe01", "CA", "registry")
    assert issuing in lab.store_thumbprints("fe01", "Root", "registry")
    assert (tmp_path / "backups" / "fe01" / f"Root-registry-{issuing}.json").exists()
    lab.clear_calls()
    second = site(lab, tmp_path, limit="fe01")
    assert second.rc == 0
    done = second.result("fe01", TASK)
    assert [(o["action"], o["store"]) for o in done["operations"]] == [("remove", "Root")]
    assert lab.round_trips("fe01") == 2
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
        extra_vars={"root_store_audit_only": True, "root_store_backup_dir": str(tmp_path / "b")},
        limit="fe01",
        tags="root_store",
    )
    assert res.rc == 0 and audit.rc == 0, audit.stdout + audit.stderr
    assert audit.changed["fe01"] == 0
    assert [c["module"] for c in lab.calls("fe01")] == ["win_powershell"]
    info = audit.result("fe01", "sfb.pki.root_store : Read the machine certificate stores")
    assert "certificates" in info and "subordinate_in_root" not in {f["id"] for f in info["findings"]}
    assert before != lab.state("fe01")  # the first (enforcing) run did change the host
