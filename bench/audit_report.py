# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the estate audit on the controller: N hosts x M certificates -> report.json + report.html.

Each host gets a snapshot with M certificates (roots, intermediates, server certificates; a share of the
hosts carry faults: a subordinate in Trusted Root, a GPO-only root, an MD5 CA, a server certificate
without Client Authentication, symptom events and CRLs). The real sections analyze every host, then the
report is built and rendered, as `sfb.pki.audit_report` does. Times are measured, not asserted:

    python bench/audit_report.py --hosts 200 --certificates 60 --out bench/results
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for entry in (str(REPO / ".build" / "collections"), str(REPO)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from ansible_collections.sfb.pki.plugins.module_utils._host import analyze_host, select_sections
from ansible_collections.sfb.pki.plugins.module_utils._report import build_report, render_html
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot
from tests.support import pkifactory as pf
from tests.support.snapshots import snapshot_result

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def _material(certificates: int) -> dict[str, Any]:
    """One corpus shared by all hosts: a healthy PKI plus the faulty pieces some hosts carry."""
    pki = pf.hierarchy("Contoso", key_type="ecdsa", now=NOW)
    other = [
        pf.root_ca(f"CN=Public Root {i},O=Bench", key_type="ecdsa", now=NOW) for i in range(certificates)
    ]
    return {
        "pki": pki,
        "fillers": other,
        "web_only": pf.leaf(pki.issuing, "CN=edge-int.contoso.com", ekus=(pf.SERVER_AUTH,), now=NOW),
        "md5": pf.weak_root("md5", now=NOW),
        "crl": pf.crl(pki.root, number=3, this_update=NOW - dt.timedelta(days=190), days=200),
    }


def _events(faulty: bool) -> list[dict[str, Any]]:
    lync = {"32042": 12 if faulty else 0, "30998": 0, "61029": 0, "41025": 0, "41026": 3 if faulty else 0}
    return [
        {"log": "Lync Server", "provider": None, "exists": True, "counts": {**lync, "32174": 0}},
        {"log": "System", "provider": "Schannel", "exists": True, "counts": {"36888": 4 if faulty else 0}},
    ]


def _host_result(index: int, material: dict[str, Any], certificates: int) -> dict[str, Any]:
    pki = material["pki"]
    faulty = index % 4 == 0
    roots = [pki.root, *material["fillers"][: max(certificates - 4, 0)]]
    root_gp: list[Any] = []
    ca = [pki.issuing]
    my = [pki.leaf]
    if faulty:
        roots.append(pki.issuing)  # subordinate in Trusted Root
        roots.append(material["md5"])
        root_gp.append(pf.root_ca(f"CN=GPO Root {index % 7}", key_type="ecdsa", now=NOW))
        my.append(material["web_only"])
    result = snapshot_result(
        {
            ("Root", "registry"): roots,
            ("Root", "group_policy"): root_gp,
            ("CA", "registry"): ca,
            ("My", "registry"): my,
        },
        crls={("CA", "registry"): [material["crl"]]},
        computer_name=f"FE{index:03d}",
    )
    result["events"] = _events(faulty)
    return result


def run(hosts: int, certificates: int) -> dict[str, Any]:
    """Analyze `hosts` snapshots, build and render the report; return the timings."""
    t0 = time.perf_counter()
    material = _material(certificates)
    snapshots = [Snapshot.from_result(_host_result(i, material, certificates)) for i in range(hosts)]
    t1 = time.perf_counter()
    sections = select_sections(["certificates", "server_certificates", "events"])
    results = {
        f"fe{i:03d}.contoso.com": analyze_host(sections, {}, snap, NOW) for i, snap in enumerate(snapshots)
    }
    t2 = time.perf_counter()
    report = build_report(json.loads(json.dumps(results)), NOW, events_days=7)
    report_json = json.dumps(report, indent=1)
    t3 = time.perf_counter()
    page = render_html(report, NOW)
    t4 = time.perf_counter()
    findings = sum(report["summary"]["findings"].values())
    return {
        "hosts": hosts,
        "certificates_per_host": certificates,
        "findings": findings,
        "setup_seconds": round(t1 - t0, 3),
        "analysis_seconds": round(t2 - t1, 3),
        "build_report_seconds": round(t3 - t2, 3),
        "render_html_seconds": round(t4 - t3, 3),
        "report_json_bytes": len(report_json),
        "report_html_bytes": len(page.encode("utf-8")),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--certificates", type=int, default=60)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)
    numbers = run(args.hosts, args.certificates)
    numbers["when"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    numbers["python"] = platform.python_version()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "audit_report.json").write_text(json.dumps(numbers, indent=1) + "\n")
    lines = [
        "# sfb.pki audit report benchmark",
        "",
        f"Run {numbers['when']} (Python {numbers['python']}); regenerate with `make bench`.",
        "",
        f"{numbers['hosts']} hosts x {numbers['certificates_per_host']} certificates, "
        f"{numbers['findings']} findings.",
        "",
        "| step | seconds |",
        "|---|---:|",
        "| host analysis (certificates, server_certificates, events sections) | "
        f"{numbers['analysis_seconds']} |",
        f"| build report.json data | {numbers['build_report_seconds']} |",
        f"| render report.html | {numbers['render_html_seconds']} |",
        "",
        f"report.json {numbers['report_json_bytes'] // 1024} KiB, "
        f"report.html {numbers['report_html_bytes'] // 1024} KiB.",
        "",
    ]
    (args.out / "audit_report.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
