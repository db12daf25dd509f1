# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_copy, win_file and win_stat against the simulated file system (Windows paths, case-insensitive)."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from ansible_collections.ansible.windows.plugins.module_utils import sim_host


def _checksum(content: bytes, algorithm: str = "sha1") -> str:
    return hashlib.new(algorithm, content, usedforsecurity=False).hexdigest()


def copy(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_copy: `content`, or `src` (a controller file, or a host file with remote_src)."""
    params = module.params
    dest = host.expand(params["dest"])
    src = params.get("src")
    content = params.get("content")
    if src is None and content is None:
        module.fail_json(msg="src (or content) must be set")
    if src is not None and content is not None:
        module.fail_json(msg="src and content are mutually exclusive")
    if content is not None:
        data = content.encode("utf-8")
        basename = params.get("_original_basename") or os.path.basename(dest.replace("\\", "/"))
    elif params.get("remote_src"):
        entry = host.file(src)
        if entry is None:
            module.fail_json(msg=f"Cannot copy src file: '{src}' as it does not exist")
        data = entry["content"]
        basename = host.expand(src).rsplit("\\", 1)[-1]
    else:
        if not os.path.isfile(src):
            module.fail_json(msg=f"Could not find or access '{src}' on the Ansible Controller.")
        with open(src, "rb") as handle:
            data = handle.read()
        basename = params.get("_original_basename") or os.path.basename(src)
    into_folder = str(params["dest"]).endswith(("\\", "/")) or host.is_dir(dest)
    if into_folder:
        dest = dest.rstrip("\\") + "\\" + basename
    parent = dest.rsplit("\\", 1)[0]
    existing = host.file(dest)
    if not host.is_dir(parent):
        if module.check_mode and not params.get("remote_src"):
            # The real action (ansible.windows 3.3 plugins/action/win_copy.py, run()) first calls the
            # module with _copy_mode=query, which lists a file whose path does not exist as to be copied
            # (win_copy.ps1, `if ($copy_mode -eq "query")`: Test-Path on the missing file is false);
            # _copy_single_file() then returns dict(changed=True) in check mode without another module
            # call. So check mode reports `changed` for a missing destination folder; only the real run
            # fails (below).
            return {
                "changed": True,
                "dest": dest,
                "checksum": _checksum(data),
                "size": len(data),
                "operation": "file_copy",
                "original_basename": basename,
            }
        if not into_folder:
            # win_copy.ps1 `_copy_mode -eq "single"`: a dest that names the file itself must have its
            # parent; "Destination directory '$parent_dir' does not exist".
            module.fail_json(msg=f"Destination directory '{parent}' does not exist")
        # ... while a dest folder given with a trailing backslash is created (New-Item -ItemType Directory).
        host.mkdir(parent)
    result: dict[str, Any] = {
        "changed": False,
        "dest": dest,
        "checksum": _checksum(data),
        "size": len(data),
        "operation": "file_copy",
        "original_basename": basename,
    }
    if src is not None:
        result["src"] = src
    if existing is not None and (existing["content"] == data or not params["force"]):
        return result
    if existing is not None and params["backup"]:
        stamp = sim_host.now_utc().strftime("%Y-%m-%d@%H:%M:%S")
        backup = f"{dest}.{os.getpid()}.{stamp}~"
        host.write_file(backup, existing["content"], existing["modified"])
        result["backup_file"] = backup
    host.write_file(dest, data)
    result["changed"] = True
    return result


def file(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_file."""
    path = host.expand(module.params["path"])
    state = module.params.get("state")
    exists_file = host.file(path) is not None
    exists_dir = host.is_dir(path)
    if state is None:
        state = "directory" if exists_dir else "file"
    if state == "absent":
        changed = host.remove_path(path)
        return {"changed": changed}
    if state == "directory":
        if exists_file:
            module.fail_json(msg=f"path {path} is not a directory")
        return {"changed": host.mkdir(path)}
    if state == "touch":
        entry = host.file(path)
        host.write_file(path, entry["content"] if entry else b"")
        return {"changed": True}
    if not exists_file:
        if exists_dir:
            module.fail_json(msg=f"path {path} is not a file")
        module.fail_json(msg=f"path {path} will not be created")
    return {"changed": False}


def stat(module: Any, host: sim_host.Host) -> dict[str, Any]:
    """ansible.windows.win_stat."""
    raw = module.params["path"]
    path = host.expand(raw)
    entry = host.file(path)
    info: dict[str, Any] = {"exists": False}
    if entry is not None:
        content: bytes = entry["content"]
        name = str(entry["path"]).rsplit("\\", 1)[-1]
        when = entry["modified"].timestamp()
        info = {
            "exists": True,
            "attributes": "Archive",
            "creationtime": when,
            "lastaccesstime": when,
            "lastwritetime": when,
            "extension": ("." + name.rsplit(".", 1)[-1]) if "." in name else "",
            "filename": name,
            "hlnk_targets": [],
            "isarchive": True,
            "isdir": False,
            "ishidden": False,
            "isjunction": False,
            "islnk": False,
            "isreadonly": False,
            "isreg": True,
            "isshared": False,
            "nlink": 1,
            "owner": "BUILTIN\\Administrators",
            "path": entry["path"],
        }
        if module.params["get_size"]:
            info["size"] = len(content)
        if module.params["get_checksum"]:
            info["checksum"] = _checksum(content, module.params["checksum_algorithm"])
    elif host.is_dir(path):
        name = path.rstrip("\\").rsplit("\\", 1)[-1]
        info = {
            "exists": True,
            "attributes": "Directory",
            "filename": name,
            "extension": "",
            "isarchive": False,
            "isdir": True,
            "ishidden": False,
            "isjunction": False,
            "islnk": False,
            "isreadonly": False,
            "isreg": False,
            "isshared": False,
            "nlink": 1,
            "owner": "BUILTIN\\Administrators",
            "path": path,
            "hlnk_targets": [],
        }
        if module.params["get_size"]:
            info["size"] = sum(
                len(f["content"]) for k, f in host.files.items() if k.startswith(path.lower() + "\\")
            )
    return {"changed": False, "stat": info}
