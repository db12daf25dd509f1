# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _report as report
from ansible_collections.sfb.pki.plugins.module_utils._errors import PkiInputError
from ansible_collections.sfb.pki.plugins.module_utils._findings import Finding

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _observed(event_id: int, count: int, causes: list[str]) -> dict[str, Any]:
    return {
        "id": event_id,
        "log": "Lync Server",
        "source": "Lync Server",
        "count": count,
        "label": f"event {event_id} (Lync Server)",
        "meaning": "meaning of " + str(event_id),
        "causes": causes,
    }


def _crl(issuer: str, this_update: datetime, next_update: datetime) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "thumbprint": "AB" * 20,
        "this_update": this_update.isoformat(),
        "next_update": next_update.isoformat(),
    }


def _estate() -> dict[str, Any]:
    sub = Finding(
        "subordinate_in_root",
        "critical",
        "CN=Issuing CA is not self-signed but sits in Trusted Root <script>",
        "sfb.pki.root_store: root_store_move_subordinates: true",
        object="CN=Issuing CA",
        symptoms=("event 32042", "0x800B0109"),
    )
    crl = Finding("ca_crl_expired", "critical", "Root CRL expired", "sfb.pki.crl_publish", object="Root CRL")
    return {
        "fe01": {
            "changed": False,
            "computer_name": "FE01",
            "findings": [sub.as_dict()],
            "events": {"observed": [_observed(32042, 12, ["subordinate_in_root"])]},
        },
        "fe02": {
            "findings": [],
            "events": {"observed": [_observed(41026, 3, ["server_cert_eku"])]},
        },
        "subca": {
            "findings": [],
            "events": {
                "observed": [
                    dict(_observed(100, 2, ["ca_parent_crl_expired"]), remote_causes=["ca_crl_expired"])
                ]
            },
            "certificates": {"crls": [_crl("CN=Root", NOW - timedelta(days=200), NOW + timedelta(days=10))]},
        },
        "root": {
            "findings": [crl.as_dict()],
            "ca": {
                "crls": [
                    _crl("CN=Root", NOW - timedelta(days=100), NOW + timedelta(days=110)),
                    _crl("CN=Old", NOW - timedelta(days=400), NOW - timedelta(days=5)),
                ]
            },
        },
        "edge01": {"unreachable": True, "msg": "connection refused"},
        "healthy": {"findings": [], "events": {"observed": []}},
    }


def test_report_shape_and_summary() -> None:
    data = report.build_report(_estate(), NOW, events_days=7)
    json.dumps(data)  # report.json must serialize as is
    assert data["generated"] == NOW.isoformat()
    names = [h["name"] for h in data["hosts"]]
    assert names == sorted(names)
    by_name = {h["name"]: h for h in data["hosts"]}
    assert by_name["edge01"]["status"] == "unreachable"
    assert by_name["healthy"]["findings"] == []
    assert by_name["healthy"]["worst"] is None
    assert data["summary"]["hosts"] == 6
    assert data["summary"]["hosts_not_read"] == ["edge01"]
    assert data["summary"]["findings"] == {"critical": 2, "warning": 0, "info": 1}
    assert data["summary"]["worst"] == "critical"
    for host in data["hosts"]:
        for f in host["findings"]:
            assert {"id", "severity", "object", "message", "fix", "symptoms"} <= set(f)


def test_symptoms_link_to_local_and_remote_causes() -> None:
    data = report.build_report(_estate(), NOW, events_days=7)
    by_name = {h["name"]: h for h in data["hosts"]}
    fe01 = by_name["fe01"]
    assert fe01["symptoms"][0]["explained_by"] == [
        {"host": "fe01", "id": "subordinate_in_root", "object": "CN=Issuing CA", "severity": "critical"}
    ]
    assert fe01["findings"][0]["observed"] == [
        {"id": 32042, "label": "event 32042 (Lync Server)", "count": 12}
    ]
    # the CA service symptom on subca is explained by the root CRL finding on another host
    assert by_name["subca"]["symptoms"][0]["explained_by"][0]["host"] == "root"
    assert by_name["subca"]["findings"] == []
    # 41026 on fe02 has no cause in the estate: it becomes a finding of its own
    unexplained = by_name["fe02"]["findings"]
    assert [f["id"] for f in unexplained] == ["unexplained_symptom"]
    assert "41026" in unexplained[0]["message"]
    assert "last 7 days" in unexplained[0]["message"]


def test_crl_timeline_takes_newest_per_ca() -> None:
    data = report.build_report(_estate(), NOW)
    rows = {r["ca"]: r for r in data["crl_timeline"]}
    assert rows["CN=Root"]["host"] == "root"
    assert rows["CN=Root"]["hosts"] == ["root", "subca"]
    assert rows["CN=Root"]["status"] == "ok"
    assert rows["CN=Old"]["status"] == "expired"
    due = datetime.fromisoformat(rows["CN=Root"]["refresh_due"])
    assert due == NOW + timedelta(days=80)


def test_a_hosts_crls_are_read_from_the_ca_the_certificate_stores_and_crl_facts_in_that_order() -> None:
    def at(issuer: str) -> dict[str, Any]:
        return _crl(issuer, NOW - timedelta(days=10), NOW + timedelta(days=100))

    host = {
        "findings": [],
        "crl": {"published": at("CN=Published")},
        "certificates": {"crls": [at("CN=In A Store")], "certificates": [{"subject": "CN=Leaf"}]},
        "ca": {"crls": [at("CN=Issued")], "parent_crl": at("CN=Parent")},
    }
    data = report.build_report({"h": host}, NOW)
    issuers = [c["issuer"] for c in data["hosts"][0]["crls"]]
    assert issuers == ["CN=Issued", "CN=Parent", "CN=In A Store", "CN=Published"]


def test_refresh_due_status_and_explicit_mark() -> None:
    crl = _crl("CN=R", NOW - timedelta(days=100), NOW + timedelta(days=20))
    data = report.build_report({"r": {"findings": [], "ca": {"crls": [crl]}}}, NOW)
    assert data["crl_timeline"][0]["status"] == "refresh_due"
    crl["refresh_due"] = (NOW + timedelta(days=5)).isoformat()
    data = report.build_report({"r": {"findings": [], "ca": {"crls": [crl]}}}, NOW)
    assert data["crl_timeline"][0]["status"] == "ok"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(value)
        if tag in ("script", "link", "img", "iframe"):
            self.external.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_parses_contains_every_finding_and_is_self_contained() -> None:
    data = report.build_report(_estate(), NOW, events_days=7)
    page = report.render_html(data, NOW)
    parser = _Collector()
    parser.feed(page)
    parser.close()
    text = " ".join(parser.text)
    assert parser.external == []
    assert "svg" in parser.tags
    assert "<script>" not in page  # the finding text is escaped
    for host in data["hosts"]:
        assert host["name"] in text
        for f in host["findings"]:
            assert f["id"] in text
            assert f["message"] in text
            assert f["fix"] in text
    assert "today 2026-11-23" in text
    assert "connection refused" in text
    # a finding row is marked by its severity at the edge; the badge colour is for badges only
    assert '<tr class="row-critical">' in page and '<tr class="critical">' not in page


def test_html_without_crls_or_findings() -> None:
    data = report.build_report({"a": {"findings": []}}, NOW)
    page = report.render_html(data)
    assert "No CRLs were read" in page
    assert "No symptom events" in page


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("none", False), ("warning", True), ("critical", True)],
)
def test_fail_on(fail_on: str, expected: bool) -> None:
    data = report.build_report(_estate(), NOW)
    assert report.fail_reached(data, fail_on) is expected


def test_fail_on_levels_on_warning_only_estate() -> None:
    warn = Finding("crl_refresh_due", "warning", "m", "f").as_dict()
    data = report.build_report({"a": {"findings": [warn]}}, NOW)
    assert report.fail_reached(data, "warning") is True
    assert report.fail_reached(data, "critical") is False
    clean = report.build_report({"a": {"findings": []}}, NOW)
    assert report.fail_reached(clean, "warning") is False


def test_bad_inputs_name_the_input() -> None:
    with pytest.raises(PkiInputError, match="sfb_pki_audit_fail_on"):
        report.fail_reached(report.build_report({}, NOW), "sometimes")
    with pytest.raises(PkiInputError, match=r"hosts\[x\]\.findings\[0\]"):
        report.build_report({"x": {"findings": [{"id": "a", "severity": "fatal"}]}}, NOW)
    with pytest.raises(PkiInputError, match=r"hosts\[x\]\.findings\[0\]"):
        report.build_report({"x": {"findings": ["nope"]}}, NOW)
    with pytest.raises(PkiInputError, match="hosts"):
        report.build_report(["x"], NOW)  # type: ignore[arg-type]
    with pytest.raises(PkiInputError, match="no id"):
        report.build_report({"x": {"findings": [{"severity": "info"}]}}, NOW)
    with pytest.raises(PkiInputError, match="must be a list"):
        report.build_report({"x": {"findings": "a"}}, NOW)


def test_sections_nested_and_missing_results() -> None:
    nested = {"sections": {"events": {"observed": []}}, "findings": []}
    data = report.build_report({"a": nested, "b": None, "c": {"failed": True, "msg": "boom"}}, NOW)
    status = {h["name"]: h["status"] for h in data["hosts"]}
    assert status == {"a": "ok", "b": "unreachable", "c": "failed"}


def test_sha1_ca_does_not_explain_schannel_alerts() -> None:
    sha1 = Finding("weak_signature_ca", "warning", "SHA-1 CA", "re-sign", object="AA").as_dict()
    schannel = _observed(36888, 4, ["weak_signature_ca@critical"])
    data = report.build_report({"fe": {"findings": [sha1], "events": {"observed": [schannel]}}}, NOW)
    ids = [f["id"] for f in data["hosts"][0]["findings"]]
    assert sorted(ids) == ["unexplained_symptom", "weak_signature_ca"]
    unexplained = next(f for f in data["hosts"][0]["findings"] if f["id"] == "unexplained_symptom")
    assert "weak_signature_ca (critical)" in unexplained["fix"]
    md5 = Finding("weak_signature_ca", "critical", "MD5 CA", "re-sign", object="BB").as_dict()
    data = report.build_report({"fe": {"findings": [md5], "events": {"observed": [schannel]}}}, NOW)
    assert [f["id"] for f in data["hosts"][0]["findings"]] == ["weak_signature_ca"]


def test_timeline_prefers_the_ca_sections_refresh_due_for_the_same_crl() -> None:
    this_update, next_update = NOW - timedelta(days=100), NOW + timedelta(days=110)
    installed = _crl("CN=Root", this_update, next_update)
    certenroll = dict(installed, refresh_due=(NOW + timedelta(days=50)).isoformat())
    for order in ([installed], [certenroll]), ([certenroll], [installed]):
        results = {
            "root": {"findings": [], "ca": {"crls": order[0]}},
            "sub": {"findings": [], "certificates": {"crls": order[1]}},
        }
        row = report.build_report(results, NOW)["crl_timeline"][0]
        assert row["refresh_due"] == certenroll["refresh_due"]


def test_info_findings_never_explain_symptoms() -> None:
    expired = Finding("expired_ca", "info", "AuthRoot root expired", "nothing").as_dict()
    data = report.build_report(
        {"fe": {"findings": [expired], "events": {"observed": [_observed(32042, 1, ["expired_ca"])]}}}, NOW
    )
    host = data["hosts"][0]
    assert host["symptoms"][0]["explained_by"] == []
    assert "unexplained_symptom" in [f["id"] for f in host["findings"]]


def test_only_remote_causes_are_looked_for_on_other_hosts() -> None:
    expired = Finding("expired_ca", "warning", "retired CA expired", "renew").as_dict()
    symptom = dict(_observed(100, 1, ["expired_ca"]), remote_causes=["ca_crl_expired"])
    data = report.build_report(
        {"ca": {"findings": [], "events": {"observed": [symptom]}}, "fe": {"findings": [expired]}}, NOW
    )
    ca = next(h for h in data["hosts"] if h["name"] == "ca")
    assert ca["symptoms"][0]["explained_by"] == []
    assert [f["id"] for f in ca["findings"]] == ["unexplained_symptom"]


def test_phone_readiness_table() -> None:
    cert = {
        "thumbprint": "CC" * 20,
        "subject": "CN=lyncweb.contoso.com",
        "chain": [{"thumbprint": "CC" * 20, "subject": "CN=lyncweb.contoso.com"}, {"thumbprint": "A8" * 20}],
        "lpe": {"anchor": None, "baselines": {"RTM": "untrusted", "CU10": "expired", "CU11": "trusted"}},
    }
    results = {"fe": {"findings": [], "server_certificates": {"certificates": [cert]}}}
    data = report.build_report(results, NOW)
    assert data["hosts"][0]["server_certificates"][0]["thumbprint"] == "CC" * 20
    page = report.render_html(data, NOW)
    assert '<span class="yes">trusted</span>' in page
    # no finding about this certificate: the other verdicts are neutral, not red
    assert '<span class="v-none">untrusted</span>' in page
    assert '<span class="v-none">expired</span>' in page
    assert "CN=lyncweb.contoso.com \u2192 " + "A8" * 20 in page
    assert (
        '<th style="width:7em">RTM</th><th style="width:7em">CU10</th><th style="width:7em">CU11</th>' in page
    )


@pytest.mark.parametrize(("severity", "css"), [("info", "v-info"), ("warning", "v-warning")])
def test_phone_readiness_colour_follows_the_findings_severity(severity: str, css: str) -> None:
    cert = {
        "thumbprint": "cc" * 20,
        "subject": "CN=pool.contoso.com",
        "lpe": {"anchor": None, "baselines": {"RTM": "untrusted", "CU11": "trusted"}},
    }
    finding = Finding("lpe_root_not_in_firmware", severity, "m", "f", object="CC" * 20).as_dict()
    results = {"fe": {"findings": [finding], "server_certificates": {"certificates": [cert]}}}
    page = report.render_html(report.build_report(results, NOW), NOW)
    assert f'<span class="{css}">untrusted</span>' in page
    assert 'class="v-critical"' not in page


def test_a_crl_shorter_than_the_cushion_is_never_due_in_the_timeline() -> None:
    # an online CA's 7-day CRL, 2 days left: the findings exempt it, so must the timeline
    weekly = _crl("CN=Online", NOW - timedelta(days=5), NOW + timedelta(days=2))
    weekly["refresh_due"] = (NOW - timedelta(days=28)).isoformat()  # host_info: nextUpdate - 30 days
    data = report.build_report({"ca": {"findings": [], "ca": {"crls": [weekly]}}}, NOW)
    (row,) = data["crl_timeline"]
    assert row["status"] == "ok" and row["refresh_due"] is None
    svg = report.crl_timeline_svg(data["crl_timeline"], NOW)
    assert "stroke-dasharray" not in svg  # no due mark before the CRL was even issued
    page = report.render_html(data, NOW)
    assert "none (re-issued by its CA)" in page
    # expiry still counts
    old = _crl("CN=Online", NOW - timedelta(days=9), NOW - timedelta(days=2))
    data = report.build_report({"ca": {"findings": [], "ca": {"crls": [old]}}}, NOW)
    assert data["crl_timeline"][0]["status"] == "expired"


def test_times_are_shown_to_the_minute() -> None:
    moment = NOW.replace(microsecond=123456)
    data = report.build_report({"a": {"findings": []}}, moment)
    assert data["generated"] == NOW.replace(microsecond=0).isoformat()
    page = report.render_html(data, moment)
    assert f"Generated {NOW:%Y-%m-%d %H:%M} UTC." in page
    assert ".123456" not in page
    assert report.show_time("2026-11-23T10:11:12.999999+02:00") == "2026-11-23 08:11 UTC"
    assert report.show_time("not a time") == "not a time"


def test_a_site_template_replaces_the_page_and_errors_name_it() -> None:
    data = report.build_report(_estate(), NOW, events_days=7)
    page = report.render_html(
        data,
        NOW,
        template="<h1>{{ report.summary.hosts }} hosts, {{ view.generated }}</h1>"
        "{% for h in view.hosts %}<p>{{ h.name }}</p>{% endfor %}",
    )
    assert page.startswith("<h1>6 hosts, 2026-11-23 ")
    assert "<p>edge01</p>" in page
    escaped = report.render_html(data, NOW, template="{{ '<script>' }}")
    assert escaped == "&lt;script&gt;"
    with pytest.raises(PkiInputError, match="template"):
        report.render_html(data, NOW, template="{% for %}")


def test_timeline_ignores_unparseable_dates_and_scales_to_today() -> None:
    good = _crl("CN=A", NOW - timedelta(days=10), NOW + timedelta(days=100))
    bad = {"issuer": "CN=B", "this_update": "yesterday", "next_update": None}
    data = report.build_report({"ca": {"findings": [], "ca": {"crls": [good, bad], "parent_crl": None}}}, NOW)
    assert [r["ca"] for r in data["crl_timeline"]] == ["CN=A"]
    svg = report.crl_timeline_svg(data["crl_timeline"], NOW)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "today 2026-11-23" in svg
    assert svg.count("<rect") == 1


def test_provenance_column_and_root_table() -> None:
    stray = Finding(
        "unvetted_root", "warning", "stray root", "remove it", object="Root/registry/" + "EE" * 20
    )
    prov = {
        "counts": {
            "windows_required": 8,
            "microsoft_program": 31,
            "enterprise": 1,
            "declared": 0,
            "unvetted": 1,
        },
        "roots": [
            {
                "thumbprint": "DD" * 20,
                "subject": "CN=Contoso Root",
                "provenance": "enterprise",
                "locations": [{"store": "Root", "physical": "group_policy"}],
            },
            {
                "thumbprint": "EE" * 20,
                "subject": "CN=Stray <Root>",
                "provenance": "unvetted",
                "locations": [{"store": "Root", "physical": "registry"}],
            },
        ],
    }
    results = {"fe": {"findings": [stray.as_dict()], "provenance": prov}, "old": {"findings": []}}
    data = report.build_report(results, NOW)
    fe = next(h for h in data["hosts"] if h["name"] == "fe")
    assert fe["provenance"]["counts"]["unvetted"] == 1
    assert "provenance" not in next(h for h in data["hosts"] if h["name"] == "old")
    page = report.render_html(data, NOW)
    assert "<th>Trusted Root provenance</th>" in page
    assert "8 Windows, 31 program, 1 enterprise, 0 declared, <b>1 unvetted</b>" in page
    # unvetted first in the host's root table, names escaped
    assert page.index("CN=Stray &lt;Root&gt;") < page.index("CN=Contoso Root")
    assert "<td>unvetted</td><td>CN=Stray &lt;Root&gt;</td>" in page


# --- sliced runs ---------------------------------------------------------------------------------
def _slices(parts: list[list[str]], events_days: int | None = 7) -> list[tuple[str, dict[str, Any]]]:
    """Slice reports of `_estate()` split into `parts`, written as JSON and read back like files."""
    estate = _estate()
    out = []
    for number, names in enumerate(parts, start=1):
        data = report.build_report(
            {n: estate[n] for n in names}, NOW - timedelta(minutes=number), events_days, slice_id=str(number)
        )
        assert data["slice"] == str(number)
        out.append((f"slice{number}/report.json", json.loads(json.dumps(data))))
    return out


@pytest.mark.parametrize(
    "parts",
    [
        [["fe01", "subca", "healthy"], ["fe02", "root", "edge01"]],  # subca's cause is on root, another slice
        [["root"], ["subca"], ["fe01", "fe02"], ["edge01", "healthy"]],
        [["edge01", "fe01", "fe02", "healthy", "root", "subca"]],
    ],
)
def test_merged_slices_equal_one_run(parts: list[list[str]]) -> None:
    single = report.build_report(_estate(), NOW, events_days=7)
    merged = report.merge_reports(_slices(parts), NOW)
    assert merged == json.loads(json.dumps(single))
    assert report.render_html(merged, NOW) == report.render_html(single, NOW)


def test_a_slice_alone_misses_the_remote_cause_the_merge_finds() -> None:
    slices = _slices([["fe01", "subca", "healthy"], ["fe02", "root", "edge01"]])
    alone = {h["name"]: h for h in slices[0][1]["hosts"]}
    assert alone["subca"]["symptoms"][0]["explained_by"] == []
    assert [f["id"] for f in alone["subca"]["findings"]] == ["unexplained_symptom"]
    merged = {h["name"]: h for h in report.merge_reports(slices, NOW)["hosts"]}
    assert merged["subca"]["symptoms"][0]["explained_by"][0]["host"] == "root"
    assert merged["subca"]["findings"] == []


def test_merge_refuses_overlap_foreign_data_and_mixed_windows() -> None:
    with pytest.raises(PkiInputError, match=r"slice2/report\.json: host fe01 is also in slice1/report\.json"):
        report.merge_reports(_slices([["fe01", "root"], ["fe01"]]), NOW)
    with pytest.raises(PkiInputError, match=r"x\.json: is not an sfb\.pki audit report"):
        report.merge_reports([("x.json", {"hosts": []})], NOW)
    with pytest.raises(PkiInputError, match="no slice reports"):
        report.merge_reports([], NOW)
    mixed = _slices([["fe01"]], events_days=7) + _slices([["fe02"]], events_days=14)
    mixed[1] = ("slice2/report.json", mixed[1][1])
    with pytest.raises(PkiInputError, match="different event windows"):
        report.merge_reports(mixed, NOW)
    assert report.merge_reports(mixed, NOW, events_days=7)["events_days"] == 7


def test_host_sections_start_closed_in_an_estate() -> None:
    few = report.render_html(report.build_report(_estate(), NOW, events_days=7), NOW)
    assert '<details id="h-fe01" open>' in few  # a critical finding, a small report
    many = {f"fe{n:03d}": _estate()["fe01"] for n in range(report.HOSTS_OPEN_UP_TO + 1)}
    page = report.render_html(report.build_report(many, NOW, events_days=7), NOW)
    assert page.count("<details") == report.HOSTS_OPEN_UP_TO + 1
    assert " open>" not in page
    assert page.index('id="summary"') < page.index('id="hosts"') < page.index("<details")
