# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Simulated ansible.windows.win_copy action (test only): resolve `src` on the controller like the real one.

The simulated host shares the controller's file system, so the module reads `src` itself; this action
only finds a relative `src` in the role/playbook `files/` search path and passes the absolute path.
"""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    """Resolve src, then run the simulated win_copy module."""

    TRANSFERS_FILES = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run the module with an absolute controller `src`."""
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        src = args.get("src")
        if src is not None and not args.get("remote_src") and args.get("content") is None:
            try:
                args["src"] = self._find_needle("files", src)
            except AnsibleError as err:
                result.update({"failed": True, "msg": str(err)})
                return result
        result.update(
            self._execute_module(
                module_name="ansible.windows.win_copy", module_args=args, task_vars=task_vars
            )
        )
        return result
