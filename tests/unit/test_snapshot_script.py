# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Static checks of the fixed snapshot script (it cannot run here)."""

from __future__ import annotations

import re

import pytest

from ansible_collections.sfb.pki.plugins.module_utils._snapshot import SnapshotRequest
from ansible_collections.sfb.pki.plugins.plugin_utils._snapshot_script import SNAPSHOT_MARKER, SNAPSHOT_SCRIPT


def _code_lines() -> list[str]:
    return [line for line in SNAPSHOT_SCRIPT.splitlines() if not line.lstrip().startswith("#")]


def test_marker_is_first_line() -> None:
    assert SNAPSHOT_SCRIPT.splitlines()[0] == SNAPSHOT_MARKER == "# sfb.pki snapshot v1"


def test_declares_should_process_right_before_param_block() -> None:
    code = "\n".join(_code_lines()).strip()
    # win_powershell looks for the attribute on the script's param block to run it in check mode.
    assert re.match(r"^\[CmdletBinding\(SupportsShouldProcess\)\]\s*param\s*\(", code)


def test_parameters_match_the_request() -> None:
    block = re.search(r"param\s*\((.*?)\n\)", SNAPSHOT_SCRIPT, re.S)
    assert block is not None
    declared = re.findall(r"\$(\w+)\s*=", block.group(1))
    req = SnapshotRequest()
    req.add_key("SOFTWARE\\X", 1)
    req.add_service("RTCSRV")
    req.add_folder("%windir%\\Temp", "*.crl")
    req.add_events("System", [36888], 7)
    assert declared == list(req.parameters())


@pytest.mark.parametrize(
    "pattern",
    [
        r"\bSet-\w+",
        r"\bNew-Item\b",
        r"\bRemove-\w+",
        r"\bClear-\w+",
        r"\bRename-\w+",
        r"\bMove-\w+",
        r"\bCopy-Item\b",
        r"\bOut-File\b",
        r"\bAdd-Content\b",
        r"\b(Start|Stop|Restart|Suspend|Resume)-Service\b",
        r"\bInvoke-(Expression|Command|WebRequest|RestMethod)\b",
        r"\biex\b",
        r"\.(SetValue|DeleteValue|DeleteSubKey\w*|CreateSubKey|Flush)\(",
        r"OpenSubKey\([^)]*\$true",
        r"certutil",
        r"\bWrite(AllBytes|AllText)\b",
        r"Start-Process",
    ],
)
def test_no_write_operations(pattern: str) -> None:
    code = "\n".join(_code_lines())
    assert not re.search(pattern, code, re.I), pattern


def test_registry_keys_opened_read_only_and_values_base64() -> None:
    code = "\n".join(_code_lines())
    assert "OpenSubKey($SubPath, $false)" in code
    assert "[Convert]::ToBase64String" in code
    assert "$Ansible.Changed = $false" in code


def test_output_field_names_follow_the_contract() -> None:
    for field in ("computer_name", "keys", "services", "folders", "events"):
        assert f"$snapshot['{field}']" in SNAPSHOT_SCRIPT
    for field in ("exists", "values", "subkeys", "path", "name", "state", "files", "counts", "content"):
        assert f"['{field}']" in SNAPSHOT_SCRIPT
    for kind in ("binary", "dword", "qword", "string", "expandstring", "multistring"):
        assert f"'{kind}'" in SNAPSHOT_SCRIPT


def test_hashtable_members_are_indexed_not_dotted() -> None:
    # $h.values / $h.keys would return the Hashtable's own Values/Keys collections.
    assert not re.search(
        r"\$\w+\.(values|keys|count)\b(?!\()", SNAPSHOT_SCRIPT.replace("$ids.Count", ""), re.I
    )


def test_no_string_interpolation_of_inputs() -> None:
    # Inputs are used as data only: no script text is built from them.
    assert "ScriptBlock]::Create" not in SNAPSHOT_SCRIPT
    assert "& $" not in SNAPSHOT_SCRIPT
