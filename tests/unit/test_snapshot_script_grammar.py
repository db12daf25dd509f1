# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot script read by a PowerShell parser nobody here wrote (tree-sitter-powershell).

The script runs on Windows PowerShell 5.1, which nothing in this repository can run. Two checks stand in:
the whole script parses with no ERROR or MISSING node, and none of the constructs that only PowerShell 7
understands is in it. Each forbidden construct is shown to be detected on a small sample first, so the
check on the script can fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import tree_sitter
import tree_sitter_powershell

from ansible_collections.sfb.pki.plugins.plugin_utils._snapshot_script import SNAPSHOT_SCRIPT

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))

# PowerShell 7 parameters, as PowerShell matches them: any unambiguous prefix, case-insensitive.
# ForEach-Object's other parameters start -Pr (Process), so -Pa is the shortest prefix of -Parallel;
# ConvertFrom-Json has no other parameter starting with A.
PS7_PARAMETERS: dict[str, tuple[str, str, int]] = {
    "foreach-object": ("ForEach-Object -Parallel", "parallel", 2),
    "foreach": ("ForEach-Object -Parallel", "parallel", 2),
    "%": ("ForEach-Object -Parallel", "parallel", 2),
    "convertfrom-json": ("ConvertFrom-Json -AsHashtable", "ashashtable", 1),
}


def parse(source: str) -> tree_sitter.Tree:
    """Parse PowerShell text."""
    return PARSER.parse(source.encode("utf-8"))


def walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Every node below and including `node`, in document order."""
    yield node
    for child in node.children:
        yield from walk(child)


def text(node: tree_sitter.Node) -> str:
    """The source text of a node."""
    return (node.text or b"").decode("utf-8")


def parse_problems(tree: tree_sitter.Tree) -> list[str]:
    """Every ERROR and MISSING node, as `line N: kind 'text'`."""
    return [
        f"line {n.start_point[0] + 1}: {'MISSING' if n.is_missing else 'ERROR'} {text(n)[:60]!r}"
        for n in walk(tree.root_node)
        if n.type == "ERROR" or n.is_missing
    ]


def ps7_constructs(source: str) -> list[str]:
    """The PowerShell 7-only constructs in `source`, as `line N: construct`.

    `??`, `??=`, `?.`, `?[` and the ternary `a ? b : c` do not exist in the 5.1 grammar: they parse as
    an ERROR node around a stray `?`, told apart by what follows it. `-Parallel` and `-AsHashtable` are
    ordinary parameters to a parser, so they are found on the commands that take them in PowerShell 7.
    Strings, comments, `$?` and the `?` alias of Where-Object are not operators and are not reported.
    """
    raw = source.encode("utf-8")
    tree = PARSER.parse(raw)
    found: list[str] = []
    for node in walk(tree.root_node):
        line = node.start_point[0] + 1
        if node.type == "ERROR" and not any(child.type == "ERROR" for child in node.children):
            stray = text(node).strip()
            if not stray.endswith("?"):
                continue
            after = raw[node.end_byte : node.end_byte + 1]
            if stray.endswith("??"):
                found.append(f"line {line}: {'??=' if after == b'=' else '??'}")
            elif after in (b".", b"["):
                found.append(f"line {line}: ?{after.decode()}")
            else:
                found.append(f"line {line}: ternary ? :")
        elif node.type == "command":
            name = node.child_by_field_name("command_name")
            rule = PS7_PARAMETERS.get(text(name).lower()) if name is not None else None
            if rule is None:
                continue
            construct, parameter, shortest = rule
            for part in walk(node):
                if part.type != "command_parameter":
                    continue
                given = text(part).lstrip("-").rstrip(":").lower()
                if len(given) >= shortest and parameter.startswith(given):
                    found.append(f"line {part.start_point[0] + 1}: {construct}")
    return found


@pytest.mark.parametrize(
    ("sample", "construct"),
    [
        ("$a = $b ?? 'default'", "??"),
        ("$a ??= @{}", "??="),
        ("$n = $service?.Status", "?."),
        ("$first = $list?[0]", "?["),
        ("$state = $running ? 'up' : 'down'", "ternary ? :"),
        ("$keys | ForEach-Object -Parallel { $_ }", "ForEach-Object -Parallel"),
        ("$keys | foreach -ThrottleLimit 4 -parallel { $_ }", "ForEach-Object -Parallel"),
        ("$keys | % -Pa { $_ }", "ForEach-Object -Parallel"),
        ("$data = $json | ConvertFrom-Json -AsHashtable", "ConvertFrom-Json -AsHashtable"),
        ("$data = ConvertFrom-Json -InputObject $json -ashash", "ConvertFrom-Json -AsHashtable"),
    ],
)
def test_each_ps7_construct_is_detected(sample: str, construct: str) -> None:
    found = ps7_constructs("$x = 1\n" + sample + "\n")
    assert found == [f"line 2: {construct}"]


@pytest.mark.parametrize(
    "sample",
    [
        "if ($?) { 'ok' }",
        "Get-Service | ? { $_.Status -eq 'Running' }",
        "$s = 'is it ?? or ?. or a ? b : c'",
        "$z = 1  # $a ?? $b, $x?.y, ForEach-Object -Parallel, ConvertFrom-Json -AsHashtable",
        "$keys | ForEach-Object -Process { $_ } -End { 'done' }",
        "$keys | ForEach-Object { $_ }",
        "$data = $json | ConvertFrom-Json",
        "$v = if ($b) { 1 } else { 2 }",
        "$h = @{ a = 1 }; $h['a']",
    ],
)
def test_windows_powershell_51_forms_are_not_reported(sample: str) -> None:
    assert ps7_constructs(sample) == []
    assert parse_problems(parse(sample)) == []


def test_a_broken_sample_has_parse_problems() -> None:
    assert parse_problems(parse("if ($a) { $b = (1 + }")) != []


def test_snapshot_script_parses_without_error_or_missing_nodes() -> None:
    tree = parse(SNAPSHOT_SCRIPT)
    assert parse_problems(tree) == []
    # The parse covers the script: its param block and a good number of statements were recognised.
    types = {n.type for n in walk(tree.root_node)}
    assert "param_block" in types
    assert sum(1 for n in walk(tree.root_node) if n.type == "pipeline") > 20
    assert tree.root_node.end_byte == len(SNAPSHOT_SCRIPT.encode("utf-8"))


def test_snapshot_script_has_no_powershell_7_constructs() -> None:
    assert ps7_constructs(SNAPSHOT_SCRIPT) == []


def test_snapshot_script_sets_no_strict_mode_version_beyond_51() -> None:
    # Set-StrictMode -Version Latest on 7 enables rules 5.1 lacks; any explicit version must be <= 5.1.
    for version in re.findall(r"Set-StrictMode\s+-Version\s+(\S+)", SNAPSHOT_SCRIPT, re.I):
        assert version.lower() != "latest" and float(version) <= 5.1, version
