# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sfb.pki.host_info: one read-only snapshot of a host, analyzed by the selected sections."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ansible_collections.sfb.pki.plugins.module_utils._findings import SEVERITIES
from ansible_collections.sfb.pki.plugins.module_utils._host import (
    analyze_host,
    build_request,
    select_sections,
)
from ansible_collections.sfb.pki.plugins.modules.host_info import DOCUMENTATION
from ansible_collections.sfb.pki.plugins.plugin_utils._action import PkiAction, PkiActionError, write_atomic


class ActionModule(PkiAction):
    """Read the host once and return every selected section plus findings; never changes anything."""

    DOCUMENTATION = DOCUMENTATION

    def run_pki(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Snapshot, analyze, return."""
        sections = select_sections(args.get("sections"))
        request = build_request(sections, args)
        snap = self.read_snapshot(request, task_vars, reuse=args.get("snapshot"))
        out = analyze_host(sections, args, snap, datetime.now(UTC))
        out["computer_name"] = snap.computer_name
        if args.get("return_snapshot"):
            out["snapshot"] = {"request": request.parameters(), "result": self.snapshot_raw}
        out["changed"] = False
        if args.get("save_to"):
            return self._saved(out, Path(args["save_to"]), task_vars)
        return out

    def _saved(self, out: dict[str, Any], folder: Path, task_vars: dict[str, Any]) -> dict[str, Any]:
        """Write the whole result to <folder>/<inventory_hostname>.json; return the short form."""
        path = folder / f"{self.host_name(task_vars)}.json"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps(out, separators=(",", ":")))
        except OSError as err:
            raise PkiActionError(f"host_info: cannot write the result to {path}: {err}") from err
        counts = Counter(str(f.get("severity")) for f in out.get("findings") or [])
        return {
            "changed": False,
            "computer_name": out.get("computer_name"),
            "saved_to": str(path),
            "finding_counts": {s: counts.get(s, 0) for s in reversed(SEVERITIES)},
        }
