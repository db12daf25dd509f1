# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Simulated ansible.windows.win_command (test only), see docs/testing.md."""

from __future__ import annotations

from ansible_collections.ansible.windows.plugins.module_utils.sim_command import command
from ansible_collections.ansible.windows.plugins.module_utils.sim_module import run


def main() -> None:
    """Module entry point."""
    run("win_command", command)


if __name__ == "__main__":
    main()
