# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _host
from ansible_collections.sfb.pki.plugins.module_utils import _section_certificates as section
from ansible_collections.sfb.pki.plugins.module_utils._findings import Finding
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest
from ansible_collections.sfb.pki.plugins.module_utils._stores import PHYSICAL_STORES, physical_store
from tests.support import pkifactory as pf
from tests.support.snapshots import CA_REG, ROOT_3P, ROOT_ENT, ROOT_GP, ROOT_REG, snapshot, snapshot_result

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def roll() -> pf.Rollover:
    return pf.rollover(pf.root_ca("CN=Fabrikam Root CA,O=Fabrikam", key_type="ecdsa"))


def run(*args: Any, **kwargs: Any) -> tuple[dict[str, Any], list[Finding]]:
    return section.analyze({}, snapshot(*args, **kwargs), NOW)


def ids(found: list[Finding], thumbprint: str | None = None) -> list[str]:
    return sorted(f.id for f in found if thumbprint is None or f.thumbprint == thumbprint)


def test_request_reads_every_physical_store_and_ca_crls() -> None:
    req = SnapshotRequest()
    section.request({}, req)
    assert len(PHYSICAL_STORES) == 8
    for store in PHYSICAL_STORES:
        assert req.keys[store.certificates_key] == 1
    assert {k for k in req.keys if k.endswith("\\CRLs")} == {
        s.crls_key for s in PHYSICAL_STORES if s.logical == "CA"
    }


def test_gpo_only_root_is_found(pki: pf.Hierarchy) -> None:
    facts, found = run({ROOT_GP: [pki.root]})
    assert ids(found) == ["gpo_only_root"]
    assert found[0].thumbprint == pki.root.thumbprint
    assert "sfb.pki.root_store" in found[0].fix
    [cert] = facts["certificates"]
    assert cert["locations"] == [{"store": "Root", "physical": "group_policy"}]


def test_enterprise_only_root_is_only_information(pki: pf.Hierarchy) -> None:
    _unused, found = run({ROOT_ENT: [pki.root]})
    assert [(f.id, f.severity) for f in found] == [("enterprise_only_root", "info")]
    assert "enterprise" in found[0].message


@pytest.mark.parametrize("stable", [ROOT_REG, ROOT_3P])
def test_root_also_in_a_stable_store_is_fine(pki: pf.Hierarchy, stable: tuple[str, str]) -> None:
    facts, found = run({ROOT_GP: [pki.root], stable: [pki.root]})
    assert found == []
    [cert] = facts["certificates"]
    assert {(loc["store"], loc["physical"]) for loc in cert["locations"]} == {ROOT_GP, stable}


def test_certificate_fields(pki: pf.Hierarchy) -> None:
    facts, _unused = run({ROOT_REG: [pki.root], CA_REG: [pki.issuing], ("My", "registry"): [pki.leaf]})
    by_thumb = {c["thumbprint"]: c for c in facts["certificates"]}
    root = by_thumb[pki.root.thumbprint]
    for name in (
        "subject",
        "issuer",
        "locations",
        "self_signed",
        "self_issued",
        "is_ca",
        "signature_algorithm",
        "weak_signature",
        "not_after",
        "expired",
        "days_left",
        "ekus",
    ):
        assert name in root
    assert root["self_signed"] is True and root["is_ca"] is True and root["expired"] is False
    leaf = by_thumb[pki.leaf.thumbprint]
    assert leaf["locations"] == [{"store": "My", "physical": "registry"}]
    assert pf.SERVER_AUTH in leaf["ekus"] and leaf["is_ca"] is False
    assert by_thumb[pki.issuing.thumbprint]["self_signed"] is False


def test_subordinate_in_registry_root(pki: pf.Hierarchy) -> None:
    _unused, found = run({ROOT_REG: [pki.root, pki.issuing]})
    assert ids(found) == ["subordinate_in_root"]
    assert found[0].severity == "critical"
    assert found[0].object == f"Root/registry/{pki.issuing.thumbprint}"
    assert "0x800B0109 CERT_E_UNTRUSTEDROOT" in found[0].symptoms


def test_subordinate_in_policy_root(pki: pf.Hierarchy) -> None:
    _unused, found = run({ROOT_GP: [pki.issuing], ROOT_REG: [pki.root]})
    assert ids(found) == ["subordinate_in_policy_root"]
    assert "GPO" in found[0].fix
    # never reported as a GPO-only *root*
    assert "gpo_only_root" not in ids(found)


def test_subordinate_in_enterprise_and_registry_is_one_finding_per_copy(pki: pf.Hierarchy) -> None:
    _unused, found = run({ROOT_ENT: [pki.issuing], ROOT_REG: [pki.issuing]})
    assert sorted(f.object or "" for f in found) == [
        f"Root/enterprise/{pki.issuing.thumbprint}",
        f"Root/registry/{pki.issuing.thumbprint}",
    ]


def test_key_rollover_cross_certificate_is_a_subordinate(roll: pf.Rollover) -> None:
    cross = roll.old_signed_by_new
    facts, found = run({ROOT_REG: [roll.old, roll.new, cross]})
    assert ids(found) == ["subordinate_in_root"]
    assert found[0].thumbprint == cross.thumbprint
    entry = next(c for c in facts["certificates"] if c["thumbprint"] == cross.thumbprint)
    assert entry["self_issued"] is True and entry["self_signed"] is False


def test_md2_root_is_unverifiable_never_a_subordinate() -> None:
    md2 = pf.md2_root()
    facts, found = run({ROOT_REG: [md2]})
    assert "subordinate_in_root" not in ids(found)
    assert "unverifiable_root" in ids(found)
    assert facts["certificates"][0]["self_signed"] is None
    _unused, gp_found = run({ROOT_GP: [md2]})
    gpo = next(f for f in gp_found if f.id == "gpo_only_root")
    assert "not pinned automatically" in gpo.fix
    # Windows Update's own store holds such roots; nothing to say about them there
    _unused, third = run({ROOT_3P: [md2]})
    assert "unverifiable_root" not in ids(third)


def test_weak_signatures(pki: pf.Hierarchy) -> None:
    md5 = pf.weak_root("md5")
    rsa_root = pf.root_ca("CN=RSA Root,O=Contoso")
    sha1_sub = pf.sub_ca(rsa_root, "CN=Old Sub,O=Contoso", hash="sha1")
    _unused, found = run({ROOT_REG: [md5, pki.root], CA_REG: [sha1_sub]})
    weak = {f.thumbprint: f for f in found if f.id == "weak_signature_ca"}
    assert weak[md5.thumbprint].severity == "critical"
    assert "36888" in " ".join(weak[md5.thumbprint].symptoms)
    assert weak[sha1_sub.thumbprint].severity == "warning"
    assert pki.root.thumbprint not in weak
    _unused, third = run({ROOT_3P: [md5]})
    assert [f.severity for f in third if f.id == "weak_signature_ca"] == ["info"]


def test_expired_and_expiring_ca(pki: pf.Hierarchy) -> None:
    old = pf.expired_root()
    _unused, found = run({ROOT_REG: [old, pki.root]})
    assert ids(found) == ["expired_ca"]
    assert found[0].thumbprint == old.thumbprint and "never removed" in found[0].message
    soon = pki.root.cert.not_valid_after_utc - dt.timedelta(days=10)
    inv_found = section.analyze({"certificate_expiry_days": 30}, snapshot({ROOT_REG: [pki.root]}), soon)[1]
    assert ids(inv_found) == ["expiring_ca"]
    assert section.analyze({"certificate_expiry_days": 5}, snapshot({ROOT_REG: [pki.root]}), soon)[1] == []


def test_corrupt_values_are_findings_not_crashes(pki: pf.Hierarchy) -> None:
    wrong_name = "0" * 40
    facts, found = run(
        {ROOT_REG: [pki.root]},
        raw={ROOT_REG: {"DEADBEEF": b"\x20\x00\x00\x00garbage", wrong_name: pki.issuing.blob}},
        raw_values={
            ROOT_GP: {"AB": {"Blob": {"type": "string", "value": "text"}}, "CD": {}},
            CA_REG: {"EF": {"Blob": {"type": "binary", "value": "!!not base64!!"}}},
        },
    )
    bad = [f for f in found if f.id == "undecodable_blob"]
    assert len(bad) == 5
    assert all(f.severity == "warning" for f in bad)
    reasons = {u["name"]: u["reason"] for u in facts["undecodable"]}
    assert "does not match" in reasons[wrong_name]
    assert "expected binary" in reasons["AB"]
    assert "no Blob value" in reasons["CD"]
    assert "base64" in reasons["EF"]
    assert any("DEADBEEF" in (f.object or "") for f in bad)
    # the good certificate is still there
    assert [c["thumbprint"] for c in facts["certificates"]] == [pki.root.thumbprint]


def test_crls_are_read_with_locations(pki: pf.Hierarchy) -> None:
    crl = pf.crl(pki.root, number=7)
    facts, found = run({CA_REG: [pki.issuing]}, crls={CA_REG: [crl], ("CA", "enterprise"): [crl]}, raw={})
    [entry] = facts["crls"]
    assert entry["crl_number"] == 7
    assert entry["issuer"] == pki.root.name
    # in store-map order, Registry first
    assert entry["locations"] == [
        {"store": "CA", "physical": "registry"},
        {"store": "CA", "physical": "enterprise"},
    ]
    assert found == []


def test_corrupt_crl_blob_is_a_finding(pki: pf.Hierarchy) -> None:
    result_snap = snapshot({}, crls={CA_REG: [pki.root]})  # a certificate blob where a CRL belongs
    facts, found = section.analyze({}, result_snap, NOW)
    assert ids(found) == ["undecodable_blob"]
    assert facts["undecodable"][0]["kind"] == "crl"


def test_missing_store_keys(pki: pf.Hierarchy) -> None:
    facts, found = run({ROOT_REG: [pki.root]}, missing=[ROOT_GP, ROOT_ENT])
    assert found == [] and len(facts["certificates"]) == 1
    facts, found = section.analyze({}, snapshot({}).__class__.from_result({"keys": []}), NOW)
    assert facts == {"certificates": [], "crls": [], "undecodable": []} and found == []


def test_runs_through_the_host_registry(pki: pf.Hierarchy) -> None:
    sections = _host.select_sections(["certificates"])
    req = _host.build_request(sections, {})
    assert len(req.keys) == 13  # 8 certificate stores, 3 CRL stores, 2 root_store record lists
    out = _host.analyze_host(sections, {}, snapshot({ROOT_GP: [pki.root], ROOT_REG: [pki.issuing]}), NOW)
    assert [f["id"] for f in out["findings"]] == ["subordinate_in_root", "gpo_only_root"]
    assert out["findings"][0]["object"] == f"Root/registry/{pki.issuing.thumbprint}"


def test_a_store_that_cannot_be_read_is_a_finding(pki: pf.Hierarchy) -> None:
    result = snapshot_result({ROOT_REG: [pki.root]})
    gp_key = physical_store(*ROOT_GP).certificates_key
    [entry] = [k for k in result["keys"] if k["path"] == gp_key]
    entry.update(subkeys=[], error="Requested registry access is not allowed.")
    facts, found = section.analyze({}, Snapshot.from_result(result), NOW)
    assert ids(found) == ["store_unreadable"]
    assert "access is not allowed" in found[0].message and gp_key in (found[0].object or "")
    assert facts["undecodable"][0]["kind"] == "store"
    # the readable stores are still judged as usual
    assert [c["thumbprint"] for c in facts["certificates"]] == [pki.root.thumbprint]
