# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/awx_setup.yml against the installed awx.awx modules' documentation (no controller needed),
and the sliced audit's wiring: sliced templates, the merge template, the workflow linking them."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.yaml.loader import AnsibleLoader

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "playbooks" / "awx_setup.yml"


def _module_options(name: str) -> set[str]:
    spec = importlib.util.find_spec(f"ansible_collections.awx.awx.plugins.modules.{name}")
    if spec is None or spec.origin is None:
        pytest.skip("the awx.awx collection is not installed")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION":
            doc = yaml.safe_load(ast.literal_eval(node.value))
            return set(doc["options"]) | {"controller_host", "controller_username", "controller_password"}
    raise AssertionError(f"awx.awx.{name} has no DOCUMENTATION")


def _play() -> dict[str, Any]:
    plays = AnsibleLoader(SETUP.read_text(encoding="utf-8")).get_single_data()
    return plays[0]


def _tasks() -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    out = {}
    for task in _play()["tasks"]:
        module = next(k for k in task if k.startswith("awx.awx."))
        out[task["name"]] = (module.removeprefix("awx.awx."), task[module], task)
    return out


def test_every_task_uses_only_documented_options() -> None:
    for name, (module, args, _task) in _tasks().items():
        unknown = set(args) - _module_options(module)
        assert not unknown, f"{name}: awx.awx.{module} has no option {sorted(unknown)}"


def test_every_playbook_named_exists() -> None:
    for path in _play()["vars"]["sfb_pki_awx_playbooks"].values():
        assert (REPO / path).is_file(), path


def test_sliced_audit_runs_the_merge_after_the_slices() -> None:
    tasks = _tasks()
    play_vars = _play()["vars"]
    templates = {
        args["name"]: (args, task) for module, args, task in tasks.values() if module == "job_template"
    }
    for sliced in ("sfb.pki audit", "sfb.pki site"):
        assert templates[sliced][0]["job_slice_count"] == "{{ sfb_pki_awx_slice_count | int }}"
    merge, merge_task = templates["sfb.pki audit merge"]
    assert merge["playbook"] == "{{ sfb_pki_awx_playbooks.audit_merge }}"
    assert merge_task["when"] == "sfb_pki_awx_sliced"
    # each slice writes its own report, named by the ids AWX passes to every job (audit.yml reads them)
    assert "'sfb_pki_audit_sliced': sfb_pki_awx_sliced | bool" in templates["sfb.pki audit"][0]["extra_vars"]
    assert play_vars["sfb_pki_awx_sliced"] == "{{ sfb_pki_awx_slice_count | int > 1 }}"
    assert "awx_job_id" in (REPO / "playbooks" / "audit.yml").read_text()
    nodes = {
        args["identifier"]: args
        for module, args, _t in tasks.values()
        if module == "workflow_job_template_node"
    }
    assert nodes["audit-slices"]["unified_job_template"] == "sfb.pki audit"
    assert nodes["audit-slices"]["always_nodes"] == ["audit-merge"]
    assert nodes["audit-merge"]["unified_job_template"] == "sfb.pki audit merge"
    order = list(tasks)
    assert order.index("Workflow node - merge the slice reports") < order.index(
        "Workflow node - the audit slices, then the merge"
    )  # a node can only link to one that exists
