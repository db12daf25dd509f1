# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _section_server_certificates as section
from ansible_collections.sfb.pki.plugins.module_utils._certs import Certificate, load_certificate
from ansible_collections.sfb.pki.plugins.module_utils._chain import Chain
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._lpe_roots import LPE_ROOTS, lpe_root
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest
from ansible_collections.sfb.pki.plugins.module_utils._stores import physical_store
from tests.support import pkifactory as pf

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ROOTS = Path(__file__).resolve().parents[1] / "fixtures" / "roots"
MY = physical_store("My", "registry").certificates_key
ROOT = physical_store("Root", "registry").certificates_key
CA = physical_store("CA", "registry").certificates_key


def _key(path: str, items: list[pf.Issued]) -> dict[str, Any]:
    return {
        "path": path,
        "exists": True,
        "values": {},
        "subkeys": [
            {
                "name": item.thumbprint,
                "exists": True,
                "values": {"Blob": {"type": "binary", "value": base64.b64encode(item.blob).decode()}},
                "subkeys": [],
            }
            for item in items
        ],
    }


def _snap(my: list[pf.Issued], root: list[pf.Issued], ca: list[pf.Issued]) -> Snapshot:
    return Snapshot.from_result({"keys": [_key(MY, my), _key(ROOT, root), _key(CA, ca)]})


def _ids(findings: list[Any]) -> list[str]:
    return sorted(f.id for f in findings)


@pytest.fixture(scope="module")
def pki() -> pf.Hierarchy:
    return pf.hierarchy("Contoso", now=NOW)


def test_request_reads_my_and_the_chain_pool() -> None:
    req = SnapshotRequest()
    section.request({}, req)
    assert req.keys[MY] == 1
    assert req.keys[ROOT] == 1
    assert req.keys[CA] == 1
    assert req.keys[physical_store("Root", "group_policy").certificates_key] == 1


def test_healthy_front_end_has_only_the_phone_note(pki: pf.Hierarchy) -> None:
    facts, findings = section.analyze({}, _snap([pki.leaf], [pki.root], [pki.issuing]), NOW)
    assert _ids(findings) == ["lpe_root_not_in_firmware"]
    assert findings[0].severity == "info"
    (cert,) = facts["certificates"]
    assert cert["thumbprint"] == pki.leaf.thumbprint
    assert cert["chain_complete"] is True
    assert cert["root_trusted"] is True
    assert [c["thumbprint"] for c in cert["chain"]] == [
        pki.leaf.thumbprint,
        pki.issuing.thumbprint,
        pki.root.thumbprint,
    ]
    assert cert["lpe"]["baselines"] == {"RTM": "untrusted", "CU10": "untrusted", "CU11": "untrusted"}


def test_server_auth_only_certificate_lacks_client_auth(pki: pf.Hierarchy) -> None:
    web = pf.leaf(pki.issuing, "CN=edge-int.contoso.com", ekus=(pf.SERVER_AUTH,), now=NOW)
    _unused, findings = section.analyze({}, _snap([web], [pki.root], [pki.issuing]), NOW)
    eku = [f for f in findings if f.id == "server_cert_eku"]
    assert len(eku) == 1
    assert eku[0].thumbprint == web.thumbprint
    assert "event 41026" in eku[0].symptoms
    assert "KB4023993" in eku[0].message


def test_non_server_certificates_are_ignored(pki: pf.Hierarchy) -> None:
    client = pf.leaf(pki.issuing, "CN=client", ekus=(pf.CLIENT_AUTH,), now=NOW)
    facts, findings = section.analyze({}, _snap([client, pki.issuing], [pki.root], []), NOW)
    assert facts["certificates"] == []
    assert findings == []


def test_no_eku_means_any_purpose(pki: pf.Hierarchy) -> None:
    anything = pf.leaf(pki.issuing, "CN=any.contoso.com", ekus=(), now=NOW)
    facts, findings = section.analyze({}, _snap([anything], [pki.root], [pki.issuing]), NOW)
    assert facts["certificates"][0]["client_auth"] is True
    assert "server_cert_eku" not in _ids(findings)


def test_expired_and_expiring(pki: pf.Hierarchy) -> None:
    old = pf.leaf(pki.issuing, "CN=old.contoso.com", not_before=NOW - timedelta(days=400), days=390)
    soon = pf.leaf(pki.issuing, "CN=soon.contoso.com", not_before=NOW - timedelta(days=300), days=310)
    later = pf.leaf(pki.issuing, "CN=later.contoso.com", not_before=NOW - timedelta(days=300), days=340)
    _unused, findings = section.analyze({}, _snap([old, soon, later], [pki.root], [pki.issuing]), NOW)
    by_id = {(f.id, f.thumbprint) for f in findings}
    assert ("server_cert_expired", old.thumbprint) in by_id
    assert ("server_cert_expiring", soon.thumbprint) in by_id
    assert not any(t == later.thumbprint and i.startswith("server_cert_exp") for i, t in by_id)
    _unused, findings = section.analyze(
        {"server_certificate_expiry_days": 60}, _snap([later], [pki.root], [pki.issuing]), NOW
    )
    assert "server_cert_expiring" in _ids(findings)


def test_missing_intermediate_and_untrusted_root(pki: pf.Hierarchy) -> None:
    _unused, findings = section.analyze({}, _snap([pki.leaf], [pki.root], []), NOW)
    incomplete = [f for f in findings if f.id == "server_cert_chain_incomplete"]
    assert len(incomplete) == 1
    assert "not in the pool" in incomplete[0].message
    # root only in the CA store: the chain completes but does not end in Trusted Root
    _unused, findings = section.analyze({}, _snap([pki.leaf], [], [pki.issuing, pki.root]), NOW)
    untrusted = [f for f in findings if f.id == "server_cert_chain_incomplete"]
    assert "not in the machine's Trusted Root" in untrusted[0].message


def test_corrupt_blob_is_skipped(pki: pf.Hierarchy) -> None:
    raw = {
        "keys": [
            {
                "path": MY,
                "exists": True,
                "values": {},
                "subkeys": [
                    {"name": "00" * 20, "values": {"Blob": {"type": "binary", "value": "AAAA"}}},
                    {"name": "11" * 20, "values": {"Blob": {"type": "binary", "value": "!!notbase64"}}},
                    {"name": "22" * 20, "values": {}},
                ],
            }
        ]
    }
    facts, findings = section.analyze({}, Snapshot.from_result(raw), NOW)
    assert facts == {"certificates": []}
    assert findings == []


@pytest.mark.parametrize("bad", [-1, 4000, "30", True])
def test_bad_expiry_days(bad: object) -> None:
    with pytest.raises(PkiInputError, match="server_certificate_expiry_days"):
        section.request({"server_certificate_expiry_days": bad}, SnapshotRequest())


# --- Lync Phone Edition verdicts against the real public roots of the seed 002 table -----------------


def _real_root(thumbprint: str) -> Certificate:
    return load_certificate((ROOTS / f"{thumbprint}.pem").read_bytes(), thumbprint)


def _chain_to(root: Certificate, leaf: pf.Issued) -> Chain:
    leaf_cert = load_certificate(leaf.der, "leaf")
    return Chain((leaf_cert, root), root, True)


DIGICERT_GLOBAL = "A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436"
DIGICERT_EV = "5FB7EE0633E259DBAD0C4C9AE6D38F1A61C7DC25"
GO_DADDY_CLASS2 = "2796BAE63F1801E277261BA0D77770028F20EEE4"
BALTIMORE = "D4DE20D05E66FC53FE1A50882C78DB2852CAE474"


def test_fixture_roots_are_the_table_roots() -> None:
    files = sorted(p.stem for p in ROOTS.glob("*.pem"))
    assert len(files) == 13
    for thumbprint in files:
        assert _real_root(thumbprint).thumbprint == thumbprint
        assert lpe_root(thumbprint) is not None


@pytest.mark.parametrize(
    ("thumbprint", "expected"),
    [
        (DIGICERT_GLOBAL, {"RTM": "untrusted", "CU10": "untrusted", "CU11": "trusted"}),
        (DIGICERT_EV, {"RTM": "untrusted", "CU10": "trusted", "CU11": "trusted"}),
        (GO_DADDY_CLASS2, {"RTM": "trusted", "CU10": "trusted", "CU11": "trusted"}),
        (BALTIMORE, {"RTM": "expired", "CU10": "expired", "CU11": "expired"}),
    ],
)
def test_lpe_verdicts_real_roots(pki: pf.Hierarchy, thumbprint: str, expected: dict[str, str]) -> None:
    verdict = section.lpe_verdicts(_chain_to(_real_root(thumbprint), pki.leaf), NOW)
    assert verdict["baselines"] == expected
    assert verdict["anchor"]["thumbprint"] == thumbprint


def test_lpe_finding_names_the_first_trusting_firmware(pki: pf.Hierarchy) -> None:
    root = _real_root(DIGICERT_GLOBAL)
    leaf = load_certificate(pki.leaf.der, "leaf")
    chain = _chain_to(root, pki.leaf)
    (finding,) = section._lpe_findings(leaf, chain, section.lpe_verdicts(chain, NOW))
    assert finding.id == "lpe_firmware_baseline"
    assert "from CU11 (4.0.7577.4420)" in finding.message
    chain = _chain_to(_real_root(BALTIMORE), pki.leaf)
    (finding,) = section._lpe_findings(leaf, chain, section.lpe_verdicts(chain, NOW))
    assert finding.id == "lpe_root_expired"
    chain = _chain_to(_real_root(GO_DADDY_CLASS2), pki.leaf)
    assert section._lpe_findings(leaf, chain, section.lpe_verdicts(chain, NOW)) == []


def test_lpe_unknown_when_the_chain_is_broken(pki: pf.Hierarchy) -> None:
    leaf = load_certificate(pki.leaf.der, "leaf")
    verdict = section.lpe_verdicts(Chain((leaf,), None, False, "issuer missing"), NOW)
    assert set(verdict["baselines"].values()) == {"unknown"}
    assert verdict["anchor"] is None


def test_section_reports_lpe_baseline_through_the_snapshot(pki: pf.Hierarchy, monkeypatch: Any) -> None:
    # the factory root stands in for DigiCert Global Root CA (whose key nobody here has)
    entry = lpe_root(DIGICERT_GLOBAL)
    monkeypatch.setattr(section, "lpe_root", lambda t: entry if t == pki.root.thumbprint else None)
    facts, findings = section.analyze({}, _snap([pki.leaf], [pki.root], [pki.issuing]), NOW)
    assert _ids(findings) == ["lpe_firmware_baseline"]
    assert facts["certificates"][0]["lpe"]["baselines"]["CU11"] == "trusted"
    assert facts["certificates"][0]["lpe"]["baselines"]["RTM"] == "untrusted"


def test_table_is_complete() -> None:
    assert len(LPE_ROOTS) == 34
    assert len({r.thumbprint for r in LPE_ROOTS}) == 34
    assert {r.added for r in LPE_ROOTS} == {"RTM", "CU10", "CU11"}
    assert lpe_root("a8:98:5d:3a:65:e5:e5:c4:b2:d7:d6:6d:40:c6:dd:2f:b1:9c:54:36") is not None
