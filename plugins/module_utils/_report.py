# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate audit report: host_info results of many hosts -> report.json data and report.html text.

Pure functions: no network access; the only file read is the default HTML template beside this module.
The HTML is one self-contained page (inline CSS and SVG, no script, no external resources) sized to
stay light with hundreds of hosts.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import _report_provenance
from ._errors import PkiInputError

try:
    from jinja2 import Environment, TemplateError
except ImportError:  # pragma: no cover - jinja2 comes with ansible-core on every controller
    Environment = None  # type: ignore[assignment,misc]
from ._findings import SEVERITIES, severity_rank
from ._section_events import explains

SCHEMA = 1
FAIL_ON: tuple[str, ...] = ("none", "warning", "critical")
CRL_CUSHION_DAYS = 30
# report.html opens the host sections with critical findings only in reports of at most this many hosts.
HOSTS_OPEN_UP_TO = 10
_FINDING_KEYS = ("id", "severity", "object", "thumbprint", "message", "fix", "symptoms")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _sections(result: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = result.get("sections")
    return inner if isinstance(inner, Mapping) else result


def _finding(raw: Any, source: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise PkiInputError(source, f"a finding must be a mapping, got {type(raw).__name__}")
    if not raw.get("id"):
        raise PkiInputError(source, "a finding has no id")
    severity = _text(raw.get("severity"))
    try:
        severity_rank(severity)
    except ValueError:
        raise PkiInputError(
            source, f"finding {raw.get('id')!r} has unknown severity {severity!r} (one of {SEVERITIES})"
        ) from None
    item = {key: raw.get(key) for key in _FINDING_KEYS}
    item["symptoms"] = [str(s) for s in raw.get("symptoms") or []]
    item["observed"] = []
    for extra, value in raw.items():
        if extra not in item:
            item[extra] = value
    return item


def _observed(sections: Mapping[str, Any]) -> list[dict[str, Any]]:
    events = sections.get("events")
    if not isinstance(events, Mapping):
        return []
    return [dict(o) for o in events.get("observed") or [] if isinstance(o, Mapping)]


def _walk_crls(node: Any, found: list[Mapping[str, Any]], depth: int = 0) -> None:
    """Collect every CRL description (a mapping with this_update and next_update) in section facts."""
    if depth > 6:
        return
    if isinstance(node, Mapping):
        if "next_update" in node and "this_update" in node:
            found.append(node)
            return
        for value in node.values():
            _walk_crls(value, found, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _walk_crls(value, found, depth + 1)


def _crls_of(sections: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The host's CRLs as JSON-ready records (ISO times): the input of the estate's CRL timeline."""
    found: list[Mapping[str, Any]] = []
    certificates = sections.get("certificates")
    _walk_crls(sections.get("ca"), found)
    # The certificates section keeps its CRLs under `crls`; its certificate list (most of a host's facts)
    # holds none and is not walked.
    _walk_crls(certificates.get("crls") if isinstance(certificates, Mapping) else None, found)
    _walk_crls(sections.get("crl"), found)
    crls = []
    for raw in found:
        this_update = _parse_time(raw.get("this_update"))
        next_update = _parse_time(raw.get("next_update"))
        if this_update is None or next_update is None:
            continue
        due = _parse_time(raw.get("refresh_due"))
        explicit = due is not None
        if due is None:
            due = next_update - timedelta(days=CRL_CUSHION_DAYS)
        if due <= this_update:
            # The findings' rule: a CRL whose whole lifetime is not longer than the cushion (an online
            # CA's weekly CRL) is never "due", its CA re-issues it by itself; only expiry counts.
            due = None
        crls.append(
            {
                "issuer": _text(raw.get("issuer")) or "(unknown issuer)",
                "thumbprint": raw.get("thumbprint"),
                "crl_number": raw.get("crl_number"),
                "this_update": this_update.isoformat(),
                "next_update": next_update.isoformat(),
                "refresh_due": due.isoformat() if due is not None else None,
                "explicit_due": explicit,
                "where": _text(raw.get("path") or raw.get("location") or raw.get("store") or ""),
            }
        )
    return crls


def _timeline_input(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every host's CRL records with parsed times, in host order (the timeline's tie-break order)."""
    crls = []
    for entry in entries:
        for raw in entry.get("crls") or []:
            times = {key: _parse_time(raw.get(key)) for key in ("this_update", "next_update", "refresh_due")}
            if times["this_update"] is None or times["next_update"] is None:
                raise PkiInputError(f"hosts[{entry['name']}].crls", "a CRL record has no valid times")
            crls.append({**raw, **times, "host": entry["name"]})
    return crls


def _host_entry(name: str, result: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "status": "ok", "findings": [], "symptoms": [], "crls": []}
    if not isinstance(result, Mapping):
        entry["status"] = "unreachable"
        entry["error"] = "no host_info result"
        return entry
    if result.get("unreachable") or result.get("failed"):
        entry["status"] = "unreachable" if result.get("unreachable") else "failed"
        entry["error"] = _text(result.get("msg")) or "host_info did not complete"
        return entry
    sections = _sections(result)
    entry["computer_name"] = result.get("computer_name") or sections.get("computer_name")
    raw_findings = result.get("findings")
    if raw_findings is None:
        raw_findings = sections.get("findings") or []
    if not isinstance(raw_findings, list):
        raise PkiInputError(f"hosts[{name}].findings", "must be a list")
    entry["findings"] = [_finding(f, f"hosts[{name}].findings[{i}]") for i, f in enumerate(raw_findings)]
    entry["symptoms"] = _observed(sections)
    server = sections.get("server_certificates")
    if isinstance(server, Mapping):
        entry["server_certificates"] = list(server.get("certificates") or [])
    provenance = _report_provenance.entry(sections)
    if provenance is not None:
        entry["provenance"] = provenance
    entry["crls"] = _crls_of(sections)
    return entry


def _link_symptoms(hosts: list[dict[str, Any]], days: int | None) -> None:
    """Put each observed event beside the finding(s) that explain it: same host first, else (for its
    `remote_causes`) anywhere in the estate."""
    # An info finding (e.g. an expired root only Windows Update ships) never explains a symptom.
    everywhere: list[tuple[str, dict[str, Any]]] = [
        (h["name"], f) for h in hosts for f in h["findings"] if f["severity"] != "info"
    ]
    for host in hosts:
        extra: list[dict[str, Any]] = []
        for symptom in host["symptoms"]:
            causes = symptom.get("causes") or []
            local = [
                f
                for f in host["findings"]
                if f["severity"] != "info" and explains(causes, _text(f["id"]), f["severity"])
            ]
            links = [(host["name"], f) for f in local]
            remote = symptom.get("remote_causes") or []
            if not links and remote:
                links = [
                    (n, f)
                    for n, f in everywhere
                    if n != host["name"] and explains(remote, _text(f["id"]), f["severity"])
                ]
            symptom["explained_by"] = [
                {"host": n, "id": f["id"], "object": f.get("object"), "severity": f["severity"]}
                for n, f in links
            ]
            seen = {"id": symptom.get("id"), "label": symptom.get("label"), "count": symptom.get("count")}
            for n, f in links:
                if n == host["name"]:
                    f["observed"].append(seen)
            if not links:
                window = f"the last {days} days" if days else "the event window"
                extra.append(
                    {
                        "id": "unexplained_symptom",
                        # Info: the events may predate a fix made since; the faults themselves are findings.
                        "severity": "info",
                        "object": symptom.get("label"),
                        "thumbprint": None,
                        "message": (
                            f"{symptom.get('label')} logged {symptom.get('count')} times in {window}: "
                            f"{symptom.get('meaning')}; no current certificate, CRL or service fault "
                            "explains it (if one was fixed since, these are older occurrences)"
                        ),
                        "fix": "Read the event text on the host; the causes this audit knows are: "
                        + ", ".join(c.replace("@", " (") + ")" if "@" in c else c for c in causes),
                        "symptoms": [_text(symptom.get("label"))],
                        "observed": [seen],
                    }
                )
        host["findings"].extend(extra)


def _worst(findings: Iterable[Mapping[str, Any]]) -> str | None:
    ranks = [severity_rank(f["severity"]) for f in findings]
    return SEVERITIES[max(ranks)] if ranks else None


def _crl_timeline(crls: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """One row per CA: its newest CRL seen anywhere, and where copies were seen."""
    newest: dict[str, dict[str, Any]] = {}
    seen_on: dict[str, set[str]] = {}
    for crl in crls:
        key = crl["issuer"]
        seen_on.setdefault(key, set()).add(crl["host"])
        order = (crl["this_update"], crl["explicit_due"])
        if key not in newest or order > (newest[key]["this_update"], newest[key]["explicit_due"]):
            newest[key] = crl
    rows = []
    for issuer in sorted(newest):
        crl = newest[issuer]
        if crl["next_update"] <= now:
            status = "expired"
        elif crl["refresh_due"] is not None and crl["refresh_due"] <= now:
            status = "refresh_due"
        else:
            status = "ok"
        rows.append(
            {
                "ca": issuer,
                "host": crl["host"],
                "hosts": sorted(seen_on[issuer]),
                "this_update": crl["this_update"].isoformat(),
                "next_update": crl["next_update"].isoformat(),
                "refresh_due": crl["refresh_due"].isoformat() if crl["refresh_due"] is not None else None,
                "days_left": round((crl["next_update"] - now).total_seconds() / 86400, 1),
                "status": status,
            }
        )
    return rows


def build_report(
    hosts: Mapping[str, Any], now: datetime, events_days: int | None = None, slice_id: str | None = None
) -> dict[str, Any]:
    """The report.json data for host_info results keyed by inventory host name.

    With `slice_id` the report is one slice of a sliced run (AWX `job_slice_count`): the same data,
    marked with `"slice"`, for `merge_reports` to join with the other slices.
    """
    if not isinstance(hosts, Mapping):
        raise PkiInputError("hosts", f"must map host names to host_info results, got {type(hosts).__name__}")
    entries = [_host_entry(str(name), hosts[name]) for name in sorted(hosts, key=str)]
    report = _assemble(entries, now, events_days)
    if slice_id:
        report["slice"] = slice_id
    return report


def _assemble(entries: list[dict[str, Any]], now: datetime, events_days: int | None) -> dict[str, Any]:
    """Link symptoms across the estate, sort, count and draw the CRL timeline: the estate-wide steps."""
    crls = _timeline_input(entries)
    _link_symptoms(entries, events_days)
    by_severity: Counter[str] = Counter()
    by_id: Counter[str] = Counter()
    for entry in entries:
        entry["findings"].sort(
            key=lambda f: (-severity_rank(f["severity"]), _text(f["id"]), _text(f["object"]))
        )
        entry["worst"] = _worst(entry["findings"])
        entry["counts"] = dict(Counter(f["severity"] for f in entry["findings"]))
        by_severity.update(f["severity"] for f in entry["findings"])
        by_id.update(_text(f["id"]) for f in entry["findings"])
    summary = {
        "hosts": len(entries),
        "hosts_with_findings": sum(1 for e in entries if e["findings"]),
        "hosts_not_read": sorted(e["name"] for e in entries if e["status"] != "ok"),
        "findings": {s: by_severity.get(s, 0) for s in reversed(SEVERITIES)},
        "by_id": dict(sorted(by_id.items())),
        "worst": _worst(f for e in entries for f in e["findings"]),
    }
    return {
        "schema": SCHEMA,
        "generated": now.astimezone(UTC).replace(microsecond=0).isoformat(),
        "events_days": events_days,
        "summary": summary,
        "crl_timeline": _crl_timeline(crls, now),
        "hosts": entries,
    }


def _unlinked(entry: Mapping[str, Any], source: str) -> dict[str, Any]:
    """A report's host entry as it was before the estate-wide linking (what _host_entry made)."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
        raise PkiInputError(source, "a host entry must be a mapping with a name")
    findings = entry.get("findings") or []
    symptoms = entry.get("symptoms") or []
    if not isinstance(findings, list) or not isinstance(symptoms, list):
        raise PkiInputError(source, f"host {entry['name']}: findings and symptoms must be lists")
    out = {k: v for k, v in entry.items() if k not in ("worst", "counts")}
    # Linking added every unexplained_symptom finding and filled observed / explained_by: undo it.
    out["findings"] = [
        {**f, "observed": []}
        for f in findings
        if isinstance(f, Mapping) and f.get("id") != "unexplained_symptom"
    ]
    out["symptoms"] = [
        {k: v for k, v in s.items() if k != "explained_by"} for s in symptoms if isinstance(s, Mapping)
    ]
    return out


def merge_reports(
    reports: list[tuple[str, Mapping[str, Any]]], now: datetime, events_days: int | None = None
) -> dict[str, Any]:
    """One estate report from the reports of a sliced run, given as (source, report.json data).

    Every host must appear in exactly one report. The estate-wide steps (symptoms explained by a fault
    on a host of another slice, the CRL timeline, the summary) are made again over all hosts, so the
    result equals the report one run over the whole estate would have written, apart from the time.
    `events_days` defaults to the slices' own (they must agree).
    """
    if not reports:
        raise PkiInputError("merge", "no slice reports to merge")
    entries: dict[str, dict[str, Any]] = {}
    where: dict[str, str] = {}
    windows = set()
    for source, report in reports:
        if not isinstance(report, Mapping) or report.get("schema") != SCHEMA:
            raise PkiInputError(source, f"is not an sfb.pki audit report (schema {SCHEMA})")
        if not isinstance(report.get("hosts"), list):
            raise PkiInputError(source, "has no hosts list")
        windows.add(report.get("events_days"))
        for number, raw in enumerate(report["hosts"]):
            entry = _unlinked(raw, f"{source}: hosts[{number}]")
            name = entry["name"]
            if name in entries:
                raise PkiInputError(source, f"host {name} is also in {where[name]}: slices must not overlap")
            entries[name] = entry
            where[name] = source
    if events_days is None:
        if len(windows) > 1:
            raise PkiInputError(
                "merge", f"the slices used different event windows: {sorted(map(str, windows))}"
            )
        events_days = windows.pop()
    return _assemble([entries[name] for name in sorted(entries)], now, events_days)


def fail_reached(report: Mapping[str, Any], fail_on: str) -> bool:
    """Whether the report's findings (or an unread host) reach the `fail_on` level."""
    if fail_on not in FAIL_ON:
        raise PkiInputError("sfb_pki_audit_fail_on", f"must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    if fail_on == "none":
        return False
    worst = report["summary"]["worst"]
    if report["summary"]["hosts_not_read"]:
        return True
    return worst is not None and severity_rank(worst) >= severity_rank(fail_on)


# --- HTML ---------------------------------------------------------------------------------------
# report.html comes from a Jinja2 template (report.html.j2 beside this file, or a site's own, given as
# text). The template gets `report` (the report.json data) and `view`: the same data made ready to show
# (times to the minute, CSS classes by severity, the CRL timeline as SVG).

DEFAULT_TEMPLATE = Path(__file__).with_name("report.html.j2")
_STATUS_CLASS = {"ok": "ok", "refresh_due": "warning", "expired": "critical"}


def _e(value: Any) -> str:
    return html.escape(_text(value), quote=True)


def show_time(value: Any) -> str:
    """A time as people read it in a report: `2026-11-23 14:05 UTC` (no seconds, no microseconds)."""
    moment = _parse_time(value)
    if moment is None:
        return _text(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def crl_timeline_svg(rows: list[Mapping[str, Any]], now: datetime, width: int = 960) -> str:
    """Inline SVG: each CA's CRL validity as a bar, its refresh-due mark, and a line for today."""
    if not rows:
        return '<p class="muted">No CRLs were read.</p>'
    label_w, pad, row_h = 260, 10, 24
    starts = [_parse_time(r["this_update"]) or now for r in rows]
    ends = [_parse_time(r["next_update"]) or now for r in rows]
    t0 = min([*starts, now - timedelta(days=7)])
    t1 = max([*ends, now + timedelta(days=7)])
    span = max((t1 - t0).total_seconds(), 1.0)
    plot_w = width - label_w - 2 * pad

    def x(t: datetime) -> float:
        return label_w + pad + plot_w * (t - t0).total_seconds() / span

    height = row_h * len(rows) + 40
    colors = {"ok": "#2e7d32", "refresh_due": "#b86e00", "expired": "#b00020"}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="CRL validity timeline">',
        f'<text x="{label_w + pad}" y="14" font-size="11">{_e(t0.date().isoformat())}</text>',
        f'<text x="{width - pad}" y="14" font-size="11" text-anchor="end">{_e(t1.date().isoformat())}</text>',
    ]
    for i, row in enumerate(rows):
        y = 24 + i * row_h
        start, end = starts[i], ends[i]
        due = _parse_time(row.get("refresh_due"))
        color = colors.get(_text(row.get("status")), "#555")
        title = (
            f"{row['ca']}: {show_time(row['this_update'])} to {show_time(row['next_update'])}, "
            + (f"refresh due {show_time(due)}" if due else "renewed by its CA (shorter than the cushion)")
            + f" ({row['status']})"
        )
        parts.append(
            f'<text x="{label_w}" y="{y + 14}" font-size="12" text-anchor="end">'
            f"{_e(_text(row['ca'])[:42])}</text>"
        )
        parts.append(
            f'<rect x="{x(start):.1f}" y="{y + 4}" width="{max(x(end) - x(start), 1):.1f}" height="14" '
            f'fill="{color}" fill-opacity="0.75"><title>{_e(title)}</title></rect>'
        )
        if due is not None:
            parts.append(
                f'<line x1="{x(due):.1f}" x2="{x(due):.1f}" y1="{y + 1}" y2="{y + 21}" stroke="#000" '
                f'stroke-width="2" stroke-dasharray="3,2">'
                f"<title>refresh due {_e(show_time(due))}</title></line>"
            )
    parts.append(
        f'<line x1="{x(now):.1f}" x2="{x(now):.1f}" y1="18" y2="{height - 14}" '
        'stroke="#1a4fd6" stroke-width="2"/>'
    )
    parts.append(
        f'<text x="{x(now):.1f}" y="{height - 2}" font-size="11" text-anchor="middle" fill="#1a4fd6">'
        f"today {_e(now.date().isoformat())}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _lpe_view(report: Mapping[str, Any]) -> dict[str, Any]:
    """Phone readiness rows; a cell that is not `trusted` takes the severity of the host's LPE finding
    about that certificate (none: neutral), so an info-level verdict is never painted as an error."""
    baselines: list[str] = []
    rows = []
    for host in report["hosts"]:
        lpe_severity = {
            _text(f.get("object")).upper(): f["severity"]
            for f in host.get("findings") or []
            if _text(f.get("id")).startswith("lpe_")
        }
        for cert in host.get("server_certificates") or []:
            lpe = cert.get("lpe") or {}
            verdicts = lpe.get("baselines") or {}
            for name in verdicts:
                if name not in baselines:
                    baselines.append(name)
            severity = lpe_severity.get(_text(cert.get("thumbprint")).upper())
            rows.append(
                {
                    "host": host["name"],
                    "subject": cert.get("subject"),
                    "thumbprint": cert.get("thumbprint"),
                    "chain": [
                        _text(c.get("subject") or c.get("thumbprint")) for c in cert.get("chain") or []
                    ],
                    "verdicts": verdicts,
                    "severity": severity,
                }
            )
    for row in rows:
        row["cells"] = [
            {
                "text": row["verdicts"].get(name) or "unknown",
                "cls": "yes"
                if row["verdicts"].get(name) == "trusted"
                else ("v-" + row["severity"] if row["severity"] else "v-none"),
            }
            for name in baselines
        ]
    return {"baselines": baselines, "rows": rows}


def html_view(report: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """What the template shows, ready to print: display times, status classes, the timeline SVG."""
    crl_rows = [
        dict(
            row,
            status_class=_STATUS_CLASS.get(_text(row.get("status")), "failed"),
            this_update_shown=show_time(row.get("this_update")),
            next_update_shown=show_time(row.get("next_update")),
            refresh_due_shown=show_time(row["refresh_due"]) if row.get("refresh_due") else None,
        )
        for row in report.get("crl_timeline") or []
    ]
    # A few hosts: those with critical findings or not read open by themselves. An estate: every host
    # section starts closed, so the page stays a summary and a host table, one click from each host.
    few = len(report["hosts"]) <= HOSTS_OPEN_UP_TO
    hosts = [
        dict(
            host,
            shown_status=host.get("worst") if host["status"] == "ok" else host["status"],
            open=few and (host.get("worst") == "critical" or host["status"] != "ok"),
            provenance_view=_report_provenance.view(host),
        )
        for host in report["hosts"]
    ]
    return {
        "generated": show_time(report.get("generated")),
        "today": now.date().isoformat(),
        "severities": list(reversed(SEVERITIES)),
        "crl_rows": crl_rows,
        "crl_svg": crl_timeline_svg(report.get("crl_timeline") or [], now),
        "lpe": _lpe_view(report),
        "hosts": hosts,
    }


def render_html(report: Mapping[str, Any], now: datetime | None = None, template: str | None = None) -> str:
    """report.html for `build_report` data, from `template` (Jinja2 text) or the collection's own."""
    if Environment is None:  # pragma: no cover - jinja2 comes with ansible-core
        raise PkiInputError("template", "rendering the HTML report needs the jinja2 library")
    when = now or _parse_time(report.get("generated")) or datetime.now(UTC)
    source = template if template is not None else DEFAULT_TEMPLATE.read_text(encoding="utf-8")
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["show_time"] = show_time
    try:
        page = env.from_string(source).render(report=report, view=html_view(report, when))
    except TemplateError as err:
        raise PkiInputError("template", f"the report template failed: {err}") from err
    return str(page)
