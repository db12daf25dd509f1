# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offline root CRL cycle on the simulated lab estate (issue 6).

The lab's root CRL (offroot01) has 20 days left; subca01 holds it in its CA store and trusts the
root in its Root store.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simlab import SimLab

pytestmark = pytest.mark.integration

PLAYBOOK = "playbooks/crl_refresh.yml"
ROOT_NAME = "CN=Contoso Offline Root CA,O=Contoso"
PUBLISH = "sfb.pki.offline_root_crl : Re-issue the root CRL when it is due"
INSTALL = "sfb.pki.offline_root_crl : Install the CRL of each root"
REPORT = "sfb.pki.offline_root_crl : Report the root CRL on this host"
ROOT_REPORT = "sfb.pki.offline_root_crl : Report the root CRL"
FAIL = "sfb.pki.offline_root_crl : Fail when the root CRL is about to expire and was not refreshed"


def base64_of(path: Path) -> str:
    """A file's content as base64 DER text (crl_install `content`), from DER or PEM."""
    data = path.read_bytes()
    if data.startswith(b"-----"):
        return "".join(data.decode().strip().splitlines()[1:-1])
    return base64.b64encode(data).decode()


def certutil_calls(lab: SimLab, host: str) -> list[list[str]]:
    """The argv of every certutil call made on a host."""
    return [c["args"]["argv"] for c in lab.calls(host, "win_command")]


def ca_crls(lab: SimLab, host: str) -> list[str]:
    """Thumbprints of the CRLs in the host's CA (Registry) store."""
    model = lab.host(host)
    return [
        n.upper() for n in model.registry.subkeys("HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\CA\\CRLs")
    ]


def run(lab: SimLab, check: bool = False, **extra: Any) -> Any:
    extra.setdefault("sfb_pki_offline_root_crl_controller_dir", str(lab.root / "controller"))
    return lab.run(PLAYBOOK, extra_vars=extra, check=check)


def make_crl(
    lab: SimLab,
    path: Path,
    number: int,
    this_update: dt.datetime | None = None,
    days: int = 210,
    key: Any = None,
    issuer: x509.Name | None = None,
) -> Path:
    """A CRL signed with the lab root's key (or `key`), written to `path` as DER."""
    root = x509.load_pem_x509_certificate(lab.pki_file("root").read_bytes())
    root_key = serialization.load_pem_private_key(lab.pki_file("root", key=True).read_bytes(), None)
    start = this_update or dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer or root.subject)
        .last_update(start)
        .next_update(start + dt.timedelta(days=days))
        .add_extension(x509.CRLNumber(number), critical=False)
        .sign(key or root_key, hashes.SHA256())
    )
    path.write_bytes(crl.public_bytes(serialization.Encoding.DER))
    return path


def test_due_crl_is_reissued_installed_and_second_run_is_quiet(lab: SimLab) -> None:
    old = lab.thumbprint("root_crl")
    assert old in ca_crls(lab, "subca01")
    first = run(lab)
    assert first.rc == 0, first.summary() + first.stderr
    published = first.result("offroot01", PUBLISH)
    assert published["changed"] is True and published["reissued"] is True
    assert published["previous"]["crl_number"] == 4
    assert published["crl"]["crl_number"] == 5
    assert published["crl"]["days_left"] > 200
    assert certutil_calls(lab, "offroot01") == [["certutil.exe", "-crl"]]
    (addstore,) = certutil_calls(lab, "subca01")
    assert addstore[:3] == ["certutil.exe", "-addstore", "CA"]
    new = published["crl"]["thumbprint"]
    assert new in ca_crls(lab, "subca01")
    assert old not in ca_crls(lab, "subca01")  # certutil -addstore replaces the issuer's older CRL
    saved = lab.root / "controller" / "offroot01.crl"
    assert (
        x509.load_der_x509_crl(saved.read_bytes())
        .extensions.get_extension_for_class(x509.CRLNumber)
        .value.crl_number
        == 5
    )
    report = first.result("subca01", REPORT)["msg"]
    assert "number 5" in report and "days left" in report and "next due" in report
    root_report = first.result("offroot01", ROOT_REPORT)["msg"]
    assert "re-issued" in root_report and published["crl"]["refresh_due"] in root_report

    lab.clear_calls()
    second = run(lab)
    assert second.rc == 0, second.summary()
    assert second.changed == {"localhost": 0, "offroot01": 0, "subca01": 0}
    assert certutil_calls(lab, "offroot01") == []
    assert certutil_calls(lab, "subca01") == []
    assert second.result("offroot01", PUBLISH)["reissued"] is False


def test_not_due_means_no_certutil_call(lab: SimLab) -> None:
    res = run(lab, sfb_pki_offline_root_crl_refresh_before=10)
    assert res.rc == 0, res.summary()
    assert res.changed == {"localhost": 0, "offroot01": 0, "subca01": 0}
    assert res.result("offroot01", PUBLISH)["reason"].startswith("the current CRL is not due until")
    assert certutil_calls(lab, "offroot01") == []
    assert certutil_calls(lab, "subca01") == []


def test_check_mode_reports_the_reissue_and_changes_nothing(lab: SimLab) -> None:
    before = lab.state("offroot01")
    res = run(lab, check=True)
    assert res.rc == 0, res.summary()
    published = res.result("offroot01", PUBLISH)
    assert published["changed"] is True and published["reissued"] is True
    assert "would re-issue" in res.result("offroot01", ROOT_REPORT)["msg"]
    assert certutil_calls(lab, "offroot01") == [] and certutil_calls(lab, "subca01") == []
    assert lab.state("offroot01")["files"] == before["files"]


def changes(res: Any) -> dict[str, list[str]]:
    """Per host, the names of the tasks that reported a change (loop items included), in order."""
    return {
        host: [name for name, r in res.task_results(host) if r.get("changed")]
        for host in ("offroot01", "subca01")
    }


def test_check_mode_lists_the_same_changes_as_the_real_run(lab: SimLab) -> None:
    check = run(lab, check=True)
    assert check.rc == 0, check.summary() + check.stdout[-3000:]
    planned = check.result("offroot01", PUBLISH)["planned"]
    assert planned["crl_number"] == 5 and planned["replaces"] == lab.thumbprint("root_crl")
    [would] = check.result("subca01", INSTALL)["results"]
    assert would["changed"] is True and would["installed"] is True and would["planned"] is True
    assert would["crl"]["crl_number"] == 5
    assert "would receive CRL number 5" in check.result("subca01", REPORT)["msg"]
    assert certutil_calls(lab, "offroot01") == [] and certutil_calls(lab, "subca01") == []
    assert lab.thumbprint("root_crl") in ca_crls(lab, "subca01")

    real = run(lab)
    assert real.rc == 0, real.summary()
    assert changes(check) == changes(real)
    assert check.changed == real.changed and real.changed["subca01"] > 0
    [done] = real.result("subca01", INSTALL)["results"]
    assert done["crl"]["crl_number"] == would["crl"]["crl_number"]
    published = real.result("offroot01", PUBLISH)["crl"]
    assert published["crl_number"] == planned["crl_number"]
    # the planned next update is the real one to within the hour (both are now + 7 calendar months)
    when = dt.datetime.fromisoformat
    assert abs(when(published["next_update"]) - when(planned["next_update"])) < dt.timedelta(hours=1)

    # and once refreshed, both report nothing
    again_check = run(lab, check=True)
    again = run(lab)
    assert changes(again_check) == changes(again) == {"offroot01": [], "subca01": []}


def test_check_mode_matches_the_real_run_with_cdp_folders_and_ad(lab: SimLab) -> None:
    extra = {
        "sfb_pki_offline_root_crl_cdp_paths": ["C:\\inetpub\\wwwroot\\pki"],
        "sfb_pki_offline_root_crl_dspublish": True,
    }
    check = run(lab, check=True, **extra)
    assert check.rc == 0, check.summary() + check.stdout[-3000:]
    [would] = check.result("subca01", INSTALL)["results"]
    assert would["cdp_paths"] == [
        {
            "path": "C:\\inetpub\\wwwroot\\pki\\Contoso Offline Root CA.crl",
            "changed": True,
            "folder_created": True,
        }
    ]
    assert would["dspublished"] is True and not lab.host("subca01").is_dir("C:\\inetpub\\wwwroot\\pki")
    real = run(lab, **extra)
    assert real.rc == 0, real.summary()
    [done] = real.result("subca01", INSTALL)["results"]
    assert done["cdp_paths"] == would["cdp_paths"] and done["dspublished"] is True
    assert changes(check) == changes(real)


def test_planned_is_only_for_check_mode(lab: SimLab) -> None:
    content = base64_of(lab.pki_file("root_crl"))
    res = install(lab, content=content, planned={"crl_number": 9})
    assert res["failed"] is True and res["msg"].startswith("planned:") and "check mode" in res["msg"]
    older = lab.adhoc(
        "subca01", "sfb.pki.crl_install", {"content": content, "planned": {"crl_number": 4}}, check=True
    )
    assert older["changed"] is False and "planned" not in older


def test_root_unreachable_fails_clearly_and_reports_days_left(lab: SimLab) -> None:
    lab.inject_fault("offroot01", "win_powershell", kind="connection_lost")
    res = run(lab)
    assert res.rc != 0
    assert res.failed["offroot01"] == 1
    # the lost connection raised (as psrp does); crl_publish turned it into one unreachable result
    published = res.result("offroot01", PUBLISH)
    assert published["unreachable"] is True and published["changed"] is False
    lost = "host offroot01: read the host snapshot: ansible.windows.win_powershell: the connection was lost"
    assert published["msg"].startswith(lost)
    verdict = res.result(
        "offroot01", "sfb.pki.offline_root_crl : Fail a root whose CRL could not be refreshed"
    )
    assert verdict["failed"] is True and lost in verdict["msg"]
    assert "Failed to connect to the host via PSRP" in verdict["msg"]
    report = res.result("subca01", REPORT)["msg"]
    assert "number 4" in report and ("19 days left" in report or "20 days left" in report)
    assert "offroot01 delivered no CRL" in report
    assert certutil_calls(lab, "subca01") == []

    lab.inject_fault("offroot01", "win_powershell", kind="connection_lost")
    close = run(lab, sfb_pki_offline_root_crl_fail_within_days=25)
    failed = close.result("subca01", FAIL)
    assert failed["failed"] is True
    assert "days left" in failed["msg"] and "offroot01 delivered no CRL" in failed["msg"]
    assert "0x80092013" in failed["msg"]


def test_certutil_failure_on_the_root_is_named(lab: SimLab) -> None:
    lab.inject_fault("offroot01", "win_command", rc=-2147023174, msg="The RPC server is unavailable.")
    res = run(lab)
    published = res.result("offroot01", PUBLISH)
    assert published["failed"] is True
    assert "host offroot01: re-issue the CRL: certutil -crl failed" in published["msg"]
    assert ca_crls(lab, "subca01") == [lab.thumbprint("root_crl")]


def test_air_gapped_mode_installs_the_supplied_file(lab: SimLab, tmp_path: Path) -> None:
    crl = make_crl(lab, tmp_path / "root.crl", number=9)
    res = run(
        lab,
        sfb_pki_offline_root_crl_file=str(crl),
        sfb_pki_offline_root_crl_issuer_file=str(lab.pki_file("root")),
    )
    assert res.rc == 0, res.summary() + res.stdout[-2000:]
    assert lab.calls("offroot01") == []
    assert "number 9" in res.result("subca01", REPORT)["msg"]
    installed = res.result("subca01", "sfb.pki.offline_root_crl : Install the supplied CRL (air-gapped mode)")
    assert installed["changed"] is True and installed["issuer"]["from"] == "given"
    lab.clear_calls()
    again = run(lab, sfb_pki_offline_root_crl_file=str(crl))
    assert again.changed == {"localhost": 0, "subca01": 0}
    assert certutil_calls(lab, "subca01") == []


def install(lab: SimLab, **args: Any) -> dict[str, Any]:
    return lab.adhoc("subca01", "sfb.pki.crl_install", args)


def test_crl_signed_by_another_key_is_refused(lab: SimLab, tmp_path: Path) -> None:
    forged = make_crl(lab, tmp_path / "forged.crl", 50, key=rsa.generate_private_key(65537, 2048))
    res = install(lab, src=str(forged))
    assert res["failed"] is True
    assert "signed by another key" in res["msg"] and str(forged) in res["msg"]
    assert certutil_calls(lab, "subca01") == []
    assert ca_crls(lab, "subca01") == [lab.thumbprint("root_crl")]


def test_crl_from_another_issuer_is_refused(lab: SimLab, tmp_path: Path) -> None:
    other = x509.Name.from_rfc4514_string("CN=Fabrikam Root CA,O=Fabrikam")
    foreign = make_crl(lab, tmp_path / "foreign.crl", 50, issuer=other)
    res = install(lab, src=str(foreign))
    assert res["failed"] is True and "no certificate named" in res["msg"]
    given = install(lab, src=str(foreign), issuer_src=str(lab.pki_file("root")))
    assert given["failed"] is True and "not by CN=Contoso Offline Root CA" in given["msg"]
    assert certutil_calls(lab, "subca01") == []


def test_older_crl_is_refused_unless_allowed(lab: SimLab, tmp_path: Path) -> None:
    newer = make_crl(lab, tmp_path / "newer.crl", 7)
    assert install(lab, src=str(newer))["changed"] is True
    lab.clear_calls()
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    older = make_crl(lab, tmp_path / "older.crl", 6, this_update=start)
    res = install(lab, src=str(older))
    assert res["failed"] is True
    assert "older than the installed CRL" in res["msg"] and "allow_older" in res["msg"]
    assert certutil_calls(lab, "subca01") == []
    allowed = install(lab, src=str(older), allow_older=True)
    assert not allowed.get("failed") and allowed["changed"] is True
    assert "allow_older" in allowed["reason"]
    # the CRL now in the store needs nothing more
    lab.clear_calls()
    present = install(lab, src=str(older))
    assert not present.get("failed") and present["changed"] is False
    assert certutil_calls(lab, "subca01") == []


def test_cdp_copy_and_ad_publish_are_idempotent(lab: SimLab, tmp_path: Path) -> None:
    crl = make_crl(lab, tmp_path / "root.crl", 8)
    lab.edit("subca01", lambda m: m.mkdir("C:\\inetpub\\wwwroot\\pki"))
    args = {"src": str(crl), "cdp_paths": ["C:\\inetpub\\wwwroot\\pki"], "dspublish": True}
    planned = lab.adhoc("subca01", "sfb.pki.crl_install", args, check=True)
    assert planned["changed"] is True and planned["installed"] is True and planned["dspublished"] is True
    assert planned["cdp_paths"][0]["changed"] is True
    assert lab.host("subca01").file("C:\\inetpub\\wwwroot\\pki\\Contoso Offline Root CA.crl") is None
    assert certutil_calls(lab, "subca01") == []
    first = install(lab, **args)
    assert first["changed"] is True and first["dspublished"] is True, first
    assert first["cdp_paths"] == [
        {
            "path": "C:\\inetpub\\wwwroot\\pki\\Contoso Offline Root CA.crl",
            "changed": True,
            "folder_created": False,
        }
    ]
    assert (
        lab.host("subca01").file("C:\\inetpub\\wwwroot\\pki\\Contoso Offline Root CA.crl")["content"]
        == crl.read_bytes()
    )
    assert any(c[1:3] == ["-dspublish", "-f"] for c in certutil_calls(lab, "subca01"))
    lab.clear_calls()
    second = install(lab, **args)
    assert second["changed"] is False and second["dspublished"] is False
    assert certutil_calls(lab, "subca01") == []


def test_missing_cdp_folder_is_created_and_check_mode_says_so(lab: SimLab, tmp_path: Path) -> None:
    crl = make_crl(lab, tmp_path / "root.crl", 8)
    folder = "C:\\inetpub\\wwwroot\\pki"
    dest = folder + "\\Contoso Offline Root CA.crl"
    args = {"src": str(crl), "cdp_paths": [folder]}
    assert not lab.host("subca01").is_dir(folder)
    planned = lab.adhoc("subca01", "sfb.pki.crl_install", args, check=True)
    assert planned.get("failed") is not True, planned
    assert planned["changed"] is True and planned["installed"] is True
    assert planned["cdp_paths"] == [{"path": dest, "changed": True, "folder_created": True}]
    assert not lab.host("subca01").is_dir(folder) and certutil_calls(lab, "subca01") == []
    lab.clear_calls()
    done = install(lab, **args)
    assert done.get("failed") is not True, done
    assert done["cdp_paths"] == planned["cdp_paths"] and done["installed"] is True
    assert lab.host("subca01").file(dest)["content"] == crl.read_bytes()
    assert [c["args"] for c in lab.calls("subca01", "win_file")][-1] == {"path": folder, "state": "directory"}
    again = install(lab, **args)
    assert again["changed"] is False
    assert again["cdp_paths"] == [{"path": dest, "changed": False, "folder_created": False}]


def test_missing_cdp_folder_is_refused_before_any_write_when_asked(lab: SimLab, tmp_path: Path) -> None:
    crl = make_crl(lab, tmp_path / "root.crl", 8)
    args = {"src": str(crl), "cdp_paths": ["C:\\inetpub\\wwwroot\\pki"], "create_cdp_folders": False}
    before = ca_crls(lab, "subca01")
    for check in (True, False):
        lab.clear_calls()
        res = lab.adhoc("subca01", "sfb.pki.crl_install", args, check=check)
        assert res["failed"] is True and res["changed"] is False
        assert "cdp_paths" in res["msg"] and "C:\\inetpub\\wwwroot\\pki" in res["msg"]
        assert "create_cdp_folders" in res["msg"]
        assert [c["module"] for c in lab.calls("subca01")] == ["win_powershell"]
    assert ca_crls(lab, "subca01") == before


def test_reissued_crl_signed_by_another_key_is_not_distributed(lab: SimLab) -> None:
    wrong = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    lab.edit("offroot01", lambda m: m.ca.update(key_pem=wrong.decode("ascii")))
    res = run(lab)
    published = res.result("offroot01", PUBLISH)
    assert published["failed"] is True and published["changed"] is True
    assert "the new CRL was not accepted" in published["msg"]
    assert "is not signed by the key of CN=Contoso Offline Root CA" in published["msg"]
    assert "crl" not in published
    assert not (lab.root / "controller" / "offroot01.crl").exists()
    assert certutil_calls(lab, "subca01") == []
    assert ca_crls(lab, "subca01") == [lab.thumbprint("root_crl")]
    assert "delivered no CRL" in res.result("subca01", REPORT)["msg"]


def test_a_ca_without_a_crl_gets_one_and_a_wrong_ca_name_is_named(lab: SimLab) -> None:
    path = "C:\\Windows\\System32\\CertSrv\\CertEnroll\\Contoso Offline Root CA.crl"
    lab.edit("offroot01", lambda m: m.remove_path(path))
    res = lab.adhoc("offroot01", "sfb.pki.crl_publish", {})
    assert res["changed"] is True and res["reissued"] is True, res
    assert res["reason"].startswith("the CA has no CRL in CertEnroll yet")
    assert "previous" not in res
    assert res["crl"]["file"] == "Contoso Offline Root CA.crl" and res["crl"]["crl_number"] == 5
    wrong = lab.adhoc("offroot01", "sfb.pki.crl_publish", {"ca_name": "Fabrikam Root CA"})
    assert wrong["failed"] is True
    assert "no CA named 'Fabrikam Root CA'" in wrong["msg"]


def test_root_powered_off_passes_while_no_copy_is_due(lab: SimLab) -> None:
    # 20 days left on subca01's copy; with a 10-day refresh window nothing is due yet
    lab.inject_fault("offroot01", "win_powershell", kind="unreachable")
    res = run(lab, sfb_pki_offline_root_crl_refresh_before=10, sfb_pki_offline_root_crl_fail_within_days=5)
    assert res.rc == 0, res.stdout[-3000:] + res.stderr[-3000:]
    msg = res.result(
        "offroot01",
        "sfb.pki.offline_root_crl : Pass while the offline root is off and no copy of its CRL is due",
    )["msg"]
    assert "offroot01 is unreachable" in msg and "nothing is due" in msg
    assert "subca01 19" in msg or "subca01 20" in msg
    assert certutil_calls(lab, "subca01") == []

    # the same root off, but the copy is inside a 25-day window: the run fails and names the copy
    lab.inject_fault("offroot01", "win_powershell", kind="unreachable")
    due = run(lab, sfb_pki_offline_root_crl_refresh_before=25, sfb_pki_offline_root_crl_fail_within_days=5)
    assert due.rc != 0
    verdict = due.result(
        "offroot01", "sfb.pki.offline_root_crl : Fail a root whose CRL could not be refreshed"
    )
    assert verdict["failed"] is True
    assert "inside the 25-day refresh window: subca01" in verdict["msg"]


def test_no_subordinate_ca_in_the_inventory_fails_loudly(lab: SimLab) -> None:
    res = run(lab, sfb_pki_crl_refresh_subordinate_group="issuing_cas")
    assert res.rc != 0
    check = res.result("localhost", "Check that the target group has hosts")
    assert "No host in 'issuing_cas'" in check["msg"] and "docs/inventory.md" in check["msg"]
    assert "sfb_pki_crl_refresh_subordinate_group" in check["msg"]
    assert lab.calls("offroot01") == [] and lab.calls("subca01") == []
