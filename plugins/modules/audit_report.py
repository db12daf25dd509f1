# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module is an action plugin (plugins/action/audit_report.py); this file holds its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: audit_report
short_description: Write the estate PKI audit report (JSON and self-contained HTML) on the controller
version_added: 0.1.0
description:
  - Takes the M(sfb.pki.host_info) results of many hosts and writes C(report.json) and C(report.html)
    into O(dest) on the controller. It never contacts a managed host.
  - Each host's findings carry severity, object, message, the exact fix, and the symptoms the fault
    causes. Events counted by the C(events) section of M(sfb.pki.host_info) are put beside the finding
    that explains them, on the same host or, for CRL faults, anywhere in the estate; an event with no
    known cause becomes an C(unexplained_symptom) finding.
  - The HTML page has a summary, symptoms beside their causes, a CRL timeline per CA (inline SVG, with
    today and the refresh-due mark), Lync Phone Edition readiness per server certificate, and a table
    per host whose fix column stays on screen at 1280 pixels. It loads nothing from the network. It is
    rendered from a Jinja2 template that a site may replace (O(template)).
  - With O(fail_on), the task fails once the report is written if any finding reaches that severity
    or a host could not be read, so AWX notifications and CI can react.
author:
  - sfb.pki maintainers (@sfb-pki)
options:
  results:
    description:
      - M(sfb.pki.host_info) results keyed by inventory host name, for example built from C(hostvars).
      - A value that is missing, C(null), failed or unreachable is reported as a host that was not read.
    type: dict
    required: true
  dest:
    description:
      - Directory on the controller to write C(report.json) and C(report.html) into; created when missing.
    type: path
    required: true
  fail_on:
    description:
      - Fail the task when findings reach this severity (C(warning) includes C(critical)), or when a
        host could not be read. C(none) never fails on findings.
    type: str
    choices: [none, warning, critical]
    default: none
  events_days:
    description:
      - The event window the C(events) section used, in days; only used in report wording.
    type: int
    default: 7
  template:
    description:
      - A Jinja2 template on the controller to render C(report.html) with, instead of the collection's own
        (C(plugins/module_utils/report.html.j2) in the installed collection; copy it as a start).
      - The template gets C(report), the C(report.json) data, and C(view), the same data ready to show
        (times to the minute, CSS classes by severity, the CRL timeline as inline SVG); autoescaping is on.
        The default template's header comment lists the fields.
    type: path
attributes:
  check_mode:
    support: full
    description: Managed hosts are never touched; the report files are written on the controller in check
      mode too, since they describe the estate and change nothing on it.
  diff_mode:
    support: none
    description: Nothing on a managed host changes, so there is no diff.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller only.
notes:
  - Always returns C(changed=false).
  - The report is rewritten on each run; keep a dated O(dest) to keep a history.
seealso:
  - module: sfb.pki.host_info
"""

EXAMPLES = r"""
- name: Read every server once
  sfb.pki.host_info:
  register: audit_host_info

- name: Write the estate report on the controller
  sfb.pki.audit_report:
    results: >-
      {{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
         | map(attribute='audit_host_info', default=None))) }}
    dest: "{{ playbook_dir }}/reports"
    fail_on: critical
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
report_json:
  description: Path of the JSON report.
  returned: always
  type: str
  sample: /srv/ansible/reports/report.json
report_html:
  description: Path of the HTML report.
  returned: always
  type: str
  sample: /srv/ansible/reports/report.html
summary:
  description: The report summary.
  returned: always
  type: dict
  contains:
    hosts:
      description: Number of hosts in O(results).
      type: int
    hosts_with_findings:
      description: Hosts with at least one finding.
      type: int
    hosts_not_read:
      description: Hosts whose host_info result is missing, failed or unreachable.
      type: list
      elements: str
    findings:
      description: Finding counts by severity.
      type: dict
      sample: {critical: 2, warning: 5, info: 1}
    by_id:
      description: Finding counts by id.
      type: dict
    worst:
      description: The highest severity found, null when there is no finding.
      type: str
fail_reached:
  description: Whether O(fail_on) was reached (the task then fails).
  returned: always
  type: bool
host_lines:
  description: One line per host saying what was found (counts by severity, then each finding id with its
    severity, worst first), or why the host was not read.
  returned: always
  type: list
  elements: str
  sample: ["fe01: 1 critical, 1 warning: subordinate_in_root (critical), gpo_only_root (warning)"]
stats:
  description:
    - The summary, the report path, and per host its status, counts and every finding (id, severity,
      object, fix); ready for C(ansible.builtin.set_stats), which AWX keeps as job artifacts.
  returned: always
  type: dict
"""
