# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one simulated ansible.windows module: real argument rules, faults, state, call log.

Test-only. Every fake module is `run("win_x", handler)`. The argument spec is built at run time
from the REAL module's DOCUMENTATION (options, types, choices, required, elements, aliases,
defaults, suboptions) and the real `.ps1`'s top-level `mutually_exclusive` / `required_one_of` /
`required_together` / `required_if` / `required_by` / `supports_check_mode`, both read from the
ansible.windows installed beside this interpreter. A call the real module would reject fails here too.
"""

from __future__ import annotations

import ast
import os
import re
import sys
import sysconfig
import time
from collections.abc import Callable
from typing import Any

import yaml
from ansible.module_utils.basic import AnsibleModule, _load_params

from ansible_collections.ansible.windows.plugins.module_utils import sim_host
from ansible_collections.ansible.windows.plugins.module_utils.sim_faults import script_error_result

ENV_REAL = "SFB_SIM_REAL_WINDOWS"

# Internal options the real action plugins pass to their modules.
_INTERNAL = {
    "win_copy": {
        "_copy_mode": {"type": "str"},
        "_original_basename": {"type": "str"},
        "_ansible_remote_tmp_src": {"type": "str"},
    },
    # win_shell documents its free-form command as `free_form`; the real .ps1 reads `_raw_params`.
    "win_shell": {"_raw_params": {"type": "str", "required": True}},
}
# Documentation-only option names that the real module never receives.
_DOC_ONLY = {"win_shell": ("free_form",)}


def real_collection_dir() -> str:
    """Folder of the real, installed ansible.windows (never this simulator)."""
    override = os.environ.get(ENV_REAL)
    if override:
        return override
    for base in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]):
        path = os.path.join(base, "ansible_collections", "ansible", "windows")
        if os.path.isfile(os.path.join(path, "plugins", "modules", "win_ping.ps1")):
            return path
    raise sim_host.SimError(
        "the real ansible.windows collection is not installed beside this interpreter "
        f"({sysconfig.get_paths()['purelib']}); set {ENV_REAL}"
    )


def real_documentation(name: str) -> dict[str, Any]:
    """The parsed DOCUMENTATION of a real ansible.windows module."""
    path = os.path.join(real_collection_dir(), "plugins", "modules", name + ".py")
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "DOCUMENTATION" for t in node.targets
        ):
            doc = yaml.load(
                ast.literal_eval(node.value), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            )
            if not isinstance(doc, dict):
                break
            return doc
    raise sim_host.SimError(f"no DOCUMENTATION in {path}")


def options_to_spec(options: dict[str, Any]) -> dict[str, Any]:
    """AnsibleModule argument_spec from documented options."""
    spec: dict[str, Any] = {}
    for name, opt in (options or {}).items():
        opt = opt or {}
        entry: dict[str, Any] = {"type": opt.get("type", "str")}
        if entry["type"] == "path":
            # Windows paths: expanded by the fake against the host's environment, not the controller's.
            entry["type"] = "str"
        for field in ("choices", "required", "elements", "aliases", "default", "no_log"):
            if field in opt:
                entry[field] = opt[field]
        # Explicit no_log (the real .ps1 specs hide passwords) keeps AnsibleModule from warning.
        entry.setdefault("no_log", name == "password")
        if entry.get("elements") == "path":
            entry["elements"] = "str"
        if "suboptions" in opt:
            entry["options"] = options_to_spec(opt["suboptions"])
        spec[name] = entry
    return spec


def _ps_literal(text: str) -> Any:
    """A PowerShell array/hashtable literal of strings as Python data."""
    body = re.sub(r"#.*", "", text)
    body = body.replace("$true", "True").replace("$false", "False")
    body = re.sub(r"@\{", "{", body)
    body = re.sub(r"([A-Za-z_][A-Za-z0-9_]*)\s*=", r"'\1':", body)
    body = body.replace(";", ",")
    body = re.sub(r"@\(", "[", body)
    body = body.replace(")", "]")
    body = re.sub(r"\[\s*,", "[", body)
    body = re.sub(r"\n\s*'", ", '", body)
    body = re.sub(r"\]\s*\n\s*\[", "], [", body)
    body = re.sub(r"\]\s*\n\s*,", "],", body)
    body = re.sub(r",\s*,", ",", body)
    body = re.sub(r"\{\s*,", "{", body)
    return ast.literal_eval(body.strip())


def real_constraints(name: str) -> dict[str, Any]:
    """Top-level argument constraints and check-mode support declared by the real module's .ps1."""
    path = os.path.join(real_collection_dir(), "plugins", "modules", name + ".ps1")
    with open(path, encoding="utf-8-sig") as handle:
        text = handle.read()
    result: dict[str, Any] = {}
    legacy = re.search(r"Parse-Args\b.*-supports_check_mode\s+\$(true|false)", text, re.I)
    if legacy:
        result["supports_check_mode"] = legacy.group(1).lower() == "true"
        return result
    options = re.search(r"^(\s*)options\s*=\s*@\{", text, re.M)
    if not options:
        return result
    indent = options.group(1)
    check = re.search(rf"^{indent}supports_check_mode\s*=\s*\$(true|false)", text, re.M | re.I)
    if check:
        result["supports_check_mode"] = check.group(1).lower() == "true"
    for field in ("mutually_exclusive", "required_one_of", "required_together", "required_if", "required_by"):
        match = re.search(rf"^{indent}{field}\s*=\s*(@[({{])", text, re.M)
        if not match:
            continue
        start = match.start(1)
        depth = 0
        end = start
        for pos in range(start + 1, len(text)):
            char = text[pos]
            if char in "({":
                depth += 1
            elif char in ")}":
                depth -= 1
                if depth == 0:
                    end = pos + 1
                    break
        value = _ps_literal(text[start:end])
        if field == "required_by":
            result[field] = {k: list(v) if isinstance(v, list) else [v] for k, v in value.items()}
        else:
            result[field] = [list(item) for item in value]
    return result


def build_argument_spec(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(argument_spec, AnsibleModule keyword arguments) mirroring the real module."""
    doc = real_documentation(name)
    spec = options_to_spec(doc.get("options") or {})
    spec.update(_INTERNAL.get(name, {}))
    for placeholder in _DOC_ONLY.get(name, ()):
        spec.pop(placeholder, None)
    return spec, real_constraints(name)


class SimModule(AnsibleModule):  # type: ignore[misc]
    """AnsibleModule that writes every outcome to the host's call log."""

    sim_name = ""
    sim_state_path = ""
    sim_raw_args: dict[str, Any] = {}  # noqa: RUF012
    sim_started = 0.0
    sim_fault: dict[str, Any] | None = None  # the fault this call carries (reply_lost: after the work)

    def _sim_log(self, result: dict[str, Any]) -> None:
        if not self.sim_state_path:
            return
        args = {k: v for k, v in self.sim_raw_args.items() if not k.startswith("_ansible_")}
        entry = {
            "time": sim_host.iso(sim_host.now_utc()),
            "module": self.sim_name,
            "args": args,
            "changed": bool(result.get("changed", False)),
            "failed": bool(result.get("failed", False)),
            "skipped": bool(result.get("skipped", False)),
            "unreachable": bool(result.get("unreachable", False)),
            "check_mode": bool(self.sim_raw_args.get("_ansible_check_mode", False)),
            "diff_mode": bool(self.sim_raw_args.get("_ansible_diff", False)),
            "duration": round(time.monotonic() - self.sim_started, 4),
        }
        if "rc" in result:
            entry["rc"] = result["rc"]
        if result.get("msg") and (entry["failed"] or entry["unreachable"]):
            entry["msg"] = result["msg"]
        if self.sim_fault is not None:
            kind = str(self.sim_fault.get("kind", "failed"))
            entry["fault"] = "connection_lost" if kind == "unreachable" else kind
            if entry["fault"] == "connection_lost":
                entry["unreachable"] = True
        sim_host.append_call(self.sim_state_path, entry)

    def exit_json(self, **kwargs: Any) -> None:
        """Log, then exit like AnsibleModule (or lose the reply, after the work, for reply_lost)."""
        self._sim_log(kwargs)
        if self.sim_fault is not None:
            _emit(_fault_result(self.sim_name, self.sim_fault))
        super().exit_json(**kwargs)

    def fail_json(self, msg: str, **kwargs: Any) -> None:
        """Log, then fail like AnsibleModule (or lose the reply, for reply_lost)."""
        self._sim_log({**kwargs, "msg": msg, "failed": True})
        if self.sim_fault is not None:
            _emit(_fault_result(self.sim_name, self.sim_fault))
        super().fail_json(msg=msg, **kwargs)


def _emit(result: dict[str, Any]) -> None:
    import json

    print(json.dumps(result))
    sys.exit(1 if result.get("failed") else 0)


# Fault kinds a lost connection produces. A module cannot raise on the controller, so the fake marks its
# output with CONNECTION_MARKER and the test connection plugin `ansible.windows.sim_local`
# (plugins/connection/sim_local.py) turns the mark into the exception psrp or winrm raises.
CONNECTION_MARKER = "_sfb_sim_connection_fault"
# connection_lost (alias unreachable): raised before the module runs, nothing changes on the host.
# reply_lost: the module runs and changes the host; its reply never reaches the controller.
CONNECTION_KINDS = ("connection_lost", "unreachable", "reply_lost")
FAULT_KINDS = ("failed", "script_error", *CONNECTION_KINDS)
TRANSPORTS = ("psrp", "winrm")


def _connection_mark(name: str, fault: dict[str, Any]) -> dict[str, Any]:
    """The module output the sim_local connection plugin turns into an AnsibleConnectionFailure.

    Without that connection plugin the output is a loud failure: the fault would otherwise be lost.
    """
    kind = "connection_lost" if fault.get("kind") == "unreachable" else str(fault["kind"])
    transport = str(fault.get("transport") or "psrp")
    if transport not in TRANSPORTS:
        raise sim_host.SimError(f"fault transport {transport!r} is not one of {', '.join(TRANSPORTS)}")
    return {
        "failed": True,
        "changed": False,
        "msg": f"simulator: fault kind {kind} on {name} needs ansible_connection ansible.windows.sim_local",
        CONNECTION_MARKER: {"kind": kind, "transport": transport, "module": name, "msg": fault.get("msg")},
    }


def _fault_result(name: str, fault: dict[str, Any]) -> dict[str, Any]:
    kind = str(fault.get("kind", "failed"))
    msg = str(fault.get("msg") or "")
    if kind not in FAULT_KINDS:
        raise sim_host.SimError(f"fault kind {kind!r} is not one of {', '.join(FAULT_KINDS)}")
    if kind in CONNECTION_KINDS:
        return _connection_mark(name, fault)
    if kind == "script_error":
        if name != "win_powershell":
            raise sim_host.SimError(f"fault kind script_error applies to win_powershell only, not {name}")
        return script_error_result(fault.get("msg"))
    rc = int(fault.get("rc", 1))
    result = {"failed": True, "changed": False, "msg": msg or f"simulated fault: {name} failed with rc {rc}"}
    if name in ("win_command", "win_shell"):
        result.update(
            {
                "rc": rc,
                "stdout": "",
                "stderr": result["msg"],
                "stdout_lines": [],
                "stderr_lines": [result["msg"]],
            }
        )
    return result


def take_fault(host: sim_host.Host, name: str) -> dict[str, Any] | None:
    """Consume one pending fault for this module, if any."""
    for fault in host.faults:
        target = str(fault.get("module", ""))
        if target.rsplit(".", maxsplit=1)[-1] == name and int(fault.get("count", 1)) > 0:
            if int(fault.get("after", 0)) > 0:  # let this many matching calls through first
                fault["after"] = int(fault["after"]) - 1
                sim_host.save_host(host)
                return None
            fault["count"] = int(fault.get("count", 1)) - 1
            host.faults = [f for f in host.faults if int(f.get("count", 1)) > 0]
            return fault
    return None


Handler = Callable[[SimModule, sim_host.Host], dict[str, Any]]


def run(name: str, handler: Handler, extra_kwargs: dict[str, Any] | None = None) -> None:
    """Entry point of every fake module."""
    started = time.monotonic()
    raw = _load_params()
    try:
        state_path = sim_host.state_path_from_env()
    except sim_host.SimError as err:
        _emit({"failed": True, "msg": str(err)})
        return
    SimModule.sim_name = name
    SimModule.sim_state_path = state_path
    SimModule.sim_raw_args = dict(raw)
    SimModule.sim_started = started
    SimModule.sim_fault = None
    with sim_host.locked(state_path):
        host = sim_host.load_host(state_path)
        fault = take_fault(host, name)
        if fault is not None:
            sim_host.save_host(host)
            if fault.get("kind") == "reply_lost":
                SimModule.sim_fault = fault  # the module runs and changes the host; the reply is lost
            else:
                try:
                    result = _fault_result(name, fault)
                except sim_host.SimError as err:
                    result = {"failed": True, "msg": f"simulator: {err}"}
                logger = SimModule.__new__(SimModule)
                logger.sim_fault = fault
                logger._sim_log(result)
                _emit(result)
                return
        spec, kwargs = build_argument_spec(name)
        kwargs.update(extra_kwargs or {})
        module = SimModule(argument_spec=spec, **kwargs)
        try:
            result = handler(module, host)
        except sim_host.SimError as err:
            module.fail_json(msg=f"simulator: {err}")
            return
        if result.get("failed"):
            msg = result.pop("msg", f"{name} failed")
            result.pop("failed")
            module.fail_json(msg=msg, **result)
            return
        if (result.get("changed") and not module.check_mode) or result.pop("_save", False):
            sim_host.save_host(host)
        result.pop("_save", None)
        module.exit_json(**result)


def check_mode_of(module: SimModule) -> bool:
    """Whether the task runs in check mode."""
    return bool(module.check_mode)


def diff_of(module: SimModule) -> bool:
    """Whether the task asked for a diff."""
    return bool(module._diff)
