# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/site.yml as a whole: one read per host shared by every role, and a quiet second run; every
playbook stops loudly when its target group has no host."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from simlab import INSTALLED, REPO, RunResult, SimLab

pytestmark = pytest.mark.integration


def test_site_reads_each_host_once_and_converges(lab: SimLab, tmp_path: Path) -> None:
    extra = {"sfb_pki_root_store_backup_dir": str(tmp_path / "backups")}
    first = lab.run("playbooks/site.yml", extra_vars=extra)
    assert first.rc == 0, first.stdout + first.stderr
    for host in lab.hosts:
        # every role planned from the one snapshot; anything else is a write for drift
        assert [c["module"] for c in lab.calls(host)].count("win_powershell") == 1, host
    # fe01 drifted in both roles: 5 registry writes (pin = record + add, move = add + remove + record)
    # and 2 services
    assert (
        sorted(c["module"] for c in lab.calls("fe01") if c["module"] != "win_powershell")
        == ["win_regedit"] * 5 + ["win_service"] * 2
    )
    lab.clear_calls()
    second = lab.run("playbooks/site.yml", extra_vars=extra)
    assert second.rc == 0
    assert all(count == 0 for count in second.changed.values()), second.summary()
    assert all([c["module"] for c in lab.calls(h)] == ["win_powershell"] for h in lab.hosts)


def _shown(res: RunResult, task: str) -> Any:
    """The message of a run-once task, whichever host it ran on."""
    (msg,) = [r["msg"] for h in res.stats for n, r in res.task_results(h) if n == task and "msg" in r]
    return msg


def _regroup(lab: SimLab, old: str, new: str) -> None:
    """Rename a group of the lab's generated inventory."""
    data = yaml.safe_load(lab.inventory.read_text())
    children = data["all"]["children"]
    children[new] = children.pop(old)
    lab.inventory.write_text(yaml.safe_dump(data))


@pytest.mark.parametrize(
    "playbook",
    ["playbooks/site.yml", "playbooks/audit.yml", "playbooks/restore_certificate.yml"],
)
def test_missing_target_group_fails_loudly(lab: SimLab, tmp_path: Path, playbook: str) -> None:
    _regroup(lab, "sfb_pki", "windows")  # an inventory written without the group sfb_pki
    res = lab.run(
        playbook,
        extra_vars={
            "sfb_pki_root_store_backup_dir": str(tmp_path / "backups"),
            "sfb_pki_report_dir": str(tmp_path / "reports"),
            "sfb_pki_restore_certificate_backup": str(tmp_path / "none.json"),
        },
    )
    assert res.rc != 0
    check = res.result("localhost", "Check that the target group has hosts")
    assert check["failed"] is True
    assert "No host in 'sfb_pki'" in check["msg"] and "docs/inventory.md" in check["msg"]
    assert all(lab.calls(host) == [] for host in lab.hosts)
    assert not (tmp_path / "reports").exists()


def test_another_group_named_by_sfb_pki_hosts(lab: SimLab, tmp_path: Path) -> None:
    _regroup(lab, "sfb_pki", "windows")
    res = lab.run(
        "playbooks/site.yml",
        extra_vars={"sfb_pki_hosts": "windows", "sfb_pki_root_store_backup_dir": str(tmp_path / "backups")},
    )
    assert res.rc == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert all(lab.calls(host)[0]["module"] == "win_powershell" for host in lab.hosts)


def test_backups_and_report_default_outside_the_collection(lab: SimLab, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home)}
    res = lab.run("playbooks/site.yml", env=env, limit="fe01")  # also printed under --limit
    assert res.rc == 0, res.stdout[-3000:] + res.stderr[-3000:]
    folder = home / ".local" / "share" / "sfb.pki" / "backups" / "fe01"
    records = sorted(folder.glob("*.json"))
    assert [p.name for p in records] == [f"Root-registry-{lab.thumbprint('issuing')}.json"]
    shown = _shown(res, "Show every certificate backup written by this run")
    assert shown == [f"backup (restore with sfb.pki.restore_certificate): {records[0]}"]
    for playbook_dir in (REPO / "playbooks", INSTALLED / "playbooks"):
        assert not (playbook_dir / "pki_backups").exists()

    second = lab.run("playbooks/site.yml", env=env)
    shown = _shown(second, "Show every certificate backup written by this run")
    assert shown == [
        "no certificate was removed, so no backup was written (backups go to "
        f"{home / '.local' / 'share' / 'sfb.pki' / 'backups'})"
    ]

    audit = lab.run("playbooks/audit.yml", env=env, limit="fe01,edge01")
    assert audit.rc == 0, audit.stdout[-3000:]
    report = home / ".local" / "share" / "sfb.pki" / "reports" / "report.html"
    assert report.is_file()
    # --limit narrows the report to the hosts it left (a play on localhost would have been skipped)
    assert [h["name"] for h in json.loads(report.with_suffix(".json").read_text())["hosts"]] == [
        "edge01",
        "fe01",
    ]
    assert f"report: {report}" in _shown(audit, "Show where the report is")
    for playbook_dir in (REPO / "playbooks", INSTALLED / "playbooks"):
        assert not (playbook_dir / "reports").exists()
