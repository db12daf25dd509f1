# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Static checks of the fixed snapshot script (it cannot run here)."""

from __future__ import annotations

import re

import pytest

from ansible_collections.sfb.pki.plugins.module_utils._known import KnownBytes
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
    assert declared == list(req.parameters(known=KnownBytes.of([b"x"])))


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
    for field in ("computer_name", "keys", "services", "folders", "events", "certificates"):
        assert f"$snapshot['{field}']" in SNAPSHOT_SCRIPT
    for field in ("head", "cert", "tail", "der", "sha256"):
        assert f"['{field}']" in SNAPSHOT_SCRIPT
    for kind in ("certblob", "digest"):
        assert f"'{kind}'" in SNAPSHOT_SCRIPT
    for field in ("exists", "values", "subkeys", "path", "name", "state", "files", "counts", "content"):
        assert f"['{field}']" in SNAPSHOT_SCRIPT
    for kind in ("binary", "dword", "qword", "string", "expandstring", "multistring"):
        assert f"'{kind}'" in SNAPSHOT_SCRIPT


def test_hashtable_members_are_indexed_not_dotted() -> None:
    # $h.values / $h.keys would return the Hashtable's own Values/Keys collections. The generic List and
    # HashSet the script counts have no keys to confuse with a member.
    code = SNAPSHOT_SCRIPT
    for typed in ("$ids.Count", "$certificateTable.Count", "$knownDigests.Count"):
        code = code.replace(typed, "")
    assert not re.search(r"\$\w+\.(values|keys|count)\b(?!\()", code, re.I)


def test_no_string_interpolation_of_inputs() -> None:
    # Inputs are used as data only: no script text is built from them.
    assert "ScriptBlock]::Create" not in SNAPSHOT_SCRIPT
    assert "& $" not in SNAPSHOT_SCRIPT


# -- Windows PowerShell 5.1, and degrading instead of failing (tree-sitter-powershell parses the text) --
def _tree():  # type: ignore[no-untyped-def]
    tree_sitter = pytest.importorskip("tree_sitter")
    grammar = pytest.importorskip("tree_sitter_powershell")
    parser = tree_sitter.Parser(tree_sitter.Language(grammar.language()))
    return parser.parse(SNAPSHOT_SCRIPT.encode("utf-8"))


def _nodes(node, kind: str):  # type: ignore[no-untyped-def]
    if node.type == kind:
        yield node
    for child in node.children:
        yield from _nodes(child, kind)


def _text(node) -> str:  # type: ignore[no-untyped-def]
    return SNAPSHOT_SCRIPT.encode("utf-8")[node.start_byte : node.end_byte].decode("utf-8")


def _inside_try_body(node) -> bool:  # type: ignore[no-untyped-def]
    """Whether a node sits in the `try { }` block of a try statement (not in its catch)."""
    child, parent = node, node.parent
    while parent is not None:
        if parent.type == "try_statement" and child.type == "statement_block":
            return True
        child, parent = parent, parent.parent
    return False


def test_script_parses_as_powershell() -> None:
    tree = _tree()
    assert not tree.root_node.has_error


@pytest.mark.parametrize(
    "pattern",
    [r"\?\?", r"\?\.", r"&&", r"\|\|", r"\s\?\s[^:\n]+\s:\s", r"\bclean\s*\{", r"-Parallel\b"],
)
def test_no_powershell_7_only_syntax(pattern: str) -> None:
    # ??, ?., ternary and pipeline chain operators are PowerShell 7; Windows Server runs 5.1.
    code = "\n".join(_code_lines())
    assert not re.search(pattern, code), pattern


def test_every_read_that_can_be_denied_is_caught() -> None:
    tree = _tree()
    risky_members = {"ReadAllBytes", "OpenSubKey", "GetValueNames", "GetSubKeyNames", "OpenBaseKey"}
    risky_commands = {"get-childitem", "get-winevent", "get-service", "test-path"}
    found = []
    for node in _nodes(tree.root_node, "invokation_expression"):
        member = next((c for c in node.children if c.type == "member_name"), None)
        if member is not None and _text(member) in risky_members:
            found.append((_text(member), _inside_try_body(node)))
    for node in _nodes(tree.root_node, "command"):
        name = next((c for c in node.children if c.type == "command_name"), None)
        if name is not None and _text(name).lower() in risky_commands:
            found.append((_text(name), _inside_try_body(node)))
    names = {n for n, _ok in found}
    assert {"ReadAllBytes", "OpenSubKey", "GetValueNames", "Get-ChildItem", "Get-WinEvent"} <= names
    # OpenBaseKey of HKLM itself is the only .NET call allowed to fail the read (no registry at all)
    assert [n for n, ok in found if not ok and n != "OpenBaseKey"] == []


def _innermost_try(node):  # type: ignore[no-untyped-def]
    parent = node.parent
    while parent is not None and parent.type != "try_statement":
        parent = parent.parent
    return parent


def test_one_unreadable_file_does_not_hide_the_others() -> None:
    # the try around a file read is per file, inside the loop over the files
    tree = _tree()
    [read] = [n for n in _nodes(tree.root_node, "invokation_expression") if "ReadAllBytes" in _text(n)]
    assert "foreach" not in _text(_innermost_try(read))


def test_constrained_language_returns_a_marker_before_any_dotnet_call() -> None:
    code = "\n".join(_code_lines())
    check = code.index("$ExecutionContext.SessionState.LanguageMode")
    first_dotnet = min(code.index(t) for t in ("[Microsoft.Win32.RegistryKey]::", "[System.IO.File]::"))
    assert check < first_dotnet
    block = code[check : code.index("function Get-ErrorText")]
    assert "'language_mode' = $languageMode" in block and "return" in block and "throw" not in block


def test_event_messages_are_rendered_only_for_a_match() -> None:
    tree = _tree()
    uses = [n for n in _nodes(tree.root_node, "member_access") if _text(n).endswith("$record.Message")]
    assert uses, "the script no longer reads the event's .Message"
    for node in uses:
        parent, guarded = node.parent, False
        while parent is not None and not guarded:
            if parent.type == "if_statement" and _text(parent).startswith("if ($match)"):
                guarded = True
            parent = parent.parent
        assert guarded, _text(node)
