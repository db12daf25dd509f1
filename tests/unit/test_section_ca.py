# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `ca` section of host_info: CA configuration and CertEnroll CRLs from one snapshot."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from crlkit import NOW, make_ca, make_crl

from ansible_collections.sfb.pki.plugins.module_utils import _host
from ansible_collections.sfb.pki.plugins.module_utils import _section_ca as ca
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest

CA_NAME = "Contoso Root CA"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def snapshot(files, ca_values=None, exists=True, active=CA_NAME, expanded=False):
    """A snapshot as the script returns it for a CA host."""
    values = {
        "CRLPeriod": {"type": "string", "value": "Months"},
        "CRLPeriodUnits": {"type": "dword", "value": 7},
        "CRLOverlapPeriod": {"type": "string", "value": "Weeks"},
        "CRLOverlapUnits": {"type": "dword", "value": 2},
        "CAType": {"type": "dword", "value": 3},
        "CRLPublicationURLs": {
            "type": "multistring",
            "value": ["65:C:\\Windows\\system32\\CertSrv\\CertEnroll\\%3%8%9.crl", "6:http://pki/%3%8%9.crl"],
        },
    }
    values.update(ca_values or {})
    key = {
        "path": ca.CONFIG_KEY,
        "exists": exists,
        "values": {"Active": {"type": "string", "value": active}} if exists else {},
        "subkeys": [{"name": CA_NAME, "exists": True, "values": values, "subkeys": []}] if exists else [],
    }
    folder = {
        "path": "C:\\Windows\\System32\\CertSrv\\CertEnroll" if expanded else ca.CERTENROLL,
        "exists": True,
        "files": [
            {"name": n, "size": len(d), "modified": "2026-11-01T10:00:00Z", "content": _b64(d)}
            for n, d in files
        ],
    }
    return Snapshot.from_result({"computer_name": "OFFROOT01", "keys": [key], "folders": [folder]})


@pytest.fixture(scope="module")
def root():
    return make_ca(CA_NAME)


def test_request_reads_config_and_certenroll():
    req = SnapshotRequest()
    ca.request({}, req)
    params = req.parameters()
    assert {"path": ca.CONFIG_KEY, "depth": 1} in params["Keys"]
    assert params["Folders"] == [{"path": ca.CERTENROLL, "filter": ["*.crl", "*.crt"]}]


def test_bad_option_is_named():
    with pytest.raises(PkiInputError, match="crl_refresh_before"):
        ca.request({"crl_refresh_before": -1}, SnapshotRequest())


def test_ca_with_crl_twenty_days_from_expiry(root):
    crl = make_crl(root, number=12, this_update=NOW - timedelta(days=193), days=213)
    snap = snapshot([("OFFROOT01_Contoso Root CA.crt", root.der), ("Contoso Root CA.crl", crl)])
    facts, findings = ca.analyze({}, snap, NOW)
    assert facts["present"] is True
    assert facts["name"] == CA_NAME
    assert facts["type"] == "standalone_root"
    assert facts["crl_period"] == {"unit": "Months", "units": 7, "days": 213.06}
    assert facts["crl_overlap"]["days"] == 14
    assert facts["crl_publication_urls"][0]["options"] == ["publish_crl", "publish_delta"]
    assert facts["crl_publication_urls"][1]["options"] == ["add_to_cert_cdp", "add_to_freshest_crl"]
    assert facts["certificate"]["subject"] == "CN=Contoso Root CA"
    (entry,) = facts["crls"]
    assert entry["file"] == "Contoso Root CA.crl"
    assert entry["crl_number"] == 12
    assert entry["days_left"] == 20
    assert entry["due"] is True
    assert entry["issued_by_ca"] is True
    assert facts["current_crl"] == entry["thumbprint"]
    assert facts["next_due"] == "2026-11-13T12:00:00Z"
    assert facts["days_left"] == 20
    (finding,) = findings
    assert finding.id == "ca_crl_refresh_due"
    assert finding.severity == "warning"
    assert "0x80092013" in " ".join(finding.symptoms)
    assert "certutil -addstore CA" in finding.fix


def test_fresh_crl_has_no_finding_and_cacerthash_picks_the_certificate(root):
    old_root = make_ca(CA_NAME)
    thumb = hashlib.sha1(root.der).hexdigest()
    spaced = " ".join(thumb[i : i + 2] for i in range(0, len(thumb), 2))
    crl = make_crl(root, this_update=NOW - timedelta(days=5))
    snap = snapshot(
        [("a.crt", old_root.der), ("b.crt", root.der), ("Contoso Root CA.crl", crl)],
        {"CACertHash": {"type": "multistring", "value": ["00 11", spaced]}},
        expanded=True,
    )
    facts, findings = ca.analyze({"crl_refresh_before": 30}, snap, NOW)
    assert findings == []
    assert facts["certificate"]["thumbprint"] == thumb.upper()
    assert facts["crls"][0]["issued_by_ca"] is True
    assert facts["certenroll"]["exists"] is True


def test_expired_crl_is_critical(root):
    crl = make_crl(root, this_update=NOW - timedelta(days=220), days=213)
    facts, findings = ca.analyze({}, snapshot([("x.crt", root.der), ("Contoso Root CA.crl", crl)]), NOW)
    assert [f.id for f in findings] == ["ca_crl_expired"]
    assert findings[0].severity == "critical"
    assert facts["crls"][0]["expired"] is True


def test_delta_and_short_crls_are_not_flagged_as_due(root):
    delta = make_crl(root, number=3, this_update=NOW - timedelta(days=1), days=2, delta=True)
    weekly = make_crl(root, number=4, this_update=NOW - timedelta(days=1), days=8)
    snap = snapshot([("x.crt", root.der), ("Contoso Root CA+.crl", delta), ("Contoso Root CA.crl", weekly)])
    facts, findings = ca.analyze({}, snap, NOW)
    assert findings == []
    assert [c["delta"] for c in facts["crls"]] == [True, False]
    assert facts["current_crl"] == facts["crls"][1]["thumbprint"]


def test_garbage_file_is_a_finding_not_a_failure(root):
    snap = snapshot([("x.crt", root.der), ("broken.crl", b"not a crl")])
    facts, findings = ca.analyze({}, snap, NOW)
    assert facts["unreadable"][0]["file"] == "broken.crl"
    assert [f.id for f in findings] == ["ca_crl_unreadable"]
    assert facts["current_crl"] is None


def test_short_crl_period_is_flagged(root):
    snap = snapshot([("x.crt", root.der)], {"CRLPeriod": {"type": "string", "value": "Weeks"}})
    _facts, findings = ca.analyze({"crl_refresh_before": 60}, snap, NOW)
    assert [f.id for f in findings] == ["ca_crl_period_within_cushion"]


def test_not_a_ca():
    facts, findings = ca.analyze({}, snapshot([], exists=False), NOW)
    assert facts == {"present": False, "refresh_before": 30, "crls": [], "next_due": None}
    assert findings == []


def test_foreign_crl_is_reported_but_not_current(root):
    other = make_ca("Fabrikam Root CA")
    snap = snapshot([("x.crt", root.der), ("other.crl", make_crl(other))])
    facts, _findings = ca.analyze({}, snap, NOW)
    assert facts["crls"][0]["issued_by_ca"] is False
    assert facts["current_crl"] is None


def test_parsers():
    assert ca.cert_hashes(["0: ab cd", "EF01"]) == ["ABCD", "EF01"]
    assert ca.cert_hashes(None) == []
    assert ca.publication_urls("1:C:\\x.crl\n\nhttp://y") == [
        {"flags": 1, "url": "C:\\x.crl", "options": ["publish_crl"]},
        {"flags": 0, "url": "http://y", "options": []},
    ]
    assert ca.period(None, None) is None
    assert ca.period("Fortnights", 2) == {"unit": "Fortnights", "units": 2, "days": None}


def test_registered_in_host_info():
    assert "ca" in _host.available_sections()


# --- a subordinate CA and its issuer's CRL in the CA store ---------------------------------------------


def _subordinate(root, crl_der, ca_name="Contoso Issuing CA"):
    """A subordinate CA snapshot: its certificate in My, the root's CRL in the CA store."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from ansible_collections.sfb.pki.plugins.module_utils._blob import (
        encode_certificate_blob,
        encode_crl_blob,
        sha1_hex,
    )

    key = ec.generate_private_key(ec.SECP256R1())
    sub = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)]))
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(NOW - timedelta(days=100))
        .not_valid_after(NOW + timedelta(days=1000))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root.key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )

    def store(path, ders, encode):
        subkeys = [
            {
                "name": sha1_hex(d),
                "exists": True,
                "values": {"Blob": {"type": "binary", "value": _b64(encode(d))}},
                "subkeys": [],
            }
            for d in ders
        ]
        return {"path": path, "exists": True, "values": {}, "subkeys": subkeys}

    config = {
        "path": ca.CONFIG_KEY,
        "exists": True,
        "values": {"Active": {"type": "string", "value": ca_name}},
        "subkeys": [
            {
                "name": ca_name,
                "exists": True,
                "values": {
                    "CACertHash": {"type": "multistring", "value": [sha1_hex(sub)]},
                    "CRLPeriod": {"type": "string", "value": "Weeks"},
                    "CRLPeriodUnits": {"type": "dword", "value": 1},
                },
                "subkeys": [],
            }
        ],
    }
    keys = [
        config,
        store("SOFTWARE\\Microsoft\\SystemCertificates\\My\\Certificates", [sub], encode_certificate_blob),
        store(
            "SOFTWARE\\Microsoft\\SystemCertificates\\CA\\CRLs", [crl_der] if crl_der else [], encode_crl_blob
        ),
    ]
    folder = {"path": ca.CERTENROLL, "exists": True, "files": []}
    return Snapshot.from_result({"keys": keys, "folders": [folder]}), sha1_hex(sub)


@pytest.mark.parametrize(
    ("age", "finding", "severity"),
    [
        (10, None, None),
        (193, "ca_parent_crl_refresh_due", "warning"),
        (220, "ca_parent_crl_expired", "critical"),
    ],
)
def test_subordinate_reports_its_issuers_crl(root, age, finding, severity):
    crl = make_crl(root, number=4, this_update=NOW - timedelta(days=age), days=213)
    snap, thumb = _subordinate(root, crl)
    facts, findings = ca.analyze({}, snap, NOW)
    assert facts["certificate"]["thumbprint"] == thumb
    assert facts["parent"] == "CN=Contoso Root CA"
    assert facts["parent_crl"]["crl_number"] == 4
    assert facts["parent_crl"]["locations"] == ["registry"]
    assert facts["parent_crl"]["days_left"] == 213 - age
    # a weekly CRL period on an online subordinate is normal: no cushion finding
    assert [(f.id, f.severity) for f in findings] == ([(finding, severity)] if finding else [])
    if finding:
        assert "certutil -addstore CA" in findings[0].fix
        assert any("0x80092013" in s for s in findings[0].symptoms)


def test_subordinate_without_its_issuers_crl(root):
    snap, _thumb = _subordinate(root, None)
    facts, findings = ca.analyze({}, snap, NOW)
    assert facts["parent"] == "CN=Contoso Root CA"
    assert facts["parent_crl"] is None
    assert findings == []


def test_state_file_of_and_named_ca(root):
    crl = make_crl(root, number=2)
    snap = snapshot([("x.crt", root.der), ("Contoso Root CA.crl", crl)])
    state = ca.ca_state(snap, CA_NAME)
    assert state.current is not None
    assert state.file_of(state.current) == "Contoso Root CA.crl"
    assert ca.ca_state(snapshot([], exists=False)).present is False


def test_base64_garbage_in_certenroll_is_unreadable(root):
    snap = snapshot([("x.crt", root.der)])
    snap.folder(ca.CERTENROLL)["files"].append({"name": "bad.crl", "content": "***"})
    facts, _findings = ca.analyze({}, snap, NOW)
    assert facts["unreadable"][0]["file"] == "bad.crl"
    assert "not base64" in facts["unreadable"][0]["error"]


def test_named_ca_must_exist(root):
    snap = snapshot([("x.crt", root.der)])
    assert ca.ca_state(snap, CA_NAME).config is not None
    missing = ca.ca_state(snap, "Fabrikam Root CA")
    assert missing.present is True and missing.config is None
    # without a name the active CA is used, and a lone CA subkey stands in for a stale Active value
    assert ca.ca_state(snapshot([], active="Renamed CA")).config is not None


# -- check mode across the CRL cycle: the CRL certutil -crl would publish ---------------------------
def test_next_update_counts_calendar_months_years_and_the_default_week() -> None:
    start = NOW.replace(month=1, day=31)
    assert ca.next_update_after(start, "Months", 1).date().isoformat() == f"{start.year}-02-28"
    assert ca.next_update_after(start, "Years", 2).year == start.year + 2
    assert ca.next_update_after(start, "Days", 3) == start + timedelta(days=3)
    assert ca.next_update_after(start, None, None) == start + timedelta(weeks=1)  # AD CS default
    assert ca.next_update_after(start, "Fortnights", 0) == start + timedelta(weeks=1)


def test_planned_crl_is_the_current_number_plus_one(root):
    crt = ("OFFROOT01_Contoso Root CA.crt", root.der)
    state = ca.ca_state(snapshot([crt, ("Contoso Root CA.crl", make_crl(root, number=4))]))
    planned = ca.planned_crl(state, NOW, 30)
    assert planned["planned"] is True and planned["crl_number"] == 5
    assert planned["issuer"] == "CN=Contoso Root CA"
    assert planned["replaces"] == state.current.thumbprint
    assert planned["this_update"].startswith(NOW.date().isoformat())
    assert 210 <= planned["days_left"] <= 215  # 7 calendar months (CRLPeriod Months x 7)
    without_number = ca.planned_crl(
        ca.ca_state(snapshot([crt, ("x.crl", make_crl(root, number=None))])), NOW, 30
    )
    assert without_number["crl_number"] is None
