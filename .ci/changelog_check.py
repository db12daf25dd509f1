"""Fail when a changelog fragment is not yet in changelogs/changelog.yaml (run ``make changelog``).

Usage: changelog_check.py CHANGELOGS_DIR
"""

import os
import sys

import yaml


def main() -> int:
    """Compare the fragment files with the fragments changelog.yaml records per release."""
    root = sys.argv[1]
    with open(os.path.join(root, "changelog.yaml"), encoding="utf-8") as handle:
        changes = yaml.safe_load(handle) or {}
    recorded = {
        name for release in (changes.get("releases") or {}).values() for name in release.get("fragments", [])
    }
    present = {
        name for name in os.listdir(os.path.join(root, "fragments")) if name.endswith((".yml", ".yaml"))
    }
    missing = sorted(present - recorded)
    for name in missing:
        print(
            f"changelogs/fragments/{name}: not in changelogs/changelog.yaml; run `make changelog`",
            file=sys.stderr,
        )
    stale = sorted(recorded - present)
    for name in stale:
        print(
            f"changelogs/changelog.yaml: lists {name}, which no longer exists; run `make changelog`",
            file=sys.stderr,
        )
    print(f"changelog: {len(present)} fragments, {len(missing) + len(stale)} out of date")
    return 1 if missing or stale else 0


if __name__ == "__main__":
    sys.exit(main())
