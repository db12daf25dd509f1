# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shapes of the faults Windows hosts produce, copied from the real sources (test only).

Pure Python without imports from the simulator, so the unit-test fake host (tests/unit/fakehost.py)
loads this file too and fails exactly like the simulated estate.
"""

from __future__ import annotations

from typing import Any


def connection_error(kind: str, transport: str, host: str, msg: str | None) -> str:
    """The text of the AnsibleConnectionFailure the real transport raises for a fault kind.

    connection_lost (the module never started):
      psrp  - ansible-core 2.19 plugins/connection/psrp.py `Connection._connect`: requests'
              ConnectionError/ConnectTimeout while opening the runspace ->
              "Failed to connect to the host via PSRP: <requests message>".
      winrm - plugins/connection/winrm.py `Connection._winrm_connect`: every transport failed ->
              "<transport>: <message>" joined with ", ".
    reply_lost (the module ran; its output never arrived):
      psrp  - plugins/connection/psrp.py `Connection.exec_command`: requests' ReadTimeout from
              `_exec_psrp_script` -> "HTTP read timeout during PSRP script execution".
      winrm - plugins/connection/winrm.py `Connection._winrm_exec`: requests.exceptions.Timeout while
              reading the command output -> "winrm connection error: <requests message>".
    The requests/urllib3 messages are the ones those libraries format for a refused connection and a
    read timeout on port 5986.
    """
    if msg:
        detail = msg
    elif kind == "connection_lost":
        detail = (
            f"HTTPSConnectionPool(host='{host}', port=5986): Max retries exceeded with url: /wsman"
            " (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object>: Failed to"
            " establish a new connection: [Errno 111] Connection refused'))"
        )
    else:
        detail = f"HTTPSConnectionPool(host='{host}', port=5986): Read timed out. (read timeout=30)"
    if transport == "winrm":
        if kind == "connection_lost":
            return f"ntlm: {detail}"
        return f"winrm connection error: {detail}"
    if kind == "connection_lost":
        return f"Failed to connect to the host via PSRP: {detail}"
    if msg:
        return msg
    return "HTTP read timeout during PSRP script execution"


def script_error_result(message: str | None = None) -> dict[str, Any]:
    """win_powershell when the script throws (for example with $ErrorActionPreference = 'Stop').

    Shape of ansible.windows 3.3 plugins/modules/win_powershell.ps1: the `catch
    [Management.Automation.RuntimeException]` around `$ps.Invoke()` sets `failed` and adds the error
    record; the module then returns `result` (the $Ansible.Result so far, {} by default), `output`,
    `host_out`, `host_err`, the `error` records built by `Format-Exception` (message, type, help_link,
    source, hresult, inner_exception) and the debug/verbose/warning/information streams. There is no
    `msg`: the module never calls FailJson for a script failure. The message and exception type are a
    modelling guess for a denied folder; `message` replaces the message.
    """
    target = "C:\\Windows\\System32\\CertSrv\\CertEnroll"
    message = message or f"Access to the path '{target}' is denied."
    fqid = "DirUnauthorizedAccessError,Microsoft.PowerShell.Commands.GetChildItemCommand"
    output = (
        f"Get-ChildItem : {message}\r\n"
        "At line:1 char:1\r\n"
        "+ Get-ChildItem -LiteralPath $path -Force\r\n"
        "+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\r\n"
        f"    + CategoryInfo          : PermissionDenied: ({target}:String) [Get-ChildItem],"
        " UnauthorizedAccessException\r\n"
        f"    + FullyQualifiedErrorId : {fqid}\r\n"
    )
    return {
        "failed": True,
        "changed": False,
        "result": {},
        "host_out": "",
        "host_err": "",
        "output": [],
        "error": [
            {
                "output": output,
                "error_details": None,
                "exception": {
                    "message": message,
                    "type": "System.UnauthorizedAccessException",
                    "help_link": None,
                    "source": "System.Management.Automation",
                    "hresult": -2147024891,
                    "inner_exception": None,
                },
                "target_object": target,
                "category_info": {
                    "category": "PermissionDenied",
                    "category_id": 18,
                    "activity": "Get-ChildItem",
                    "reason": "UnauthorizedAccessException",
                    "target_name": target,
                    "target_type": "String",
                },
                "fully_qualified_error_id": fqid,
                "script_stack_trace": "at <ScriptBlock>, <No file>: line 1",
                "pipeline_iteration_info": [],
            }
        ],
        "debug": [],
        "verbose": [],
        "warning": [],
        "information": [],
    }
