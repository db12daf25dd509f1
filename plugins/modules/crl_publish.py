# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of sfb.pki.crl_publish (the code is the action plugin of the same name)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: crl_publish
short_description: Re-issue an offline root CA's CRL when it is due, verify it and hand it to the controller
version_added: 0.1.0
description:
  - Reads the CA host once (the C(sfb.pki.host_info) snapshot, C(ca) section) - the active CA, its
    certificate and the CRLs in C(%windir%\System32\CertSrv\CertEnroll).
  - When O(force) is set, or the CA has no CRL yet, or its current CRL has reached its refresh-due date
    (nextUpdate minus O(refresh_before) days), runs C(certutil -crl) through M(ansible.windows.win_command),
    reads CertEnroll again, and verifies the new CRL on the controller - it must be issued by the CA
    certificate (name and signature), have a higher CRL number and a later thisUpdate than the previous
    CRL, and have a nextUpdate in the future. Otherwise the task fails and the CRL is not returned.
  - When the CRL is not due, C(certutil) is not run and the task reports C(changed=false).
  - Returns the current CRL (new or not) as base64 DER with its facts, so the controller can carry it
    to the subordinate CAs (M(sfb.pki.crl_install)). Optionally saves it to a controller path.
  - Runs on the controller as an action plugin; acts on the host only through
    M(ansible.windows.win_powershell) (the fixed read-only snapshot) and
    M(ansible.windows.win_command) (C(certutil -crl), argv form).
author:
  - sfb.pki maintainers (@sfb-pki)
options:
  force:
    description: Re-issue the CRL even when it is not due.
    type: bool
    default: false
  refresh_before:
    description:
      - Days before the CRL's nextUpdate from which it is due for re-issue (seed 001 uses a 30-day
        cushion on a 7-month CRL).
    type: int
    default: 30
  dest:
    description:
      - Controller path to save the current CRL to (DER). Written only when its content differs.
      - Parent directories are created.
    type: path
  ca_name:
    description:
      - The CA to work on. Defaults to the active CA (the C(Active) value of the CertSvc configuration).
    type: str
attributes:
  check_mode:
    support: full
    description:
      - Reports whether the CRL would be re-issued (C(changed), C(reissued)); runs no certutil.
      - When it would re-issue, RV(planned) describes the CRL it would publish (its CRL number).
  diff_mode:
    support: partial
    description: The diff shows the CRL number, thisUpdate and nextUpdate before and after.
  platform:
    support: full
    platforms: windows
    description: The action runs on the controller; the host is a Windows CA (AD CS).
notes:
  - Certificate Services must be installed on the host; a host with no CertSvc configuration fails.
seealso:
  - module: sfb.pki.crl_install
  - module: sfb.pki.host_info
"""

EXAMPLES = r"""
- name: Re-issue the root CRL when it is due and keep a copy on the controller
  sfb.pki.crl_publish:
    refresh_before: 30
    dest: "{{ playbook_dir }}/crl/{{ inventory_hostname }}.crl"
  register: root_crl

- name: Force a new CRL (for example after revoking a subordinate CA certificate)
  sfb.pki.crl_publish:
    force: true
"""

RETURN = r"""
reissued:
  description: Whether C(certutil -crl) ran (or, in check mode, would run).
  returned: always
  type: bool
planned:
  description:
    - In check mode, when the CRL would be re-issued, the CRL C(certutil -crl) would publish, planned from
      the root's read since the command itself is skipped - C(crl_number) (the current one + 1),
      C(this_update) (now), C(next_update) (now + CRLPeriodUnits x CRLPeriod; approximate to hours, as the
      CA backdates by its clock skew and may add an overlap), C(days_left), C(refresh_due), C(issuer) and
      C(replaces) (the thumbprint of the current CRL).
    - Pass it to M(sfb.pki.crl_install) O(sfb.pki.crl_install#module:planned) so a subordinate's check
      mode reports the install the real run will make.
  returned: check mode, when reissued
  type: dict
  sample:
    planned: true
    crl_number: 5
    this_update: "2026-11-23T12:00:00Z"
    next_update: "2027-06-23T12:00:00Z"
reason:
  description: Why the CRL was or was not re-issued.
  returned: always
  type: str
  sample: the current CRL is not due until 2027-05-01T10:00:00Z
ca:
  description: The active CA name and certificate.
  returned: always
  type: dict
  sample:
    name: Contoso Root CA
    certificate: {thumbprint: A31D3E0A4D99335EBD9B6F18E0915490F13525CA, subject: CN=Contoso Root CA}
crl:
  description:
    - The CA's current CRL after the run, with C(content) (base64 DER) and its facts (issuer,
      this_update, next_update, crl_number, days_left, lifetime_used, refresh_due, due, expired, file).
    - In check mode when a re-issue is pending, this is still the old CRL.
  returned: when the CA has a CRL
  type: dict
previous:
  description: Facts of the CRL that was current before the run (without content).
  returned: when a CRL was re-issued
  type: dict
dest:
  description: The controller path the CRL was saved to.
  returned: when O(dest) is set
  type: str
written:
  description:
    - After a failure or a lost connection, the writes the host confirmed before it, in order, each
      with V(step), V(module) and V(changed) (what the module reported).
  returned: when the task fails or is unreachable after a write
  type: list
  elements: dict
unconfirmed:
  description:
    - When the connection was lost during a write (the result is then C(unreachable), so
      C(ignore_unreachable) applies), the write whose reply never arrived, with V(step) and
      V(module). It may have happened, so C(changed) is true; the next run reads the
      host again and does only what is still missing.
  returned: when the connection was lost during a write
  type: list
  elements: dict
"""
