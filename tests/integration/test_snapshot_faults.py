# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One unreadable item never fails a host's read (issue 14): the simulator denies keys, folders, files
and event logs, locks a CertEnroll file, or runs PowerShell in Constrained Language Mode, and the
product reports each as it should."""

from __future__ import annotations

from typing import Any

import pytest
from simlab import SimLab

pytestmark = pytest.mark.integration

ROOT_CERTS = "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates"
CERTENROLL = "C:\\Windows\\System32\\CertSrv\\CertEnroll"
ROOT_CRL = CERTENROLL + "\\Contoso Offline Root CA.crl"


def unreadable(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["object"]: f for f in result.get("findings", []) if f["id"] == "unreadable"}


def test_denied_key_and_event_log_are_findings_and_the_rest_is_read(lab: SimLab) -> None:
    issuing = lab.thumbprint("issuing")  # fe01 holds the issuing CA in Root (Registry)
    denied_key = f"{ROOT_CERTS}\\{issuing}"

    def deny(host: Any) -> None:
        host.access_denied = {"keys": [denied_key], "event_logs": ["System"]}

    lab.edit("fe01", deny)
    res = lab.adhoc("fe01", "sfb.pki.host_info", {})
    assert res.get("failed") is not True, res
    found = unreadable(res)
    assert "Requested registry access is not allowed." in found[denied_key]["message"]
    assert found[denied_key]["severity"] == "warning"
    assert "unauthorized operation" in found["System"]["message"]
    # the denied subordinate's key is not judged (no subordinate_in_root about it), the others still are
    assert not [f for f in res["findings"] if f["id"] == "subordinate_in_root" and f["thumbprint"] == issuing]
    assert any(f["id"] == "gpo_only_root" for f in res["findings"])
    assert res["events"]["counts"]["36888"] is None  # Schannel is in System: unknown, not 0
    assert res["events"]["counts"]["32042"] > 0  # the Lync Server log was read
    # root_store neither touches nor moves what it could not read
    planned = lab.adhoc("fe01", "sfb.pki.root_store", {}, check=True)
    assert planned.get("failed") is not True, planned
    assert not [op for op in planned["operations"] if op["thumbprint"] == issuing]
    assert "unreadable" in [f["id"] for f in planned["reported"]]


def test_a_locked_or_denied_certenroll_file_is_a_finding(lab: SimLab) -> None:
    lab.edit("offroot01", lambda h: setattr(h, "locked_files", [ROOT_CRL]))
    res = lab.adhoc("offroot01", "sfb.pki.host_info", {"sections": ["ca"]})
    assert res.get("failed") is not True, res
    assert "being used by another process" in unreadable(res)[ROOT_CRL]["message"]
    assert "ca_crl_unreadable" not in [f["id"] for f in res["findings"]]
    # crl_publish will not plan a re-issue on a CertEnroll it could not read whole
    publish = lab.adhoc("offroot01", "sfb.pki.crl_publish", {})
    assert publish["failed"] is True and ROOT_CRL in publish["msg"] and "run again" in publish["msg"]
    assert lab.calls("offroot01", "win_command") == []

    lab.edit(
        "offroot01",
        lambda h: (setattr(h, "locked_files", []), setattr(h, "access_denied", {"folders": [CERTENROLL]})),
    )
    res = lab.adhoc("offroot01", "sfb.pki.host_info", {"sections": ["ca"]})
    assert res.get("failed") is not True, res
    assert "is denied" in unreadable(res)[CERTENROLL]["message"]


def test_certenroll_reads_crl_and_crt_files_only(lab: SimLab) -> None:
    lab.edit("offroot01", lambda h: h.write_file(CERTENROLL + "\\huge.log", b"x" * 4096))
    res = lab.adhoc("offroot01", "sfb.pki.host_info", {"sections": ["ca"], "return_snapshot": True})
    folder = next(f for f in res["snapshot"]["result"]["folders"] if f["path"].lower().endswith("certenroll"))
    names = [f["name"] for f in folder["files"]]
    assert "Contoso Offline Root CA.crl" in names and "huge.log" not in names


def test_constrained_language_mode_is_one_clear_error(lab: SimLab) -> None:
    lab.edit("fe01", lambda h: setattr(h, "language_mode", "ConstrainedLanguage"))
    for module in ("sfb.pki.host_info", "sfb.pki.root_store"):
        res = lab.adhoc("fe01", module, {})
        assert res["failed"] is True and res["changed"] is False, res
        assert res["msg"].startswith(
            "host fe01: read the host snapshot: PowerShell runs in ConstrainedLanguage"
        )
        assert "AppLocker" in res["msg"] and "Fix:" in res["msg"]
    assert lab.calls("fe01", "win_regedit") == []
