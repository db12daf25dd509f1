"""`ansible-doc` must work for every module and role of an installed sfb.pki, with complete docs.

Modules: DOCUMENTATION with attributes check_mode, diff_mode and platform; EXAMPLES that call the
module by its FQCN; RETURN. Roles: an argument spec with a `main` entry point.

Usage: check_docs.py COLLECTIONS_PATH     (the directory holding ansible_collections/sfb/pki)
"""

import json
import os
import subprocess
import sys
from pathlib import Path

NAMESPACE = "sfb.pki"


def ansible_doc(kind: str, names: list[str], collections: str) -> dict:
    """ansible-doc --json for several plugins of one type, in one call."""
    if not names:
        return {}
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": collections}
    out = subprocess.run(
        ["ansible-doc", "-t", kind, "--json", *names], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"ansible-doc -t {kind} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def main() -> int:
    """Check every module and role; print one line per problem."""
    collections = os.path.abspath(sys.argv[1])
    root = Path(collections, "ansible_collections", *NAMESPACE.split("."))
    modules = sorted(
        f"{NAMESPACE}.{p.stem}" for p in (root / "plugins" / "modules").glob("*.py") if p.stem != "__init__"
    )
    roles = sorted(
        f"{NAMESPACE}.{p.parent.parent.name}" for p in (root / "roles").glob("*/meta/argument_specs.y*ml")
    )
    role_dirs = sorted(p.name for p in (root / "roles").glob("*") if p.is_dir())
    problems = [
        f"role {name}: no meta/argument_specs.yml" for name in role_dirs if f"{NAMESPACE}.{name}" not in roles
    ]
    for name, doc in ansible_doc("module", modules, collections).items():
        info = doc.get("doc") or {}
        attributes = info.get("attributes") or {}
        for attribute in ("check_mode", "diff_mode", "platform"):
            if attribute not in attributes:
                problems.append(f"module {name}: attributes.{attribute} missing")
        examples = doc.get("examples") or ""
        if f"{name}:" not in examples:
            problems.append(f"module {name}: EXAMPLES never call {name} by its FQCN")
        if not doc.get("return"):
            problems.append(f"module {name}: RETURN missing")
    for name, doc in ansible_doc("role", roles, collections).items():
        entry_points = doc.get("entry_points") or {}
        if "main" not in entry_points:
            problems.append(f"role {name}: argument spec has no main entry point")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"ansible-doc: {len(modules)} modules, {len(roles)} roles, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
