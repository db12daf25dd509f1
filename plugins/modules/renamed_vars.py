# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of sfb.pki.renamed_vars (the code and the map of renamed variables: the action plugin)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: renamed_vars
short_description: Warn once for each variable set under the name it had before the C(sfb_pki_) prefix
version_added: 0.1.0
description:
  - Every variable a user sets carries the prefix C(sfb_pki_). The names they had before
    (C(services_state), C(audit_fail_on), C(offline_root_crl_side), ...) still work until sfb.pki 2.0.0,
    because each role default and each playbook reads the new name and falls back to the old one.
  - This action, the first task of every role entry point and playbook of the collection, prints one
    Ansible deprecation warning for each old name that is set for the host, naming its replacement.
    When the new name is set too and the two differ, the new one is used and the warning says so.
  - With C(run_once), as the collection's playbooks run it since the check needs no worker per host, it
    looks at every host of the play batch, through the task's variables and each host's C(hostvars).
  - The map of old to new names is kept in this action plugin only; docs/variables.md lists it.
  - Runs on the controller; never contacts the host and never changes anything.
author:
  - sfb.pki maintainers (@sfb-pki)
options:
  scope:
    description:
      - The groups of old names to look for, each named by the prefix the old names shared.
    type: list
    elements: str
    required: true
    choices:
      - root_store
      - services
      - schannel
      - offline_root_crl
      - audit
      - repair
      - crl_refresh
      - crl_schedule
      - restore_certificate
attributes:
  check_mode:
    support: full
    description: Only reads variables and warns; it behaves the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to diff.
  platform:
    support: full
    platforms: all
    description: Runs on the controller only.
"""

EXAMPLES = r"""
- name: Warn about variables set under their old names
  sfb.pki.renamed_vars:
    scope: [services]
"""

RETURN = r"""
renamed:
  description:
    - One entry for each old name that is set, with V(old), V(new) and V(ignored) (true when the new
      name is set too, to another value, so the old one has no effect).
  returned: always
  type: list
  elements: dict
"""
