# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make lab`: build the lab estate, audit, remediate (site, CRL refresh), audit again, print before/after.

    python tests/simulator/lab.py [--out .build/lab] [--estate lab]

Runs playbooks/audit.yml, playbooks/site.yml and playbooks/audit.yml again, each only when the
file exists, against the simulated estate (simulated ansible.windows first on the collections
path). Prints the findings per host by severity (from <report dir>/report.json), the target
round trips per host (from the call logs) and where the report is.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from simlab import REPO as _REPO
from simlab import SimLab

SEVERITIES = ("critical", "warning", "info")


def _findings(report: Path | None) -> dict[str, dict[str, int]]:
    """Counts of findings per host and severity from a report.json."""
    if report is None or not report.exists():
        return {}
    data = json.loads(report.read_text())
    out: dict[str, dict[str, int]] = {}
    for host in data.get("hosts") or []:
        counts = dict.fromkeys(SEVERITIES, 0)
        for finding in host.get("findings") or []:
            sev = str(finding.get("severity", "info"))
            counts[sev] = counts.get(sev, 0) + 1
        out[str(host.get("name"))] = counts
    return out


def _find_report(report_dir: Path, started: float) -> Path | None:
    """The report.json the audit wrote: in the report dir we gave it, else the newest one since `started`."""
    direct = report_dir / "report.json"
    if direct.exists():
        return direct
    candidates = [
        p
        for base in (report_dir.parent, _REPO / "reports")
        if base.exists()
        for p in base.rglob("report.json")
        if p.stat().st_mtime >= started - 1
    ]
    return max(candidates, key=lambda p: p.stat().st_mtime) if candidates else None


def _fmt(counts: dict[str, int] | None) -> str:
    if counts is None:
        return "-"
    return "/".join(str(counts.get(s, 0)) for s in SEVERITIES)


def main(argv: list[str] | None = None) -> int:
    """Build, audit, remediate, audit; print the table. Exit 1 when a playbook fails."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default=str(REPO / ".build" / "lab"), help="where the estate is built")
    parser.add_argument("--estate", default="lab", help="estate name under tests/simulator/estates")
    args = parser.parse_args(argv)
    begin = time.monotonic()
    out = Path(args.out).resolve()
    lab = SimLab.build(out, args.estate)
    print(f"estate '{args.estate}' built in {time.monotonic() - begin:.1f}s: {lab.inventory}")
    print("hosts: " + ", ".join(lab.hosts))
    phases = [
        ("audit", "playbooks/audit.yml"),
        ("site", "playbooks/site.yml"),
        ("crl refresh", "playbooks/crl_refresh.yml"),
        ("audit again", "playbooks/audit.yml"),
    ]
    findings: dict[str, dict[str, dict[str, int]]] = {}
    trips: dict[str, dict[str, int]] = {}
    reports: dict[str, Path] = {}
    status = 0
    for number, (phase, playbook) in enumerate(phases, start=1):
        if not (REPO / playbook).exists():
            print(f"[{phase}] {playbook} does not exist yet: skipped")
            continue
        report_dir = out / "reports" / f"{number}-{phase.replace(' ', '-')}"
        report_dir.mkdir(parents=True, exist_ok=True)
        before = {h: lab.round_trips(h) for h in lab.hosts}
        started = time.time()
        t0 = time.monotonic()
        # Reports and certificate backups stay in the lab folder, not beside the playbooks.
        res = lab.run(
            playbook,
            extra_vars={
                "sfb_pki_report_dir": str(report_dir),
                "sfb_pki_root_store_backup_dir": str(out / "backups"),
                "sfb_pki_offline_root_crl_controller_dir": str(out / "crl"),
            },
        )
        trips[phase] = {h: lab.round_trips(h) - before[h] for h in lab.hosts}
        print(f"[{phase}] {playbook}: rc={res.rc} in {time.monotonic() - t0:.1f}s")
        print("  " + res.summary().replace("\n", "\n  "))
        if res.rc != 0:
            status = 1
            tail = (res.stderr or "").strip().splitlines()[-5:]
            for line in tail:
                print("  ! " + line)
        if phase.startswith("audit"):
            report = _find_report(report_dir, started)
            if report is not None:
                reports[phase] = report
                findings[phase] = _findings(report)
    print()
    columns = ["host", "before c/w/i", "after c/w/i", *[f"trips:{p}" for p in trips]]
    rows = []
    for host in lab.hosts:
        before_counts = findings["audit"].get(host) if "audit" in findings else None
        after_counts = findings["audit again"].get(host) if "audit again" in findings else None
        rows.append([host, _fmt(before_counts), _fmt(after_counts), *[str(trips[p][host]) for p in trips]])
    widths = [max(len(str(r[i])) for r in [columns, *rows]) for i in range(len(columns))]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print("(c/w/i = critical/warning/info findings; trips = simulated module calls, i.e. target round trips)")
    print()
    if reports:
        last = reports.get("audit again") or reports.get("audit")
        print(f"report: {last}")
        if last is not None and (last.parent / "report.html").exists():
            print(f"report (html): {last.parent / 'report.html'}")
    else:
        print("report: none yet (playbooks/audit.yml has not written a report.json)")
    print(f"state files: {out / 'hosts'}  call logs: {out / 'hosts'}/*.calls.jsonl")
    print(f"lab finished in {time.monotonic() - begin:.1f}s")
    return status


if __name__ == "__main__":
    sys.exit(main())
