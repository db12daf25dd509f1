# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark parts (a) and (c), run on simulated estates (tests/simulator, tests/integration/simlab.py).

(a) target round trips per host, counted from each host's call log, for
    audit                  playbooks/audit.yml          vs  bench/naive.yml --check
    converge on drift      playbooks/site.yml           vs  bench/naive.yml          (fresh lab estate)
    converge when healthy  playbooks/site.yml again     vs  bench/naive.yml again
(c) wall time of playbooks/audit.yml on an estate of N hosts vs bench/ping.yml (one win_ping per host),
    same estate, same forks, same run.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench import NotAvailable

REPO = Path(__file__).resolve().parent.parent
AUDIT = REPO / "playbooks" / "audit.yml"
SITE = REPO / "playbooks" / "site.yml"
NAIVE = REPO / "bench" / "naive.yml"
PING = REPO / "bench" / "ping.yml"
# Where the naive playbook expects the root files on each host (it has no copy step of its own).
NAIVE_ROOT_DIR = "C:\\ProgramData\\pki\\roots"
# The estate's enterprise roots, which the naive playbook lists explicitly.
NAIVE_ROOTS = ("root",)


def _require(*paths: Path) -> None:
    for path in paths:
        if not path.exists():
            raise NotAvailable(f"{path.relative_to(REPO)} is not in this tree yet")
    if not (REPO / "tests" / "integration" / "simlab.py").exists():
        raise NotAvailable("the simulator harness (tests/integration/simlab.py) is not in this tree yet")


def _simlab() -> Any:
    from tests.integration import simlab

    return simlab


def _check(result: Any, what: str) -> None:
    if result.rc != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-15:])
        raise RuntimeError(f"{what} failed (rc {result.rc}):\n{tail}")


def _stage_naive_roots(lab: Any) -> list[str]:
    """Put the enterprise roots on every host where the naive playbook expects them (not counted)."""
    names = []
    for name in NAIVE_ROOTS:
        der = _der(lab.pki_file(name).read_text())
        names.append(f"{name}.cer")

        def write(model: Any, der: bytes = der, file: str = f"{name}.cer") -> None:
            model.write_file(f"{NAIVE_ROOT_DIR}\\{file}", der)

        for host in lab.hosts:
            lab.edit(host, write)
    return names


def _der(pem: str) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)


def _trips(lab: Any) -> dict[str, int]:
    return {host: lab.round_trips(host) for host in lab.hosts}


def _findings_left(lab: Any, report_dir: Path) -> dict[str, str]:
    """Critical/warning findings per host after a run, from an audit of the estate (not counted)."""
    result = lab.run(AUDIT, extra_vars={"sfb_pki_report_dir": str(report_dir)})
    _check(result, "audit after converge")
    data = json.loads((report_dir / "report.json").read_text())
    out = {}
    for host in data.get("hosts") or []:
        # Events already logged stay in the window after a fix and then show up as unexplained symptoms;
        # count only the findings that name a cause on the host.
        severities = [
            str(f.get("severity")) for f in host.get("findings") or [] if f.get("id") != "unexplained_symptom"
        ]
        out[str(host.get("name"))] = f"{severities.count('critical')}/{severities.count('warning')}"
    return out


def round_trips(args: argparse.Namespace) -> dict[str, Any]:
    """Part (a)."""
    _require(AUDIT, SITE, NAIVE)
    simlab = _simlab()
    work = Path(tempfile.mkdtemp(prefix="sfb-bench-a-"))
    try:
        base = simlab.SimLab.build(work / "base", "lab")
        roots = _stage_naive_roots(base)
        naive_vars = {"naive_roots": roots, "naive_root_dir": NAIVE_ROOT_DIR}
        product_vars = {
            "sfb_pki_report_dir": str(work / "reports"),
            "sfb_pki_root_store_backup_dir": str(work / "backups"),
        }
        counts: dict[str, dict[str, dict[str, int]]] = {}
        left: dict[str, dict[str, str]] = {}

        def measure(
            label: str, playbook: Path, extra: dict[str, Any], check: bool
        ) -> dict[str, dict[str, int]]:
            lab = base.copy_to(work / label)
            lab.clear_calls()
            first = lab.run(playbook, extra_vars=extra, check=check)
            _check(first, f"{playbook.name} ({label})")
            out = {"first": _trips(lab)}
            if not check:
                left[label] = _findings_left(lab, work / f"{label}-left")
                lab.clear_calls()
                second = lab.run(playbook, extra_vars=extra)
                _check(second, f"{playbook.name} ({label}, second run)")
                out["second"] = _trips(lab)
            return out

        before = _findings_left(base.copy_to(work / "before"), work / "before-reports")
        counts["product_audit"] = measure("product-audit", AUDIT, product_vars, check=False)
        counts["product_site"] = measure("product-site", SITE, product_vars, check=False)
        counts["naive_audit"] = measure("naive-audit", NAIVE, naive_vars, check=True)
        counts["naive_site"] = measure("naive-site", NAIVE, naive_vars, check=False)
        rows = []
        runs = (
            ("audit", counts["product_audit"]["first"], counts["naive_audit"]["first"]),
            ("converge on drift", counts["product_site"]["first"], counts["naive_site"]["first"]),
            ("converge when healthy", counts["product_site"]["second"], counts["naive_site"]["second"]),
        )
        for run, product, naive in runs:
            for host in base.hosts:
                ratio = naive[host] / product[host] if product[host] else None
                rows.append(
                    {"run": run, "host": host, "product": product[host], "naive": naive[host], "ratio": ratio}
                )
        faults = [
            {
                "host": host,
                "before": before.get(host, "-"),
                "product": left["product-site"].get(host, "-"),
                "naive": left["naive-site"].get(host, "-"),
            }
            for host in base.hosts
        ]
        return {
            "estate": "lab (" + ", ".join(base.hosts) + ")",
            "rows": rows,
            "faults": faults,
            "note": (
                "sfb.pki: audit = playbooks/audit.yml; converge = playbooks/site.yml on a fresh copy of the "
                "estate, then again. naive = bench/naive.yml (--check for the audit row), given the "
                "enterprise root as a file already on each host. The naive playbook's round trips grow "
                "with the number of roots and services; it also leaves the seeded faults in place "
                "(a GPO-only root looks present to win_certificate_store)."
            ),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def grow_lab(count: int, name: str, digits: int = 2) -> dict[str, Any]:
    """The lab estate with `count` hosts: its CAs plus numbered copies of its Front End and Edge."""
    from tests.integration import simlab

    lab: dict[str, Any] = simlab.builder.load_estate("lab")
    hosts = lab["hosts"]
    templates = [host for host in hosts if "sfb_servers" in (hosts[host].get("groups") or [])]
    grown: dict[str, Any] = {host: hosts[host] for host in hosts if host not in templates}
    index = 0
    while len(grown) < count:
        template = templates[index % len(templates)]
        number = index // len(templates) + 1
        grown[f"{template.rstrip('0123456789')}{number:0{digits}d}"] = copy.deepcopy(hosts[template])
        index += 1
    lab["hosts"] = dict(list(grown.items())[:count])
    lab["name"] = name
    return lab


def _estate_of(count: int, out: Path) -> Path:
    """An estate file with `count` hosts: the lab's CAs plus copies of its Front End and Edge."""
    lab = grow_lab(count, f"bench{count}")
    path = out / "estate.yml"
    path.write_text(yaml.safe_dump(lab, sort_keys=False), encoding="utf-8")
    return path


def wall_time(args: argparse.Namespace) -> dict[str, Any]:
    """Part (c)."""
    _require(AUDIT, PING)
    simlab = _simlab()
    work = Path(tempfile.mkdtemp(prefix="sfb-bench-c-"))
    try:
        estate = _estate_of(args.hosts, work)
        base = simlab.SimLab.build(work / "base", str(estate))
        hosts = len(base.hosts)
        rows = []
        timings: dict[str, float] = {}
        for label, playbook, extra in (
            ("one win_ping per host (bench/ping.yml)", PING, {}),
            ("sfb.pki audit (playbooks/audit.yml)", AUDIT, {"sfb_pki_report_dir": str(work / "reports")}),
        ):
            best = float("inf")
            for attempt in range(args.wall_repeat):
                lab = base.copy_to(work / f"{playbook.stem}-{attempt}")
                start = time.perf_counter()
                result = lab.run(playbook, extra_vars=extra)
                elapsed = time.perf_counter() - start
                _check(result, playbook.name)
                best = min(best, elapsed)
            timings[playbook.stem] = best
            rows.append({"playbook": label, "hosts": hosts, "seconds": best, "per_host": best / hosts})
        forks = simlab.ansible_env().get("ANSIBLE_FORKS")
        return {
            "rows": rows,
            "ratio": timings["audit"] / timings["ping"],
            "note": (
                f"Best of {args.wall_repeat} runs each, ansible-playbook wall time including start-up, "
                f"forks={forks}; the audit includes writing report.json and report.html once."
            ),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
