# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _rootplan as rp
from ansible_collections.sfb.pki.plugins.module_utils._blob import decode_certificate_blob
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._section_certificates import read_inventory
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot
from ansible_collections.sfb.pki.plugins.module_utils._stores import physical_store
from tests.support import pkifactory as pf
from tests.support.snapshots import CA_REG, ROOT_3P, ROOT_ENT, ROOT_GP, ROOT_REG, snapshot, snapshot_result

NOW = dt.datetime.now(dt.UTC)


def plan(
    stores: dict[tuple[str, str], list[Any]], desired: list[rp.DesiredRoot] | None = None, **kw: Any
) -> rp.Plan:
    return rp.plan_root_store(
        read_inventory(snapshot(stores, raw=kw.pop("raw", None))), desired or [], NOW, **kw
    )


def ops(p: rp.Plan) -> list[tuple[str, str, str, str]]:
    return [(o.action, o.store, o.thumbprint, o.reason) for o in p.operations]


def want(item: pf.Issued, state: str = "present") -> list[rp.DesiredRoot]:
    return rp.desired_roots([("roots[0]", item.pem, state)])


def apply(stores: dict[tuple[str, str], list[Any]], p: rp.Plan) -> dict[tuple[str, str], list[Any]]:
    """What the stores look like after a real run executes the plan (the blobs it writes included)."""
    after = {k: list(v) for k, v in stores.items()}
    for op in p.operations:
        where = (op.store, op.physical)
        if op.action == "add":
            der = decode_certificate_blob(p.blobs[op.thumbprint], "plan", op.thumbprint)
            after.setdefault(where, []).append(_Stored(op.thumbprint, p.blobs[op.thumbprint], der))
        else:
            after[where] = [c for c in after.get(where, []) if c.thumbprint != op.thumbprint]
    return after


class _Stored:
    def __init__(self, thumbprint: str, blob: bytes, der: bytes) -> None:
        self.thumbprint, self.blob, self.der = thumbprint, blob, der


def test_healthy_host_plans_nothing(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.root], ROOT_GP: [pki.root], CA_REG: [pki.issuing]})
    assert p.operations == [] and not p.changed and p.reported == []


def test_gpo_only_root_is_pinned_with_a_valid_blob(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_GP: [pki.root]})
    assert ops(p) == [("add", "Root", pki.root.thumbprint, "pin_policy_root")]
    assert decode_certificate_blob(p.blobs[pki.root.thumbprint], "blob", pki.root.thumbprint) == pki.root.der
    assert p.operations[0].key.endswith("SystemCertificates\\ROOT\\Certificates\\" + pki.root.thumbprint)
    assert p.reported == []
    assert plan({ROOT_GP: [pki.root]}, pin_policy_roots=False).operations == []
    assert [f.id for f in plan({ROOT_GP: [pki.root]}, pin_policy_roots=False).reported] == ["gpo_only_root"]


def test_enterprise_only_root_is_pinned_but_not_one_in_third_party(pki: pf.Hierarchy) -> None:
    assert ops(plan({ROOT_ENT: [pki.root]})) == [("add", "Root", pki.root.thumbprint, "pin_policy_root")]
    assert plan({ROOT_GP: [pki.root], ROOT_3P: [pki.root]}).operations == []


def test_subordinate_is_added_to_ca_then_removed_from_root(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.root, pki.issuing]})
    assert ops(p) == [
        ("add", "CA", pki.issuing.thumbprint, "move_subordinate"),
        ("remove", "Root", pki.issuing.thumbprint, "move_subordinate"),
    ]
    assert p.operations[0].key.startswith("SOFTWARE\\Microsoft\\SystemCertificates\\CA\\Certificates\\")
    assert p.reported == []


def test_subordinate_already_in_ca_is_only_removed(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.issuing], CA_REG: [pki.issuing]})
    assert ops(p) == [("remove", "Root", pki.issuing.thumbprint, "move_subordinate")]


def test_report_mode_changes_nothing_and_reports(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.issuing]}, subordinates="report")
    assert p.operations == []
    assert [f.id for f in p.reported] == ["subordinate_in_root"]


def test_gpo_subordinate_only_reported(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_GP: [pki.issuing]})
    assert p.operations == []
    assert [f.id for f in p.reported] == ["subordinate_in_policy_root"]


def test_subordinate_in_registry_and_enterprise_keeps_the_enterprise_report(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.issuing], ROOT_ENT: [pki.issuing]})
    assert [o.action for o in p.operations] == ["add", "remove"]
    assert [(f.id, f.object) for f in p.reported] == [
        ("subordinate_in_root", f"Root/enterprise/{pki.issuing.thumbprint}")
    ]


def test_rollover_cross_certificate_is_moved_but_both_roots_stay() -> None:
    roll = pf.rollover(pf.root_ca("CN=Rollover Root,O=Contoso", key_type="ecdsa"))
    p = plan({ROOT_REG: [roll.old, roll.new, roll.new_signed_by_old]})
    assert ops(p) == [
        ("add", "CA", roll.new_signed_by_old.thumbprint, "move_subordinate"),
        ("remove", "Root", roll.new_signed_by_old.thumbprint, "move_subordinate"),
    ]


def test_unverifiable_and_expired_roots_are_never_touched() -> None:
    md2 = pf.md2_root()
    old = pf.expired_root(key_type="ecdsa")
    p = plan({ROOT_REG: [md2, old]})
    assert p.operations == []
    # the MD2 root's own signature is no weakness (no peer verifies it): only "cannot be checked"
    assert sorted(f.id for f in p.reported) == ["expired_ca", "unverifiable_root"]
    p = plan({ROOT_GP: [md2, old]})
    assert p.operations == []  # neither pinned: one cannot be verified, one is expired
    assert sorted(f.id for f in p.reported if f.id == "gpo_only_root") == ["gpo_only_root", "gpo_only_root"]


def test_corrupt_blob_in_root_is_reported_not_removed(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.root]}, raw={ROOT_REG: {"ABCDEF": b"garbage"}, CA_REG: {"0123": b"x"}})
    assert p.operations == []
    assert [f.id for f in p.reported] == ["undecodable_blob"]
    assert "ABCDEF" in (p.reported[0].object or "")


def test_requested_root_is_added_once(pki: pf.Hierarchy, other: pf.Issued) -> None:
    p = plan({ROOT_REG: [pki.root]}, want(other) + want(pki.root))
    assert ops(p) == [("add", "Root", other.thumbprint, "requested")]


def test_requested_root_in_gpo_is_added_as_requested(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_GP: [pki.root]}, want(pki.root))
    assert ops(p) == [("add", "Root", pki.root.thumbprint, "requested")]


def test_absent_removes_only_the_registry_copy_and_reports_others(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.root], ROOT_GP: [pki.root]}, want(pki.root, "absent"))
    assert ops(p) == [("remove", "Root", pki.root.thumbprint, "requested_absent")]
    assert [f.id for f in p.reported] == ["root_absent_elsewhere"]
    assert "group_policy" in p.reported[0].message
    # pin_policy_roots never re-adds what is wanted absent
    p = plan({ROOT_GP: [pki.root]}, want(pki.root, "absent"))
    assert p.operations == []


def test_absent_accepts_a_subordinate_identity(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.issuing]}, want(pki.issuing, "absent"), subordinates="report")
    assert ops(p) == [("remove", "Root", pki.issuing.thumbprint, "requested_absent")]


@pytest.mark.parametrize(
    "make, fault",
    [
        (lambda pki: pki.issuing, "is issued by CN=Contoso Offline Root CA"),
        (lambda pki: pki.leaf, "is issued by CN=Contoso Issuing CA 01"),
        (lambda pki: pf.rollover().new_signed_by_old, "does not verify with its own key"),
        (lambda pki: pf.certificate("CN=Self Signed Leaf", ca=False, key_type="ecdsa"), "not a CA"),
    ],
)
def test_refuses_non_roots_offered_as_roots(pki: pf.Hierarchy, make: Any, fault: str) -> None:
    with pytest.raises(PkiInputError, match=fault) as err:
        want(make(pki))
    assert err.value.source == "roots[0]"


@pytest.mark.parametrize(
    "data", [b"garbage", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", b""]
)
def test_refuses_garbage(data: Any) -> None:
    with pytest.raises(PkiInputError) as err:
        rp.desired_roots([("roots[3].content", data, "present")])
    assert err.value.source.startswith("roots[3].content")


def test_refuses_conflicting_states_and_bad_values(pki: pf.Hierarchy) -> None:
    with pytest.raises(PkiInputError, match="wanted absent here but present"):
        rp.desired_roots([("roots[0]", pki.root.pem, "present"), ("roots[1]", pki.root.pem, "absent")])
    with pytest.raises(PkiInputError, match="state must be"):
        rp.desired_roots([("roots[0]", pki.root.pem, "gone")])
    with pytest.raises(PkiInputError, match="subordinates"):
        plan({}, subordinates="delete")


def test_accepts_bundles_der_and_base64(pki: pf.Hierarchy, other: pf.Issued) -> None:
    got = rp.desired_roots(
        [
            ("a", pf.bundle(pki.root, other), "present"),
            ("b", pki.root.der, "present"),
            ("c", base64.b64encode(other.der).decode(), "present"),
        ]
    )
    assert [d.cert.thumbprint for d in got] == [pki.root.thumbprint, other.thumbprint]


def test_v1_root_can_be_requested() -> None:
    v1 = pf.v1_root(hash="sha256")
    [d] = want(v1)
    assert d.cert.is_ca and d.cert.self_signed is True


def test_applying_the_plan_converges(pki: pf.Hierarchy, other: pf.Issued) -> None:
    stores = {ROOT_GP: [other], ROOT_REG: [pki.root, pki.issuing]}
    first = plan(stores)
    assert len(first.operations) == 3
    after = apply(stores, first)
    assert plan(after).operations == []


def test_interrupted_between_add_and_remove_converges(pki: pf.Hierarchy) -> None:
    stores = {ROOT_REG: [pki.root, pki.issuing]}
    first = plan(stores)
    add_only = rp.Plan([first.operations[0]], [], first.blobs)
    halfway = apply(stores, add_only)
    # the certificate is in both stores now, never in neither
    assert {c.thumbprint for c in halfway[CA_REG]} == {pki.issuing.thumbprint}
    second = plan(halfway)
    assert ops(second) == [("remove", "Root", pki.issuing.thumbprint, "move_subordinate")]
    assert plan(apply(halfway, second)).operations == []


def test_diff_lists_each_changed_physical_store(pki: pf.Hierarchy, other: pf.Issued) -> None:
    stores = {ROOT_GP: [other], ROOT_REG: [pki.root, pki.issuing]}
    inv = read_inventory(snapshot(stores, raw={ROOT_REG: {"BAD0": b"junk"}}))
    p = rp.plan_root_store(inv, [], NOW)
    diff = rp.store_diff(inv, p)
    assert [d["before_header"].split(" ")[-1] for d in diff] == ["(CA/registry)", "(Root/registry)"]
    ca, root = diff
    assert ca["before"] == "" and pki.issuing.thumbprint in ca["after"]
    assert pki.issuing.thumbprint in root["before"] and pki.issuing.thumbprint not in root["after"]
    assert other.thumbprint in root["after"] and other.thumbprint not in root["before"]
    assert "BAD0  <undecodable>" in root["before"] and "BAD0  <undecodable>" in root["after"]
    assert rp.store_diff(inv, rp.Plan()) == []


def test_operation_dict(pki: pf.Hierarchy) -> None:
    [op] = plan({ROOT_GP: [pki.root]}).operations
    assert op.as_dict() == {
        "action": "add",
        "store": "Root",
        "physical": "registry",
        "thumbprint": pki.root.thumbprint,
        "subject": pki.root.name,
        "reason": "pin_policy_root",
        "key": "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\" + pki.root.thumbprint,
    }


def test_windows_update_roots_are_not_reported() -> None:
    md5 = pf.weak_root("md5")
    old = pf.expired_root(key_type="ecdsa")
    p = plan({ROOT_3P: [md5, old]})
    assert p.operations == [] and p.reported == []


def test_unreadable_root_store_is_reported(pki: pf.Hierarchy) -> None:
    result = snapshot_result({ROOT_GP: [pki.root]})
    reg_key = physical_store(*ROOT_REG).certificates_key
    [entry] = [k for k in result["keys"] if k["path"] == reg_key]
    entry.update(subkeys=[], error="Requested registry access is not allowed.")
    p = rp.plan_root_store(read_inventory(Snapshot.from_result(result)), [], NOW)
    assert "store_unreadable" in [f.id for f in p.reported]
