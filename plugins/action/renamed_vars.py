# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sfb.pki.renamed_vars: the one map of variables renamed with the sfb_pki_ prefix, and their warnings."""

from __future__ import annotations

from typing import Any

from ansible_collections.sfb.pki.plugins.modules.renamed_vars import DOCUMENTATION
from ansible_collections.sfb.pki.plugins.plugin_utils._action import PkiAction

# The release that stops reading the old names.
REMOVED_IN = "2.0.0"
COLLECTION = "sfb.pki"


def _prefixed(prefix: str, names: str) -> dict[str, str]:
    return {f"{prefix}_{name}": f"sfb_pki_{prefix}_{name}" for name in names.split()}


# Old name -> new name. Each old name starts with its scope (the option `scope`) and an underscore.
RENAMED: dict[str, str] = {
    **_prefixed(
        "root_store",
        "roots pin_policy_roots remove_orphan_pins move_reappeared subordinates unvetted declared_roots"
        " backup_dir audit_only snapshot",
    ),
    **_prefixed("services", "delayed_start state require_present host_info"),
    **_prefixed("schannel", "disable_trusted_issuer_list host_info"),
    **_prefixed(
        "offline_root_crl",
        "side root_group subordinate_group refresh_before fail_within_days force controller_dir file"
        " issuer_file allow_older cdp_paths create_cdp_folders dspublish staging_dir",
    ),
    # sfb_pki_report_dir already existed beside audit_report_dir; the audit and its merge both read it.
    "audit_report_dir": "sfb_pki_report_dir",
    **_prefixed("audit", "fail_on events_days slice run sliced merge_slices merge_fail_on"),
    **_prefixed("repair", "confirm product_code skip_netfx_check"),
    **_prefixed("crl_refresh", "root_group subordinate_group"),
    **_prefixed(
        "crl_schedule",
        "scope backend name on_calendar randomized_delay cron_hour cron_minute playbook inventory"
        " ansible_playbook workdir extra_args environment unit_dir activate state",
    ),
    **_prefixed("restore_certificate", "backup"),
}


def message(old: str, new: str, ignored: bool) -> str:
    """The deprecation text for one old name."""
    text = f"The variable {old} is renamed {new}; set {new} instead"
    if ignored:
        text += f". Both are set: {new} is used and {old} is ignored"
    return text


class ActionModule(PkiAction):
    """Find the old names set for this host; one deprecation warning each (Ansible shows each text once).

    Run with `run_once` (the playbooks do: a controller-only check needs no worker per host), it looks at
    every host of the play batch: the play's and extra variables through this task's variables, each
    host's inventory variables through `hostvars`.
    """

    DOCUMENTATION = DOCUMENTATION

    def run_pki(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Compare each old name that is set with its new name; warn."""
        prefixes = tuple(f"{scope}_" for scope in args["scope"])
        names = {old: new for old, new in RENAMED.items() if old.startswith(prefixes)}
        found: dict[tuple[str, bool], None] = {}
        for variables in self._host_variables(task_vars):
            for old, new in names.items():
                if old not in variables:
                    continue
                ignored = new in variables and self._value(variables[new]) != self._value(variables[old])
                found[(old, ignored)] = None
        renamed = []
        for old, ignored in found:
            new = names[old]
            self._display.deprecated(
                message(old, new, ignored), version=REMOVED_IN, collection_name=COLLECTION
            )
            renamed.append({"old": old, "new": new, "ignored": ignored})
        return {"changed": False, "renamed": renamed}

    def _host_variables(self, task_vars: dict[str, Any]) -> list[Any]:
        """This host's variables, and with run_once those of every other host of the play batch."""
        found: list[Any] = [task_vars]
        if not self._task.run_once:
            return found
        hostvars = task_vars.get("hostvars") or {}
        this = task_vars.get("inventory_hostname")
        for host in task_vars.get("ansible_play_batch") or []:
            if host != this and host in hostvars:
                found.append(hostvars[host])
        return found

    def _value(self, raw: Any) -> Any:
        """A variable's value as the play sees it (a role default "{{ old | default(x) }}" templated)."""
        return self._templar.template(raw)
