"""galaxy.yml's build_ignore, for tools that copy the collection the way ``ansible-galaxy`` builds it.

``build_ignore.py galaxy.yml`` prints the patterns as an rsync exclude list;
``build_ignore.py galaxy.yml SRC DST`` copies SRC to DST without them (used when rsync is absent).
"""

import fnmatch
import os
import shutil
import sys

import yaml

# ansible-galaxy always leaves these out, whatever build_ignore says.
ALWAYS = ["__pycache__", "*.pyc", "*.retry"]


def patterns(galaxy_yml: str) -> list[str]:
    """Return the default and configured build_ignore patterns."""
    with open(galaxy_yml, encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    return [*ALWAYS, *(galaxy.get("build_ignore") or [])]


def rsync_excludes(pats: list[str]) -> list[str]:
    """Translate patterns to rsync: ones with a directory part are anchored at the transfer root."""
    return [f"/{pat}" if "/" in pat.rstrip("/") else pat for pat in pats]


def copy(src: str, dst: str, pats: list[str]) -> None:
    """Copy src to dst, skipping every path that a pattern matches (by relative path or by name)."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        rel_dir = os.path.relpath(directory, src)
        skipped = set()
        for name in names:
            rel = name if rel_dir == "." else os.path.join(rel_dir, name)
            if any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(name, pat) for pat in pats):
                skipped.add(name)
        return skipped

    shutil.copytree(src, dst, ignore=ignore, symlinks=True, dirs_exist_ok=True)


def main() -> None:
    """Print the rsync exclude list, or copy when given a source and a destination."""
    pats = patterns(sys.argv[1])
    if len(sys.argv) == 4:
        copy(sys.argv[2], sys.argv[3], pats)
    else:
        print("\n".join(rsync_excludes(pats)))


if __name__ == "__main__":
    main()
