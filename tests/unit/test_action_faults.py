# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Faults shaped as Windows produces them (tests/unit/fakehost.py) against root_store and host_info."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.action.host_info import ActionModule as HostInfo
from tests.support import pkifactory as pf
from tests.support.snapshots import CA_REG, ROOT_GP, ROOT_REG
from tests.unit.fakehost import FakeHost, make_action
from tests.unit.test_action_root_store import drifted, run

REGEDIT = "ansible.windows.win_regedit"
POWERSHELL = "ansible.windows.win_powershell"
# drifted(): 1 snapshot, then record the pin, add the subordinate to CA, pin the GPO-only root, remove the
# subordinate, record the move
WRITES = {
    2: ("record", "Pins"),
    3: ("add", "CA"),
    4: ("add", "Root"),
    5: ("remove", "Root"),
    6: ("record", "Moves"),
}


@pytest.mark.parametrize("call", sorted(WRITES))
@pytest.mark.parametrize("kind", ["failed", "connection_lost", "reply_lost", "reset"])
def test_root_store_write_fault_tells_the_truth_and_the_rerun_converges(
    pki: pf.Hierarchy, other: pf.Issued, tmp_path: Path, kind: str, call: int
) -> None:
    host = drifted(pki, other)
    host.faults[call] = kind
    result = run(host, tmp_path)
    action, store = WRITES[call]
    # one error naming host, step and module
    assert result["msg"].startswith("host fe01: ") and REGEDIT in result["msg"], result["msg"]
    assert f"{action} " in result["msg"] and f" {store}" in result["msg"]
    done = [(o["action"], o["store"]) for o in result["operations"]]
    assert done == [WRITES[c] for c in sorted(WRITES) if c < call]
    assert [w["module"] for w in result.get("written", [])] == [REGEDIT] * (call - 2)
    wrote = kind in ("reply_lost", "reset")  # the module ran before the reply was lost
    if kind == "failed":
        assert result["failed"] is True and "unreachable" not in result
        assert "unconfirmed" not in result and "may have happened" not in result["msg"]
        assert result["changed"] is (call > 2)
    else:
        if kind == "reset":  # a transport library's exception: failed, like Ansible reports it
            assert result["failed"] is True and "unreachable" not in result
            assert "ConnectionResetError" in result["msg"]
        else:  # AnsibleConnectionFailure: unreachable, no failed key, so ignore_unreachable applies
            assert result["unreachable"] is True and "failed" not in result
            assert "the connection was lost" in result["msg"]
        assert "may have happened" in result["msg"]
        (unsure,) = result["unconfirmed"]
        assert (unsure["operation"]["action"], unsure["operation"]["store"]) == (action, store)
        assert unsure["module"] == REGEDIT
        assert result["changed"] is True
    # the host holds what the result says: confirmed operations done, the unconfirmed one iff it ran
    in_ca = pki.issuing.thumbprint in host.thumbprints(*CA_REG)
    in_root = pki.issuing.thumbprint in host.thumbprints(*ROOT_REG)
    pinned = other.thumbprint in host.thumbprints(*ROOT_REG)
    removed = call > 5 or (call == 5 and wrote)
    assert in_ca is (call > 3 or (call == 3 and wrote))
    assert pinned is (call > 4 or (call == 4 and wrote))
    assert in_root is not removed
    assert in_ca or in_root  # nothing lost
    if call >= 5:  # backed up before the removal was attempted
        assert len(result["backups"]) == 2 and all(Path(b).exists() for b in result["backups"])
    # the next run's read settles it
    host.calls.clear()
    rerun = run(host, tmp_path)
    assert not rerun.get("failed") and not rerun.get("unreachable"), rerun
    remaining = [(o["action"], o["store"]) for o in rerun["operations"]]
    expected_done = [WRITES[c] for c in sorted(WRITES) if c < call or (c == call and wrote)]
    expected = [op for op in WRITES.values() if op not in expected_done]
    if removed:  # the move is recorded only after the removal; a lost record costs one more move later
        expected = [op for op in expected if op != ("record", "Moves")]
    assert remaining == expected
    assert host.thumbprints(*ROOT_REG) == {pki.root.thumbprint, other.thumbprint}
    assert host.thumbprints(*CA_REG) == {pki.issuing.thumbprint}
    assert host.thumbprints(*ROOT_GP) == {other.thumbprint}
    assert run(host, tmp_path)["changed"] is False


@pytest.mark.parametrize("kind", ["connection_lost", "reply_lost"])
def test_lost_snapshot_read_is_unreachable_and_changes_nothing(
    pki: pf.Hierarchy, other: pf.Issued, tmp_path: Path, kind: str
) -> None:
    host = drifted(pki, other)
    host.faults[1] = kind
    result = run(host, tmp_path)
    assert result["unreachable"] is True and "failed" not in result
    assert result["changed"] is False and "unconfirmed" not in result and "written" not in result
    lost = f"host fe01: read the host snapshot: {POWERSHELL}: the connection was lost:"
    assert result["msg"].startswith(lost)
    assert "may have happened" not in result["msg"]
    assert len(host.calls) == 1


def host_info(host: FakeHost) -> dict[str, Any]:
    action = make_action(HostInfo, {"sections": ["certificates"]}, host, check_mode=True)
    return dict(action.run(task_vars={"inventory_hostname": "fe01"}))


def test_host_info_unreachable_names_host_step_and_transport_error() -> None:
    host = FakeHost()
    host.faults[1] = "connection_lost"
    result = host_info(host)
    assert result["unreachable"] is True and "failed" not in result and result["changed"] is False
    assert "host fe01: read the host snapshot: ansible.windows.win_powershell" in result["msg"]
    assert "Failed to connect to the host via PSRP" in result["msg"]


def test_a_script_that_throws_is_reported_from_its_error_records() -> None:
    host = FakeHost()
    host.faults[1] = "script_error"
    result = host_info(host)
    assert result["failed"] is True and "unreachable" not in result
    assert result["msg"].startswith(
        "host fe01: read the host snapshot: ansible.windows.win_powershell failed: the script failed: "
    )
    assert "Access to the path" in result["msg"] and "DirUnauthorizedAccessError" in result["msg"]


def test_failure_detail_prefers_msg_and_counts_the_error_records() -> None:
    from ansible_collections.sfb.pki.plugins.plugin_utils._action import failure_detail

    record = {"output": "line\r\n", "exception": {"message": "denied"}, "fully_qualified_error_id": "X,Y"}
    assert failure_detail({"failed": True}) == "no message"
    assert failure_detail({"msg": "boom"}) == "boom"
    assert failure_detail({"msg": "boom", "error": [record]}) == "boom; denied (X,Y)"
    assert (
        failure_detail({"error": [record, record]})
        == "the script failed: denied (X,Y) (and 1 more error records)"
    )
    assert failure_detail({"error": [{"output": " only output "}]}) == "the script failed: only output"
    assert failure_detail({"error": ["text"]}) == "the script failed: text"
