# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of sfb.pki.crl_install (the code is the action plugin of the same name)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: crl_install
short_description: Install a verified CRL in a Windows host's CA store, CDP folders and AD
version_added: 0.1.0
description:
  - Loads the CRL (O(src) on the controller, or O(content)) and verifies it on the controller against the
    issuer certificate, given by O(issuer_src) / O(issuer_content) or found by name and key among the
    certificates of the host's Root store (every physical store).
  - Refuses, with no change to the host, a CRL whose issuer name or signature does not match, an expired
    CRL, and a CRL older than the one installed from the same issuer (CRL number and thisUpdate) unless
    O(allow_older) is set.
  - Installs with C(certutil -addstore CA <file>) only when that exact CRL (by SHA-1 of its DER) is not
    already in the CA store; the installed CRLs come from the one C(host_info) snapshot read. Then reads
    the host again to confirm the CRL is there.
  - Optionally copies the CRL (DER) to O(cdp_paths) on the host (M(ansible.windows.win_copy), which only
    writes when the file differs), creating a missing CDP folder first unless O(create_cdp_folders=false),
    and publishes it to Active Directory with C(certutil -dspublish -f <file>)
    when the CRL was installed or a CDP copy changed.
  - Runs on the controller as an action plugin; acts on the host only through stock ansible.windows
    modules (M(ansible.windows.win_powershell) for the read-only snapshot, M(ansible.windows.win_copy),
    M(ansible.windows.win_command) with argv for certutil).
author:
  - sfb.pki maintainers (@sfb-pki)
options:
  src:
    description: Controller path of the CRL (DER, PEM or base64). Mutually exclusive with O(content).
    type: path
  content:
    description: The CRL as PEM or base64 DER text (for example RV(sfb.pki.crl_publish#module:crl.content)).
    type: str
  issuer_src:
    description: Controller path of the issuer (CA) certificate. Mutually exclusive with O(issuer_content).
    type: path
  issuer_content:
    description: The issuer certificate as PEM or base64 DER text.
    type: str
  allow_older:
    description: Install the CRL even when it is older than the one installed from the same issuer.
    type: bool
    default: false
  cdp_paths:
    description:
      - Folders (or full C(.crl) file paths) on the host to copy the CRL to, such as the web CDP folder.
    type: list
    elements: str
    default: []
  create_cdp_folders:
    description:
      - Create a missing O(cdp_paths) folder (M(ansible.windows.win_file), C(state=directory)) before the
        CRL is copied into it.
      - With V(false), a missing folder fails the task at plan time, before anything is written on the
        host (no C(certutil -addstore), no staging copy). Whether each folder exists comes from the one
        snapshot read.
    type: bool
    default: true
  dspublish:
    description: Publish the CRL to Active Directory (C(certutil -dspublish -f <file>)) when it changed.
    type: bool
    default: false
  file_name:
    description:
      - File name of the CRL on the host. Defaults to the issuer's common name with C(.crl), as
        C(certutil -crl) names it.
    type: str
  staging_dir:
    description: Folder on the host where the CRL file is placed for certutil.
    type: str
    default: C:\Windows\Temp\sfb.pki
  planned:
    description:
      - Check mode only. The CRL the issuer would publish in this run, as
        RV(sfb.pki.crl_publish#module:planned) returns it (at least C(crl_number)); O(src) / O(content) is
        then the issuer's current CRL.
      - A root's C(certutil -crl) is skipped in check mode, so no new CRL exists to compare. With this, a
        subordinate whose installed CRL of that issuer is older than C(crl_number) is reported changed with
        the CRL number it would receive (RV(crl), RV(planned)), and every CDP copy and the AD publish as
        changed, as the real run will do.
      - Given outside check mode it is an error.
    type: dict
  refresh_before:
    description: Days before nextUpdate from which the installed CRL is reported as due (facts only).
    type: int
    default: 30
attributes:
  check_mode:
    support: full
    description:
      - Verifies the CRL, reports whether it would be installed, copied (including CDP folders it would
        create), published; writes nothing. A missing CDP folder with O(create_cdp_folders=false) fails in
        check mode too.
      - With O(planned), reports the install of the CRL the issuer would publish in this run.
  diff_mode:
    support: partial
    description: The diff shows the installed CRL number and nextUpdate before and after.
  platform:
    support: full
    platforms: windows
    description: The action runs on the controller; the host is any Windows server (usually a subordinate CA).
seealso:
  - module: sfb.pki.crl_publish
  - module: sfb.pki.host_info
"""

EXAMPLES = r"""
- name: Install the root CRL carried by the controller on a subordinate CA
  sfb.pki.crl_install:
    src: "{{ playbook_dir }}/crl/offroot01.crl"
    cdp_paths:
      - C:\inetpub\wwwroot\pki
    dspublish: true

- name: Install an admin-supplied CRL, checking it against a given root certificate
  sfb.pki.crl_install:
    src: /srv/pki/ContosoRootCA.crl
    issuer_src: /srv/pki/ContosoRootCA.crt
"""

RETURN = r"""
installed:
  description: Whether C(certutil -addstore CA) ran (or, in check mode, would run).
  returned: always
  type: bool
reason:
  description: Why the CRL was or was not installed.
  returned: always
  type: str
crl:
  description:
    - Facts of the offered CRL (thumbprint, issuer, this_update, next_update, crl_number, days_left,
      refresh_due, due); in check mode with O(planned), those of the planned CRL (C(planned=true)).
  returned: always
  type: dict
previous:
  description: Facts of the newest CRL of the same issuer that was installed before, if any.
  returned: always
  type: dict
issuer:
  description: Thumbprint and subject of the certificate the CRL was verified with, and where it came from.
  returned: always
  type: dict
cdp_paths:
  description:
    - The CDP file paths, whether each was changed and whether its folder was (or, in check mode, would be)
      created (C(folder_created)).
  returned: always
  type: list
planned:
  description: In check mode with O(planned), whether the install reported is that of the planned CRL.
  returned: when the planned CRL would be installed
  type: bool
dspublished:
  description: Whether the CRL was (or would be) published to Active Directory.
  returned: always
  type: bool
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
