# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CRL cycle decisions: due or not, verify a new CRL, install or refuse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crlkit import NOW, make_ca, make_crl, make_leaf

from ansible_collections.sfb.pki.plugins.module_utils import _crlplan as plan
from ansible_collections.sfb.pki.plugins.module_utils._certs import load_certificate
from ansible_collections.sfb.pki.plugins.module_utils._crl import load_crl
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError


@pytest.fixture(scope="module")
def root():
    return make_ca("Contoso Root CA")


@pytest.fixture(scope="module")
def root_cert(root):
    return load_certificate(root.der, "root")


def crl(ca, **kw):
    return load_crl(make_crl(ca, **kw), "test CRL")


# --- due or not -------------------------------------------------------------------------------------


def test_refresh_due_is_next_update_minus_cushion(root):
    c = crl(root, this_update=NOW - timedelta(days=10), days=213)
    assert plan.refresh_due_at(c, 30) == NOW - timedelta(days=10) + timedelta(days=183)
    assert not plan.is_due(c, NOW, 30)
    assert plan.is_due(c, NOW + timedelta(days=174), 30)


def test_crl_twenty_days_from_expiry_is_due(root):
    c = crl(root, this_update=NOW - timedelta(days=193), days=213)
    facts = plan.crl_facts(c, NOW, 30)
    assert facts["due"] is True
    assert facts["expired"] is False
    assert facts["days_left"] == 20
    assert facts["refresh_due"] == "2026-11-13T12:00:00Z"
    assert facts["crl_number"] == 1
    assert facts["issuer"] == "CN=Contoso Root CA"
    assert facts["delta"] is False


def test_expired_crl_facts(root):
    c = crl(root, this_update=NOW - timedelta(days=220), days=213)
    facts = plan.crl_facts(c, NOW, 30)
    assert facts["expired"] is True
    assert facts["due"] is True


def test_plan_publish_not_due(root):
    p = plan.plan_publish(crl(root, this_update=NOW - timedelta(days=10)), NOW, 30, force=False)
    assert p.reissue is False
    assert "not due until" in p.reason


def test_plan_publish_due_forced_and_missing(root):
    due = crl(root, this_update=NOW - timedelta(days=193))
    assert plan.plan_publish(due, NOW, 30, force=False).reissue is True
    fresh = crl(root, this_update=NOW - timedelta(days=1))
    assert plan.plan_publish(fresh, NOW, 30, force=True).reason == "forced"
    assert plan.plan_publish(None, NOW, 30, force=False).reissue is True


def test_current_crl_ignores_deltas_and_foreign_crls(root, root_cert):
    other = make_ca("Other CA")
    base1 = crl(root, number=1, this_update=NOW - timedelta(days=200))
    base2 = crl(root, number=2, this_update=NOW - timedelta(days=20))
    delta = crl(root, number=3, this_update=NOW - timedelta(days=1), days=2, delta=True)
    foreign = crl(other, number=9)
    assert plan.is_delta(delta) and not plan.is_delta(base2)
    assert plan.current_crl([base1, delta, foreign, base2], root_cert) is base2
    assert plan.current_crl([foreign], root_cert) is None


def test_fail_within(root):
    assert plan.fail_within(None, NOW, 7) is True
    assert plan.fail_within(crl(root, this_update=NOW - timedelta(days=207), days=213), NOW, 7) is True
    assert plan.fail_within(crl(root, this_update=NOW - timedelta(days=193), days=213), NOW, 7) is False


# --- verifying a freshly issued CRL -------------------------------------------------------------------


def test_verify_new_crl_accepts_a_newer_crl(root, root_cert):
    old = crl(root, number=4, this_update=NOW - timedelta(days=193))
    new = crl(root, number=5, this_update=NOW)
    plan.verify_new_crl(new, root_cert, old, NOW, "new CRL")
    plan.verify_new_crl(new, root_cert, None, NOW, "new CRL")


@pytest.mark.parametrize(
    ("kwargs", "fault"),
    [
        ({"issuer_name": "Fabrikam Root CA"}, "not by CN=Contoso Root CA"),
        ({"signing_key": "other"}, "is not signed by the key"),
        ({"number": 4, "this_update": NOW}, "not higher than the previous 4"),
        ({"number": 5, "this_update": NOW - timedelta(days=300)}, "not later than the previous"),
        ({"number": 5, "this_update": NOW - timedelta(days=100), "days": 50}, "not in the future"),
        ({"number": 5, "this_update": NOW, "delta": True}, "delta CRL"),
    ],
)
def test_verify_new_crl_refusals(root, root_cert, kwargs, fault):
    if kwargs.get("signing_key") == "other":
        kwargs = {**kwargs, "signing_key": make_ca("x").key, "number": 5, "this_update": NOW}
    old = crl(root, number=4, this_update=NOW - timedelta(days=193))
    new = crl(root, **kwargs)
    with pytest.raises(PkiInputError, match=fault) as err:
        plan.verify_new_crl(new, root_cert, old, NOW, "offroot01 CertEnroll\\Contoso Root CA.crl")
    assert "offroot01 CertEnroll" in str(err.value)


def test_verify_new_crl_same_crl_means_nothing_was_issued(root, root_cert):
    old = crl(root, number=4, this_update=NOW - timedelta(days=1))
    with pytest.raises(PkiInputError, match="same CRL"):
        plan.verify_new_crl(old, root_cert, old, NOW, "new")


# --- issuer lookup and install decisions -----------------------------------------------------------------


def test_find_issuer_by_name_and_key(root, root_cert):
    impostor = load_certificate(make_ca("Contoso Root CA").der, "impostor")
    c = crl(root)
    assert plan.find_issuer(c, [impostor, root_cert], "crl") is root_cert
    with pytest.raises(PkiInputError, match="signed by another key"):
        plan.find_issuer(c, [impostor], "crl")
    with pytest.raises(PkiInputError, match="no certificate named"):
        plan.find_issuer(c, [load_certificate(make_ca("Other").der, "o")], "crl")


def test_plan_install_new_and_idempotent(root, root_cert):
    old = crl(root, number=4, this_update=NOW - timedelta(days=193))
    new = crl(root, number=5, this_update=NOW)
    first = plan.plan_install(new, root_cert, [old], NOW, False, "crl")
    assert first.install is True
    assert first.installed is old
    assert plan.plan_install(new, root_cert, [], NOW, False, "crl").install is True
    again = plan.plan_install(new, root_cert, [old, new], NOW, False, "crl")
    assert again.install is False
    assert "already" in again.reason


def test_plan_install_refuses_older_unless_allowed(root, root_cert):
    installed = crl(root, number=5, this_update=NOW - timedelta(days=1))
    older = crl(root, number=4, this_update=NOW - timedelta(days=100))
    with pytest.raises(PkiInputError, match="older than the installed CRL"):
        plan.plan_install(older, root_cert, [installed], NOW, False, "subca01 crl")
    allowed = plan.plan_install(older, root_cert, [installed], NOW, True, "crl")
    assert allowed.install is True
    assert "allow_older" in allowed.reason


def test_plan_install_ignores_crls_of_other_issuers(root, root_cert):
    other = make_ca("Contoso Issuing CA")
    foreign_newer = crl(other, number=99, this_update=NOW)
    offered = crl(root, number=2, this_update=NOW - timedelta(days=2))
    assert plan.plan_install(offered, root_cert, [foreign_newer], NOW, False, "crl").install is True


@pytest.mark.parametrize(
    ("kwargs", "fault"),
    [
        ({"issuer_name": "Fabrikam Root CA"}, "issued by CN=Fabrikam Root CA, not by CN=Contoso Root CA"),
        ({"signing_key": "other"}, "signed by another key"),
        ({"this_update": NOW - timedelta(days=300), "days": 213}, "expired on"),
    ],
)
def test_plan_install_refusals(root, root_cert, kwargs, fault):
    if kwargs.get("signing_key") == "other":
        kwargs = {**kwargs, "signing_key": make_ca("x").key}
    offered = crl(root, **kwargs)
    with pytest.raises(PkiInputError, match=fault):
        plan.plan_install(offered, root_cert, [], NOW, True, "crl")


def test_leaf_as_issuer_is_refused(root):
    leaf = load_certificate(make_leaf(root), "leaf")
    with pytest.raises(PkiInputError, match="refused"):
        plan.plan_install(crl(root), leaf, [], NOW, False, "crl")
