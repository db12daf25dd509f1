# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/awx_setup.yml against a stand-in awx.awx collection that records every call it gets.

No controller is needed: each awx.awx module the playbook uses is replaced by one that appends its
arguments to a log and reports no change, so the test sees exactly what the controller would be sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from simlab import COLLECTIONS, content_path

pytestmark = pytest.mark.integration

MODULES = (
    "execution_environment",
    "project",
    "inventory",
    "inventory_source",
    "credential_type",
    "credential",
    "job_template",
    "schedule",
    "workflow_job_template",
    "workflow_job_template_node",
)
RECORDER = """#!/usr/bin/python
import json
import os
import sys

from ansible.module_utils.basic import _load_params

params = {k: v for k, v in _load_params().items() if not k.startswith("_ansible")}
with open(os.environ["FAKE_AWX_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({"module": "%s", "args": params}) + "\\n")
print(json.dumps({"changed": False}))
sys.exit(0)
"""


def _fake_awx(root: Path) -> Path:
    coll = root / "ansible_collections" / "awx" / "awx"
    (coll / "plugins" / "modules").mkdir(parents=True)
    (coll / "meta").mkdir()
    (coll / "galaxy.yml").write_text("namespace: awx\nname: awx\nversion: 99.0.0\n")
    (coll / "meta" / "runtime.yml").write_text(
        "requires_ansible: '>=2.15'\naction_groups:\n  controller:\n"
        + "".join(f"    - {m}\n" for m in MODULES)
    )
    for module in MODULES:
        (coll / "plugins" / "modules" / f"{module}.py").write_text(RECORDER % module)
    return root


def _setup(tmp_path: Path, **extra: Any) -> list[dict[str, Any]]:
    log = tmp_path / "calls.jsonl"
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": os.pathsep.join(
                [str(_fake_awx(tmp_path / "fake")), str(COLLECTIONS)]
            ),
            "FAKE_AWX_LOG": str(log),
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        }
    )
    cmd = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "localhost,",
        str(content_path("playbooks/awx_setup.yml")),
        "-e",
        json.dumps({"ansible_python_interpreter": sys.executable, **extra}),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_credential_type_injects_nothing_host_vars_cannot_override(tmp_path: Path) -> None:
    calls = _setup(
        tmp_path, sfb_pki_awx_windows_username="svc@CORP.EXAMPLE.COM", sfb_pki_awx_windows_password="x"
    )
    (ctype,) = [c["args"] for c in calls if c["module"] == "credential_type"]
    injected = ctype["injectors"]["extra_vars"]
    assert not [name for name in injected if name.startswith("ansible_")]
    assert injected == {
        "sfb_pki_windows_user": "{{ username }}",
        "sfb_pki_windows_password": "{{ password }}",
        "sfb_pki_windows_transport": "{{ transport }}",
    }
    assert [c["args"]["inputs"]["username"] for c in calls if c["module"] == "credential"] == [
        "svc@CORP.EXAMPLE.COM"
    ]


def test_output_dir_reaches_every_job_template(tmp_path: Path) -> None:
    calls = _setup(tmp_path, sfb_pki_awx_output_dir="/srv/sfb-pki")
    templates = {c["args"]["name"]: c["args"] for c in calls if c["module"] == "job_template"}
    assert sorted(templates) == ["sfb.pki audit", "sfb.pki crl_refresh", "sfb.pki site"]
    for name, args in templates.items():
        assert args["extra_vars"] == {
            "sfb_pki_report_dir": "/srv/sfb-pki/reports",
            "sfb_pki_backup_dir": "/srv/sfb-pki/backups",
            "sfb_pki_offline_root_crl_controller_dir": "/srv/sfb-pki/crl",
            **({"sfb_pki_audit_sliced": False} if name == "sfb.pki audit" else {}),
        }
    default = _setup(tmp_path / "default")
    extra = {c["args"]["name"]: c["args"]["extra_vars"] for c in default if c["module"] == "job_template"}
    assert extra == {
        "sfb.pki audit": {"sfb_pki_audit_sliced": False},
        "sfb.pki crl_refresh": {},
        "sfb.pki site": {},
    }
    assert not [c for c in default if c["module"].startswith("workflow")]


def test_sliced_audit_and_site_with_the_merge_workflow(tmp_path: Path) -> None:
    calls = _setup(tmp_path, sfb_pki_awx_output_dir="/srv/sfb-pki", sfb_pki_awx_slice_count=4)
    templates = {c["args"]["name"]: c["args"] for c in calls if c["module"] == "job_template"}
    assert templates["sfb.pki audit"]["job_slice_count"] == 4
    assert templates["sfb.pki site"]["job_slice_count"] == 4
    assert templates["sfb.pki audit"]["extra_vars"]["sfb_pki_audit_sliced"] is True
    merge = templates["sfb.pki audit merge"]
    assert merge["playbook"] == "playbooks/audit_merge.yml"
    assert merge["extra_vars"]["sfb_pki_audit_merge_slices"] == 4
    assert (
        merge["extra_vars"]["sfb_pki_report_dir"]
        == templates["sfb.pki audit"]["extra_vars"]["sfb_pki_report_dir"]
    )
    nodes = [c["args"] for c in calls if c["module"] == "workflow_job_template_node"]
    assert [n["identifier"] for n in nodes] == ["audit-merge", "audit-slices"]  # the target exists first
    assert nodes[1]["always_nodes"] == ["audit-merge"] and nodes[1]["unified_job_template"] == "sfb.pki audit"
    (schedule,) = [c["args"] for c in calls if c["module"] == "schedule" and "audit" in c["args"]["name"]]
    assert schedule["unified_job_template"] == "sfb.pki audit (sliced)"
