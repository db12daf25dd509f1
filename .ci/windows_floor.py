"""Check galaxy.yml's ansible.windows floor: the lowest version with every module and option we use.

Scans the shipped content (roles/, playbooks/, plugins/) for ansible.windows modules, the options each
call passes (YAML tasks; ``_execute_module(module_name=..., module_args={...})`` dict literals in Python),
reads ``version_added`` of each module and option from the installed ansible.windows documentation, and
compares the highest with the ``>=`` floor in galaxy.yml.

Usage: windows_floor.py [REPO]          exit 1 when galaxy.yml's floor differs from the computed one
"""

import ast
import importlib.util
import json
import re
import sys
from pathlib import Path

import yaml

PREFIX = "ansible.windows."
BASELINE = "1.0.0"  # modules and options older than the collection itself carry no version_added


def installed_version(collection: str) -> str | None:
    """The installed version of a collection (its MANIFEST.json), None when it is not installed."""
    namespace, name = collection.split(".")
    spec = importlib.util.find_spec(f"ansible_collections.{namespace}.{name}")
    if spec is None or not spec.submodule_search_locations:
        return None
    manifest = Path(next(iter(spec.submodule_search_locations))) / "MANIFEST.json"
    if not manifest.is_file():
        return None
    return str(json.loads(manifest.read_text(encoding="utf-8"))["collection_info"]["version"])


def vkey(version: str) -> tuple[int, ...]:
    """Sort key of a dotted version."""
    return tuple(int(part) for part in re.findall(r"\d+", version))


def yaml_uses(path: Path) -> list[tuple[str, set[str], str]]:
    """(module, option names, where) for every ansible.windows task in a YAML file."""
    found: list[tuple[str, set[str], str]] = []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return found

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and key.startswith(PREFIX):
                    options = set(value) if isinstance(value, dict) else set()
                    found.append((key[len(PREFIX) :], options, str(path)))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


def python_uses(path: Path) -> list[tuple[str, set[str], str]]:
    """(module, option names, where) for ansible.windows calls in a Python file."""
    text = path.read_text(encoding="utf-8")
    found: list[tuple[str, set[str], str]] = []
    seen_calls: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.Call):
            continue
        kwargs = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        name = kwargs.get("module_name")
        if isinstance(name, ast.Constant) and isinstance(name.value, str) and name.value.startswith(PREFIX):
            args = kwargs.get("module_args")
            options: set[str] = set()
            if isinstance(args, ast.Dict):
                options = {
                    k.value for k in args.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
                }
            found.append((name.value[len(PREFIX) :], options, f"{path}:{node.lineno}"))
            seen_calls.add(name.value)
    # module names used any other way (constants, helpers): count the module itself
    for match in sorted(set(re.findall(r"ansible\.windows\.(win_\w+)", text))):
        if PREFIX + match not in seen_calls:
            found.append((match, set(), str(path)))
    return found


def module_doc(name: str) -> dict:
    """DOCUMENTATION of an installed ansible.windows module."""
    spec = importlib.util.find_spec(f"ansible_collections.ansible.windows.plugins.modules.{name}")
    if spec is None or spec.origin is None:
        raise SystemExit(f"ansible.windows.{name}: not in the installed ansible.windows")
    source = Path(spec.origin).read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", "") == "DOCUMENTATION" for t in node.targets
        ):
            return yaml.safe_load(ast.literal_eval(node.value))
    raise SystemExit(f"ansible.windows.{name}: no DOCUMENTATION")


def main() -> int:
    """Print what needs which version and compare with galaxy.yml."""
    repo = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    uses: list[tuple[str, set[str], str]] = []
    for folder in ("roles", "playbooks", "plugins"):
        for path in sorted((repo / folder).rglob("*")):
            if path.suffix in (".yml", ".yaml"):
                uses += yaml_uses(path)
            elif path.suffix == ".py":
                uses += python_uses(path)
    floor, reason = BASELINE, "collection baseline"
    docs: dict[str, dict] = {}
    for module, options, where in uses:
        doc = docs.setdefault(module, module_doc(module))
        needs = [(str(doc.get("version_added") or BASELINE), f"{module} ({where})")]
        documented = doc.get("options") or {}
        for option in sorted(options):
            if option not in documented and not any(
                option in (o.get("aliases") or []) for o in documented.values()
            ):
                print(f"{where}: ansible.windows.{module} has no option {option!r}", file=sys.stderr)
                return 1
            spec = documented.get(option) or {}
            needs.append((str(spec.get("version_added") or BASELINE), f"{module}.{option} ({where})"))
        for version, what in needs:
            if vkey(version) > vkey(floor):
                floor, reason = version, what
    galaxy = yaml.safe_load((repo / "galaxy.yml").read_text(encoding="utf-8"))
    declared = str((galaxy.get("dependencies") or {}).get("ansible.windows", ""))
    print(f"modules used: {', '.join(sorted(docs)) or 'none'}")
    print(f"lowest ansible.windows with everything used: {floor} (set by {reason})")
    print(f"galaxy.yml declares: {declared}")
    # A floor and an upper bound below the next major version: ">=1.11.0,<4.0.0".
    match = re.fullmatch(r">=\s*([\d.]+)\s*,\s*<\s*([\d.]+)", declared.strip())
    if not match or vkey(match.group(1)) != vkey(floor):
        print(
            f"galaxy.yml: set dependencies['ansible.windows'] to '>={floor},<NEXT_MAJOR.0.0'", file=sys.stderr
        )
        return 1
    tested = installed_version("ansible.windows")
    if tested and not vkey(tested) < vkey(match.group(2)):
        print(f"galaxy.yml: the upper bound {match.group(2)} excludes the tested {tested}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
