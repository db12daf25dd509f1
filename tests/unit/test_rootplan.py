# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _rootplan as rp
from ansible_collections.sfb.pki.plugins.module_utils._blob import decode_certificate_blob, decode_records
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._section_certificates import read_inventory
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot
from ansible_collections.sfb.pki.plugins.module_utils._stores import physical_store
from tests.support import blobs
from tests.support import pkifactory as pf
from tests.support.snapshots import CA_REG, ROOT_3P, ROOT_ENT, ROOT_GP, ROOT_REG, snapshot, snapshot_result

NOW = dt.datetime.now(dt.UTC)
# sfb.pki.root_store's own records, placed like stores: items need only `.thumbprint`
PINS = ("Pins", "sfb.pki")
MOVES = ("Moves", "sfb.pki")


def split(
    stores: dict[tuple[str, str], list[Any]],
) -> tuple[dict[tuple[str, str], list[Any]], dict[str, Any]]:
    """Certificate placements and record lists ({list: {thumbprint: time}}) of a test layout."""
    certs = {k: v for k, v in stores.items() if k[1] != "sfb.pki"}
    records = {
        k[0]: {i.thumbprint: "2026-11-02T08:00:00Z" for i in v}
        for k, v in stores.items()
        if k[1] == "sfb.pki"
    }
    return certs, records


def plan(
    stores: dict[tuple[str, str], list[Any]], desired: list[rp.DesiredRoot] | None = None, **kw: Any
) -> rp.Plan:
    certs, records = split(stores)
    snap = snapshot(certs, raw=kw.pop("raw", None), records=records)
    return rp.plan_root_store(read_inventory(snap), desired or [], NOW, **kw)


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
        elif op.action == "record":
            kept = [c for c in after.get(where, []) if c.thumbprint != op.thumbprint]
            after[where] = [*kept, _Stored(op.thumbprint, b"", b"")]
        else:
            after[where] = [c for c in after.get(where, []) if c.thumbprint != op.thumbprint]
    return after


class _Stored:
    def __init__(self, thumbprint: str, blob: bytes, der: bytes) -> None:
        self.thumbprint, self.blob, self.der = thumbprint, blob, der


def test_healthy_host_plans_nothing(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.root], ROOT_GP: [pki.root], CA_REG: [pki.issuing]})
    assert p.operations == [] and not p.changed and p.reported == []


def test_gpo_only_root_is_pinned_with_a_valid_blob_and_recorded_first(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_GP: [pki.root]})
    assert ops(p) == [
        ("record", "Pins", pki.root.thumbprint, "pin_policy_root"),
        ("add", "Root", pki.root.thumbprint, "pin_policy_root"),
    ]
    assert decode_certificate_blob(p.blobs[pki.root.thumbprint], "blob", pki.root.thumbprint) == pki.root.der
    assert p.operations[0].key == "SOFTWARE\\sfb.pki\\RootStore\\Pins\\" + pki.root.thumbprint
    assert p.operations[1].key.endswith("SystemCertificates\\ROOT\\Certificates\\" + pki.root.thumbprint)
    assert p.reported == []
    assert plan({ROOT_GP: [pki.root]}, pin_policy_roots=False).operations == []
    assert [f.id for f in plan({ROOT_GP: [pki.root]}, pin_policy_roots=False).reported] == ["gpo_only_root"]


def test_enterprise_only_root_is_reported_not_pinned(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_ENT: [pki.root]})
    assert p.operations == []
    assert [(f.id, f.severity) for f in p.reported] == [("enterprise_only_root", "info")]
    assert "KB4560600" in p.reported[0].message


@pytest.mark.parametrize("elsewhere", [ROOT_3P, ROOT_ENT])
def test_a_policy_root_with_another_copy_is_not_pinned(pki: pf.Hierarchy, elsewhere: tuple[str, str]) -> None:
    # only a root found in the Group Policy location alone vanishes during a refresh
    p = plan({ROOT_GP: [pki.root], elsewhere: [pki.root]})
    assert p.operations == [] and p.reported == []


def test_subordinate_is_added_to_ca_then_removed_from_root_then_recorded(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.root, pki.issuing]})
    assert ops(p) == [
        ("add", "CA", pki.issuing.thumbprint, "move_subordinate"),
        ("remove", "Root", pki.issuing.thumbprint, "move_subordinate"),
        ("record", "Moves", pki.issuing.thumbprint, "move_subordinate"),
    ]
    assert p.operations[2].key == "SOFTWARE\\sfb.pki\\RootStore\\Moves\\" + pki.issuing.thumbprint
    assert p.operations[0].key.startswith("SOFTWARE\\Microsoft\\SystemCertificates\\CA\\Certificates\\")
    assert p.reported == []


def test_subordinate_already_in_ca_is_only_removed(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.issuing], CA_REG: [pki.issuing]})
    assert ops(p) == [
        ("remove", "Root", pki.issuing.thumbprint, "move_subordinate"),
        ("record", "Moves", pki.issuing.thumbprint, "move_subordinate"),
    ]


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
    assert [o.action for o in p.operations] == ["add", "remove", "record"]
    assert [(f.id, f.object) for f in p.reported] == [
        ("subordinate_in_root", f"Root/enterprise/{pki.issuing.thumbprint}")
    ]


def test_rollover_cross_certificate_is_moved_but_both_roots_stay() -> None:
    roll = pf.rollover(pf.root_ca("CN=Rollover Root,O=Contoso", key_type="ecdsa"))
    p = plan({ROOT_REG: [roll.old, roll.new, roll.new_signed_by_old]})
    assert ops(p) == [
        ("add", "CA", roll.new_signed_by_old.thumbprint, "move_subordinate"),
        ("remove", "Root", roll.new_signed_by_old.thumbprint, "move_subordinate"),
        ("record", "Moves", roll.new_signed_by_old.thumbprint, "move_subordinate"),
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
    assert [o.action for o in first.operations] == ["record", "add", "add", "remove", "record"]
    after = apply(stores, first)
    assert {c.thumbprint for c in after[PINS]} == {other.thumbprint}
    assert {c.thumbprint for c in after[MOVES]} == {pki.issuing.thumbprint}
    assert plan(after).operations == []


def test_interrupted_between_add_and_remove_converges(pki: pf.Hierarchy) -> None:
    stores = {ROOT_REG: [pki.root, pki.issuing]}
    first = plan(stores)
    add_only = rp.Plan([first.operations[0]], [], first.blobs)
    halfway = apply(stores, add_only)
    # the certificate is in both stores now, never in neither
    assert {c.thumbprint for c in halfway[CA_REG]} == {pki.issuing.thumbprint}
    second = plan(halfway)
    # no move record yet (it is written after the removal): the move is finished, not taken for a reappearance
    assert ops(second) == [
        ("remove", "Root", pki.issuing.thumbprint, "move_subordinate"),
        ("record", "Moves", pki.issuing.thumbprint, "move_subordinate"),
    ]
    assert plan(apply(halfway, second)).operations == []


def test_diff_lists_each_changed_physical_store(pki: pf.Hierarchy, other: pf.Issued) -> None:
    stores = {ROOT_GP: [other], ROOT_REG: [pki.root, pki.issuing]}
    inv = read_inventory(snapshot(stores, raw={ROOT_REG: {"BAD0": b"junk"}}))
    p = rp.plan_root_store(inv, [], NOW)
    diff = rp.store_diff(inv, p)
    assert [d["before_header"].split(" ", 1)[-1] for d in diff] == [
        "(CA/registry)",
        "(sfb.pki records)",
        "(sfb.pki records)",
        "(Root/registry)",
    ]
    assert diff[1]["before_header"].endswith("RootStore\\Moves (sfb.pki records)")
    assert diff[1]["before"] == "" and pki.issuing.thumbprint in diff[1]["after"]
    assert diff[2]["before_header"].endswith("RootStore\\Pins (sfb.pki records)")
    assert diff[2]["before"] == "" and other.thumbprint in diff[2]["after"]
    ca, _moves, _pins, root = diff
    assert ca["before"] == "" and pki.issuing.thumbprint in ca["after"]
    assert pki.issuing.thumbprint in root["before"] and pki.issuing.thumbprint not in root["after"]
    assert other.thumbprint in root["after"] and other.thumbprint not in root["before"]
    assert "BAD0  <undecodable>" in root["before"] and "BAD0  <undecodable>" in root["after"]
    assert rp.store_diff(inv, rp.Plan()) == []


def test_operation_dict(pki: pf.Hierarchy) -> None:
    _record, op = plan({ROOT_GP: [pki.root]}).operations
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


# -- writes keep what Windows stored (issue 13, item 3) ---------------------------------------------


def _properties(blob: bytes) -> list[tuple[int, bytes]]:
    return [(r.prop_id, r.data) for r in decode_records(blob, "blob")]


def test_pin_copies_the_group_policy_blob_byte_for_byte(pki: pf.Hierarchy) -> None:
    gp_copy = blobs.admin_copy(pki.root, "Contoso Root (GPO)", (blobs.CLIENT_AUTH,))
    p = plan({ROOT_GP: [gp_copy]})
    assert ops(p)[1:] == [("add", "Root", pki.root.thumbprint, "pin_policy_root")]
    written = p.blobs[pki.root.thumbprint]
    assert written == gp_copy.blob
    props = dict(_properties(written))
    assert props[blobs.PROP_FRIENDLY_NAME] == "Contoso Root (GPO)\0".encode("utf-16-le")
    assert props[blobs.PROP_ENHKEY_USAGE] == blobs.eku_property((blobs.CLIENT_AUTH,))
    assert [prop for prop, _data in _properties(written)] == [11, 9, 92, 4, 3, 32]


def test_move_copies_the_root_blob_byte_for_byte(pki: pf.Hierarchy) -> None:
    restricted = blobs.admin_copy(
        pki.issuing, "Issuing CA, smart cards only", (blobs.CLIENT_AUTH, blobs.SMART_CARD_LOGON)
    )
    p = plan({ROOT_REG: [pki.root, restricted]})
    assert ops(p)[:2] == [
        ("add", "CA", pki.issuing.thumbprint, "move_subordinate"),
        ("remove", "Root", pki.issuing.thumbprint, "move_subordinate"),
    ]
    written = p.blobs[pki.issuing.thumbprint]
    assert written == restricted.blob
    props = dict(_properties(written))
    assert props[blobs.PROP_ENHKEY_USAGE] == blobs.eku_property((blobs.CLIENT_AUTH, blobs.SMART_CARD_LOGON))
    assert props[blobs.PROP_FRIENDLY_NAME].decode("utf-16-le") == "Issuing CA, smart cards only\0"


def test_a_root_given_as_a_file_gets_a_built_blob(other: pf.Issued) -> None:
    p = plan({}, want(other))
    written = p.blobs[other.thumbprint]
    cert = rp.desired_roots([("roots[0]", other.pem, "present")])[0].cert
    assert [prop for prop, _data in _properties(written)] == [3, 20, 32]
    assert dict(_properties(written))[20] == cert.key_identifier
    assert written == cert.registry_blob()


def test_key_identifier_without_ski_is_the_sha1_of_the_spki() -> None:
    v1 = pf.v1_root(hash="sha256")  # X.509 v1: no extensions, so no Subject Key Identifier
    [desired] = want(v1)
    assert desired.cert.ski is None
    props = dict(_properties(plan({}, [desired]).blobs[v1.thumbprint]))
    assert props[20] == hashlib.sha1(desired.cert.spki_der, usedforsecurity=False).digest()


# -- root store safety: pin and move records (issue 13, item 5) -------------------------------------


def test_a_recorded_pin_still_delivered_by_group_policy_is_healthy(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_GP: [pki.root], ROOT_REG: [pki.root], PINS: [pki.root]})
    assert p.operations == [] and p.reported == []


def test_a_recorded_pin_whose_copy_is_gone_is_pinned_again_without_a_new_record(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_GP: [pki.root], PINS: [pki.root]})
    assert ops(p) == [("add", "Root", pki.root.thumbprint, "pin_policy_root")]


def test_orphan_pin_is_reported_and_left_alone_by_default(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.root], PINS: [pki.root]})
    assert p.operations == []
    [orphan] = p.reported
    assert (orphan.id, orphan.severity, orphan.thumbprint) == ("orphan_pin", "warning", pki.root.thumbprint)
    assert "2026-11-02" in orphan.message and "remove_orphan_pins" in orphan.fix
    assert f"certutil -delstore Root {pki.root.thumbprint}" in orphan.fix


def test_orphan_pin_removal_backs_up_removes_then_forgets_and_converges(pki: pf.Hierarchy) -> None:
    stores = {ROOT_REG: [pki.root], ROOT_ENT: [pki.root], PINS: [pki.root]}
    p = plan(stores, remove_orphan_pins=True)
    assert ops(p) == [
        ("remove", "Root", pki.root.thumbprint, "orphan_pin"),
        ("forget", "Pins", pki.root.thumbprint, "orphan_pin"),
    ]
    assert p.operations[1].key == "SOFTWARE\\sfb.pki\\RootStore\\Pins\\" + pki.root.thumbprint
    assert "orphan_pin" not in [f.id for f in p.reported]
    after = apply(stores, p)
    assert after[PINS] == [] and after[ROOT_REG] == []
    again = plan(after, remove_orphan_pins=True)
    assert again.operations == []
    assert [f.id for f in again.reported] == ["enterprise_only_root"]  # AD still publishes it: reported


def test_an_orphan_pin_listed_under_roots_is_kept_and_its_record_dropped(pki: pf.Hierarchy) -> None:
    stores = {ROOT_REG: [pki.root], PINS: [pki.root]}
    p = plan(stores, want(pki.root), remove_orphan_pins=True)
    assert ops(p) == [("forget", "Pins", pki.root.thumbprint, "requested")]
    assert p.reported == []
    assert plan(apply(stores, p), want(pki.root), remove_orphan_pins=True).operations == []


def test_a_pinned_root_wanted_absent_loses_copy_and_record(pki: pf.Hierarchy) -> None:
    p = plan({ROOT_REG: [pki.root], ROOT_GP: [pki.root], PINS: [pki.root]}, want(pki.root, "absent"))
    assert ops(p) == [
        ("remove", "Root", pki.root.thumbprint, "requested_absent"),
        ("forget", "Pins", pki.root.thumbprint, "requested_absent"),
    ]


def test_a_stale_pin_record_is_forgotten_only_when_asked(pki: pf.Hierarchy, other: pf.Issued) -> None:
    stores = {ROOT_REG: [pki.root], PINS: [other]}  # the pinned root is gone from every store
    assert plan(stores).operations == [] and plan(stores).reported == []
    assert ops(plan(stores, remove_orphan_pins=True)) == [("forget", "Pins", other.thumbprint, "orphan_pin")]


def test_an_undecodable_pinned_copy_is_never_removed(pki: pf.Hierarchy) -> None:
    class _Named:
        thumbprint = "ABCDEF0123456789ABCDEF0123456789ABCDEF01"

    p = plan({PINS: [_Named()]}, raw={ROOT_REG: {_Named.thumbprint: b"garbage"}}, remove_orphan_pins=True)
    assert p.operations == []
    assert [f.id for f in p.reported] == ["undecodable_blob"]


def test_a_reappeared_subordinate_is_reported_not_moved(pki: pf.Hierarchy) -> None:
    stores = {ROOT_REG: [pki.root, pki.issuing], CA_REG: [pki.issuing], MOVES: [pki.issuing]}
    p = plan(stores)
    assert p.operations == []
    by_id = {f.id: f for f in p.reported}
    assert set(by_id) == {"subordinate_in_root", "subordinate_reappeared"}
    back = by_id["subordinate_reappeared"]
    assert back.severity == "warning" and back.object == f"Root/registry/{pki.issuing.thumbprint}"
    assert "Group Policy Preferences" in back.message and "SCCM" in back.message
    assert "2026-11-02" in back.message and "move_reappeared: true" in back.fix
    assert "subordinate_reappeared" in by_id["subordinate_in_root"].fix
    # the user says so: moved again, and the record renewed
    again = plan(stores, move_reappeared=True)
    assert ops(again) == [
        ("remove", "Root", pki.issuing.thumbprint, "move_subordinate"),
        ("record", "Moves", pki.issuing.thumbprint, "move_subordinate"),
    ]
    assert "subordinate_reappeared" not in [f.id for f in again.reported]
