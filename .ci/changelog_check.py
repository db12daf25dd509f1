"""Fail when changelogs/changelog.yaml is behind the fragments (run ``make changelog``).

Every fragment file must be recorded in a release of changelog.yaml, and every entry of the fragment
must be in that release's changes exactly as written (so an edited fragment is caught too).

Usage: changelog_check.py CHANGELOGS_DIR
"""

import os
import sys

import yaml


def main() -> int:
    """Compare each fragment with the release of changelog.yaml that records it."""
    root = sys.argv[1]
    with open(os.path.join(root, "changelog.yaml"), encoding="utf-8") as handle:
        changes = yaml.safe_load(handle) or {}
    release_of = {
        name: release
        for release in (changes.get("releases") or {}).values()
        for name in release.get("fragments", [])
    }
    problems = []
    names = sorted(n for n in os.listdir(os.path.join(root, "fragments")) if n.endswith((".yml", ".yaml")))
    for name in names:
        where = f"changelogs/fragments/{name}"
        release = release_of.get(name)
        if release is None:
            problems.append(f"{where}: not in changelogs/changelog.yaml")
            continue
        with open(os.path.join(root, "fragments", name), encoding="utf-8") as handle:
            fragment = yaml.safe_load(handle) or {}
        recorded = release.get("changes") or {}
        for section, entries in fragment.items():
            if section == "trivial":
                continue
            have = recorded.get(section)
            for entry in entries if isinstance(entries, list) else [entries]:
                text = str(entry).strip()
                listed = (
                    [str(x).strip() for x in have] if isinstance(have, list) else [str(have or "").strip()]
                )
                if text not in listed:
                    problems.append(f"{where}: {section} entry differs from changelogs/changelog.yaml")
    for problem in problems:
        print(f"{problem}; run `make changelog`", file=sys.stderr)
    print(f"changelog: {len(names)} fragments, {len(problems)} out of date")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
