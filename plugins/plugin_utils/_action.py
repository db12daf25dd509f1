# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared base of the collection's action plugins.

Arguments are validated against the module's own DOCUMENTATION; the host is touched only through
stock ansible.windows modules; a failed module call becomes one error naming host, module and step.
"""

from __future__ import annotations

from typing import Any

import yaml
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.sfb.pki.plugins.module_utils._docspec import argument_spec
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import (
    Snapshot,
    SnapshotRequest,
    covers,
    language_mode_problem,
)
from ansible_collections.sfb.pki.plugins.plugin_utils._snapshot_script import SNAPSHOT_SCRIPT

POWERSHELL = "ansible.windows.win_powershell"
REGEDIT = "ansible.windows.win_regedit"


class PkiActionError(Exception):
    """A failed step; `partial` holds what the action already did, returned with the failure."""

    def __init__(self, message: str, partial: dict[str, Any] | None = None) -> None:
        """Keep the message and the partial result."""
        super().__init__(message)
        self.partial = partial or {}


def registry_path(hklm_relative: str) -> str:
    """The win_regedit path of an HKLM-relative key."""
    return "HKLM:\\" + hklm_relative.strip("\\")


def reg_binary(data: bytes) -> str:
    """Binary data in the comma separated hex form win_regedit accepts (as a .reg export writes it)."""
    return "hex:" + ",".join(f"{b:02x}" for b in data)


class PkiAction(ActionBase):  # type: ignore[misc]
    """Base action: subclasses set DOCUMENTATION and implement `run_pki`."""

    DOCUMENTATION: str = ""
    TRANSFERS_FILES = False
    snapshot_raw: dict[str, Any] | None = None

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        """Validate the arguments, run `run_pki`, turn known failures into a failed result."""
        self._supports_check_mode = True
        self._supports_async = False
        task_vars = task_vars or {}
        result: dict[str, Any] = super().run(tmp, task_vars)
        result.setdefault("changed", False)
        try:
            args = self.validated_args()
            result.update(self.run_pki(args, task_vars))
        except PkiActionError as err:
            result.update(err.partial)
            result.update(failed=True, msg=str(err))
        except PkiInputError as err:
            result.update(failed=True, msg=str(err), changed=False)
        except AnsibleActionFail as err:
            result.update(failed=True, msg=err.message)
        return result

    def run_pki(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """The action's work on validated arguments; returns the result fields."""
        raise NotImplementedError

    # -- arguments -------------------------------------------------------------------------------
    def validated_args(self) -> dict[str, Any]:
        """The task arguments checked and completed against the module's DOCUMENTATION."""
        spec = argument_spec(yaml.safe_load(self.DOCUMENTATION))
        outcome = ArgumentSpecValidator(spec).validate(dict(self._task.args))
        if outcome.error_messages:
            raise AnsibleActionFail(f"{self._task.action}: " + "; ".join(outcome.error_messages))
        return dict(outcome.validated_parameters)

    # -- stock modules ---------------------------------------------------------------------------
    def host_name(self, task_vars: dict[str, Any]) -> str:
        """The inventory name of the host being worked on."""
        return str(task_vars.get("inventory_hostname", "localhost"))

    def run_module(
        self, step: str, module_name: str, module_args: dict[str, Any], task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        """Run one stock module on the host; a failure raises one error naming host, module and step."""
        res: dict[str, Any] = self._execute_module(
            module_name=module_name, module_args=module_args, task_vars=task_vars
        )
        if res.get("failed") or res.get("unreachable"):
            detail = res.get("msg") or res.get("message") or "no message"
            errors = res.get("error")
            if isinstance(errors, list) and errors:
                first = errors[0]
                detail = f"{detail}; {first.get('output', first) if isinstance(first, dict) else first}"
            raise PkiActionError(f"host {self.host_name(task_vars)}: {step}: {module_name} failed: {detail}")
        return res

    def read_snapshot(
        self, request: SnapshotRequest, task_vars: dict[str, Any], reuse: dict[str, Any] | None = None
    ) -> Snapshot:
        """Use `reuse` (host_info's `snapshot` return) when it covers the request; else read the host once."""
        if reuse:
            given = reuse.get("request")
            raw_given = reuse.get("result")
            if not isinstance(given, dict) or not isinstance(raw_given, dict) or "keys" not in raw_given:
                raise AnsibleActionFail(
                    f"{self._task.action}: snapshot is not a host_info 'snapshot' return (request and result)"
                )
            if covers(given, request):
                self.snapshot_raw = raw_given
                return Snapshot.from_result(raw_given)
        depth = 10 + 2 * max(request.keys.values(), default=0)
        res = self.run_module(
            "read the host snapshot",
            POWERSHELL,
            {"script": SNAPSHOT_SCRIPT, "parameters": request.parameters(), "depth": depth},
            task_vars,
        )
        raw = res.get("result")
        problem = language_mode_problem(raw) if isinstance(raw, dict) else None
        if problem is not None:
            raise PkiActionError(f"host {self.host_name(task_vars)}: read the host snapshot: {problem}")
        if not isinstance(raw, dict) or "keys" not in raw:
            raise PkiActionError(
                f"host {self.host_name(task_vars)}: read the host snapshot: {POWERSHELL} returned no snapshot"
                + (
                    " (win_powershell skipped the script in check mode)"
                    if "skipped" in str(res.get("msg"))
                    else ""
                )
            )
        self.snapshot_raw = raw
        return Snapshot.from_result(raw)

    def regedit_set_binary(
        self, step: str, key: str, name: str, data: bytes, task_vars: dict[str, Any]
    ) -> dict[str, Any]:
        """Write one REG_BINARY value under an HKLM-relative key (created when missing)."""
        args = {"path": registry_path(key), "name": name, "type": "binary", "data": reg_binary(data)}
        return self.run_module(step, REGEDIT, args, task_vars)

    def regedit_delete_key(self, step: str, key: str, task_vars: dict[str, Any]) -> dict[str, Any]:
        """Delete an HKLM-relative key with its values and subkeys."""
        args = {"path": registry_path(key), "state": "absent", "delete_key": True}
        return self.run_module(step, REGEDIT, args, task_vars)
