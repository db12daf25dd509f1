# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sfb.pki.audit_report: host_info results of an estate -> report.json and report.html on the controller."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._findings import SEVERITIES
from ansible_collections.sfb.pki.plugins.module_utils._report import (
    build_report,
    fail_reached,
    merge_reports,
    render_html,
)
from ansible_collections.sfb.pki.plugins.modules.audit_report import DOCUMENTATION
from ansible_collections.sfb.pki.plugins.plugin_utils._action import PkiAction, PkiActionError, write_atomic


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


class _Results(Mapping[str, Any]):
    """host_info results by host; one saved with `save_to` is read from its file when the report asks.

    The report keeps only what it needs of each host, so the hosts' full facts are never all in memory.
    """

    def __init__(self, results: dict[str, Any]) -> None:
        self._results = results

    def __getitem__(self, name: str) -> Any:
        result = self._results[name]
        if not isinstance(result, Mapping) or not result.get("saved_to"):
            return result
        if result.get("failed") or result.get("unreachable"):
            return result
        path = Path(str(result["saved_to"]))
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            return {"failed": True, "msg": f"its host_info result {path} cannot be read: {err}"}

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)


def _slice_reports(folder: Path, expected: int | None) -> list[tuple[str, Any]]:
    """The slice reports of a sliced run: every <folder>/*/report.json, in name order."""
    if not folder.is_dir():
        raise PkiInputError(f"merge_from {folder}", "is not a directory")
    paths = sorted(folder.glob("*/report.json"))
    if expected is not None and len(paths) != expected:
        raise PkiInputError(
            f"merge_from {folder}", f"holds {len(paths)} slice reports (*/report.json), expected {expected}"
        )
    reports = []
    for path in paths:
        try:
            reports.append((str(path), json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError) as err:
            raise PkiInputError(str(path), f"cannot be read as JSON: {err}") from None
    return reports


class ActionModule(PkiAction):
    """Build the report from the results given; never contacts a managed host."""

    DOCUMENTATION = DOCUMENTATION
    _requires_connection = False

    def run_pki(self, args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        """Build (or merge slice reports), write both files, then apply fail_on."""
        now = datetime.now(UTC)
        template = None
        if args.get("template"):
            try:
                template = Path(args["template"]).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise PkiInputError(f"template {args['template']}", f"cannot be read: {err}") from err
        merged: list[str] = []
        if (args["results"] is None) == (args["merge_from"] is None):
            raise PkiInputError("audit_report", "give exactly one of results and merge_from")
        if args["merge_from"] is not None:
            if args["slice"] or args["run"]:
                raise PkiInputError("audit_report", "slice and run describe a slice, not a merge")
            slices = _slice_reports(Path(args["merge_from"]), args["slices"])
            report = merge_reports(slices, now)
            merged = [source for source, _data in slices]
        else:
            results = _plain(args["results"])
            if not isinstance(results, dict):
                raise PkiInputError(
                    "results", f"must map host names to host_info results, got {type(results).__name__}"
                )
            report = build_report(
                _Results(results), now, events_days=args["events_days"], slice_id=args["slice"]
            )
            if args["slice"] and args["run"]:
                report["run"] = args["run"]
        dest = Path(args["dest"])
        try:
            dest.mkdir(parents=True, exist_ok=True)
            json_path = dest / "report.json"
            html_path = dest / "report.html"
            write_atomic(json_path, json.dumps(report, indent=1, sort_keys=False) + "\n")
            write_atomic(html_path, render_html(report, now, template))
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
        if merged:
            out["merged"] = merged
        if reached:
            summary = report["summary"]
            counts = ", ".join(f"{n} {s}" for s, n in summary["findings"].items() if n)
            unread = summary["hosts_not_read"]
            out["failed"] = True
            out["msg"] = (
                f"sfb_pki_audit_fail_on={args['fail_on']} reached: {counts or 'no findings'}"
                + (f"; hosts not read: {', '.join(unread)}" if unread else "")
                + f"; report: {html_path}"
            )
        return out
