# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Makefile's choice of Python: the first 3.11-3.13 on PATH, a clear message when there is none.

Stand-in interpreters answer the Makefile's version check (`<python> -c '...'`) with the exit code a
real one of that version would give; PATH holds nothing else, so the machine's own Pythons are hidden.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def _bin(tmp_path: Path, pythons: dict[str, bool]) -> Path:
    """A PATH folder with stand-ins: name -> whether its version is 3.11 to 3.13."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, supported in pythons.items():
        script = folder / name
        script.write_text(f"#!/bin/sh\nexit {0 if supported else 1}\n")
        script.chmod(0o755)
    return folder


def _make(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    assert MAKE is not None
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "MAKEFLAGS", "MFLAGS")}
    environ.update(PATH=str(folder), **env)
    return subprocess.run(
        [MAKE, "--no-print-directory", "-C", str(REPO), *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _chosen(folder: Path, **env: str) -> str:
    proc = _make(folder, "-p", "-n", "-q", "help", **env)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(("PYTHON :=", "PYTHON ="))]
    assert lines, proc.stdout[-2000:] + proc.stderr[-2000:]
    return lines[-1].split("=", 1)[1].strip()


@pytest.mark.parametrize(
    ("pythons", "expected"),
    [
        ({"python3.13": True, "python3": False}, "python3.13"),
        ({"python3.12": True, "python3.13": True}, "python3.12"),
        ({"python3.11": True, "python3.13": True}, "python3.11"),
        ({"python3": True}, "python3"),
        ({"python3.13": False, "python3": False}, ""),
    ],
)
def test_first_supported_python_on_path(tmp_path: Path, pythons: dict[str, bool], expected: str) -> None:
    assert _chosen(_bin(tmp_path, pythons)) == expected


def test_an_explicit_python_wins(tmp_path: Path) -> None:
    assert _chosen(_bin(tmp_path, {"python3.13": True}), PYTHON="python3.11") == "python3.11"


def test_no_supported_python_says_which_versions(tmp_path: Path) -> None:
    folder = _bin(tmp_path, {"python3": False})
    proc = _make(folder, f"VENV={tmp_path / 'venv'}", "venv")
    assert proc.returncode != 0
    assert "need Python 3.11, 3.12 or 3.13" in proc.stdout + proc.stderr
    assert not (tmp_path / "venv").exists()


def test_sanity_gives_ansible_test_a_private_home(tmp_path: Path) -> None:
    """ansible-test writes its cache and virtualenvs below $HOME: `make sanity` points it at .build."""
    assert MAKE is not None
    home = tmp_path / "home"
    proc = subprocess.run(
        [
            MAKE,
            "--no-print-directory",
            "-C",
            str(REPO),
            "-n",
            "sanity",
            "PYTHON=python3",
            "SANITY_PYTHON=3.11",
        ],
        env={**os.environ, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    private = REPO / ".build" / "sanity-home"
    test_line = next(
        line for line in proc.stdout.splitlines() if "ansible-test sanity" in line or "HOME=" in line
    )
    assert f"HOME={private}" in proc.stdout and f"XDG_CACHE_HOME={private}/.cache" in proc.stdout, test_line
    assert str(home) not in proc.stdout
    assert not home.exists()
