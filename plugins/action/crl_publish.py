# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sfb.pki.crl_publish: re-issue an offline root's CRL when it is due and return it, verified."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from typing import Any

from ansible_collections.sfb.pki.plugins.module_utils import _section_ca
from ansible_collections.sfb.pki.plugins.module_utils._certs import iso
from ansible_collections.sfb.pki.plugins.module_utils._crl import Crl
from ansible_collections.sfb.pki.plugins.module_utils._crlplan import (
    is_delta,
    newest,
    plan_publish,
    verify_new_crl,
)
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import SnapshotRequest
from ansible_collections.sfb.pki.plugins.modules.crl_publish import DOCUMENTATION
from ansible_collections.sfb.pki.plugins.plugin_utils._action import PkiActionError
from ansible_collections.sfb.pki.plugins.plugin_utils._crl_action import CrlAction, crl_result, crl_summary


class ActionModule(CrlAction):
    """Read the CA once; when the CRL is due run certutil -crl, read again and verify the new CRL."""

    DOCUMENTATION = DOCUMENTATION

    def run_pki(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Plan, re-issue when due, verify, return the current CRL."""
        now = datetime.now(UTC)
        host = self.host_name(task_vars)
        cushion = int(args["refresh_before"])
        req = SnapshotRequest()
        _section_ca.request({_section_ca.OPTION: cushion}, req)
        state = _section_ca.ca_state(self.read_snapshot(req, task_vars), args.get("ca_name"))
        if not state.present:
            raise PkiActionError(
                f"host {host}: no Certificate Services configuration (HKLM\\{_section_ca.CONFIG_KEY})"
            )
        if args.get("ca_name") and state.config is None:
            raise PkiActionError(f"host {host}: no CA named {args['ca_name']!r} in the CertSvc configuration")
        if state.certificate is None:
            raise PkiActionError(
                f"host {host}: the certificate of CA {state.name!r} was not found (no certificate matching"
                " CACertHash in CertEnroll or the My, Root and CA stores), so its CRL cannot be verified"
            )
        if state.certenroll_errors:
            # an unread file may be the current CRL: planning without it could re-issue needlessly
            unread = "; ".join(f"{e.path}: {e.error}" for e in state.certenroll_errors)
            raise PkiActionError(
                f"host {host}: CertEnroll could not be read completely, so whether the CRL is due is unknown"
                f" ({unread}); run again (CertSvc may have been writing the file) or grant read access"
            )
        ca_info = {
            "name": state.name,
            "certificate": {
                "thumbprint": state.certificate.thumbprint,
                "subject": state.certificate.subject,
                "not_after": iso(state.certificate.not_after),
                "content": base64.b64encode(state.certificate.der).decode("ascii"),
            },
        }
        current = state.current
        plan = plan_publish(current, now, cushion, bool(args["force"]))
        result: dict[str, Any] = {"changed": False, "reissued": False, "reason": plan.reason, "ca": ca_info}
        before = crl_summary(current)
        file_name = None if current is None else state.file_of(current)
        if plan.reissue:
            result.update(changed=True, reissued=True)
            if self._task.check_mode:
                # certutil -crl is skipped: say what it would publish, so the subordinates can plan on it
                result["planned"] = _section_ca.planned_crl(state, now, cushion)
            else:
                current, file_name = self._reissue(state, current, req, host, now, result, task_vars)
                if plan.current is not None:
                    previous_file = state.file_of(plan.current)
                    result["previous"] = crl_result(plan.current, now, cushion, file=previous_file)
        if self._task.diff:
            after = before if self._task.check_mode else crl_summary(current)
            result["diff"] = {"before": before, "after": after}
        if current is not None:
            result["crl"] = crl_result(current, now, cushion, content=True, file=file_name)
        if args.get("dest") and current is not None:
            result["dest"] = args["dest"]
            result["dest_written"] = self._save(args["dest"], current.der)
        return result

    def _reissue(
        self,
        state: _section_ca.CaState,
        current: Crl | None,
        req: SnapshotRequest,
        host: str,
        now: datetime,
        result: dict[str, Any],
        task_vars: dict[str, Any],
    ) -> tuple[Crl, str]:
        """certutil -crl, read CertEnroll again, find and verify the CRL that appeared."""
        self.certutil("re-issue the CRL", ["-crl"], task_vars)
        partial = {"changed": True, "reissued": True, "ca": result["ca"]}
        try:
            after = _section_ca.ca_state(self.read_snapshot(req, task_vars), state.name)
        except PkiActionError as err:  # the CRL was issued; only the read of it failed
            err.partial = {**partial, **err.partial}
            raise
        seen = {crl.thumbprint for _name, crl in state.crls}
        fresh = [(name, crl) for name, crl in after.crls if crl.thumbprint not in seen and not is_delta(crl)]
        if not fresh:
            raise PkiActionError(
                f"host {host}: certutil -crl succeeded but no new CRL appeared in CertEnroll", partial
            )
        mine = [c for _name, c in fresh if c.issuer_key == state.certificate.subject_key]  # type: ignore[union-attr]
        new = newest(mine) if mine else fresh[0][1]
        file_name = next(name for name, crl in fresh if crl is new)
        try:
            verify_new_crl(new, state.certificate, current, now, f"{host} CertEnroll\\{file_name}")  # type: ignore[arg-type]
        except PkiInputError as err:
            raise PkiActionError(f"the new CRL was not accepted: {err}", partial) from None
        return new, file_name

    def _save(self, dest: str, der: bytes) -> bool:
        """Write the CRL to a controller path when its content differs (never in check mode)."""
        path = os.path.expanduser(dest)
        if os.path.exists(path):
            with open(path, "rb") as handle:
                if handle.read() == der:
                    return False
        if self._task.check_mode:
            return True
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = path + ".tmp"
        with open(tmp, "wb") as handle:
            handle.write(der)
        os.replace(tmp, path)
        return True
