# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every variable a user sets starts with sfb_pki_; the old names are read only as the fallback.

The names are read from the roles' meta/argument_specs.yml and defaults, and from the playbooks
themselves (play vars, what they read with `default(...)` or `is defined`), never listed here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.sfb.pki.plugins.action.renamed_vars import RENAMED, message
from ansible_collections.sfb.pki.plugins.modules.renamed_vars import DOCUMENTATION

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").is_file())
PLAYBOOKS = sorted((REPO / "playbooks").glob("*.yml"))
PREFIX = "sfb_pki_"
SCOPES = yaml.safe_load(DOCUMENTATION)["options"]["scope"]["choices"]
# Set by Ansible or by AWX for every job, not by the user.
EXTERNAL = ("ansible_", "awx_")
# a variable name, not an attribute, a string or a filter (`| first | default(...)`)
IDENT = r"(?<![\w.'\"|])(?<!\| )([a-z_][a-z0-9_]*)"
READ = [
    re.compile(IDENT + r"\s*\|\s*default\("),
    re.compile(IDENT + r"\s+is\s+(?:not\s+)?defined"),
]


class _Loader(yaml.SafeLoader):
    """YAML as Ansible reads it, with its !unsafe tag (awx_setup.yml)."""


_Loader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=_Loader)


def role_options(role: str) -> dict[str, dict[str, Any]]:
    """Every option of every entry point of a role."""
    specs = load(REPO / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]
    out: dict[str, dict[str, Any]] = {}
    for entry in specs.values():
        out.update(entry.get("options") or {})
    return out


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def play_vars(path: Path) -> set[str]:
    return {str(k) for play in load(path) for k in (play.get("vars") or {})}


def read_from_user(path: Path) -> set[str]:
    """Variables a playbook reads that the user may set: play vars, names read with a default or a test."""
    names = play_vars(path)
    text = path.read_text()
    for pattern in READ:
        names.update(pattern.findall(text))
    for template in (REPO / "playbooks" / "templates").glob("*.j2"):
        if template.name.split(".")[0] in text:
            for pattern in READ:
                names.update(pattern.findall(template.read_text()))
    # old names are the deprecated fallback (see the tests below); __ marks a playbook's own values
    return {n for n in names if not n.startswith(EXTERNAL) and not n.startswith("__") and n not in RENAMED}


def role_invocation_vars(path: Path) -> Iterator[tuple[str, str]]:
    """(role, variable) for every variable a playbook passes to a role it applies."""
    for play in load(path):
        for role in play.get("roles") or []:
            for key in role.get("vars") or {}:
                yield role["role"].split(".")[-1], str(key)
        for task in play.get("tasks") or []:
            include = task.get("ansible.builtin.include_role")
            if include:
                for key in task.get("vars") or {}:
                    yield include["name"].split(".")[-1], str(key)


def all_user_names() -> set[str]:
    names = {name for role in ROLES for name in role_options(role)}
    for path in PLAYBOOKS:
        names |= read_from_user(path)
    return names


def scope_of(old: str) -> str:
    return max((s for s in SCOPES if old.startswith(s + "_")), key=len)


def test_the_derivation_finds_the_variables_it_is_meant_to() -> None:
    # guards the regexes and the file walk: without these the tests below would pass on nothing
    assert {"root_store", "services", "schannel", "offline_root_crl"} <= set(ROLES)
    audit = read_from_user(REPO / "playbooks" / "audit.yml")
    assert {"sfb_pki_hosts", "sfb_pki_report_dir", "sfb_pki_audit_fail_on", "sfb_pki_audit_slice"} <= audit
    assert "sfb_pki_crl_schedule_scope" in read_from_user(REPO / "playbooks" / "schedule_crl_refresh.yml")
    assert "services_state" not in audit and "awx_job_id" not in audit


@pytest.mark.parametrize("role", ROLES)
def test_every_role_option_starts_with_the_prefix(role: str) -> None:
    options = role_options(role)
    assert options
    assert sorted(n for n in options if not n.startswith(PREFIX)) == []


@pytest.mark.parametrize("role", ROLES)
def test_every_role_default_is_an_option_and_falls_back_to_the_old_name(role: str) -> None:
    defaults = load(REPO / "roles" / role / "defaults" / "main.yml") or {}
    assert set(defaults) == set(role_options(role))
    for new, value in defaults.items():
        old = next(o for o, n in RENAMED.items() if n == new)
        assert re.match(r"\{\{ " + old + r" \| default\(", str(value)), f"{new}: {value!r}"


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.name)
def test_every_variable_a_playbook_reads_from_the_user_starts_with_the_prefix(path: Path) -> None:
    assert sorted(n for n in read_from_user(path) if not n.startswith(PREFIX)) == []


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.name)
def test_playbooks_pass_roles_only_their_declared_options(path: Path) -> None:
    for role, name in role_invocation_vars(path):
        assert name in role_options(role), f"{path.name} passes {name} to {role}, which does not declare it"


def test_every_old_name_has_a_new_name_that_exists() -> None:
    names = all_user_names()
    assert sorted(old for old, new in RENAMED.items() if new not in names) == []
    assert sorted(old for old in RENAMED if old.startswith(PREFIX) or old in names) == []
    assert len(set(RENAMED.values())) == len(RENAMED)
    assert all(old.startswith(tuple(s + "_" for s in SCOPES)) for old in RENAMED)


def test_every_old_prefix_variable_a_user_could_set_is_in_the_map() -> None:
    """Each new name made of a scope and a name (sfb_pki_<scope>_<name>) has its old name in the map."""
    for name in all_user_names():
        bare = name.removeprefix(PREFIX)
        if bare.startswith(tuple(s + "_" for s in SCOPES)) and name in RENAMED.values():
            assert RENAMED.get(bare) == name


def content_files() -> Iterator[Path]:
    for top in ("roles", "playbooks"):
        yield from sorted(p for p in (REPO / top).rglob("*") if p.suffix in (".yml", ".j2"))


def test_old_names_are_used_only_as_the_fallback() -> None:
    pattern = re.compile(r"(?<![\w.])(" + "|".join(sorted(RENAMED, key=len, reverse=True)) + r")(?!\w)")
    misuse = []
    for path in content_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            for old in pattern.findall(line):
                new = RENAMED[old]
                fallback = (
                    rf"{new} \| default\({old}\b",  # playbooks: the new name, else the old one
                    rf"^{new}: [\"']\{{\{{ {old} \| default\(",  # role defaults
                    rf"^\s+{new}: [\"']\{{\{{ {old} \| default\(",  # play vars with a default
                )
                if not any(re.search(f, line) for f in fallback):
                    misuse.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert misuse == []


def test_every_file_that_reads_an_old_name_warns_about_it() -> None:
    """The role (each entry point) or playbook that reads an old name runs sfb.pki.renamed_vars first."""
    pattern = re.compile(r"(?<![\w.])(" + "|".join(sorted(RENAMED, key=len, reverse=True)) + r")(?!\w)")
    for path in PLAYBOOKS:
        read = {scope_of(o) for o in pattern.findall(path.read_text())}
        warned = {s for play in load(path) for t in play.get("tasks") or [] for s in warn_scopes(t)}
        # a role variable read by a playbook is warned about by the role it passes it to
        assert read - warned - set(ROLES) == set(), path.name
    for role in ROLES:
        specs = load(REPO / "roles" / role / "meta" / "argument_specs.yml")["argument_specs"]
        for entry in specs:
            tasks = load(REPO / "roles" / role / "tasks" / f"{entry}.yml")
            assert role in warn_scopes(tasks[0]), f"{role}/tasks/{entry}.yml does not start with the warning"


def warn_scopes(task: dict[str, Any]) -> list[str]:
    return list((task.get("sfb.pki.renamed_vars") or {}).get("scope") or [])


def test_docs_list_every_renamed_variable() -> None:
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \|", (REPO / "docs" / "variables.md").read_text(), re.M)
    assert dict(rows) == RENAMED


def test_the_message_names_both_names() -> None:
    assert message("services_state", "sfb_pki_services_state", False) == (
        "The variable services_state is renamed sfb_pki_services_state; set sfb_pki_services_state instead"
    )
    assert message("a", "b", True).endswith("Both are set: b is used and a is ignored")


# -- the role defaults, templated by ansible-core --------------------------------------------------

PLAY = """
- hosts: localhost
  gather_facts: false
  vars_files: {files}
  tasks:
    - sfb.pki.renamed_vars:
        scope: {scopes}
      register: renamed
    - ansible.builtin.copy:
        content: "{{{{ {{'values': dict(names | zip(query('ansible.builtin.vars', *names))),
                       'types': dict(names | zip(query('ansible.builtin.vars', *names) | map('type_debug'))),
                       'renamed': renamed.renamed}} | to_json }}}}"
        dest: "{{{{ out }}}}"
      changed_when: false
"""


def sample(spec: dict[str, Any]) -> Any:
    """A value of the option's type that is not its default."""
    kind = spec.get("type", "str")
    if spec.get("choices"):
        return next(c for c in spec["choices"] if c != spec.get("default"))
    if kind == "bool":
        return not spec.get("default", False)
    if kind == "int":
        return int(spec.get("default") or 0) + 3
    if kind == "list":
        return ["X"] if spec.get("elements") == "str" else [{"content": "X"}]
    if kind == "dict":
        return {"k": [1, True]}
    return "/some/where"


def run_defaults(tmp_path: Path, extra: dict[str, Any]) -> dict[str, Any]:
    playbook_bin = Path(sys.executable).parent / "ansible-playbook"
    if not playbook_bin.exists():
        pytest.skip("ansible-playbook is not installed beside this Python")
    names = sorted(n for role in ROLES for n in role_options(role))
    files = [str(REPO / "roles" / role / "defaults" / "main.yml") for role in ROLES]
    (tmp_path / "play.yml").write_text(PLAY.format(files=json.dumps(files), scopes=json.dumps(ROLES)))
    out = tmp_path / "out.json"
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_DEPRECATION_WARNINGS="1",
    )
    proc = subprocess.run(
        [
            str(playbook_bin),
            "-i",
            "localhost,",
            "-c",
            "local",
            str(tmp_path / "play.yml"),
            "-e",
            json.dumps(
                {"names": names, "out": str(out), "ansible_python_interpreter": sys.executable, **extra}
            ),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.read_text())
    result["output"] = " ".join((proc.stdout + proc.stderr).split())
    return result


def test_role_defaults_template_to_the_documented_value_and_type(tmp_path: Path) -> None:
    got = run_defaults(tmp_path, {})
    expected = {n: s.get("default") for role in ROLES for n, s in role_options(role).items()}
    # the one default that is itself a template: sfb_pki_backup_dir, else empty
    expected["sfb_pki_root_store_backup_dir"] = ""
    assert got["values"] == expected
    python_type = {"str": "str", "path": "str", "int": "int", "bool": "bool", "list": "list", "dict": "dict"}
    for role in ROLES:
        for name, spec in role_options(role).items():
            assert got["types"][name] == python_type[spec.get("type", "str")], name
    assert got["renamed"] == []
    assert "DEPRECATION" not in got["output"]


def test_an_old_name_keeps_its_type_through_the_new_default(tmp_path: Path) -> None:
    old_values = {
        old: sample(spec)
        for role in ROLES
        for name, spec in role_options(role).items()
        for old in [name.removeprefix(PREFIX)]
    }
    got = run_defaults(tmp_path, old_values)
    assert got["values"] == {PREFIX + old: value for old, value in old_values.items()}
    assert sorted(r["old"] for r in got["renamed"]) == sorted(old_values)
    assert not any(r["ignored"] for r in got["renamed"])
    for old in old_values:
        assert f"[DEPRECATION WARNING]: The variable {old} is renamed {PREFIX + old};" in got["output"]


def test_the_new_name_wins_over_the_old_one(tmp_path: Path) -> None:
    got = run_defaults(tmp_path, {"services_state": "stopped", "sfb_pki_services_state": "unchanged"})
    assert got["values"]["sfb_pki_services_state"] == "unchanged"
    assert got["renamed"] == [{"old": "services_state", "new": "sfb_pki_services_state", "ignored": True}]
    assert "sfb_pki_services_state is used and services_state is ignored" in got["output"]
