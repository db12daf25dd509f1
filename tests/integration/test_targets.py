# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the ansible-test style targets (tests/integration/targets/<name>/tasks/main.yml) on the lab.

The same targets run against real Windows with `ansible-test windows-integration` (docs/testing.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from simlab import REPO, SimLab

pytestmark = pytest.mark.integration

TARGETS = sorted(
    p.name for p in (REPO / "tests" / "integration" / "targets").iterdir() if (p / "tasks").is_dir()
)


@pytest.mark.parametrize("target", TARGETS)
def test_target_passes_on_the_lab(lab: SimLab, target: str, tmp_path: Path) -> None:
    main = REPO / "tests" / "integration" / "targets" / target / "tasks" / "main.yml"
    play = [
        {
            "name": f"Integration target {target}",
            "hosts": "sfb_servers",
            "gather_facts": False,
            "vars": {"sfb_pki_test_backup_dir": str(tmp_path / "backups")},
            "tasks": [{"name": "Target tasks", "ansible.builtin.include_tasks": str(main)}],
        }
    ]
    playbook = tmp_path / f"{target}.yml"
    playbook.write_text(json.dumps(play))
    res = lab.run(playbook)
    assert res.rc == 0, res.stdout[-4000:] + res.stderr[-2000:]
    assert set(res.stats) == {"fe01", "edge01"}
    assert all(n == 0 for n in res.failed.values())
