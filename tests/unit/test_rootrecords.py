# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""root_store's records on the host (pins, moves) and the audit findings built on them."""

from __future__ import annotations

import datetime as dt

from ansible_collections.sfb.pki.plugins.module_utils import _rootrecords as records
from ansible_collections.sfb.pki.plugins.module_utils import _section_certificates as section
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest
from tests.support import pkifactory as pf
from tests.support.snapshots import CA_REG, ROOT_ENT, ROOT_GP, ROOT_REG, snapshot, snapshot_result

NOW = dt.datetime.now(dt.UTC)
WHEN = "2026-10-05T07:30:00Z"


def test_the_certificates_section_reads_both_record_lists() -> None:
    req = SnapshotRequest()
    section.request({}, req)
    assert req.keys["SOFTWARE\\sfb.pki\\RootStore\\Pins"] == 1
    assert req.keys["SOFTWARE\\sfb.pki\\RootStore\\Moves"] == 1


def test_records_are_read_by_thumbprint_with_their_time(pki: pf.Hierarchy) -> None:
    got = records.read_records(
        snapshot({}, records={"Pins": {pki.root.thumbprint.lower(): WHEN}, "Moves": {}})
    )
    assert got.read is True and got.moves == {}
    assert got.pins == {pki.root.thumbprint: records.Record("Pins", pki.root.thumbprint, WHEN)}
    assert got.pins[pki.root.thumbprint].date == "2026-10-05"
    none_yet = records.read_records(snapshot({}))
    assert none_yet.read is True and none_yet.pins == {} and none_yet.moves == {}


def test_a_snapshot_without_the_record_keys_reads_as_unknown(pki: pf.Hierarchy) -> None:
    result = snapshot_result({ROOT_REG: [pki.root]}, records={"Pins": {pki.root.thumbprint: WHEN}})
    result["keys"] = [k for k in result["keys"] if "sfb.pki" not in k["path"]]
    got = records.read_records(Snapshot.from_result(result))
    assert got.read is False and got.pins == {}


def test_audit_reports_an_orphan_pin(pki: pf.Hierarchy) -> None:
    _facts, found = section.analyze(
        {}, snapshot({ROOT_REG: [pki.root]}, records={"Pins": {pki.root.thumbprint: WHEN}}), NOW
    )
    [orphan] = found
    assert (orphan.id, orphan.severity, orphan.object) == ("orphan_pin", "warning", pki.root.thumbprint)
    assert "2026-10-05" in orphan.message and "Group Policy no longer" in orphan.message
    assert "remove_orphan_pins: true" in orphan.fix
    assert "HKLM\\SOFTWARE\\sfb.pki\\RootStore\\Pins\\" + pki.root.thumbprint in orphan.fix


def test_a_pin_still_delivered_is_no_finding(pki: pf.Hierarchy) -> None:
    snap = snapshot(
        {ROOT_REG: [pki.root], ROOT_GP: [pki.root]}, records={"Pins": {pki.root.thumbprint: WHEN}}
    )
    assert section.analyze({}, snap, NOW)[1] == []


def test_a_root_in_registry_without_a_record_is_never_an_orphan(pki: pf.Hierarchy) -> None:
    # the administrator added it (certutil -addstore): not the collection's to judge
    assert section.analyze({}, snapshot({ROOT_REG: [pki.root]}, records={"Pins": {}}), NOW)[1] == []


def test_audit_reports_a_reappeared_subordinate_naming_its_likely_sources(pki: pf.Hierarchy) -> None:
    snap = snapshot(
        {ROOT_REG: [pki.root, pki.issuing], CA_REG: [pki.issuing]},
        records={"Moves": {pki.issuing.thumbprint: WHEN}},
    )
    _facts, found = section.analyze({}, snap, NOW)
    by_id = {f.id: f for f in found}
    assert set(by_id) == {"subordinate_in_root", "subordinate_reappeared"}
    back = by_id["subordinate_reappeared"]
    assert back.severity == "warning" and back.thumbprint == pki.issuing.thumbprint
    assert "Group Policy Preferences" in back.message and "SCCM" in back.message
    assert "move_reappeared: true" in back.fix
    # the KB2795828 finding stays critical (the harm is real) and points at why root_store leaves it
    assert by_id["subordinate_in_root"].severity == "critical"
    assert "subordinate_reappeared" in by_id["subordinate_in_root"].fix


def test_a_moved_subordinate_that_stayed_away_is_no_finding(pki: pf.Hierarchy) -> None:
    snap = snapshot(
        {ROOT_REG: [pki.root], CA_REG: [pki.issuing]}, records={"Moves": {pki.issuing.thumbprint: WHEN}}
    )
    assert section.analyze({}, snap, NOW)[1] == []


def test_policy_locations(pki: pf.Hierarchy) -> None:
    def found(stores: dict[tuple[str, str], list[pf.Issued]]) -> list[tuple[str, str]]:
        return sorted((f.id, f.severity) for f in section.analyze({}, snapshot(stores), NOW)[1])

    assert found({ROOT_GP: [pki.root]}) == [("gpo_only_root", "warning")]
    assert found({ROOT_ENT: [pki.root]}) == [("enterprise_only_root", "info")]
    # the Enterprise copy stays while Group Policy rewrites its key: nothing vanishes
    assert found({ROOT_GP: [pki.root], ROOT_ENT: [pki.root]}) == []


def test_a_record_key_that_could_not_be_read_is_unknown_not_empty(pki: pf.Hierarchy) -> None:
    result = snapshot_result({}, records={"Pins": {pki.root.thumbprint: WHEN}, "Moves": {}})
    [pins] = [k for k in result["keys"] if k["path"].endswith("\\Pins")]
    pins.update(subkeys=[], error="Requested registry access is not allowed.")
    assert records.read_records(Snapshot.from_result(result)).read is False
