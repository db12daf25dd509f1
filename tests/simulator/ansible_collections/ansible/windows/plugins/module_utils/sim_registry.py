# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_regedit and win_reg_stat against the simulated registry (semantics of the real .ps1)."""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.ansible.windows.plugins.module_utils import sim_host

_PS_PATH = re.compile(r"^HK(CC|CR|CU|LM|U):\\")
_REG_NAMES = {
    "binary": "REG_BINARY",
    "string": "REG_SZ",
    "dword": "REG_DWORD",
    "qword": "REG_QWORD",
    "multistring": "REG_MULTI_SZ",
    "expandstring": "REG_EXPAND_SZ",
    "none": "REG_NONE",
}
_DIFF_TYPES = {
    "binary": "Binary",
    "string": "String",
    "dword": "DWord",
    "qword": "QWord",
    "multistring": "MultiString",
    "expandstring": "ExpandString",
    "none": "None",
}


def _hex_bytes(text: str) -> bytes:
    """Convert-RegExportHexStringToByteArray of the real module."""
    value = re.sub(r"^hex:", "", text.lower())
    value = re.sub(r"[^a-f0-9\\,x\-:]", "", value).replace(",", ":")
    if not value:
        return b""
    if len(value) == 1:
        return bytes([int(value, 16)])
    if len(value) % 2 == 0 and ":" not in value:
        return bytes.fromhex(value)
    if ":" in value:
        return bytes(int(part, 16) for part in re.split(":+", value) if part)
    return b""


def _coerce(module: Any, vtype: str, data: Any, name: str | None) -> Any:
    if vtype in ("binary", "none"):
        if data is None:
            data = ""
        if isinstance(data, str):
            return _hex_bytes(data)
        if isinstance(data, int) and not isinstance(data, bool):
            if data > 255:
                module.fail_json(
                    msg=f"cannot convert binary data '{data}' to byte array, please specify this value as a "
                    "yaml byte array or a comma separated hex value string"
                )
            return bytes([data])
        if isinstance(data, list):
            return bytes(int(b, 0) if isinstance(b, str) else int(b) for b in data)
        module.fail_json(msg=f"cannot convert binary data {data!r}")
    if vtype in ("dword", "qword"):
        if data is None:
            data = 0
        if isinstance(data, str):
            data = int(data, 0)
        elif isinstance(data, float):
            if data % 1:
                module.fail_json(
                    msg=f"data '{data}' cannot be a decimal or float value with a remainder "
                    "when type is dword or qword"
                )
            data = int(data)
        if vtype == "dword" and data > 0xFFFFFFFF:
            module.fail_json(msg="data cannot be larger than 0xffffffff when type is dword")
        if vtype == "qword" and data > 0xFFFFFFFFFFFFFFFF:
            module.fail_json(msg="data cannot be larger than 0xffffffffffffffff when type is qword")
        return int(data)
    if vtype in ("string", "expandstring"):
        if data is None and name:
            return ""
        return None if data is None else str(data)
    if vtype == "multistring":
        if data is None:
            return []
        if isinstance(data, list):
            return [str(x) for x in data]
        return [str(data)]
    return data


def _diff_value(item: dict[str, Any]) -> dict[str, Any]:
    value = item["value"]
    if item["type"] in ("binary", "none"):
        value = [f"0x{b:02x}" for b in bytes(value)]
    elif item["type"] == "dword":
        value = f"0x{value:08x}"
    elif item["type"] == "qword":
        value = f"0x{value:016x}"
    return {"type": _DIFF_TYPES[item["type"]], "value": value}


def regedit(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_regedit."""
    params = module.params
    path: str = params["path"]
    name = params["name"]
    data = params["data"]
    vtype: str = params["type"]
    state: str = params["state"]
    warnings: list[str] = []
    if params.get("hive"):
        raise sim_host.SimError("win_regedit 'hive' (loading a hive file) is not modelled")
    if name is None and vtype != "string":
        warnings.append(
            "the data type when name is not specified can only be 'string', "
            "the type has automatically been converted"
        )
        vtype = "string"
    if not _PS_PATH.match(path):
        module.fail_json(
            msg=f"path: {path} is not a valid powershell path, see module documentation for examples."
        )
    if name == "":
        name = None
    data = _coerce(module, vtype, data, name)
    reg = host.registry
    result: dict[str, Any] = {"changed": False, "data_changed": False, "data_type_changed": False}
    before: Any = ""
    after: Any = ""
    if state == "present":
        if not reg.exists(path):
            reg.create(path)
            result["changed"] = True
            before, after = {}, {path: {}}
        else:
            before, after = {path: {}}, {path: {}}
        if data is not None:
            prop = name or ""
            existing = reg.get(path, prop)
            new = {"type": vtype, "value": data}
            if existing is not None:
                mismatch = existing["value"] != data
                if existing["type"] != vtype:
                    result["data_type_changed"] = True
                    result["data_changed"] = mismatch
                    change = True
                else:
                    change = mismatch
                    result["data_changed"] = mismatch
                if change:
                    reg.set(path, prop, vtype, data)
                    result["changed"] = True
                    before[path][prop] = _diff_value(existing)
                    after[path][prop] = _diff_value(new)
                else:
                    before[path][prop] = after[path][prop] = _diff_value(existing)
            else:
                reg.set(path, prop, vtype, data)
                result["changed"] = True
                after[path][prop] = _diff_value(new)
    elif reg.exists(path):
        if params["delete_key"] and not name:
            reg.delete_tree(path)
            result["changed"] = True
            before, after = {path: {}}, {}
        else:
            existing = reg.get(path, name or "")
            if existing is not None:
                reg.delete_value(path, name or "")
                result["changed"] = True
                before, after = {path: {name: _diff_value(existing)}}, {path: {}}
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    if warnings:
        result["warnings"] = warnings
    return result


def _property(host: sim_host.Host, item: dict[str, Any]) -> dict[str, Any]:
    vtype = item["type"]
    value = item["value"]
    raw = value
    if vtype in ("binary", "none"):
        value = list(bytes(value))
        raw = [f"0x{b:02x}" for b in bytes(item["value"])]
    elif vtype == "expandstring":
        value = host.expand(value) if "%" in value else value
    return {"type": _REG_NAMES[vtype], "value": value, "raw_value": raw}


def reg_stat(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_reg_stat."""
    path: str = module.params["path"]
    name = module.params["name"]
    if not _PS_PATH.match(path):
        module.fail_json(
            msg=f"path: {path} is not a valid registry path, see module documentation for examples."
        )
    reg = host.registry
    result: dict[str, Any] = {"changed": False}
    if not reg.exists(path):
        result["exists"] = False
        return result
    if name is None:
        props = {}
        for prop, item in reg.values(path).items():
            props[prop] = _property(host, item)
        result.update({"exists": True, "properties": props, "sub_keys": reg.subkeys(path)})
        return result
    item = reg.get(path, name)
    if item is None:
        result["exists"] = False
        return result
    result["exists"] = True
    result.update(_property(host, item))
    return result
