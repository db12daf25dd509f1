# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sfb.pki.audit_report through ansible-playbook on the controller (no managed host involved)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.action import audit_report as audit_report_action
from ansible_collections.sfb.pki.plugins.module_utils._findings import Finding

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / ".build" / "collections"
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - sfb.pki.audit_report:
        results: "{{ lookup('file', results_file) | from_json }}"
        dest: "{{ out_dir }}"
        fail_on: "{{ fail_on }}"
        template: "{{ template | default(omit) }}"
      register: rep
    - ansible.builtin.copy:
        content: "{{ rep | to_json }}"
        dest: "{{ out_dir }}/task_result.json"
      changed_when: false
"""


def _results() -> dict[str, Any]:
    warning = Finding(
        "server_cert_eku", "warning", "no Client Authentication EKU", "re-issue", object="AB" * 20
    )
    return {"fe01": {"findings": [warning.as_dict()], "events": {"observed": []}}, "fe02": {"findings": []}}


def _run(
    tmp_path: Path,
    fail_on: str,
    check: bool = False,
    out_dir: Path | None = None,
    template: Path | None = None,
    play: str = PLAY,
) -> tuple[int, dict[str, Any], str]:
    if not PLAYBOOK_BIN.exists():
        pytest.skip("ansible-playbook is not installed beside this Python")
    (tmp_path / "results.json").write_text(json.dumps(_results()))
    (tmp_path / "play.yml").write_text(play)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1")
    env["PATH"] = f"{PLAYBOOK_BIN.parent}{os.pathsep}{env.get('PATH', '')}"
    cmd = [
        str(PLAYBOOK_BIN),
        "-i",
        "localhost,",
        "-c",
        "local",
        str(tmp_path / "play.yml"),
        "-e",
        f"results_file={tmp_path / 'results.json'} out_dir={out_dir or tmp_path / 'out'} fail_on={fail_on}",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
    ]
    if check:
        cmd.append("--check")
    if template is not None:
        cmd += ["-e", f"template={template}"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180, check=False)
    result_file = tmp_path / "out" / "task_result.json"
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    return proc.returncode, result, proc.stdout + proc.stderr


def test_writes_both_files_and_reports_no_change(tmp_path: Path) -> None:
    code, result, output = _run(tmp_path, "critical")
    assert code == 0, output
    assert result["changed"] is False
    assert result["fail_reached"] is False
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [h["name"] for h in data["hosts"]] == ["fe01", "fe02"]
    assert data["hosts"][0]["findings"][0]["severity"] == "warning"
    assert "server_cert_eku" in (tmp_path / "out" / "report.html").read_text()
    assert "changed=0" in output


def test_fail_on_warning_fails_after_writing(tmp_path: Path) -> None:
    code, _unused, output = _run(tmp_path, "warning")
    assert code != 0
    assert "sfb_pki_audit_fail_on=warning reached: 1 warning" in output
    assert (tmp_path / "out" / "report.html").exists()


def test_check_mode_still_writes_the_report(tmp_path: Path) -> None:
    if shutil.which("true") is None:  # pragma: no cover - POSIX controller only
        pytest.skip("POSIX controller only")
    code, _unused, output = _run(tmp_path, "none", check=True)
    assert code == 0, output
    assert (tmp_path / "out" / "report.json").exists()


def test_bad_fail_on_is_rejected(tmp_path: Path) -> None:
    code, _unused, output = _run(tmp_path, "sometimes")
    assert code != 0
    assert "fail_on" in output


def test_unwritable_destination_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where the report directory should be")
    code, _unused, output = _run(tmp_path, "none", out_dir=blocker)
    assert code != 0
    assert f"audit_report: cannot write the report to {blocker}" in output


SLICED_PLAY = """
- hosts: localhost
  gather_facts: false
  vars:
    results: "{{ lookup('file', results_file) | from_json }}"
  tasks:
    - sfb.pki.audit_report:
        results: "{{ {'fe01': results.fe01} }}"
        dest: "{{ out_dir }}/slices/7/a"
        slice: a
        run: "7"
    - sfb.pki.audit_report:
        results: "{{ {'fe02': results.fe02} }}"
        dest: "{{ out_dir }}/slices/7/b"
        slice: b
        run: "7"
    - sfb.pki.audit_report:
        results: "{{ results }}"
        dest: "{{ out_dir }}/single"
    - sfb.pki.audit_report:
        merge_from: "{{ out_dir }}/slices/7"
        slices: 2
        dest: "{{ out_dir }}"
      register: rep
    - ansible.builtin.copy:
        content: "{{ rep | to_json }}"
        dest: "{{ out_dir }}/task_result.json"
      changed_when: false
    - sfb.pki.audit_report:
        merge_from: "{{ out_dir }}/slices/7"
        slices: 3
        dest: "{{ out_dir }}/never"
      register: too_few
      ignore_errors: true
    - sfb.pki.audit_report:
        results: "{{ results }}"
        merge_from: "{{ out_dir }}/slices/7"
        dest: "{{ out_dir }}/never"
      register: both
      ignore_errors: true
    - ansible.builtin.copy:
        content: "{{ [too_few.msg, both.msg] | to_json }}"
        dest: "{{ out_dir }}/errors.json"
      changed_when: false
"""


def test_slices_written_then_merged_equal_one_report(tmp_path: Path) -> None:
    code, result, output = _run(tmp_path, "none", play=SLICED_PLAY)
    assert code == 0, output
    out = tmp_path / "out"
    slice_a = json.loads((out / "slices" / "7" / "a" / "report.json").read_text())
    assert (slice_a["slice"], slice_a["run"]) == ("a", "7")
    assert [h["name"] for h in slice_a["hosts"]] == ["fe01"]
    assert result["merged"] == [str(out / "slices" / "7" / n / "report.json") for n in ("a", "b")]
    merged = json.loads((out / "report.json").read_text())
    single = json.loads((out / "single" / "report.json").read_text())
    assert merged.pop("generated") and single.pop("generated")
    assert merged == single
    too_few, both = json.loads((out / "errors.json").read_text())
    assert "holds 2 slice reports (*/report.json), expected 3" in too_few
    assert "give exactly one of results and merge_from" in both
    assert not (out / "never").exists()


def test_one_line_per_host_and_stats_with_every_finding(tmp_path: Path) -> None:
    code, result, output = _run(tmp_path, "none")
    assert code == 0, output
    assert result["host_lines"] == [
        "fe01: 1 warning: server_cert_eku (warning)",
        "fe02: no findings",
    ]
    stats = result["stats"]
    assert stats["report_html"] == str(tmp_path / "out" / "report.html")
    assert stats["summary"]["findings"]["warning"] == 1
    assert stats["hosts"]["fe01"]["findings"] == [
        {"id": "server_cert_eku", "severity": "warning", "object": "AB" * 20, "fix": "re-issue"}
    ]
    assert stats["hosts"]["fe02"] == {"status": "ok", "worst": None, "counts": {}, "findings": []}


def test_host_line_names_the_worst_first_and_unread_hosts() -> None:
    line = audit_report_action.host_line(
        {
            "name": "fe01",
            "status": "ok",
            "counts": {"warning": 2, "critical": 1},
            "findings": [
                {"id": "subordinate_in_root", "severity": "critical"},
                {"id": "gpo_only_root", "severity": "warning"},
                {"id": "gpo_only_root", "severity": "warning"},
            ],
        }
    )
    assert line == "fe01: 1 critical, 2 warning: subordinate_in_root (critical), gpo_only_root (warning)"
    unread = {"name": "edge01", "status": "unreachable", "error": "timed out", "findings": []}
    assert audit_report_action.host_line(unread) == "edge01: not read (unreachable): timed out"


def test_a_site_template_renders_report_html(tmp_path: Path) -> None:
    template = tmp_path / "site.html.j2"
    template.write_text(
        "<h1>Contoso PKI</h1>{% for h in view.hosts %}<p>{{ h.name }}: {{ h.shown_status }}</p>{% endfor %}"
    )
    code, _unused, output = _run(tmp_path, "none", template=template)
    assert code == 0, output
    assert (tmp_path / "out" / "report.html").read_text() == (
        "<h1>Contoso PKI</h1><p>fe01: warning</p><p>fe02: None</p>"
    )


def test_an_unreadable_template_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.j2"
    code, _unused, output = _run(tmp_path, "none", template=missing)
    assert code != 0
    assert f"template {missing}: cannot be read" in output
    assert not (tmp_path / "out" / "report.json").exists()
