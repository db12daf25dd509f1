# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/audit.yml against simulated estates: every finding type appears where its fault is seeded
and nowhere on a healthy estate; the run is read-only; the HTML holds every finding."""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from simlab import SimLab

from ansible_collections.sfb.pki.plugins.module_utils._host import available_sections

pytestmark = pytest.mark.integration

PLAYBOOK = "playbooks/audit.yml"
BASELINE = Path(__file__).resolve().parents[1] / "fixtures" / "baseline"
MUTATING = {"win_regedit", "win_service", "win_copy", "win_file", "win_command", "win_certificate_store"}


def _audit(lab: SimLab, tmp_path: Path, **extra: Any) -> tuple[Any, dict[str, Any], str]:
    out = tmp_path / "report"
    res = lab.run(
        PLAYBOOK, extra_vars={"sfb_pki_report_dir": str(out), **extra.pop("extra_vars", {})}, **extra
    )
    data = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else {}
    page = (out / "report.html").read_text() if (out / "report.html").exists() else ""
    return res, data, page


def _once(res: Any, task: str) -> dict[str, Any]:
    """The result of a run-once task of the audit, whichever host it ran on."""
    found = [r for h in res.stats for n, r in res.task_results(h) if n == task]
    assert found, f"{task!r} did not run"
    result: dict[str, Any] = found[0]
    return result


def _findings(data: dict[str, Any], host: str) -> dict[str, list[dict[str, Any]]]:
    entry = next(h for h in data["hosts"] if h["name"] == host)
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in entry["findings"]:
        found.setdefault(finding["id"], []).append(finding)
    return found


def _baseline_thumbprints() -> dict[str, set[str]]:
    """Thumbprints of the Windows Server baseline by "store/physical", and all of them under ""."""
    manifest = yaml.safe_load((BASELINE / "baseline.yml").read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {"": set()}
    for entry in manifest["certificates"]:
        thumbprint = Path(entry["file"]).stem
        found.setdefault(f"{entry['store']}/{entry['physical']}", set()).add(thumbprint)
        found[""].add(thumbprint)
    return found


def _symptom(data: dict[str, Any], host: str, event_id: int) -> dict[str, Any]:
    entry = next(h for h in data["hosts"] if h["name"] == host)
    return next(s for s in entry["symptoms"] if s["id"] == event_id)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    parser.close()
    return " ".join(parser.parts)


def test_lab_estate_audit(lab: SimLab, tmp_path: Path) -> None:
    res, data, page = _audit(lab, tmp_path)
    assert res.rc == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert all(count == 0 for count in res.changed.values()), res.summary()
    assert sorted(h["name"] for h in data["hosts"]) == lab.hosts
    for host in lab.hosts:
        calls = lab.calls(host)
        assert [c["module"] for c in calls] == ["win_powershell"], f"{host}: one read, nothing else"

    fe01 = _findings(data, "fe01")
    assert fe01["subordinate_in_root"][0]["severity"] == "critical"
    assert fe01["subordinate_in_root"][0]["thumbprint"] == lab.thumbprint("issuing")
    assert fe01["gpo_only_root"][0]["thumbprint"] == lab.thumbprint("root")
    # seed 001: the MD5 signature a peer verifies is critical; the MD5 root's own self-signature is not
    md5 = [f for f in fe01["weak_signature_ca"] if f["thumbprint"] == lab.thumbprint("legacy_md5_issuing")]
    assert md5[0]["severity"] == "critical"
    assert lab.thumbprint("legacy_md5") not in [f["thumbprint"] for f in fe01["weak_signature_ca"]]
    assert [(f["thumbprint"], f["severity"]) for f in fe01["weak_root_self_signature"]] == [
        (lab.thumbprint("legacy_md5"), "info")
    ]
    edge01 = _findings(data, "edge01")
    assert edge01["server_cert_eku"][0]["thumbprint"] == lab.thumbprint("edge01_internal")
    sha1 = [f for f in edge01["weak_signature_ca"] if f["thumbprint"] == lab.thumbprint("legacy_sha1_ca")]
    assert sha1[0]["severity"] == "warning"

    # symptoms beside their causes
    explained = {(c["host"], c["id"]) for c in _symptom(data, "fe01", 32042)["explained_by"]}
    assert ("fe01", "subordinate_in_root") in explained
    assert _symptom(data, "fe01", 32042)["count"] == 6
    assert {c["id"] for c in _symptom(data, "fe01", 36888)["explained_by"]} == {"weak_signature_ca"}
    assert {c["id"] for c in _symptom(data, "edge01", 41025)["explained_by"]} == {"server_cert_eku"}
    # the CA's event 100 is 220 days old: outside the window
    assert not next(h for h in data["hosts"] if h["name"] == "subca01")["symptoms"]

    # the Windows Server baseline every lab host carries raises nothing above info
    baseline = _baseline_thumbprints()
    for host in data["hosts"]:
        alarms = [f for f in host["findings"] if f["thumbprint"] in baseline[""] and f["severity"] != "info"]
        assert alarms == [], host["name"]

    # Lync Phone Edition verdicts per server certificate
    certs = next(h for h in data["hosts"] if h["name"] == "fe01")["server_certificates"]
    assert {c["thumbprint"] for c in certs} == {lab.thumbprint("fe01"), lab.thumbprint("fe01_web")}
    assert all(set(c["lpe"]["baselines"]) == {"RTM", "CU10", "CU11"} for c in certs)

    # CRL timeline: the root CRL (20 days left) is past its refresh-due date
    rows = {r["ca"]: r for r in data["crl_timeline"]}
    assert rows["CN=Contoso Offline Root CA,O=Contoso"]["status"] == "refresh_due"

    text = _html_text(page)
    assert (
        "<svg" in page
        and "<script" not in page
        and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    for host in data["hosts"]:
        for finding in host["findings"]:
            assert finding["id"] in text
            assert finding["message"] in text


def test_lab_check_mode_and_fail_on(lab: SimLab, tmp_path: Path) -> None:
    res, data, _unused = _audit(lab, tmp_path, check=True, extra_vars={"sfb_pki_audit_fail_on": "critical"})
    assert res.rc != 0
    assert all(count == 0 for count in res.changed.values()), res.summary()
    assert "sfb_pki_audit_fail_on=critical reached" in res.stdout
    assert data["summary"]["worst"] == "critical"  # the report is written before failing
    for host in lab.hosts:
        assert not [c for c in lab.calls(host) if c["module"] in MUTATING]


def test_unreachable_host_is_reported_not_fatal(lab: SimLab, tmp_path: Path) -> None:
    lab.inject_fault("edge01", "win_powershell", kind="unreachable")
    res, data, page = _audit(lab, tmp_path)
    assert res.rc == 0, res.stdout[-3000:]
    assert data["summary"]["hosts_not_read"] == ["edge01"]
    edge01 = next(h for h in data["hosts"] if h["name"] == "edge01")
    assert edge01["status"] in ("failed", "unreachable")
    assert "win_powershell" in edge01["error"]
    assert "subordinate_in_root" in _findings(data, "fe01")
    assert "edge01" in _html_text(page)


def test_healthy_estate_has_no_problem(lab_factory: Callable[[str], SimLab], tmp_path: Path) -> None:
    lab = lab_factory("audit_healthy")
    # the host carries the real Windows Server baseline: MD5-signed and long expired KB293781 roots,
    # an MD2 root among Windows Update's, Disallowed entries, an empty SmartCardRoot store
    baseline = _baseline_thumbprints()
    assert set(lab.store_thumbprints("fe01", "Root", "registry")) >= baseline["Root/registry"]
    assert set(lab.store_thumbprints("fe01", "Root", "third_party")) == baseline["Root/third_party"]
    assert set(lab.store_thumbprints("fe01", "Disallowed", "registry")) == baseline["Disallowed/registry"]
    smartcard = "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\SmartCardRoot\\Certificates"
    assert lab.state("fe01")["registry"][smartcard] == {}
    res, data, _unused = _audit(lab, tmp_path, extra_vars={"sfb_pki_audit_fail_on": "warning"})
    assert res.rc == 0, res.stdout[-3000:]
    (host,) = data["hosts"]
    assert data["summary"]["findings"].get("critical", 0) == 0
    assert data["summary"]["findings"].get("warning", 0) == 0
    assert {f["id"] for f in host["findings"]} <= {"lpe_root_not_in_firmware"}
    assert host["symptoms"] == []  # old 32042 and a CA event 100 with another error code are not counted
    assert data["crl_timeline"][0]["status"] == "ok"


def test_fault_estate_triggers_each_remaining_finding(
    lab_factory: Callable[[str], SimLab], tmp_path: Path
) -> None:
    lab = lab_factory("audit_faults")
    res, data, page = _audit(lab, tmp_path)
    assert res.rc == 0, res.stdout[-3000:]
    fe02 = _findings(data, "fe02")
    expected = {
        "subordinate_in_policy_root": lab.thumbprint("issuing"),
        "expired_ca": lab.thumbprint("old_ca"),
        "expiring_ca": lab.thumbprint("ending_ca"),
        "server_cert_expired": lab.thumbprint("fe_expired"),
        "server_cert_expiring": lab.thumbprint("fe_expiring"),
        "server_cert_chain_incomplete": lab.thumbprint("fe_orphan"),
    }
    for finding_id, thumbprint in expected.items():
        assert thumbprint in [f["thumbprint"] for f in fe02[finding_id]], finding_id
    assert "undecodable_blob" in fe02
    # nothing on fe02 chains to the retired CA any more: reported, not alarmed about
    assert [f["severity"] for f in fe02["expired_ca"]] == ["info"]
    baseline = _baseline_thumbprints()[""]
    for host in data["hosts"]:
        assert [f for f in host["findings"] if f["thumbprint"] in baseline and f["severity"] != "info"] == []
    assert fe02["unexplained_symptom"][0]["observed"][0]["id"] == 41026

    # event 100 with 0x80092013 is counted; its cause is the expired root CRL installed on ca02
    symptom = _symptom(data, "ca02", 100)
    assert symptom["count"] == 3
    causes = {c["id"] for c in symptom["explained_by"]}
    if "ca" in available_sections():
        assert "ca_parent_crl_expired" in causes
    else:  # without the ca section nothing on ca02 explains it; fe02's expired CA must not either
        assert causes == set()
        assert "unexplained_symptom" in _findings(data, "ca02")
    rows = {r["ca"]: r for r in data["crl_timeline"]}
    assert rows["CN=Tailspin Root CA,O=Tailspin"]["status"] == "expired"
    text = _html_text(page)
    for host in data["hosts"]:
        for finding in host["findings"]:
            assert finding["message"] in text


_TIMES = (
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)",  # generated, CRL times
    r"today \d{4}-\d\d-\d\d",
    r"\d{4}-\d\d-\d\d \d\d:\d\d UTC",  # times as the page shows them (a minute may pass between runs)
    r'x1="[\d.]+" x2="[\d.]+" y1="18"',  # the today line moves with the clock
)


def _without_times(data: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(json.dumps(data))
    data.pop("generated")
    for row in data["crl_timeline"]:
        row.pop("days_left")
    return data


def _html_without_times(page: str) -> str:
    import re

    for pattern in _TIMES:
        page = re.sub(pattern, "<time>", page)
    return re.sub(r'<td class="n">-?\d+\.\d</td>', "<days>", page)  # days left of each CRL


def test_two_slices_merged_give_the_report_of_one_run(lab: SimLab, tmp_path: Path) -> None:
    """A sliced audit (AWX job_slice_count=2: each slice sees only its hosts) merged equals one run.

    The slices split the CA pair: the root CRL is seen on offroot01 (slice 1) and subca01 (slice 2),
    and only the merged timeline knows both.
    """
    reports = tmp_path / "reports"
    slices = (
        ("1", "offroot01,fe01", {"sfb_pki_audit_slice": "1", "sfb_pki_audit_run": "42"}),
        # as in an AWX sliced job template: the ids are the ones AWX passes to every job
        ("2", "subca01,edge01", {"sfb_pki_audit_sliced": True, "awx_job_id": 2, "awx_workflow_job_id": 42}),
    )
    for slice_id, hosts, ids in slices:
        res = lab.run(
            PLAYBOOK, extra_vars={"sfb_pki_report_dir": str(reports), **ids}, limit=f"{hosts},localhost"
        )
        assert res.rc == 0, res.summary()
        part = json.loads((reports / "slices" / "42" / slice_id / "report.json").read_text())
        assert sorted(h["name"] for h in part["hosts"]) == sorted(hosts.split(","))
    assert not (reports / "report.json").exists()
    merge = lab.run(
        "playbooks/audit_merge.yml",
        extra_vars={"sfb_pki_report_dir": str(reports), "sfb_pki_audit_merge_slices": 2},
    )
    assert merge.rc == 0, merge.summary()
    assert lab.round_trips("fe01") == 1  # the merge reads no host
    merged = json.loads((reports / "report.json").read_text())

    res, single, page = _audit(lab, tmp_path)
    assert res.rc == 0, res.summary()
    assert _without_times(merged) == _without_times(single)
    assert _html_without_times((reports / "report.html").read_text()) == _html_without_times(page)
    root_crl = next(r for r in merged["crl_timeline"] if r["ca"] == "CN=Contoso Offline Root CA,O=Contoso")
    assert root_crl["hosts"] == ["offroot01", "subca01"]


def test_each_hosts_facts_are_saved_beside_the_report_not_kept_in_the_play(
    lab: SimLab, tmp_path: Path
) -> None:
    res, data, _page = _audit(lab, tmp_path)
    assert res.rc == 0, res.summary()
    registered = res.result("fe01", "Read the host (certificates, server certificates, services, CA, events)")
    assert registered["saved_to"] == str(tmp_path / "report" / "hosts" / "fe01.json")
    assert "certificates" not in registered and "findings" not in registered
    saved = json.loads(Path(registered["saved_to"]).read_text())
    assert lab.thumbprint("fe01") in {c["thumbprint"] for c in saved["certificates"]["certificates"]}
    fe01 = next(h for h in data["hosts"] if h["name"] == "fe01")
    assert len(fe01["findings"]) >= len(saved["findings"]) > 0
    assert registered["finding_counts"]["critical"] == sum(
        1 for f in saved["findings"] if f["severity"] == "critical"
    )
    # a saved result that has gone missing makes that host "not read", with the reason
    Path(registered["saved_to"]).unlink()
    results = {"fe01": registered}
    play = tmp_path / "report_only.yml"
    play.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - sfb.pki.audit_report:\n        results: '{{ given }}'\n        dest: '{{ out }}'\n"
    )
    rerun = lab.run(play, extra_vars={"given": results, "out": str(tmp_path / "again")})
    assert rerun.rc == 0, rerun.summary()
    again = json.loads((tmp_path / "again" / "report.json").read_text())
    assert again["summary"]["hosts_not_read"] == ["fe01"]
    assert "fe01.json cannot be read" in again["hosts"][0]["error"]


def test_hosts_outside_the_target_are_not_counted(lab: SimLab, tmp_path: Path) -> None:
    # a Linux host of a shared infrastructure inventory, outside the group sfb_pki
    data = yaml.safe_load(lab.inventory.read_text())
    data["all"].setdefault("hosts", {})["linux01"] = {"ansible_host": "192.0.2.1", "ansible_port": 1}
    lab.inventory.write_text(yaml.safe_dump(data))
    res, report, _unused = _audit(lab, tmp_path, extra_vars={"sfb_pki_audit_fail_on": "critical"})
    assert "linux01" not in res.stdout
    assert sorted(h["name"] for h in report["hosts"]) == lab.hosts
    assert report["summary"]["hosts_not_read"] == []


def test_the_event_window_is_read_once_for_the_play(lab: SimLab, tmp_path: Path) -> None:
    # The report states one event window; every host is read with that window, even when an inventory
    # gives one host another (host_vars of the host the play reaches last).
    last = lab.hosts[-1]
    (lab.root / "host_vars").mkdir(exist_ok=True)
    (lab.root / "host_vars" / f"{last}.yml").write_text("sfb_pki_audit_events_days: 30\n")
    res, data, _unused = _audit(lab, tmp_path, extra_vars={})
    assert res.rc == 0, res.stdout[-3000:]
    assert data["events_days"] == 7
    for host in lab.hosts:
        (call,) = lab.calls(host, "win_powershell")
        windows = {event["days"] for event in call["args"]["parameters"]["Events"]}
        assert windows == {7}, host


def test_job_statistics_log_lines_and_report_copies(lab: SimLab, tmp_path: Path) -> None:
    copies = tmp_path / "published"
    copies.mkdir()
    res, data, page = _audit(
        lab,
        tmp_path,
        extra_vars={
            "sfb_pki_audit_fail_on": "critical",
            "sfb_pki_report_copy_dir": str(copies),
            "sfb_pki_report_copy_windows_host": "fe01",
            "sfb_pki_report_copy_windows_path": "C:\\inetpub\\wwwroot\\pki",
        },
        env={"ANSIBLE_SHOW_CUSTOM_STATS": "1"},
    )
    assert res.rc != 0  # critical findings: the play fails at its end, after statistics and copies
    assert (
        "sfb_pki_audit_fail_on=critical reached"
        in _once(res, "Fail when sfb_pki_audit_fail_on was reached")["msg"]
    )
    stats = res.data["global_custom_stats"]["sfb_pki_audit"]
    assert sorted(stats["hosts"]) == lab.hosts
    for host in data["hosts"]:
        expected = [{k: f.get(k) for k in ("id", "severity", "object", "fix")} for f in host["findings"]]
        assert stats["hosts"][host["name"]]["findings"] == expected
        assert stats["hosts"][host["name"]]["counts"] == host["counts"]
    assert stats["summary"]["worst"] == "critical"
    lines = _once(res, "Say what was found, one line per host")["msg"]
    assert len(lines) == len(lab.hosts)
    fe01_line = next(line for line in lines if line.startswith("fe01: "))
    assert "critical" in fe01_line and "subordinate_in_root (critical)" in fe01_line
    assert (copies / "report.html").read_text() == page
    assert json.loads((copies / "report.json").read_text()) == data
    written = lab.host("fe01").files
    assert any(p.lower().endswith("\\pki\\report.html") for p in written), sorted(written)[:20]
