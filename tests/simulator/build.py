# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build a simulated estate: real certificates, one state file per host, inventory, interpreter wrappers.

    python tests/simulator/build.py lab .build/lab

The estate is declarative YAML (tests/simulator/estates/<name>/estate.yml, schema in docs/testing.md).
Output (never committed):

    <out>/inventory.yml          connection ansible.windows.sim_local, one interpreter wrapper per host
    <out>/hosts/<host>.yml       the host's state (human-readable; the simulated ansible.windows edits it)
    <out>/hosts/<host>.calls.jsonl   the host's call log (appended by every simulated module call)
    <out>/bin/<host>-python      exports SFB_SIM_STATE and execs this Python
    <out>/ad.yml                 the AD store shared by the estate
    <out>/pki/<name>.pem (+ .key.pem, .crl)   the generated PKI, for tests
    <out>/estate.json            hosts, groups and thumbprints by PKI name
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import importlib
import importlib.util
import json
import os
import shlex
import stat
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
SIMULATOR = REPO / "tests" / "simulator"
ESTATES = SIMULATOR / "estates"
COLLECTIONS = REPO / ".build" / "collections"
GROUPS = ("sfb_servers", "offline_root_ca", "subordinate_ca")
HOST_KEYS = frozenset(
    (
        "groups",
        "vars",
        "description",
        "sfb_role",
        "notes",
        "computer_name",
        "domain",
        "ca",
        "services",
        "certificates",
        "crls",
        "registry",
        "directories",
        "files",
        "products",
        "event_logs",
        "events",
        "faults",
        "baseline",
    )
)
CA_CONFIG = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\CertSvc\\Configuration"
BASELINE_DIR = REPO / "tests" / "fixtures" / "baseline"
BASELINES = ("windows_server", "none")
SYSTEM_CERTIFICATES = "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates"
UTC = dt.UTC


def _import_paths() -> None:
    link = COLLECTIONS / "ansible_collections" / "sfb" / "pki"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.symlink(REPO, link, target_is_directory=True)
        importlib.invalidate_caches()
    for entry in (str(REPO), str(COLLECTIONS)):
        if entry not in sys.path:
            sys.path.insert(0, entry)


def _pem(data: bytes | str) -> str:
    return data.decode("ascii") if isinstance(data, bytes) else data


class Built:
    """Generated PKI objects by estate name."""

    def __init__(self) -> None:
        self.certs: dict[str, Any] = {}  # name -> pkifactory.Issued (or a loaded file: cert only)
        self.pems: dict[str, str] = {}
        self.crls: dict[str, Any] = {}


def _generate(estate: dict[str, Any], now: dt.datetime) -> Built:
    _import_paths()
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from tests.support import pkifactory as pf

    ekus = {
        "server_auth": ExtendedKeyUsageOID.SERVER_AUTH.dotted_string,
        "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string,
        "code_signing": ExtendedKeyUsageOID.CODE_SIGNING.dotted_string,
    }
    built = Built()
    for name, spec in (estate.get("pki") or {}).items():
        kind = spec["kind"]
        if kind == "file":
            text = (REPO / spec["path"]).read_text(encoding="ascii")
            x509.load_pem_x509_certificate(text.encode("ascii"))
            built.pems[name] = text
            continue
        start = now - dt.timedelta(days=float(spec.get("age_days", 1)))
        options: dict[str, Any] = {"not_before": start, "days": int(spec.get("days", 365))}
        if "hash" in spec:
            options["hash"] = spec["hash"]
        if kind == "root_ca":
            issued = pf.root_ca(spec["subject"], **options)
        elif kind == "weak_root":
            issued = pf.weak_root(
                spec.get("hash", "md5"), spec["subject"], **{k: v for k, v in options.items() if k != "hash"}
            )
        elif kind == "sub_ca":
            issued = pf.sub_ca(built.certs[spec["issuer"]], spec["subject"], **options)
        elif kind == "leaf":
            issued = pf.leaf(
                built.certs[spec["issuer"]],
                spec["subject"],
                ekus=[ekus.get(e, e) for e in spec.get("ekus", ["server_auth", "client_auth"])],
                dns=spec.get("dns"),
                **options,
            )
        else:
            raise ValueError(f"pki {name}: unknown kind {kind!r}")
        built.certs[name] = issued
        built.pems[name] = _pem(issued.pem)
    for name, spec in (estate.get("crls") or {}).items():
        lifetime = dt.timedelta(days=float(spec.get("lifetime_days", 210)))
        end = now + dt.timedelta(days=float(spec.get("days_left", 30)))
        built.crls[name] = pf.crl(
            built.certs[spec["issuer"]],
            number=int(spec.get("number", 1)),
            this_update=end - lifetime,
            next_update=end,
            revoked=[int(s) for s in spec.get("revoked", [])],
        )
    return built


def sim_host_module() -> Any:
    """The simulator's host model, loaded by file (it needs only the stdlib, PyYAML and cryptography)."""
    name = "sfb_sim_host"
    if name not in sys.modules:
        path = SIMULATOR / "ansible_collections/ansible/windows/plugins/module_utils/sim_host.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _thumbprint(pem: str) -> str:
    sim_host = sim_host_module()
    return str(sim_host.sha1_hex(sim_host.pem_to_der(pem)))


@functools.lru_cache(maxsize=1)
def load_baseline() -> dict[str, Any]:
    """The Windows Server baseline (tests/fixtures/baseline/baseline.yml): certificate entries with
    their PEM text and the names of the empty stores. Documented in docs/testing.md."""
    with open(BASELINE_DIR / "baseline.yml", encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    certificates = []
    for entry in data.get("certificates") or []:
        pem = (BASELINE_DIR / entry["file"]).read_text(encoding="ascii")
        certificates.append({"store": entry["store"], "physical": entry["physical"], "pem": pem})
    return {"certificates": certificates, "empty_stores": list(data.get("empty_stores") or [])}


def baseline_thumbprints(store: str, physical: str = "registry") -> set[str]:
    """Thumbprints the Windows Server baseline puts in one physical store."""
    return {
        _thumbprint(c["pem"])
        for c in load_baseline()["certificates"]
        if (c["store"], c["physical"]) == (store, physical)
    }


def host_baseline(name: str, spec: dict[str, Any], estate: dict[str, Any]) -> str:
    """The baseline a host starts from: the host's `baseline`, else the estate's, else windows_server."""
    value = spec["baseline"] if "baseline" in spec else estate.get("baseline", "windows_server")
    if value not in BASELINES:
        raise ValueError(f"estate host {name}: baseline must be one of {list(BASELINES)}, got {value!r}")
    return str(value)


def _with_baseline(certificates: list[dict[str, Any]], baseline: dict[str, Any]) -> list[dict[str, Any]]:
    """Baseline certificates first, then the estate's; an estate entry for the same physical store and
    thumbprint replaces the baseline's (one registry key per certificate and store)."""
    own = {(c["store"], c["physical"], _thumbprint(c["pem"])) for c in certificates}
    kept = [
        c for c in baseline["certificates"] if (c["store"], c["physical"], _thumbprint(c["pem"])) not in own
    ]
    return [*kept, *certificates]


def _host_state(
    name: str, spec: dict[str, Any], estate: dict[str, Any], built: Built, now: dt.datetime
) -> dict[str, Any]:
    unknown = sorted(set(spec) - HOST_KEYS)
    if unknown:
        raise ValueError(f"estate host {name}: unknown key(s) {unknown} (see docs/testing.md, Estates)")
    domain = spec["domain"] if "domain" in spec else estate.get("domain")
    state: dict[str, Any] = {
        "name": name,
        "computer_name": spec.get("computer_name", name.upper()),
        "description": spec.get("description", ""),
        **{k: spec[k] for k in ("sfb_role", "notes") if k in spec},
    }
    if domain:
        state["domain"] = domain
        state["ad"] = "../ad.yml"
    state["faults"] = list(spec.get("faults") or [])
    state["certificates"] = [
        {"store": c["store"], "physical": c.get("physical", "registry"), "pem": built.pems[c["cert"]]}
        for c in spec.get("certificates") or []
    ]
    baseline = None if host_baseline(name, spec, estate) == "none" else load_baseline()
    if baseline is not None:
        state["certificates"] = _with_baseline(state["certificates"], baseline)
    state["crls"] = [
        {
            "store": c["store"],
            "physical": c.get("physical", "registry"),
            "pem": _pem(built.crls[c["crl"]].pem),
        }
        for c in spec.get("crls") or []
    ]
    state["services"] = dict(spec.get("services") or {})
    registry: dict[str, Any] = {}
    for store in (baseline or {}).get("empty_stores", []):
        registry[f"{SYSTEM_CERTIFICATES}\\{store}\\Certificates"] = {}
    for key, values in (spec.get("registry") or {}).items():
        registry[key] = dict(values or {})
    files: dict[str, Any] = {}
    directories: list[str] = list(spec.get("directories") or [])
    ca = spec.get("ca")
    if ca:
        issued = built.certs[ca["cert"]]
        certenroll = ca.get("certenroll", "C:\\Windows\\System32\\CertSrv\\CertEnroll")
        crl_number = 0
        directories.append(certenroll)
        if ca.get("crl"):
            crl = built.crls[ca["crl"]]
            files[f"{certenroll}\\{ca['name']}.crl"] = {
                "pem": _pem(crl.pem),
                "modified": crl.crl.last_update_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            from cryptography import x509

            crl_number = int(crl.crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number)
        state["ca"] = {
            "name": ca["name"],
            "certificate_pem": _pem(issued.pem),
            "key_pem": _pem(issued.key_pem),
            "crl_number": crl_number,
            "certenroll": certenroll,
        }
        registry[CA_CONFIG] = {"Active": {"type": "string", "value": ca["name"]}}
        registry[f"{CA_CONFIG}\\{ca['name']}"] = {
            "CRLPeriod": {"type": "string", "value": ca.get("crl_period", "Weeks")},
            "CRLPeriodUnits": {"type": "dword", "value": int(ca.get("crl_period_units", 1))},
            "CRLOverlapPeriod": {"type": "string", "value": ca.get("crl_overlap_period", "Hours")},
            "CRLOverlapUnits": {"type": "dword", "value": int(ca.get("crl_overlap_units", 0))},
            "CACertHash": {"type": "multistring", "value": [_thumbprint(_pem(issued.pem))]},
        }
    state["registry"] = registry
    state["directories"] = directories
    for path, entry in (spec.get("files") or {}).items():
        files[path] = entry
    state["files"] = files
    if spec.get("products"):
        state["products"] = spec["products"]
    state["event_logs"] = ["Application", "System", "Security", *(spec.get("event_logs") or [])]
    events = []
    for event in spec.get("events") or []:
        for i in range(int(event.get("count", 1))):
            when = now - dt.timedelta(days=float(event.get("days_ago", 0)), minutes=7 * i)
            item = {k: v for k, v in event.items() if k not in ("days_ago", "count")}
            item["time"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            events.append(item)
    state["events"] = events
    return state


def load_estate(name_or_path: str) -> dict[str, Any]:
    """An estate definition by name (tests/simulator/estates/<name>) or path to its estate.yml."""
    path = Path(name_or_path)
    if not path.suffix:
        path = ESTATES / name_or_path / "estate.yml"
    with open(path, encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.safe_load(handle)
    return data


def write_runtime(out: Path, python: str | None = None) -> None:
    """(Re)write the inventory and interpreter wrappers for an estate built into `out` (relocatable)."""
    out = out.resolve()
    meta = json.loads((out / "estate.json").read_text())
    python = python or sys.executable
    (out / "bin").mkdir(exist_ok=True)
    hosts_by_group: dict[str, dict[str, Any]] = {g: {} for g in GROUPS}
    extra_groups: dict[str, dict[str, Any]] = {}
    for host, info in meta["hosts"].items():
        wrapper = out / "bin" / f"{host}-python"
        state = out / "hosts" / f"{host}.yml"
        wrapper.write_text(
            "#!/bin/sh\n"
            "# Simulated Windows host: the simulated ansible.windows reads this host's state file.\n"
            f"export SFB_SIM_STATE={shlex.quote(str(state))}\n"
            f'exec {shlex.quote(python)} "$@"\n'
        )
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        hostvars = {
            "ansible_connection": "ansible.windows.sim_local",
            "ansible_python_interpreter": str(wrapper),
            "sfb_sim_state": str(state),
            **(info.get("vars") or {}),
        }
        for group in info["groups"]:
            target = hosts_by_group.get(group)
            if target is None:
                target = extra_groups.setdefault(group, {})
            target[host] = hostvars
            hostvars = {}  # host vars once; later groups only list the host
    children: dict[str, Any] = {g: {"hosts": h} for g, h in hosts_by_group.items()}
    children.update({g: {"hosts": h} for g, h in extra_groups.items()})
    all_vars = dict(meta.get("vars") or {})
    all_vars["sfb_sim_thumbprints"] = {name: entry["thumbprint"] for name, entry in meta["pki"].items()}
    inventory = {
        "all": {
            "vars": all_vars,
            "children": {"sfb_pki": {"children": children}},
        }
    }
    (out / "inventory.yml").write_text(
        "# Generated by tests/simulator/build.py: the simulated estate "
        + meta["name"]
        + "\n"
        + yaml.safe_dump(inventory, sort_keys=False, default_flow_style=False, width=200)
    )


def build(
    estate_name: str, out: Path | str, now: dt.datetime | None = None, python: str | None = None
) -> Path:
    """Build an estate into `out` (created or overwritten); returns the absolute output folder."""
    _import_paths()
    sim_host = sim_host_module()
    out = Path(out).resolve()
    now = (now or dt.datetime.now(UTC)).replace(microsecond=0)
    estate = load_estate(estate_name)
    built = _generate(estate, now)
    (out / "hosts").mkdir(parents=True, exist_ok=True)
    (out / "pki").mkdir(exist_ok=True)
    for stale in (out / "hosts").glob("*"):
        stale.unlink()
    meta: dict[str, Any] = {
        "name": estate.get("name", estate_name),
        "built": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "vars": estate.get("vars") or {},
        "hosts": {},
        "pki": {},
        "crls": {},
    }
    for name, pem in built.pems.items():
        (out / "pki" / f"{name}.pem").write_text(pem)
        meta["pki"][name] = {"thumbprint": _thumbprint(pem), "file": f"pki/{name}.pem"}
        issued = built.certs.get(name)
        if issued is not None:
            (out / "pki" / f"{name}.key.pem").write_text(_pem(issued.key_pem))
            meta["pki"][name]["key"] = f"pki/{name}.key.pem"
    for name, crl in built.crls.items():
        (out / "pki" / f"{name}.crl").write_bytes(crl.der)
        meta["crls"][name] = {"thumbprint": crl.thumbprint, "file": f"pki/{name}.crl"}
    for host, spec in (estate.get("hosts") or {}).items():
        state = _host_state(host, spec or {}, estate, built, now)
        path = out / "hosts" / f"{host}.yml"
        # Round-trip through the simulator's own model so the file is exactly what the fakes write.
        model = sim_host.Host(str(path), state)
        sim_host.save_host(model)
        groups = list(spec.get("groups") or [])
        meta["hosts"][host] = {"groups": groups, "vars": spec.get("vars") or {}}
    sim_host.save_ad(str(out / "ad.yml"), {"certificates": [], "crls": []})
    (out / "estate.json").write_text(json.dumps(meta, indent=2, sort_keys=True))
    write_runtime(out, python)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: build.py <estate> <out>."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "estate", help="estate name under tests/simulator/estates, or a path to an estate.yml"
    )
    parser.add_argument("out", help="output folder (not in git)")
    args = parser.parse_args(argv)
    out = build(args.estate, args.out)
    print(f"estate built: {out / 'inventory.yml'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
