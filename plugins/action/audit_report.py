# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sfb.pki.audit_report: host_info results of an estate -> report.json and report.html on the controller."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._findings import SEVERITIES
from ansible_collections.sfb.pki.plugins.module_utils._report import build_report, fail_reached, render_html
from ansible_collections.sfb.pki.plugins.modules.audit_report import DOCUMENTATION
from ansible_collections.sfb.pki.plugins.plugin_utils._action import PkiAction, PkiActionError


def _write(path: Path, text: str) -> None:
    """Write a file whole or not at all (temporary file in the same directory, then rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def host_line(host: dict[str, Any]) -> str:
    """One log line saying what was found on a host."""
    name = host["name"]
    if host["status"] != "ok":
        return f"{name}: not read ({host['status']}): {host.get('error') or 'no result'}"
    findings = host["findings"]
    if not findings:
        return f"{name}: no findings"
    counts = ", ".join(
        f"{n} {s}" for s, n in sorted(host["counts"].items(), key=lambda i: -SEVERITIES.index(i[0]))
    )
    ids: dict[str, str] = {}
    for finding in findings:  # worst first (build_report sorts them)
        ids.setdefault(str(finding["id"]), str(finding["severity"]))
    return f"{name}: {counts}: " + ", ".join(f"{i} ({s})" for i, s in ids.items())


def stats_of(report: dict[str, Any], html_path: str) -> dict[str, Any]:
    """The per-host summary and every finding (id, severity, object, fix), for set_stats and AWX."""
    hosts = {}
    for host in report["hosts"]:
        entry: dict[str, Any] = {
            "status": host["status"],
            "worst": host.get("worst"),
            "counts": host.get("counts") or {},
            "findings": [
                {key: finding.get(key) for key in ("id", "severity", "object", "fix")}
                for finding in host["findings"]
            ],
        }
        if host["status"] != "ok":
            entry["error"] = host.get("error")
        hosts[host["name"]] = entry
    return {
        "generated": report["generated"],
        "report_html": html_path,
        "summary": report["summary"],
        "hosts": hosts,
    }


def _plain(value: Any) -> Any:
    """Ansible's tagged or lazy containers -> plain JSON-ready Python data."""
    return json.loads(json.dumps(value, default=to_text))


class ActionModule(PkiAction):
    """Build the report from the results given; never contacts a managed host."""

    DOCUMENTATION = DOCUMENTATION
    _requires_connection = False

    def run_pki(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Build, write both files, then apply fail_on."""
        now = datetime.now(UTC)
        template = None
        if args.get("template"):
            try:
                template = Path(args["template"]).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise PkiInputError(f"template {args['template']}", f"cannot be read: {err}") from err
        report = build_report(_plain(args["results"]), now, events_days=args["events_days"])
        dest = Path(args["dest"])
        try:
            dest.mkdir(parents=True, exist_ok=True)
            json_path = dest / "report.json"
            html_path = dest / "report.html"
            _write(json_path, json.dumps(report, indent=1, sort_keys=False) + "\n")
            _write(html_path, render_html(report, now, template))
        except OSError as err:
            raise PkiActionError(f"audit_report: cannot write the report to {dest}: {err}") from err
        reached = fail_reached(report, args["fail_on"])
        out: dict[str, Any] = {
            "changed": False,
            "report_json": str(json_path),
            "report_html": str(html_path),
            "summary": report["summary"],
            "fail_reached": reached,
            "host_lines": [host_line(h) for h in report["hosts"]],
            "stats": stats_of(report, str(html_path)),
        }
        if reached:
            summary = report["summary"]
            counts = ", ".join(f"{n} {s}" for s, n in summary["findings"].items() if n)
            unread = summary["hosts_not_read"]
            out["failed"] = True
            out["msg"] = (
                f"audit_fail_on={args['fail_on']} reached: {counts or 'no findings'}"
                + (f"; hosts not read: {', '.join(unread)}" if unread else "")
                + f"; report: {html_path}"
            )
        return out
