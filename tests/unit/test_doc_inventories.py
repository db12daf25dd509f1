# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every inventory example in the docs loads with ansible-inventory, puts its hosts into the group the
playbooks act on (sfb_pki), and sets the connection variables it means to set.

An example is a fenced block whose first line is `# inventory/<file name>`; it is written to that file
name (the extension decides the parser) and loaded as is.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = ("docs/inventory.md", "docs/quickstart.md", "docs/awx.md")
BIN = Path(sys.executable).parent
EXAMPLE = re.compile(r"```(?:yaml|ini)\n(# inventory/(\S+)\n.*?)```", re.S)

KERBEROS = {"ansible_connection": "winrm", "ansible_winrm_transport": "kerberos"}
LOCAL_ADMIN = {"ansible_user": ".\\Administrator", "ansible_winrm_transport": "ntlm"}
# (doc, file) -> host -> variables ansible-inventory must report for it
EXPECTED: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("docs/inventory.md", "kerberos.yml"): {
        "fe01.corp.example.com": {
            **KERBEROS,
            "ansible_port": 5986,
            "ansible_winrm_scheme": "https",
            "ansible_user": "svc-ansible@CORP.EXAMPLE.COM",
            "ansible_winrm_server_cert_validation": "validate",
            "ansible_winrm_ca_trust_path": "/etc/pki/corp-root-ca.pem",
        },
        "fe02.corp.example.com": KERBEROS,
        "edge01.corp.example.com": KERBEROS,
        "subca01.corp.example.com": KERBEROS,
    },
    ("docs/inventory.md", "ntlm.yml"): {
        "offroot01": {**LOCAL_ADMIN, "ansible_host": "10.0.50.10", "ansible_port": 5985},
    },
    ("docs/inventory.md", "credssp.yml"): {
        "fe01.corp.example.com": {"ansible_winrm_transport": "credssp", "ansible_user": "CORP\\svc-ansible"},
    },
    ("docs/inventory.md", "psrp.yml"): {
        "fe01.corp.example.com": {
            "ansible_connection": "psrp",
            "ansible_psrp_auth": "negotiate",
            "ansible_psrp_ca_cert": "/etc/pki/corp-root-ca.pem",
        },
        "subca01.corp.example.com": {"ansible_connection": "psrp"},
    },
    ("docs/inventory.md", "hosts.ini"): {
        "fe01.corp.example.com": {
            **KERBEROS,
            "ansible_port": 5986,
            "ansible_user": "svc-ansible@CORP.EXAMPLE.COM",
        },
        "fe02.corp.example.com": KERBEROS,
        "subca01.corp.example.com": KERBEROS,
        "edge01.corp.example.com": {**LOCAL_ADMIN, "ansible_port": 5986},
        "offroot01": {**LOCAL_ADMIN, "ansible_host": "10.0.50.10", "ansible_port": 5985},
    },
    ("docs/quickstart.md", "hosts.yml"): {
        name: {**KERBEROS, "ansible_winrm_ca_trust_path": "/etc/pki/corp-root-ca.pem"}
        for name in (
            "fe01.corp.example.com",
            "edge01.corp.example.com",
            "offroot01.corp.example.com",
            "subca01.corp.example.com",
        )
    },
    ("docs/awx.md", "awx.yml"): {
        "fe01.corp.example.com": {"ansible_user": "{{ sfb_pki_windows_user }}"},
        "edge01.corp.example.com": LOCAL_ADMIN,
        "offroot01": {**LOCAL_ADMIN, "ansible_port": 5985},
        "subca01.corp.example.com": {"ansible_winrm_transport": "{{ sfb_pki_windows_transport }}"},
    },
}
# Groups the CRL cycle needs, where an example has them.
CRL_GROUPS = {
    ("docs/inventory.md", "hosts.ini"): {
        "offline_root_ca": ["offroot01"],
        "subordinate_ca": ["subca01.corp.example.com"],
    },
    ("docs/quickstart.md", "hosts.yml"): {
        "offline_root_ca": ["offroot01.corp.example.com"],
        "subordinate_ca": ["subca01.corp.example.com"],
    },
}


def _examples() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        for match in EXAMPLE.finditer((REPO / doc).read_text()):
            found.append((doc, match.group(2).split("/")[-1], match.group(1)))
    return found


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
            "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
        }
    )
    return env


def _load(tmp_path: Path, name: str, text: str) -> dict[str, Any]:
    path = tmp_path / name
    path.write_text(text)
    proc = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(path), "--list"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def _members(data: dict[str, Any], group: str) -> set[str]:
    entry = data.get(group) or {}
    hosts = set(entry.get("hosts") or [])
    for child in entry.get("children") or []:
        hosts |= _members(data, child)
    return hosts


def test_every_example_is_checked() -> None:
    assert sorted((doc, name) for doc, name, _text in _examples()) == sorted(EXPECTED)


@pytest.mark.parametrize(("doc", "name", "text"), _examples(), ids=lambda v: str(v)[:40])
def test_example_loads_and_sets_what_it_means(tmp_path: Path, doc: str, name: str, text: str) -> None:
    data = _load(tmp_path, name, text)
    hostvars = data["_meta"]["hostvars"]
    expected = EXPECTED[(doc, name)]
    every_host = _members(data, "all")
    assert every_host == set(expected), "the test names every host of the example"
    assert _members(data, "sfb_pki") == every_host, "every host is in the group the playbooks act on"
    for host, variables in expected.items():
        for key, value in variables.items():
            assert hostvars[host].get(key) == value, (host, key)
    for group, hosts in CRL_GROUPS.get((doc, name), {}).items():
        assert sorted(_members(data, group)) == hosts


def test_awx_credential_variables_leave_local_accounts_to_host_vars(tmp_path: Path) -> None:
    """The mixed estate of docs/awx.md with the credential's extra vars, resolved by ansible-playbook."""
    (example,) = [text for doc, name, text in _examples() if name == "awx.yml"]
    (tmp_path / "awx.yml").write_text(example)
    (tmp_path / "show.yml").write_text(
        "- hosts: sfb_pki\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.debug:\n"
        '        msg: "{{ ansible_user }}|{{ ansible_winrm_transport }}"\n'
    )
    injected = {
        "sfb_pki_windows_user": "svc-ansible@CORP.EXAMPLE.COM",
        "sfb_pki_windows_password": "domain-secret",
        "sfb_pki_windows_transport": "kerberos",
        # what the project's vault file supplies for the local accounts
        "vault_edge_admin_password": "edge-secret",
        "vault_offroot_admin_password": "root-secret",
    }
    env = _env(tmp_path)
    env.update({"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    proc = subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(tmp_path / "awx.yml"),
            str(tmp_path / "show.yml"),
            "-e",
            json.dumps(injected),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads(proc.stdout[proc.stdout.index("{") :])["plays"][0]["tasks"][0]["hosts"]
    shown = {host: result["msg"] for host, result in results.items()}
    assert shown == {
        "fe01.corp.example.com": "svc-ansible@CORP.EXAMPLE.COM|kerberos",
        "edge01.corp.example.com": ".\\Administrator|ntlm",
        "offroot01": ".\\Administrator|ntlm",
        "subca01.corp.example.com": "svc-ansible@CORP.EXAMPLE.COM|kerberos",
    }
