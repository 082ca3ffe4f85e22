"""``venvd status`` for a venv made for another path (issue 10 point 8): the project was
moved or renamed, its inputs are in step (fingerprints are relative to the root) but the
venv's console scripts name the old path."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import allow, make_project, need_python
from tests.test_sync import ALPHA, export, offline, venvd, wheelhouse  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow


def _status(project: Path) -> tuple[dict, str]:
    r = venvd("status", "--json", cwd=project)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), venvd("status", cwd=project).stdout


def test_status_says_venvds_moved_venv_is_recreated_at_the_next_entry(home: Path, offline: Path) -> None:
    project = make_project(home / "proj", "3.12")
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    assert "synced" in export(project)
    assert _status(project)[0]["state"] == "in step"
    moved = home / "renamed"
    project.rename(moved)
    allow(moved)
    info, human = _status(moved)
    assert info["state"] == f"made for {project / '.venv'}: will be recreated at the next entry", info
    assert "state:        made for ~/proj/.venv: will be recreated at the next entry" in human, human
    assert info["venv_moved_from"] == str(project / ".venv"), info
    # The next entry does what status said; then the venv is in step for its own path.
    said = export(moved)
    assert "moved here" in said and "synced" in said, said
    info, _ = _status(moved)
    assert info["state"] == "in step" and "venv_moved_from" not in info, info


def test_status_says_the_users_moved_venv_names_the_old_path(home: Path, offline: Path) -> None:
    project = make_project(home / "proj", "3.12")
    subprocess.run([need_python("3.12"), "-m", "venv", str(project / ".venv")], check=True)
    (project / "requirements.txt").write_text(f"{ALPHA}==1.0\n")
    assert "synced" in export(project)
    moved = home / "renamed"
    project.rename(moved)
    allow(moved)
    info, human = _status(moved)
    assert info["state"].startswith("in step, but the venv was moved from"), info
    assert "its scripts name the old path" in info["state"] and "recreate it" in info["state"], info
    assert f"was moved from {project / '.venv'}; its scripts name the old path" in human.replace("~", str(home)), human
    assert info["venv_moved_from"] == str(project / ".venv"), info
