# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _section_events as events
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _snap(events_result: list[dict[str, object]]) -> Snapshot:
    return Snapshot.from_result({"computer_name": "FE01", "events": events_result})


def test_request_groups_ids_per_log_and_provider() -> None:
    req = SnapshotRequest()
    events.request({"events_days": 3}, req)
    by_log = {(e["log"], e["provider"]): e for e in req.parameters()["Events"]}
    assert by_log[("Lync Server", None)]["ids"] == [30998, 32042, 32174, 41025, 41026, 61029]
    assert by_log[("System", "Schannel")]["ids"] == [36874, 36885, 36888]
    ca = by_log[("Application", "Microsoft-Windows-CertificationAuthority")]
    assert ca["ids"] == [100]
    assert ca["match"] == "0x80092013"
    assert all(e["days"] == 3 for e in req.events)
    assert "match" not in by_log[("System", "Schannel")]


def test_default_days_is_seven() -> None:
    req = SnapshotRequest()
    events.request({}, req)
    assert {e["days"] for e in req.events} == {7}


@pytest.mark.parametrize("bad", [0, -1, 366, "x", True, 1.5])
def test_bad_days_names_the_option(bad: object) -> None:
    with pytest.raises(PkiInputError, match="events_days"):
        events.events_days({"events_days": bad})


def test_days_from_string_and_none() -> None:
    assert events.events_days({"events_days": "14"}) == 14
    assert events.events_days({"events_days": None}) == 7


def test_analyze_counts_and_links_causes() -> None:
    snap = _snap(
        [
            {"log": "Lync Server", "provider": None, "exists": True, "counts": {"32042": 12, "41026": 0}},
            {"log": "System", "provider": "Schannel", "exists": True, "counts": {"36888": 4, "36885": 7}},
            {
                "log": "Application",
                "provider": "Microsoft-Windows-CertificationAuthority",
                "exists": True,
                "match": "0x80092013",
                "counts": {"100": 2},
            },
        ]
    )
    facts, findings = events.analyze({}, snap, NOW)
    assert findings == []
    assert facts["counts"]["32042"] == 12
    assert facts["counts"]["41026"] == 0
    assert facts["since"].startswith("2026-11-16")
    observed = {o["id"]: o for o in facts["observed"]}
    assert set(observed) == {32042, 36885, 36888, 100}
    assert "subordinate_in_root" in observed[32042]["causes"]
    assert observed[36888]["causes"] == [
        "weak_signature_ca@critical",
        "weak_signature_cert@critical",
        "tls_legacy_disabled_unprepared",
    ]
    assert observed[36885]["causes"] == ["schannel_issuer_list_too_long"]
    assert observed[100]["label"] == "event 100 (CertificationAuthority, 0x80092013)"
    assert observed[100]["remote_causes"] == ["ca_crl_expired"]
    assert observed[32042]["remote_causes"] == []


def test_unfiltered_ca_count_is_labelled_as_such() -> None:
    snap = _snap(
        [
            {
                "log": "Application",
                "provider": "Microsoft-Windows-CertificationAuthority",
                "exists": True,
                "counts": {"100": 5},
            }
        ]
    )
    facts, _unused = events.analyze({}, snap, NOW)
    assert facts["observed"][0]["label"] == "event 100 (CertificationAuthority)"


def test_missing_log_and_garbage_counts() -> None:
    snap = _snap([{"log": "Lync Server", "provider": None, "exists": False, "counts": {"32042": "junk"}}])
    facts, _unused = events.analyze({}, snap, NOW)
    assert facts["observed"] == []
    assert facts["logs"] == [{"log": "Lync Server", "provider": None, "exists": False}]
    assert "36888" not in facts["counts"]


@pytest.mark.parametrize(
    ("patterns", "finding_id", "expected"),
    [
        (("crl_*",), "crl_expired", True),
        (("crl_*",), "ca_crl_expired", False),
        (("gpo_only_root",), "gpo_only_root", True),
        (("gpo_only_root",), "gpo_only_root_x", False),
    ],
)
def test_explains(patterns: tuple[str, ...], finding_id: str, expected: bool) -> None:
    assert events.explains(patterns, finding_id) is expected


def test_explains_with_severity() -> None:
    assert events.explains(("weak_signature_ca@critical",), "weak_signature_ca", "critical") is True
    assert events.explains(("weak_signature_ca@critical",), "weak_signature_ca", "warning") is False


# (finding id, severity) pairs each symptom must NOT be tied to: faults that cannot produce it.
_NOT_A_CAUSE = {
    36888: [
        ("weak_root_self_signature", "info"),
        ("weak_signature_ca", "warning"),
        ("expired_ca", "warning"),
    ],
    36874: [("weak_root_self_signature", "info"), ("weak_signature_cert", "warning")],
    32174: [("weak_root_self_signature", "info"), ("unverifiable_root", "info")],
    32042: [
        ("weak_root_self_signature", "info"),
        ("weak_signature_ca", "critical"),
        ("unverifiable_root", "info"),
    ],
    100: [("expired_ca", "warning"), ("expired_ca", "critical"), ("weak_signature_ca", "critical")],
}
# ... and some of the causes each can have.
_A_CAUSE = {
    36888: [("weak_signature_ca", "critical"), ("weak_signature_cert", "critical")],
    36874: [("weak_signature_cert", "critical")],
    32174: [("weak_signature_ca", "critical")],
    32042: [
        ("expired_ca", "critical"),
        ("subordinate_in_root", "critical"),
        ("server_cert_expired", "critical"),
    ],
    100: [("ca_parent_crl_expired", "critical"), ("ca_crl_expired", "warning")],
}


@pytest.mark.parametrize("event_id", sorted(_NOT_A_CAUSE))
def test_symptoms_are_tied_only_to_causes_that_can_produce_them(event_id: int) -> None:
    spec = events.EVENTS_BY_ID[event_id]
    for finding_id, severity in _NOT_A_CAUSE[event_id]:
        assert not events.explains(spec.causes, finding_id, severity), (event_id, finding_id, severity)
    for finding_id, severity in _A_CAUSE[event_id]:
        assert events.explains(spec.causes, finding_id, severity), (event_id, finding_id, severity)


def test_snapshot_script_applies_and_echoes_match() -> None:
    from ansible_collections.sfb.pki.plugins.plugin_utils._snapshot_script import SNAPSHOT_SCRIPT

    assert "Get-Field -Item $request -Name 'match'" in SNAPSHOT_SCRIPT
    assert "$entry['match'] = $match" in SNAPSHOT_SCRIPT
    assert "$needle = $match.ToLowerInvariant()" in SNAPSHOT_SCRIPT
    assert ".Contains($needle)" in SNAPSHOT_SCRIPT
