# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""crl_install's pure planning helpers: CDP targets and folders, the planned CRL of check mode."""

from __future__ import annotations

import pytest
from crlkit import make_ca, make_crl

from ansible_collections.sfb.pki.plugins.action.crl_install import (
    cdp_target,
    missing_folders,
    planned_install,
)
from ansible_collections.sfb.pki.plugins.module_utils._crl import load_crl
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot


@pytest.fixture(scope="module")
def crls():  # type: ignore[no-untyped-def]
    root = make_ca("Contoso Root CA")
    return {n: load_crl(make_crl(root, number=n), f"crl {n}") for n in (4, 5)}


def test_cdp_target_of_a_folder_and_of_a_file() -> None:
    assert cdp_target("C:\\pki\\", "Root.crl") == ("C:\\pki\\Root.crl", "C:\\pki", "Root.crl")
    assert cdp_target("C:\\pki\\cdp\\Other.CRL", "Root.crl") == (
        "C:\\pki\\cdp\\Other.CRL",
        "C:\\pki\\cdp",
        "Other.CRL",
    )


def test_missing_folders_come_from_the_snapshot_once_each() -> None:
    snap = Snapshot.from_result(
        {
            "folders": [
                {"path": "C:\\pki", "exists": False, "files": []},
                {"path": "C:\\web", "exists": True, "files": []},
            ]
        }
    )
    cdp = [cdp_target(p, "Root.crl") for p in ("C:\\pki", "C:\\pki\\b.crl", "C:\\web", "C:\\unread")]
    assert missing_folders(snap, cdp) == ["C:\\pki"]  # a folder not in the read is not called missing


def test_planned_crl_is_installed_only_when_newer(crls) -> None:  # type: ignore[no-untyped-def]
    current = crls[4]
    planned = {"crl_number": 5, "issuer": "cn=contoso root ca", "this_update": "t", "next_update": "n"}
    found = planned_install(planned, current, current, check=True)
    assert found is not None and found["crl_number"] == 5 and found["planned"] is True
    assert found["issuer"] == current.issuer
    assert planned_install({"crl_number": 4}, current, current, check=True) is None
    assert planned_install({"crl_number": 5}, current, crls[5], check=True) is None
    assert planned_install({"crl_number": 1}, current, None, check=True) is not None  # nothing installed
    assert planned_install(None, current, current, check=True) is None


@pytest.mark.parametrize(
    ("planned", "check", "words"),
    [
        ({"crl_number": 5}, False, "only for check mode"),
        ({"crl_number": "5"}, True, "whole number"),
        ({"crl_number": True}, True, "whole number"),
        ({"crl_number": 5, "issuer": "CN=Someone Else"}, True, "is not the issuer"),
    ],
)
def test_bad_planned_names_the_option(crls, planned, check, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PkiInputError, match=words) as err:
        planned_install(planned, crls[4], crls[4], check=check)
    assert str(err.value).startswith("planned")
