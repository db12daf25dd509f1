# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Findings: severities and the JSON shape modules return."""

from __future__ import annotations

import pytest

from ansible_collections.sfb.pki.plugins.module_utils._findings import Finding, severity_rank


def test_severity_order():
    assert severity_rank("info") < severity_rank("warning") < severity_rank("critical")
    with pytest.raises(ValueError):
        severity_rank("fatal")


def test_unknown_severity_is_rejected_at_construction():
    with pytest.raises(ValueError):
        Finding("x", "bad", "m", "f")


def test_as_dict_defaults_object_to_thumbprint():
    finding = Finding(
        "root.subordinate_in_root", "critical", "not a root", "move it", thumbprint="AB", symptoms=("32042",)
    )
    assert finding.as_dict() == {
        "id": "root.subordinate_in_root",
        "severity": "critical",
        "object": "AB",
        "thumbprint": "AB",
        "message": "not a root",
        "fix": "move it",
        "symptoms": ["32042"],
    }
    assert Finding("s", "info", "m", "f", object="RTCCLSAGT").as_dict()["object"] == "RTCCLSAGT"
