# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: measure sfb.pki against stock ansible.windows playbooks and the cryptography floor.

Writes bench/results/bench.md (the table) and bench/results/bench.json (the raw numbers):
  (a) target round trips per host (from the simulator's call log) for audit, converge-on-drift and
      converge-when-healthy, against bench/naive.yml (stock modules only);
  (b) controller analysis of 1,000 certificates beside the library calls the facts rest on and the
      floor (bare cryptography load + own-key signature verification), same run; a tracked figure;
  (c) audit wall time per host on a 20-host simulated estate as a ratio to one win_ping per host;
  (d) scale: estates of 20 and 200 hosts with about 150 certificates each (bench/scale.py): audit wall
      time against one win_ping per host at forks 20 (goal <= 1.3x), controller memory, bytes each
      host sends, report sizes, report.html in headless Chromium, and how each grows with the hosts.
A part whose prerequisites are missing says so in one line instead of failing the others.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for entry in (str(REPO / ".build" / "collections"), str(REPO)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from bench import NotAvailable, controller, corpus


def part_b(args: argparse.Namespace) -> dict[str, Any]:
    """Controller analysis of `args.certificates` certificates vs the cryptography floor."""
    entries = corpus.build(args.certificates)
    return controller.measure(entries, repeat=args.repeat)


def part_a(args: argparse.Namespace) -> dict[str, Any]:
    """Round trips per host, product vs naive playbook, from the simulator's call log."""
    from bench import estate

    return estate.round_trips(args)


def part_c(args: argparse.Namespace) -> dict[str, Any]:
    """Audit wall time per host on a simulated estate vs one win_ping per host."""
    from bench import estate

    return estate.wall_time(args)


def part_d(args: argparse.Namespace) -> dict[str, Any]:
    """The audit at scale: 20 and 200 simulated hosts."""
    from bench import scale

    return scale.scale(args)


def run_part(
    name: str, func: Callable[[argparse.Namespace], dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    """Run one part; a missing prerequisite or a failure becomes a one-line status, not a crash."""
    print(f"bench: part {name} ...", flush=True)
    try:
        return {"status": "ok", **func(args)}
    except NotAvailable as err:
        return {"status": "not available yet", "reason": str(err)}
    except ModuleNotFoundError as err:
        return {"status": "not available yet", "reason": f"{err.name} is not installed in this tree"}
    except Exception as err:  # report, keep the other parts
        traceback.print_exc()
        return {"status": "failed", "reason": f"{type(err).__name__}: {err}"}


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def render(results: dict[str, Any]) -> str:
    """The Markdown table written to bench/results/bench.md."""
    lines = [
        "# sfb.pki benchmark",
        "",
        f"Run {results['when']} on {results['machine']} (Python {results['python']}).",
        "Regenerate with `make bench`; the raw numbers are in `bench.json`.",
        "",
        "## (a) Target round trips per host",
        "",
    ]
    a = results["a"]
    if a["status"] == "ok":
        lines += [
            f"Estate: {a['estate']}. Counted from the simulator's call log "
            "(one entry per module call on a host).",
            "",
            "| run | host | sfb.pki | naive playbook | naive / sfb.pki |",
            "|---|---|---:|---:|---:|",
        ]
        for row in a["rows"]:
            lines.append(
                f"| {row['run']} | {row['host']} | {_fmt(row['product'])} | {_fmt(row['naive'])} | "
                f"{_fmt(row.get('ratio'))} |"
            )
        lines += ["", a.get("note", "")]
        if a.get("faults"):
            lines += [
                "",
                "Critical/warning findings of playbooks/audit.yml before and after one converge run "
                "(causes only: symptom events logged before the fix are left out):",
                "",
                "| host | before | after sfb.pki site.yml | after naive playbook |",
                "|---|---:|---:|---:|",
            ]
            lines += [f"| {f['host']} | {f['before']} | {f['product']} | {f['naive']} |" for f in a["faults"]]
    else:
        lines.append(f"{a['status']}: {a['reason']}")
    lines += ["", "## (b) Controller analysis of certificates", ""]
    b = results["b"]
    if b["status"] == "ok":

        def row(label: str, what: str, seconds: float, versus_library: str) -> str:
            per_cert = _fmt(1e6 * seconds / b["certificates"], 1)
            return f"| {label} | {what} | {_fmt(seconds, 4)} | {per_cert} | {versus_library} |"

        lines += [
            "A tracked figure with no goal: analysis costs well under a millisecond per certificate, a "
            "WinRM round trip 0.5 to 1 s, so per-host work and bytes sent (part (d)) are what limit an "
            "estate.",
            "",
            "| measured | what | seconds | per certificate (µs) | / library calls |",
            "|---|---|---:|---:|---:|",
            row("floor", b["floor_label"], b["floor_seconds"], "-"),
            row("reference", b["issuer_label"], b["issuer_seconds"], "-"),
            row("library calls", b["library_label"], b["library_seconds"], "1.00"),
            row("sfb.pki", b["product_label"], b["product_seconds"], _fmt(b["product_over_library"])),
        ]
        lines += [
            row(f"section {r['section']} alone", "same snapshot", r["seconds"], "-")
            for r in b.get("breakdown") or []
        ]
        lines += [
            "",
            f"{b['certificates']} certificates, best of {results['repeat']} runs each, the rows taking "
            f"turns. sfb.pki: **{_fmt(b['product_over_library'])}x the library-calls row** "
            f"({_fmt(b['ratio'])}x the floor).",
            "",
            "The library-calls row makes, with no logic around them, the cryptography and hashlib calls "
            f"the facts rest on ({_fmt(b['library_ratio'])}x the floor by itself); the difference to sfb.pki "
            "is its own Python (blob records, facts, chains, findings). The reference row verifies each "
            f"signature with its issuer's key, as checking a chain link must: {_fmt(b['issuer_ratio'])}x "
            "the floor.",
        ]
    else:
        lines.append(f"{b['status']}: {b['reason']}")
    lines += ["", "## (c) Audit wall time per host", ""]
    c = results["c"]
    if c["status"] == "ok":
        lines += [
            "| playbook | hosts | wall seconds | per host (s) |",
            "|---|---:|---:|---:|",
        ]
        for row in c["rows"]:
            lines.append(
                f"| {row['playbook']} | {row['hosts']} | {_fmt(row['seconds'])} | "
                f"{_fmt(row['per_host'], 3)} |"
            )
        lines += ["", f"Ratio audit / win_ping: **{_fmt(c['ratio'])}x**. {c.get('note', '')}"]
    else:
        lines.append(f"{c['status']}: {c['reason']}")
    lines += ["", "## (d) The audit at scale", ""]
    d = results.get("d") or {"status": "skipped", "reason": "not run"}
    if d["status"] == "ok":
        lines += render_scale(d)
    else:
        lines.append(f"{d['status']}: {d['reason']}")
    return "\n".join(lines).rstrip() + "\n"


def _mb(value: float) -> str:
    return f"{value / 1e6:.1f}"


def _kb(value: float) -> str:
    return f"{value / 1e3:.1f}"


def render_scale(d: dict[str, Any]) -> list[str]:
    """The part (d) tables."""
    sizes = d["sizes"]
    lines = [
        "Each host: the lab's certificates for its role plus "
        + ", ".join(f"{v} {k}" for k, v in sizes[-1]["certificates"]["composition"].items())
        + f" (store entries per host: {min(sizes[-1]['certificates']['store_entries_per_host'].values())} to "
        f"{max(sizes[-1]['certificates']['store_entries_per_host'].values())}). Forks {d['forks']}; "
        "wall time of ansible-playbook including start-up, best of the runs (the two playbooks take turns).",
        "",
        "| hosts | win_ping floor (s) | audit (s) | audit / floor | goal | audit runs (s) | floor runs (s) "
        "| CPU s, floor / audit / ratio |",
        "|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for s in sizes:
        verdict = "meets" if s["ratio"] <= d["goal"] else "misses"
        lines.append(
            f"| {s['hosts']} | {_fmt(s['ping_seconds'])} | {_fmt(s['audit_seconds'])} | "
            f"**{_fmt(s['ratio'])}x** | "
            f"<= {d['goal']}x ({verdict}) | {', '.join(_fmt(x) for x in s['audit_runs'])} | "
            f"{', '.join(_fmt(x) for x in s['ping_runs'])} | "
            + (
                f"{_fmt(s['ping_cpu'])} / {_fmt(s['audit_cpu'])} / {_fmt(s['audit_cpu'] / s['ping_cpu'])}x |"
                if s.get("ping_cpu")
                else "- |"
            )
        )
    lines += [
        "",
        "CPU s: user + system time of ansible-playbook and every process it waited for (workers and "
        "the simulated hosts' module processes), least of the runs: on a machine shared with other "
        "work, wall time varies from run to run (see the runs), CPU time much less.",
        "",
        "Controller memory: peak of the summed RSS of ansible-playbook and its forked workers (they share "
        "most pages with it, so RSS counts those once per process) and of their summed PSS (shared pages "
        "split between the processes), sampled every 50 ms; the simulated hosts' module processes are not "
        "counted.",
        "",
        "| hosts | playbook | peak RSS (MB) | peak PSS (MB) | ansible-playbook alone, RSS (MB) "
        "| PSS per host (MB) |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for s in sizes:
        for label in ("ping", "audit"):
            m = s["memory"][label]
            lines.append(
                f"| {s['hosts']} | {label} | {_mb(m['peak_rss'])} | {_mb(m['peak_pss'])} | "
                f"{_mb(m['peak_main_rss'])} | {_mb(m['peak_pss'] / s['hosts'])} |"
            )
    lines += [
        "",
        "| hosts | snapshot bytes per host (mean / min / max, KB) | parameters sent to each host (KB) "
        "| report.json (KB) | report.html (KB) | findings |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for s in sizes:
        b = s["snapshot_bytes"]
        sent = _kb(b["parameters"]) if "parameters" in b else "-"
        lines.append(
            f"| {s['hosts']} | {_kb(b['mean'])} / {_kb(b['min'])} / {_kb(b['max'])} | {sent} | "
            f"{_kb(s['report_json_bytes'])} | {_kb(s['report_html_bytes'])} | "
            + ", ".join(f"{n} {k}" for k, n in s["findings"].items())
            + " |"
        )
    lines += [
        "",
        "Snapshot bytes: the `result_bytes` the simulator logs for each host's one win_powershell call "
        "(the JSON the host sends back). Parameters: the JSON of that call's `parameters` (what to read, and "
        "`Known`, the digests of what the controller holds), mean per host; the fixed script text is not "
        "counted.",
        "",
        "report.html in headless Chromium (window 1280 px wide, bench/html_check.html):",
        "",
        "| hosts | load (ms) | horizontal scroll | page width / window (px) | host sections open / all | "
        "summary first | page height (px) |",
        "|---:|---:|---|---|---|---|---:|",
    ]
    for s in sizes:
        h = s["html"]
        if h.get("status") != "ok":
            lines.append(f"| {s['hosts']} | {h.get('status')} | | | | | |")
            continue
        lines.append(
            f"| {s['hosts']} | {h['load_ms']} | {'yes' if h['horizontal_scroll'] else 'no'} | "
            f"{h['scroll_width']} / {h['client_width']} | {h['host_sections_open']} / {h['host_sections']} | "
            f"{'yes' if h['summary_first'] else 'no'} | {h['page_height']} |"
        )
    if d.get("growth"):
        small, large = sizes[0]["hosts"], sizes[-1]["hosts"]
        lines += [
            "",
            f"Growth from {small} to {large} hosts, per host (ratio <= 1: linear or better):",
            "",
            f"| per host | {small} hosts | {large} hosts | ratio |",
            "|---|---:|---:|---:|",
        ]
        for row in d["growth"]:
            fmt = _fmt if "seconds" in row["figure"] else (lambda v: f"{v:,.0f}" if v is not None else "-")
            lines.append(
                f"| {row['figure']} | {fmt(row['small'])} | {fmt(row['large'])} | {_fmt(row['ratio'])} |"
            )
    return lines


def _previous(path: Path) -> dict[str, Any]:
    """The last bench.json, its parts each with the time they ran (older files kept one `when` string)."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    # "2026-12-01 20:56 UTC; part (d) 2026-12-01 21:24 UTC": the first time, then later runs of one part
    first, *later = str(data.get("when") or "").split("; ")
    times = {p: first for p in "abcd"}
    for item in later:
        if item.startswith("part (") and ") " in item:
            times[item[6]] = item.split(") ", 1)[1]
    for name in "abcd":
        part = data.get(name)
        if isinstance(part, dict) and "when" not in part and times.get(name):
            part["when"] = times[name]
    return data


def _when(results: dict[str, Any]) -> str:
    """When the parts ran: one time, or the first and each part that ran at another time."""
    times = {p: results[p].get("when") for p in "abcd" if results[p].get("when")}
    if not times:
        return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    first = min(times.values())
    return "; ".join([first] + [f"part ({p}) {t}" for p, t in times.items() if t != first])


def main(argv: list[str] | None = None) -> int:
    """Run the parts and write the results."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default=str(REPO / "bench" / "results"))
    parser.add_argument("--certificates", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--wall-repeat", type=int, default=3, help="runs per playbook in part (c)")
    parser.add_argument("--parts", default="abcd", help="which parts to run (default: abcd)")
    parser.add_argument("--scale-hosts", default="20,200", help="part (d): estate sizes (default: 20,200)")
    parser.add_argument("--scale-repeat", type=int, default=2, help="part (d): runs per playbook and size")
    parser.add_argument("--forks", type=int, default=20, help="part (d): ansible forks (default: 20)")
    parser.add_argument("--keep", action="store_true", help="part (d): keep the built estates in /tmp")
    args = parser.parse_args(argv)
    out = Path(args.out)
    previous = _previous(out / "bench.json")
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {platform.system()}",
        "python": platform.python_version(),
        "repeat": args.repeat if "b" in args.parts else previous.get("repeat", args.repeat),
    }
    funcs = {"a": part_a, "b": part_b, "c": part_c, "d": part_d}
    for name, func in funcs.items():
        if name in args.parts:
            results[name] = {**run_part(name, func, args), "when": now}
        elif previous.get(name, {}).get("status") not in (None, "skipped"):
            results[name] = previous[name]  # a part not run this time keeps its last result
        else:
            results[name] = {"status": "skipped", "reason": "not selected with --parts"}
    results["when"] = _when(results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    table = render(results)
    (out / "bench.md").write_text(table, encoding="utf-8")
    print(table)
    return 1 if any(results[p]["status"] == "failed" for p in "abcd") else 0


if __name__ == "__main__":
    sys.exit(main())
