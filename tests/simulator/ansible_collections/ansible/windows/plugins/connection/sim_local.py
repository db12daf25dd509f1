# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only connection: `local`, plus the exceptions psrp and winrm raise when a connection is lost.

The simulated modules run on the controller through the per-host interpreter wrapper, so nothing can
be lost on the way. A fault of kind `connection_lost` or `reply_lost` in the host's state file makes the
simulated module mark its output (sim_module.CONNECTION_MARKER); this plugin then raises what the real
transport raises, with the real message, so action plugins see exactly what they would see on Windows.
"""

from __future__ import annotations

DOCUMENTATION = """
    name: sim_local
    short_description: local execution with the connection failures of psrp and winrm (simulator only)
    description:
        - Runs modules like C(ansible.builtin.local).
        - When a simulated module reports an injected connection fault, raises the
          C(AnsibleConnectionFailure) that C(ansible.builtin.psrp) or C(ansible.windows) over
          C(ansible.builtin.winrm) raises for that failure.
    author: sfb.pki maintainers
    options: {}
    extends_documentation_fragment:
        - connection_pipelining
"""

import json
import re
from typing import Any

from ansible.errors import AnsibleConnectionFailure
from ansible.plugins.connection.local import Connection as LocalConnection

from ansible_collections.ansible.windows.plugins.module_utils.sim_faults import connection_error

MARKER = "_sfb_sim_connection_fault"  # sim_module.CONNECTION_MARKER (module_utils are not importable here)


def _mark(stdout: bytes) -> dict[str, Any] | None:
    """The connection fault a simulated module reported in its JSON output, if any."""
    if MARKER.encode() not in stdout:
        return None
    text = stdout.decode("utf-8", "replace")
    match = re.search(r"\{.*\}", text, re.S)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    mark = data.get(MARKER) if isinstance(data, dict) else None
    return mark if isinstance(mark, dict) else None


class Connection(LocalConnection):  # type: ignore[misc]
    """ansible.builtin.local that raises the injected connection faults."""

    transport = "ansible.windows.sim_local"

    def exec_command(
        self, cmd: str, in_data: bytes | None = None, sudoable: bool = True
    ) -> tuple[int, bytes, bytes]:
        """Run like local; raise what psrp/winrm raise when the module reports a connection fault."""
        rc, stdout, stderr = super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        mark = _mark(stdout)
        if mark is not None:
            host = str(self._play_context.remote_addr or "localhost")
            raise AnsibleConnectionFailure(
                connection_error(
                    str(mark.get("kind")),
                    str(mark.get("transport") or "psrp"),
                    host,
                    mark.get("msg"),
                )
            )
        return rc, stdout, stderr
