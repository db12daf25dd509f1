# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sfb.pki.root_store: plan the Registry Root/CA stores from one snapshot, then write with win_regedit."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from typing import Any

from ansible.errors import AnsibleError

from ansible_collections.sfb.pki.plugins.module_utils import _provenance
from ansible_collections.sfb.pki.plugins.module_utils import _section_certificates as certificates
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._rootplan import (
    Operation,
    desired_roots,
    plan_root_store,
    store_diff,
)
from ansible_collections.sfb.pki.plugins.module_utils._rootrecords import RECORD_LISTS
from ansible_collections.sfb.pki.plugins.module_utils._section_certificates import Inventory, Location
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import SnapshotRequest
from ansible_collections.sfb.pki.plugins.module_utils._stores import HIVE
from ansible_collections.sfb.pki.plugins.modules.root_store import DOCUMENTATION
from ansible_collections.sfb.pki.plugins.plugin_utils._action import (
    REGEDIT,
    PkiAction,
    PkiActionError,
    reg_binary,
    registry_path,
)

# The controller folder for backups when backup_dir is not given (docs/root_store.md).
DEFAULT_BACKUP_DIR = "~/.local/share/sfb.pki/backups"


class ActionModule(PkiAction):
    """Desired state of the machine Root store, at the physical-store level."""

    DOCUMENTATION = DOCUMENTATION

    def _root_inputs(self, roots: list[dict[str, Any]]) -> list[tuple[str, bytes | str, str]]:
        """(source, data, state) of each `roots` entry; file paths are read on the controller."""
        out: list[tuple[str, bytes | str, str]] = []
        for index, entry in enumerate(roots):
            name = f"roots[{index}]"
            content, path = entry.get("content"), entry.get("path")
            if (content is None) == (path is None):
                raise PkiInputError(name, "give exactly one of content or path")
            if path is not None:
                try:
                    found = self._find_needle("files", path)
                    with open(found, "rb") as handle:
                        data: bytes | str = handle.read()
                except (AnsibleError, OSError) as err:
                    raise PkiInputError(f"{name}.path {path}", f"cannot be read: {err}") from err
                out.append((f"{name}.path {path}", data, entry["state"]))
            else:
                out.append((f"{name}.content", str(content), entry["state"]))
        return out

    def _backup_dir(self, args: dict[str, Any], task_vars: dict[str, Any]) -> str:
        # Never under playbook_dir: that is inside the installed collection when the playbooks are
        # imported as sfb.pki.site, where a reinstall deletes them or the folder is read-only.
        base = args.get("backup_dir") or os.path.expanduser(DEFAULT_BACKUP_DIR)
        return os.path.join(base, self.host_name(task_vars))

    def _backup(
        self, op: Operation, inv: Inventory, folder: str, computer: str | None, host: str
    ) -> list[str]:
        """Save the DER and a JSON record of the copy about to be removed; returns the files written."""
        entry = inv.certificates[op.thumbprint]
        blob = entry.blobs.get(Location(op.store, op.physical))
        os.makedirs(folder, exist_ok=True)
        stem = os.path.join(folder, f"{op.store}-{op.physical}-{op.thumbprint}")
        record = {
            "host": host,
            "computer_name": computer,
            "store": op.store,
            "physical": op.physical,
            "thumbprint": op.thumbprint,
            "subject": entry.cert.subject,
            "issuer": entry.cert.issuer,
            "not_after": entry.cert.not_after.isoformat(),
            "reason": op.reason,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "registry_key": f"{HIVE}:\\{op.key}",
            "blob_base64": base64.b64encode(blob).decode("ascii") if blob is not None else None,
            "blob_hex": reg_binary(blob) if blob is not None else None,
        }
        with open(stem + ".der", "wb") as handle:
            handle.write(entry.cert.der)
        with open(stem + ".json", "w", encoding="utf-8") as handle:
            json.dump(record, handle, indent=2)
            handle.write("\n")
        return [stem + ".der", stem + ".json"]

    def run_pki(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Validate input, snapshot, plan, then add before remove."""
        desired = desired_roots(self._root_inputs(args["roots"]))
        declared = [d.cert.thumbprint for d in desired if d.state == "present"]
        declared += sorted(_provenance.declared_thumbprints(args.get("provenance_declared_roots")))
        req = SnapshotRequest()
        certificates.request(args, req)
        _provenance.request(req)
        snap = self.read_snapshot(req, task_vars, reuse=args.get("snapshot"))
        inv = certificates.read_inventory(snap)
        now = datetime.now(UTC)
        plan = plan_root_store(
            inv,
            desired,
            now,
            args["pin_policy_roots"],
            args["subordinates"],
            remove_orphan_pins=args["remove_orphan_pins"],
            move_reappeared=args["move_reappeared"],
        )
        prov = _provenance.assess(inv, _provenance.context(snap, declared), now)
        _provenance.plan_unvetted(plan, inv, prov, args["unvetted"])
        result: dict[str, Any] = {
            "changed": plan.changed,
            "operations": [op.as_dict() for op in plan.operations],
            "reported": [f.as_dict() for f in plan.reported],
            "backups": [],
            "backup_dir": self._backup_dir(args, task_vars),
        }
        if self._task.diff and plan.changed:
            result["diff"] = store_diff(inv, plan)
        if self._task.check_mode or not plan.changed:
            return result
        host = self.host_name(task_vars)
        folder = result["backup_dir"]
        done: list[Operation] = []
        backups: list[str] = []
        stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        for op in plan.operations:
            direction = "to" if op.action in ("add", "record") else "from"
            step = f"{op.action} {op.thumbprint} ({op.reason}) {direction} {op.store}"
            try:
                if op.action == "add":
                    self.regedit_set_binary(step, op.key, "Blob", plan.blobs[op.thumbprint], task_vars)
                elif op.action == "record":
                    value = RECORD_LISTS[op.store][1]
                    args_ = {"path": registry_path(op.key), "name": value, "type": "string", "data": stamp}
                    self.run_module(step, REGEDIT, args_, task_vars)
                elif op.action == "forget":
                    self.regedit_delete_key(step, op.key, task_vars)
                else:
                    try:
                        backups.extend(self._backup(op, inv, folder, snap.computer_name, host))
                    except OSError as err:
                        raise PkiActionError(
                            f"host {host}: {step}: backup to {folder} failed, nothing removed: {err}"
                        ) from err
                    self.regedit_delete_key(step, op.key, task_vars)
            except PkiActionError as err:
                err.partial = dict(
                    result, changed=bool(done), operations=[o.as_dict() for o in done], backups=backups
                )
                if err.unconfirmed is not None:  # the reply was lost: this operation may have happened
                    err.unconfirmed["operation"] = op.as_dict()
                raise
            done.append(op)
        result["backups"] = backups
        return result
