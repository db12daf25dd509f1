# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/schedule_crl_refresh.yml renders a correct, idempotent timer (or cron file) on the controller."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "schedule_crl_refresh.yml"
BIN = Path(sys.executable).parent


def schedule(tmp_path: Path, *extra: str, check: bool = False, **variables: Any) -> dict[str, Any]:
    """Run the schedule playbook against localhost; returns the JSON callback output plus rc."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n")
    variables.setdefault("sfb_pki_crl_schedule_activate", False)
    cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(PLAYBOOK), "-e", json.dumps(variables)]
    cmd += list(extra)
    if check:
        cmd += ["--check", "--diff"]
    env = dict(os.environ)
    env.update(
        PATH=str(BIN) + os.pathsep + env.get("PATH", ""),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
        # the playbook's first task is sfb.pki.renamed_vars
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"),
    )
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    start = proc.stdout.find("{")
    data: dict[str, Any] = json.loads(proc.stdout[start:]) if start != -1 else {}
    data["rc"] = proc.returncode
    data["output"] = proc.stdout + proc.stderr
    return data


def changed(data: dict[str, Any]) -> int:
    return int(data["stats"]["localhost"]["changed"])


def test_systemd_timer_rendered_into_a_folder_and_idempotent(tmp_path: Path) -> None:
    units = tmp_path / "units"
    inv = "/etc/ansible/pki inventory.yml"
    args = {
        "sfb_pki_crl_schedule_backend": "systemd",
        "sfb_pki_crl_schedule_unit_dir": str(units),
        "sfb_pki_crl_schedule_inventory": inv,
        "sfb_pki_crl_schedule_environment": {"ANSIBLE_CONFIG": "/etc/ansible/pki.cfg"},
        "sfb_pki_crl_schedule_extra_args": ["-e", "sfb_pki_offline_root_crl_fail_within_days=10"],
    }
    planned = schedule(tmp_path, check=True, **args)
    assert planned["rc"] == 0, planned["output"]
    assert changed(planned) >= 2
    assert not units.exists()  # check mode wrote nothing
    assert "OnCalendar=*-*-* 06:00:00" in planned["output"]

    first = schedule(tmp_path, **args)
    assert first["rc"] == 0, first["output"]
    service = (units / "sfb-pki-crl-refresh.service").read_text()
    timer = (units / "sfb-pki-crl-refresh.timer").read_text()
    assert "Type=oneshot" in service
    assert 'Environment="ANSIBLE_CONFIG=/etc/ansible/pki.cfg"' in service
    exec_line = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    assert exec_line == (
        f'ExecStart="{BIN / "ansible-playbook"}" "-i" "{inv}" "{REPO / "playbooks" / "crl_refresh.yml"}"'
        ' "-e" "sfb_pki_offline_root_crl_fail_within_days=10"'
    )
    assert "[Timer]" in timer and "OnCalendar=*-*-* 06:00:00" in timer and "Persistent=true" in timer
    assert "Unit=sfb-pki-crl-refresh.service" in timer and "WantedBy=timers.target" in timer

    second = schedule(tmp_path, **args)
    assert second["rc"] == 0 and changed(second) == 0, second["output"]

    removed = schedule(tmp_path, sfb_pki_crl_schedule_state="absent", **args)
    assert removed["rc"] == 0 and changed(removed) >= 1
    assert not (units / "sfb-pki-crl-refresh.timer").exists()


def test_percent_signs_are_escaped_for_systemd(tmp_path: Path) -> None:
    units = tmp_path / "units"
    res = schedule(
        tmp_path,
        sfb_pki_crl_schedule_backend="systemd",
        sfb_pki_crl_schedule_unit_dir=str(units),
        sfb_pki_crl_schedule_inventory="/srv/100%/inv.yml",
    )
    assert res["rc"] == 0, res["output"]
    assert '"/srv/100%%/inv.yml"' in (units / "sfb-pki-crl-refresh.service").read_text()


def test_cron_fallback_file(tmp_path: Path) -> None:
    cron = tmp_path / "cron.d"
    args = {
        "sfb_pki_crl_schedule_backend": "cron",
        "sfb_pki_crl_schedule_scope": "system",
        "sfb_pki_crl_schedule_unit_dir": str(cron),
        "sfb_pki_crl_schedule_inventory": "/etc/ansible/pki.yml",
        "sfb_pki_crl_schedule_cron_hour": "5",
        "sfb_pki_crl_schedule_cron_minute": "15",
    }
    first = schedule(tmp_path, **args)
    assert first["rc"] == 0, first["output"]
    text = (cron / "sfb-pki-crl-refresh").read_text()
    line = next(x for x in text.splitlines() if x and not x.startswith(("#", "SHELL")))
    assert line.startswith("15 5 * * * root cd ")
    assert line.endswith(
        f"{BIN / 'ansible-playbook'} -i /etc/ansible/pki.yml {REPO / 'playbooks' / 'crl_refresh.yml'}"
    )
    assert changed(schedule(tmp_path, **args)) == 0


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    res = schedule(tmp_path, sfb_pki_crl_schedule_scope="everyone", sfb_pki_crl_schedule_inventory="/x")
    assert res["rc"] != 0
    assert "sfb_pki_crl_schedule_scope must be user or system" in res["output"]
