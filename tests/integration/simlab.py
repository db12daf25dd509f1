# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run playbooks against a simulated estate and look inside it (state, call log, faults).

    lab = SimLab.build(tmp_path, "lab")
    res = lab.run("playbooks/site.yml", extra_vars={...}, check=False, diff=False, limit="fe01")
    res.changed["fe01"], res.failed["fe01"], res.stats, res.stdout, res.task_results("fe01")
    lab.calls("fe01"), lab.round_trips("fe01"), lab.state("fe01"), lab.inject_fault("fe01", "win_regedit")

Used by tests/integration (pytest fixtures in conftest.py), tests/simulator/lab.py and the benchmark.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SIMULATOR = REPO / "tests" / "simulator"
# The collections tree ansible loads sfb.pki from: the worktree link by default; `make package` points
# SFB_COLLECTIONS_PATH at an installed release tarball so the same runs prove the packaged copy.
COLLECTIONS = Path(os.environ.get("SFB_COLLECTIONS_PATH") or REPO / ".build" / "collections").resolve()
INSTALLED = COLLECTIONS / "ansible_collections" / "sfb" / "pki"


def content_path(relative: str | Path) -> Path:
    """A playbook or role path of the collection under test (the installed copy when there is one)."""
    if os.environ.get("SFB_COLLECTIONS_PATH") and (INSTALLED / relative).exists():
        return INSTALLED / relative
    return REPO / relative


def _load(name: str, path: Path) -> Any:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


builder = _load("sfb_sim_build", SIMULATOR / "build.py")
sim_host = builder.sim_host_module()


def ansible_env(extra: dict[str, str] | None = None, tmp: Path | None = None) -> dict[str, str]:
    """Environment for ansible commands against the simulator (simulated ansible.windows first)."""
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join([str(SIMULATOR), str(COLLECTIONS)])
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_RETRY_FILES_ENABLED"] = "0"
    env["ANSIBLE_HOST_KEY_CHECKING"] = "0"
    env["ANSIBLE_DEPRECATION_WARNINGS"] = "0"
    env["ANSIBLE_FORKS"] = env.get("ANSIBLE_FORKS", "4")
    env["ANSIBLE_PIPELINING"] = "1"
    env["ANSIBLE_ROLES_PATH"] = str(content_path("roles"))
    if tmp is not None:
        env["ANSIBLE_LOCAL_TEMP"] = str(tmp / "local")
        env["ANSIBLE_REMOTE_TEMP"] = str(tmp / "remote")
    env.pop("SFB_SIM_STATE", None)
    env.update(extra or {})
    return env


@dataclass
class RunResult:
    """Outcome of one ansible-playbook run (parsed from the JSON stdout callback)."""

    rc: int
    stdout: str
    stderr: str
    data: dict[str, Any]
    stats: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def changed(self) -> dict[str, int]:
        """Changed task count per host."""
        return {h: s.get("changed", 0) for h, s in self.stats.items()}

    @property
    def failed(self) -> dict[str, int]:
        """Failed (incl. unreachable) task count per host."""
        return {h: s.get("failures", 0) + s.get("unreachable", 0) for h, s in self.stats.items()}

    def task_results(self, host: str) -> list[tuple[str, dict[str, Any]]]:
        """(task name, result) for every task that ran on a host, in order."""
        out = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                result = task.get("hosts", {}).get(host)
                if result is not None:
                    out.append((task["task"]["name"], result))
        return out

    def result(self, host: str, task_name: str) -> dict[str, Any]:
        """The result of the last task with this name on a host (KeyError when it did not run)."""
        found = [r for n, r in self.task_results(host) if n == task_name]
        if not found:
            raise KeyError(f"task {task_name!r} did not run on {host}")
        return found[-1]

    def summary(self) -> str:
        """One line per host: ok/changed/failed/unreachable."""
        return "\n".join(
            f"{h}: ok={s.get('ok', 0)} changed={s.get('changed', 0)} failed={s.get('failures', 0)} "
            f"unreachable={s.get('unreachable', 0)} skipped={s.get('skipped', 0)}"
            for h, s in sorted(self.stats.items())
        )


def parse_json_output(stdout: str) -> dict[str, Any]:
    """The JSON document the ansible.posix.json callback prints (warnings may precede it)."""
    start = stdout.find("{")
    while start != -1:
        try:
            data: dict[str, Any] = json.loads(stdout[start:])
            return data
        except json.JSONDecodeError:
            start = stdout.find("\n{", start + 1)
            start = start + 1 if start != -1 else -1
    return {}


class SimLab:
    """A built estate on disk and the commands that act on it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.meta: dict[str, Any] = json.loads((self.root / "estate.json").read_text())

    # construction -----------------------------------------------------------------------------
    @classmethod
    def build(cls, out: Path | str, estate: str = "lab", now: dt.datetime | None = None) -> SimLab:
        """Build an estate into `out` (the builder also links the collection into .build/collections)."""
        return cls(builder.build(estate, Path(out), now=now))

    def copy_to(self, out: Path | str) -> SimLab:
        """A fresh copy of this estate (cheaper than building: no key generation)."""
        out = Path(out)
        shutil.copytree(self.root, out, ignore=shutil.ignore_patterns("*.calls.jsonl", "*.lock", "tmp"))
        builder.write_runtime(out)
        return SimLab(out)

    # facts about the estate ---------------------------------------------------------------------
    @property
    def inventory(self) -> Path:
        """The generated inventory file."""
        return self.root / "inventory.yml"

    @property
    def hosts(self) -> list[str]:
        """Host names."""
        return sorted(self.meta["hosts"])

    def thumbprint(self, pki_name: str) -> str:
        """SHA-1 thumbprint of a certificate or CRL generated at build time, by its estate name."""
        entry = self.meta["pki"].get(pki_name) or self.meta["crls"][pki_name]
        return str(entry["thumbprint"])

    def pki_file(self, pki_name: str, key: bool = False) -> Path:
        """Path of a generated certificate (or its key, or a CRL) by estate name."""
        entry = self.meta["pki"].get(pki_name) or self.meta["crls"][pki_name]
        return self.root / entry["key" if key else "file"]

    def state_path(self, host: str) -> Path:
        """The state file of a host."""
        return self.root / "hosts" / f"{host}.yml"

    # running --------------------------------------------------------------------------------
    def run(
        self,
        playbook: str | Path,
        extra_vars: dict[str, Any] | None = None,
        check: bool = False,
        diff: bool = False,
        limit: str | None = None,
        tags: str | None = None,
        env: dict[str, str] | None = None,
        timeout: int = 600,
    ) -> RunResult:
        """Run a playbook (path relative to the repository, or absolute) against the estate."""
        path = Path(playbook)
        if not path.is_absolute():
            path = content_path(path)
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(self.inventory), str(path)]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if limit:
            cmd += ["--limit", limit]
        if tags:
            cmd += ["--tags", tags]
        (self.root / "tmp").mkdir(exist_ok=True)
        proc = subprocess.run(
            cmd,
            cwd=str(REPO),
            env=ansible_env(env, self.root / "tmp"),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        data = parse_json_output(proc.stdout)
        return RunResult(proc.returncode, proc.stdout, proc.stderr, data, dict(data.get("stats") or {}))

    def adhoc(
        self, host: str, module: str, args: dict[str, Any] | str, check: bool = False, diff: bool = False
    ) -> dict[str, Any]:
        """Run one module on one host (ansible ad-hoc) and return its result."""
        margs = args if isinstance(args, str) else (json.dumps(args) if args else "")
        cmd = [
            str(Path(sys.executable).parent / "ansible"),
            "-i",
            str(self.inventory),
            host,
            "-m",
            module,
            "-a",
            margs,
        ]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        (self.root / "tmp").mkdir(exist_ok=True)
        env = ansible_env({"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"}, self.root / "tmp")
        proc = subprocess.run(
            cmd, cwd=str(REPO), env=env, capture_output=True, text=True, timeout=300, check=False
        )
        data = parse_json_output(proc.stdout)
        for play in data.get("plays", []):
            for task in play.get("tasks", []):
                if host in task.get("hosts", {}):
                    result: dict[str, Any] = task["hosts"][host]
                    return result
        raise RuntimeError(f"no result for {host}: rc={proc.returncode}\n{proc.stdout}\n{proc.stderr}")

    def tasks(
        self,
        host: str,
        calls: list[tuple[str, dict[str, Any] | str]],
        check: bool = False,
        diff: bool = False,
    ) -> list[dict[str, Any]]:
        """Run several module calls on one host in one playbook (errors ignored); their results in order."""
        play = [
            {
                "name": "Simulator calls",
                "hosts": host,
                "gather_facts": False,
                "tasks": [
                    {"name": f"call {i}", module: args, "ignore_errors": True, "ignore_unreachable": True}
                    for i, (module, args) in enumerate(calls)
                ],
            }
        ]
        (self.root / "tmp").mkdir(exist_ok=True)
        path = self.root / "tmp" / f"calls-{host}.yml"
        path.write_text(json.dumps(play))
        res = self.run(path, check=check, diff=diff)
        found = dict(res.task_results(host))
        missing = [i for i in range(len(calls)) if f"call {i}" not in found]
        if missing:
            raise RuntimeError(f"calls {missing} did not run on {host}:\n{res.stdout}\n{res.stderr}")
        return [found[f"call {i}"] for i in range(len(calls))]

    # looking inside ---------------------------------------------------------------------------
    def calls(self, host: str, module: str | None = None) -> list[dict[str, Any]]:
        """The host's call log (one dict per simulated module call), optionally for one module."""
        path = Path(sim_host.call_log_path(str(self.state_path(host))))
        if not path.exists():
            return []
        entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if module:
            entries = [e for e in entries if e["module"] == module.split(".")[-1]]
        return entries

    def round_trips(self, host: str) -> int:
        """Number of module calls (target round trips) made to a host so far."""
        return len(self.calls(host))

    def clear_calls(self, host: str | None = None) -> None:
        """Forget the call log of one host or all hosts."""
        for name in [host] if host else self.hosts:
            path = Path(sim_host.call_log_path(str(self.state_path(name))))
            if path.exists():
                path.unlink()

    def state(self, host: str) -> dict[str, Any]:
        """The host's state file as data (what the YAML says)."""
        data: dict[str, Any] = sim_host.load_yaml(str(self.state_path(host)))
        return data

    def host(self, host: str) -> Any:
        """The host's state as the simulator's model (registry, files, services, ...)."""
        return sim_host.load_host(str(self.state_path(host)))

    def edit(self, host: str, change: Callable[[Any], None]) -> None:
        """Change a host's state through the model and save it (locks like the fakes do)."""
        path = str(self.state_path(host))
        with sim_host.locked(path):
            model = sim_host.load_host(path)
            change(model)
            sim_host.save_host(model)

    def place_certificates(
        self, host: str, ders: list[bytes], store: str = "Root", physical: str = "registry"
    ) -> None:
        """Put certificates (DER) into one physical store of a host (blob properties 3, 20, 32)."""
        base = sim_host.store_key(store, physical)

        def change(model: Any) -> None:
            for der in ders:
                path = f"HKLM\\{base}\\Certificates\\{sim_host.sha1_hex(der)}"
                model.registry.set(path, "Blob", "binary", sim_host.encode_blob(der, [3, 20, 32]))

        self.edit(host, change)

    def inject_fault(
        self,
        host: str,
        module: str,
        count: int = 1,
        kind: str = "failed",
        rc: int = 1,
        msg: str | None = None,
        after: int = 0,
        transport: str | None = None,
    ) -> None:
        """Make the next `count` calls of `module` on `host` fail (kinds: docs/testing.md, Fault injection).

        `after` lets that many calls of the module succeed first (a fault in the middle of a task);
        `transport` (psrp, winrm) picks the exception text of a connection fault.
        """
        fault: dict[str, Any] = {"module": module.split(".")[-1], "count": count, "kind": kind, "rc": rc}
        if after:
            fault["after"] = after
        if msg:
            fault["msg"] = msg
        if transport:
            fault["transport"] = transport
        self.edit(host, lambda m: m.faults.append(fault))

    def ad(self) -> dict[str, Any]:
        """The estate's AD store."""
        data: dict[str, Any] = sim_host.load_ad(str(self.root / "ad.yml"))
        return data

    def store_thumbprints(self, host: str, store: str, physical: str = "registry") -> list[str]:
        """Thumbprints of the certificates in one physical store of a host."""
        model = self.host(host)
        key = "HKLM\\" + sim_host.store_key(store, physical) + "\\Certificates"
        return [name.upper() for name in model.registry.subkeys(key)]

    def __iter__(self) -> Iterator[str]:
        return iter(self.hosts)
