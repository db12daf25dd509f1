# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the collection importable as `ansible_collections.sfb.pki` and `tests.support` importable.

`make collection` creates .build/collections/ansible_collections/sfb/pki -> the repository root; this
file creates the same link when it is missing, so a plain `pytest` works from a fresh clone.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / ".build" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "sfb" / "pki"


def _ensure_link() -> None:
    if LINK.exists():
        return
    LINK.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # a parallel run made it first
        os.symlink(REPO, LINK, target_is_directory=True)
    importlib.invalidate_caches()


_ensure_link()
for entry in (str(REPO), str(COLLECTIONS)):
    if entry not in sys.path:
        sys.path.insert(0, entry)
