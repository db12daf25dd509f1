# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chain building: every link signature-checked, breaks reported with the certificate and the reason."""

from __future__ import annotations

from ansible_collections.sfb.pki.plugins.module_utils._certs import Certificate, load_certificate
from ansible_collections.sfb.pki.plugins.module_utils._chain import MAX_DEPTH, ChainPool, build_chain
from tests.support import pkifactory as pf


def c(item: pf.Issued) -> Certificate:
    return load_certificate(item.der, "test")


def test_complete_chain(pki, other_pki):
    leaf, sub, root = c(pki.leaf), c(pki.issuing), c(pki.root)
    pool = [c(other_pki.root), c(other_pki.issuing), root, sub, leaf]
    chain = build_chain(leaf, pool)
    assert chain.complete is True and chain.error is None
    assert chain.thumbprints == [leaf.thumbprint, sub.thumbprint, root.thumbprint]
    assert chain.root == root
    assert chain.unverified == ()


def test_root_alone_is_a_chain(pki):
    root = c(pki.root)
    chain = build_chain(root, [])
    assert chain.complete and chain.root == root and chain.certificates == (root,)


def test_missing_issuer(pki):
    leaf, sub = c(pki.leaf), c(pki.issuing)
    chain = build_chain(leaf, [sub])
    assert chain.complete is False and chain.root is None
    assert chain.certificates == (leaf, sub)
    assert chain.error == (
        f"issuer CN=Contoso Offline Root CA,O=Contoso of CN=Contoso Issuing CA 01,O=Contoso "
        f"({sub.thumbprint}) is not in the pool"
    )


def test_impostor_with_the_right_name_is_rejected(pki):
    leaf, sub = c(pki.leaf), c(pki.issuing)
    impostor = c(pf.root_ca(pki.root.name))  # same name, other key
    chain = build_chain(leaf, [sub, impostor])
    assert chain.complete is False
    assert chain.error.startswith("signature of CN=Contoso Issuing CA 01,O=Contoso")
    assert "does not verify with the key of the certificate named CN=Contoso Offline Root CA" in chain.error
    chain = build_chain(leaf, [sub, impostor, c(pf.root_ca(pki.root.name))])
    assert "any of the 2 certificates" in chain.error


def test_real_issuer_found_among_impostors(pki):
    leaf, sub, root = c(pki.leaf), c(pki.issuing), c(pki.root)
    impostor = c(pf.root_ca(pki.root.name))
    chain = build_chain(leaf, [impostor, sub, root])
    assert chain.complete and chain.root == root


def test_rollover_chain_goes_through_cross_certificate(rollover):
    old, new = c(rollover.old), c(rollover.new)
    cross = c(rollover.new_signed_by_old)  # new key, signed by the old key
    leaf = c(pf.leaf(rollover.new, "CN=fe02.contoso.com"))
    # with only the old root trusted, the chain runs leaf -> cross (new key) -> old root
    chain = build_chain(leaf, [cross, old])
    assert chain.complete
    assert chain.certificates == (leaf, cross, old)
    # a self-issued cross certificate is never taken as a root
    chain = build_chain(cross, [])
    assert not chain.complete and "is not in the pool" in chain.error
    # with the new root present it is preferred (self-signed first)
    assert build_chain(leaf, [cross, old, new]).certificates == (leaf, new)


def test_loop_is_reported(rollover):
    a, b = c(rollover.new_signed_by_old), c(rollover.old_signed_by_new)
    chain = build_chain(a, [a, b])
    assert chain.complete is False
    assert "loop back into the chain" in chain.error


def test_md2_root_ends_chain_as_unverified_root():
    md2 = pf.md2_root()
    sub = c(pf.sub_ca(pf.Issued(md2.cert, md2.key), "CN=Sub of MD2"))
    root = c(md2)
    chain = build_chain(sub, [root])
    assert chain.complete and chain.root == root
    assert chain.unverified == (root.thumbprint,)


def test_link_by_md2_signature_is_unverified_not_broken():
    root_item = pf.root_ca("CN=Old Root")
    child_item = pf.certificate("CN=Old Sub", issuer=root_item, ca=True, hash="md2")
    child, root = c(child_item), c(root_item)
    chain = build_chain(child, [root])
    assert chain.complete
    assert chain.unverified == (child.thumbprint,)


def test_depth_limit():
    items = [pf.root_ca("CN=Level 0", key_type="ecdsa")]
    for level in range(1, MAX_DEPTH + 2):
        items.append(pf.sub_ca(items[-1], f"CN=Level {level}", key_type="ecdsa", path_length=None))
    certs = [c(i) for i in items]
    chain = build_chain(certs[-1], certs)
    assert chain.complete is False and "longer than" in chain.error
    assert build_chain(certs[5], certs).complete


def test_shared_pool_ranks_issuers_by_each_certificates_aki():
    # a CA renewed with a new key: two issuing CA certificates with one name, each signing one leaf
    root = pf.root_ca("CN=Renewal Root")
    old_item = pf.sub_ca(root, "CN=Renewed Issuing CA")
    new_item = pf.sub_ca(root, "CN=Renewed Issuing CA")
    old_sub, new_sub = c(old_item), c(new_item)
    leaf_old, leaf_new = (
        c(pf.leaf(old_item, "CN=old.contoso.com")),
        c(pf.leaf(new_item, "CN=new.contoso.com")),
    )
    pool = ChainPool([c(root), old_sub, new_sub])
    assert pool.candidates(leaf_old)[0] == old_sub
    assert pool.candidates(leaf_new)[0] == new_sub
    assert build_chain(leaf_new, pool).certificates[1] == new_sub
    # a certificate is never its own issuer candidate
    self_named = c(pf.root_ca("CN=Renewed Issuing CA"))
    assert self_named not in ChainPool([self_named, old_sub]).candidates(self_named)
