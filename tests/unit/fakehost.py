# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory Windows host for action-plugin unit tests: answers the snapshot and applies win_regedit.

Only the certificate stores and the collection's own record keys are modelled (records: REG_SZ
values of subkeys, {HKLM-relative parent key, lower case: {subkey: {value name: text}}}).
`fail_on` makes the n-th call (1-based) fail, to test interrupted runs; `faults` ({call number: kind})
injects the other shapes Windows produces:

- `failed`: the module's failed result;
- `connection_lost`: AnsibleConnectionFailure before the module runs (nothing changes);
- `reply_lost`: the module runs (the write happens), then AnsibleConnectionFailure;
- `reset`: the module runs, then the transport library's own exception (not an Ansible error);
- `script_error`: win_powershell's result when the script throws: `failed`, no `msg`, `error[]`.

The messages are the simulator's (tests/simulator/.../plugins/connection/sim_local.py and
sim_module.py), which cite the ansible-core and ansible.windows sources they copy.
Every call is recorded in `calls` as (module name, args).
"""

from __future__ import annotations

import base64
import importlib.util
import os
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

from ansible.errors import AnsibleConnectionFailure, AnsibleFileNotFound

from ansible_collections.sfb.pki.plugins.module_utils._stores import PHYSICAL_STORES
from ansible_collections.sfb.pki.plugins.plugin_utils._snapshot_script import SNAPSHOT_MARKER


class FakeHost:
    """Registry keys of the physical certificate stores: {HKLM-relative store key: {name: blob}}."""

    def __init__(self, placed: dict[tuple[str, str], list[Any]] | None = None) -> None:
        self.keys: dict[str, dict[str, bytes]] = {}
        self.records: dict[str, dict[str, dict[str, str]]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_on: int | None = None
        self.faults: dict[int, str] = {}
        for store in PHYSICAL_STORES:
            self.keys[store.certificates_key.lower()] = {}
            self.keys[store.crls_key.lower()] = {}
        for (logical, physical), items in (placed or {}).items():
            store = next(s for s in PHYSICAL_STORES if (s.logical, s.physical) == (logical, physical))
            for item in items:
                self.keys[store.certificates_key.lower()][item.thumbprint] = item.blob

    def thumbprints(self, logical: str, physical: str) -> set[str]:
        """Names under one physical store."""
        store = next(s for s in PHYSICAL_STORES if (s.logical, s.physical) == (logical, physical))
        return set(self.keys[store.certificates_key.lower()])

    def execute(self, module_name: str, module_args: dict[str, Any], task_vars: Any = None) -> dict[str, Any]:
        """Stand-in for ActionBase._execute_module."""
        self.calls.append((module_name, module_args))
        kind = self.faults.pop(len(self.calls), None)
        if self.fail_on is not None and len(self.calls) == self.fail_on:
            kind = "failed"
        if kind == "failed":
            return {"failed": True, "msg": "simulated module failure"}
        if kind == "connection_lost":
            raise AnsibleConnectionFailure(connection_error("connection_lost", "psrp", "fe01", None))
        if kind == "script_error":
            assert module_name == "ansible.windows.win_powershell"
            return script_error_result()
        if module_name == "ansible.windows.win_powershell":
            assert module_args["script"].startswith(SNAPSHOT_MARKER)
            result = {"changed": False, "result": self._snapshot(module_args["parameters"])}
        elif module_name == "ansible.windows.win_regedit":
            result = self._regedit(module_args)
        else:
            raise AssertionError(f"unexpected module {module_name}")
        if kind == "reply_lost":
            raise AnsibleConnectionFailure(connection_error("reply_lost", "psrp", "fe01", None))
        if kind == "reset":
            raise ConnectionResetError(104, "Connection reset by peer")
        assert kind is None, kind
        return result

    def _snapshot(self, params: dict[str, Any]) -> dict[str, Any]:
        keys = []
        for request in params["Keys"]:
            if request["path"].lower() in self.records or request["path"].lower().startswith(
                "software\\sfb.pki"
            ):
                keys.append(self._record_key(request["path"]))
                continue
            names = self.keys.get(request["path"].lower())
            subkeys = [
                {
                    "name": n,
                    "exists": True,
                    "values": {"Blob": {"type": "binary", "value": base64.b64encode(b).decode()}},
                    "subkeys": [],
                }
                for n, b in sorted((names or {}).items())
            ]
            keys.append(
                {"path": request["path"], "exists": names is not None, "values": {}, "subkeys": subkeys}
            )
        return {"computer_name": "FE01", "keys": keys, "services": [], "folders": [], "events": []}

    def _record_key(self, path: str) -> dict[str, Any]:
        subs = self.records.get(path.lower())
        subkeys = [
            {
                "name": n,
                "exists": True,
                "values": {k: {"type": "string", "value": v} for k, v in values.items()},
                "subkeys": [],
            }
            for n, values in sorted((subs or {}).items())
        ]
        return {"path": path, "exists": subs is not None, "values": {}, "subkeys": subkeys}

    def _regedit(self, args: dict[str, Any]) -> dict[str, Any]:
        path = args["path"]
        assert path.startswith("HKLM:\\")
        parent, _unused, name = path[len("HKLM:\\") :].rpartition("\\")
        if args.get("type") == "string" or parent.lower() in self.records:
            records = self.records.setdefault(parent.lower(), {})
            if args.get("state") == "absent":
                assert args.get("delete_key") is True and "name" not in args
                return {"changed": records.pop(name, None) is not None}
            values = records.setdefault(name, {})
            changed = values.get(args["name"]) != args["data"]
            values[args["name"]] = args["data"]
            return {"changed": changed}
        store = self.keys.setdefault(parent.lower(), {})
        if args.get("state") == "absent":
            assert args.get("delete_key") is True and "name" not in args
            return {"changed": store.pop(name, None) is not None}
        assert args["type"] == "binary" and args["name"] == "Blob"
        assert re.fullmatch(r"hex:([0-9a-f]{2},)*[0-9a-f]{2}", args["data"])
        data = bytes.fromhex(args["data"][4:].replace(",", ""))
        changed = store.get(name) != data
        store[name] = data
        return {"changed": changed}


def make_action(
    cls: Any, args: dict[str, Any], host: FakeHost, check_mode: bool = False, diff: bool = False
) -> Any:
    """An action plugin instance wired to the fake host."""
    task = SimpleNamespace(
        args=args, action="sfb.pki.test", async_val=0, check_mode=check_mode, diff=diff, environment=None
    )
    connection = mock.MagicMock()
    connection._shell.tmpdir = "/tmp/remote"
    action = cls(task, connection, mock.MagicMock(), mock.MagicMock(), mock.MagicMock())
    action._execute_module = host.execute
    action._find_needle = _find_needle
    return action


def _find_needle(dirname: str, needle: str) -> str:
    if not os.path.exists(needle):
        raise AnsibleFileNotFound(file_name=needle, paths=[dirname])
    return needle


def _simulator_faults() -> Any:
    """The simulator's fault shapes (sim_faults.py), loaded by path: the simulated collection is not on
    sys.path in unit tests, where `ansible_collections.ansible.windows` is the real one."""
    path = (
        Path(__file__).resolve().parent.parent
        / "simulator/ansible_collections/ansible/windows/plugins/module_utils/sim_faults.py"
    )
    spec = importlib.util.spec_from_file_location("sfb_sim_faults", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_FAULTS = _simulator_faults()
connection_error = _FAULTS.connection_error
script_error_result = _FAULTS.script_error_result
