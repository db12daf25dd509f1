# Copyright: (c) 2026, sfb.pki maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release tooling: build_ignore copies, the changelog freshness check, the ansible.windows floor,
and the benchmark's own-key verification and synthetic snapshot."""

from __future__ import annotations

import base64
import importlib.util
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from ansible_collections.sfb.pki.plugins.module_utils import _stores
from ansible_collections.sfb.pki.plugins.module_utils._snapshot import Snapshot, SnapshotRequest
from tests.support import pkifactory as pf

REPO = Path(__file__).resolve().parents[2]


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"ci_{name}", REPO / ".ci" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_ignore_copy_leaves_out_what_galaxy_leaves_out(tmp_path: Path) -> None:
    tool = _script("build_ignore")
    src = tmp_path / "src"
    for rel in (
        "plugins/a.py",
        "plugins/__pycache__/a.pyc",
        "tests/output/x.txt",
        "tests/unit/t.py",
        ".venv/bin/p",
    ):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text("x")
    (src / "galaxy.yml").write_text("build_ignore:\n  - .venv\n  - tests/output\n")
    pats = tool.patterns(str(src / "galaxy.yml"))
    tool.copy(str(src), str(tmp_path / "dst"), pats)
    copied = sorted(
        str(p.relative_to(tmp_path / "dst")) for p in (tmp_path / "dst").rglob("*") if p.is_file()
    )
    assert copied == ["galaxy.yml", "plugins/a.py", "tests/unit/t.py"]
    assert tool.rsync_excludes(pats)[-1] == "/tests/output"


def _changelogs(tmp_path: Path, fragment: str, recorded: str) -> Path:
    root = tmp_path / "changelogs"
    (root / "fragments").mkdir(parents=True)
    (root / "fragments" / "x.yml").write_text(fragment)
    (root / "changelog.yaml").write_text(recorded)
    return root


RECORDED = textwrap.dedent(
    """\
    releases:
      0.1.0:
        changes:
          minor_changes:
            - sfb.pki - one change.
        fragments:
          - x.yml
    """
)


@pytest.mark.parametrize(
    ("fragment", "recorded", "code"),
    [
        ("minor_changes:\n  - sfb.pki - one change.\n", RECORDED, 0),
        ("minor_changes:\n  - sfb.pki - an edited change.\n", RECORDED, 1),
        ("minor_changes:\n  - sfb.pki - one change.\n", "releases: {}\n", 1),
    ],
)
def test_changelog_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fragment: str, recorded: str, code: int
) -> None:
    tool = _script("changelog_check")
    monkeypatch.setattr(sys, "argv", ["changelog_check.py", str(_changelogs(tmp_path, fragment, recorded))])
    assert tool.main() == code


def _collection(tmp_path: Path, task: str, floor: str) -> Path:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "p.yml").write_text(task)
    (tmp_path / "galaxy.yml").write_text(f"dependencies:\n  ansible.windows: '{floor}'\n")
    return tmp_path


def test_windows_floor_follows_option_version_added(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = _script("windows_floor")
    task = "- hosts: all\n  tasks:\n    - ansible.windows.win_command:\n        argv: [certutil, -crl]\n"
    monkeypatch.setattr(
        sys, "argv", ["windows_floor.py", str(_collection(tmp_path, task, ">=1.11.0,<4.0.0"))]
    )
    assert tool.main() == 0  # win_command argv: version_added 1.11.0
    (tmp_path / "galaxy.yml").write_text("dependencies:\n  ansible.windows: '>=1.0.0,<4.0.0'\n")
    assert tool.main() == 1


@pytest.mark.parametrize("declared", [">=1.11.0", ">=1.11.0,<3.0.0"])
def test_windows_floor_wants_an_upper_bound_above_the_tested_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, declared: str
) -> None:
    tool = _script("windows_floor")
    task = "- hosts: all\n  tasks:\n    - ansible.windows.win_command:\n        argv: [certutil, -crl]\n"
    monkeypatch.setattr(sys, "argv", ["windows_floor.py", str(_collection(tmp_path, task, declared))])
    assert tool.installed_version("ansible.windows") is not None
    assert tool.main() == 1  # no upper bound, or one that excludes the tested 3.3.0


def test_windows_floor_rejects_an_unknown_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = _script("windows_floor")
    task = "- hosts: all\n  tasks:\n    - ansible.windows.win_service:\n        nmae: REPLICA\n"
    monkeypatch.setattr(sys, "argv", ["windows_floor.py", str(_collection(tmp_path, task, ">=1.0.0"))])
    assert tool.main() == 1


def test_windows_floor_reads_execute_module_calls(tmp_path: Path) -> None:
    tool = _script("windows_floor")
    source = tmp_path / "a.py"
    source.write_text(
        "self._execute_module(module_name='ansible.windows.win_powershell', module_args={'script': s})\n"
    )
    assert tool.python_uses(source) == [("win_powershell", {"script"}, f"{source}:1")]


def test_own_key_verify_tells_roots_from_issued_certificates() -> None:
    from bench import controller

    root = pf.root_ca("CN=Bench Test Root")
    leaf = pf.leaf(root, "CN=leaf.bench.example")
    ec_root = pf.root_ca("CN=Bench EC Root", key_type="ecdsa")
    assert controller.own_key_verify(root.cert) is True
    assert controller.own_key_verify(ec_root.cert) is True
    assert controller.own_key_verify(leaf.cert) is False


def _root_sub_leaf(label: str) -> list[Any]:
    """Corpus entries of a three-link chain: an RSA root, an ECDSA issuing CA under it, a leaf under that."""
    from bench import corpus

    root = pf.root_ca(f"CN=Bench {label} Root")
    sub = pf.sub_ca(root, f"CN=Bench {label} CA", key_type="ecdsa")
    leaf = pf.leaf(sub, f"CN={label.lower()}.bench.example")
    return [corpus.Entry(i.der, i.blob, i.thumbprint, "CA", "registry") for i in (root, sub, leaf)]


def test_issuer_floor_verifies_each_link_with_the_issuer_key() -> None:
    from bench import controller

    entries = _root_sub_leaf("Link")
    keys = controller.issuer_keys(entries)
    assert controller.issuer_floor(entries, keys) == 3
    assert controller.issuer_floor(entries, [keys[0]] * 3) == 2  # the leaf is not signed by the root
    assert controller.floor(entries) == 1


def test_synthetic_snapshot_answers_the_request() -> None:
    from bench import controller, corpus

    root = pf.root_ca("CN=Bench Snapshot Root")
    entry = corpus.Entry(root.der, root.blob, root.thumbprint, "Root", "group_policy")
    store = _stores.physical_store("Root", "group_policy")
    other = _stores.physical_store("Root", "registry")
    req = SnapshotRequest()
    req.add_key(store.certificates_key, 1)
    req.add_key(other.certificates_key, 1)
    snap = Snapshot.from_result(controller.synthetic_result([entry], req))
    found = snap.key(store.certificates_key).subkey(root.thumbprint)
    assert found is not None
    assert base64.b64decode(found.value("Blob")) == root.blob
    assert snap.key(other.certificates_key).exists is False


def test_bench_part_with_a_missing_prerequisite_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    from bench import estate, run

    monkeypatch.setattr(estate, "AUDIT", REPO / "playbooks" / "no_such_audit.yml")
    result = run.run_part("c", run.part_c, argparse.Namespace(hosts=2, wall_repeat=1))
    assert result == {
        "status": "not available yet",
        "reason": "playbooks/no_such_audit.yml is not in this tree yet",
    }
    assert "not available yet: playbooks/no_such_audit.yml" in run.render(
        {"when": "now", "machine": "m", "python": "3.11", "repeat": 1, "a": result, "b": result, "c": result}
    )


def test_library_calls_row_verifies_with_the_issuer_key_and_is_rendered() -> None:
    from bench import controller, run

    entries = _root_sub_leaf("Library")
    keys = controller.issuer_keys(entries)
    texts = [base64.b64encode(entry.blob).decode() for entry in entries]
    assert controller.library_calls(texts, entries, keys) == 3
    assert controller.library_calls(texts, entries, [keys[0]] * 3) == 2  # the leaf is not signed by the root
    b = {**controller.measure(entries, repeat=1), "status": "ok"}
    assert b["library_verified"] == 3 and b["library_ratio"] > 0 and b["product_over_library"] > 0
    missing = {"status": "not available yet", "reason": "test"}
    text = run.render(
        {"when": "now", "machine": "m", "python": "3.11", "repeat": 1, "a": missing, "b": b, "c": missing}
    )
    assert "| library calls | the library calls the facts rest on" in text
    assert "x the library-calls row" in text


def test_the_tarball_ships_licence_and_ee_requirements_and_nothing_dev_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    galaxy = Path(sys.executable).parent / "ansible-galaxy"
    build = subprocess.run(
        [str(galaxy), "collection", "build", "--output-path", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (tarball,) = tmp_path.glob("sfb-pki-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = {m.name for m in archive.getmembers() if m.isfile()}
        license_text = archive.extractfile("LICENSE").read().decode()  # type: ignore[union-attr]
        ee = yaml.safe_load(archive.extractfile("meta/execution-environment.yml").read())  # type: ignore[union-attr]
    assert "GNU GENERAL PUBLIC LICENSE" in license_text and "Version 3, 29 June 2007" in license_text
    assert ee["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    assert {"requirements.txt", "bindep.txt"} <= names
    assert not [n for n in names if "ansible_collections/" in n]
    assert not names & {"Makefile", "pyproject.toml", "requirements-dev.txt"}
    installed = tmp_path / "installed"
    install = subprocess.run(
        [str(galaxy), "collection", "install", "--offline", "--no-deps", "-p", str(installed), str(tarball)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    tool = _script("check_package")
    monkeypatch.setattr(
        sys, "argv", ["check_package.py", str(tarball), str(installed / "ansible_collections/sfb/pki")]
    )
    assert tool.main() == 0
