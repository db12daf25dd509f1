# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fault matrix: every write step of root_store, the services role, crl_publish and crl_install,
with each fault shape Windows produces (docs/testing.md, "Fault injection"):

- connection_lost: AnsibleConnectionFailure before the module runs (psrp `_connect`);
- reply_lost: the module ran and changed the host, its reply timed out (psrp `exec_command`);
- failed: the module reported a failure.

For each: no certificate or CRL is lost, the result tells the truth about what changed (a write whose
reply was lost is reported as one that may have happened), and rerunning converges to changed=0.
One estate (fault_matrix) is built once; each test copies it and injects one fault kind on every
worker at once, worker k at write step k, so a (role, kind) pair costs three runs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from simlab import RunResult, SimLab
from test_crl_refresh import make_crl

pytestmark = pytest.mark.integration

KINDS = ["connection_lost", "reply_lost", "failed"]
STEP = "step under test"
WORKERS = ["w1", "w2", "w3", "w4", "w5"]
LOST = {
    "connection_lost": "Failed to connect to the host via PSRP",
    "reply_lost": "HTTP read timeout during PSRP script execution",
}
REGEDIT = "ansible.windows.win_regedit"
CERTENROLL_CRL = "C:\\Windows\\System32\\CertSrv\\CertEnroll\\Contoso Offline Root CA.crl"
CA_CRLS = "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\CA\\CRLs"


@pytest.fixture
def matrix(lab_factory: Any) -> SimLab:
    lab: SimLab = lab_factory("fault_matrix")
    return lab


def play(
    lab: SimLab, hosts: list[str], task: dict[str, Any] | None = None, role: str | None = None
) -> RunResult:
    """One play over some hosts: the task under test (errors and unreachable ignored) or a role."""
    entry: dict[str, Any] = {"name": "Fault matrix", "hosts": ",".join(hosts), "gather_facts": False}
    if role:
        entry["roles"] = [{"role": role}]
    else:
        entry["tasks"] = [{"name": STEP, **(task or {}), "ignore_errors": True, "ignore_unreachable": True}]
    path = lab.root / "tmp" / "fault_matrix.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps([entry]))
    return lab.run(path)


def assert_error(res: dict[str, Any], host: str, names: str, kind: str) -> None:
    """One error naming the host and the module (or command); unreachable for a lost connection."""
    assert res["msg"].startswith(f"host {host}: ") and names in res["msg"], res["msg"]
    if kind == "failed":
        assert res.get("failed") is True and not res.get("unreachable"), res
        assert "unconfirmed" not in res and "may have happened" not in res["msg"]
    else:
        assert res.get("unreachable") is True and not res.get("failed"), res
        assert LOST[kind] in res["msg"] and "may have happened" in res["msg"]
        assert res["changed"] is True and len(res["unconfirmed"]) == 1


def converge(lab: SimLab, hosts: list[str], **kw: Any) -> RunResult:
    """Rerun until nothing changes (at most twice); the second run must report changed=0."""
    rerun = play(lab, hosts, **kw)
    assert rerun.rc == 0, rerun.summary() + rerun.stdout[-2000:]
    final = play(lab, hosts, **kw)
    assert final.rc == 0 and final.changed == dict.fromkeys(hosts, 0), final.summary()
    return rerun


# -- root_store: win_regedit writes, add before remove ----------------------------------------------
ROOT_STEPS = [
    ("record", "Pins", "gpo_root"),
    ("add", "CA", "issuing"),
    ("add", "Root", "gpo_root"),
    ("remove", "Root", "issuing"),
    ("record", "Moves", "issuing"),
]


@pytest.mark.parametrize("kind", KINDS)
def test_root_store(matrix: SimLab, tmp_path: Path, kind: str) -> None:
    hosts = WORKERS[: len(ROOT_STEPS)]
    for k, host in enumerate(hosts):
        matrix.inject_fault(host, "win_regedit", kind=kind, after=k)
    task = {"sfb.pki.root_store": {"backup_dir": str(tmp_path / "backups")}}
    first = play(matrix, hosts, task)
    issuing, pinned = matrix.thumbprint("issuing"), matrix.thumbprint("gpo_root")
    done_by_host = {}
    for k, host in enumerate(hosts):
        res = first.result(host, STEP)
        action, store, name = ROOT_STEPS[k]
        assert_error(res, host, REGEDIT, kind)
        direction = "to" if action in ("add", "record") else "from"
        assert f"{action} {matrix.thumbprint(name)} " in res["msg"] and f"{direction} {store}:" in res["msg"]
        steps = [s[:2] for s in ROOT_STEPS]
        assert [(o["action"], o["store"]) for o in res["operations"]] == steps[:k]
        assert [w["module"] for w in res.get("written", [])] == [REGEDIT] * k
        if kind == "failed":
            assert res["changed"] is (k > 0)
        else:
            operation = res["unconfirmed"][0]["operation"]
            assert (operation["action"], operation["store"], operation["thumbprint"]) == (
                action,
                store,
                matrix.thumbprint(name),
            )
        done = steps[: k + 1] if kind == "reply_lost" else steps[:k]
        done_by_host[host] = done
        ca = matrix.store_thumbprints(host, "CA")
        root = matrix.store_thumbprints(host, "Root")
        assert (issuing in ca) is (("add", "CA") in done)
        assert (pinned in root) is (("add", "Root") in done)
        assert (issuing in root) is (("remove", "Root") not in done)
        assert issuing in ca or issuing in root  # nothing lost
        assert matrix.thumbprint("root") in root
        if action == "remove":  # backed up before the removal was attempted
            assert (tmp_path / "backups" / host / f"Root-registry-{issuing}.der").exists()
    rerun = converge(matrix, hosts, task=task)
    for host in hosts:
        ops = [(o["action"], o["store"]) for o in rerun.result(host, STEP)["operations"]]
        left = [s[:2] for s in ROOT_STEPS if s[:2] not in done_by_host[host]]
        if ("remove", "Root") in done_by_host[host]:  # a move is recorded only after its removal
            left = [s for s in left if s != ("record", "Moves")]
        assert ops == left, host
        assert issuing in matrix.store_thumbprints(host, "CA")
        assert issuing not in matrix.store_thumbprints(host, "Root")
        assert pinned in matrix.store_thumbprints(host, "Root")


# -- the services role: stock win_service in a loop (no sfb.pki code between) --------------------------
SERVICES = ["RTCCLSAGT", "REPLICA"]
SET_SERVICES = "sfb.pki.services : Set drifted services to Automatic (Delayed Start)"


@pytest.mark.parametrize("kind", KINDS)
def test_services_role(matrix: SimLab, kind: str) -> None:
    hosts = WORKERS[: len(SERVICES)]
    for k, host in enumerate(hosts):
        matrix.inject_fault(host, "win_service", kind=kind, after=k)
    first = play(matrix, hosts, role="sfb.pki.services")
    for k, host in enumerate(hosts):
        # the task reports the host failed or unreachable, never ok; Ansible's loop goes on with the
        # next item, so only the faulty item is in doubt
        stats = first.stats[host]
        assert (stats.get("failures", 0), stats.get("unreachable", 0)) == (
            (1, 0) if kind == "failed" else (0, 1)
        ), first.summary()
        items = first.result(host, SET_SERVICES)["results"]
        assert [i["item"]["name"] for i in items] == SERVICES
        faulty = items[k]
        if kind == "failed":
            assert faulty["failed"] is True and "simulated fault" in faulty["msg"]
        else:
            assert faulty["unreachable"] is True and LOST[kind] in faulty["msg"]
        assert all(i["changed"] for j, i in enumerate(items) if j != k)
        model = matrix.host(host)
        for j, name in enumerate(SERVICES):
            done = j != k or kind == "reply_lost"
            assert (model.start_mode(name) == "delayed") is done, (host, name)
    rerun = converge(matrix, hosts, role="sfb.pki.services")
    for host in hosts:
        assert rerun.changed[host] == (0 if kind == "reply_lost" else 1)
        assert all(matrix.host(host).start_mode(n) == "delayed" for n in SERVICES)


# -- crl_publish: certutil -crl on the offline root --------------------------------------------------
def crl_number(der: bytes) -> int:
    ext = x509.load_der_x509_crl(der).extensions.get_extension_for_class(x509.CRLNumber)
    return int(ext.value.crl_number)


@pytest.mark.parametrize("kind", KINDS)
def test_crl_publish(matrix: SimLab, kind: str) -> None:
    matrix.inject_fault("ca1", "win_command", kind=kind)
    task = {"sfb.pki.crl_publish": {}}
    res = play(matrix, ["ca1"], task).result("ca1", STEP)
    issued = kind == "reply_lost"
    if kind == "failed":
        assert_error(res, "ca1", "re-issue the CRL: certutil -crl failed", kind)
        assert res["changed"] is False and "written" not in res
    else:
        assert_error(res, "ca1", "re-issue the CRL: ansible.windows.win_command", kind)
        assert res["unconfirmed"][0]["step"] == "re-issue the CRL"
    assert "crl" not in res  # no CRL is handed on that was not read back and verified
    current = matrix.host("ca1").file(CERTENROLL_CRL)
    assert current is not None and crl_number(current["content"]) == (5 if issued else 4)
    rerun = converge(matrix, ["ca1"], task=task).result("ca1", STEP)
    assert rerun["reissued"] is not issued and rerun["crl"]["crl_number"] == 5


# -- crl_install: stage, install, copy to a CDP folder, publish to AD --------------------------------
# (module, calls of it before, step); the confirming re-read between install and CDP copy is a read
INSTALL_STEPS = [
    ("win_file", 0, "create the staging folder"),
    ("win_copy", 0, "stage the CRL file"),
    ("win_command", 0, "install the CRL"),
    ("win_copy", 1, "copy the CRL to a CDP path"),
    ("win_command", 1, "publish the CRL to Active Directory"),
]
STAGED = "C:\\Windows\\Temp\\sfb.pki\\Contoso Offline Root CA.crl"
CDP = "C:\\inetpub\\wwwroot\\pki\\Contoso Offline Root CA.crl"


def ca_crls(lab: SimLab, host: str) -> set[str]:
    return {n.upper() for n in lab.host(host).registry.subkeys(CA_CRLS)}


def ad_crls(lab: SimLab) -> set[str]:
    return {str(c["thumbprint"]).upper() for c in lab.ad().get("crls") or []}


@pytest.mark.parametrize("kind", KINDS)
def test_crl_install(matrix: SimLab, tmp_path: Path, kind: str) -> None:
    new = make_crl(matrix, tmp_path / "root.crl", number=9)  # type: ignore[arg-type]
    new_print = hashlib.sha1(new.read_bytes()).hexdigest().upper()
    old_print = matrix.thumbprint("root_crl")
    hosts = WORKERS[: len(INSTALL_STEPS)]
    for host, (module, before, _step) in zip(hosts, INSTALL_STEPS, strict=True):
        matrix.inject_fault(host, module, kind=kind, after=before)
    task = {
        "sfb.pki.crl_install": {
            "src": str(new),
            "cdp_paths": ["C:\\inetpub\\wwwroot\\pki"],
            "dspublish": True,
        }
    }
    first = play(matrix, hosts, task)
    steps = [s[2] for s in INSTALL_STEPS]
    done_by_host = {}
    for k, host in enumerate(hosts):
        res = first.result(host, STEP)
        module, _before, step = INSTALL_STEPS[k]
        named = f"{step}: certutil" if kind == "failed" and module == "win_command" else step
        assert_error(res, host, named, kind)
        if module != "win_command" or kind != "failed":
            assert f"ansible.windows.{module}" in res["msg"]
        assert [w["step"].split(" (")[0] for w in res.get("written", [])] == steps[:k]
        if kind == "failed":
            assert res["changed"] is (k > 0)
        else:
            assert res["unconfirmed"][0]["step"].split(" (")[0] == step
        done = steps[: k + 1] if kind == "reply_lost" else steps[:k]
        done_by_host[host] = done
        model = matrix.host(host)
        assert (model.file(STAGED) is not None) is ("stage the CRL file" in done)
        installed = "install the CRL" in done
        assert ca_crls(matrix, host) == ({new_print} if installed else {old_print})  # nothing lost
        assert (model.file(CDP) is not None) is ("copy the CRL to a CDP path" in done)
    published = any("publish the CRL to Active Directory" in d for d in done_by_host.values())
    assert (new_print in ad_crls(matrix)) is published
    converge(matrix, hosts, task=task)
    for host in hosts:
        assert ca_crls(matrix, host) == {new_print}
        assert matrix.host(host).file(CDP)["content"] == new.read_bytes()
    assert new_print in ad_crls(matrix)  # the estate's AD is shared: published by the workers' rerun
