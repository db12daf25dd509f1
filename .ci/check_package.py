"""Check a built collection tarball and its installed copy: what must ship does, what must not doesn't.

Usage: check_package.py TARBALL INSTALLED_DIR
"""

import fnmatch
import json
import os
import sys
import tarfile

# Paths (globs) every release must contain.
REQUIRED = [
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "LICENSE",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "requirements.txt",
    "bindep.txt",
    "plugins/module_utils/_blob.py",
    "plugins/module_utils/report.html.j2",
]
# Paths (globs) that must never ship: build output, caches, developer state, lab output.
FORBIDDEN = [
    ".venv/*",
    ".build/*",
    ".git/*",
    ".ci/*",
    "*/__pycache__/*",
    "*.pyc",
    "bench/*",
    "tests/output/*",
    "lab/*",
    "backups/*",
    "reports/*",
    "execution-environment.yml",
    "Makefile",
    "pyproject.toml",
    "requirements-dev.txt",
    "tests/simulator/*",
    "tests/unit/*",
    # anything that could shadow another collection when a path below this one is searched
    "*ansible_collections/*",
]


def main() -> int:
    """Return 0 when the tarball and the installed copy agree and contain the right files."""
    tarball, installed = sys.argv[1], sys.argv[2]
    with tarfile.open(tarball) as archive:
        names = [member.name for member in archive.getmembers() if member.isfile()]
    problems = [f"missing {pat}" for pat in REQUIRED if not any(fnmatch.fnmatch(n, pat) for n in names)]
    problems += [f"ships {n}" for n in names if any(fnmatch.fnmatch(n, pat) for pat in FORBIDDEN)]
    with open(os.path.join(installed, "MANIFEST.json"), encoding="utf-8") as handle:
        info = json.load(handle)["collection_info"]
    if (info["namespace"], info["name"]) != ("sfb", "pki"):
        problems.append(f"installed collection is {info['namespace']}.{info['name']}")
    for name in names:
        if not os.path.isfile(os.path.join(installed, name)):
            problems.append(f"not installed: {name}")
    for problem in problems:
        print(f"{tarball}: {problem}", file=sys.stderr)
    print(f"{os.path.basename(tarball)}: {len(names)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
