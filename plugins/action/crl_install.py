# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sfb.pki.crl_install: verify a CRL on the controller, install it in the CA store only when missing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ansible_collections.sfb.pki.plugins.module_utils._certs import Certificate, load_certificate
from ansible_collections.sfb.pki.plugins.module_utils._crl import Crl, load_crl
from ansible_collections.sfb.pki.plugins.module_utils._crlplan import find_issuer, plan_install
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._section_certificates import (
    CRL_STORES,
    Inventory,
    read_inventory,
)
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest
from ansible_collections.sfb.pki.plugins.module_utils._stores import stores_of
from ansible_collections.sfb.pki.plugins.modules.crl_install import DOCUMENTATION
from ansible_collections.sfb.pki.plugins.plugin_utils._action import PkiActionError
from ansible_collections.sfb.pki.plugins.plugin_utils._crl_action import (
    CrlAction,
    crl_file_name,
    crl_result,
    crl_summary,
    host_join,
)


def crl_request(issuer_from_root: bool) -> SnapshotRequest:
    """What the action reads: the CA CRL stores, and to find the issuer every physical Root store.

    The CA and My certificate stores are not read: nothing here looks at them.
    """
    req = SnapshotRequest()
    for store in CRL_STORES:
        req.add_key(store.crls_key, 1)
    if issuer_from_root:
        for store in stores_of("Root"):
            req.add_certificates(store.certificates_key)
    return req


def ca_store_crls(inventory: Inventory) -> list[tuple[str, Crl]]:
    """(physical location, CRL) for every CRL the CA store holds."""
    return [
        (loc.physical, entry.crl)
        for entry in inventory.crls.values()
        for loc in entry.locations
        if loc.store == "CA"
    ]


def cdp_target(path: str, file_name: str) -> tuple[str, str, str]:
    """(file path, folder, file name) of a `cdp_paths` entry: a folder, or a full `.crl` file path."""
    if path.lower().endswith(".crl"):
        folder, _sep, name = path.replace("/", "\\").rstrip("\\").rpartition("\\")
        return path, folder, name
    return host_join(path, file_name), path.rstrip("\\/"), file_name


def missing_folders(snap: Snapshot, cdp: list[tuple[str, str, str]]) -> list[str]:
    """The CDP folders the snapshot found missing (each once, in the order given)."""
    missing: list[str] = []
    for _dest, folder, _name in cdp:
        entry = snap.folder(folder)
        if entry is not None and entry.get("exists") is False and folder not in missing:
            missing.append(folder)
    return missing


_SUMMARY = ("crl_number", "this_update", "next_update")


def planned_install(
    planned: dict[str, Any] | None, crl: Crl, installed: Crl | None, check: bool
) -> dict[str, Any] | None:
    """The CRL crl_publish would publish (its `planned` return) when it would be installed, else None.

    Check mode only: the root's certutil -crl is skipped in check mode, so the subordinate plans from the
    CRL number the root's read predicts. The CRL given as src/content is the issuer's current one.
    """
    if not planned:
        return None
    if not check:
        raise PkiInputError(
            "planned",
            "is only for check mode (crl_publish returns it when its re-issue is skipped); give the"
            " re-issued CRL as src or content",
        )
    number = planned.get("crl_number")
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise PkiInputError("planned", f"crl_number must be a whole number, got {number!r}")
    issuer = planned.get("issuer")
    if issuer is not None and str(issuer).casefold() != crl.issuer.casefold():
        raise PkiInputError("planned", f"issuer {issuer} is not the issuer of the given CRL ({crl.issuer})")
    if installed is not None and installed.crl_number is not None and number <= installed.crl_number:
        return None
    return dict(planned, issuer=crl.issuer, planned=True)


class ActionModule(CrlAction):
    """Load and verify the CRL, read the host once, install/copy/publish only what is missing."""

    DOCUMENTATION = DOCUMENTATION

    def _load_inputs(self, args: dict[str, Any]) -> tuple[Crl, Certificate | None, str]:
        if bool(args.get("src")) == bool(args.get("content")):
            raise PkiInputError("src/content", "give exactly one of src (a controller path) or content")
        if args.get("issuer_src") and args.get("issuer_content"):
            raise PkiInputError("issuer_src/issuer_content", "give at most one of them")
        if args.get("src"):
            source = f"src {args['src']}"
            crl = load_crl(self.controller_bytes(args["src"], "src"), source)
        else:
            source = "content"
            crl = load_crl(str(args["content"]), source)
        issuer = None
        if args.get("issuer_src"):
            data = self.controller_bytes(args["issuer_src"], "issuer_src")
            issuer = load_certificate(data, f"issuer_src {args['issuer_src']}")
        elif args.get("issuer_content"):
            issuer = load_certificate(str(args["issuer_content"]), "issuer_content")
        return crl, issuer, source

    def run_pki(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Verify, plan, act, confirm."""
        now = datetime.now(UTC)
        host = self.host_name(task_vars)
        cushion = int(args["refresh_before"])
        check = bool(self._task.check_mode)
        crl, given_issuer, source = self._load_inputs(args)
        file_name = args.get("file_name") or crl_file_name(crl)
        cdp = [cdp_target(path, file_name) for path in args["cdp_paths"]]
        req = crl_request(issuer_from_root=given_issuer is None)
        for _dest, folder, name in cdp:
            req.add_folder(folder, name)
        snap = self.read_snapshot(req, task_vars)
        inventory = read_inventory(snap)
        missing = missing_folders(snap, cdp)
        if missing and not args["create_cdp_folders"]:
            raise PkiInputError(
                "cdp_paths",
                f"folder(s) {', '.join(missing)} do not exist on {host}; create them, or set"
                " create_cdp_folders: true to let the task create them",
            )
        if given_issuer is not None:
            issuer, issuer_from = given_issuer, "given"
        else:
            roots = [e.cert for e in inventory.certificates.values() if e.physicals("Root")]
            issuer = find_issuer(crl, roots, f"{source} on {host}")
            issuer_from = "Root store"
        installed = ca_store_crls(inventory)
        allow_older = bool(args["allow_older"])
        # With `planned` (check mode) the given CRL is the issuer's current one, which the real run replaces
        # before installing: its own expiry must not refuse the plan (the issuer and signature still count).
        judged_at = crl.this_update if args.get("planned") and check else now
        plan = plan_install(crl, issuer, [c for _name, c in installed], judged_at, allow_older, source)
        in_registry = any(loc == "registry" and c.thumbprint == crl.thumbprint for loc, c in installed)
        install = plan.install or not in_registry
        reason = plan.reason
        if not plan.install and not in_registry:
            reason = (
                f"CRL {crl.thumbprint} is only in a policy-managed CA store; adding it to the Registry store"
            )
        planned = planned_install(args.get("planned"), crl, plan.installed, check)
        if planned is not None:
            install = True
            reason = (
                f"check mode: the issuer would re-issue its CRL in this run (certutil -crl, skipped in check"
                f" mode) as CRL number {planned['crl_number']}, newer than the installed one; it would be"
                " installed"
            )
        staged = host_join(args["staging_dir"], file_name)
        result: dict[str, Any] = {
            "changed": False,
            "installed": install,
            "reason": reason,
            "crl": crl_result(crl, now, cushion),
            "previous": crl_result(plan.installed, now, cushion) if plan.installed is not crl else {},
            "issuer": {"thumbprint": issuer.thumbprint, "subject": issuer.subject, "from": issuer_from},
            "cdp_paths": [],
            "dspublished": False,
        }
        if self._task.diff:
            before = plan.installed if plan.installed is not None else None
            after = crl_summary(crl) if planned is None else {k: planned.get(k) for k in _SUMMARY}
            result["diff"] = {"before": crl_summary(before), "after": after}
        if planned is not None:
            result["crl"] = planned
            result["planned"] = True
        if install:
            result["changed"] = True
        if (install or args["cdp_paths"] or args["dspublish"]) and not check:
            self.ensure_folder("create the staging folder", args["staging_dir"], task_vars)
            self.copy_to_host("stage the CRL file", crl.der, staged, task_vars)
        if install and not check:
            self.certutil("install the CRL", ["-addstore", "CA", staged], task_vars)
            self._confirm(crl, host, result, task_vars)
        cdp_changed = False
        created: set[str] = set()
        for dest, folder, _name in cdp:
            folder_created = folder.lower() in (m.lower() for m in missing)
            if folder_created and folder.lower() not in created:
                # win_file runs in check mode with the task: it reports the folder it would create
                self.ensure_folder("create a CDP folder", folder, task_vars)
                created.add(folder.lower())
            if planned is not None:
                changed = True  # the re-issued CRL differs from every file there is now
            else:
                # win_copy runs in check mode with the task, so it reports the drift without writing
                copied = self.copy_to_host("copy the CRL to a CDP path", crl.der, dest, task_vars)
                changed = bool(copied.get("changed")) or folder_created
            result["cdp_paths"].append({"path": dest, "changed": changed, "folder_created": folder_created})
            cdp_changed = cdp_changed or changed
        if cdp_changed:
            result["changed"] = True
        if args["dspublish"] and (install or cdp_changed):
            result["dspublished"] = True
            result["changed"] = True
            if not check:
                self.certutil("publish the CRL to Active Directory", ["-dspublish", "-f", staged], task_vars)
        return result

    def _confirm(self, crl: Crl, host: str, result: dict[str, Any], task_vars: dict[str, Any]) -> None:
        """Read the CA CRL stores again: the CRL must now be in the Registry physical store."""
        after = ca_store_crls(
            read_inventory(self.read_snapshot(crl_request(issuer_from_root=False), task_vars))
        )
        if not any(loc == "registry" and c.thumbprint == crl.thumbprint for loc, c in after):
            raise PkiActionError(
                f"host {host}: certutil -addstore CA reported success but CRL {crl.thumbprint}"
                " is not in the CA store on re-read",
                {k: result[k] for k in ("changed", "installed", "crl", "issuer")},
            )
        result["confirmed"] = True
