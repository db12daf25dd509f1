# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate audit report: host_info results of many hosts -> report.json data and report.html text.

Pure functions: no file or network access. The HTML is one self-contained page (inline CSS and SVG,
no script, no external resources) sized to stay light with hundreds of hosts.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from . import _report_provenance
from ._errors import PkiInputError
from ._findings import SEVERITIES, severity_rank
from ._section_events import explains

SCHEMA = 1
FAIL_ON: tuple[str, ...] = ("none", "warning", "critical")
CRL_CUSHION_DAYS = 30
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


def _crls_of(host: str, sections: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for name in ("ca", "certificates", "crl"):
        _walk_crls(sections.get(name), found)
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
        crls.append(
            {
                "host": host,
                "issuer": _text(raw.get("issuer")) or "(unknown issuer)",
                "thumbprint": raw.get("thumbprint"),
                "crl_number": raw.get("crl_number"),
                "this_update": this_update,
                "next_update": next_update,
                "refresh_due": due,
                "explicit_due": explicit,
                "where": _text(raw.get("path") or raw.get("location") or raw.get("store") or ""),
            }
        )
    return crls


def _host_entry(name: str, result: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    entry: dict[str, Any] = {"name": name, "status": "ok", "findings": [], "symptoms": []}
    if not isinstance(result, Mapping):
        entry["status"] = "unreachable"
        entry["error"] = "no host_info result"
        return entry, []
    if result.get("unreachable") or result.get("failed"):
        entry["status"] = "unreachable" if result.get("unreachable") else "failed"
        entry["error"] = _text(result.get("msg")) or "host_info did not complete"
        return entry, []
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
    return entry, _crls_of(name, sections)


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
        elif crl["refresh_due"] <= now:
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
                "refresh_due": crl["refresh_due"].isoformat(),
                "days_left": round((crl["next_update"] - now).total_seconds() / 86400, 1),
                "status": status,
            }
        )
    return rows


def build_report(hosts: Mapping[str, Any], now: datetime, events_days: int | None = None) -> dict[str, Any]:
    """The report.json data for host_info results keyed by inventory host name."""
    if not isinstance(hosts, Mapping):
        raise PkiInputError("hosts", f"must map host names to host_info results, got {type(hosts).__name__}")
    entries: list[dict[str, Any]] = []
    crls: list[dict[str, Any]] = []
    for name in sorted(hosts, key=str):
        entry, host_crls = _host_entry(str(name), hosts[name])
        entries.append(entry)
        crls.extend(host_crls)
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
        "generated": now.astimezone(UTC).isoformat(),
        "summary": summary,
        "crl_timeline": _crl_timeline(crls, now),
        "hosts": entries,
    }


def fail_reached(report: Mapping[str, Any], fail_on: str) -> bool:
    """Whether the report's findings (or an unread host) reach the `fail_on` level."""
    if fail_on not in FAIL_ON:
        raise PkiInputError("audit_fail_on", f"must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    if fail_on == "none":
        return False
    worst = report["summary"]["worst"]
    if report["summary"]["hosts_not_read"]:
        return True
    return worst is not None and severity_rank(worst) >= severity_rank(fail_on)


# --- HTML ---------------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.4em 0}th,td{border:1px solid #ddd;padding:3px 6px;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.n{text-align:right}
.sev{display:inline-block;padding:0 .5em;border-radius:3px;color:#fff;font-weight:600;font-size:.85em}
.critical{background:#b00020}.warning{background:#b86e00}.info{background:#3b6ea8}.ok{background:#2e7d32}
.unreachable,.failed{background:#555}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:6px;padding:.5em 1em;
min-width:8em}.card b{display:block;font-size:1.6em}
details{border:1px solid #ddd;border-radius:4px;margin:.3em 0;padding:.2em .6em}
summary{cursor:pointer;font-weight:600}code{font-size:.9em}.muted{color:#666}.arrow{color:#b00020}
.yes{color:#2e7d32;font-weight:600}.no{color:#b00020;font-weight:600}
"""


def _e(value: Any) -> str:
    return html.escape(_text(value), quote=True)


def _badge(severity: str | None) -> str:
    if not severity:
        return '<span class="sev ok">ok</span>'
    return f'<span class="sev {_e(severity)}">{_e(severity)}</span>'


def _summary_html(report: Mapping[str, Any]) -> list[str]:
    summary = report["summary"]
    out = ['<h2 id="summary">Summary</h2><div class="cards">']
    out.append(f'<div class="card"><b>{summary["hosts"]}</b>hosts</div>')
    out.append(f'<div class="card"><b>{summary["hosts_with_findings"]}</b>hosts with findings</div>')
    for severity, count in summary["findings"].items():
        out.append(f'<div class="card"><b>{count}</b>{_badge(severity)} findings</div>')
    if summary["hosts_not_read"]:
        out.append(f'<div class="card"><b>{len(summary["hosts_not_read"])}</b>hosts not read</div>')
    out.append("</div>")
    if summary["by_id"]:
        out.append("<table><tr><th>finding</th><th>count</th></tr>")
        out.extend(
            f'<tr><td><code>{_e(k)}</code></td><td class="n">{v}</td></tr>'
            for k, v in summary["by_id"].items()
        )
        out.append("</table>")
    return out


def _symptoms_html(report: Mapping[str, Any]) -> list[str]:
    rows = []
    for host in report["hosts"]:
        for symptom in host.get("symptoms") or []:
            causes = symptom.get("explained_by") or []
            if causes:
                cause_html = "<br>".join(
                    f"{_badge(c['severity'])} <code>{_e(c['id'])}</code> {_e(c.get('object'))}"
                    + ("" if c["host"] == host["name"] else f' <span class="muted">on {_e(c["host"])}</span>')
                    for c in causes
                )
            else:
                cause_html = '<span class="muted">no known cause found</span>'
            rows.append(
                f"<tr><td>{_e(host['name'])}</td>"
                f"<td>{_e(symptom.get('label'))} &times;{_e(symptom.get('count'))}"
                f'<br><span class="muted">{_e(symptom.get("meaning"))}</span></td>'
                f'<td class="arrow">&larr;</td><td>{cause_html}</td></tr>'
            )
    out = ['<h2 id="symptoms">Symptoms and their causes</h2>']
    if not rows:
        out.append('<p class="muted">No symptom events in the window.</p>')
        return out
    out.append("<table><tr><th>host</th><th>symptom (events)</th><th></th><th>cause</th></tr>")
    out.extend(rows)
    out.append("</table>")
    return out


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
        due = _parse_time(row["refresh_due"]) or end
        color = colors.get(_text(row.get("status")), "#555")
        title = (
            f"{row['ca']}: {row['this_update']} to {row['next_update']}, refresh due {row['refresh_due']} "
            f"({row['status']})"
        )
        parts.append(
            f'<text x="{label_w}" y="{y + 14}" font-size="12" text-anchor="end">'
            f"{_e(_text(row['ca'])[:42])}</text>"
        )
        parts.append(
            f'<rect x="{x(start):.1f}" y="{y + 4}" width="{max(x(end) - x(start), 1):.1f}" height="14" '
            f'fill="{color}" fill-opacity="0.75"><title>{_e(title)}</title></rect>'
        )
        parts.append(
            f'<line x1="{x(due):.1f}" x2="{x(due):.1f}" y1="{y + 1}" y2="{y + 21}" stroke="#000" '
            f'stroke-width="2" stroke-dasharray="3,2">'
            f"<title>refresh due {_e(row['refresh_due'])}</title></line>"
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


def _crl_html(report: Mapping[str, Any], now: datetime) -> list[str]:
    rows = report.get("crl_timeline") or []
    out = ['<h2 id="crls">CRL timeline</h2>', crl_timeline_svg(rows, now)]
    if rows:
        out.append(
            '<p class="muted">Bar: CRL validity (thisUpdate to nextUpdate); dashed mark: refresh due; '
            "blue line: today.</p>"
        )
        out.append(
            "<table><tr><th>CA</th><th>status</th><th>next update</th><th>refresh due</th><th>days left</th>"
            "<th>seen on</th></tr>"
        )
        for row in rows:
            out.append(
                f"<tr><td>{_e(row['ca'])}</td><td>{_e(row['status'])}</td><td>{_e(row['next_update'])}</td>"
                f'<td>{_e(row["refresh_due"])}</td><td class="n">{_e(row["days_left"])}</td>'
                f"<td>{_e(', '.join(row['hosts']))}</td></tr>"
            )
        out.append("</table>")
    return out


def _verdict(value: Any) -> str:
    if value == "trusted":
        return '<span class="yes">trusted</span>'
    if value in ("untrusted", "expired"):
        return f'<span class="no">{_e(value)}</span>'
    return _e(value or "unknown")


def _lpe_html(report: Mapping[str, Any]) -> list[str]:
    rows = []
    baselines: list[str] = []
    for host in report["hosts"]:
        for cert in host.get("server_certificates") or []:
            lpe = cert.get("lpe") or {}
            verdicts = lpe.get("baselines") or {}
            for b in verdicts:
                if b not in baselines:
                    baselines.append(b)
            chain = " &rarr; ".join(
                _e(c.get("subject") or c.get("thumbprint")) for c in cert.get("chain") or []
            )
            rows.append((host["name"], cert, chain, verdicts))
    out = ['<h2 id="lpe">Lync Phone Edition readiness</h2>']
    if not rows:
        out.append('<p class="muted">No server certificates with Server Authentication were read.</p>')
        return out
    out.append(
        "<table><tr><th>host</th><th>server certificate</th><th>chain to root</th>"
        + "".join(f"<th>{_e(b)}</th>" for b in baselines)
        + "</tr>"
    )
    for name, cert, chain, verdicts in rows:
        out.append(
            f"<tr><td>{_e(name)}</td><td>{_e(cert.get('subject'))}<br><code>{_e(cert.get('thumbprint'))}</code></td>"
            f"<td>{chain}</td>"
            + "".join(f"<td>{_verdict(verdicts.get(b))}</td>" for b in baselines)
            + "</tr>"
        )
    out.append("</table>")
    return out


def _findings_table(findings: list[Mapping[str, Any]]) -> str:
    rows = [
        "<table><tr><th>severity</th><th>finding</th><th>object</th><th>what and why</th><th>fix</th></tr>"
    ]
    for f in findings:
        symptoms = ""
        if f.get("symptoms"):
            symptoms = '<br><span class="muted">symptoms: ' + _e("; ".join(f["symptoms"])) + "</span>"
        for seen in f.get("observed") or []:
            symptoms += f"<br><b>observed: {_e(seen.get('label'))} &times;{_e(seen.get('count'))}</b>"
        rows.append(
            f"<tr><td>{_badge(f['severity'])}</td><td><code>{_e(f['id'])}</code></td>"
            f"<td>{_e(f.get('object'))}</td><td>{_e(f.get('message'))}{symptoms}</td><td>{_e(f.get('fix'))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _hosts_html(report: Mapping[str, Any]) -> list[str]:
    out = ['<h2 id="hosts">Hosts</h2>', "<table><tr><th>host</th><th>status</th>"]
    out.append(
        "".join(f"<th>{s}</th>" for s in reversed(SEVERITIES)) + "<th>Trusted Root provenance</th></tr>"
    )
    for host in report["hosts"]:
        status = host["worst"] if host["status"] == "ok" else host["status"]
        counts = host.get("counts") or {}
        out.append(
            f'<tr><td><a href="#h-{_e(host["name"])}">{_e(host["name"])}</a></td>'
            f"<td>{_badge(status)}</td>"
            + "".join(f'<td class="n">{counts.get(s, 0)}</td>' for s in reversed(SEVERITIES))
            + _report_provenance.cell(host)
            + "</tr>"
        )
    out.append("</table>")
    for host in report["hosts"]:
        if not host["findings"] and host["status"] == "ok":
            continue
        is_open = " open" if host["worst"] == "critical" or host["status"] != "ok" else ""
        out.append(
            f'<details id="h-{_e(host["name"])}"{is_open}><summary>{_e(host["name"])} '
            f"{_badge(host['worst'] if host['status'] == 'ok' else host['status'])} "
            f'<span class="muted">{len(host["findings"])} findings</span></summary>'
        )
        if host["status"] != "ok":
            out.append(f"<p>{_e(host.get('error'))}</p>")
        if host["findings"]:
            out.append(_findings_table(host["findings"]))
        out.append(_report_provenance.table(host))
        out.append("</details>")
    return out


def render_html(report: Mapping[str, Any], now: datetime | None = None) -> str:
    """The self-contained report.html for `build_report` data."""
    when = now or _parse_time(report.get("generated")) or datetime.now(UTC)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>sfb.pki estate audit</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Skype for Business PKI audit</h1>",
        f'<p class="muted">Generated {_e(report.get("generated"))}. '
        '<a href="#summary">Summary</a> &middot; <a href="#symptoms">Symptoms</a> &middot; '
        '<a href="#crls">CRL timeline</a> &middot; <a href="#lpe">Phone readiness</a> &middot; '
        '<a href="#hosts">Hosts</a></p>',
    ]
    parts.extend(_summary_html(report))
    parts.extend(_symptoms_html(report))
    parts.extend(_crl_html(report, when))
    parts.extend(_lpe_html(report))
    parts.extend(_hosts_html(report))
    parts.append("</body></html>")
    return "\n".join(parts)
