# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ansible_collections.sfb.pki.plugins.module_utils import _host
from ansible_collections.sfb.pki.plugins.module_utils import _section_certificates as section
from ansible_collections.sfb.pki.plugins.module_utils._certs import Certificate
from ansible_collections.sfb.pki.plugins.module_utils._findings import Finding
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest
from ansible_collections.sfb.pki.plugins.module_utils._stores import PHYSICAL_STORES, physical_store
from ansible_collections.sfb.pki.plugins.module_utils._windows_roots import WINDOWS_REQUIRED_ROOTS
from tests.support import pkifactory as pf
from tests.support.snapshots import CA_REG, ROOT_3P, ROOT_ENT, ROOT_GP, ROOT_REG, snapshot, snapshot_result

NOW = dt.datetime.now(dt.UTC)
MY_REG = ("My", "registry")
BASELINE = Path(__file__).resolve().parents[1] / "fixtures" / "baseline"
# The KB293781 root with no public copy of its bytes (tests/fixtures/README.md).
NO_PUBLIC_COPY = "245C97DF7514E7CF2DF8BE72AE957B9E04741E85"


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


class Real:
    """A real certificate from tests/fixtures/baseline, placed in a snapshot like a generated one."""

    def __init__(self, relative: str) -> None:
        pem = (BASELINE / relative).read_bytes()
        der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
        self.cert = Certificate.from_der(der, relative)
        self.thumbprint = self.cert.thumbprint
        self.blob = self.cert.registry_blob()


# KB293781 roots with real bytes: MD5 and long expired, SHA-1 and expired, current SHA-256.
MS_ROOT_AUTHORITY = "kb293781/A43489159A520F0D93D032CCAF37E7FE20A8B419.pem"  # MD5, v1, expired 2020
AUTHENTICODE_ROOT = "kb293781/7F88CD7223F3C813818C994614A89C99FA3B5247.pem"  # MD5, v1, expired 1999
MS_ROOT_CA = "kb293781/CDD4EEAE6000AC7F40C3802C171E30148030C072.pem"  # SHA-1, expired 2021
VERISIGN_MD2 = "authroot/742C3192E607E424EB4549542BE1BBC53E6174E2.pem"  # Class 3 PCA, md2WithRSA


def severe(found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.severity in ("warning", "critical")]


def test_kb293781_roots_are_known_by_thumbprint_never_weak_expired_or_removable() -> None:
    roots = [Real(f"kb293781/{t}.pem") for t in sorted(WINDOWS_REQUIRED_ROOTS) if t != NO_PUBLIC_COPY]
    assert {r.thumbprint for r in roots} >= {Real(MS_ROOT_AUTHORITY).thumbprint, Real(MS_ROOT_CA).thumbprint}
    md5 = Real(MS_ROOT_AUTHORITY)
    assert md5.cert.signature_hash == "md5" and md5.cert.expired(NOW)
    for physical in (ROOT_REG, ROOT_GP):
        facts, found = run({physical: roots, ROOT_3P: roots} if physical == ROOT_GP else {physical: roots})
        assert [f for f in found if f.id != "gpo_only_root"] == []
        assert all(c["windows_required"] for c in facts["certificates"])
    # never offered for deletion: no finding names them with a removal command
    _unused, found = run({ROOT_REG: roots})
    assert not any("delstore" in f.fix for f in found)


def test_an_md5_kb293781_root_and_an_md2_verisign_root_are_no_alarm_but_an_md5_subordinate_is() -> None:
    kb_md5, authenticode, md2 = Real(MS_ROOT_AUTHORITY), Real(AUTHENTICODE_ROOT), Real(VERISIGN_MD2)
    rsa_root = pf.root_ca("CN=Tailspin Root CA,O=Tailspin")
    md5_sub = pf.sub_ca(rsa_root, "CN=Tailspin MD5 Issuing CA,O=Tailspin", hash="md5")
    _unused, found = run({ROOT_REG: [kb_md5, authenticode, md2, rsa_root], CA_REG: [md5_sub]})
    assert [(f.id, f.thumbprint, f.severity) for f in severe(found)] == [
        ("weak_signature_ca", md5_sub.thumbprint, "critical")
    ]
    assert "event 36888" in severe(found)[0].symptoms
    # the MD2 root: its self-signature cannot be checked (info), its hash is no weakness
    assert ids(found, md2.thumbprint) == ["unverifiable_root"]
    _unused, third = run({ROOT_3P: [md2]})
    assert third == []


def test_weak_hash_matters_on_a_signature_a_peer_verifies() -> None:
    md5_root = pf.weak_root("md5")
    sha1_root = pf.weak_root("sha1")
    rsa_root = pf.root_ca("CN=RSA Root,O=Contoso")
    sha1_sub = pf.sub_ca(rsa_root, "CN=Old Sub,O=Contoso", hash="sha1")
    md5_by_md5 = pf.sub_ca(md5_root, "CN=Legacy MD5 Issuing CA,O=Contoso", hash="md5")
    _unused, found = run({ROOT_REG: [md5_root, sha1_root, rsa_root], CA_REG: [sha1_sub, md5_by_md5]})
    by = {(f.id, f.thumbprint): f for f in found}
    # a root's own self-signature: MD5 is info, SHA-1 nothing
    assert by[("weak_root_self_signature", md5_root.thumbprint)].severity == "info"
    assert by[("weak_root_self_signature", md5_root.thumbprint)].symptoms == ()
    assert ids(found, sha1_root.thumbprint) == []
    assert ("weak_signature_ca", md5_root.thumbprint) not in by
    # a CA certificate issued by another CA: MD5 critical (Schannel symptoms), SHA-1 warning
    assert by[("weak_signature_ca", md5_by_md5.thumbprint)].severity == "critical"
    assert by[("weak_signature_ca", sha1_sub.thumbprint)].severity == "warning"
    assert by[("weak_signature_ca", sha1_sub.thumbprint)].symptoms == ()
    # Windows Update's own store: nothing to say about a root's self-signature there
    _unused, third = run({ROOT_3P: [md5_root]})
    assert third == []


def test_expired_md5_intermediate_is_judged_by_its_expiry_not_its_hash() -> None:
    rsa_root = pf.root_ca("CN=RSA Root,O=Contoso")
    start = NOW - dt.timedelta(days=4000)
    old_md5 = pf.sub_ca(rsa_root, "CN=Old MD5 CA,O=Contoso", hash="md5", not_before=start, days=3000)
    _unused, found = run({ROOT_REG: [rsa_root], CA_REG: [old_md5]})
    assert [(f.id, f.severity) for f in found] == [("expired_ca", "info")]


def test_key_rollover_certificate_signed_with_md5_is_judged_like_any_issued_ca() -> None:
    old = pf.weak_root("md5", "CN=Rolling Root,O=Contoso")
    new = pf.root_ca("CN=Rolling Root,O=Contoso")
    new_by_old = pf.certificate(new.cert.subject, issuer=old, key=new.key, ca=True, hash="md5", days=3650)
    _unused, found = run({ROOT_REG: [old, new], CA_REG: [new_by_old]})
    assert [(f.id, f.severity) for f in found if f.thumbprint == new_by_old.thumbprint] == [
        ("weak_signature_ca", "critical")
    ]


@pytest.mark.parametrize(("hash_name", "severity"), [("md5", "critical"), ("sha1", "warning")])
def test_weak_end_entity_certificate(hash_name: str, severity: str) -> None:
    root = pf.root_ca("CN=RSA Root,O=Contoso")
    fe = pf.leaf(root, "CN=fe01.contoso.com", hash=hash_name)
    _unused, found = run({ROOT_REG: [root], MY_REG: [fe]})
    assert [(f.id, f.severity) for f in found] == [("weak_signature_cert", severity)]
    assert ("event 36888" in found[0].symptoms) is (hash_name == "md5")
    # expired: unusable anyway (server_cert_expired says so); self-signed: its own hash is not judged
    old = pf.leaf(root, "CN=old.contoso.com", hash=hash_name, not_before=NOW - dt.timedelta(days=400))
    alone = pf.certificate("CN=self.contoso.com", hash=hash_name, ca=False)
    _unused, found = run({ROOT_REG: [root], MY_REG: [old, alone]})
    assert found == []


def test_expired_and_expiring_ca(pki: pf.Hierarchy) -> None:
    old = pf.expired_root()
    _unused, found = run({ROOT_REG: [old, pki.root]})
    assert ids(found) == ["expired_ca"]
    assert found[0].thumbprint == old.thumbprint and "never removed" in found[0].message
    soon = pki.root.cert.not_valid_after_utc - dt.timedelta(days=10)
    inv_found = section.analyze({"certificate_expiry_days": 30}, snapshot({ROOT_REG: [pki.root]}), soon)[1]
    assert ids(inv_found) == ["expiring_ca"]
    assert section.analyze({"certificate_expiry_days": 5}, snapshot({ROOT_REG: [pki.root]}), soon)[1] == []


def test_expired_root_is_info_unless_something_on_the_host_chains_to_it() -> None:
    start = NOW - dt.timedelta(days=800)
    root = pf.root_ca("CN=Retired Root,O=Contoso", not_before=start, days=700)  # expired 100 days ago
    sub = pf.sub_ca(root, "CN=Retired Issuing CA,O=Contoso", not_before=start, days=2000)
    fe = pf.leaf(sub, "CN=fe01.contoso.com", not_before=start, days=1500)
    client = pf.leaf(sub, "CN=svc.contoso.com", ekus=(pf.CLIENT_AUTH,), not_before=start, days=1500)

    def expired(found: list[Finding]) -> Finding:
        [finding] = [f for f in found if f.id == "expired_ca" and f.thumbprint == root.thumbprint]
        return finding

    alone = expired(run({ROOT_REG: [root]})[1])
    assert alone.severity == "info" and "nothing on this host chains to it" in alone.message
    assert f"certutil -delstore Root {root.thumbprint}" in alone.fix and alone.symptoms == ()
    assert "Windows Update" in expired(run({ROOT_3P: [root]})[1]).fix

    ca_only = expired(run({ROOT_REG: [root], CA_REG: [sub]})[1])
    assert ca_only.severity == "warning" and "Retired Issuing CA" in ca_only.message
    assert "delstore" not in ca_only.fix and "0x800B0101 CERT_E_EXPIRED" in ca_only.symptoms

    client_only = expired(run({ROOT_REG: [root], CA_REG: [sub], MY_REG: [client]})[1])
    assert client_only.severity == "warning"

    serving = expired(run({ROOT_REG: [root], CA_REG: [sub], MY_REG: [fe, client]})[1])
    assert serving.severity == "critical" and "CN=fe01.contoso.com" in serving.message

    # a renewed root of the same name and key takes over: the old one is left with nothing below it
    renewed = pf.certificate(root.cert.subject, key=root.key, ca=True, days=3650)
    _unused, found = run({ROOT_REG: [root, renewed], CA_REG: [sub], MY_REG: [fe]})
    assert expired(found).severity == "info"


def test_expired_intermediate_follows_the_same_rule() -> None:
    root = pf.root_ca("CN=Current Root,O=Contoso")
    start = NOW - dt.timedelta(days=400)
    old_sub = pf.sub_ca(root, "CN=Old Issuing CA,O=Contoso", not_before=start, days=300)
    _unused, found = run({ROOT_REG: [root], CA_REG: [old_sub]})
    assert [(f.id, f.severity) for f in found] == [("expired_ca", "info")]
    fe = pf.leaf(old_sub, "CN=fe01.contoso.com", not_before=start, days=700)
    _unused, found = run({ROOT_REG: [root], CA_REG: [old_sub], MY_REG: [fe]})
    assert [(f.id, f.severity) for f in found] == [("expired_ca", "critical")]


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
