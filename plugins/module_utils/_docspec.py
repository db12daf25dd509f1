# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module DOCUMENTATION options -> an ansible argument_spec, so a module's docs are its only contract.

Pure data conversion: it takes the already-parsed DOCUMENTATION mapping and imports nothing from Ansible.
"""

from __future__ import annotations

from typing import Any

# Option keys of DOCUMENTATION that mean the same in an argument_spec.
_COPIED = ("type", "required", "default", "choices", "elements", "aliases", "no_log", "apply_defaults")


def _convert_option(name: str, doc: Any, where: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ValueError(f"{where}: option {name!r} is not a mapping")
    spec: dict[str, Any] = {key: doc[key] for key in _COPIED if key in doc}
    spec.setdefault("type", "str")
    sub = doc.get("suboptions")
    if sub is not None:
        spec["options"] = options_to_spec(sub, f"{where}.{name}")
    return spec


def options_to_spec(options: Any, where: str = "options") -> dict[str, dict[str, Any]]:
    """Convert a DOCUMENTATION `options` mapping (with suboptions) into an argument_spec."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise ValueError(f"{where}: expected a mapping of options")
    return {str(name): _convert_option(str(name), doc, where) for name, doc in options.items()}


def argument_spec(documentation: Any) -> dict[str, dict[str, Any]]:
    """The argument_spec of a parsed DOCUMENTATION mapping (its `options`)."""
    if not isinstance(documentation, dict):
        raise ValueError("DOCUMENTATION is not a mapping")
    return options_to_spec(documentation.get("options"))
