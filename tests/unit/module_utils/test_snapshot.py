# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot contract: what sections request and how the script's result is parsed."""

from __future__ import annotations

import base64

from ansible_collections.sfb.pki.plugins.module_utils._certs import load_certificate
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest, covers
from ansible_collections.sfb.pki.plugins.module_utils._stores import physical_store


def test_request_merges_duplicates():
    req = SnapshotRequest()
    req.add_key("SOFTWARE\\A", 1)
    req.add_key("SOFTWARE\\A", 0)
    req.add_key("SOFTWARE\\B")
    req.add_service("RTCCLSAGT")
    req.add_service("rtcclsagt")
    req.add_folder("%windir%\\System32\\CertSrv\\CertEnroll", "*.crl")
    req.add_events("System", [36888, 36874, 36888], 7)
    assert req.parameters() == {
        "Keys": [{"path": "SOFTWARE\\A", "depth": 1}, {"path": "SOFTWARE\\B", "depth": 0}],
        "Services": ["RTCCLSAGT"],
        "Folders": [{"path": "%windir%\\System32\\CertSrv\\CertEnroll", "filter": "*.crl"}],
        "Events": [{"log": "System", "provider": None, "ids": [36874, 36888], "days": 7}],
    }


def test_parse_result_and_read_a_certificate(pki):
    root_key = physical_store("Root", "registry").certificates_key
    result = {
        "computer_name": "FE01",
        "keys": [
            {
                "path": root_key,
                "exists": True,
                "values": {},
                "subkeys": [
                    {
                        "name": pki.root.thumbprint,
                        "exists": True,
                        "values": {
                            "Blob": {"type": "binary", "value": base64.b64encode(pki.root.blob).decode()}
                        },
                        "subkeys": [],
                    }
                ],
            },
            {"path": "SOFTWARE\\Missing", "exists": False},
        ],
        "services": [{"name": "RTCCLSAGT", "exists": True, "state": "stopped"}],
        "folders": [{"path": "C:\\CertEnroll", "exists": True, "files": []}],
        "events": [{"log": "System", "provider": None, "exists": True, "counts": {"36888": 4}}],
    }
    snap = Snapshot.from_result(result)
    assert snap.computer_name == "FE01"
    key = snap.key(root_key.upper())
    assert key.exists
    sub = key.subkey(pki.root.thumbprint.lower())
    assert sub is not None and sub.path == root_key + "\\" + pki.root.thumbprint
    cert = load_certificate(base64.b64decode(sub.value("blob")), sub.path)
    assert cert.thumbprint == pki.root.thumbprint
    assert sub.value("Missing") is None and key.subkey("nope") is None
    assert snap.key("software\\missing").exists is False
    assert snap.service("rtcclsagt") == {"name": "RTCCLSAGT", "exists": True, "state": "stopped"}
    assert snap.service("MASTER") is None
    assert snap.folder("c:\\certenroll") == {"path": "C:\\CertEnroll", "exists": True, "files": []}
    assert snap.events[0]["counts"] == {"36888": 4}


def test_empty_result():
    snap = Snapshot.from_result({})
    assert snap.keys == {} and snap.services == {} and snap.computer_name is None


def _full_request() -> SnapshotRequest:
    req = SnapshotRequest()
    req.add_key("SOFTWARE\\A", 1)
    req.add_service("RTCCLSAGT")
    req.add_folder("%windir%\\CertEnroll", "*.crl")
    req.add_events("System", [36888], 7)
    return req


def test_covers_accepts_an_equal_or_larger_read():
    given = _full_request()
    given.add_key("SOFTWARE\\B")
    given.add_service("REPLICA")
    assert covers(given.parameters(), _full_request())
    smaller = SnapshotRequest()
    smaller.add_key("software\\a", 0)  # case-insensitive path, shallower depth
    smaller.add_service("rtcclsagt")
    assert covers(given.parameters(), smaller)


def test_covers_rejects_anything_missing():
    given = _full_request().parameters()
    for change in (
        lambda r: r.add_key("SOFTWARE\\A", 2),  # deeper than read
        lambda r: r.add_key("SOFTWARE\\C"),
        lambda r: r.add_service("REPLICA"),
        lambda r: r.add_folder("%windir%\\CertEnroll", "*.crt"),
        lambda r: r.add_events("System", [36874], 7),
    ):
        wanted = _full_request()
        change(wanted)
        assert not covers(given, wanted)
