# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The offline root CRL cycle as pure decisions: is a CRL due, is a new CRL acceptable, install or not.

Nothing here talks to a host. `crl_publish` and `crl_install` read the host once (the snapshot),
ask these functions what to do, act through stock ansible.windows modules, and read again.
The checks follow seed 001 and docs/crl.md: a CRL is distributed only when it is issued and signed
by the CA certificate, newer than the one it replaces (CRL number and thisUpdate), and not expired.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ._certs import Certificate, iso
from ._crl import Crl, compare_crls
from ._errors import PkiInputError

DEFAULT_REFRESH_BEFORE_DAYS = 30
DEFAULT_FAIL_WITHIN_DAYS = 7


def _iso(moment: datetime | None) -> str | None:
    return iso(moment)


def refresh_due_at(crl: Crl, refresh_before_days: int) -> datetime | None:
    """The moment a CRL must be re-issued: nextUpdate minus the cushion (None without nextUpdate)."""
    return crl.refresh_due(refresh_before_days)


def is_due(crl: Crl, now: datetime, refresh_before_days: int) -> bool:
    """Whether a CRL has reached its refresh-due date (a CRL without nextUpdate never is)."""
    due = refresh_due_at(crl, refresh_before_days)
    return due is not None and now >= due


def is_delta(crl: Crl) -> bool:
    """Whether the CRL carries the Delta CRL Indicator extension (a delta, not a base CRL)."""
    return crl.is_delta


def crl_facts(crl: Crl, now: datetime, refresh_before_days: int) -> dict[str, object]:
    """JSON-ready facts of one CRL: issuer, dates, number, days left, lifetime used, refresh_due, due."""
    facts = crl.describe(now)
    facts.update(
        {
            "refresh_due": _iso(refresh_due_at(crl, refresh_before_days)),
            "due": is_due(crl, now, refresh_before_days),
            "delta": is_delta(crl),
        }
    )
    return facts


def issued_by(crl: Crl, cert: Certificate) -> bool:
    """Whether the CRL names the certificate's subject as issuer and its signature verifies with its key."""
    return crl.verify(cert)


def newest(crls: Iterable[Crl]) -> Crl | None:
    """The newest of some CRLs by CRL number, then thisUpdate (None for none)."""
    best: Crl | None = None
    for crl in crls:
        if best is None or compare_crls(crl, best) > 0:
            best = crl
    return best


def current_crl(crls: Iterable[Crl], ca_cert: Certificate) -> Crl | None:
    """The newest base CRL a CA certificate issued among some CRLs (deltas ignored)."""
    return newest(c for c in crls if not is_delta(c) and issued_by(c, ca_cert))


@dataclass(frozen=True)
class PublishPlan:
    """Whether to re-issue the CA's CRL, and why."""

    reissue: bool
    reason: str
    current: Crl | None


def plan_publish(current: Crl | None, now: datetime, refresh_before_days: int, force: bool) -> PublishPlan:
    """Decide whether `certutil -crl` must run: forced, no CRL yet, or the current CRL is due."""
    if force:
        return PublishPlan(True, "forced", current)
    if current is None:
        return PublishPlan(True, "the CA has no CRL in CertEnroll yet", None)
    due = refresh_due_at(current, refresh_before_days)
    if due is None:
        return PublishPlan(False, "the current CRL has no nextUpdate, so it never expires", current)
    if now >= due:
        return PublishPlan(
            True,
            f"the current CRL (number {current.crl_number}) was due for refresh on {_iso(due)}"
            f" and expires on {_iso(current.next_update)}",
            current,
        )
    return PublishPlan(False, f"the current CRL is not due until {_iso(due)}", current)


def newer_refusals(new: Crl, previous: Crl) -> list[str]:
    """Why `new` is not newer than `previous` (empty when it is): CRL number and thisUpdate."""
    reasons: list[str] = []
    if new.crl_number is not None and previous.crl_number is not None:
        if new.crl_number <= previous.crl_number:
            reasons.append(
                f"its CRL number {new.crl_number} is not higher than the installed {previous.crl_number}"
            )
    elif compare_crls(new, previous) <= 0:
        reasons.append("it is not newer than the installed CRL")
    if new.this_update < previous.this_update:
        reasons.append(
            f"its thisUpdate {_iso(new.this_update)} is older than the installed {_iso(previous.this_update)}"
        )
    return reasons


def verify_new_crl(new: Crl, ca_cert: Certificate, previous: Crl | None, now: datetime, source: str) -> None:
    """Accept a freshly issued CRL only if the CA issued and signed it, it is newer, and not expired."""
    reasons: list[str] = []
    problem = new.issuer_problem(ca_cert)
    if problem is not None:
        reasons.append(f"it {problem}")
    if is_delta(new):
        reasons.append("it is a delta CRL, not a base CRL")
    if previous is not None and previous.thumbprint != new.thumbprint:
        if (
            new.crl_number is not None
            and previous.crl_number is not None
            and new.crl_number <= previous.crl_number
        ):
            reasons.append(
                f"its CRL number {new.crl_number} is not higher than the previous {previous.crl_number}"
            )
        if new.this_update <= previous.this_update:
            reasons.append(
                f"its thisUpdate {_iso(new.this_update)} is not later than the previous"
                f" {_iso(previous.this_update)}"
            )
    elif previous is not None:
        reasons.append("it is the same CRL as before: certutil -crl did not issue a new one")
    if new.next_update is None:
        reasons.append("it has no nextUpdate")
    elif new.next_update <= now:
        reasons.append(f"its nextUpdate {_iso(new.next_update)} is not in the future")
    if reasons:
        raise PkiInputError(source, "refused: " + "; ".join(reasons))


def find_issuer(crl: Crl, candidates: Iterable[Certificate], source: str) -> Certificate:
    """The certificate that issued a CRL, by name and key; errors say whether the name or the key failed."""
    named = [c for c in candidates if c.subject_key == crl.issuer_key]
    for cert in named:
        if crl.verify(cert):
            return cert
    if named:
        prints = ", ".join(c.thumbprint for c in named)
        raise PkiInputError(
            source,
            f"refused: the CRL names {crl.issuer!r} but its signature does not verify with the key of"
            f" any certificate of that name ({prints}): signed by another key",
        )
    raise PkiInputError(source, f"no certificate named {crl.issuer!r} (the CRL's issuer) to verify it with")


@dataclass(frozen=True)
class InstallPlan:
    """Whether to install a CRL into the CA store, and the CRL it supersedes."""

    install: bool
    reason: str
    installed: Crl | None


def plan_install(
    crl: Crl,
    issuer_cert: Certificate,
    installed: Iterable[Crl],
    now: datetime,
    allow_older: bool,
    source: str,
) -> InstallPlan:
    """Decide whether `certutil -addstore CA` must run; refusals raise PkiInputError naming the CRL."""
    reasons: list[str] = []
    problem = crl.issuer_problem(issuer_cert)
    if problem is not None:
        signed_elsewhere = crl.issuer_key == issuer_cert.subject_key
        reasons.append(f"it {problem}" + (": signed by another key" if signed_elsewhere else ""))
    if crl.next_update is not None and crl.next_update <= now:
        reasons.append(f"it expired on {_iso(crl.next_update)}")
    if reasons:
        raise PkiInputError(source, "refused: " + "; ".join(reasons))
    installed = list(installed)
    if any(c.thumbprint == crl.thumbprint for c in installed):
        return InstallPlan(False, f"CRL {crl.thumbprint} is already in the CA store", crl)
    mine = [c for c in installed if not is_delta(c) and issued_by(c, issuer_cert)]
    previous = newest(mine)
    if previous is None:
        return InstallPlan(True, "no CRL of this issuer is installed", None)
    older = newer_refusals(crl, previous)
    if older and not allow_older:
        raise PkiInputError(
            source,
            "refused: older than the installed CRL "
            f"{previous.thumbprint} ({'; '.join(older)}); set allow_older to install it anyway",
        )
    reason = f"it supersedes the installed CRL number {previous.crl_number}"
    if older:
        reason = f"allow_older is set although {'; '.join(older)}"
    return InstallPlan(True, reason, previous)


def fail_within(crl: Crl | None, now: datetime, fail_within_days: int) -> bool:
    """Whether a CRL is missing, expired, or has at most `fail_within_days` days left."""
    if crl is None:
        return True
    if crl.next_update is None:
        return False
    return crl.next_update - now <= timedelta(days=fail_within_days)
