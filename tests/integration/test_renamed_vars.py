# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Variables set under their names before the sfb_pki_ prefix still work, with one deprecation warning.

The services role on two simulated hosts, with Ansible's default output (where deprecation warnings are
printed) and deprecation warnings on (simlab turns them off for the other tests).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from simlab import RunResult, SimLab

pytestmark = pytest.mark.integration

ROLE = "tests/integration/playbooks/services_role.yml"
HOSTS = ("fe01", "edge01")
SHOWN = {"ANSIBLE_DEPRECATION_WARNINGS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"}
WARNING = (
    "[DEPRECATION WARNING]: The variable services_delayed_start is renamed sfb_pki_services_delayed_start;"
    " set sfb_pki_services_delayed_start instead"
)


def run(lab: SimLab, extra: dict[str, Any]) -> RunResult:
    res = lab.run(ROLE, limit=",".join(HOSTS), extra_vars=extra, env=SHOWN)
    assert res.rc == 0, res.stdout[-4000:] + res.stderr[-4000:]
    return res


def start_modes(lab: SimLab, host: str) -> dict[str, str]:
    model = lab.host(host)
    return {name: model.start_mode(name) for name in ("RTCCLSAGT", "REPLICA")}


def output(res: RunResult) -> str:
    # Ansible joins long warning lines only when the terminal is wide; undo any wrapping.
    return " ".join((res.stdout + res.stderr).split())


def test_an_old_name_takes_effect_with_one_deprecation_warning(lab: SimLab) -> None:
    # Only RTCCLSAGT is listed, under the old name: REPLICA must stay as the repair left it.
    res = run(lab, {"services_delayed_start": ["RTCCLSAGT"]})
    for host in HOSTS:
        assert start_modes(lab, host) == {"RTCCLSAGT": "delayed", "REPLICA": "disabled"}
    text = output(res)
    # one warning for the old name, though both hosts read it
    assert text.count(WARNING) == 1, text[-3000:]
    assert "removed from collection 'sfb.pki' version 2.0.0" in text
    assert "is ignored" not in text


def test_the_new_name_takes_effect_without_a_warning(lab: SimLab) -> None:
    res = run(lab, {"sfb_pki_services_delayed_start": ["RTCCLSAGT"]})
    for host in HOSTS:
        assert start_modes(lab, host) == {"RTCCLSAGT": "delayed", "REPLICA": "disabled"}
    assert "DEPRECATION WARNING" not in output(res)


def test_with_both_names_the_new_one_wins_and_the_warning_says_so(lab: SimLab) -> None:
    res = run(lab, {"services_delayed_start": ["REPLICA"], "sfb_pki_services_delayed_start": ["RTCCLSAGT"]})
    for host in HOSTS:
        assert start_modes(lab, host) == {"RTCCLSAGT": "delayed", "REPLICA": "disabled"}
    text = output(res)
    assert text.count(WARNING) == 1, text[-3000:]
    assert (
        "Both are set: sfb_pki_services_delayed_start is used and services_delayed_start is ignored" in text
    )


def test_an_old_name_is_checked_against_the_role_argument_spec(lab: SimLab) -> None:
    res = lab.run(ROLE, limit="fe01", extra_vars={"services_state": "paused"})
    assert res.rc != 0
    assert "sfb_pki_services_state" in res.stdout + res.stderr
    assert lab.calls("fe01") == []


def test_run_once_in_a_playbook_still_finds_an_old_name_on_another_host(lab: SimLab) -> None:
    # The playbooks run the check once per play batch; an old name only in the second host's variables
    # (a fact here, as host_vars would be) must still be warned about, once.
    plays = [
        {
            "name": "Only edge01 has the old name",
            "hosts": "edge01",
            "gather_facts": False,
            "tasks": [{"ansible.builtin.set_fact": {"audit_events_days": 3}}],
        },
        {
            "name": "Check once for the batch",
            "hosts": "fe01,edge01",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Warn once",
                    "sfb.pki.renamed_vars": {"scope": ["audit"]},
                    "run_once": True,
                    "register": "checked",
                },
                {"ansible.builtin.assert": {"that": ["checked.renamed | length == 1"]}},
            ],
        },
    ]
    path = lab.root / "tmp" / "run_once.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(plays))
    res = lab.run(path, limit="fe01,edge01", env=SHOWN)
    assert res.rc == 0, res.stdout[-4000:] + res.stderr[-4000:]
    text = output(res)
    warning = "[DEPRECATION WARNING]: The variable audit_events_days is renamed sfb_pki_audit_events_days"
    assert text.count(warning) == 1, text[-3000:]
    assert lab.calls("fe01") == [] and lab.calls("edge01") == []
