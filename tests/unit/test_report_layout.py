# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html in a real browser: at 1280 px the page does not scroll sideways and the fix column is on
screen, even with thumbprints and registry paths that have no place to break (headless Chromium)."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.sfb.pki.plugins.module_utils import _report as report
from ansible_collections.sfb.pki.plugins.module_utils._findings import Finding

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WIDTH = 1280
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")

# Runs only in the test's copy of the page (the report itself has no script): opens every host, then
# measures the viewport, the page and each fix cell, and leaves the numbers in the DOM for --dump-dom.
MEASURE = """<script>
document.querySelectorAll('details').forEach(function (d) { d.open = true; });
var fixes = Array.prototype.map.call(document.querySelectorAll('td.fix'), function (td) {
  var r = td.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width};
});
var heads = Array.prototype.filter.call(document.querySelectorAll('th'), function (th) {
  return th.textContent === 'fix'; }).map(function (th) { return th.getBoundingClientRect().right; });
document.body.setAttribute('data-layout', JSON.stringify({viewport: window.innerWidth,
  page: document.documentElement.scrollWidth, fixes: fixes, heads: heads}));
</script></body>"""


def _wide_estate() -> dict[str, Any]:
    """Findings with the longest unbreakable values real hosts produce."""
    thumbprint = "3B1EFD3A66EA28B16697394703A72CA340A05BD5"
    key = (
        "HKLM:\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\" + thumbprint
    )  # no space to wrap at
    findings = [
        Finding(
            "subordinate_in_root",
            "critical",
            "CN=Contoso Issuing CA 01,OU=PKI,O=Contoso Ltd,L=Redmond,ST=Washington,C=US is not self-signed "
            "but sits in Trusted Root (KB2795828)",
            f"sfb.pki.root_store moves it to Intermediate: {key} -> "
            f"HKLM:\\SOFTWARE\\Microsoft\\SystemCertificates\\CA\\Certificates\\{thumbprint}",
            object=key,
            thumbprint=thumbprint,
            symptoms=["32042", "0x800B0109"],
        ).as_dict(),
        Finding(
            "weak_signature_ca",
            "warning",
            "x" * 300,
            "certutil -repairstore " + thumbprint * 3,
            object=thumbprint * 2,
            thumbprint=thumbprint,
        ).as_dict(),
    ]
    crl = {
        "issuer": "CN=Contoso Offline Root CA With A Rather Long Name,O=Contoso",
        "this_update": (NOW - timedelta(days=100)).isoformat(),
        "next_update": (NOW + timedelta(days=20)).isoformat(),
    }
    cert = {
        "thumbprint": thumbprint,
        "subject": "CN=" + "lyncpool-frontend-" * 6 + ".contoso.com",
        "chain": [{"thumbprint": thumbprint * 2}],
        "lpe": {"anchor": None, "baselines": {"RTM": "untrusted", "CU10": "untrusted", "CU11": "trusted"}},
    }
    hosts = {
        f"fe{i:02d}.corp.contoso-long-domain-name.example.com": {
            "findings": findings,
            "ca": {"crls": [crl]},
            "server_certificates": {"certificates": [cert]},
        }
        for i in range(3)
    }
    return hosts


def _chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},1000",
        *args,
        page.as_uri(),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_fix_column_is_on_screen_at_1280_px(tmp_path: Path) -> None:
    html = report.render_html(report.build_report(_wide_estate(), NOW), NOW)
    assert "<script" not in html
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", MEASURE))

    dom = _chromium(page, tmp_path / "profile", "--dump-dom")
    found = re.search(r'data-layout="([^"]*)"', dom.stdout)
    assert found, dom.stdout[-2000:] + dom.stderr[-2000:]
    layout = json.loads(found.group(1).replace("&quot;", '"'))
    assert layout["viewport"] == WIDTH
    assert layout["page"] <= WIDTH, f"the page is {layout['page']} px wide: it scrolls sideways"
    assert len(layout["fixes"]) == 6 and len(layout["heads"]) == 3
    for cell in layout["fixes"]:
        assert cell["right"] <= WIDTH, cell
        assert cell["width"] >= 250, cell  # readable, not squeezed to a sliver
    assert all(right <= WIDTH for right in layout["heads"])

    # The same page as a screenshot: what a 1280 px screen shows is exactly as wide as the viewport.
    shot = tmp_path / "report.png"
    _chromium(tmp_path / "report.html", tmp_path / "profile2", f"--screenshot={shot}")
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, _height = struct.unpack(">II", header[16:24])
    assert width == WIDTH
