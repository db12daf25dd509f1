# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller glue shared by crl_publish and crl_install: certutil, file copies, controller files."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from typing import Any

from ansible import constants as C
from ansible.errors import AnsibleError

from ansible_collections.sfb.pki.plugins.module_utils._certs import iso
from ansible_collections.sfb.pki.plugins.module_utils._crl import Crl
from ansible_collections.sfb.pki.plugins.module_utils._crlplan import crl_facts
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.plugin_utils._action import PkiAction, PkiActionError

COMMAND = "ansible.windows.win_command"
COPY = "ansible.windows.win_copy"
FILE = "ansible.windows.win_file"


def crl_summary(crl: Crl | None) -> dict[str, Any]:
    """The number and dates of a CRL, as a diff shows them ({} for no CRL)."""
    if crl is None:
        return {}
    return {
        "crl_number": crl.crl_number,
        "this_update": iso(crl.this_update),
        "next_update": iso(crl.next_update),
    }


class CrlAction(PkiAction):
    """PkiAction plus the steps of the CRL cycle; user values go only into module arguments."""

    def certutil(self, step: str, args: list[str], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Run certutil.exe with an argv list (never a command line); a non-zero exit names the step."""
        res: dict[str, Any] = self.call_host(
            step,
            COMMAND,
            lambda: self._execute_module(
                module_name=COMMAND, module_args={"argv": ["certutil.exe", *args]}, task_vars=task_vars
            ),
            task_vars,
            write=True,
        )
        if res.get("failed") or res.get("unreachable") or res.get("rc", 0) != 0:
            output = " ".join(str(res.get(k) or "").strip() for k in ("stdout", "stderr")).strip()
            detail = output or str(res.get("msg") or "no output")
            raise PkiActionError(
                f"host {self.host_name(task_vars)}: {step}: certutil {' '.join(args)} failed"
                f" (rc {res.get('rc')}): {detail}"
            )
        self.wrote(f"{step} (certutil {' '.join(args)})", COMMAND, res)
        return res

    def ensure_folder(self, step: str, path: str, task_vars: dict[str, Any]) -> dict[str, Any]:
        """Create a folder on the host when it is missing (ansible.windows.win_file)."""
        return self.run_module(step, FILE, {"path": path, "state": "directory"}, task_vars)

    def copy_to_host(self, step: str, data: bytes, dest: str, task_vars: dict[str, Any]) -> dict[str, Any]:
        """Copy bytes to a host path through the ansible.windows.win_copy action (changed only on drift)."""
        local_dir = tempfile.mkdtemp(dir=C.DEFAULT_LOCAL_TMP)
        try:
            local = os.path.join(local_dir, dest.replace("/", "\\").rsplit("\\", 1)[-1] or "file")
            with open(local, "wb") as handle:
                handle.write(data)
            task = self._task.copy()
            task.args = {"src": local, "dest": dest}
            action = self._shared_loader_obj.action_loader.get(
                COPY,
                task=task,
                connection=self._connection,
                play_context=self._play_context,
                loader=self._loader,
                templar=self._templar,
                shared_loader_obj=self._shared_loader_obj,
            )
            # the win_copy action runs win_copy (query), puts the file and runs win_copy again: a lost
            # connection raises out of any of them (ansible.windows plugins/action/win_copy.py)
            write = not self._task.check_mode
            res: dict[str, Any] = self.call_host(
                f"{step} ({dest})", COPY, lambda: action.run(task_vars=task_vars), task_vars, write
            )
        finally:
            shutil.rmtree(local_dir, ignore_errors=True)
        if res.get("failed") or res.get("unreachable"):
            raise PkiActionError(
                f"host {self.host_name(task_vars)}: {step}: {COPY} to {dest} failed:"
                f" {res.get('msg') or 'no message'}"
            )
        if write:
            self.wrote(f"{step} ({dest})", COPY, res)
        return res

    def controller_bytes(self, path: str, option: str) -> bytes:
        """Read a controller file (relative paths searched like `src` of copy); missing is an input error."""
        try:
            full = self._find_needle("files", path)
        except AnsibleError:
            raise PkiInputError(option, f"controller file {path} does not exist") from None
        with open(full, "rb") as handle:
            return handle.read()


def host_join(folder: str, name: str) -> str:
    """A Windows path from a folder and a file name."""
    return folder.rstrip("\\/") + "\\" + name


def crl_file_name(crl: Crl) -> str:
    """The file name certutil -crl gives a CA's CRL: the issuer's common name (or the whole name)."""
    name = crl.issuer_common_name or crl.issuer
    safe = "".join("_" if ch in '<>:"/\\|?*' or ord(ch) < 32 else ch for ch in name).strip(" .")
    return (safe or "crl") + ".crl"


def crl_result(
    crl: Crl | None, now: Any, cushion: int, content: bool = False, **extra: Any
) -> dict[str, Any]:
    """A CRL's facts for a module result, optionally with its base64 DER as `content`."""
    if crl is None:
        return {}
    facts = crl_facts(crl, now, cushion)
    facts.update(extra)
    if content:
        facts["content"] = base64.b64encode(crl.der).decode("ascii")
    return facts
