# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CRLs: loading, issuer checks (name and key), age comparison, lifetime and refresh planning."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest

from ansible_collections.sfb.pki.plugins.module_utils._certs import load_certificate
from ansible_collections.sfb.pki.plugins.module_utils._crl import Crl, compare_crls, load_crl, load_crls
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from tests.support import pkifactory as pf

UTC = dt.UTC
T0 = dt.datetime(2026, 5, 1, tzinfo=UTC)


def crl_of(item: pf.IssuedCrl) -> Crl:
    return load_crl(item.der, "test.crl")


@pytest.fixture(scope="module")
def root(pki):
    return load_certificate(pki.root.der, "root")


def test_facts(pki, root):
    item = pf.crl(pki.root, number=7, this_update=T0, days=210, revoked=(5, 6))
    crl = crl_of(item)
    assert crl.issuer == root.subject
    assert crl.crl_number == 7
    assert crl.this_update == T0
    assert crl.next_update == T0 + dt.timedelta(days=210)
    assert crl.thumbprint == item.thumbprint
    assert crl.aki == root.ski
    assert crl.revoked_count == 2
    assert crl.signature_algorithm == "sha256WithRSAEncryption"
    assert crl.verify(root) is True
    facts = crl.describe(T0 + dt.timedelta(days=105))
    json.dumps(facts)
    assert facts["this_update"] == "2026-05-01T00:00:00Z"
    assert facts["next_update"] == "2026-11-27T00:00:00Z"
    assert facts["lifetime_used"] == 0.5
    assert facts["days_left"] == 105
    assert facts["expired"] is False
    assert facts["weak_signature"] is False
    assert "#7" in repr(crl)


def test_all_input_shapes(pki):
    item = pf.crl(pki.root, number=2)
    for data in (item.der, item.pem, item.pem.decode(), base64.b64encode(item.der), item.blob):
        assert load_crl(data, "x").der == item.der
    two = load_crls(item.pem + b"junk\n" + pf.crl(pki.root, number=3).pem, "two.pem")
    assert [c.crl_number for c in two] == [2, 3]
    with pytest.raises(PkiInputError, match="holds 2 CRLs, expected exactly one"):
        load_crl(item.pem + item.pem, "two.pem")


def test_garbage_and_certificates_are_rejected(pki):
    with pytest.raises(PkiInputError, match=r"root\.cer: holds no X509 CRL PEM block \(found CERTIFICATE\)"):
        load_crl(pki.root.pem, "root.cer")
    with pytest.raises(PkiInputError, match=r"root\.der: is not a valid DER CRL"):
        load_crl(pki.root.der, "root.der")
    with pytest.raises(PkiInputError, match="blob"):
        load_crl(pki.root.blob, "blob")  # a certificate blob has no property 33


def test_wrong_key_crl(pki, root):
    forged = crl_of(pf.crl(pki.root, signing_key=pf.new_key()))
    assert forged.verify(root) is False
    assert "is not signed by the key of" in forged.issuer_problem(root)
    with pytest.raises(
        PkiInputError, match=r"test\.crl: is not signed by the key of CN=Contoso Offline Root"
    ):
        forged.check_distributable(root, T0)


def test_wrong_issuer_crl(pki, other_pki, root):
    foreign = crl_of(pf.crl(other_pki.root))
    assert foreign.verify(root) is False
    assert foreign.issuer_problem(root) == (
        "is issued by CN=Fabrikam Offline Root CA,O=Fabrikam, not by CN=Contoso Offline Root CA,O=Contoso"
    )
    # right name, key of another CA
    renamed = crl_of(pf.crl(other_pki.root, issuer_name=root.subject))
    assert renamed.verify(root) is False


def test_crl_of_sub_ca_does_not_verify_with_root(pki, root):
    sub = load_certificate(pki.issuing.der, "sub")
    crl = crl_of(pf.crl(pki.issuing))
    assert crl.verify(sub) is True and crl.verify(root) is False


@pytest.mark.parametrize("key_type", ["rsa-pss", "ecdsa", "ed25519", "dsa"])
def test_other_key_types(key_type):
    ca = pf.root_ca(f"CN={key_type}", key_type=key_type)
    cert = load_certificate(ca.der, "ca")
    assert crl_of(pf.crl(ca)).verify(cert) is True
    assert crl_of(pf.crl(ca, signing_key=pf.new_key(key_type))).verify(cert) is False


def test_key_type_mismatch(pki):
    ec_ca = pf.root_ca(pki.root.name, key_type="ecdsa")
    assert crl_of(pf.crl(ec_ca)).verify(load_certificate(pki.root.der, "root")) is False


def test_older_crl(pki, root):
    installed = crl_of(pf.crl(pki.root, number=8, this_update=T0))
    older = crl_of(pf.crl(pki.root, number=7, this_update=T0 + dt.timedelta(days=1)))
    newer = crl_of(pf.crl(pki.root, number=9, this_update=T0 - dt.timedelta(days=1)))
    assert compare_crls(older, installed) == -1
    assert compare_crls(newer, installed) == 1
    assert compare_crls(installed, installed) == 0
    with pytest.raises(PkiInputError, match=r"is older than the installed CRL .* \(number 7 vs 8"):
        older.check_distributable(root, T0, installed)
    newer.check_distributable(root, T0, installed)  # no error
    installed.check_distributable(root, T0, installed)  # same CRL again is not older


def test_compare_by_this_update_without_numbers(pki):
    older = crl_of(pf.crl(pki.root, number=None, this_update=T0))
    newer = crl_of(pf.crl(pki.root, number=None, this_update=T0 + dt.timedelta(hours=1)))
    assert older.crl_number is None
    assert compare_crls(older, newer) == -1 and compare_crls(newer, older) == 1
    same_number = crl_of(pf.crl(pki.root, number=4, this_update=T0))
    later_same_number = crl_of(pf.crl(pki.root, number=4, this_update=T0 + dt.timedelta(days=2)))
    assert compare_crls(same_number, later_same_number) == -1


def test_compare_refuses_different_issuers(pki, other_pki):
    with pytest.raises(PkiInputError, match="cannot be compared"):
        compare_crls(crl_of(pf.crl(pki.root)), crl_of(pf.crl(other_pki.root)))


def test_no_next_update(pki, root):
    crl = crl_of(pf.crl(pki.root, next_update=None, this_update=T0))
    assert crl.next_update is None
    assert crl.verify(root) is True
    later = T0 + dt.timedelta(days=3650)
    assert crl.days_left(later) is None
    assert crl.lifetime_used(later) is None
    assert crl.refresh_due(30) is None
    assert crl.expired(later) is False
    facts = crl.describe(later)
    assert facts["next_update"] is None and facts["lifetime_used"] is None
    crl.check_distributable(root, later)


def test_expired_crl_is_not_distributable(pki, root):
    crl = crl_of(pf.crl(pki.root, this_update=T0, days=30))
    after = T0 + dt.timedelta(days=31)
    assert crl.expired(after) is True
    assert crl.days_left(after) == -1
    assert crl.lifetime_used(after) > 1
    with pytest.raises(PkiInputError, match="expired: its nextUpdate 2026-05-31T00:00:00Z is past"):
        crl.check_distributable(root, after)


def test_refresh_due_with_cushion(pki):
    crl = crl_of(pf.crl(pki.root, this_update=T0, days=210))  # 7-month CRL
    assert crl.refresh_due(30) == T0 + dt.timedelta(days=180)  # seed 001: re-issue every 6 months
    assert crl.refresh_due(0) == crl.next_update
    assert crl.lifetime_used(T0) == 0.0


def test_zero_length_lifetime(pki):
    crl = crl_of(pf.crl(pki.root, this_update=T0, next_update=T0))
    assert crl.lifetime_used(T0) == 1.0


def test_delta_crl_and_file_name(pki):
    base = crl_of(pf.crl(pki.root, number=10))
    delta = crl_of(pf.crl(pki.root, number=11, delta_of=10))
    assert base.is_delta is False and base.delta_base is None
    assert delta.is_delta is True and delta.delta_base == 10
    assert delta.describe(T0)["delta"] is True and base.describe(T0)["delta"] is False
    assert base.issuer_common_name == "Contoso Offline Root CA"
    assert crl_of(pf.crl(pki.root, issuer_name="O=No CN")).issuer_common_name is None
