# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The simulated estate behaves like ansible.windows on Windows, and can be looked inside."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import simlab
from cryptography import x509
from simlab import SimLab

from ansible_collections.sfb.pki.plugins.module_utils import _blob, _snapshot

pytestmark = pytest.mark.integration

CERTENROLL_ROOT_CRL = "C:\\Windows\\System32\\CertSrv\\CertEnroll\\Contoso Offline Root CA.crl"


def _files(lab: SimLab) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in [*lab.root.glob("hosts/*.yml"), lab.root / "ad.yml"]}


def test_rejected_arguments_fail_like_the_real_modules(lab: SimLab) -> None:
    before = _files(lab)
    res = lab.run("tests/integration/playbooks/sim_bad_args.yml")
    msgs = {name: r.get("msg", "") for name, r in res.task_results("fe01")}
    assert all(r.get("failed") for _unused, r in res.task_results("fe01")), msgs
    assert "Unsupported parameters" in msgs["Misspelled option"] and "nmae" in msgs["Misspelled option"]
    assert "start_mode must be one of" in msgs["Bad choice"] and "delayd" in msgs["Bad choice"]
    assert "mutually exclusive" in msgs["Mutually exclusive"]
    assert "missing required arguments: name" in msgs["Missing required"]
    assert "not a valid powershell path" in msgs["Bad registry path"]
    assert _files(lab) == before
    logged = lab.calls("fe01")
    assert [c["module"] for c in logged] == [
        "win_regedit",
        "win_service",
        "win_command",
        "win_service",
        "win_regedit",
    ]
    assert all(c["failed"] for c in logged)


def test_check_mode_changes_nothing_and_the_call_log_counts(lab: SimLab) -> None:
    before = _files(lab)
    res = lab.run("tests/integration/playbooks/sim_writes.yml", check=True, diff=True)
    assert res.rc == 0, res.stdout
    assert res.changed["offroot01"] == 5  # regedit, service, copy, file, the script without ShouldProcess
    assert _files(lab) == before
    diff = res.result("offroot01", "Regedit")["diff"]
    diff = diff[0] if isinstance(diff, list) else diff
    assert diff == {
        "before": {},
        "after": {"HKLM:\\SOFTWARE\\Contoso\\Test": {"Level": {"type": "DWord", "value": "0x00000003"}}},
    }
    calls = lab.calls("offroot01")
    assert len(calls) == 10 and lab.round_trips("offroot01") == 10
    assert all(c["check_mode"] for c in calls)
    command = lab.calls("offroot01", "win_command")
    assert command[0]["skipped"] and not command[0]["changed"]

    res = lab.run("tests/integration/playbooks/sim_writes.yml")
    assert res.rc == 0, res.stdout
    assert res.changed["offroot01"] == 5  # four writes + certutil (win_command always reports a change)
    for _unused, result in res.task_results("offroot01"):
        module = result["action"].split(".")[-1]
        extra = set(result) - _real_return_keys(module) - _COMMON_KEYS
        assert not extra, f"{module} returns keys its real RETURN docs do not have: {extra}"
    assert lab.round_trips("offroot01") == 20
    model = lab.host("offroot01")
    assert model.registry.get("HKLM\\SOFTWARE\\Contoso\\Test", "Level") == {"type": "dword", "value": 3}
    assert model.start_mode("CertSvc") == "delayed"
    assert model.file("C:\\Windows\\Temp\\hello.txt")["content"] == b"hello"
    assert model.is_dir("c:\\windows\\temp\\NEWDIR")


_COMMON_KEYS = {
    "changed",
    "failed",
    "skipped",
    "msg",
    "warnings",
    "invocation",
    "diff",
    "action",
    "_ansible_no_log",
}


def _real_return_keys(module: str) -> set[str]:
    """Top-level keys of the installed real ansible.windows module's RETURN documentation."""
    import ast
    import sysconfig

    import yaml

    path = (
        Path(sysconfig.get_paths()["purelib"])
        / "ansible_collections/ansible/windows/plugins/modules"
        / f"{module}.py"
    )
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "RETURN" for t in node.targets):
            return set(yaml.safe_load(ast.literal_eval(node.value)) or {})
    return set()


def test_faults_fail_the_next_calls_then_clear(lab: SimLab) -> None:
    lab.inject_fault("fe01", "win_reg_stat", count=2, kind="failed", rc=5)
    lab.inject_fault("edge01", "ansible.windows.win_ping", kind="unreachable")
    stat = ("ansible.windows.win_reg_stat", {"path": "HKLM:\\SOFTWARE"})
    first, second, third = lab.tasks("fe01", [stat, stat, stat])
    assert first["failed"] and "simulated fault" in first["msg"] and second["failed"]
    assert not third.get("failed") and third["exists"]
    res = lab.run("tests/integration/playbooks/sim_ping.yml")
    assert res.stats["edge01"]["unreachable"] == 1 and res.failed["edge01"] == 1
    assert res.stats["fe01"]["ok"] == 1
    assert lab.state("edge01")["faults"] == [] and lab.state("fe01")["faults"] == []
    assert [c["unreachable"] for c in lab.calls("edge01")] == [True]


def test_connection_faults_raise_like_psrp_and_winrm(lab: SimLab) -> None:
    lab.inject_fault("fe01", "win_regedit", kind="reply_lost")
    lab.inject_fault("fe01", "win_regedit", kind="connection_lost", transport="winrm")
    lab.inject_fault("fe01", "win_powershell", kind="script_error")
    key = "HKLM:\\SOFTWARE\\Contoso\\Faults"
    calls: list[tuple[str, dict[str, Any] | str]] = [
        ("ansible.windows.win_regedit", {"path": key, "name": name, "data": 1, "type": "dword"})
        for name in ("Lost", "Refused")
    ]
    calls.append(("ansible.windows.win_powershell", {"script": "Get-ChildItem C:\\"}))
    lost, refused, script = lab.tasks("fe01", calls)
    # psrp.py exec_command: the module ran, its reply timed out
    assert lost["unreachable"] is True
    assert lost["msg"].endswith("HTTP read timeout during PSRP script execution")
    # winrm.py _winrm_connect: the module never started
    assert refused["unreachable"] is True and "ntlm: HTTPSConnectionPool(host=" in refused["msg"]
    assert "Connection refused" in refused["msg"]
    values = lab.host("fe01").registry.values("HKLM\\SOFTWARE\\Contoso\\Faults")
    assert "Lost" in values and "Refused" not in values
    # win_powershell.ps1: a script that throws fails without msg, the error records say why
    assert script["failed"] is True and "Access to the path" in script["error"][0]["exception"]["message"]
    assert script["error"][0]["fully_qualified_error_id"].startswith("DirUnauthorizedAccessError")
    logged = [(c["module"], c.get("fault"), c["changed"]) for c in lab.calls("fe01")]
    assert logged == [
        ("win_regedit", "reply_lost", True),
        ("win_regedit", "connection_lost", False),
        ("win_powershell", "script_error", False),
    ]
    assert lab.state("fe01")["faults"] == []


def test_a_connection_fault_without_the_sim_connection_fails_loudly(lab: SimLab) -> None:
    lab.inject_fault("edge01", "win_ping", kind="reply_lost", transport="winrm")
    res = lab.run("tests/integration/playbooks/sim_ping.yml", extra_vars={"ansible_connection": "local"})
    ping = res.result("edge01", "Ping")
    assert ping["failed"] is True and not ping.get("unreachable")
    assert ping["msg"].startswith("simulator: fault kind reply_lost on win_ping needs ansible_connection")


def test_certutil_crl_signs_a_crl_with_the_ca_key(lab: SimLab) -> None:
    from ansible_collections.sfb.pki.plugins.module_utils import _certs, _crl

    old = x509.load_der_x509_crl(lab.host("offroot01").file(CERTENROLL_ROOT_CRL)["content"])
    old_number = old.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    (result,) = lab.tasks("offroot01", [("ansible.windows.win_command", "certutil -crl")])
    assert result["rc"] == 0 and result["changed"], result
    der = lab.host("offroot01").file(CERTENROLL_ROOT_CRL)["content"]
    crl = x509.load_der_x509_crl(der)
    root = x509.load_pem_x509_certificate(lab.pki_file("root").read_bytes())
    assert crl.is_signature_valid(root.public_key())  # type: ignore[arg-type]
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == old_number + 1
    now = dt.datetime.now(dt.UTC)
    assert abs((crl.last_update_utc - now).total_seconds()) < 120
    assert 209 <= (crl.next_update_utc - crl.last_update_utc).days <= 215  # CRLPeriod Months x 7
    assert lab.state("offroot01")["ca"]["crl_number"] == old_number + 1
    # the collection's own core agrees
    assert _crl.load_crl(der, "new CRL").verify(_certs.load_certificate(root.public_bytes(_pem()), "root"))

    stopped, failed = lab.tasks(
        "subca01",
        [
            ("ansible.windows.win_service", {"name": "CertSvc", "state": "stopped"}),
            ("ansible.windows.win_command", "certutil -crl"),
        ],
    )
    assert stopped["state"] == "stopped"
    assert failed["failed"] and "RPC_S_SERVER_UNAVAILABLE" in failed["stdout"]


def _pem():  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.PEM


def test_certutil_addstore_dspublish_and_unknown_commands(lab: SimLab) -> None:
    cmd = "ansible.windows.win_command"
    old_thumb = lab.thumbprint("root_crl")
    crls_key = "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\CA\\CRLs"
    copied, added = lab.tasks(
        "subca01",
        [
            (
                "ansible.windows.win_copy",
                {"src": str(lab.pki_file("root_crl")), "dest": "C:\\Windows\\Temp\\root.crl"},
            ),
            (cmd, "certutil -f -addstore CA C:\\Windows\\Temp\\root.crl"),
        ],
    )
    assert copied["changed"] and added["rc"] == 0 and "added to store" in added["stdout"]
    assert lab.host("subca01").registry.subkeys(crls_key) == [old_thumb]  # the same CRL: replaced in place

    root = lab.thumbprint("root")
    results = lab.tasks(
        "fe01",
        [
            (
                "ansible.windows.win_copy",
                {"src": str(lab.pki_file("root")), "dest": "C:\\Windows\\Temp\\root.cer"},
            ),
            (cmd, {"argv": ["certutil.exe", "-addstore", "root", "C:\\Windows\\Temp\\root.cer"]}),
            (cmd, "certutil -f -dspublish C:\\Windows\\Temp\\root.cer RootCA"),
            (cmd, "certutil -addstore CA C:\\nope.crl"),
            (cmd, "certutil -delstore Root 1234"),
            (cmd, "cmd.exe /c dir"),
            (cmd, "certutil -addstore My C:\\Windows\\Temp\\root.cer"),
        ],
    )
    assert results[1]["rc"] == 0 and results[2]["rc"] == 0, results
    assert root in lab.store_thumbprints("fe01", "Root", "registry")
    key = "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\" + root
    blob = lab.host("fe01").registry.get(key, "Blob")["value"]
    assert _blob.sha1_hex(_blob.decode_certificate_blob(blob, "blob", root)) == root
    assert [c["thumbprint"] for c in lab.ad()["certificates"]] == [root]
    assert results[3]["failed"] and "ERROR_FILE_NOT_FOUND" in results[3]["stdout"]
    for loud in results[4:]:
        assert loud["failed"] and "simulator:" in loud["msg"], loud
    (offline,) = lab.tasks("offroot01", [(cmd, "certutil -dspublish -f C:\\x.crl")])
    assert offline["failed"] and offline["rc"] != 0


def test_win_copy_to_a_missing_folder_behaves_like_the_real_action(lab: SimLab) -> None:
    copy = "ansible.windows.win_copy"
    src = str(lab.pki_file("root_crl"))
    file_dest = {"src": src, "dest": "C:\\pki\\cdp\\root.crl"}
    (planned,) = lab.tasks("subca01", [(copy, file_dest)], check=True)
    assert planned["changed"] is True and not planned.get("failed"), planned
    assert not lab.host("subca01").is_dir("C:\\pki\\cdp")
    (real,) = lab.tasks("subca01", [(copy, file_dest)])
    assert real["failed"] and "Destination directory 'C:\\pki\\cdp' does not exist" in real["msg"]
    (into,) = lab.tasks("subca01", [(copy, {"src": src, "dest": "C:\\pki\\cdp\\"})])
    assert into["changed"] is True and lab.host("subca01").file("C:\\pki\\cdp\\" + Path(src).name)


def test_msiexec_repair_follows_seed_003(lab: SimLab) -> None:
    cmd = "ansible.windows.win_command"
    code = "{5E0D6C7B-1A8F-4C27-9B61-2F3A7C5E9D10}"
    repair = f"msiexec.exe /i {code} REINSTALL=ALL REINSTALLMODE=vomus /qn /norestart"
    lab.edit(
        "fe01",
        lambda h: h.registry.set(
            "HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full", "Release", "dword", 378389
        ),
    )
    svc = "ansible.windows.win_service"
    up = {"start_mode": "delayed", "state": "started"}
    results = lab.tasks(
        "fe01",
        [
            (svc, {"name": "RTCCLSAGT", **up}),
            (svc, {"name": "REPLICA", **up}),
            (cmd, repair),
            (cmd, f"msiexec.exe /fvomus {code} /qn /norestart"),
        ],
    )
    assert results[0]["start_mode"] == "delayed" and results[0]["state"] == "running"
    assert results[2]["rc"] == 1603 and results[3]["rc"] == 1603
    assert lab.host("fe01").start_mode("RTCCLSAGT") == "delayed"
    done, unknown, start = lab.tasks(
        "fe01",
        [
            (cmd, repair + " SKIP_NETFRAMEWORK_CHECK=1"),
            (cmd, repair.replace("5E0D", "AAAA")),
            (svc, {"name": "REPLICA", "state": "started"}),
        ],
    )
    assert done["rc"] == 0 and unknown["rc"] == 1605
    assert start["failed"]  # a disabled service cannot be started
    model = lab.host("fe01")
    for name in ("RTCCLSAGT", "REPLICA"):
        assert model.start_mode(name) == "disabled" and model.service(name)["state"] == "stopped"


def test_snapshot_matches_the_contract(lab: SimLab) -> None:
    res = lab.run("tests/integration/playbooks/sim_snapshot.yml", check=True)
    raw = res.result("fe01", "Snapshot")
    assert not raw["changed"] and set(raw) >= {"result", "host_out", "output", "error", "warning"}
    snap = _snapshot.Snapshot.from_result(raw["result"])
    assert snap.computer_name == "FE01"
    root = snap.key("SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates")
    assert root.exists
    baseline = simlab.builder.baseline_thumbprints("Root", "registry")
    assert len(baseline) == 7  # the KB293781 roots of the Windows Server baseline
    assert set(root.subkeys) == {lab.thumbprint("issuing"), lab.thumbprint("legacy_md5")} | baseline
    for name, sub in root.subkeys.items():
        der = _blob.decode_certificate_blob(base64.b64decode(sub.value("Blob")), name, key_name=name)
        assert _blob.sha1_hex(der) == name
    gpo = snap.key("SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates")
    assert list(gpo.subkeys) == [lab.thumbprint("root")]
    svc_key = snap.key("SYSTEM\\CurrentControlSet\\Services\\RTCCLSAGT")
    assert svc_key.values["Start"] == {"type": "dword", "value": 4} and svc_key.subkeys == {}
    missing = snap.key("SOFTWARE\\Does\\Not\\Exist")
    assert not missing.exists and missing.values == {}
    assert snap.service("RTCCLSAGT") == {"name": "RTCCLSAGT", "exists": True, "state": "stopped"}
    assert snap.service("NoSuchService")["exists"] is False
    folder = snap.folder("%windir%\\System32\\CertSrv\\CertEnroll")
    assert folder is not None and folder["exists"] is False
    counts = {e["log"]: (e["exists"], e["counts"]) for e in snap.events}
    assert counts["System"] == (True, {"36888": 4, "36874": 1})
    assert counts["Lync Server"] == (True, {"32042": 6})
    assert counts["No Such Log"] == (False, {"1": 0})

    ca = lab.run("tests/integration/playbooks/sim_snapshot.yml", extra_vars={"target": "offroot01"})
    folder = _snapshot.Snapshot.from_result(ca.result("offroot01", "Snapshot")["result"]).folder(
        "%windir%\\System32\\CertSrv\\CertEnroll"
    )
    assert folder is not None and [f["name"] for f in folder["files"]] == ["Contoso Offline Root CA.crl"]
    content = base64.b64decode(folder["files"][0]["content"])
    assert x509.load_der_x509_crl(content).issuer.rfc4514_string() == "CN=Contoso Offline Root CA,O=Contoso"

    shallow = lab.run("tests/integration/playbooks/sim_snapshot.yml", extra_vars={"snapshot_depth": 2})
    flat = shallow.result("fe01", "Snapshot")["result"]
    assert flat["keys"][0]["values"] == "System.Collections.Hashtable"  # the real module's depth rule


def test_other_scripts_fail_loudly(lab: SimLab) -> None:
    (res,) = lab.tasks(
        "fe01", [("ansible.windows.win_powershell", {"script": "Get-ChildItem Cert:\\LocalMachine\\Root"})]
    )
    assert res["failed"] and "sfb.pki snapshot v1" in res["msg"]


def test_state_file_round_trips(lab: SimLab, tmp_path: Path) -> None:
    for host in lab.hosts:
        path = lab.state_path(host)
        text = path.read_text()
        model = lab.host(host)
        from simlab import sim_host

        assert sim_host.dump_yaml(model.to_data()) == text
    hand = tmp_path / "hand.yml"
    hand.write_text(
        "name: hand\n"
        "services:\n  RTCCLSAGT: {start_mode: delayed, state: running}\n"
        "registry:\n  SOFTWARE\\Contoso:\n    Multi: {type: multistring, value: [a, b]}\n"
        "    Bin: {type: binary, value: 'de ad be ef'}\n"
        "files:\n  '%windir%\\Temp\\a.txt': {text: hi}\n"
    )
    from simlab import sim_host

    model = sim_host.load_host(str(hand))
    assert model.start_mode("rtcclsagt") == "delayed"
    assert model.registry.get("HKLM\\SOFTWARE\\CONTOSO", "bin")["value"] == b"\xde\xad\xbe\xef"
    assert model.file("c:\\WINDOWS\\temp\\A.TXT")["content"] == b"hi"
    again = sim_host.Host(str(hand), model.to_data())
    assert sim_host.dump_yaml(again.to_data()) == sim_host.dump_yaml(model.to_data())
    with pytest.raises(sim_host.SimError, match="unknown state section"):
        sim_host.Host(str(hand), {"service": {}})  # a misspelled section is an error, not an empty host
    faults = {
        "name": "hand",
        "access_denied": {"keys": ["HKLM\\SOFTWARE\\Contoso"], "event_logs": ["Security"]},
        "locked_files": ["C:\\Windows\\Temp\\a.txt"],
        "language_mode": "ConstrainedLanguage",
    }
    denied = sim_host.Host(str(hand), faults)
    assert denied.denied("keys", "hklm\\software\\CONTOSO") and not denied.denied("keys", "HKLM\\SOFTWARE")
    assert denied.denied("event_logs", "security") and denied.locked("c:\\windows\\temp\\A.txt")
    again = sim_host.Host(str(hand), denied.to_data())
    assert {k: again.to_data()[k] for k in faults} == faults
    with pytest.raises(sim_host.SimError, match="access_denied takes"):
        sim_host.Host(str(hand), {"access_denied": {"key": ["x"]}})
    with pytest.raises(sim_host.SimError, match="language_mode"):
        sim_host.Host(str(hand), {"language_mode": "Constrained"})
