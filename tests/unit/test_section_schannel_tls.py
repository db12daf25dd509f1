# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Schannel trusted-issuer list size and the TLS 1.2 readiness facts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _section_schannel as schannel
from ansible_collections.sfb.pki.plugins.module_utils import _section_tls as tls
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot
from tests.support import pkifactory as pf
from tests.support.snapshots import ROOT_3P, ROOT_GP, ROOT_REG, snapshot_result

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def many() -> list[pf.Issued]:
    # ~200-byte names: 90 of them make a list past 16 KB
    key = pf.new_key("ecdsa")
    return [
        pf.certificate(
            f"CN=Public Root Certification Authority {n:03d},OU=Trust Services Division For Testing Names,"
            "O=Example Trust Services Incorporated,L=Somewhere In A Long City Name,C=US",
            key=key,
            ca=True,
        )
        for n in range(90)
    ]


def reg(path: str, values: dict[str, Any], subkeys: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "path": path,
        "exists": True,
        "values": {k: {"type": "dword", "value": v} for k, v in values.items()},
        "subkeys": subkeys or [],
    }


def sub(name: str, values: dict[str, Any], subkeys: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    item = reg(name, values, subkeys)
    item["name"] = item.pop("path")
    return item


def snap(certs: dict[Any, list[Any]], keys: list[dict[str, Any]]) -> Snapshot:
    res = snapshot_result(certs)
    res["keys"].extend(keys)
    return Snapshot.from_result(res)


def test_issuer_list_encoding() -> None:
    # RFC 5246 7.4.4: 2-byte vector length, then per name a 2-byte length and the DER
    assert schannel.issuer_list([]) == 2
    assert schannel.issuer_list([b"\x30\x00", b"\x30\x03abc"]) == 2 + (2 + 2) + (2 + 5)


def test_large_root_store_is_critical_until_the_list_is_not_sent(many: list[pf.Issued]) -> None:
    certs = {ROOT_REG: many[:60], ROOT_3P: many[40:], ROOT_GP: many[:5]}  # overlaps merge
    facts, found = schannel.analyze({}, snap(certs, []), NOW)
    expected = 2 + sum(2 + len(c.cert.subject.public_bytes()) for c in many)
    assert facts["roots"] == 90 and facts["issuer_names"] == 90
    assert facts["issuer_list_bytes"] == expected > schannel.LIMIT_BYTES
    assert facts["list_sent"] is True and "unknown" in facts["list_sent_reason"]
    assert [(f.id, f.severity) for f in found] == [("schannel_issuer_list_too_long", "critical")]
    assert "SendTrustedIssuerList = 0" in found[0].fix and "unvetted" in found[0].fix

    off = reg(schannel.SCHANNEL_KEY, {"SendTrustedIssuerList": 0, "ClientAuthTrustMode": 2})
    facts, found = schannel.analyze({}, snap(certs, [off]), NOW)
    assert facts["list_sent"] is False and facts["client_auth_trust_mode"] == 2
    assert "exclusive CA trust" in facts["client_auth_trust_mode_meaning"]
    assert [(f.id, f.severity) for f in found] == [("schannel_issuer_list_too_long", "info")]


def test_windows_2012_is_affected_whatever_the_setting(many: list[pf.Issued]) -> None:
    off = reg(schannel.SCHANNEL_KEY, {"SendTrustedIssuerList": 0})
    ver = reg(schannel.VERSION_KEY, {})
    ver["values"] = {"CurrentBuildNumber": {"type": "string", "value": "9200"}}
    _facts, found = schannel.analyze({}, snap({ROOT_REG: many}, [off, ver]), NOW)
    assert found[0].severity == "critical" and "KB 2880390" in found[0].fix


def test_windows_2016_default_does_not_send(many: list[pf.Issued]) -> None:
    ver = reg(schannel.VERSION_KEY, {})
    ver["values"] = {"CurrentBuildNumber": {"type": "string", "value": "14393"}}
    facts, found = schannel.analyze({}, snap({ROOT_REG: many}, [ver]), NOW)
    assert facts["list_sent"] is False
    assert [f.severity for f in found] == ["info"]


def test_near_the_limit_is_a_warning(many: list[pf.Issued]) -> None:
    size = 2
    count = 0
    for cert in many:
        size += 2 + len(cert.cert.subject.public_bytes())
        count += 1
        if size > schannel.NEAR_BYTES:
            break
    _facts, found = schannel.analyze({}, snap({ROOT_REG: many[:count]}, []), NOW)
    assert [f.severity for f in found] == ["warning"]
    _facts, found = schannel.analyze({}, snap({ROOT_REG: many[:10]}, []), NOW)
    assert found == []


def ready_keys() -> list[dict[str, Any]]:
    keys = [reg(path, {"SchUseStrongCrypto": 1, "SystemDefaultTlsVersions": 1}) for path in tls.NETFX_KEYS]
    keys.append(reg(tls.NETFX_KEY, {"Release": 528040}))
    return keys


def protocols(tls10: dict[str, Any]) -> dict[str, Any]:
    return reg(
        tls.PROTOCOLS_KEY,
        {},
        [
            sub("TLS 1.0", {}, [sub("Server", tls10), sub("Client", tls10)]),
            sub("TLS 1.2", {}, [sub("Server", {"Enabled": 1, "DisabledByDefault": 0})]),
        ],
    )


def test_tls_ready_host_has_no_finding() -> None:
    facts, found = tls.analyze({}, snap({}, [*ready_keys(), protocols({})]), NOW)
    assert facts["ready"] is True and found == []
    assert facts["netfx_version"] == "4.8"
    assert facts["protocols"]["TLS 1.2 Server"]["state"] == "enabled"
    assert facts["protocols"]["TLS 1.2 Client"]["state"] == "os_default"
    assert facts["protocols"]["TLS 1.0 Server"]["state"] == "os_default"


def test_tls_missing_values_are_named() -> None:
    keys = ready_keys()
    keys[1]["values"].pop("SchUseStrongCrypto")  # WOW6432Node v4
    keys[2]["values"]["SystemDefaultTlsVersions"]["value"] = 0  # v2 64-bit
    facts, found = tls.analyze({}, snap({}, [*keys, protocols({})]), NOW)
    assert facts["ready"] is False and len(facts["missing"]) == 2
    assert [(f.id, f.severity) for f in found] == [("tls12_prerequisites_missing", "info")]
    assert "WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319" in found[0].message
    assert "CU9 6.0.9319.548" in found[0].fix


def test_tls10_disabled_without_prerequisites_is_critical() -> None:
    keys = ready_keys()[2:]  # no v4 keys at all
    facts, found = tls.analyze({}, snap({}, [*keys, protocols({"Enabled": 0, "DisabledByDefault": 1})]), NOW)
    assert facts["legacy_disabled"] == ["TLS 1.0 Client", "TLS 1.0 Server"]
    assert [(f.id, f.severity) for f in found] == [("tls_legacy_disabled_unprepared", "critical")]
    assert len(facts["missing"]) == 4


def test_values_the_host_could_not_read_are_unreadable_findings() -> None:
    denied = {"type": "error", "value": "Requested registry access is not allowed."}
    key = reg(schannel.SCHANNEL_KEY, {})
    key["values"] = {"SendTrustedIssuerList": denied}
    facts, found = schannel.analyze({}, snap({}, [key]), NOW)
    assert facts["send_trusted_issuer_list"] is None
    assert [(f.id, f.object) for f in found] == [
        ("unreadable", f"HKLM\\{schannel.SCHANNEL_KEY}\\SendTrustedIssuerList")
    ]
    net = reg(tls.NETFX_KEYS[0], {"SystemDefaultTlsVersions": 1})
    net["values"]["SchUseStrongCrypto"] = denied
    _facts, found = tls.analyze({}, snap({}, [net]), NOW)
    assert ("unreadable", f"HKLM\\{tls.NETFX_KEYS[0]}\\SchUseStrongCrypto") in [
        (f.id, f.object) for f in found
    ]
