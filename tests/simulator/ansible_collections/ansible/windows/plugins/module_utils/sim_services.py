# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_service and win_service_info against the simulated service control manager."""

from __future__ import annotations

import fnmatch
from typing import Any

from ansible_collections.ansible.windows.plugins.module_utils import sim_host

_UNMODELLED = (
    "dependencies",
    "desktop_interact",
    "error_control",
    "failure_actions",
    "failure_actions_on_non_crash_failure",
    "failure_command",
    "failure_reboot_msg",
    "failure_reset_period_sec",
    "load_order_group",
    "pre_shutdown_timeout_ms",
    "required_privileges",
    "service_type",
    "sid_info",
)


def _facts(host: sim_host.Host, svc: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": svc["name"],
        "display_name": svc.get("display_name", svc["name"]),
        "description": svc.get("description", ""),
        "state": svc.get("state", "stopped"),
        "start_mode": host.start_mode(svc["name"]),
        "path": svc.get("path", f"C:\\Windows\\System32\\{svc['name']}.exe"),
        "username": svc.get("username", "LocalSystem"),
        "dependencies": list(svc.get("dependencies") or []),
    }


def _diff(host: sim_host.Host, svc: dict[str, Any] | None) -> Any:
    if svc is None:
        return ""
    facts = _facts(host, svc)
    return {
        k: facts[k]
        for k in (
            "name",
            "display_name",
            "description",
            "path",
            "start_mode",
            "state",
            "username",
            "dependencies",
        )
    }


def service(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_service."""
    params = module.params
    name: str = params["name"]
    state = params["state"]
    result: dict[str, Any] = {"changed": False, "exists": False}
    for option in _UNMODELLED:
        if params.get(option) not in (None, False, [], "set"):
            raise sim_host.SimError(f"win_service option {option!r} is not modelled")
    svc = host.service(name)
    before = _diff(host, svc)
    if svc is None:
        if state == "absent":
            if module._diff:
                result["diff"] = {"before": "", "after": ""}
            return result
        if not params.get("path"):
            module.fail_json(
                msg=f"Service '{name}' is not installed, need to set 'path' to create a new service"
            )
        svc = {"name": name, "display_name": name, "state": "stopped", "path": params["path"]}
        host.services[name.lower()] = svc
        host.set_start_mode(name, "auto")
        result["changed"] = True
    elif state == "absent":
        del host.services[name.lower()]
        host.registry.delete_tree(host.service_key(name))
        result["changed"] = True
        if module._diff:
            result["diff"] = {"before": before, "after": ""}
        return result
    for option in ("display_name", "description", "path", "username"):
        if params.get(option) is not None and svc.get(option) != params[option]:
            svc[option] = params[option]
            result["changed"] = True
    mode = params.get("start_mode")
    if mode and host.start_mode(name) != mode:
        host.set_start_mode(name, mode)
        result["changed"] = True
    if state in ("started", "restarted") and host.start_mode(name) == "disabled":
        module.fail_json(
            msg=f"Failed to start service '{svc['name']}': "
            f"Service '{svc.get('display_name', name)} ({svc['name']})' "
            "cannot be started due to the following error: Cannot start service "
            f"{svc['name']} on computer '.'.",
            exists=True,
        )
    target = {"started": "running", "stopped": "stopped", "paused": "paused", "restarted": "running"}.get(
        state or ""
    )
    if state == "restarted":
        svc["state"] = "running"
        result["changed"] = True
    elif state == "paused" and svc.get("state") == "stopped":
        module.fail_json(
            msg=f"failed to pause service {svc['name']}: The service is stopped and cannot be paused"
        )
    elif target and svc.get("state") != target:
        svc["state"] = target
        result["changed"] = True
    facts = _facts(host, svc)
    result.update(facts)
    result.update(
        {
            "exists": True,
            "can_pause_and_continue": False,
            "desktop_interact": False,
            "depended_by": [
                s["name"]
                for s in host.services.values()
                if name.lower() in (d.lower() for d in s.get("dependencies") or [])
            ],
        }
    )
    if module._diff:
        result["diff"] = {"before": before, "after": _diff(host, svc)}
    return result


def service_info(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_service_info."""
    pattern = module.params.get("name")
    found = []
    for svc in sorted(host.services.values(), key=lambda s: str(s["name"]).lower()):
        if pattern and not (
            fnmatch.fnmatch(svc["name"].lower(), pattern.lower())
            or fnmatch.fnmatch(str(svc.get("display_name", "")).lower(), pattern.lower())
        ):
            continue
        facts = _facts(host, svc)
        running = facts["state"] == "running"
        found.append(
            {
                "checkpoint": 0,
                "controls_accepted": ["stop", "shutdown"] if running else [],
                "dependencies": facts["dependencies"],
                "dependency_of": [
                    s["name"]
                    for s in host.services.values()
                    if svc["name"].lower() in (d.lower() for d in s.get("dependencies") or [])
                ],
                "description": facts["description"],
                "desktop_interact": False,
                "display_name": facts["display_name"],
                "error_control": "normal",
                "failure_actions": [],
                "failure_action_on_non_crash_failure": False,
                "failure_command": None,
                "failure_reboot_msg": None,
                "failure_reset_period_sec": 0,
                "launch_protection": "none",
                "load_order_group": "",
                "name": svc["name"],
                "path": facts["path"],
                "pre_shutdown_timeout_ms": 180000,
                "preferred_node": None,
                "process_id": 4242 if running else 0,
                "required_privileges": [],
                "service_exit_code": 0,
                "service_flags": [],
                "service_type": "win32_own_process",
                "sid_info": "none",
                "start_mode": facts["start_mode"],
                "state": facts["state"],
                "triggers": [],
                "username": facts["username"],
                "wait_hint_ms": 0,
                "win32_exit_code": 0 if running else 1077,
            }
        )
    return {"changed": False, "exists": bool(found), "services": found}
