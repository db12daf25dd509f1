# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module is an action plugin (plugins/action/root_store.py); this file holds its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: root_store
short_description: Pin roots into the Registry physical Root store and move subordinates out of Trusted Root
version_added: 0.1.0
description:
  - Manages the machine C(Root) store of a Windows host at the level of its physical stores, which
    M(ansible.windows.win_certificate_store) cannot see.
  - Reads the host once (the same read-only snapshot as M(sfb.pki.host_info)), plans on the controller,
    and writes only through M(ansible.windows.win_regedit) in the Registry physical stores
    (C(HKLM\SOFTWARE\Microsoft\SystemCertificates\ROOT) and C(...\CA)). Group Policy, Enterprise and
    Third-Party copies are never changed; problems there are reported.
  - A root delivered only by Group Policy is also written to the Registry store, so a Group Policy refresh
    cannot make it disappear for a moment (KB4560600). A root found only in the Enterprise (Active Directory)
    store is reported (C(enterprise_only_root)), never pinned. Each pin is recorded on the host under
    C(HKLM\SOFTWARE\sfb.pki\RootStore\Pins\<THUMBPRINT>), so a pin whose Group Policy source has gone is
    reported (C(orphan_pin)) and can be removed (O(remove_orphan_pins)).
  - A certificate in the Registry Root store that is provably not self-signed (issued under another name,
    or a key-rollover cross certificate signed by the other key) is copied to the Registry C(CA) store and
    then removed from C(Root) (KB2795828). When the self-signature cannot be checked (for example MD2) it is
    only reported. Each move is recorded under C(HKLM\SOFTWARE\sfb.pki\RootStore\Moves\<THUMBPRINT>); a
    subordinate that comes back after a move is reported (C(subordinate_reappeared)) and not moved again
    unless O(move_reappeared=true).
  - A pin or a move copies the Registry C(Blob) of the source copy byte for byte, so the friendly name, an
    administrator's restriction of the certificate's purposes and every other stored property are kept.
    Only a root given in O(roots) gets a new Blob (SHA-1, key identifier, certificate).
  - Adds always happen before removes, and every certificate is backed up on the controller before it is
    removed, so an interrupted run never loses a certificate; a rerun converges.
  - A healthy host costs one round trip (the snapshot); each drifted certificate at most three more (a
    move adds to CA, removes from Root and records the move).
author:
  - sfb.pki maintainers (@sfb-pki)
options:
  roots:
    description:
      - Certificates that must (or must not) be in the Registry physical Root store.
      - Each entry gives the certificate by C(content) or by C(path); one entry may hold several certificates
        (a PEM bundle).
      - A certificate wanted C(present) must be a self-signed CA; anything else, and any input that is not a
        certificate, fails the task before the host is touched.
    type: list
    elements: dict
    default: []
    suboptions:
      content:
        description:
          - PEM (one or more certificates), base64 DER, or a registry Blob as base64.
          - Mutually exclusive with O(roots[].path).
        type: str
      path:
        description:
          - Path on the controller to a PEM or DER file. A relative path is searched like a C(files/) lookup.
          - Mutually exclusive with O(roots[].content).
        type: path
      state:
        description:
          - V(present) adds the certificate to the Registry Root store when it is not there.
          - V(absent) removes only the Registry copy (after backing it up) and reports copies in the
            Group Policy, Enterprise or Third-Party stores, which it cannot remove.
        type: str
        choices: [present, absent]
        default: present
  snapshot:
    description:
      - The C(snapshot) returned by M(sfb.pki.host_info) with O(sfb.pki.host_info#module:return_snapshot=true)
        earlier in the same play on this host. When it holds every store this module reads, the module
        plans from it and does not read the host again; otherwise it reads the host as usual.
      - Use it only for a snapshot taken in the same play, before any other change to the stores.
    type: dict
  pin_policy_roots:
    description:
      - Write every self-signed, unexpired root found only in the Group Policy physical Root store (in no
        other physical Root store) to the Registry Root store as well, copying the Group Policy C(Blob) byte
        for byte, and record the pin on the host.
      - Roots found only in the Enterprise (Active Directory) store are reported, not pinned, because
        KB4560600 concerns only the Group Policy location, and a pinned copy would keep a retired root
        trusted.
    type: bool
    default: true
  remove_orphan_pins:
    description:
      - Remove every root this module pinned whose Group Policy source has gone (finding C(orphan_pin)).
        It backs up the Registry copy, deletes it, then deletes its pin record. Records of pins that no longer
        have a Registry copy are deleted too.
      - A root listed in O(roots) is never an orphan; listing it there drops its pin record instead.
      - Off by default, so a Group Policy change never removes trust by itself.
    type: bool
    default: false
  move_reappeared:
    description:
      - Move again a subordinate that came back into the Registry Root store after an earlier move (finding
        C(subordinate_reappeared)). By default it is only reported, because whatever re-delivers it (Group
        Policy Preferences, software distribution such as SCCM) would undo each move and every run would
        report a change.
      - Fix the source first, then run once with this option.
    type: bool
    default: false
  subordinates:
    description:
      - What to do with a certificate in the Registry Root store that is provably not self-signed.
      - V(move) copies it to the Registry CA store (when missing), backs it up and removes it from Root.
      - V(report) only reports it.
      - Subordinates placed in Root by Group Policy are always reported (only the GPO can fix them).
    type: str
    choices: [move, report]
    default: move
  unvetted:
    description:
      - What to do with a self-signed certificate in the Registry Root store whose provenance is
        C(unvetted) (not a Windows root of KB293781, not in Microsoft's root program CTL, not delivered by
        Group Policy or AD, not declared; see docs/provenance.md).
      - V(report) (the default) only reports it as C(unvetted_root) under RV(reported).
      - V(remove) backs it up (like a move) and deletes it from the Registry Root store, after every add.
        Copies in other physical stores are reported, never touched.
      - Roots listed under O(roots) with C(state=present) and O(provenance_declared_roots) are never
        unvetted.
    type: str
    choices: [report, remove]
    default: report
  provenance_declared_roots:
    description:
      - SHA-1 thumbprints of roots you vouch for (provenance C(declared)), as for
        M(sfb.pki.host_info).
    type: list
    elements: str
    default: []
  backup_dir:
    description:
      - Controller directory where every certificate is saved before it is removed, as
        C(<backup_dir>/<inventory_hostname>/<Store>-<physical>-<THUMBPRINT>.der) plus a C(.json) record (host,
        store, physical location, registry key, time, and the original registry Blob).
      - Defaults to C(~/.local/share/sfb.pki/backups) on the controller, outside the collection and the
        playbook directory (which are replaced when the collection is reinstalled).
      - See C(docs/root_store.md) or the C(sfb.pki.restore_certificate) playbook to restore one.
    type: path
attributes:
  check_mode:
    support: full
    description: Returns exactly the operations a real run would perform (records included) and writes
      nothing, not even backups.
  diff_mode:
    support: full
    description: Shows the before and after thumbprint listing of every physical store and record list that
      changes.
  platform:
    support: full
    platforms: windows
    description: Targets Windows hosts through the ansible.windows collection; runs on the controller.
notes:
  - Runs as an action plugin on the controller; the host needs only the ansible.windows collection.
  - Expired roots and certificates whose Blob cannot be decoded are reported, never removed.
seealso:
  - module: sfb.pki.host_info
  - module: ansible.windows.win_regedit
  - module: ansible.windows.win_certificate_store
"""

EXAMPLES = r"""
- name: Pin GPO-only roots and move subordinates out of Trusted Root (the defaults)
  sfb.pki.root_store:

- name: Make sure the offline root is in the Registry store, retire an old one, only report subordinates
  sfb.pki.root_store:
    roots:
      - path: files/contoso-root-2026.cer
      - content: "{{ lookup('ansible.builtin.file', 'files/contoso-root-2016.pem') }}"
        state: absent
    subordinates: report
    backup_dir: /srv/pki-backups

- name: A root retired from the GPO - remove its pin (backed up first); move a re-delivered subordinate once
  sfb.pki.root_store:
    remove_orphan_pins: true
    move_reappeared: true

- name: Show what would change on every host
  sfb.pki.root_store:
  check_mode: true
  diff: true
  register: plan

- name: List the planned operations
  ansible.builtin.debug:
    var: plan.operations
"""

RETURN = r"""
operations:
  description: The registry operations, in execution order (adds first). In check mode, the operations a
    real run would perform; after a failure, the ones that completed.
  returned: always
  type: list
  elements: dict
  contains:
    action:
      description: V(add) (write the Blob), V(remove) (delete the thumbprint key), V(record) (write a pin or
        move record) or V(forget) (delete a pin record).
      type: str
    store:
      description: Logical store, C(Root) or C(CA); for V(record) and V(forget), the record list C(Pins) or
        C(Moves).
      type: str
    physical:
      description: Physical store, always C(registry); C(sfb.pki) for records.
      type: str
    thumbprint:
      description: SHA-1 thumbprint, uppercase hex.
      type: str
    subject:
      description: Certificate subject, RFC 4514.
      type: str
    reason:
      description: V(requested), V(requested_absent), V(pin_policy_root), V(move_subordinate),
        V(orphan_pin) or V(unvetted).
      type: str
    key:
      description: The registry key written or deleted.
      type: str
  sample:
    - action: add
      store: Root
      physical: registry
      thumbprint: 5FB7EE0633E259DBAD0C4C9AE6D38F1A61C7DC25
      subject: CN=DigiCert High Assurance EV Root CA,OU=www.digicert.com,O=DigiCert Inc,C=US
      reason: pin_policy_root
      key: "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\\
        5FB7EE0633E259DBAD0C4C9AE6D38F1A61C7DC25"
reported:
  description: Problems in the Root store this run does not change (GPO subordinates, unverifiable or expired
    roots, undecodable blobs, copies it cannot remove, Enterprise-only roots, orphan pins, reappeared
    subordinates, unvetted roots with O(unvetted=report), roots that are not CAs or imitate a publisher), as
    findings with the exact fix.
  returned: always
  type: list
  elements: dict
backups:
  description: Files written on the controller before removals (DER and JSON).
  returned: always
  type: list
  elements: str
backup_dir:
  description: The controller folder this host's backups go to (whether or not one was needed).
  returned: always
  type: str
  sample: /home/admin/.local/share/sfb.pki/backups/fe01
diff:
  description: Before/after per changed physical store.
  returned: when diff mode is on and something changes
  type: list
  elements: dict
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
      V(module) and the V(operation) (as in RV(operations)). It may have happened, so C(changed) is
      true; the next run reads the host again and does only what is still missing.
  returned: when the connection was lost during a write
  type: list
  elements: dict
"""
