# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/site.yml as a whole: one read per host shared by every role, and a quiet second run."""

from __future__ import annotations

from pathlib import Path

import pytest
from simlab import SimLab

pytestmark = pytest.mark.integration


def test_site_reads_each_host_once_and_converges(lab: SimLab, tmp_path: Path) -> None:
    extra = {"root_store_backup_dir": str(tmp_path / "backups")}
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
