# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_ping against a simulated host."""

from __future__ import annotations

from typing import Any

from ansible_collections.ansible.windows.plugins.module_utils import sim_host


def ping(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_ping (data=crash raises, as the real module does)."""
    data = module.params["data"]
    if data == "crash":
        raise sim_host.SimError("boom")
    return {"changed": False, "ping": data}
