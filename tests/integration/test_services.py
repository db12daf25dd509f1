# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role sfb.pki.services, the host_info services section and the repair playbook on the simulated estate."""

from __future__ import annotations

from typing import Any

import pytest
from simlab import SimLab

pytestmark = pytest.mark.integration

SITE = "playbooks/site.yml"
ROLE = "tests/integration/playbooks/services_role.yml"
REPAIR = "playbooks/repair_core_components.yml"
SERVICES = ("RTCCLSAGT", "REPLICA")
NETFX = "HKLM\\SOFTWARE\\Microsoft\\NET Framework Setup\\NDP\\v4\\Full"
SET_TASK = "sfb.pki.services : Set drifted services to Automatic (Delayed Start)"
READ_TASK = "sfb.pki.services : Read the SfB services and their start mode (one read)"
SKIP_TASK = "sfb.pki.services : Skip services that are not installed"


def modes(lab: SimLab, host: str) -> dict[str, tuple[str, str]]:
    """(start mode, run state) of the two seed services on a host, as the simulated host holds them."""
    model = lab.host(host)
    return {name: (model.start_mode(name), model.service(name)["state"]) for name in SERVICES}


def product_code(lab: SimLab) -> str:
    code = lab.host("fe01").products
    assert len(code) == 1
    return str(next(iter(code)))


def set_release(lab: SimLab, host: str, release: int) -> None:
    lab.edit(host, lambda m: m.registry.set(NETFX, "Release", "dword", release))


def disable(lab: SimLab, host: str, name: str) -> None:
    def change(model: Any) -> None:
        model.set_start_mode(name, "disabled")
        model.service(name)["state"] = "stopped"

    lab.edit(host, change)


def assert_ok(res: Any) -> None:
    assert res.rc == 0, res.summary() + res.stdout[-4000:] + res.stderr[-4000:]


def test_disabled_services_become_delayed_and_started_then_nothing_changes(lab: SimLab) -> None:
    assert modes(lab, "fe01") == {"RTCCLSAGT": ("disabled", "stopped"), "REPLICA": ("disabled", "stopped")}
    first = lab.run(ROLE, limit="fe01,edge01")
    assert_ok(first)
    for host in ("fe01", "edge01"):
        assert modes(lab, host) == {"RTCCLSAGT": ("delayed", "running"), "REPLICA": ("delayed", "running")}
        assert first.changed[host] == 1
        calls = lab.calls(host, "win_service")
        assert sorted(c["args"]["name"] for c in calls) == sorted(SERVICES)
        assert all(c["args"]["start_mode"] == "delayed" for c in calls)
    # other services on the host are left alone
    assert lab.host("fe01").start_mode("FabricHostSvc") == "auto"

    lab.clear_calls()
    second = lab.run(ROLE, limit="fe01,edge01")
    assert_ok(second)
    for host in ("fe01", "edge01"):
        assert second.changed[host] == 0
        assert second.result(host, SET_TASK).get("skipped") or all(
            r.get("skipped") for r in second.result(host, SET_TASK)["results"]
        )
        # a healthy host costs the one snapshot read
        assert [c["module"] for c in lab.calls(host)] == ["win_powershell"]


def test_site_leaves_the_services_delayed_and_running(lab: SimLab) -> None:
    # root_store (also in site.yml) backs removed certificates up; keep them out of the repository
    extra = {"sfb_pki_root_store_backup_dir": str(lab.root / "backups")}
    assert_ok(lab.run(SITE, limit="fe01,edge01", extra_vars=extra))
    lab.clear_calls()
    second = lab.run(SITE, limit="fe01,edge01", extra_vars=extra)
    assert_ok(second)
    for host in ("fe01", "edge01"):
        assert modes(lab, host) == {"RTCCLSAGT": ("delayed", "running"), "REPLICA": ("delayed", "running")}
        assert lab.calls(host, "win_service") == []
        assert not second.result(host, SET_TASK).get("changed")


def test_only_drifted_services_are_touched(lab: SimLab) -> None:
    lab.edit("fe01", lambda m: m.set_start_mode("REPLICA", "delayed"))
    lab.edit("fe01", lambda m: m.service("REPLICA").update(state="running"))
    res = lab.run(ROLE, limit="fe01")
    assert_ok(res)
    assert [c["args"]["name"] for c in lab.calls("fe01", "win_service")] == ["RTCCLSAGT"]
    assert modes(lab, "fe01")["RTCCLSAGT"] == ("delayed", "running")


def test_stopped_delayed_service_is_started(lab: SimLab) -> None:
    def change(model: Any) -> None:
        for name in SERVICES:
            model.set_start_mode(name, "delayed")
        model.service("REPLICA")["state"] = "stopped"
        model.service("RTCCLSAGT")["state"] = "running"

    lab.edit("fe01", change)
    res = lab.run(ROLE, limit="fe01")
    assert_ok(res)
    assert res.changed["fe01"] == 1
    assert [c["args"]["name"] for c in lab.calls("fe01", "win_service")] == ["REPLICA"]
    assert modes(lab, "fe01")["REPLICA"] == ("delayed", "running")


def test_state_unchanged_sets_start_mode_only(lab: SimLab) -> None:
    res = lab.run(ROLE, limit="fe01", extra_vars={"sfb_pki_services_state": "unchanged"})
    assert_ok(res)
    assert modes(lab, "fe01") == {"RTCCLSAGT": ("delayed", "stopped"), "REPLICA": ("delayed", "stopped")}
    assert all(
        "state" not in c["args"] or c["args"]["state"] is None for c in lab.calls("fe01", "win_service")
    )


def test_check_mode_reports_the_change_and_changes_nothing(lab: SimLab) -> None:
    before = lab.state("fe01")
    res = lab.run(ROLE, limit="fe01", check=True)
    assert_ok(res)
    assert res.changed["fe01"] == 1
    items = res.result("fe01", SET_TASK)["results"]
    assert sorted(i["item"]["name"] for i in items if i.get("changed")) == sorted(SERVICES)
    assert lab.state("fe01") == before
    assert modes(lab, "fe01")["RTCCLSAGT"] == ("disabled", "stopped")


def test_missing_service_is_skipped_with_a_message(lab: SimLab) -> None:
    res = lab.run(ROLE, limit="subca01")
    assert_ok(res)
    assert res.changed["subca01"] == 0
    messages = [r["msg"] for r in res.result("subca01", SKIP_TASK)["results"]]
    assert messages == [
        "Skipped RTCCLSAGT: the service is not installed on subca01.",
        "Skipped REPLICA: the service is not installed on subca01.",
    ]
    assert lab.calls("subca01", "win_service") == []


def test_missing_service_fails_when_required(lab: SimLab) -> None:
    res = lab.run(ROLE, limit="subca01,fe01", extra_vars={"sfb_pki_services_require_present": True})
    assert res.rc != 0
    assert res.failed["subca01"] == 1 and res.failed["fe01"] == 0
    msg = res.result("subca01", "sfb.pki.services : Fail when a required service is not installed")["msg"]
    assert "RTCCLSAGT, REPLICA not installed on subca01" in msg
    assert "sfb_pki_services_require_present" in msg
    assert lab.calls("subca01", "win_service") == []
    assert modes(lab, "fe01")["REPLICA"] == ("delayed", "running")


def test_a_listed_service_missing_on_one_host_only(lab: SimLab) -> None:
    res = lab.run(ROLE, limit="edge01", extra_vars={"sfb_pki_services_delayed_start": ["REPLICA", "MASTER"]})
    assert_ok(res)
    assert [c["args"]["name"] for c in lab.calls("edge01", "win_service")] == ["REPLICA"]
    assert res.result("edge01", SKIP_TASK)["results"][0]["msg"].startswith("Skipped MASTER")


def test_bad_role_arguments_are_rejected(lab: SimLab) -> None:
    res = lab.run(ROLE, limit="fe01", extra_vars={"sfb_pki_services_state": "paused"})
    assert res.rc != 0 and res.failed["fe01"] == 1
    assert lab.calls("fe01") == []
    assert modes(lab, "fe01")["REPLICA"] == ("disabled", "stopped")


def test_host_info_services_section_and_findings(lab: SimLab) -> None:
    result = lab.adhoc("fe01", "sfb.pki.host_info", {"sections": ["services"]})
    section = result["services"]
    assert section["drifted"] == ["RTCCLSAGT", "REPLICA"]
    assert section["netfx_version"] == "4.7.2" and section["netfx_repair_ready"] is True
    assert {(f["id"], f["severity"], f["object"]) for f in result["findings"]} == {
        ("service_disabled", "critical", "RTCCLSAGT"),
        ("service_disabled", "critical", "REPLICA"),
    }
    lab.run(ROLE, limit="fe01")
    healthy = lab.adhoc("fe01", "sfb.pki.host_info", {"sections": ["services"]})
    assert healthy["services"]["drifted"] == [] and healthy["findings"] == []


# repair_core_components.yml ---------------------------------------------------------------------


def test_repair_refuses_without_confirmation(lab: SimLab) -> None:
    res = lab.run(REPAIR, limit="fe01", extra_vars={"sfb_pki_repair_product_code": product_code(lab)})
    assert res.rc != 0 and res.failed["fe01"] == 1
    assert "Not repairing" in res.stdout and "sfb_pki_repair_confirm=true" in res.stdout
    assert lab.calls("fe01") == []


@pytest.mark.parametrize(
    "code",
    [None, "", "DE39F60A", "{DE39F60A-D57F-48F5-A2BD-8BA3FE794E1F", "{x} & calc.exe", ["{not-a-string}"]],
)
def test_repair_refuses_without_a_valid_product_code(lab: SimLab, code: Any) -> None:
    extra: dict[str, Any] = {"sfb_pki_repair_confirm": True}
    if code is not None:
        extra["sfb_pki_repair_product_code"] = code
    res = lab.run(REPAIR, limit="fe01", extra_vars=extra)
    assert res.rc != 0 and res.failed["fe01"] == 1
    assert "Not repairing" in res.stdout
    assert lab.calls("fe01") == []


def test_repair_stops_on_old_netfx(lab: SimLab) -> None:
    set_release(lab, "fe01", 378675)  # .NET 4.5.1
    res = lab.run(
        REPAIR,
        limit="fe01",
        extra_vars={"sfb_pki_repair_confirm": True, "sfb_pki_repair_product_code": product_code(lab)},
    )
    assert res.rc != 0 and res.failed["fe01"] == 1
    msg = res.result("fe01", "Stop when .NET Framework is older than 4.5.2")["msg"]
    assert "378675" in msg and "4.5.1" in msg and "sfb_pki_repair_skip_netfx_check=true" in msg
    assert [c["module"] for c in lab.calls("fe01")] == ["win_powershell"]
    assert modes(lab, "fe01")["REPLICA"] == ("disabled", "stopped")


def healthy(model: Any) -> None:
    for name in SERVICES:
        model.set_start_mode(name, "delayed")
        model.service(name)["state"] = "running"


def test_repair_then_services_fixed(lab: SimLab) -> None:
    lab.edit("fe01", healthy)
    code = product_code(lab)
    res = lab.run(
        REPAIR,
        limit="fe01",
        extra_vars={"sfb_pki_repair_confirm": "yes", "sfb_pki_repair_product_code": code.lower().strip("{}")},
    )
    assert_ok(res)
    commands = [c["args"]["cmd"] for c in lab.calls("fe01", "win_command")]
    assert commands == [f"msiexec.exe /fvomus {code.upper()} /qn /norestart"]
    # the repair disabled both services; the role put them back
    assert sorted(c["args"]["name"] for c in lab.calls("fe01", "win_service")) == sorted(SERVICES)
    assert modes(lab, "fe01") == {"RTCCLSAGT": ("delayed", "running"), "REPLICA": ("delayed", "running")}


def test_repair_with_skipped_netfx_check_on_old_netfx(lab: SimLab) -> None:
    set_release(lab, "fe01", 378389)  # .NET 4.5
    code = product_code(lab)
    res = lab.run(
        REPAIR,
        limit="fe01",
        extra_vars={
            "sfb_pki_repair_confirm": True,
            "sfb_pki_repair_product_code": code,
            "sfb_pki_repair_skip_netfx_check": True,
        },
    )
    assert_ok(res)
    commands = [c["args"]["cmd"] for c in lab.calls("fe01", "win_command")]
    assert commands == [
        f"msiexec.exe /i {code.upper()} REINSTALL=ALL REINSTALLMODE=vomus SKIP_NETFRAMEWORK_CHECK=1"
        " /qn /norestart"
    ]
    assert modes(lab, "fe01") == {"RTCCLSAGT": ("delayed", "running"), "REPLICA": ("delayed", "running")}


def test_repair_that_fails_stops_before_the_services(lab: SimLab) -> None:
    res = lab.run(
        REPAIR,
        limit="fe01",
        extra_vars={
            "sfb_pki_repair_confirm": True,
            "sfb_pki_repair_product_code": "{00000000-0000-0000-0000-000000000000}",
        },
    )
    assert res.rc != 0 and res.failed["fe01"] == 1
    assert res.result("fe01", "Repair Core Components")["rc"] == 1605
    assert lab.calls("fe01", "win_service") == []


def test_repair_asking_for_a_reboot_still_restores_the_services(lab: SimLab) -> None:
    lab.inject_fault("fe01", "win_command", rc=3010, msg="reboot required")
    res = lab.run(
        REPAIR,
        limit="fe01",
        extra_vars={"sfb_pki_repair_confirm": True, "sfb_pki_repair_product_code": product_code(lab)},
    )
    assert_ok(res)
    assert "asks for a reboot" in res.result("fe01", "Report a pending reboot")["msg"]
    assert modes(lab, "fe01") == {"RTCCLSAGT": ("delayed", "running"), "REPLICA": ("delayed", "running")}


def test_repair_in_check_mode_changes_nothing(lab: SimLab) -> None:
    before = lab.state("fe01")
    res = lab.run(
        REPAIR,
        limit="fe01",
        check=True,
        extra_vars={"sfb_pki_repair_confirm": True, "sfb_pki_repair_product_code": product_code(lab)},
    )
    assert_ok(res)
    assert lab.state("fe01") == before
    assert res.changed["fe01"] >= 1
