# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chain building: from a certificate through a pool of candidates to a self-signed root.

Issuers are found by name (and preferred by AKI = SKI), and every link is signature-verified. A
self-issued certificate whose self-signature cannot be checked (MD2 and the like) ends the chain as
a root: unknown is never treated as "not a root". Validity dates are not judged here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ._certs import Certificate, verify_signed_by

MAX_DEPTH = 10


@dataclass(frozen=True)
class Chain:
    """A built chain: leaf first. `error` says where and why it broke when `complete` is false.

    `unverified` lists thumbprints of certificates whose signature (by the next certificate, or their
    own for the root) could not be checked, so the link rests on names alone.
    """

    certificates: tuple[Certificate, ...]
    root: Certificate | None
    complete: bool
    error: str | None = None
    unverified: tuple[str, ...] = field(default_factory=tuple)

    @property
    def thumbprints(self) -> list[str]:
        """Thumbprints, leaf first."""
        return [cert.thumbprint for cert in self.certificates]


def _is_root(cert: Certificate) -> bool:
    """Self-signed, or self-issued with a signature nobody can check (self_signed None)."""
    return cert.self_signed is not False


def _rank(aki: str | None) -> Callable[[Certificate], tuple[int, int, float]]:
    def rank(candidate: Certificate) -> tuple[int, int, float]:
        """AKI = SKI first, then self-signed, then the longest lived."""
        aki_match = 0 if aki is not None and candidate.ski == aki else 1
        root_first = 0 if candidate.self_signed else 1
        return (aki_match, root_first, -candidate.not_after.timestamp())

    return rank


class ChainPool:
    """Candidate issuers indexed by subject name, built once for many chains."""

    def __init__(self, certificates: Iterable[Certificate]) -> None:
        """Index the candidates."""
        self.by_subject: dict[str, list[Certificate]] = {}
        for candidate in certificates:
            self.by_subject.setdefault(candidate.subject_key, []).append(candidate)
        self._ranked: dict[tuple[str, str | None], list[Certificate]] = {}

    def candidates(self, cert: Certificate) -> list[Certificate]:
        """The pool's certificates named as cert's issuer, best first; ranked once per issuer name and AKI."""
        key = (cert.issuer_key, cert.aki)
        ranked = self._ranked.get(key)
        if ranked is None:
            ranked = sorted(self.by_subject.get(cert.issuer_key, []), key=_rank(cert.aki))
            self._ranked[key] = ranked
        return [c for c in ranked if c.thumbprint != cert.thumbprint]


def build_chain(cert: Certificate, pool: Iterable[Certificate] | ChainPool) -> Chain:
    """Build cert's chain through `pool` to a root; report the certificate and reason where it breaks."""
    pool = pool if isinstance(pool, ChainPool) else ChainPool(pool)
    chain = [cert]
    seen = {cert.thumbprint}
    unverified: list[str] = []
    current = cert
    while True:
        if _is_root(current):
            if current.self_signed is None:
                unverified.append(current.thumbprint)
            return Chain(tuple(chain), current, True, None, tuple(unverified))
        if len(chain) > MAX_DEPTH:
            return _broken(chain, unverified, f"chain is longer than {MAX_DEPTH} certificates")
        candidates = pool.candidates(current)
        if not candidates:
            return _broken(
                chain, unverified, f"issuer {current.issuer} of {_where(current)} is not in the pool"
            )
        fresh = [c for c in candidates if c.thumbprint not in seen]
        if not fresh:
            return _broken(chain, unverified, f"issuers of {_where(current)} loop back into the chain")
        issuer: Certificate | None = None
        unknown: Certificate | None = None
        for candidate in fresh:
            verdict = verify_signed_by(current, candidate)
            if verdict is True:
                issuer = candidate
                break
            if verdict is None and unknown is None:
                unknown = candidate
        if issuer is None and unknown is not None:
            issuer = unknown
            unverified.append(current.thumbprint)
        if issuer is None:
            count = len(fresh)
            return _broken(
                chain,
                unverified,
                f"signature of {_where(current)} does not verify with the key of "
                f"{'the' if count == 1 else f'any of the {count}'} certificate{'s' if count > 1 else ''} "
                f"named {current.issuer} in the pool",
            )
        chain.append(issuer)
        seen.add(issuer.thumbprint)
        current = issuer


def _where(cert: Certificate) -> str:
    return f"{cert.subject} ({cert.thumbprint})"


def _broken(chain: list[Certificate], unverified: list[str], error: str) -> Chain:
    return Chain(tuple(chain), None, False, error, tuple(unverified))
